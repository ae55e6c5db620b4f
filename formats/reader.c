/*
 * reader.c - reads a segment file, a recording directory, a tar bundle
 * (through libarchive, in place) or stdin, frame by frame.  A damaged frame
 * is a warning: records before it are kept and reading resumes at the next
 * zstd frame magic.  Memory is bounded: a frame decompresses to at most
 * FMT_FRAME_MAX bytes and every msgpack length is checked against the bytes
 * actually present.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "reader_int.h"

void rd_warn(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
{
	struct ingero_error e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	e.code = code;
	e.offset = off;
	snprintf(e.file, sizeof(e.file), "%s", r->curfile);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	r->nwarn++;
	r->last_warn = e;
	if (r->seg_active && !r->opening && r->seg_nwarn++ >= SEG_WARN_SHOWN) {
		r->seg_supp++;
		r->supp_last = e;
		return;
	}
	if (r->opening) {
		if (r->npend < sizeof(r->pend) / sizeof(r->pend[0]))
			r->pend[r->npend++] = e;
		return;
	}
	if (r->warn_fn)
		r->warn_fn(r->warn_ctx, &e);
}

int rd_fatal(struct ingero_reader *r, int code, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	struct ingero_error *e = &r->last_warn;
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->offset = off;
	snprintf(e->file, sizeof(e->file), "%s", r->curfile);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	r->fatal = code;
	return code;
}

int ingero_reader_next(struct ingero_reader *r, struct ingero_record *rec)
{
	if (!r || !rec)
		return INGERO_EINVAL;
	if (r->npend) {
		for (unsigned i = 0; i < r->npend; i++)
			if (r->warn_fn)
				r->warn_fn(r->warn_ctx, &r->pend[i]);
		r->npend = 0;
	}
	for (;;) {
		if (r->fatal)
			return r->fatal;
		if (r->in_frame) {
			if (r->cur.p >= r->cur.end) {
				r->in_frame = 0;
				continue;
			}
			const uint8_t *at = r->cur.p;
			int first = r->first_in_frame;
			r->first_in_frame = 0;
			int k = rd_decode(r, rec);
			if (k == 1) {
				if (rec->kind == INGERO_REC_HEADER) {
					if (!r->have_hdr && rd_keep_header(r, &rec->u.hdr))
						return rd_fatal(r, INGERO_ENOMEM, r->frame_off, "out of memory");
				} else if (first && r->seg_count == 1 && r->seg_frames_ok == 1 &&
					   !r->have_hdr && r->frame_off == 0) {
					return rd_fatal(r, INGERO_EFORMAT, 0,
							 "not an Ingero recording (no header) at byte 0");
				}
				return 1;
			}
			if (k == 0)
				continue;
			uint64_t at_off = (uint64_t)(at - r->db);
			if (k == INGERO_ECRITICAL)
				return rd_fatal(r, k, r->frame_off,
						 "record kind %d must be understood by a newer reader at byte %llu",
						 rec->kind, (unsigned long long)r->frame_off);
			if (k == INGERO_EFORMAT && first && r->seg_count == 1 && !r->have_hdr)
				return rd_fatal(r, k, r->frame_off,
						 "not an Ingero recording or unsupported version at byte %llu",
						 (unsigned long long)r->frame_off);
			if (first && r->frame_off == 0 && r->seg_count == 1 && !r->have_hdr)
				return rd_fatal(r, INGERO_EFORMAT, 0,
						 "not an Ingero recording (no header) at byte 0");
			rd_warn(r, INGERO_ECORRUPT, r->frame_off,
			     "bad record (decompressed offset %llu) in frame at byte %llu",
			     (unsigned long long)at_off, (unsigned long long)r->frame_off);
			r->in_frame = 0;
			continue;
		}
		if (r->seg_active) {
			int k = rd_load_frame(r);
			if (k == 1)
				continue;
			if (k < 0)
				return r->fatal ? r->fatal : rd_fatal(r, k, 0, "out of memory");
			rd_end_segment(r);
			continue;
		}
		int k = rd_next_segment(r);
		if (k <= 0)
			return k;
	}
}

/*
 * One decompression context kept from the last closed reader for the next
 * open (a context is ~100 KB plus its window buffers: creating one per
 * reader dominated tools that open many small inputs, and the fuzzer).
 * One slot, swapped atomically, so readers in several threads stay safe;
 * a context that grew past DCTX_KEEP (a huge window) is freed instead.
 */
