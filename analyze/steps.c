/* steps.c - the step pass of the engine (docs/engine.md "Steps"):
 *
 *  A. one scan of the synchronising calls: per (node, pid, tid) the
 *     candidate boundary ops (sync-class calls per stream, synchronous
 *     D2H/default copies, NCCL collectives); the most regular one wins
 *     (--step-op restricts the candidates to one op);
 *  B. one scan of events: per thread the items of its current step (CUDA
 *     calls, off-CPU intervals with their culprit or waker, block I/O); a
 *     boundary call closes the step and its breakdown is computed from the
 *     items (so the per-thread order of rows does not matter inside a step);
 *     CUDA-less gaps longer than STALL_MIN_NS are kept for the stall finding;
 *  C. baselines per (node, pid, stream, phase) after a warm-up, slow steps,
 *     the steps and step_baselines tables (steps_base.c); then the findings
 *     (steps_find.c).
 */
#include <inttypes.h>
#include <math.h>
#include <strings.h>

#include "steps_int.h"

const char *const step_cat_name[NCAT] = {
	"launch_ns", "memcpy_ns", "sync_ns", "alloc_ns", "other_cuda_ns", "nccl_ns", "host_ns",
	"preempted_ns", "blocked_ns", "io_ns", "mem_ns",
};
const char *const step_cat_text[NCAT] = {
	"kernel launches", "memory copies", "sync waits", "alloc/free", "other CUDA calls", "NCCL",
	"host on-CPU time between calls", "preempted between calls", "blocked between calls",
	"block I/O waits", "memory pressure",
};
const char *const step_phase_name[NPH] = { "step", "prefill", "decode", "mixed", "unknown" };

#define STEP_MAX_ITEMS (1 << 20)      /* items of one open step */
#define STEP_MIN_BOUNDARIES 3

/* ------------------------------------------------------------ helpers */

void pidns_add(struct pidns *a, int64_t pid, int64_t ns)
{
	if (pid <= 0 || ns <= 0)
		return;
	int k, low = 0;
	for (k = 0; k < TOPN; k++) {
		if (a[k].pid == pid) {
			a[k].ns += ns;
			return;
		}
		if (!a[k].pid)
			break;
		if (a[k].ns < a[low].ns)
			low = k;
	}
	if (k == TOPN) {              /* full: replace the smallest when larger */
		if (a[low].ns >= ns)
			return;
		k = low;
	}
	a[k].pid = pid;
	a[k].ns = ns;
}

struct pidns pidns_top(const struct pidns *a)
{
	struct pidns r = { 0, 0 };
	for (int k = 0; k < TOPN && a[k].pid; k++)
		if (a[k].ns > r.ns || (a[k].ns == r.ns && a[k].pid < r.pid))
			r = a[k];
	return r;
}

static uint64_t th_key(int node, int64_t pid, int64_t tid)
{
	uint64_t k = ig_hash64(((uint64_t)(uint32_t)node << 32) ^ (uint64_t)pid) ^ ig_hash64((uint64_t)tid * 31 + 7);
	return k == IG_MAP_EMPTY ? 0 : k;
}

int step_thread(struct eng *e, int node, int64_t pid, int64_t tid, int create)
{
	struct steps *S = e->st;
	if (S->last_th >= 0) {
		struct sthr *t = &S->t[S->last_th];
		if (t->node == node && t->pid == pid && t->tid == tid)
			return S->last_th;
	}
	uint64_t key = th_key(node, pid, tid);
	uint64_t *v = ig_map_get(&S->tidx, key);
	/* collisions: linear probe over key+1, key+2, ... */
	for (uint64_t k = key; v; v = ig_map_get(&S->tidx, k)) {
		struct sthr *t = &S->t[*v - 1];
		if (t->node == node && t->pid == pid && t->tid == tid)
			return S->last_th = (int)(*v - 1);
		k = k + 1 == IG_MAP_EMPTY ? 0 : k + 1;
		key = k;
	}
	if (!create)
		return -1;
	ig_grow(&S->t, &S->ct, S->nt + 1, sizeof(*S->t));
	struct sthr *t = &S->t[S->nt];
	memset(t, 0, sizeof(*t));
	t->node = node;
	t->pid = pid;
	t->tid = tid;
	t->bstream = -1;
	t->wake_ts = INT64_MIN;
	ig_map_xput(&S->tidx, key, S->nt + 1);
	return S->last_th = (int)S->nt++;
}

