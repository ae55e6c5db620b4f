/*
 * writer.c - segment writer: records -> msgpack -> zstd frames -> seg-NNNNNN.igz
 * (files, frames, packed events; the other record kinds: writer_rec.c).
 * Layout in docs/format.md.  Deterministic: frame and segment boundaries
 * depend only on record bytes and record timestamps, never on wall time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "writer_int.h"


int fmt_seterr(struct ingero_error *e, int code, int sys_errno, const char *file,
	       uint64_t off, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	e->code = code;
	e->sys_errno = sys_errno;
	e->offset = off;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int wr_werr(struct ingero_writer *w, int code, int sys_errno, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->failed) {
		char file[600];
		if (w->path)
			snprintf(file, sizeof(file), "%s", w->path);
		else
			snprintf(file, sizeof(file), "%s/seg-%06u.igz", w->dir, w->seg_no);
		fmt_seterr(&w->err, code, sys_errno, file, w->seg_bytes, "%s", msg);
		w->failed = 1;
	}
	return code;
}

int wr_reserve(struct ingero_writer *w, size_t n)
{
	if (w->flen + n <= w->fcap)
		return 0;
	size_t cap = w->fcap ? w->fcap : 1 << 16;
	while (cap < w->flen + n)
		cap *= 2;
	uint8_t *nb = realloc(w->fb, cap);
	if (!nb)
		return INGERO_ENOMEM;
	w->fb = nb;
	w->fcap = cap;
	return 0;
}

/* ------------------------------------------------------------ files */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int do_sync(int fd, int data_only)
{
	int r = data_only ? fdatasync(fd) : fsync(fd);
	if (r < 0 && (errno == EINVAL || errno == EROFS || errno == ENOTSUP))
		r = 0;   /* pipes, /dev/full, ... */
	return r;
}

static int budget_enforce(struct ingero_writer *w)
{
	if (!w->o.disk_budget || !w->dir)
		return 0;
	uint64_t total = w->seg_bytes;
	for (size_t i = 0; i < w->nsegs; i++)
		total += w->segs[i].size;
	size_t k = 0;
	while (k < w->nsegs && total > w->o.disk_budget) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/seg-%06u.igz", w->dir, w->segs[k].no);
		if (unlink(p) < 0 && errno != ENOENT)
			return wr_werr(w, INGERO_EIO, errno, "cannot delete '%s': %s", p, strerror(errno));
		total -= w->segs[k].size;
		w->deleted++;
		k++;
	}
	if (k) {
		memmove(w->segs, w->segs + k, (w->nsegs - k) * sizeof(*w->segs));
		w->nsegs -= k;
	}
	return 0;
}

static int seg_open(struct ingero_writer *w)
{
	mode_t mode = w->o.file_mode ? w->o.file_mode : 0640;
	if (w->path) {
		if (!strcmp(w->path, "-")) {
			w->fd = 1;
			w->own_fd = 0;
		} else {
			w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
			if (w->fd < 0)
				return wr_werr(w, INGERO_EIO, errno, "cannot create: %s", strerror(errno));
			w->own_fd = 1;
		}
	} else {
		char p[4200];
		snprintf(p, sizeof(p), "%s/seg-%06u.igz", w->dir, w->seg_no);
		w->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
		if (w->fd < 0)
			return wr_werr(w, INGERO_EIO, errno, "cannot create: %s", strerror(errno));
		w->own_fd = 1;
		if (fchmod(w->fd, mode) < 0) { /* umask must not widen/narrow it */ }
	}
	w->seg_bytes = 0;
	w->seg_have_ts = 0;
	w->seg_events = w->seg_lost = w->seg_max = 0;
	w->seg_min = 0;
	w->frame_seq = 0;
	w->hdr_pending = 1;
	w->hdr.segment = w->seg_no;
	return budget_enforce(w);
}

/* ------------------------------------------------------------ encoding */


