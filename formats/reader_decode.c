/*
 * reader_decode.c - the reader's record layer: one msgpack record of a
 * decompressed frame into a struct ingero_record (docs/format.md).  Every
 * length is checked against the bytes present (mp_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "reader_int.h"

/* ------------------------------------------------------- decoding */

/* A string made NUL-terminated in place: the bytes move one position back
 * over their (already consumed) msgpack header. */
static const char *get_cstr(struct mp_cur *c)
{
	const uint8_t *s;
	const uint8_t *start = c->p;
	uint32_t n = mp_get_str(c, &s);
	if (c->err)
		return "";
	if (s == start)   /* cannot happen: every header is >= 1 byte */
		return "";
	uint8_t *d = (uint8_t *)s - 1;
	memmove(d, s, n);
	d[n] = 0;
	return (const char *)d;
}

#define U(field) ((field) = (__typeof__(field))(i++ < n ? mp_get_int(c) : 0))
#define I(field, def) ((field) = (__typeof__(field))(i++ < n ? (int64_t)mp_get_int(c) : (def)))
#define D(field) ((field) = (i++ < n ? mp_get_double(c) : 0.0))
#define S(field) ((field) = (i++ < n ? get_cstr(c) : ""))

static int decode_header(struct ingero_reader *r, struct mp_cur *c, uint32_t n,
			 struct ingero_header *h)
{
	memset(h, 0, sizeof(*h));
	h->node = h->host = h->boot_id = h->kernel = h->recorder = h->cmdline = "";
	h->clock = "boottime";
	h->rank = -1;
	if (n < 5)
		return INGERO_EFORMAT;
	const uint8_t *s;
	uint32_t len = mp_get_str(c, &s);
	if (c->err || len != sizeof(INGERO_MAGIC) - 1 || memcmp(s, INGERO_MAGIC, len))
		return INGERO_EFORMAT;
	h->major = (uint32_t)mp_get_int(c);
	h->minor = (uint32_t)mp_get_int(c);
	if (c->err)
		return INGERO_ECORRUPT;
	if (h->major != INGERO_FORMAT_MAJOR)
		return INGERO_EFORMAT;
	uint32_t m;
	if (mp_get_map(c, &m))
		return INGERO_ECORRUPT;
	for (uint32_t k = 0; k < m && !c->err; k++) {
		const uint8_t *key;
		uint32_t kl = mp_get_str(c, &key);
		if (c->err)
			break;
#define K(name) (kl == sizeof(name) - 1 && !memcmp(key, name, kl))
		if (K("node")) h->node = get_cstr(c);
		else if (K("host")) h->host = get_cstr(c);
		else if (K("boot_id")) h->boot_id = get_cstr(c);
		else if (K("kernel")) h->kernel = get_cstr(c);
		else if (K("recorder")) h->recorder = get_cstr(c);
		else if (K("cmdline")) h->cmdline = get_cstr(c);
		else if (K("clock")) h->clock = get_cstr(c);
		else if (K("start_ts")) h->start_ts = mp_get_int(c);
		else if (K("segment")) h->segment = (uint32_t)mp_get_int(c);
		else if (K("rank")) h->rank = (int32_t)mp_get_int(c);
		else if (K("anchor_boottime")) h->anchor.boottime = mp_get_int(c);
		else if (K("anchor_realtime")) h->anchor.realtime = mp_get_int(c);
		else if (K("anchor_monotonic")) h->anchor.monotonic = mp_get_int(c);
		else if (K("anchor_error_ns")) h->anchor.error_ns = mp_get_int(c);
		else mp_skip(c);   /* "ops" and keys of later minor versions */
#undef K
	}
	for (uint32_t i = 5; i < n && !c->err; i++)
		mp_skip(c);
	(void)r;
	return c->err ? INGERO_ECORRUPT : 0;
}

int rd_keep_header(struct ingero_reader *r, const struct ingero_header *h)
{
	const char *src[7] = { h->node, h->host, h->boot_id, h->kernel, h->recorder,
			       h->cmdline, h->clock };
	r->hdr = *h;
	for (int i = 0; i < 7; i++)
		if (!(r->hdr_str[i] = strdup(src[i])))
			return INGERO_ENOMEM;
	r->hdr.node = r->hdr_str[0]; r->hdr.host = r->hdr_str[1];
	r->hdr.boot_id = r->hdr_str[2]; r->hdr.kernel = r->hdr_str[3];
	r->hdr.recorder = r->hdr_str[4]; r->hdr.cmdline = r->hdr_str[5];
	r->hdr.clock = r->hdr_str[6];
	r->have_hdr = 1;
	return 0;
}