static int node_of(struct eng *e, const char *nd)
{
	if (!nd)
		nd = "";
	if (e->cur_node < 0 || strcmp(nd, e->nodes.s[e->cur_node]) != 0) {
		e->cur_node = eng_str(&e->nodes, nd);
		node_slot(e, e->cur_node);
	}
	return e->cur_node;
}

/* the stream of a GPU call (-1: all streams of the device / context) */
static int64_t call_stream(int src, int op, int64_t a0, int64_t a1, int64_t a2)
{
	switch (ingero_op_class(src, op)) {
	case INGERO_OPC_LAUNCH:
		return src == INGERO_SRC_GRAPH ? a0 : a1;
	case INGERO_OPC_MEMCPY:
		return (ingero_op_flags(src, op) & INGERO_OPF_ASYNC) ? a2 : 0;
	case INGERO_OPC_SYNC:
		return src == INGERO_SRC_CUDA && op == INGERO_CUDA_STREAM_SYNC ? a0 : -1;
	default:
		return 0;
	}
}

static int is_step_call(int src)
{
	return src == INGERO_SRC_CUDA || src == INGERO_SRC_DRIVER || src == INGERO_SRC_GRAPH || src == INGERO_SRC_NCCL;
}

/* can (src, op, a1) end a step?  sync class, a synchronous copy to the host
 * (kind D2H or default), an NCCL collective */
static int boundary_class(int src, int op, int64_t a1)
{
	int c = ingero_op_class(src, op);
	if (c == INGERO_OPC_SYNC || c == INGERO_OPC_COLL)
		return c;
	if (c == INGERO_OPC_MEMCPY && !(ingero_op_flags(src, op) & INGERO_OPF_ASYNC) &&
	    (src == INGERO_SRC_DRIVER || a1 == 2 || a1 == 4))
		return c;
	return 0;
}

/* ------------------------------------------------- scan A: candidates */

static uint64_t cand_key(int th, int src, int op, int64_t stream)
{
	uint64_t k = ig_hash64(((uint64_t)(uint32_t)th << 16) ^ ((uint64_t)src << 8) ^ (uint64_t)op) ^
		     ig_hash64((uint64_t)stream + 0x9e37);
	return k == IG_MAP_EMPTY ? 0 : k;
}

static void cand_add(struct eng *e, int th, int src, int op, int cls, int64_t stream, int64_t end)
{
	struct steps *S = e->st;
	uint64_t key = cand_key(th, src, op, stream);
	struct cand *c = NULL;
	for (uint64_t k = key, *v; (v = ig_map_get(&S->cidx, k)); k = k + 1 == IG_MAP_EMPTY ? 0 : k + 1) {
		struct cand *x = &S->c[*v - 1];
		if (x->th == th && x->src == src && x->op == op && x->stream == stream) {
			c = x;
			break;
		}
		key = k + 1 == IG_MAP_EMPTY ? 0 : k + 1;
	}
	if (!c) {
		ig_grow(&S->c, &S->cc, S->nc + 1, sizeof(*S->c));
		c = &S->c[S->nc];
		memset(c, 0, sizeof(*c));
		c->th = th;
		c->src = src;
		c->op = op;
		c->cls = cls;
		c->stream = stream;
		c->last_end = INT64_MIN;
		ig_map_xput(&S->cidx, key, ++S->nc);
	}
	if (c->n && c->niv < CAND_IV && end > c->last_end) {
		if (!c->iv)
			c->iv = xmalloc(CAND_IV * sizeof(int64_t));
		c->iv[c->niv++] = end - c->last_end;
	}
	c->n++;
	if (end > c->last_end)
		c->last_end = end;
}

/* pass 1 calls this for every row of events (engine_scan.c): boundary
 * candidates per thread, no scan of its own */
