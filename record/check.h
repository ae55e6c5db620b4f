/* check.h - `ingero-record check`: is this host ready to record?  Also run
 * in-process by `bundle` (check.txt / check.json). */
#ifndef INGERO_CHECK_H
#define INGERO_CHECK_H
#include <stdio.h>

struct check_item {
	char name[64];
	int pass;             /* 1 = ok */
	int optional;         /* a failed optional item is a warning */
	char value[256];
	char detail[1024];
	char recommendation[512];
};

/* Run every check.  Returns the number of items (*items malloc'd, free with
 * free()) or -1 on allocation failure. */
int check_run(struct check_item **items);
/* 1 if every required item passed. */
int check_all_required_pass(const struct check_item *it, int n);
/* "[✓] name: value" lines with detail and recommendation (text), or a JSON
 * array of {name, pass, optional, value, detail, recommendation} where
 * empty/false members are left out, like the original tool. */
void check_print_text(FILE *f, const struct check_item *it, int n);
void check_print_json(FILE *f, const struct check_item *it, int n);

#endif
