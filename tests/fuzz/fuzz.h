/*
 * fuzz.h - helpers shared by the libFuzzer targets of tests/fuzz/ (and
 * tests/formats/fuzz_reader.c's sibling targets): set up once, reused for
 * every input (no per-input set-up: libFuzzer runs thousands a second).
 * Scratch files live in $TMPDIR, else /dev/shm, else /tmp, in a directory
 * removed at exit (a crash leaves it for the OS to clean).
 *   fz_file_write(k, p, n)  file k (0..7) of a private scratch directory holds p[0..n)
 *   fz_zstd(p, n, &len)     p wrapped in one valid zstd frame (checksummed)
 *   fz_read_all(path)       every record of a recording, touched as a tool would
 *   fz_read_mem(p, n)       the same over a memory buffer (the replays also
 *                           check it against the file reader)
 */
#ifndef INGERO_FUZZ_H
#define INGERO_FUZZ_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "ingero.h"

static char fz_dir[64];

static void fz_cleanup(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *e;
	char p[400];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof(p), "%s/%s", fz_dir, e->d_name);
		unlink(p);
	}
	if (d) closedir(d);
	rmdir(fz_dir);
}

/* A private scratch directory (removed at exit; files are rewritten in place). */
static inline const char *fz_scratch(void)
{
	if (!fz_dir[0]) {
		const char *t = getenv("TMPDIR");   /* default: tmpfs when there is one */
		if (!t || strlen(t) >= 32) t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fz_dir, sizeof(fz_dir), "%s/ingero-fuzz.XXXXXX", t);
		if (!mkdtemp(fz_dir)) { fz_dir[0] = 0; return NULL; }
		atexit(fz_cleanup);
	}
	return fz_dir;
}

static inline const char *fz_path(const char *name)
{
	static char p[8][128];
	static int k;
	k = (k + 1) & 7;
	snprintf(p[k], sizeof(p[k]), "%s/%s", fz_scratch() ? fz_dir : "/tmp", name);
	return p[k];
}

static inline int fz_file_write(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f) return -1;
	size_t w = n ? fwrite(p, 1, n, f) : 0;
	return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* p[0..n) as one zstd frame with a checksum, in a buffer reused across calls */
static inline const uint8_t *fz_zstd(const uint8_t *p, size_t n, size_t *len)
{
	static ZSTD_CCtx *c;
	static uint8_t *z[4];
	static size_t zcap[4];
	static int k;
	k = (k + 1) & 3;
	if (!c && !(c = ZSTD_createCCtx())) return NULL;
	ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	size_t cap = ZSTD_compressBound(n);
	if (cap > zcap[k]) {
		uint8_t *nz = realloc(z[k], cap);
		if (!nz) return NULL;
		z[k] = nz;
		zcap[k] = cap;
	}
	size_t r = ZSTD_compress2(c, z[k], zcap[k], p, n);
	if (ZSTD_isError(r)) return NULL;
	*len = r;
	return z[k];
}

/* Every record of an open reader, touched as a tool would; a digest of what
 * was read (records, warnings, the last message, how it ended). */
static inline uint64_t fz_digest(struct ingero_reader *r)
{
	uint64_t h = 1469598103934665603ull;
#define FZ_MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	struct ingero_record rec;
	struct ingero_clock clk;
	ingero_clock_init(&clk);
	int k, guard = 0;
	while ((k = ingero_reader_next(r, &rec)) == 1 && guard++ < 1000000) {
		FZ_MIX(rec.kind);
		FZ_MIX(rec.node);
		FZ_MIX(rec.offset);
		switch (rec.kind) {
		case INGERO_REC_PROCESS: if (strlen(rec.u.proc.comm) > (1u << 30)) abort(); break;
		case INGERO_REC_STACK: if (rec.u.stack && rec.u.stack->depth > INGERO_STACK_MAX) abort(); break;
		case INGERO_REC_ANCHOR: ingero_clock_add(&clk, &rec.u.anchor); break;
		case INGERO_REC_EVENT:
			FZ_MIX(rec.u.ev.ts);
			FZ_MIX(rec.u.ev.dur);
			FZ_MIX(rec.u.ev.op);
			(void)ingero_clock_to_wall(&clk, rec.u.ev.ts);
			break;
		case INGERO_REC_HEADER: if (rec.u.hdr.node && strlen(rec.u.hdr.node) > (1u << 30)) abort(); break;
		}
	}
	FZ_MIX(k);
	FZ_MIX(ingero_reader_warnings(r));
	const struct ingero_error *w = ingero_reader_last_warning(r);
	for (const char *m = w ? w->msg : ""; *m; m++)
		FZ_MIX((unsigned char)*m);
#undef FZ_MIX
	ingero_clock_release(&clk);
	return h;
}

static inline void fz_read_all(const char *path)
{
	struct ingero_reader *r;
	struct ingero_error e;
	if (ingero_reader_open(&r, path, &e) != 0) return;
	(void)fz_digest(r);
	ingero_reader_close(r);
}

/*
 * p[0..n) read by the memory reader (no file, no syscall: the fast path the
 * fuzzer runs).  The corpus replays (built without INGERO_LIBFUZZER) also
 * write it to a file, read that with ingero_reader_open and abort when the
 * two readers disagree: open result, records, warnings or last message.
 */
static inline void fz_read_mem(const uint8_t *p, size_t n)
{
	struct ingero_reader *r;
	struct ingero_error e;
#ifndef INGERO_LIBFUZZER
	const char *path = fz_path("diff.igz");
	int rcm = ingero_reader_open_mem(&r, p, n, path, &e);
	uint64_t hm = rcm ? 0 : fz_digest(r);
	char em[sizeof(e.msg)];
	snprintf(em, sizeof(em), "%s", rcm ? e.msg : "");
	if (!rcm) ingero_reader_close(r);
	if (fz_file_write(path, p, n)) return;
	int rcf = ingero_reader_open(&r, path, &e);
	uint64_t hf = rcf ? 0 : fz_digest(r);
	if (!rcf) ingero_reader_close(r);
	if (rcm != rcf || hm != hf || (rcm && strcmp(em, e.msg))) {
		fprintf(stderr, "fz_read_mem: memory and file readers disagree (open %d/%d, digest %016llx/%016llx, '%s' / '%s')\n",
			rcm, rcf, (unsigned long long)hm, (unsigned long long)hf, em, rcf ? e.msg : "");
		abort();
	}
#else
	if (ingero_reader_open_mem(&r, p, n, "fuzz-input", &e) != 0) return;
	(void)fz_digest(r);
	ingero_reader_close(r);
#endif
}

#endif