void steps_observe(struct eng *e, int node, int64_t pid, int64_t tid, int src, int op, int64_t ts, int64_t dur,
		   int64_t a0, int64_t a1)
{
	struct steps *S = e->st;
	if (!S || !is_step_call(src) || (e->o.pid >= 0 && pid != e->o.pid))
		return;
	int th = step_thread(e, node, pid, tid, 1);
	struct sthr *t = &S->t[th];
	t->calls++;
	if (src == INGERO_SRC_CUDA || src == INGERO_SRC_GRAPH)
		t->has_rt = 1;
	int cls = boundary_class(src, op, a1);
	if (!cls || (S->step_src && (src != S->step_src || op != S->step_op)))
		return;
	/* (an async copy is never a boundary: a2, its stream, is not needed) */
	cand_add(e, th, src, op, cls, call_stream(src, op, a0, a1, 0), ts + dur);
}

/* regularity of a candidate: share of its intervals within [m/2, 2m] of their median m */
static double regularity(struct cand *c)
{
	if (c->niv < 2)
		return 0;
	int64_t m = ig_kth_i64(c->iv, c->niv, (c->niv - 1) / 2);
	size_t in = 0;
	for (size_t i = 0; i < c->niv; i++)
		if (c->iv[i] * 2 >= m && c->iv[i] <= 2 * m)
			in++;
	return (double)in / (double)c->niv;
}

static int cls_rank(int cls)
{
	return cls == INGERO_OPC_SYNC ? 0 : cls == INGERO_OPC_MEMCPY ? 1 : 2;
}

/* per thread: the most regular candidate (regularity in 5 % steps, then
 * more boundaries, then sync before copy before collective, then codes) */
static void choose(struct eng *e)
{
	struct steps *S = e->st;
	for (size_t i = 0; i < S->nc; i++) {
		struct cand *c = &S->c[i];
		if (c->n < STEP_MIN_BOUNDARIES)
			continue;
		struct sthr *t = &S->t[c->th];
		double r = floor(regularity(c) * 20.0 + 1e-9) / 20.0;
		int better = !t->chosen;
		if (!better) {
			if (r != t->regular)
				better = r > t->regular;
			else if (c->n != t->ncand)
				better = c->n > t->ncand;
			else {
				int cr = cls_rank(c->cls), tr = cls_rank(boundary_class(t->bsrc, t->bop, 2));
				if (cr != tr)
					better = cr < tr;
				else if (c->src != t->bsrc || c->op != t->bop)
					better = c->src * 64 + c->op < t->bsrc * 64 + t->bop;
				else
					better = c->stream < t->bstream;
			}
		}
		if (better) {
			t->chosen = 1;
			t->regular = r;
			t->ncand = c->n;
			t->bsrc = c->src;
			t->bop = c->op;
			t->bstream = c->stream;
		}
	}
	for (size_t i = 0; i < S->nc; i++)
		free(S->c[i].iv);
	free(S->c);
	S->c = NULL;
	S->nc = S->cc = 0;
	ig_map_release(&S->cidx);
}

/* ------------------------------------------------------ scan B: steps */

static void push(struct sthr *t, const struct sitem *it)
{
	if (t->nit >= STEP_MAX_ITEMS)
		return;
	VEC_PUSH(t->it, t->nit, t->cit, *it);
}