static uint32_t get_u64_array(struct mp_cur *c, uint64_t *dst, uint32_t max)
{
	uint32_t m;
	if (mp_get_array(c, &m))
		return 0;
	for (uint32_t j = 0; j < m; j++) {
		if (j < max) dst[j] = mp_get_int(c);
		else mp_skip(c);
	}
	return m < max ? m : max;
}

/* The delta base of an event: the previous end in the frame, or in a
 * node-gaps frame the previous end of the current node's events (the
 * frame's base_ts for its first).  NULL for a node number out of range. */
static uint64_t *node_base_slow(struct ingero_reader *r, uint32_t n)
{
	if (n >= r->nb_cap) {
		if (n >= FMT_NODE_GAPS_MAX)
			return NULL;
		uint32_t cap = r->nb_cap ? r->nb_cap : 16;
		while (cap <= n)
			cap *= 2;
		uint64_t *e = realloc(r->nb_end, cap * sizeof(*e));
		if (!e)
			return NULL;
		r->nb_end = e;
		uint32_t *g = realloc(r->nb_epoch, cap * sizeof(*g));
		if (!g)
			return NULL;
		r->nb_epoch = g;
		memset(g + r->nb_cap, 0, (cap - r->nb_cap) * sizeof(*g));
		r->nb_cap = cap;
	}
	if (r->nb_epoch[n] != r->epoch) {
		r->nb_epoch[n] = r->epoch;
		r->nb_end[n] = r->frame_base;
	}
	return &r->nb_end[n];
}

static inline uint64_t *delta_base(struct ingero_reader *r, uint32_t node)
{
	if (!r->node_gaps)
		return &r->prev_end;
	return node_base_slow(r, node);
}

/* a version-1.0 EVENT: [1, source, op, pid, tid, dts, dur, ...] */
static inline int decode_event(struct ingero_reader *r, struct mp_cur *c, uint32_t n,
			       struct ingero_record *rec)
{
	struct ingero_event *e = &rec->u.ev;
	uint64_t t[16];
	uint32_t k = n - 1 < 16 ? n - 1 : 16;
	if (MP_NEED(c, 16 * 9)) {   /* hot path: no per-field bounds checks */
		const uint8_t *p = c->p;
		int bad = 0;
		/* unrolled: each field position gets its own branch history */
#define G(j) t[j] = (j) < k ? mp_get_int_fast(&p, &bad) : 0
		G(0); G(1); G(2); G(3); G(4); G(5); G(6); G(7);
		G(8); G(9); G(10); G(11); G(12); G(13); G(14); G(15);
#undef G
		if (bad)
			return INGERO_ECORRUPT;
		c->p = p;
	} else {
		for (uint32_t j = 0; j < 16; j++)
			t[j] = j < k ? mp_get_int(c) : 0;
	}
	for (uint32_t j = 17; j < n && !c->err; j++)
		mp_skip(c);
	if (c->err)
		return INGERO_ECORRUPT;
	e->source = (uint8_t)t[0];
	e->op = (uint8_t)t[1];
	e->pid = (uint32_t)t[2];
	e->tid = (uint32_t)t[3];
	uint64_t *base = delta_base(r, r->node);
	if (!base)
		return INGERO_ECORRUPT;
	e->ts = *base + t[4];
	e->dur = t[5];
	e->cpu = (uint32_t)t[6];
	e->stack_id = t[7];
	memcpy(e->arg, &t[8], sizeof(e->arg));
	e->ret = (int32_t)(int64_t)t[14];
	e->flags = (uint16_t)t[15];
	*base = e->ts + e->dur;
	return 1;
}

/* a packed EVENT (1.1): [64, source, op, pid, tid, tail..., T], of node
 * `node` (the CTX's, or a node event's own: [66, node, ...], 1.2) */