#define DCTX_KEEP (16u << 20)
static ZSTD_DCtx *spare_dctx;

static ZSTD_DCtx *dctx_get(void)
{
	ZSTD_DCtx *d = __atomic_exchange_n(&spare_dctx, NULL, __ATOMIC_ACQ_REL);
	if (!d)
		return ZSTD_createDCtx();
	ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
	return d;
}

static void dctx_put(ZSTD_DCtx *d)
{
	if (!d)
		return;
	if (ZSTD_sizeof_DCtx(d) > DCTX_KEEP) {
		ZSTD_freeDCtx(d);
		return;
	}
	ZSTD_freeDCtx(__atomic_exchange_n(&spare_dctx, d, __ATOMIC_ACQ_REL));
}

static int reader_open(struct ingero_reader **rp, const char *path, const void *buf, size_t len,
		       struct ingero_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!rp || !path || (buf == NULL && len))
		return fmt_seterr(err, INGERO_EINVAL, 0, "", 0, "no input");
	*rp = NULL;
	struct ingero_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
	r->fd = -1;
	r->path = strdup(!buf && !strcmp(path, "-") ? "<stdin>" : path);
	r->dctx = dctx_get();
	if (buf) {
		r->is_mem = 1;
		r->mem = buf;
		r->mem_len = len;
	}
	int code = 0;
	if (!r->path || !r->dctx) {
		code = fmt_seterr(err, INGERO_ENOMEM, 0, path, 0, "out of memory");
		goto fail;
	}
	snprintf(r->curfile, sizeof(r->curfile), "%s", r->path);
	if ((code = rd_open_source(r, path, err)))
		goto fail;
	*rp = r;
	return 0;
fail:
	ingero_reader_close(r);
	return code;
}

int ingero_reader_open(struct ingero_reader **rp, const char *path, struct ingero_error *err)
{
	return reader_open(rp, path, NULL, 0, err);
}

int ingero_reader_open_mem(struct ingero_reader **rp, const void *buf, size_t len, const char *name,
			   struct ingero_error *err)
{
	static const uint8_t empty[1];
	return reader_open(rp, name ? name : "<memory>", buf ? buf : (len ? NULL : empty), len, err);
}

void ingero_reader_set_warn(struct ingero_reader *r, ingero_warn_fn fn, void *ctx)
{
	if (!r)
		return;
	r->warn_fn = fn;
	r->warn_ctx = ctx;
}

const struct ingero_header *ingero_reader_header(const struct ingero_reader *r)
{
	return r && r->have_hdr ? &r->hdr : NULL;
}

unsigned ingero_reader_warnings(const struct ingero_reader *r)
{
	return r ? r->nwarn : 0;
}

const struct ingero_error *ingero_reader_last_warning(const struct ingero_reader *r)
{
	return r && (r->nwarn || r->fatal) ? &r->last_warn : NULL;
}

uint64_t ingero_reader_bytes(const struct ingero_reader *r)
{
	return r ? __atomic_load_n(&r->nbytes, __ATOMIC_RELAXED) : 0;
}

void ingero_reader_close(struct ingero_reader *r)
{
	if (!r)
		return;
	if (r->ar)
		archive_read_free(r->ar);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	for (int i = 0; i < 7; i++)
		free(r->hdr_str[i]);
	dctx_put(r->dctx);
	free(r->rdbuf);
	free(r->cb);
	free(r->db);
	free(r->nb_end);
	free(r->nb_epoch);
	free(r->peek);
	free(r->last_entry);
	for (size_t i = 0; i < r->norder; i++)
		free(r->order[i]);
	free(r->order);
	free(r->path);
	free(r);
}