static const char *const hdr_keys[] = { "node", "host", "boot_id", "kernel", "recorder",
	"cmdline", "clock", "start_ts", "segment", "rank", "anchor_boottime",
	"anchor_realtime", "anchor_monotonic", "anchor_error_ns", "ops" };

static int put_header(struct ingero_writer *w)
{
	const struct ingero_header *h = &w->hdr;
	size_t need = 512 + slen(h->node) + slen(h->host) + slen(h->boot_id) + slen(h->kernel) +
		      slen(h->recorder) + slen(h->cmdline) + slen(h->clock) + 64 * 40;
	if (wr_reserve(w, need))
		return INGERO_ENOMEM;
	uint8_t *p = w->fb + w->flen;
	p = mp_put_array(p, 5);
	*p++ = INGERO_REC_HEADER;
	p = mp_put_str(p, INGERO_MAGIC, sizeof(INGERO_MAGIC) - 1);
	p = mp_put_uint(p, INGERO_FORMAT_MAJOR);
	p = mp_put_uint(p, w->hdr.minor);
	p = mp_put_map(p, sizeof(hdr_keys) / sizeof(hdr_keys[0]));
#define KEY(i) p = put_cstr(p, hdr_keys[i])
	KEY(0); p = put_cstr(p, h->node);
	KEY(1); p = put_cstr(p, h->host);
	KEY(2); p = put_cstr(p, h->boot_id);
	KEY(3); p = put_cstr(p, h->kernel);
	KEY(4); p = put_cstr(p, h->recorder);
	KEY(5); p = put_cstr(p, h->cmdline);
	KEY(6); p = put_cstr(p, h->clock && h->clock[0] ? h->clock : "boottime");
	KEY(7); p = mp_put_uint(p, h->start_ts);
	KEY(8); p = mp_put_uint(p, h->segment);
	KEY(9); p = mp_put_int(p, h->rank);
	KEY(10); p = mp_put_uint(p, h->anchor.boottime);
	KEY(11); p = mp_put_uint(p, h->anchor.realtime);
	KEY(12); p = mp_put_uint(p, h->anchor.monotonic);
	KEY(13); p = mp_put_uint(p, h->anchor.error_ns);
	KEY(14);
#undef KEY
	size_t nops;
	const struct ingero_op_info *ops = ingero_ops(&nops);
	p = mp_put_array(p, (uint32_t)nops);
	for (size_t i = 0; i < nops; i++) {
		p = mp_put_array(p, 3);
		p = mp_put_uint(p, ops[i].source);
		p = mp_put_uint(p, ops[i].op);
		p = put_cstr(p, ops[i].name);
	}
	w->flen = (size_t)(p - w->fb);
	if (h->anchor.boottime || h->anchor.realtime) {
		p = mp_put_array(p, 5);
		*p++ = INGERO_REC_ANCHOR;
		p = mp_put_uint(p, h->anchor.boottime);
		p = mp_put_uint(p, h->anchor.realtime);
		p = mp_put_uint(p, h->anchor.monotonic);
		p = mp_put_uint(p, h->anchor.error_ns);
		w->flen = (size_t)(p - w->fb);
	}
	return 0;
}

