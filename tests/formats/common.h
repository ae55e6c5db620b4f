/* common.h - helpers shared by the format unit tests. */
#ifndef TESTS_FORMATS_COMMON_H
#define TESTS_FORMATS_COMMON_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingero.h"

static char t_dir[512];

static const char *tdir(void)
{
	if (!t_dir[0]) {
		const char *base = getenv("T_OUT");
		if (base && *base)
			snprintf(t_dir, sizeof(t_dir), "%s/fmt-XXXXXX", base);
		else
			snprintf(t_dir, sizeof(t_dir), "/tmp/fmt-XXXXXX");
		if (!mkdtemp(t_dir)) { perror("mkdtemp"); exit(1); }
	}
	return t_dir;
}

static __attribute__((unused)) char *tpath(const char *name)
{
	static char buf[8][700];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tdir(), name);
	return buf[i];
}

static __attribute__((unused)) unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
	if (n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); fclose(f); return NULL; }
	fclose(f);
	*len = (size_t)n;
	return b;
}

static __attribute__((unused)) int spit(const char *path, const void *p, size_t n)
{
	unlink(path);   /* no truncate-then-write: ext4 would flush on close */
	FILE *f = fopen(path, "wb");
	if (!f) return -1;
	int r = fwrite(p, 1, n, f) == n ? 0 : -1;
	return fclose(f) || r ? -1 : 0;
}

static __attribute__((unused)) void base_opts(struct ingero_writer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hdr.node = "node-a";
	o->hdr.host = "host-a";
	o->hdr.boot_id = "0b5e1d2c-aaaa-bbbb-cccc-000000000001";
	o->hdr.kernel = "6.1.0-test";
	o->hdr.recorder = "ingero-record test";
	o->hdr.cmdline = "ingero-record --test";
	o->hdr.start_ts = 1000000000;
	o->hdr.rank = 3;
	o->hdr.anchor.boottime = 1000000000;
	o->hdr.anchor.realtime = 1700000000000000000ull;
	o->hdr.anchor.monotonic = 999000000;
	o->hdr.anchor.error_ns = 5000;
}

/* Read everything; returns number of records (or negative error), counts
 * warnings into *warns. */
static __attribute__((unused)) long read_all(const char *path, unsigned *warns, int *rc_out)
{
	struct ingero_reader *r;
	struct ingero_error e;
	*warns = 0;
	int rc = ingero_reader_open(&r, path, &e);
	if (rc < 0) { if (rc_out) *rc_out = rc; return rc; }
	struct ingero_record rec;
	long n = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1)
		n++;
	*warns = ingero_reader_warnings(r);
	if (rc_out) *rc_out = rc;
	ingero_reader_close(r);
	return n;
}
#endif