static inline int decode_packed(struct ingero_reader *r, struct mp_cur *c, uint32_t n,
				struct ingero_record *rec, uint32_t node)
{
	/* [64, source, op, pid, tid, tail..., T] (docs/format.md 3.1) */
	struct ingero_event *e = &rec->u.ev;
	uint64_t t[FMT_PK_MAX];
	uint32_t m = n - 1;
	if (m < 5 || m > FMT_PK_MAX)
		return INGERO_ECORRUPT;
	if (MP_NEED(c, FMT_PK_MAX * 9)) {   /* hot path: no per-field bounds checks */
		const uint8_t *p = c->p;
		int bad = 0;
#define G(j) t[j] = (j) < m ? mp_get_int_fast(&p, &bad) : 0
		G(0); G(1); G(2); G(3); G(4); G(5); G(6); G(7); G(8);
		G(9); G(10); G(11); G(12); G(13); G(14); G(15); G(16);
#undef G
		if (bad)
			return INGERO_ECORRUPT;
		c->p = p;
	} else {
		for (uint32_t j = 0; j < FMT_PK_MAX; j++)
			t[j] = j < m ? mp_get_int(c) : 0;
		if (c->err)
			return INGERO_ECORRUPT;
	}
	/* t[j] = 0 for j >= m: after clearing the time elements, the
	 * tail is t[4..13] with its omitted fields already 0 */
	uint32_t K = r->tbits < 64 ? r->tbits : 64;
	uint64_t mask = K < 64 ? (1ull << K) - 1 : ~0ull;
	uint64_t T = t[m - 1], dts, dur;
	if ((T & mask) != mask) {
		if (m > 15)
			return INGERO_ECORRUPT;   /* more than 10 tail elements */
		dts = T & mask;
		dur = K < 64 ? T >> K : 0;
		t[m - 1] = 0;
	} else {
		if (m < 7 || m > 17)
			return INGERO_ECORRUPT;
		dts = t[m - 3];
		dur = t[m - 2];
		t[m - 1] = t[m - 2] = t[m - 3] = 0;
	}
	e->source = (uint8_t)t[0];
	e->op = (uint8_t)t[1];
	e->pid = (uint32_t)t[2];
	e->tid = (uint32_t)t[3];
	uint64_t *base = delta_base(r, node);
	if (!base)
		return INGERO_ECORRUPT;
	e->ts = *base + dts;
	e->dur = dur;
	e->cpu = (uint32_t)t[4];
	e->stack_id = t[5];
	memcpy(e->arg, &t[6], sizeof(e->arg));
	e->ret = (int32_t)(int64_t)t[12];
	e->flags = (uint16_t)t[13];
	*base = e->ts + e->dur;
	rec->kind = INGERO_REC_EVENT;
	return 1;
}

/* every other kind: n elements, the kind already read */
static int decode_other(struct ingero_reader *r, struct mp_cur *c, uint32_t n, uint64_t kind,
			struct ingero_record *rec)
{
	uint32_t i = 1;
	switch (kind) {
	case INGERO_REC_HEADER: {
		int k = decode_header(r, c, n, &rec->u.hdr);
		if (k)
			return k;
		r->node = 0;
		rec->node = 0;
		return 1;
	}
	case INGERO_REC_PROCESS: {
		struct ingero_process *x = &rec->u.proc;
		U(x->pid); U(x->ppid); U(x->uid); S(x->comm); S(x->cmdline);
		I(x->rank, -1); I(x->local_rank, -1); I(x->world_size, -1);
		U(x->cgroup_id); U(x->start_ts);
		break;
	}
	case INGERO_REC_THREAD:
		U(rec->u.thr.tid); U(rec->u.thr.pid); S(rec->u.thr.name);
		break;
	case INGERO_REC_MODULE: {
		struct ingero_module *x = &rec->u.mod;
		U(x->id); U(x->pid); U(x->start); U(x->end); U(x->file_offset);
		S(x->path); S(x->build_id);
		break;
	}
	case INGERO_REC_SYMBOL:
		U(rec->u.sym.id); U(rec->u.sym.module_id); U(rec->u.sym.offset); S(rec->u.sym.name);
		break;
	case INGERO_REC_STACK: {
		struct ingero_stack *x = &r->stack;
		uint64_t tmp[INGERO_STACK_MAX];
		memset(x, 0, sizeof(*x));
		U(x->id); U(x->pid);
		if (i++ < n)
			x->depth = get_u64_array(c, x->ips, INGERO_STACK_MAX);
		if (i++ < n)
			get_u64_array(c, x->syms, INGERO_STACK_MAX);
		if (i++ < n) {
			uint32_t m = get_u64_array(c, tmp, INGERO_STACK_MAX);
			for (uint32_t j = 0; j < m; j++)
				x->offs[j] = (uint32_t)tmp[j];
		}
		if (i++ < n)
			x->npy = get_u64_array(c, x->py, INGERO_STACK_PY_MAX);
		rec->u.stack = x;
		break;
	}
	case INGERO_REC_PYFRAME: {
		struct ingero_pyframe *x = &rec->u.pyframe;
		U(x->id); U(x->pid); S(x->file); S(x->func); U(x->line);
		break;
	}
	case INGERO_REC_SYS: {
		struct ingero_sys *x = &rec->u.sys;
		U(x->ts); D(x->cpu_pct); D(x->mem_pct); U(x->mem_avail_mb); U(x->swap_used_mb);
		D(x->load1); D(x->iowait_pct); U(x->pgmajfault); U(x->ctxt);
		break;
	}
	case INGERO_REC_GPU: {
		struct ingero_gpu *x = &rec->u.gpu;
		U(x->ts); U(x->index); D(x->util_pct); U(x->mem_used_mb); U(x->mem_total_mb);
		U(x->sm_clock_mhz); U(x->mem_clock_mhz); U(x->throttle_reasons); U(x->temp_c);
		D(x->power_w);
		break;
	}
	case INGERO_REC_ANCHOR:
		U(rec->u.anchor.boottime); U(rec->u.anchor.realtime);
		U(rec->u.anchor.monotonic); U(rec->u.anchor.error_ns);
		break;
	case INGERO_REC_LOST:
		U(rec->u.lost.ts); U(rec->u.lost.source); U(rec->u.lost.count); U(rec->u.lost.reason);
		break;
	case INGERO_REC_FOOTER:
		U(rec->u.footer.events); U(rec->u.footer.min_ts); U(rec->u.footer.max_ts);
		U(rec->u.footer.lost);
		break;
	case INGERO_REC_NODE: {
		struct ingero_node *x = &rec->u.nodeinfo;
		U(x->index); S(x->name); S(x->host); S(x->boot_id); I(x->rank, -1);
		I(x->offset_ns, 0); D(x->drift_ppb); U(x->ref_ts); S(x->method);
		D(x->confidence_ns); U(x->samples);
		break;
	}
	case INGERO_REC_FRAME:
		U(rec->u.frame.seq); U(rec->u.frame.base_ts);
		{
			uint64_t tb = 0;
			U(tb);
			r->tbits = tb < 64 ? (uint32_t)tb : 64;
		}
		r->prev_end = rec->u.frame.base_ts;
		r->frame_base = rec->u.frame.base_ts;
		r->node = 0;
		rec->node = 0;
		break;
	case INGERO_REC_CTX:
		U(rec->u.ctx_node);
		r->node = rec->u.ctx_node;
		rec->node = r->node;
		break;
	case INGERO_REC_NOTE:
		U(rec->u.note.ts); U(rec->u.note.level); S(rec->u.note.text);
		break;
	case INGERO_REC_SAMPLING: {
		struct ingero_sampling *x = &rec->u.sampling;
		U(x->ts); U(x->pid); U(x->source); U(x->op); U(x->rate);
		break;
	}
	default:   /* unknown kind < 64: skipped */
		for (; i < n && !c->err; i++)
			mp_skip(c);
		return c->err ? INGERO_ECORRUPT : 0;
	}
	for (; i < n && !c->err; i++)   /* fields of later minor versions */
		mp_skip(c);
	return c->err ? INGERO_ECORRUPT : 1;
}

