/* sha256.h - a small SHA-256 (FIPS 180-4) for the bundle manifest; no
 * OpenSSL dependency.  Checked against sha256sum in tests/record/t-bundle.sh. */
#ifndef INGERO_SHA256_H
#define INGERO_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;          /* bytes hashed so far */
	uint8_t buf[64];
	size_t n;              /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish and write the 32-byte digest; s must be re-initialized to reuse. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Lower-case hex of a digest into out (65 bytes with the NUL). */
void sha256_hex(const uint8_t d[32], char out[65]);

#endif
