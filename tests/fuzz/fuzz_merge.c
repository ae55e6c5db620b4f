/*
 * fuzz_merge.c - libFuzzer target for ingero-merge's inputs: its main() (built
 * with main renamed, see tests/fuzz/fuzz.mk) on 1-3 node recordings cut from
 * the input.  Byte 0: bits 0-1 = number of inputs - 1 (3 = 3), bit 2 = wrap
 * each part in a zstd frame (reach the record decoder past the checksum).
 * Parts: [length u16 le][bytes], the last one takes the rest.
 * merge/main.c is compiled with ig_exit and atexit renamed to the two
 * functions below (stdout stays open, no exit handler piles up per run).
 */
#include "fuzz.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int ingero_merge_main(int argc, char **argv);
int fz_merge_exit(int rc);
int fz_merge_atexit(void (*fn)(void));

int fz_merge_exit(int rc)
{
	fflush(stdout);
	return rc;
}

int fz_merge_atexit(void (*fn)(void))
{
	(void)fn;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) { once = 1; ig_quiet = 2; }
	if (size < 1) return 0;
	int nin = (data[0] & 3) + 1;
	if (nin > 3) nin = 3;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	char *argv[16];
	int argc = 0;
	static char a0[] = "ingero-merge", q[] = "-q", o[] = "-o", force[] = "--force";
	static char names[3][128], outp[128];
	argv[argc++] = a0;
	for (int i = 0; i < nin; i++) {
		size_t len = n;
		if (i < nin - 1 && n >= 2) {
			len = (size_t)(p[0] | p[1] << 8);
			p += 2; n -= 2;
			if (len > n) len = n;
		}
		const uint8_t *part = p;
		size_t plen = len;
		p += len; n -= len;
		if ((data[0] & 4) && !(part = fz_zstd(part, plen, &plen))) return 0;
		snprintf(names[i], sizeof(names[i]), "%s", fz_path(i == 0 ? "n0.igz" : i == 1 ? "n1.igz" : "n2.igz"));
		if (fz_file_write(names[i], part, plen)) return 0;
		argv[argc++] = names[i];
	}
	snprintf(outp, sizeof(outp), "%s", fz_path("out.igz"));
	argv[argc++] = q; argv[argc++] = q;
	argv[argc++] = o; argv[argc++] = outp;
	argv[argc++] = force;
	argv[argc] = NULL;
	optind = 0;   /* getopt state: reset for every run */
	(void)ingero_merge_main(argc, argv);
	return 0;
}