/* insertion sort by start (items arrive nearly in order), outer calls first */
static void sort_items(struct sitem *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sitem x = a[i];
		size_t j = i;
		while (j > 0 && (a[j - 1].s > x.s || (a[j - 1].s == x.s && a[j - 1].e < x.e))) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* GPU idle time of a step from its top-level calls: idle from a sync's
 * return (or the step start) to the next work submission; and a host gap of
 * >= IDLE_GAP_NS between two calls while work is queued counts as idle when
 * the next sync waits less than a tenth of the gap: the GPU was not behind
 * the host (its queue had drained during the gap) */
#define IDLE_GAP_NS 1000000LL
static int64_t gpu_idle(const void *v, size_t n, int64_t s0, int64_t s1, int busy)
{
	const struct { int64_t s, e; int8_t work, sync; } *tc = v;
	int64_t idle = 0, from = s0, nextw = -1;
	int64_t *nw = xmalloc((n ? n : 1) * sizeof(int64_t));
	for (size_t i = n; i-- > 0;) {
		if (tc[i].sync)
			nextw = tc[i].e - tc[i].s;
		nw[i] = nextw;
	}
	for (size_t i = 0; i < n; i++) {
		if (busy && i > 0 && tc[i].s - tc[i - 1].e >= IDLE_GAP_NS && nw[i] >= 0 &&
		    nw[i] * 10 < tc[i].s - tc[i - 1].e)
			idle += tc[i].s - tc[i - 1].e;
		if (tc[i].work) {
			if (!busy && tc[i].s > from)
				idle += tc[i].s - from;
			busy = 1;
		}
		if (tc[i].sync) {
			busy = 0;
			from = tc[i].e;
		}
	}
	if (!busy && s1 > from)
		idle += s1 - from;
	free(nw);
	return idle;
}

/* breakdown of the items of t over [s0, s1) into st */
static void breakdown(struct sthr *t, int64_t s0, int64_t s1, struct step *st, int gpu_busy0)
{
	struct sitem *a = t->it;
	size_t n = t->nit;
	sort_items(a, n);
	/* calls: union, the outer call's class wins; segments kept in seg[] */
	int64_t cover = s0, incall = 0;
	size_t nseg = 0, cseg = 0;
	int64_t (*seg)[2] = NULL;
	struct tcall { int64_t s, e; int8_t work, sync; } *tc = NULL;
	size_t ntc = 0, ctc = 0;
	for (size_t i = 0; i < n; i++) {
		struct sitem *c = &a[i];
		if (c->kind != IT_CALL)
			continue;
		int64_t cs = c->s < s0 ? s0 : c->s, ce = c->e > s1 ? s1 : c->e;
		if (ce <= cover)
			continue;                   /* nested in an outer call */
		int64_t from = cs > cover ? cs : cover;
		st->cat[c->cls] += ce - from;
		incall += ce - from;
		struct tcall x = { cs, ce, c->gpu_work, c->gpu_sync };
		VEC_PUSH(tc, ntc, ctc, x);
		if (c->cls == CAT_LAUNCH)
			st->launches++;
		else if (c->cls == CAT_MEMCPY)
			st->mbytes += c->pid > 0 ? c->pid : 0;
		else if (c->cls == CAT_NCCL)
			st->nccl = 1;
		else if (c->cls == CAT_ALLOC)
			c->pid > 0 ? st->allocs++ : st->frees++;
		if (nseg && seg[nseg - 1][1] >= from) {
			seg[nseg - 1][1] = ce;
		} else {
			ig_grow(&seg, &cseg, nseg + 1, sizeof(*seg));
			seg[nseg][0] = from;
			seg[nseg][1] = ce;
			nseg++;
		}
		cover = ce;
	}
	st->idle = gpu_idle(tc, ntc, s0, s1, gpu_busy0);
	free(tc);
	/* off-CPU and I/O: inside calls or in the gaps between them */
	int64_t gpre = 0, gblk = 0, gio = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct sitem *o = &a[i];
		if (o->kind == IT_CALL)
			continue;
		int64_t os = o->s < s0 ? s0 : o->s, oe = o->e > s1 ? s1 : o->e;
		if (oe <= os)
			continue;
		while (k < nseg && seg[k][1] <= os)
			k++;
		int64_t in = 0;
		for (size_t j = k; j < nseg && seg[j][0] < oe; j++)
			in += ovl(os, oe, seg[j][0], seg[j][1]);
		int64_t out = (oe - os) - in;
		if (o->kind == IT_IO) {
			gio += out;
			continue;
		}
		if (o->cls == 0) {
			gpre += out;
			st->call_pre += in;
			pidns_add(t->pr, o->pid, out);
		} else {
			gblk += out;
			pidns_add(t->wk, o->pid, out);
		}
		st->call_off += in;
	}
	/* per-step top preemptor and waker (over the whole step) */
	struct pidns pr[TOPN], wk[TOPN];
	memset(pr, 0, sizeof(pr));
	memset(wk, 0, sizeof(wk));
	for (size_t i = 0; i < n; i++) {
		struct sitem *o = &a[i];
		if (o->kind != IT_OFF)
			continue;
		int64_t d = ovl(o->s, o->e, s0, s1);
		pidns_add(o->cls == 0 ? pr : wk, o->pid, d);
	}
	st->pre = pidns_top(pr);
	st->wak = pidns_top(wk);
	free(seg);
	int64_t gaps = (s1 - s0) - incall;
	if (gpre + gblk > gaps) {           /* overlapping rows: clamp */
		int64_t over = gpre + gblk - gaps;
		gblk -= over < gblk ? over : gblk;
		gpre = gaps - gblk;
	}
	if (gio > gblk)
		gio = gblk;
	st->cat[CAT_PRE] = gpre;
	st->cat[CAT_BLK] = gblk - gio;
	st->cat[CAT_IO] = gio;
	st->cat[CAT_HOST] = gaps - gpre - gblk;
	st->cat[CAT_MEM] = 0;
}

