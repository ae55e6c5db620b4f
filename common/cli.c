/* cli.c - option parsing in one style for every tool (see common.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ingero.h"

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0], cur;
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best) best = row[j] + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *ig_did_you_mean(const char *s, const char *const *cand)
{
	const char *best = NULL, *prefix = NULL;
	size_t bd = 3, slen = strlen(s);
	int nprefix = 0;
	if (!slen)
		return NULL;
	for (size_t i = 0; cand[i]; i++) {
		size_t d = edit_distance(s, cand[i]);
		if (d < bd) {
			bd = d;
			best = cand[i];
		}
		if (!strncmp(cand[i], s, slen)) {
			prefix = cand[i];
			nprefix++;
		}
	}
	if (best)
		return best;
	return nprefix == 1 ? prefix : NULL;
}

static const char *suggest(const char *arg, const struct option *lo, char *buf, size_t len)
{
	const char *names[256];
	size_t n = 0;
	const char *s = arg;
	while (*s == '-')
		s++;
	size_t l = strcspn(s, "=");
	char key[128];
	snprintf(key, sizeof key, "%.*s", (int)(l < sizeof key ? l : sizeof key - 1), s);
	for (; lo && lo->name && n < 255; lo++)
		names[n++] = lo->name;
	names[n] = NULL;
	const char *m = ig_did_you_mean(key, names);
	if (!m)
		return "";
	snprintf(buf, len, " (did you mean '--%s'?)", m);
	return buf;
}

int ig_getopt(int argc, char *const argv[], const char *shortopts,
	      const struct option *longopts, int *longindex)
{
	char sopts[128];
	/* a leading ':' makes getopt report a missing value as ':' */
	snprintf(sopts, sizeof sopts, ":%s", shortopts[0] == ':' ? shortopts + 1 : shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, sopts, longopts, longindex);
	if (c != '?' && c != ':')
		return c;
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	char buf[160];
	if (c == ':') {
		if (optopt && optopt < 256 && arg[0] == '-' && arg[1] != '-')
			ig_usage_error("option '-%c' needs a value", optopt);
		else
			ig_usage_error("option '%s' needs a value", arg);
	} else if (optopt && optopt < 256 && !(arg[0] == '-' && arg[1] == '-')) {
		ig_usage_error("unknown option '-%c'", optopt);
	} else {
		ig_usage_error("unknown option '%s'%s", arg, suggest(arg, longopts, buf, sizeof buf));
	}
	return '?';
}

void ig_print_version(void)
{
	/* the newest format the tools read (and ingero-merge writes) */
	printf("%s %s (recording format %d.%d)\n", ig_prog(), INGERO_VERSION, INGERO_FORMAT_MAJOR,
	       INGERO_FORMAT_MINOR_NODE_EVENTS);
}

int ig_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *e;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || *e || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
