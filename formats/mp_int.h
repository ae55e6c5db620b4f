/*
 * mp_int.h - private: a tiny inline msgpack encoder and a zero-copy cursor
 * decoder for the hot paths of the writer and reader.  msgpack-c stays the
 * independent check (tests, ingero-dump --raw).
 */
#ifndef INGERO_MP_INT_H
#define INGERO_MP_INT_H

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------ encoder */
/* Callers reserve room first; the worst case of one scalar is 9 bytes. */

static inline uint8_t *mp_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; return p + 2; }
static inline uint8_t *mp_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; return p + 4;
}
static inline uint8_t *mp_be64(uint8_t *p, uint64_t v)
{
	mp_be32(p, (uint32_t)(v >> 32)); mp_be32(p + 4, (uint32_t)v); return p + 8;
}

static inline uint8_t *mp_put_uint(uint8_t *p, uint64_t v)
{
	if (v < 128) { *p++ = (uint8_t)v; return p; }
	if (v <= 0xff) { *p++ = 0xcc; *p++ = (uint8_t)v; return p; }
	if (v <= 0xffff) { *p++ = 0xcd; return mp_be16(p, (uint16_t)v); }
	if (v <= 0xffffffffu) { *p++ = 0xce; return mp_be32(p, (uint32_t)v); }
	*p++ = 0xcf; return mp_be64(p, v);
}

static inline uint8_t *mp_put_int(uint8_t *p, int64_t v)
{
	if (v >= 0) return mp_put_uint(p, (uint64_t)v);
	if (v >= -32) { *p++ = (uint8_t)(int8_t)v; return p; }
	if (v >= -128) { *p++ = 0xd0; *p++ = (uint8_t)(int8_t)v; return p; }
	if (v >= -32768) { *p++ = 0xd1; return mp_be16(p, (uint16_t)(int16_t)v); }
	if (v >= INT32_MIN) { *p++ = 0xd2; return mp_be32(p, (uint32_t)(int32_t)v); }
	*p++ = 0xd3; return mp_be64(p, (uint64_t)v);
}

static inline uint8_t *mp_put_array(uint8_t *p, uint32_t n)
{
	if (n < 16) { *p++ = (uint8_t)(0x90 | n); return p; }
	if (n <= 0xffff) { *p++ = 0xdc; return mp_be16(p, (uint16_t)n); }
	*p++ = 0xdd; return mp_be32(p, n);
}

static inline uint8_t *mp_put_map(uint8_t *p, uint32_t n)
{
	if (n < 16) { *p++ = (uint8_t)(0x80 | n); return p; }
	if (n <= 0xffff) { *p++ = 0xde; return mp_be16(p, (uint16_t)n); }
	*p++ = 0xdf; return mp_be32(p, n);
}

static inline uint8_t *mp_put_double(uint8_t *p, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	*p++ = 0xcb; return mp_be64(p, u);
}

/* str header + bytes; room needed: len + 5 */
static inline uint8_t *mp_put_str(uint8_t *p, const char *s, uint32_t len)
{
	if (len < 32) *p++ = (uint8_t)(0xa0 | len);
	else if (len <= 0xff) { *p++ = 0xd9; *p++ = (uint8_t)len; }
	else if (len <= 0xffff) { *p++ = 0xda; p = mp_be16(p, (uint16_t)len); }
	else { *p++ = 0xdb; p = mp_be32(p, len); }
	if (len) memcpy(p, s, len);
	return p + len;
}

/* ------------------------------------------------------------ decoder */
/* A cursor over [p, end).  Every read checks bounds; on any error the
 * cursor's err is set and every later read fails too. */
struct mp_cur {
	const uint8_t *p, *end;
	int err;
};

static inline uint16_t mp_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t mp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t mp_rd64(const uint8_t *p) { return (uint64_t)mp_rd32(p) << 32 | mp_rd32(p + 4); }

#define MP_NEED(c, n) ((size_t)((c)->end - (c)->p) >= (size_t)(n))

/* Array header; n checked against the bytes left (each element >= 1 byte). */
static inline int mp_get_array(struct mp_cur *c, uint32_t *n)
{
	if (c->err || !MP_NEED(c, 1)) goto bad;
	uint8_t b = *c->p;
	if ((b & 0xf0) == 0x90) { *n = b & 0x0f; c->p++; }
	else if (b == 0xdc && MP_NEED(c, 3)) { *n = mp_rd16(c->p + 1); c->p += 3; }
	else if (b == 0xdd && MP_NEED(c, 5)) { *n = mp_rd32(c->p + 1); c->p += 5; }
	else goto bad;
	if (!MP_NEED(c, *n)) goto bad;
	return 0;
bad:
	c->err = 1;
	return -1;
}