/* Decode one record: 1 = *rec filled, 0 = skipped (unknown kind),
 * <0 = INGERO_ECORRUPT / EFORMAT / ECRITICAL. */
int rd_decode(struct ingero_reader *r, struct ingero_record *rec)
{
	struct mp_cur *c = &r->cur;
	uint32_t n;
	if (mp_get_array(c, &n) || n == 0)
		return INGERO_ECORRUPT;
	uint8_t b = c->p < c->end ? *c->p : 0xc1;
	if (b >= 0x80 && b != 0xcc && b != 0xcd && b != 0xce && b != 0xcf)
		return INGERO_ECORRUPT;   /* kind must be a non-negative integer */
	uint64_t kind = mp_get_int(c);
	if (c->err)
		return INGERO_ECORRUPT;
	rec->kind = (int)kind;
	rec->node = r->node;
	rec->file = r->curfile;
	rec->offset = r->frame_off;
	if (kind == INGERO_REC_EVENT)
		return decode_event(r, c, n, rec);
	if (kind == FMT_REC_EVENT_PACKED)
		return decode_packed(r, c, n, rec, r->node);
	if (kind == FMT_REC_EVENT_NODE) {   /* [66, node, <packed event>]: the CTX stays */
		if (n < 2)
			return INGERO_ECORRUPT;
		uint64_t node = mp_get_int(c);
		if (c->err || node >= FMT_NODE_GAPS_MAX)
			return INGERO_ECORRUPT;
		rec->node = (uint32_t)node;
		return decode_packed(r, c, n - 1, rec, (uint32_t)node);
	}
	if (kind == FMT_REC_NODE_GAPS) {   /* this frame: gaps per node; not returned */
		for (uint32_t i = 1; i < n && !c->err; i++)
			mp_skip(c);
		r->node_gaps = 1;
		return c->err ? INGERO_ECORRUPT : 0;
	}
	if (kind >= INGERO_REC_CRITICAL_MIN)
		return INGERO_ECRITICAL;
	return decode_other(r, c, n, kind, rec);
}
