/* writer_int.h - the segment writer's state, shared by writer.c (files,
 * frames, events) and writer_rec.c (the other record kinds).  Private to
 * formats/. */
#ifndef INGERO_WRITER_INT_H
#define INGERO_WRITER_INT_H

#include <string.h>
#include <zstd.h>

#include "fmt_int.h"
#include "mp_int.h"

struct seg_info {
	uint32_t no;
	uint64_t size;
};

struct ingero_writer {
	struct ingero_writer_opts o;
	struct ingero_header hdr;  /* strings owned */
	char *dir, *path;
	int fd, own_fd;
	uint32_t seg_no;
	uint64_t seg_bytes, total_bytes, deleted;
	int seg_have_ts;
	uint64_t seg_first_ts, seg_last_ts;
	uint64_t seg_events, seg_min, seg_max, seg_lost;
	int hdr_pending;

	uint8_t *fb;
	size_t flen, fcap;
	int frame_open, frame_have_ts;
	uint64_t frame_seq, frame_first_ts, prev_end;
	uint32_t cur_node;
	/* packed events: tbits of the open frame, and the bit lengths of the
	 * gaps written in it (the next frame's tbits come from them) */
	uint32_t tbits;
	uint32_t ghist[66];
	uint32_t gcount;
	uint8_t twidth[256];   /* widest T so far in the frame, per (source << 5 | op) mod 256 */
	/* o.node_gaps: per node, the end of its last event in the frame
	 * (valid when nb_epoch[node] == epoch, else the frame's base_ts) */
	uint64_t *nb_end;
	uint32_t *nb_epoch;
	uint32_t nb_cap, epoch;
	uint64_t frame_base;

	ZSTD_CCtx *cctx;
	uint8_t *cb;
	size_t ccap;

	struct seg_info *segs;
	size_t nsegs, capsegs;
	struct ingero_error err;
	int failed, in_rotate;
	int transient;          /* failed only by a dropped frame's write: cleared by the next good one */
};

/* writer.c */
int wr_werr(struct ingero_writer *w, int code, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int wr_reserve(struct ingero_writer *w, size_t n);
int wr_frame_begin(struct ingero_writer *w, int have_ts, uint64_t ts);
int wr_frame_close(struct ingero_writer *w, int may_rotate);

static inline uint8_t *put_cstr(uint8_t *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return mp_put_str(p, s ? s : "", (uint32_t)n);
}

static inline size_t slen(const char *s)
{
	return s ? strlen(s) + 5 : 5;
}

static inline void seg_note_ts(struct ingero_writer *w, uint64_t ts)
{
	if (!w->seg_have_ts) {
		w->seg_have_ts = 1;
		w->seg_first_ts = w->seg_last_ts = ts;
	} else if (ts > w->seg_last_ts) {
		w->seg_last_ts = ts;
	}
}

/* Open a frame for a record with (optional) timestamp ts, closing the current
 * one first when the time span or size bound is reached. */
static inline int frame_for(struct ingero_writer *w, int have_ts, uint64_t ts, size_t need)
{
	int r;
	if (w->frame_open &&
	    ((have_ts && w->frame_have_ts && ts > w->frame_first_ts &&
	      ts - w->frame_first_ts >= w->o.frame_max_ns) ||
	     w->flen >= w->o.frame_max_bytes)) {
		if ((r = wr_frame_close(w, 1)))
			return r;
	}
	if (!w->frame_open && (r = wr_frame_begin(w, have_ts, ts)))
		return r;
	if (have_ts && !w->frame_have_ts) {
		w->frame_have_ts = 1;
		w->frame_first_ts = ts;
	}
	if (wr_reserve(w, need))
		return wr_werr(w, INGERO_ENOMEM, 0, "out of memory");
	return 0;
}

#endif
