/* fuzz_replay.c - replays tests/mcp/fuzz-corpus/ (seeds and crash inputs of
 * `make fuzz-mcp`) through fuzz_rpc.c's target as a unit test (and under
 * ASan in make check-asan). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	size_t cap = 4096, n = 0, r;
	unsigned char *b = malloc(cap);
	while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) { unsigned char *nb = realloc(b, cap *= 2); if (!nb) { free(b); b = NULL; } else b = nb; }
	}
	fclose(f);
	*len = n;
	return b;
}

int main(void)
{
	char dir[1024];
	const char *root = getenv("ROOT");
	snprintf(dir, sizeof dir, "%s/tests/mcp/fuzz-corpus", root ? root : ".");
	DIR *d = opendir(dir);
	if (!d) { T_SKIP("mcp fuzz replay: no %s", dir); T_DONE(); }
	struct dirent *de;
	int n = 0, ran = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') continue;
		n++;
		char p[2200];
		size_t len;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unsigned char *b = slurp(p, &len);
		if (b) { LLVMFuzzerTestOneInput(b, len); ran++; free(b); }
	}
	closedir(d);
	T_CHECK(ran == n && n > 0, "mcp fuzz replay: %d inputs from %s ran without a crash", ran, dir);
	T_DONE();
}