/* close the step [sstart, end) of thread th from the items that start
 * before end; items reaching past end stay for the next step */
static void close_step(struct eng *e, int th, int64_t end)
{
	struct steps *S = e->st;
	struct sthr *t = &S->t[th];
	t->pend_end = INT64_MIN;
	if (end <= t->sstart)
		return;
	/* split the buffer: [0, nin) start before end, the rest after */
	size_t nin = 0;
	for (size_t i = 0; i < t->nit; i++)
		if (t->it[i].s < end) {
			struct sitem x = t->it[i];
			t->it[i] = t->it[nin];
			t->it[nin++] = x;
		}
	ig_grow(&S->s, &S->cs, S->ns + 1, sizeof(*S->s));
	struct step *st = &S->s[S->ns++];
	memset(st, 0, sizeof(*st));
	st->node = t->node;
	st->th = th;
	st->pid = t->pid;
	st->tid = t->tid;
	st->stream = t->bstream < 0 ? 0 : t->bstream;
	st->start = t->sstart;
	st->dur = end - t->sstart;
	st->bsrc = t->bsrc;
	st->bop = t->bop;
	st->idx = t->nsteps++;
	size_t all = t->nit;
	t->nit = nin;
	breakdown(t, t->sstart, end, st, 0);
	/* keep what reaches past end (off-CPU / I/O straddling it, later items) */
	size_t k = 0;
	for (size_t i = 0; i < all; i++)
		if (t->it[i].e > end && !(t->it[i].kind == IT_CALL && t->it[i].s < end))
			t->it[k++] = t->it[i];
	t->nit = k;
	t->sstart = end;
}

/* a CUDA-less gap [s, e) of thread th: what the thread did meanwhile */
static void gap(struct eng *e, int th, int64_t s, int64_t en)
{
	struct steps *S = e->st;
	struct sthr *t = &S->t[th];
	ig_grow(&S->g, &S->cg, S->ng + 1, sizeof(*S->g));
	struct sgap *g = &S->g[S->ng++];
	memset(g, 0, sizeof(*g));
	g->node = t->node;
	g->th = th;
	g->pid = t->pid;
	g->tid = t->tid;
	g->s = s;
	g->e = en;
	struct pidns pr[TOPN], wk[TOPN];
	memset(pr, 0, sizeof(pr));
	memset(wk, 0, sizeof(wk));
	for (size_t i = 0; i < t->nit; i++) {
		struct sitem *o = &t->it[i];
		int64_t d = ovl(o->s, o->e, s, en);
		if (!d || o->kind == IT_CALL)
			continue;
		if (o->kind == IT_IO)
			g->io += d;
		else if (o->cls == 0) {
			g->pre += d;
			pidns_add(pr, o->pid, d);
		} else {
			g->blk += d;
			pidns_add(wk, o->pid, d);
		}
	}
	if (g->pre + g->blk > en - s)
		g->blk = en - s - g->pre > 0 ? en - s - g->pre : 0;
	g->on = en - s - g->pre - g->blk;
	if (g->on < 0)
		g->on = 0;
	g->top_pre = pidns_top(pr);
	g->top_wak = pidns_top(wk);
}

static int call_cat(int src, int op)
{
	switch (ingero_op_class(src, op)) {
	case INGERO_OPC_LAUNCH: return CAT_LAUNCH;
	case INGERO_OPC_MEMCPY: return CAT_MEMCPY;
	case INGERO_OPC_SYNC: return CAT_SYNC;
	case INGERO_OPC_ALLOC: case INGERO_OPC_FREE: return CAT_ALLOC;
	case INGERO_OPC_COLL: case INGERO_OPC_P2P: case INGERO_OPC_COMM: return CAT_NCCL;
	default: return CAT_OTHER;
	}
}

