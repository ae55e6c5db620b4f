/*
 * perfetto_out.c - ingero-perfetto output: packets gathered in 256 KB chunks,
 * written as is or deflated into TracePacket.compressed_packets by one worker
 * thread (in order, so the output stays deterministic).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"


static void out_write(struct px *px, const void *p, size_t n)
{
	if (px->err || !n) return;
	if (fwrite(p, 1, n, px->out) != n) px->err = errno ? errno : EIO;
	px->st.bytes += n;
}

/* deflate (zlib) one chunk into TracePacket.compressed_packets and write it:
 * one Trace fragment per chunk, each well below Perfetto's 512 KB bound */
static void deflate_chunk(struct px *px, const struct pb_buf *in)
{
	uLong bound = compressBound(in->len);
	uint8_t *z = xrealloc(NULL, bound);
	if (!px->zinit) {
		memset(&px->z, 0, sizeof px->z);
		if (deflateInit2(&px->z, 1, Z_DEFLATED, 15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
			ig_die("zlib init failed");
		}
		px->zinit = 1;
	} else {
		deflateReset(&px->z);
	}
	px->z.next_in = in->p;
	px->z.avail_in = (uInt)in->len;
	px->z.next_out = z;
	px->z.avail_out = (uInt)bound;
	if (deflate(&px->z, Z_FINISH) != Z_STREAM_END) ig_die("zlib failed");
	size_t zn = bound - px->z.avail_out;
	struct pb_buf o = { 0 };
	size_t p = pb_begin(&o, 1);
	pb_bytes(&o, TP_COMPRESSED, z, zn);
	pb_end(&o, p);
	if (o.oom) ig_die("out of memory");
	out_write(px, o.p, o.len);
	pb_free(&o);
	free(z);
}

static void *zq_worker(void *arg)
{
	struct px *px = arg;
	pthread_mutex_lock(&px->zq.mu);
	for (;;) {
		while (!px->zq.count && !px->zq.done)
			pthread_cond_wait(&px->zq.cv_work, &px->zq.mu);
		if (!px->zq.count) break;
		struct pb_buf *b = &px->zq.slot[px->zq.head];
		pthread_mutex_unlock(&px->zq.mu);
		deflate_chunk(px, b);
		pb_clear(b);
		pthread_mutex_lock(&px->zq.mu);
		px->zq.head = (px->zq.head + 1) % ZQ_SLOTS;
		px->zq.count--;
		pthread_cond_signal(&px->zq.cv_space);
	}
	pthread_mutex_unlock(&px->zq.mu);
	return NULL;
}

void zq_finish(struct px *px)
{
	if (!px->zq.started) return;
	pthread_mutex_lock(&px->zq.mu);
	px->zq.done = 1;
	pthread_cond_signal(&px->zq.cv_work);
	pthread_mutex_unlock(&px->zq.mu);
	pthread_join(px->zq.th, NULL);
	px->zq.started = 0;
	for (int i = 0; i < ZQ_SLOTS; i++) pb_free(&px->zq.slot[i]);
}

void flush_buf(struct px *px)
{
	if (!px->buf.len) return;
	if (px->buf.oom) ig_die("out of memory");
	if (!px->o.compress) {
		out_write(px, px->buf.p, px->buf.len);
		pb_clear(&px->buf);
		return;
	}
	if (!px->zq.started) {
		pthread_mutex_init(&px->zq.mu, NULL);
		pthread_cond_init(&px->zq.cv_work, NULL);
		pthread_cond_init(&px->zq.cv_space, NULL);
		if (pthread_create(&px->zq.th, NULL, zq_worker, px) != 0) {
			deflate_chunk(px, &px->buf); /* no thread: compress inline */
			pb_clear(&px->buf);
			return;
		}
		px->zq.started = 1;
	}
	pthread_mutex_lock(&px->zq.mu);
	while (px->zq.count == ZQ_SLOTS)
		pthread_cond_wait(&px->zq.cv_space, &px->zq.mu);
	/* hand the filled buffer over; keep the slot's old allocation */
	unsigned i = (px->zq.head + px->zq.count) % ZQ_SLOTS;
	struct pb_buf t = px->zq.slot[i];
	px->zq.slot[i] = px->buf;
	px->buf = t;
	pb_clear(&px->buf);
	px->zq.count++;
	pthread_cond_signal(&px->zq.cv_work);
	pthread_mutex_unlock(&px->zq.mu);
}

/* Append px->pkt as one Trace.packet. */
void emit_packet(struct px *px)
{
	pb_bytes(&px->buf, 1, px->pkt.p, px->pkt.len);
	px->st.packets++;
	pb_clear(&px->pkt);
	if (px->buf.len >= FLUSH_BYTES) flush_buf(px);
}