static inline int mp_get_map(struct mp_cur *c, uint32_t *n)
{
	if (c->err || !MP_NEED(c, 1)) goto bad;
	uint8_t b = *c->p;
	if ((b & 0xf0) == 0x80) { *n = b & 0x0f; c->p++; }
	else if (b == 0xde && MP_NEED(c, 3)) { *n = mp_rd16(c->p + 1); c->p += 3; }
	else if (b == 0xdf && MP_NEED(c, 5)) { *n = mp_rd32(c->p + 1); c->p += 5; }
	else goto bad;
	if ((uint64_t)*n * 2 > (uint64_t)(c->end - c->p)) goto bad;
	return 0;
bad:
	c->err = 1;
	return -1;
}

/* Any integer (nil reads as 0) as a 64-bit two's complement pattern. */
static inline __attribute__((always_inline)) uint64_t mp_get_int(struct mp_cur *c)
{
	if (c->err || !MP_NEED(c, 1)) goto bad;
	uint8_t b = *c->p;
	if (b < 0x80) { c->p++; return b; }
	if (b >= 0xe0) { c->p++; return (uint64_t)(int64_t)(int8_t)b; }
	switch (b) {
	case 0xc0: c->p++; return 0;
	case 0xcc: if (!MP_NEED(c, 2)) goto bad; c->p += 2; return c->p[-1];
	case 0xcd: if (!MP_NEED(c, 3)) goto bad; c->p += 3; return mp_rd16(c->p - 2);
	case 0xce: if (!MP_NEED(c, 5)) goto bad; c->p += 5; return mp_rd32(c->p - 4);
	case 0xcf: if (!MP_NEED(c, 9)) goto bad; c->p += 9; return mp_rd64(c->p - 8);
	case 0xd0: if (!MP_NEED(c, 2)) goto bad; c->p += 2; return (uint64_t)(int64_t)(int8_t)c->p[-1];
	case 0xd1: if (!MP_NEED(c, 3)) goto bad; c->p += 3; return (uint64_t)(int64_t)(int16_t)mp_rd16(c->p - 2);
	case 0xd2: if (!MP_NEED(c, 5)) goto bad; c->p += 5; return (uint64_t)(int64_t)(int32_t)mp_rd32(c->p - 4);
	case 0xd3: if (!MP_NEED(c, 9)) goto bad; c->p += 9; return mp_rd64(c->p - 8);
	}
bad:
	c->err = 1;
	return 0;
}

/* Integer without bounds checks: the caller guarantees >= 9 bytes remain.
 * Returns 0 and sets *bad for a non-integer type byte. */
static inline __attribute__((always_inline)) uint64_t mp_get_int_fast(const uint8_t **pp, int *bad)
{
	const uint8_t *p = *pp;
	uint8_t b = *p;
	if (b < 0x80) { *pp = p + 1; return b; }
	if (b >= 0xe0) { *pp = p + 1; return (uint64_t)(int64_t)(int8_t)b; }
	switch (b) {
	case 0xcc: *pp = p + 2; return p[1];
	case 0xcd: *pp = p + 3; return mp_rd16(p + 1);
	case 0xce: *pp = p + 5; return mp_rd32(p + 1);
	case 0xcf: *pp = p + 9; return mp_rd64(p + 1);
	case 0xd0: *pp = p + 2; return (uint64_t)(int64_t)(int8_t)p[1];
	case 0xd1: *pp = p + 3; return (uint64_t)(int64_t)(int16_t)mp_rd16(p + 1);
	case 0xd2: *pp = p + 5; return (uint64_t)(int64_t)(int32_t)mp_rd32(p + 1);
	case 0xd3: *pp = p + 9; return mp_rd64(p + 1);
	case 0xc0: *pp = p + 1; return 0;
	}
	*bad = 1;
	return 0;
}

/* A float (float32/float64) or an integer, as a double; nil reads as 0. */
static inline double mp_get_double(struct mp_cur *c)
{
	if (c->err || !MP_NEED(c, 1)) { c->err = 1; return 0; }
	uint8_t b = *c->p;
	if (b == 0xcb && MP_NEED(c, 9)) {
		uint64_t u = mp_rd64(c->p + 1); double d;
		memcpy(&d, &u, 8); c->p += 9; return d;
	}
	if (b == 0xca && MP_NEED(c, 5)) {
		uint32_t u = mp_rd32(c->p + 1); float f;
		memcpy(&f, &u, 4); c->p += 5; return f;
	}
	if (b == 0xcb || b == 0xca) { c->err = 1; return 0; }
	uint64_t v = mp_get_int(c);
	if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3)) return (double)(int64_t)v;
	return (double)v;
}

