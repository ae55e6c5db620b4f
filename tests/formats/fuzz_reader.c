/*
 * fuzz_reader.c - libFuzzer target for the segment reader.
 * Input byte 0 selects the mode: even = the rest is a segment file as is;
 * odd = the rest is a decompressed msgpack stream, wrapped here in a valid
 * zstd frame so the fuzzer reaches the record decoder past the checksum.
 * The bytes are read in place by ingero_reader_open_mem (no file, no
 * syscall, the decompression context reused: thousands of inputs a second);
 * the corpus replay (unit-fuzz-replay, fuzz_main.c) also reads each through
 * a file and checks both readers agree (tests/fuzz/fuzz.h).  Built by
 * `make fuzz` (tests/fuzz/fuzz.mk).
 */
#include "../fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	if ((data[0] & 1) && !(p = fz_zstd(p, n, &n)))
		return 0;
	fz_read_mem(p, n);
	return 0;
}
