/*
 * perfetto_pb.h - a tiny protobuf writer (varints, fixed64, length-delimited
 * fields, nested messages) for Perfetto's TracePacket stream.
 *
 * Wire format: tag = field << 3 | wire type; wire types 0 varint, 1 fixed64,
 * 2 length-delimited.  Repeated fields are written one entry per field (never
 * packed), as Perfetto's importer expects.
 *
 * Memory: a pb_buf grows with realloc; on allocation failure it sets
 * `oom` and drops further writes (check pb_buf.oom once per packet).
 */
#ifndef INGERO_PERFETTO_PB_H
#define INGERO_PERFETTO_PB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pb_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

int pb_reserve_slow(struct pb_buf *b, size_t extra);
static inline int pb_reserve(struct pb_buf *b, size_t extra)
{
	if (b->len + extra <= b->cap) return 0;
	return pb_reserve_slow(b, extra);
}
void pb_free(struct pb_buf *b);
static inline void pb_clear(struct pb_buf *b) { b->len = 0; }

static inline size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) { v >>= 7; n++; }
	return n;
}
static inline void pb_varint(struct pb_buf *b, uint64_t v)
{
	if (pb_reserve(b, 10)) return;
	uint8_t *q = b->p + b->len;
	while (v >= 0x80) { *q++ = (uint8_t)(v | 0x80); v >>= 7; }
	*q++ = (uint8_t)v;
	b->len = (size_t)(q - b->p);
}
static inline void pb_tag(struct pb_buf *b, unsigned field, unsigned wt)
{
	pb_varint(b, (uint64_t)field << 3 | wt);
}
static inline void pb_uint(struct pb_buf *b, unsigned field, uint64_t v)
{
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}
/* int32/int64 fields: negative values are sign-extended to 10 bytes */
static inline void pb_int(struct pb_buf *b, unsigned field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}
static inline void pb_fixed64(struct pb_buf *b, unsigned field, uint64_t v)
{
	pb_tag(b, field, PB_I64);
	if (pb_reserve(b, 8)) return;
	for (int i = 0; i < 8; i++) b->p[b->len++] = (uint8_t)(v >> (8 * i));
}
static inline void pb_double(struct pb_buf *b, unsigned field, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	pb_fixed64(b, field, v);
}
static inline void pb_bytes(struct pb_buf *b, unsigned field, const void *p, size_t n)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n);
	if (pb_reserve(b, n)) return;
	if (n) memcpy(b->p + b->len, p, n);
	b->len += n;
}
static inline void pb_str(struct pb_buf *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}
/* Nested message: pb_begin writes the tag and reserves one length byte;
 * pb_end patches the length (moving the body when it needs more bytes). */
static inline size_t pb_begin(struct pb_buf *b, unsigned field)
{
	pb_tag(b, field, PB_LEN);
	if (pb_reserve(b, 1)) return b->len;
	b->p[b->len++] = 0;
	return b->len;
}
void pb_end(struct pb_buf *b, size_t start);
/* Append another buffer's bytes as a length-delimited field. */
static inline void pb_sub(struct pb_buf *b, unsigned field, const struct pb_buf *sub)
{
	pb_bytes(b, field, sub->p, sub->len);
}

#endif
