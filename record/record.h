/* record.h - subcommands of ingero-record.  Each returns the process exit
 * code: 0 success, 1 failure, INGERO_EXIT_USAGE for usage errors. */
#ifndef INGERO_RECORD_H
#define INGERO_RECORD_H

#include <stdbool.h>

#define INGERO_EXIT_USAGE 2

/* record/record.c: the eBPF recorder; verb: called as 'ingero-record record' */
int cmd_record(int argc, char **argv, bool verb);
int cmd_check(int argc, char **argv);   /* record/check.c: is this host ready? */
int cmd_bundle(int argc, char **argv);  /* record/bundle.c: support bundle */
int cmd_demo(int argc, char **argv);    /* record/demo.c: scenario generator */

#endif