int wr_frame_begin(struct ingero_writer *w, int have_ts, uint64_t ts)
{
	if (wr_reserve(w, 64))
		return INGERO_ENOMEM;
	if (w->hdr_pending) {
		int r = put_header(w);
		if (r)
			return r;
		w->hdr_pending = 0;
		if (wr_reserve(w, 64))
			return INGERO_ENOMEM;
	}
	if (have_ts)
		w->prev_end = ts;
	if (w->frame_seq == 0) {
		w->tbits = FMT_TBITS_FIRST;
	} else if (w->gcount >= 64) {
		/* smallest width holding 99.8% of the previous frame's gaps (an
		 * escaped event costs two more elements; a wider T one more bit) */
		uint64_t want = (uint64_t)w->gcount * 998 / 1000, acc = 0;
		uint32_t b = 0;
		for (; b < FMT_TBITS_MAX; b++) {
			acc += w->ghist[b];
			if (acc >= want)
				break;
		}
		w->tbits = b ? b : 1;
	}
	memset(w->ghist, 0, sizeof(w->ghist));
	memset(w->twidth, 0, sizeof(w->twidth));
	w->gcount = 0;
	uint8_t *p = w->fb + w->flen;
	p = mp_put_array(p, 4);
	*p++ = INGERO_REC_FRAME;
	p = mp_put_uint(p, w->frame_seq);
	p = mp_put_uint(p, w->prev_end);
	p = mp_put_uint(p, w->tbits);
	w->frame_base = w->prev_end;
	w->epoch++;
	if (w->o.node_gaps) {
		p = mp_put_array(p, 1);
		*p++ = FMT_REC_NODE_GAPS;
	}
	if (w->cur_node) {
		p = mp_put_array(p, 2);
		*p++ = INGERO_REC_CTX;
		p = mp_put_uint(p, w->cur_node);
	}
	w->flen = (size_t)(p - w->fb);
	w->frame_open = 1;
	w->frame_have_ts = have_ts;
	w->frame_first_ts = ts;
	return 0;
}

static int seg_rotate(struct ingero_writer *w);

/* Compress and write the open frame.  On a failed write the file is cut back
 * to the end of the previous frame, so earlier frames stay readable. */
int wr_frame_close(struct ingero_writer *w, int may_rotate)
{
	if (!w->frame_open)
		return 0;
	size_t bound = ZSTD_compressBound(w->flen);
	if (bound > w->ccap) {
		uint8_t *nb = realloc(w->cb, bound);
		if (!nb)
			return wr_werr(w, INGERO_ENOMEM, 0, "out of memory");
		w->cb = nb;
		w->ccap = bound;
	}
	size_t n = ZSTD_compress2(w->cctx, w->cb, w->ccap, w->fb, w->flen);
	int had_hdr = w->flen && w->frame_seq == 0 && w->seg_bytes == 0;
	w->flen = 0;
	w->frame_open = 0;
	if (ZSTD_isError(n))
		return wr_werr(w, INGERO_EIO, 0, "zstd: %s", ZSTD_getErrorName(n));
	if (write_all(w->fd, w->cb, n) < 0) {
		int e = errno;
		if (w->own_fd && ftruncate(w->fd, (off_t)w->seg_bytes) == 0)
			lseek(w->fd, (off_t)w->seg_bytes, SEEK_SET);
		if (had_hdr)
			w->hdr_pending = 1;
		int code = (e == ENOSPC || e == EDQUOT) ? INGERO_ENOSPC : INGERO_EIO;
		/* not sticky: a later frame may succeed when space comes back */
		char file[600];
		if (w->path)
			snprintf(file, sizeof(file), "%s", w->path);
		else
			snprintf(file, sizeof(file), "%s/seg-%06u.igz", w->dir, w->seg_no);
		fmt_seterr(&w->err, code, e, file, w->seg_bytes, "%s at byte %llu",
			   code == INGERO_ENOSPC ? "disk full, frame dropped" : strerror(e),
			   (unsigned long long)w->seg_bytes);
		if (!w->failed)
			w->transient = 1;
		w->failed = 1;
		return code;
	}
	if (w->transient) {
		/* the write that failed was retried by this one: recovered (the
		 * caller saw the error on that frame's append/flush) */
		w->failed = w->transient = 0;
		memset(&w->err, 0, sizeof(w->err));
	}
	w->seg_bytes += n;
	w->total_bytes += n;
	w->frame_seq++;
	if (w->o.fsync == INGERO_FSYNC_FRAME && w->own_fd && do_sync(w->fd, 1) < 0)
		return wr_werr(w, INGERO_EIO, errno, "fdatasync: %s", strerror(errno));
	if (may_rotate && w->dir && !w->in_rotate &&
	    (w->seg_bytes >= w->o.seg_max_bytes ||
	     (w->seg_have_ts && w->seg_last_ts - w->seg_first_ts >= w->o.seg_max_ns)))
		return seg_rotate(w);
	return 0;
}