static void rowB(struct eng *e, const char *nd, int64_t pid, int64_t tid, int src, int op, int64_t ts,
		 int64_t dur, int64_t a0, int64_t a1, int64_t a2)
{
	struct steps *S = e->st;
	S->rows++;
	int node = node_of(e, nd);
	int th = step_thread(e, node, pid, tid, 0);
	if (th < 0)
		return;
	struct sthr *t = &S->t[th];
	if (!t->chosen)
		return;
	int64_t end = ts + dur;
	struct sitem it = { ts, end, -1, 0, 0, 0, 0 };
	/* a pending boundary closes once a row of the thread starts after it
	 * (rows may come in start or in end order) */
	if (t->pend_end != INT64_MIN && ts >= t->pend_end)
		close_step(e, th, t->pend_end);
	if (is_step_call(src)) {
		if (!t->started) {
			t->started = 1;
			t->sstart = ts;
			t->first_ts = ts;
		} else if (t->last_cuda_end > INT64_MIN && ts - t->last_cuda_end > STALL_MIN_NS) {
			gap(e, th, t->last_cuda_end, ts);
		}
		if (end > t->last_cuda_end)
			t->last_cuda_end = end;
		if (end > t->last_ts)
			t->last_ts = end;
		int c = ingero_op_class(src, op);
		it.kind = IT_CALL;
		it.cls = (int8_t)call_cat(src, op);
		it.gpu_work = c == INGERO_OPC_LAUNCH || c == INGERO_OPC_MEMCPY || c == INGERO_OPC_COLL;
		it.gpu_sync = boundary_class(src, op, a1) != 0 || c == INGERO_OPC_SYNC;
		it.pid = c == INGERO_OPC_MEMCPY ? a0 : c == INGERO_OPC_ALLOC ? 1 : 0;
		push(t, &it);
		if (src == t->bsrc && op == t->bop &&
		    (t->bstream < 0 || call_stream(src, op, a0, a1, a2) == t->bstream)) {
			if (t->pend_end != INT64_MIN)
				close_step(e, th, t->pend_end);
			t->pend_end = end;
		}
		return;
	}
	if (src == INGERO_SRC_HOST && op == INGERO_HOST_SCHED_WAKEUP) {
		t->wake_ts = ts;
		t->wake_pid = a0;
		/* start-ordered rows: the blocked interval it ends came first */
		for (size_t i = t->nit; i-- > 0 && t->nit - i <= 16;) {
			struct sitem *o = &t->it[i];
			if (o->kind == IT_OFF && o->cls == 1 && o->pid < 0 && o->s <= ts && ts <= o->e) {
				o->pid = a0;
				break;
			}
		}
		return;
	}
	if (src == INGERO_SRC_HOST && op == INGERO_HOST_SCHED_SWITCH)
		t->nsched++;
	if (!t->started)
		return;
	if (src == INGERO_SRC_HOST && op == INGERO_HOST_SCHED_SWITCH) {
		it.kind = IT_OFF;
		/* prev_state 0: preempted; -1 (original databases): unknown, counted
		 * as preempted when another task is known to have run */
		it.cls = a0 == 0 || (a0 == -1 && a1 > 0) ? 0 : 1;
		it.pid = it.cls == 0 ? a1 : (t->wake_ts >= ts && t->wake_ts <= end ? t->wake_pid : -1);
		push(t, &it);
	} else if (src == INGERO_SRC_IO) {
		it.kind = IT_IO;
		push(t, &it);
	}
}

/* scan B runs as an SQL function inside one statement (see pass1) */
static void rowB_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	(void)argc;
	struct eng *e = sqlite3_user_data(ctx);
	rowB(e, eng_ctx_name(e, sqlite3_value_int64(v[0])), sqlite3_value_int64(v[1]),
	     sqlite3_value_int64(v[2]), sqlite3_value_int(v[3]), sqlite3_value_int(v[4]), cts(sqlite3_value_int64(v[5])),
	     cdur(sqlite3_value_int64(v[6])), sqlite3_value_int64(v[7]), sqlite3_value_int64(v[8]),
	     sqlite3_value_int64(v[9]));
	sqlite3_result_int(ctx, 0);
}

