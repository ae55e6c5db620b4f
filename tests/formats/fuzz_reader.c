/*
 * fuzz_reader.c - libFuzzer target for the segment reader.
 * Input byte 0 selects the mode: even = the rest is a segment file as is;
 * odd = the rest is a decompressed msgpack stream, wrapped here in a valid
 * zstd frame so the fuzzer reaches the record decoder past the checksum.
 * Built by `make fuzz`; replayed over tests/formats/fuzz-corpus/ by the
 * unit test unit-fuzz-replay (fuzz_main.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "ingero.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set up once, reused for every input (libFuzzer calls this function
 * thousands of times a second): the in-memory file and the compressor. */
static int fz_fd = -1;
static char fz_path[64];
static ZSTD_CCtx *fz_cctx;
static uint8_t *fz_z;
static size_t fz_zcap;

static int fz_setup(void)
{
	if (fz_fd >= 0) return 0;
	fz_fd = memfd_create("fuzz", 0);
	if (fz_fd < 0) return -1;
	snprintf(fz_path, sizeof(fz_path), "/proc/self/fd/%d", fz_fd);
	fz_cctx = ZSTD_createCCtx();
	return fz_cctx ? 0 : -1;
}

/* The file the reader opens holds exactly p[0..n). */
static int fz_write(const uint8_t *p, size_t n)
{
	if (ftruncate(fz_fd, 0) != 0) return -1;
	return pwrite(fz_fd, p, n, 0) == (ssize_t)n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || fz_setup())
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		ZSTD_CCtx_reset(fz_cctx, ZSTD_reset_session_and_parameters);
		ZSTD_CCtx_setParameter(fz_cctx, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(fz_cctx, ZSTD_c_compressionLevel, 1);
		size_t cap = ZSTD_compressBound(n);
		if (cap > fz_zcap) {
			uint8_t *z = realloc(fz_z, cap);
			if (!z) return 0;
			fz_z = z;
			fz_zcap = cap;
		}
		size_t k = ZSTD_compress2(fz_cctx, fz_z, fz_zcap, p, n);
		if (ZSTD_isError(k)) return 0;
		p = fz_z;
		n = k;
	}
	if (fz_write(p, n)) return 0;
	struct ingero_reader *r;
	struct ingero_error e;
	if (ingero_reader_open(&r, fz_path, &e) == 0) {
		struct ingero_record rec;
		struct ingero_clock clk;
		ingero_clock_init(&clk);
		int k, guard = 0;
		while ((k = ingero_reader_next(r, &rec)) == 1 && guard++ < 1000000) {
			/* touch what a tool would touch */
			switch (rec.kind) {
			case INGERO_REC_PROCESS: if (strlen(rec.u.proc.comm) > (1u << 30)) abort(); break;
			case INGERO_REC_STACK: if (rec.u.stack->depth > INGERO_STACK_MAX) abort(); break;
			case INGERO_REC_ANCHOR: ingero_clock_add(&clk, &rec.u.anchor); break;
			case INGERO_REC_EVENT: (void)ingero_clock_to_wall(&clk, rec.u.ev.ts); break;
			case INGERO_REC_HEADER: if (strlen(rec.u.hdr.node) > (1u << 30)) abort(); break;
			}
		}
		ingero_clock_release(&clk);
		ingero_reader_close(r);
	}
	return 0;
}
