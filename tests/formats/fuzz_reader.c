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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	uint8_t *z = NULL;
	if (data[0] & 1) {
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
		size_t cap = ZSTD_compressBound(n);
		z = malloc(cap);
		size_t k = z ? ZSTD_compress2(c, z, cap, p, n) : 0;
		ZSTD_freeCCtx(c);
		if (!z || ZSTD_isError(k)) { free(z); close(fd); return 0; }
		p = z;
		n = k;
	}
	if (write(fd, p, n) != (ssize_t)n) { free(z); close(fd); return 0; }
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct ingero_reader *r;
	struct ingero_error e;
	if (ingero_reader_open(&r, path, &e) == 0) {
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
	free(z);
	close(fd);
	return 0;
}