static int put_footer(struct ingero_writer *w)
{
	int r;
	if (!w->frame_open && (r = wr_frame_begin(w, 0, 0)))
		return r;
	if (wr_reserve(w, 64))
		return INGERO_ENOMEM;
	uint8_t *p = w->fb + w->flen;
	p = mp_put_array(p, 5);
	*p++ = INGERO_REC_FOOTER;
	p = mp_put_uint(p, w->seg_events);
	p = mp_put_uint(p, w->seg_min);
	p = mp_put_uint(p, w->seg_max);
	p = mp_put_uint(p, w->seg_lost);
	w->flen = (size_t)(p - w->fb);
	return 0;
}

static int seg_finish(struct ingero_writer *w)
{
	int r = put_footer(w);
	if (!r)
		r = wr_frame_close(w, 0);
	if (w->own_fd && w->o.fsync != INGERO_FSYNC_NONE && do_sync(w->fd, 0) < 0 && !r)
		r = wr_werr(w, INGERO_EIO, errno, "fsync: %s", strerror(errno));
	if (w->own_fd)
		close(w->fd);
	w->fd = -1;
	return r;
}

static int seg_rotate(struct ingero_writer *w)
{
	int r = seg_finish(w);
	if (r && r != INGERO_ENOSPC)
		return r;
	if (w->nsegs == w->capsegs) {
		size_t cap = w->capsegs ? w->capsegs * 2 : 16;
		struct seg_info *ns = realloc(w->segs, cap * sizeof(*ns));
		if (!ns)
			return wr_werr(w, INGERO_ENOMEM, 0, "out of memory");
		w->segs = ns;
		w->capsegs = cap;
	}
	w->segs[w->nsegs++] = (struct seg_info){ w->seg_no, w->seg_bytes };
	w->seg_no++;
	int r2 = seg_open(w);
	if (r2)
		return r2;
	if (w->o.on_rotate) {
		w->in_rotate = 1;   /* no nested rotation from the callback's appends */
		w->o.on_rotate(w->o.rotate_ctx, w);
		w->in_rotate = 0;
	}
	return r;
}

/* ------------------------------------------------------------ API */

static char *dupstr(const char *s)
{
	return strdup(s ? s : "");
}

static uint32_t highest_segment(const char *dir)
{
	DIR *d = opendir(dir);
	uint32_t hi = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned n;
		char tail[8];
		if (sscanf(de->d_name, "seg-%u.ig%7s", &n, tail) == 2 && !strcmp(tail, "z") && n > hi)
			hi = n;
	}
	closedir(d);
	return hi;
}

/* One compression context kept from the last closed writer for the next
 * open (a context and its tables are ~1 MB at level 1: tools and fuzz
 * targets that write many small outputs paid for it each time); one slot,
 * swapped atomically; a context grown past 16 MB (a high level) is freed. */
static ZSTD_CCtx *spare_cctx;

static ZSTD_CCtx *cctx_get(void)
{
	ZSTD_CCtx *c = __atomic_exchange_n(&spare_cctx, NULL, __ATOMIC_ACQ_REL);
	if (!c)
		return ZSTD_createCCtx();
	ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
	return c;
}

static void cctx_put(ZSTD_CCtx *c)
{
	if (!c)
		return;
	if (ZSTD_sizeof_CCtx(c) > (16u << 20)) {
		ZSTD_freeCCtx(c);
		return;
	}
	ZSTD_freeCCtx(__atomic_exchange_n(&spare_cctx, c, __ATOMIC_ACQ_REL));
}

