/*
 * reader_frame.c - the reader's frame layer: find the next zstd frame in the
 * segment's compressed bytes (skippable frames passed over, garbage skipped
 * to the next frame magic with a warning), check its size against
 * FMT_FRAME_MAX and decompress it for the decoder.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "reader_int.h"

static void resync(struct ingero_reader *r)
{
	size_t pos = r->cstart + 1;
	for (;;) {
		for (; pos + 4 <= r->clen; pos++)
			if (r->cb[pos] == 0x28 && le32(r->cb + pos) == FMT_ZSTD_MAGIC) {
				r->cstart = pos;
				return;
			}
		if (r->ceof) {
			r->cstart = r->clen;
			return;
		}
		/* keep the last 3 bytes: a magic may straddle the refill */
		r->cstart = pos > r->clen ? r->clen : pos;
		if (rd_fill(r) < 0) {
			r->cstart = r->clen;
			return;
		}
		pos = r->cstart;
	}
}

/* Decompress a frame of unknown content size: 1 ok, 0 corrupt (r->zerr),
 * <0 fatal. */
static int stream_frame(struct ingero_reader *r, const uint8_t *src, size_t csz, size_t *out)
{
	ZSTD_inBuffer in = { src, csz, 0 };
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	*out = 0;
	for (;;) {
		if (r->dcap - *out < (64u << 10)) {
			if (r->dcap >= (size_t)FMT_FRAME_MAX + 1) {
				snprintf(r->zerr, sizeof(r->zerr), "frame exceeds the 64 MiB limit");
				return 0;
			}
			size_t cap = r->dcap ? r->dcap * 2 : DBUF_INIT;
			if (cap > (size_t)FMT_FRAME_MAX + 1)
				cap = (size_t)FMT_FRAME_MAX + 1;
			uint8_t *nb = realloc(r->db, cap);
			if (!nb)
				return rd_fatal(r, INGERO_ENOMEM, 0, "out of memory");
			r->db = nb;
			r->dcap = cap;
		}
		ZSTD_outBuffer o = { r->db, r->dcap - 1, *out };
		size_t k = ZSTD_decompressStream(r->dctx, &o, &in);
		*out = o.pos;
		if (ZSTD_isError(k)) {
			snprintf(r->zerr, sizeof(r->zerr), "%s", ZSTD_getErrorName(k));
			return 0;
		}
		if (k == 0)
			return 1;
		if (*out > FMT_FRAME_MAX) {
			snprintf(r->zerr, sizeof(r->zerr), "frame exceeds the 64 MiB limit");
			return 0;
		}
		if (in.pos == in.size && o.pos < o.size) {
			snprintf(r->zerr, sizeof(r->zerr), "truncated frame");
			return 0;
		}
	}
}

/* Load the next complete frame of the segment into db: 1 loaded, 0 the
 * segment is exhausted, <0 fatal (ENOMEM). */
int rd_load_frame(struct ingero_reader *r)
{
	for (;;) {
		while (r->clen - r->cstart < 8 && !r->ceof)
			if (rd_fill(r) < 0)
				return INGERO_ENOMEM;
		size_t avail = r->clen - r->cstart;
		uint64_t off = r->cbase + r->cstart;
		if (avail == 0) {
			if (off == 0 && r->seg_count >= 1)
				rd_warn(r, INGERO_ETRUNC, 0, "empty segment at byte 0");
			return 0;
		}
		if (avail < 4) {
			rd_warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu", (unsigned long long)off);
			r->cstart = r->clen;
			return 0;
		}
		uint32_t magic = le32(r->cb + r->cstart);
		if (is_skippable(magic)) {
			if (avail < 8) {
				rd_warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
				     (unsigned long long)off);
				r->cstart = r->clen;
				return 0;
			}
			uint64_t left = 8 + (uint64_t)le32(r->cb + r->cstart + 4);
			while (left) {
				size_t have = r->clen - r->cstart;
				size_t k = have < left ? have : (size_t)left;
				r->cstart += k;
				left -= k;
				if (left && rd_fill(r) <= 0 && r->clen == r->cstart) {
					rd_warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
					     (unsigned long long)off);
					return 0;
				}
			}
			continue;
		}
		if (magic != FMT_ZSTD_MAGIC) {
			rd_warn(r, INGERO_ECORRUPT, off, "bad frame magic at byte %llu", (unsigned long long)off);
			resync(r);
			continue;
		}
		size_t csz, d;
		for (;;) {
			csz = ZSTD_findFrameCompressedSize(r->cb + r->cstart, avail);
			if (!ZSTD_isError(csz))
				break;
			if (ZSTD_getErrorCode(csz) != ZSTD_error_srcSize_wrong) {
				rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
				     (unsigned long long)off, ZSTD_getErrorName(csz));
				goto bad;
			}
			if (r->ceof) {
				rd_warn(r, INGERO_ETRUNC, off, "truncated frame at byte %llu",
				     (unsigned long long)off);
				r->cstart = r->clen;
				return 0;
			}
			if (avail > CBUF_MAX) {
				rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame too large",
				     (unsigned long long)off);
				goto bad;
			}
			int k = rd_fill(r);
			if (k < 0 && k != -1)
				return k;
			if (k == -1) {
				rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame too large",
				     (unsigned long long)off);
				goto bad;
			}
			avail = r->clen - r->cstart;
		}
		const uint8_t *src = r->cb + r->cstart;
		unsigned long long fcs = ZSTD_getFrameContentSize(src, csz);
		if (fcs == ZSTD_CONTENTSIZE_ERROR) {
			rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: bad frame header",
			     (unsigned long long)off);
			goto bad;
		}
		if (fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
			/* e.g. `zstd` fed from a pipe: stream into a growing buffer */
			d = 0;
			int k = stream_frame(r, src, csz, &d);
			if (k < 0)
				return k;
			if (k == 0) {
				rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
				     (unsigned long long)off, r->zerr);
				goto bad;
			}
			r->cstart += csz;
			if (d == 0)
				continue;
			goto loaded_d;
		}
		if (fcs > FMT_FRAME_MAX) {
			rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: frame of %llu bytes exceeds the 64 MiB limit",
			     (unsigned long long)off, fcs);
			goto bad;
		}
		if (fcs + 1 > r->dcap) {
			size_t cap = r->dcap ? r->dcap : 1 << 16;
			while (cap < fcs + 1)
				cap *= 2;
			uint8_t *nb = realloc(r->db, cap);
			if (!nb)
				return rd_fatal(r, INGERO_ENOMEM, off, "out of memory");
			r->db = nb;
			r->dcap = cap;
		}
		d = ZSTD_decompressDCtx(r->dctx, r->db, (size_t)fcs, src, csz);
		if (ZSTD_isError(d)) {
			rd_warn(r, INGERO_ECORRUPT, off, "corrupt frame at byte %llu: %s",
			     (unsigned long long)off, ZSTD_getErrorName(d));
			goto bad;
		}
		r->cstart += csz;
		if (d == 0)
			continue;
		{
loaded_d:;
		}
		r->cur.p = r->db;
		r->cur.end = r->db + d;
		r->cur.err = 0;
		r->frame_off = off;
		r->in_frame = 1;
		r->first_in_frame = 1;
		r->prev_end = 0;
		r->frame_base = 0;
		r->node_gaps = 0;
		r->epoch++;
		r->tbits = 0;
		r->node = 0;
		r->seg_frames_ok++;
		return 1;
bad:
		resync(r);
	}
}
