/* perfetto_pb.c - growth and nested-length patching for the protobuf writer. */
#include <stdlib.h>

#include "perfetto_pb.h"

int pb_reserve_slow(struct pb_buf *b, size_t extra)
{
	if (b->oom) return -1;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra) cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) { b->oom = 1; return -1; }
	b->p = p;
	b->cap = cap;
	return 0;
}

void pb_free(struct pb_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void pb_end(struct pb_buf *b, size_t start)
{
	if (b->oom || start == 0 || start > b->len) return;
	size_t n = b->len - start, need = pb_varint_len(n);
	if (need > 1) {
		if (pb_reserve(b, need - 1)) return;
		memmove(b->p + start + need - 1, b->p + start, n);
		b->len += need - 1;
	}
	uint8_t *q = b->p + start - 1;
	uint64_t v = n;
	while (v >= 0x80) { *q++ = (uint8_t)(v | 0x80); v >>= 7; }
	*q = (uint8_t)v;
}