int ingero_writer_open(struct ingero_writer **wp, const struct ingero_writer_opts *o,
		       struct ingero_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!wp || !o || (!o->dir == !o->path))
		return fmt_seterr(err, INGERO_EINVAL, 0, "", 0, "writer needs exactly one of dir or path");
	*wp = NULL;
	struct ingero_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return fmt_seterr(err, INGERO_ENOMEM, 0, "", 0, "out of memory");
	w->fd = -1;
	w->o = *o;
	if (!w->o.seg_max_bytes) w->o.seg_max_bytes = 256ull << 20;
	if (!w->o.seg_max_ns) w->o.seg_max_ns = 3600ull * 1000000000ull;
	if (!w->o.frame_max_bytes) w->o.frame_max_bytes = 4u << 20;
	if (w->o.frame_max_bytes > FMT_FRAME_MAX / 2) w->o.frame_max_bytes = FMT_FRAME_MAX / 2;
	if (!w->o.frame_max_ns) w->o.frame_max_ns = 1000000000ull;
	/* Default: level 1 (beats 3 on event streams in size and speed) with a
	 * 4096-entry hash table (hashLog 12 instead of level 1's 14): packed
	 * event streams of a few thousand events/s come out 1-2% smaller, no
	 * slower (bench/format, docs/format.md section 7).  An explicit level
	 * is used as is. */
	int tuned = !w->o.zstd_level;
	if (!w->o.zstd_level) w->o.zstd_level = 1;
	w->hdr = o->hdr;
	w->hdr.major = INGERO_FORMAT_MAJOR;
	/* the lowest minor the output needs: 1.1 readers read everything
	 * but node events */
	w->hdr.minor = o->node_events ? INGERO_FORMAT_MINOR_NODE_EVENTS : INGERO_FORMAT_MINOR;
	w->hdr.node = dupstr(o->hdr.node);
	w->hdr.host = dupstr(o->hdr.host);
	w->hdr.boot_id = dupstr(o->hdr.boot_id);
	w->hdr.kernel = dupstr(o->hdr.kernel);
	w->hdr.recorder = dupstr(o->hdr.recorder);
	w->hdr.cmdline = dupstr(o->hdr.cmdline);
	w->hdr.clock = dupstr(o->hdr.clock && o->hdr.clock[0] ? o->hdr.clock : "boottime");
	w->dir = o->dir ? strdup(o->dir) : NULL;
	w->path = o->path ? strdup(o->path) : NULL;
	w->cctx = cctx_get();
	w->prev_end = o->hdr.start_ts;
	if (!w->hdr.node || !w->hdr.host || !w->hdr.boot_id || !w->hdr.kernel ||
	    !w->hdr.recorder || !w->hdr.cmdline || !w->hdr.clock || !w->cctx ||
	    (o->dir && !w->dir) || (o->path && !w->path)) {
		ingero_writer_close(w);
		return fmt_seterr(err, INGERO_ENOMEM, 0, "", 0, "out of memory");
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->o.zstd_level);
	if (tuned)
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_hashLog, 12);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
	if (w->dir) {
		struct stat st;
		if (stat(w->dir, &st) < 0 && mkdir(w->dir, 0750) < 0 && errno != EEXIST) {
			fmt_seterr(err, INGERO_EIO, errno, w->dir, 0, "cannot create directory: %s",
				   strerror(errno));
			ingero_writer_close(w);
			return err ? err->code : INGERO_EIO;
		}
		/* never clobber an earlier recording's segments */
		w->seg_no = highest_segment(w->dir) + 1;
	} else {
		w->seg_no = o->hdr.segment ? o->hdr.segment : 1;
	}
	int r = seg_open(w);
	if (r) {
		if (err)
			*err = w->err;
		w->fd = -1;
		ingero_writer_close(w);
		return r;
	}
	*wp = w;
	return 0;
}