/* A string (or bin); nil reads as "".  Sets *s to the bytes (not
 * NUL-terminated) and returns the length. */
static inline uint32_t mp_get_str(struct mp_cur *c, const uint8_t **s)
{
	uint32_t len;
	if (c->err || !MP_NEED(c, 1)) goto bad;
	uint8_t b = *c->p;
	if ((b & 0xe0) == 0xa0) { len = b & 0x1f; c->p++; }
	else if ((b == 0xd9 || b == 0xc4) && MP_NEED(c, 2)) { len = c->p[1]; c->p += 2; }
	else if ((b == 0xda || b == 0xc5) && MP_NEED(c, 3)) { len = mp_rd16(c->p + 1); c->p += 3; }
	else if ((b == 0xdb || b == 0xc6) && MP_NEED(c, 5)) { len = mp_rd32(c->p + 1); c->p += 5; }
	else if (b == 0xc0) { c->p++; *s = c->p; return 0; }
	else goto bad;
	if (!MP_NEED(c, len)) goto bad;
	*s = c->p;
	c->p += len;
	return len;
bad:
	c->err = 1;
	*s = (const uint8_t *)"";
	return 0;
}

/* Skip one complete value of any type, iteratively (no recursion, so a
 * hostile nesting depth cannot overflow the stack). */
static inline int mp_skip(struct mp_cur *c)
{
	uint64_t pending = 1;
	while (pending && !c->err) {
		pending--;
		if (!MP_NEED(c, 1)) { c->err = 1; break; }
		uint8_t b = *c->p;
		uint64_t skip = 0, hdr = 1, add = 0;
		if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) hdr = 1;
		else if ((b & 0xf0) == 0x80) add = 2 * (uint64_t)(b & 0x0f);
		else if ((b & 0xf0) == 0x90) add = b & 0x0f;
		else if ((b & 0xe0) == 0xa0) skip = b & 0x1f;
		else switch (b) {
		case 0xcc: case 0xd0: hdr = 2; break;
		case 0xcd: case 0xd1: hdr = 3; break;
		case 0xce: case 0xd2: case 0xca: hdr = 5; break;
		case 0xcf: case 0xd3: case 0xcb: hdr = 9; break;
		case 0xd4: hdr = 3; break; case 0xd5: hdr = 4; break;
		case 0xd6: hdr = 6; break; case 0xd7: hdr = 10; break;
		case 0xd8: hdr = 18; break;
		case 0xc4: case 0xd9: hdr = 2; if (MP_NEED(c, 2)) skip = c->p[1]; break;
		case 0xc5: case 0xda: hdr = 3; if (MP_NEED(c, 3)) skip = mp_rd16(c->p + 1); break;
		case 0xc6: case 0xdb: hdr = 5; if (MP_NEED(c, 5)) skip = mp_rd32(c->p + 1); break;
		case 0xc7: hdr = 3; if (MP_NEED(c, 3)) skip = c->p[1]; break;
		case 0xc8: hdr = 4; if (MP_NEED(c, 4)) skip = mp_rd16(c->p + 1); break;
		case 0xc9: hdr = 6; if (MP_NEED(c, 6)) skip = mp_rd32(c->p + 1); break;
		case 0xdc: hdr = 3; if (MP_NEED(c, 3)) add = mp_rd16(c->p + 1); break;
		case 0xdd: hdr = 5; if (MP_NEED(c, 5)) add = mp_rd32(c->p + 1); break;
		case 0xde: hdr = 3; if (MP_NEED(c, 3)) add = 2 * (uint64_t)mp_rd16(c->p + 1); break;
		case 0xdf: hdr = 5; if (MP_NEED(c, 5)) add = 2 * (uint64_t)mp_rd32(c->p + 1); break;
		default: c->err = 1; return -1; /* 0xc1: never used */
		}
		if (!MP_NEED(c, hdr + skip)) { c->err = 1; break; }
		c->p += hdr + skip;
		pending += add;
		if (pending > (uint64_t)(c->end - c->p)) { c->err = 1; break; }
	}
	return c->err ? -1 : 0;
}

#endif