static int scan(struct eng *e, void (*fn)(sqlite3_context *, int, sqlite3_value **), const char *where)
{
	char f[256], sql[640];
	sqlite3_stmt *st;
	filt_sql_rows(e, f, sizeof(f));
	if (eng_ctx_load(e))
		return -1;
	e->cur_node = -1;
	e->st->last_th = -1;
	/* a user function cannot be (re)defined while a statement is active */
	sqlite3_stmt *q[] = { e->q_off, e->q_snap, e->q_gpu, e->q_name, e->q_kids };
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (q[i])
			sqlite3_reset(q[i]);
	if (sqlite3_create_function(e->db, "ingero_step_row", 10, SQLITE_UTF8, e, fn, NULL, NULL) != SQLITE_OK)
		return eng_err(e, "steps: %s", sqlite3_errmsg(e->db));
	snprintf(sql, sizeof(sql), "SELECT count(ingero_step_row(ctx, pid, tid, source, op, timestamp, duration, "
		 "arg0, arg1, arg2)) FROM event_rows WHERE %s%s", where, f);
	int rc = SQLITE_ERROR;
	if (eng_prep(e, &st, sql, "steps: reading events") == 0) {
		filt_bind(e, st);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			eng_err(e, "steps: reading events: %s", sqlite3_errmsg(e->db));
		sqlite3_finalize(st);
	}
	sqlite3_create_function(e->db, "ingero_step_row", 10, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	return rc == SQLITE_ROW ? 0 : -1;
}

int64_t steps_wall(struct eng *e, int node)
{
	int64_t w = node_span(e, node);
	return w > 0 ? w : 1;
}

/* before pass 1 (which feeds steps_observe) */
int steps_init(struct eng *e)
{
	struct steps *S = e->st = xcalloc(1, sizeof(*e->st));
	S->last_th = -1;
	if (e->o.step_op && ingero_op_lookup(e->o.step_op, &S->step_src, &S->step_op) != 0)
		return eng_err(e, "--step-op: unknown op '%s'", e->o.step_op);
	return 0;
}

int steps_run(struct eng *e)
{
	struct steps *S = e->st;
	char w[160];
	choose(e);
	int any = 0;
	for (size_t i = 0; i < S->nt; i++)
		any |= S->t[i].chosen;
	if (any) {
		for (size_t i = 0; i < S->nt; i++) {
			S->t[i].last_cuda_end = INT64_MIN;
			S->t[i].pend_end = INT64_MIN;
		}
		snprintf(w, sizeof(w), "source IN (%d, %d, %d, %d, %d, %d)", INGERO_SRC_CUDA, INGERO_SRC_DRIVER,
			 INGERO_SRC_GRAPH, INGERO_SRC_NCCL, INGERO_SRC_HOST, INGERO_SRC_IO);
		if (scan(e, rowB_fn, w))
			return -1;
		for (size_t i = 0; i < S->nt; i++)
			if (S->t[i].pend_end != INT64_MIN)
				close_step(e, (int)i, S->t[i].pend_end);
	}
	for (size_t i = 0; i < S->nt; i++) {
		free(S->t[i].it);
		S->t[i].it = NULL;
		S->t[i].nit = S->t[i].cit = 0;
	}
	steps_number(e);
	steps_flag(e);
	if (e->o.inference && steps_outliers(e))
		return -1;
	if (steps_write(e) || steps_findings(e) || steps_write_findings(e))
		return -1;
	return 0;
}

void steps_free(struct eng *e)
{
	struct steps *S = e->st;
	if (!S)
		return;
	for (size_t i = 0; i < S->nt; i++)
		free(S->t[i].it);
	free(S->t);
	ig_map_release(&S->tidx);
	for (size_t i = 0; i < S->nc; i++)
		free(S->c[i].iv);
	free(S->c);
	ig_map_release(&S->cidx);
	free(S->s);
	free(S->g);
	for (size_t i = 0; i < S->nf; i++) {
		free(S->f[i].summary);
		free(S->f[i].root);
		free(S->f[i].culprit_comm);
		if (S->f[i].recs)
			json_object_put(S->f[i].recs);
	}
	free(S->f);
	free(S);
	e->st = NULL;
}