/* the delta base of the current node's next event (o.node_gaps) */
static uint64_t *node_base(struct ingero_writer *w, uint32_t n, int *first)
{
	if (n >= w->nb_cap) {
		if (n >= FMT_NODE_GAPS_MAX)
			return NULL;
		uint32_t cap = w->nb_cap ? w->nb_cap : 16;
		while (cap <= n)
			cap *= 2;
		uint64_t *e = realloc(w->nb_end, cap * sizeof(*e));
		if (!e)
			return NULL;
		w->nb_end = e;
		uint32_t *g = realloc(w->nb_epoch, cap * sizeof(*g));
		if (!g)
			return NULL;
		w->nb_epoch = g;
		memset(g + w->nb_cap, 0, (cap - w->nb_cap) * sizeof(*g));
		w->nb_cap = cap;
	}
	if (w->nb_epoch[n] != w->epoch) {
		w->nb_epoch[n] = w->epoch;
		w->nb_end[n] = w->frame_base;
		*first = 1;
	}
	return &w->nb_end[n];
}

/* an event of node `node`: kind 64 (the CTX's node), or 66 (tagged) */
static int put_event(struct ingero_writer *w, const struct ingero_event *ev, int tagged,
		     uint32_t node)
{
	int r = frame_for(w, 1, ev->ts, 192);
	if (r)
		return r;
	/* tail in order of how often a field is non-zero, so trailing zeros go */
	uint64_t tail[10] = { ev->cpu, ev->stack_id, ev->arg[0], ev->arg[1], ev->arg[2],
			      ev->arg[3], ev->arg[4], ev->arg[5], (uint64_t)(int64_t)ev->ret,
			      ev->flags };
	unsigned nz = 0;   /* bit i: tail[i] != 0 (branch-free; the loop that
			    * trimmed zeros one by one was 2% of a merge) */
	for (int i = 0; i < 10; i++)
		nz |= (unsigned)(tail[i] != 0) << i;
	int n = nz ? 32 - __builtin_clz(nz) : 0;
	/* packed event: [64, source, op, pid, tid, tail..., T] with
	 * T = dur << tbits | dts when 0 <= dts < 2^tbits - 1 (and dur fits),
	 * else dts, dur, T = 2^tbits - 1.  The gap and the duration share one
	 * integer, so the bytes that change from event to event are few,
	 * adjacent and dense, and everything before them is one zstd match. */
	uint64_t *base = &w->prev_end;
	int first = 0;
	if (w->o.node_gaps && !(base = node_base(w, node, &first)))
		return wr_werr(w, INGERO_ENOMEM, 0, "out of memory (node %u)", node);
	int64_t dts = (int64_t)(ev->ts - *base);
	uint32_t K = w->tbits;
	uint64_t mask = (1ull << K) - 1;
	int esc = dts < 0 || (uint64_t)dts >= mask || (ev->dur >> (64 - K)) != 0;
	/* the gap statistics that choose the next frame's tbits: a node's first
	 * event in a node-gaps frame is measured from the frame's base, not
	 * from its own previous event, and says nothing about its gaps */
	if (!first) {
		uint32_t gb = dts < 0 ? 65 : (dts ? 64 - (uint32_t)__builtin_clzll((uint64_t)dts) : 0);
		w->ghist[gb]++;
		w->gcount++;
	}
	uint32_t cnt = 5 + (uint32_t)tagged + (uint32_t)n + (esc ? 3 : 1);
	uint8_t *p = w->fb + w->flen;
	if (cnt < 16) {
		*p++ = (uint8_t)(0x90 | cnt);
	} else {
		*p++ = 0xdc;
		p = mp_be16(p, (uint16_t)cnt);
	}
	if (tagged) {
		*p++ = FMT_REC_EVENT_NODE;
		p = mp_put_uint(p, node);
	} else {
		*p++ = FMT_REC_EVENT_PACKED;
	}
	p = mp_put_uint(p, ev->source);
	p = mp_put_uint(p, ev->op);
	p = mp_put_uint(p, ev->pid);
	p = mp_put_uint(p, ev->tid);
	for (int i = 0; i < n; i++)
		p = i == 8 ? mp_put_int(p, ev->ret) : mp_put_uint(p, tail[i]);
	if (esc) {
		p = mp_put_int(p, dts);
		p = mp_put_uint(p, ev->dur);
		p = mp_put_uint(p, mask);
	} else {
		/* T's width never shrinks within a frame for an op: events of an op
		 * keep one length, so zstd's repeat offsets keep matching */
		uint64_t T = ev->dur << K | (uint64_t)dts;
		uint8_t *tw = &w->twidth[(uint8_t)(ev->source << 5 | (ev->op & 31))];
		uint8_t wd = T < 0x80 ? 1 : T <= 0xff ? 2 : T <= 0xffff ? 3 : T <= 0xffffffffu ? 5 : 9;
		if (wd < *tw)
			wd = *tw;
		*tw = wd;
		switch (wd) {
		case 1: *p++ = (uint8_t)T; break;
		case 2: *p++ = 0xcc; *p++ = (uint8_t)T; break;
		case 3: *p++ = 0xcd; p = mp_be16(p, (uint16_t)T); break;
		case 5: *p++ = 0xce; p = mp_be32(p, (uint32_t)T); break;
		default: *p++ = 0xcf; p = mp_be64(p, T); break;
		}
	}
	w->flen = (size_t)(p - w->fb);
	*base = ev->ts + ev->dur;
	if (base != &w->prev_end)
		w->prev_end = ev->ts + ev->dur;
	seg_note_ts(w, ev->ts);
	if (!w->seg_events || ev->ts < w->seg_min)
		w->seg_min = ev->ts;
	if (ev->ts + ev->dur > w->seg_max)
		w->seg_max = ev->ts + ev->dur;
	w->seg_events++;
	if (w->flen >= w->o.frame_max_bytes)
		return wr_frame_close(w, 1);
	return 0;
}

