/* engine_evidence.c - the evidence that overlaps each slow call in time, the
 * cause it points to, and the patterns left without a host cause (cold
 * start, periodic spikes).  docs/engine.md sections 2-4. */
#include <inttypes.h>
#include <math.h>

#include "engine_int.h"

size_t ivl_lower(const struct ivl *a, size_t n, int node, int64_t id, int64_t ts, int bytid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct ivl *v = &a[mid];
		int64_t vid = bytid ? v->tid : v->pid;
		int less = v->node < node || (v->node == node && (vid < id || (vid == id && v->ts < ts)));
		if (less)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* child processes of (node, pid), from the processes table; up to max */
static int children(struct eng *e, int node, int64_t pid, int64_t *out, int max)
{
	if (!e->q_kids)
		return 0;
	sqlite3_reset(e->q_kids);
	sqlite3_bind_text(e->q_kids, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(e->q_kids, 2, pid);
	int n = 0, rc = SQLITE_DONE;
	while (n < max && (rc = sqlite3_step(e->q_kids)) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(e->q_kids, 0);
	if (n < max && rc != SQLITE_DONE)
		return eng_err(e, "reading processes: %s", sqlite3_errmsg(e->db));
	return n;
}

/* a preemption of the slow call's thread by culprit pid cp */
static void add_culprit(struct eng *e, struct culp *cu, int *ncu, int64_t cp, const char *comm, int64_t o)
{
	int k;
	for (k = 0; k < *ncu; k++)
		if (cu[k].pid == cp)
			break;
	if (k == *ncu && *ncu < 16) {
		cu[k].pid = cp;
		cu[k].ns = 0;
		cu[k].comm = eng_str(&e->comms, comm);
		(*ncu)++;
	}
	if (k < *ncu)
		cu[k].ns += o;
}

/* off-CPU intervals of the same thread (offcpu rows), with culprits */
static int ev_offcpu(struct eng *e, struct slow *s, int64_t t0, int64_t t1)
{
	struct grp *g = &e->g[s->g];
	struct culp cu[16];
	int ncu = 0, rc;
	sqlite3_stmt *q = e->q_off;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, s->tid);
	sqlite3_bind_int64(q, 3, t1);
	sqlite3_bind_int64(q, 4, t0 - e->maxoff);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t st = cts(sqlite3_column_int64(q, 1)), d = cdur(sqlite3_column_int64(q, 2));
		int64_t o = ovl(t0, t1, st, st + d);
		if (o <= 0)
			continue;
		if (sqlite3_column_int(q, 3)) {
			s->pre_ns = sadd(s->pre_ns, o);
			s->npre++;
			int64_t cp = sqlite3_column_type(q, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 4);
			add_culprit(e, cu, &ncu, cp, (const char *)sqlite3_column_text(q, 5), o);
		} else if (sqlite3_column_int64(q, 6) < 0) {
			s->unk_ns = sadd(s->unk_ns, o); /* legacy rows: preempted vs blocked unknown */
		} else {
			s->blk_ns = sadd(s->blk_ns, o);
		}
		if (s->noff < 3)
			s->off_rowid[s->noff++] = sqlite3_column_int64(q, 0);
	}
	if (rc != SQLITE_DONE)
		return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	for (int k = 0; k < ncu; k++)
		if (k == 0 || cu[k].ns > s->cul_ns || (cu[k].ns == s->cul_ns && cu[k].pid < s->cul_pid)) {
			s->cul_ns = cu[k].ns;
			s->cul_pid = cu[k].pid;
			s->cul_comm = cu[k].comm;
		}
	return 0;
}

/* legacy: sched_switch rows are off-CPU intervals, state unknown */
static void ev_legacy_sched(struct eng *e, struct slow *s, int64_t t0, int64_t t1)
{
	struct grp *g = &e->g[s->g];
	int64_t from = t0 - e->maxss;
	for (size_t i = ivl_lower(e->ss, e->nss, g->node, s->tid, from, 1); i < e->nss; i++) {
		struct ivl *v = &e->ss[i];
		if (v->node != g->node || v->tid != s->tid || v->ts >= t1)
			break;
		int64_t o = ovl(t0, t1, v->ts, v->ts + v->dur);
		if (o <= 0)
			continue;
		s->unk_ns = sadd(s->unk_ns, o);
		if (s->nev < 4)
			s->ev_seq[s->nev++] = v->seq;
	}
}

/* block I/O issued by the process or its children (DataLoader workers) */
static int ev_io(struct eng *e, struct slow *s, int64_t t0, int64_t t1)
{
	struct grp *g = &e->g[s->g];
	int64_t kids[17];
	int nk = e->nio ? children(e, g->node, g->pid, kids, 16) : 0;
	if (nk < 0)
		return -1;
	kids[nk++] = g->pid;
	for (int k = 0; k < nk; k++) {
		for (size_t i = ivl_lower(e->io, e->nio, g->node, kids[k], t0 - e->maxio, 0); i < e->nio; i++) {
			struct ivl *v = &e->io[i];
			if (v->node != g->node || v->pid != kids[k] || v->ts >= t1)
				break;
			int64_t o = ovl(t0, t1, v->ts, v->ts + v->dur);
			if (o <= 0)
				continue;
			s->io_ns = sadd(s->io_ns, o);
			s->io_n++;
			s->io_bytes += v->a0;
			if (s->nev < 4)
				s->ev_seq[s->nev++] = v->seq;
		}
	}
	if (s->io_ns > s->dur)
		s->io_ns = s->dur;
	return 0;
}

/* page-allocation bursts of the process */
static void ev_page_alloc(struct eng *e, struct slow *s, int64_t t0, int64_t t1)
{
	struct grp *g = &e->g[s->g];
	for (size_t i = ivl_lower(e->pa, e->npa, g->node, g->pid, t0 - e->maxpa, 0); i < e->npa; i++) {
		struct ivl *v = &e->pa[i];
		if (v->node != g->node || v->pid != g->pid || v->ts >= t1)
			break;
		int64_t o = v->dur > 0 ? ovl(t0, t1, v->ts, v->ts + v->dur) : (v->ts >= t0 ? 1 : 0);
		if (o <= 0)
			continue;
		s->pa_bytes += v->dur > 0 ? (int64_t)((double)v->a0 * (double)o / (double)v->dur) : v->a0;
		if (s->nev < 4)
			s->ev_seq[s->nev++] = v->seq;
	}
}

/* memory pressure / swap from the snapshots around the call, and GPU
 * throttling (power / thermal / HW slowdown bits) */
static int ev_snapshots(struct eng *e, struct slow *s, int64_t t0, int64_t t1)
{
	struct grp *g = &e->g[s->g];
	int rc = SQLITE_ROW;
	if (e->have_snap) {
		sqlite3_stmt *q = e->q_snap;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, t0 - NS_S);
		sqlite3_bind_int64(q, 3, t1 + NS_S);
		if ((rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int64(q, 3) > 0) {
			double mem = sqlite3_column_double(q, 0);
			int64_t swap_grow = sqlite3_column_int64(q, 1);
			if (mem >= 95.0 || swap_grow > 0)
				s->mem = 1;
		}
		if (rc != SQLITE_ROW)
			return eng_err(e, "reading system_snapshots: %s", sqlite3_errmsg(e->db));
	}
	if (e->have_gpu) {
		sqlite3_stmt *q = e->q_gpu;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, t0 - NS_S);
		sqlite3_bind_int64(q, 3, t1 + NS_S);
		if ((rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
			s->thr = (int)sqlite3_column_int64(q, 0);
		if (rc != SQLITE_ROW)
			return eng_err(e, "reading gpu_snapshots: %s", sqlite3_errmsg(e->db));
	}
	return 0;
}

/* other processes' GPU calls on the same node */
static void ev_gpu_neighbours(struct eng *e, struct slow *s, int64_t t0)
{
	struct grp *g = &e->g[s->g];
	for (int i = 0; i < e->nmaps; i++) {
		struct amap *m = &e->maps[i];
		if (m->node != g->node || m->pid == g->pid)
			continue;
		int64_t b = map_busy(e, m, t0, s->dur);
		double span = (double)(m->last - m->first);
		double duty = span > 0 ? (double)m->total / span : 1.0;
		double frac = s->dur > 0 ? (double)b / (double)s->dur : 0;
		if (frac >= 0.5 || (frac >= 0.25 && frac >= 1.5 * duty)) {
			if (b > s->cont_ns) {
				s->cont_ns = b;
				s->cont_pid = m->pid;
			}
		}
	}
}

int evidence(struct eng *e, struct slow *s)
{
	int64_t t0 = s->ts, t1 = s->ts + s->dur;
	if (e->have_offcpu && e->q_off) {
		if (ev_offcpu(e, s, t0, t1))
			return -1;
	} else if (e->nss) {
		ev_legacy_sched(e, s, t0, t1);
	}
	if (ev_io(e, s, t0, t1))
		return -1;
	ev_page_alloc(e, s, t0, t1);
	if (ev_snapshots(e, s, t0, t1))
		return -1;
	ev_gpu_neighbours(e, s, t0);
	return 0;
}

/* explained ns per cause; the cause is the best-covered one */
void classify(struct eng *e, struct slow *s)
{
	struct grp *g = &e->g[s->g];
	int64_t ex[C_NCAUSE] = { 0 };
	int64_t excess = s->excess > 0 ? s->excess : 1;
	ex[C_PREEMPT] = s->pre_ns;
	ex[C_IO] = s->io_ns;
	if (s->mem)
		ex[C_MEMORY] = excess;
	else if (s->pa_bytes >= (256LL << 20))
		ex[C_MEMORY] = excess;
	else if (s->pa_bytes >= (32LL << 20))
		ex[C_MEMORY] = excess / 2;
	if (s->thr)
		ex[C_THROTTLE] = s->dur / 2;
	ex[C_CONTENTION] = s->cont_ns;
	ex[C_OFFCPU] = s->unk_ns;
	/* a sync call waits for the GPU asleep: blocking is its normal state */
	if (!is_sync(g->src, g->op))
		ex[C_BLOCKED] = s->blk_ns;
	int best = C_NONE;
	int64_t bv = 0;
	for (int c = C_PREEMPT; c <= C_BLOCKED; c++)
		if (ex[c] > bv) {
			bv = ex[c];
			best = c;
		}
	if (best != C_NONE && (double)bv < EXPLAIN_MIN * (double)excess)
		best = C_NONE;
	s->cause = best;
	s->expl = best == C_NONE ? 0 : (bv > excess ? excess : bv);
}

/* cold start: the very first call is slow by >= COLD_RATIO; every slow call
 * among the first COLD_CALLS calls belongs to it */
static void cold_start(struct eng *e, size_t lo, size_t hi)
{
	struct grp *g = &e->g[e->s[lo].g];
	if (g->nfirst > 0 && e->s[lo].ts == g->first_ts &&
	    (double)e->s[lo].dur >= COLD_RATIO * (double)g->p50) {
		int64_t lim = g->first_ts10[g->nfirst - 1];
		for (size_t i = lo; i < hi && e->s[i].ts <= lim; i++) {
			struct slow *s = &e->s[i];
			if (s->cause != C_NONE && s->expl * 2 >= s->excess)
				continue; /* a host cause explains it better */
			s->cause = C_COLD;
			s->expl = s->excess;
		}
	}
}

/* calls of one iteration: the process's sync op (one per step), else its
 * most frequent op; per period of med ns */
static double iterations(struct eng *e, const struct grp *g, int64_t med)
{
	struct grp *it = NULL;
	for (size_t k = 0; k < e->ng; k++) {
		struct grp *h = &e->g[k];
		if (h->node != g->node || h->pid != g->pid || h->n < 10)
			continue;
		if (is_sync(h->src, h->op) && (!it || !is_sync(it->src, it->op) || h->n > it->n))
			it = h;
		else if (!it || (!is_sync(it->src, it->op) && h->n > it->n))
			it = h;
	}
	if (!it)
		return 0;
	double ispan = (double)(it->last_end - it->first_ts);
	return ispan > 0 ? (double)med * (double)it->n / ispan : 0;
}

/* bursts starting at starts[0..nb): regular enough to be a period? */
static void period_of(struct eng *e, const struct grp *g, const int64_t *starts, size_t nb, struct period *pr)
{
	size_t ni = nb - 1;
	int64_t *iv = xmalloc(ni * sizeof(int64_t));
	for (size_t i = 0; i < ni; i++)
		iv[i] = starts[i + 1] - starts[i];
	xqsort(iv, ni, sizeof(int64_t), cmp_i64);
	int64_t med = iv[(ni - 1) / 2];
	size_t reg = 0;
	for (size_t i = 0; i < ni; i++)
		if (fabs((double)(iv[i] - med)) <= 0.25 * (double)med)
			reg++;
	free(iv);
	double cover = (double)(starts[nb - 1] - starts[0]);
	double gspan = (double)(g->last_end - g->first_ts);
	/* and they recur over that span (not one dense cluster) */
	int recur = med > 0 && (double)nb >= 0.5 * cover / (double)med;
	if (!(med > 0 && recur && (double)reg >= 0.6 * (double)ni && cover >= 0.5 * gspan))
		return;
	pr->sec = (double)med / 1e9;
	pr->bursts = (int)nb;
	pr->calls = gspan > 0 ? (double)med * (double)g->n / gspan : 0;
	pr->iters = iterations(e, g, med);
}

/* slow calls sorted by group, ts; [lo, hi) is one group */
void patterns(struct eng *e, size_t lo, size_t hi, struct period *pr)
{
	struct grp *g = &e->g[e->s[lo].g];
	memset(pr, 0, sizeof(*pr));
	cold_start(e, lo, hi);
	if (g->n < ENGINE_MIN_CALLS) { /* only cold start for small groups */
		for (size_t i = lo; i < hi; i++)
			if (e->s[i].cause != C_COLD)
				e->s[i].cause = -1;
		return;
	}
	/* periodic: bursts of unexplained slow calls at a regular spacing */
	size_t n = 0;
	for (size_t i = lo; i < hi; i++)
		n += e->s[i].cause == C_NONE;
	if (n < 4)
		return;
	double spacing = g->n > 1 ? (double)(g->last_end - g->first_ts) / (double)g->n : 0;
	int64_t *starts = xmalloc(n * sizeof(int64_t));
	size_t nb = 0;
	int64_t prev = INT64_MIN;
	for (size_t i = lo; i < hi; i++) {
		struct slow *s = &e->s[i];
		if (s->cause != C_NONE)
			continue;
		if (prev == INT64_MIN || (double)(s->ts - prev) > 10.0 * spacing)
			starts[nb++] = s->ts;
		prev = s->ts;
	}
	if (nb >= 4)
		period_of(e, g, starts, nb, pr);
	free(starts);
	if (pr->bursts)
		for (size_t i = lo; i < hi; i++)
			if (e->s[i].cause == C_NONE) {
				e->s[i].cause = C_PERIODIC;
				e->s[i].expl = e->s[i].excess;
			}
}
