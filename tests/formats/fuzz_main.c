/*
 * fuzz_main.c - replays every file of a fuzz target's corpus (crash inputs
 * found by `make fuzz`, plus seeds) through the target, as a normal unit
 * test (runs under ASan in `make check-asan`).  The corpus follows the
 * binary's name: unit-fuzz-replay (the reader) -> tests/formats/fuzz-corpus/,
 * unit-fuzz-<t> -> tests/fuzz/corpus/<t>/ (tests/fuzz/fuzz.mk).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
	char dir[1024];
	const char *root = getenv("ROOT");
	if (argc > 1) snprintf(dir, sizeof(dir), "%s", argv[1]);
	else {
		const char *b = strrchr(argv[0], '/');
		b = b ? b + 1 : argv[0];
		if (!strncmp(b, "unit-fuzz-", 10) && strcmp(b, "unit-fuzz-replay"))
			snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", root ? root : ".", b + 10);
		else
			snprintf(dir, sizeof(dir), "%s/tests/formats/fuzz-corpus", root ? root : ".");
	}
	DIR *d = opendir(dir);
	if (!d) { T_SKIP("fuzz replay: no %s", dir); T_DONE(); }
	char *names[4096];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 4096)
		if (de->d_name[0] != '.') names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp);
	int ran = 0;
	for (int i = 0; i < n; i++) {
		char p[2200];
		size_t len;
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unsigned char *b = slurp(p, &len);
		if (b) { LLVMFuzzerTestOneInput(b, len); ran++; free(b); }
		free(names[i]);
	}
	/* reaching here means no input crashed (ASan/UBSan abort otherwise) */
	T_CHECK(ran == n && n > 0, "fuzz replay: %d inputs from %s ran without a crash", ran, dir);
	T_DONE();
}