int ingero_writer_event(struct ingero_writer *w, const struct ingero_event *ev)
{
	if (!w || !ev)
		return INGERO_EINVAL;
	return put_event(w, ev, 0, w->cur_node);
}

int ingero_writer_event_node(struct ingero_writer *w, uint32_t node, const struct ingero_event *ev)
{
	if (!w || !ev || !w->o.node_events || node >= FMT_NODE_GAPS_MAX)
		return INGERO_EINVAL;
	return put_event(w, ev, 1, node);
}


int ingero_writer_flush(struct ingero_writer *w)
{
	if (!w)
		return INGERO_EINVAL;
	return wr_frame_close(w, 1);
}

int ingero_writer_close(struct ingero_writer *w)
{
	if (!w)
		return 0;
	int r = 0;
	if (w->fd >= 0)
		r = seg_finish(w);
	if (!r && w->failed)
		r = w->err.code;
	if (w->fd >= 0 && w->own_fd)
		close(w->fd);
	cctx_put(w->cctx);
	free((char *)w->hdr.node); free((char *)w->hdr.host); free((char *)w->hdr.boot_id);
	free((char *)w->hdr.kernel); free((char *)w->hdr.recorder);
	free((char *)w->hdr.cmdline); free((char *)w->hdr.clock);
	free(w->dir); free(w->path); free(w->fb); free(w->cb); free(w->segs);
	free(w->nb_end); free(w->nb_epoch);
	free(w);
	return r;
}

uint64_t ingero_writer_bytes(const struct ingero_writer *w)
{
	return w ? w->total_bytes : 0;
}

uint64_t ingero_writer_deleted_segments(const struct ingero_writer *w)
{
	return w ? w->deleted : 0;
}

const struct ingero_error *ingero_writer_error(const struct ingero_writer *w)
{
	return w && w->failed ? &w->err : NULL;
}
