/* engine_rules.c - rules over a window or the whole trace of one process:
 * memcpy share of wall time, CPU contention inside CUDA calls, throughput
 * drop, allocation leak, OOM kill.  docs/engine.md section 6. */
#include <inttypes.h>
#include <math.h>

#include "engine_int.h"

/* first and last GPU call of (node, pid) over all its groups */
static void proc_gpu_span(struct eng *e, int node, int64_t pid, int64_t *pf, int64_t *pl)
{
	*pf = INT64_MAX;
	*pl = INT64_MIN;
	for (size_t k = 0; k < e->ng; k++) {
		struct grp *h = &e->g[k];
		if (h->node == node && h->pid == pid) {
			if (h->first_ts < *pf)
				*pf = h->first_ts;
			if (h->last_end > *pl)
				*pl = h->last_end;
		}
	}
}

/* the group of (node, pid) with the most GPU time (by_calls: the most calls) */
static struct grp *top_group(struct eng *e, int node, int64_t pid, int by_calls)
{
	struct grp *tg = NULL;
	for (size_t k = 0; k < e->ng; k++) {
		struct grp *h = &e->g[k];
		if (h->node == node && h->pid == pid &&
		    (!tg || (by_calls ? h->n > tg->n : h->sum > tg->sum)))
			tg = h;
	}
	return tg;
}

/* {"pid", "start", "end"[, "culprit_comm"]} of a window rule */
static json_object *window_json(int64_t pid, int64_t ws, int64_t we, const char *comm)
{
	json_object *w = json_object_new_object();
	json_object_object_add(w, "pid", json_object_new_int64(pid));
	json_object_object_add(w, "start", json_object_new_int64(ws));
	json_object_object_add(w, "end", json_object_new_int64(we));
	if (comm)
		json_object_object_add(w, "culprit_comm", json_object_new_string(comm));
	return w;
}

/* ------------------------------------------------------------- memcpy */

/* memcpy share of the process's wall time */
int rule_memcpy(struct eng *e)
{
	char b1[32], b2[32], nm[64], tmp[256];
	for (size_t i = 0; i < e->ng; i++) {
		struct grp *g = &e->g[i];
		if (!g->eligible || !is_memcpy(g->src, g->op) || g->n < 10)
			continue;
		int64_t pf, pl;
		proc_gpu_span(e, g->node, g->pid, &pf, &pl);
		double span = (double)(pl - pf);
		if (span <= 0)
			continue;
		double share = (double)g->sum / span;
		if (share < 0.25)
			continue;
		struct chain *c = chain_new(e);
		c->node = g->node; c->src = g->src; c->op = g->op; c->pid = g->pid;
		c->kind = "memcpy_bound";
		snprintf(c->opname, sizeof(c->opname), "%s", eng_op_name(g->src, g->op, b1, sizeof(b1)));
		c->p50 = g->p50; c->p99 = g->p99;
		c->ws = pf; c->we = pl; c->impact = g->sum; c->slow = (int64_t)g->n;
		c->share = share > 1 ? 1 : share;
		c->cover = 1;
		c->sev = share >= 0.5 ? 0 : 1;
		c->score = share;
		proc_name(e, g->node, g->pid, nm, sizeof(nm));
		int pct = (int)lround(100.0 * (share > 1 ? 1 : share));
		c->summary = xasprintf("%s takes %d%% of wall time — memcpy-bound loop", c->opname, pct);
		c->root = xasprintf("%s%s%" PRId64 "%s spends %d%% of its %s wall time in %zu %s calls (p50 %s): "
				    "synchronous copies stall the GPU pipeline", nm, nm[0] ? " (pid " : "pid ", g->pid,
				    nm[0] ? ")" : "", pct, FD((int64_t)span, b1), g->n, c->opname, FD(g->p50, b2));
		c->expl = xasprintf("time fraction = sum of %s durations / process wall span (first to last GPU call)", c->opname);
		snprintf(tmp, sizeof(tmp), "%zu calls, %s total = %d%% of %s", g->n, FD(g->sum, b1), pct, FD((int64_t)span, b2));
		tl_add(c->timeline, g->src == INGERO_SRC_DRIVER ? "DRIVER" : "CUDA", c->opname, tmp, g->sum);
		rec_add(c->recs, "use pinned host memory (pin_memory=True / cudaHostAlloc) and cudaMemcpyAsync on a side stream to overlap copies with compute");
		rec_add(c->recs, "batch small copies and keep data resident on the GPU between steps");
		json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	}
	return 0;
}

/* ------------------------------------------------------ CPU contention */

/* CPU contention over a time window: involuntary off-CPU time of a GPU
 * process that falls inside its own CUDA calls, per second.  Catches
 * contention that slows every call a little (below K x p50). */
struct ccul { int comm; int64_t n, tot, incall, pids[64]; int npids; };

#define HOT_SHARE 0.10  /* >= 10% of a second lost inside calls */

/* longest run of seconds whose flag is set, one unset second tolerated
 * inside; [*bs, *be) */
static void longest_run(const unsigned char *flag, size_t a, size_t b, size_t *bs, size_t *be)
{
	size_t cs = 0;
	int in = 0, gap = 0;
	*bs = *be = 0;
	for (size_t k = a; k <= b; k++) {
		int on = k < b && flag[k - a];
		if (on) {
			if (!in) {
				in = 1;
				cs = k;
			}
			gap = 0;
			if (k + 1 - cs > *be - *bs) {
				*bs = cs;
				*be = k + 1;
			}
		} else if (in && ++gap > 1) {
			in = 0;
		}
	}
}

/* the hot window of map m: seconds where preemption inside its CUDA calls
 * is >= HOT_SHARE.  Returns 1 (window in *ws, *we), 0 none, -1 error. */
static int hot_window(struct eng *e, struct amap *m, sqlite3_stmt *q, int64_t *ws, int64_t *we)
{
	int64_t base = e->nfirst[m->node], span = node_span(e, m->node);
	size_t nb = (size_t)(span / NS_S) + 1, bs, be;
	int rc;
	if (nb > (1u << 20))
		return 0;
	int64_t *inb = xcalloc(nb, sizeof(int64_t));
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, e->nodes.s[m->node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, m->pid);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t st = cts(sqlite3_column_int64(q, 0)), d = cdur(sqlite3_column_int64(q, 1));
		if (st < base || st >= base + span)
			continue;
		inb[(st - base) / NS_S] += map_busy(e, m, st, d);
	}
	if (rc != SQLITE_DONE) {
		free(inb);
		return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	}
	unsigned char *hot = xmalloc(nb);
	for (size_t b = 0; b < nb; b++)
		hot[b] = (double)inb[b] >= HOT_SHARE * (double)NS_S;
	free(inb);
	longest_run(hot, 0, nb, &bs, &be);
	free(hot);
	if (be - bs < 2)
		return 0;
	*ws = base + (int64_t)bs * NS_S;
	*we = base + (int64_t)be * NS_S;
	return 1;
}

/* preemptions of m inside [ws, we) by culprit comm */
static int window_culprits(struct eng *e, struct amap *m, sqlite3_stmt *q, int64_t ws, int64_t we,
			   struct ccul **out, size_t *ncu, int64_t *impact, int64_t *cnt)
{
	struct ccul *cu = NULL;
	size_t ccu = 0;
	int rc;
	*ncu = 0;
	*impact = *cnt = 0;
	sqlite3_reset(q);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t st = cts(sqlite3_column_int64(q, 0)), d = cdur(sqlite3_column_int64(q, 1));
		if (st < ws || st >= we)
			continue;
		int64_t ic = map_busy(e, m, st, d);
		int comm = eng_str(&e->comms, (const char *)sqlite3_column_text(q, 2));
		int64_t cp = sqlite3_column_int64(q, 3);
		size_t k;
		for (k = 0; k < *ncu; k++)
			if (cu[k].comm == comm)
				break;
		if (k == *ncu) {
			struct ccul z;
			memset(&z, 0, sizeof(z));
			z.comm = comm;
			VEC_PUSH(cu, *ncu, ccu, z);
		}
		cu[k].n++;
		cu[k].tot = sadd(cu[k].tot, d);
		cu[k].incall = sadd(cu[k].incall, ic);
		int f = 0;
		for (int x = 0; x < cu[k].npids; x++)
			f |= cu[k].pids[x] == cp;
		if (!f && cu[k].npids < 64)
			cu[k].pids[cu[k].npids++] = cp;
		*impact = sadd(*impact, ic);
		(*cnt)++;
	}
	*out = cu;
	if (rc != SQLITE_DONE)
		return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* already told by a slow-call preemption chain of the same culprit? */
static int told_by_preemption(struct eng *e, struct amap *m, const char *cn)
{
	for (size_t k = 0; k < e->nc; k++) {
		struct chain *c = &e->c[k];
		if (c->node == m->node && c->pid == m->pid && !strcmp(c->kind, "preemption") &&
		    c->sev <= 1 && c->culprit_comm && !strcmp(c->culprit_comm, cn))
			return 1;
	}
	return 0;
}

static void contention_chain(struct eng *e, struct amap *m, struct grp *tg, const struct ccul *cu, size_t ncu,
			     size_t top, int64_t ws, int64_t we, int64_t impact, int64_t cnt)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], nm[64], tmp[512], who[128], cwho[160];
	int64_t base = e->nfirst[m->node];
	const char *cn = cu[top].comm >= 0 && e->comms.s[cu[top].comm][0] ? e->comms.s[cu[top].comm] : "?";
	struct chain *c = chain_new(e);
	c->node = m->node; c->pid = m->pid; c->src = tg->src; c->op = tg->op;
	c->kind = "cpu_contention";
	snprintf(c->opname, sizeof(c->opname), "%s", eng_op_name(tg->src, tg->op, b1, sizeof(b1)));
	c->p50 = tg->p50; c->p99 = tg->p99;
	c->ws = ws; c->we = we; c->impact = impact; c->slow = cnt; c->cover = 1;
	c->share = (double)impact / (double)node_span(e, m->node);
	severity(c, 0);
	int64_t minpid = cu[top].pids[0];
	for (int x = 1; x < cu[top].npids; x++)
		if (cu[top].pids[x] < minpid)
			minpid = cu[top].pids[x];
	c->culprit_pid = minpid;
	c->culprit_comm = xstrdup(cn);
	proc_name(e, m->node, m->pid, nm, sizeof(nm));
	proc_who(e, m->node, m->pid, who, sizeof(who));
	if (cu[top].npids > 1)
		snprintf(cwho, sizeof(cwho), "%s (%d processes, e.g. pid %" PRId64 ")", cn, cu[top].npids, minpid);
	else
		snprintf(cwho, sizeof(cwho), "%s (pid %" PRId64 ")", cn, minpid);
	double winshare = (double)impact / (double)(we - ws);
	c->summary = xasprintf("CPU contention — %s preempted %s %" PRId64 " times, %s lost inside its CUDA calls",
			       cwho, who, cu[top].n, FD(cu[top].incall, b1));
	c->root = xasprintf("for %s (+%s..+%s) %s preempted the training thread(s) of %s %" PRId64 " times for %s "
			    "total; %s of it inside CUDA calls (%.0f%% of that window), slowing every step",
			    FD(we - ws, b1), FD(ws - base, b2), FD(we - base, b3), cwho, who, cu[top].n,
			    FD(cu[top].tot, b4), FD(cu[top].incall, b5), 100.0 * winshare);
	c->expl = xasprintf("window = the longest run of seconds in which involuntary off-CPU time inside the "
			    "process's CUDA calls is >= %.0f%% of the second", 100.0 * HOT_SHARE);
	snprintf(tmp, sizeof(tmp), "%s preempted %s %" PRId64 " times (%s off-CPU, %s inside CUDA calls)",
		 cwho, who, cu[top].n, FD(cu[top].tot, b1), FD(cu[top].incall, b2));
	tl_add(c->timeline, "HOST", "sched_switch", tmp, cu[top].incall);
	for (size_t k = 0, shown = 0; k < ncu && shown < 3; k++) {
		if (k == top)
			continue;
		snprintf(tmp, sizeof(tmp), "also %s: %" PRId64 " preemptions, %s inside CUDA calls",
			 e->comms.s[cu[k].comm][0] ? e->comms.s[cu[k].comm] : "?", cu[k].n, FD(cu[k].incall, b1));
		tl_add(c->timeline, "HOST", "sched_switch", tmp, cu[k].incall);
		shown++;
	}
	snprintf(tmp, sizeof(tmp), "%s p50=%s p99=%s over the whole run; %.0f%% of the window lost to preemption",
		 c->opname, FD(tg->p50, b1), FD(tg->p99, b2), 100.0 * winshare);
	tl_add(c->timeline, tg->src == INGERO_SRC_DRIVER ? "DRIVER" : "CUDA", c->opname, tmp, impact);
	if (eng_pin_advice(e, m->node, m->pid, nm, minpid, cn, tmp, sizeof tmp) == 0)
		rec_add(c->recs, tmp);
	snprintf(tmp, sizeof(tmp), "nice -n 19 %s, or confine it with a cgroup cpuset/cpu.max", cn);
	rec_add(c->recs, tmp);
	json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	json_object_object_add(c->evidence, "offcpu_window", window_json(m->pid, ws, we, cn));
}

int rule_cpu_contention(struct eng *e)
{
	if (!e->have_offcpu)
		return 0;
	sqlite3_stmt *q;
	if (eng_prep(e, &q, "SELECT start, duration, coalesce(culprit_comm, ''), coalesce(culprit_pid, -1) "
		     "FROM offcpu WHERE node = ?1 AND pid = ?2 AND preempted = 1 ORDER BY start, rowid",
		     "reading offcpu"))
		return -1;
	int rc = 0;
	for (int mi = 0; mi < e->nmaps && !rc; mi++) {
		struct amap *m = &e->maps[mi];
		int64_t ws = 0, we = 0, impact, cnt;
		if (e->o.pid >= 0 && e->o.pid != m->pid)
			continue;
		int h = hot_window(e, m, q, &ws, &we);
		if (h <= 0) {
			rc = h;
			continue;
		}
		struct ccul *cu = NULL;
		size_t ncu = 0, top = 0;
		if ((rc = window_culprits(e, m, q, ws, we, &cu, &ncu, &impact, &cnt)) == 0) {
			for (size_t k = 1; k < ncu; k++)
				if (cu[k].incall > cu[top].incall)
					top = k;
			struct grp *tg = ncu && impact > 0 ? top_group(e, m->node, m->pid, 0) : NULL;
			const char *cn = ncu && cu[top].comm >= 0 && e->comms.s[cu[top].comm][0] ?
				e->comms.s[cu[top].comm] : "?";
			if (tg && !told_by_preemption(e, m, cn))
				contention_chain(e, m, tg, cu, ncu, top, ws, we, impact, cnt);
		}
		free(cu);
	}
	sqlite3_finalize(q);
	return rc;
}

/* ---------------------------------------------------- throughput drop */

struct drop {
	int64_t ws, we, med, impact;
	double rate;
	int64_t pre, blk, io, busy;
};

/* the longest run of seconds below half the median call rate of map m;
 * 1 when found (d->ws, we, med, rate, impact), else 0 */
static int drop_window(struct eng *e, struct amap *m, struct drop *d)
{
	size_t s0 = (size_t)((m->first - e->base) / NS_S), s1 = (size_t)((m->last - e->base) / NS_S);
	if (s1 >= m->nsec)
		s1 = m->nsec - 1;
	if (s1 < s0 + 10)
		return 0;
	/* full seconds only: drop the partial first and last */
	size_t a = s0 + 1, b = s1; /* [a, b) */
	size_t n = b - a, bs, be;
	int64_t *tmpv = xmalloc(n * sizeof(int64_t));
	for (size_t k = 0; k < n; k++)
		tmpv[k] = m->cps[a + k];
	int64_t med = ig_kth_i64(tmpv, n, (n - 1) / 2);
	free(tmpv);
	if (med < 10)
		return 0;
	unsigned char *low = xmalloc(n);
	for (size_t k = 0; k < n; k++)
		low[k] = 2 * (int64_t)m->cps[a + k] < med;
	longest_run(low, a, b, &bs, &be);
	free(low);
	if (be - bs < 2)
		return 0;
	double lost = 0, rate = 0;
	for (size_t k = bs; k < be; k++) {
		double r = (double)m->cps[k] / (double)med;
		lost += r < 1 ? 1 - r : 0;
		rate += (double)m->cps[k];
	}
	d->ws = e->base + (int64_t)bs * NS_S;
	d->we = e->base + (int64_t)be * NS_S;
	d->med = med;
	d->rate = rate / (double)(be - bs);
	d->impact = (int64_t)(lost * (double)NS_S);
	return 1;
}

/* off-CPU (preempted, blocked), block I/O and GPU-busy time in the window */
static int drop_evidence(struct eng *e, struct amap *m, struct drop *d)
{
	int rc;
	d->pre = d->blk = d->io = d->busy = 0;
	if (e->have_offcpu) {
		sqlite3_stmt *q;
		if (eng_prep(e, &q, "SELECT preempted, coalesce(sum(duration), 0) FROM offcpu "
			     "WHERE node = ?1 AND pid = ?2 AND start >= ?3 AND start < ?4 GROUP BY 1 ORDER BY 1",
			     "reading offcpu"))
			return -1;
		sqlite3_bind_text(q, 1, e->nodes.s[m->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, m->pid);
		sqlite3_bind_int64(q, 3, d->ws);
		sqlite3_bind_int64(q, 4, d->we);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			if (sqlite3_column_int(q, 0))
				d->pre += cdur(sqlite3_column_int64(q, 1));
			else
				d->blk += cdur(sqlite3_column_int64(q, 1));
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	}
	for (size_t i = ivl_lower(e->io, e->nio, m->node, m->pid, d->ws - e->maxio, 0); i < e->nio; i++) {
		struct ivl *v = &e->io[i];
		if (v->node != m->node || v->pid != m->pid || v->ts >= d->we)
			break;
		d->io += ovl(d->ws, d->we, v->ts, v->ts + v->dur);
	}
	for (int64_t t = d->ws; t < d->we; t += NS_S)
		d->busy += map_busy(e, m, t, NS_S);
	return 0;
}

static void drop_chain(struct eng *e, struct amap *m, struct grp *tg, const struct drop *d)
{
	char b1[32], b2[32], who[128], tmp[512];
	int64_t ws = d->ws, we = d->we;
	struct chain *c = chain_new(e);
	c->node = m->node; c->pid = m->pid; c->src = tg->src; c->op = tg->op;
	c->kind = "throughput_drop";
	snprintf(c->opname, sizeof(c->opname), "%s", eng_op_name(tg->src, tg->op, b1, sizeof(b1)));
	c->p50 = tg->p50; c->p99 = tg->p99;
	c->ws = ws; c->we = we; c->impact = d->impact; c->slow = (we - ws) / NS_S;
	c->share = (double)d->impact / (double)node_span(e, m->node);
	int64_t best = d->blk > d->pre ? d->blk : d->pre;
	if (d->io > best)
		best = d->io;
	c->cover = d->impact > 0 ? (double)best / (double)d->impact : 0;
	if (c->cover > 1)
		c->cover = 1;
	if ((double)best < 0.2 * (double)d->impact)
		c->cover = 0;
	severity(c, c->cover == 0);
	proc_who(e, m->node, m->pid, who, sizeof(who));
	int pct = (int)lround(100.0 * (1.0 - d->rate / (double)d->med));
	int none = c->cover == 0, isio = best == d->io, isblk = best == d->blk;
	const char *why = none ? "no host evidence (the GPU work itself got slower, or the process waits on something untraced)"
		: isio ? "waiting on block I/O"
		: isblk ? "the thread sleeps (blocked): waiting for input data (DataLoader), a lock or the network"
		: "the thread is preempted (CPU contention)";
	c->summary = xasprintf("%s throughput dropped %d%% for %s — %s", c->opname, pct, FD(we - ws, b1),
			       none ? "no host cause" : isio ? "block I/O" : isblk ? "thread blocked" : "preempted");
	c->root = xasprintf("the GPU call rate of %s fell from a median %" PRId64 "/s to %.0f/s between +%s and +%s: %s",
			    who, d->med, d->rate, FD(ws - e->nfirst[m->node], b1), FD(we - e->nfirst[m->node], b2), why);
	c->expl = xasprintf("drop window = longest run of seconds below half the median call rate; impact = "
			    "seconds x (1 - rate/median)");
	double w = (double)(we - ws);
	snprintf(tmp, sizeof(tmp), "in the window: blocked %.0f%%, preempted %.0f%%, block I/O %.0f%%, in GPU calls %.0f%% of the time",
		 100.0 * (double)d->blk / w, 100.0 * (double)d->pre / w, 100.0 * (double)d->io / w, 100.0 * (double)d->busy / w);
	tl_add(c->timeline, "HOST", "offcpu", tmp, d->blk + d->pre);
	snprintf(tmp, sizeof(tmp), "%" PRId64 " calls/s median, %.0f/s in the window (-%d%%)", d->med, d->rate, pct);
	tl_add(c->timeline, tg->src == INGERO_SRC_DRIVER ? "DRIVER" : "CUDA", c->opname, tmp, d->impact);
	if (!none && isblk) {
		rec_add(c->recs, "more DataLoader workers (num_workers), prefetch_factor and pin_memory=True so input is ready");
		rec_add(c->recs, "profile what the thread waits on (off-CPU stacks: perf sched / offcputime)");
	} else if (!none && isio) {
		rec_add(c->recs, "faster storage (local NVMe, /dev/shm or page cache for the dataset)");
	} else if (!none) {
		char pin[512], pnm[64];
		proc_name(e, m->node, m->pid, pnm, sizeof(pnm));
		if (eng_pin_advice(e, m->node, m->pid, pnm, 0, NULL, pin, sizeof pin) == 0)
			rec_add(c->recs, pin);
		rec_add(c->recs, "nice -n 19 the competing jobs");
	} else {
		rec_add(c->recs, "profile the window with nsys to see what the GPU or the process waits on");
	}
	json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	json_object_object_add(c->evidence, "offcpu_window", window_json(m->pid, ws, we, NULL));
}

/* throughput drop: a GPU process's call rate falls below half its median
 * for >= 2 s with no other chain of that process explaining the window */
int rule_drop(struct eng *e)
{
	for (int mi = 0; mi < e->nmaps; mi++) {
		struct amap *m = &e->maps[mi];
		struct drop d;
		if ((e->o.pid >= 0 && e->o.pid != m->pid) || m->first >= m->last || !m->nsec)
			continue;
		if (!drop_window(e, m, &d))
			continue;
		/* another chain of the process already covers most of the window? */
		int dup = 0;
		for (size_t k = 0; k < e->nc; k++) {
			struct chain *c = &e->c[k];
			if (c->node == m->node && c->pid == m->pid && ovl(c->ws, c->we, d.ws, d.we) * 2 >= d.we - d.ws)
				dup = 1;
		}
		if (dup)
			continue;
		if (drop_evidence(e, m, &d))
			return -1;
		struct grp *tg = top_group(e, m->node, m->pid, 1);
		if (tg)
			drop_chain(e, m, tg, &d);
	}
	return 0;
}

/* --------------------------------------------------------- leak, OOM */

/* alloc/free imbalance that keeps growing: leak */
int rule_leak(struct eng *e)
{
	char b1[32], nm[64], tmp[256];
	for (size_t i = 0; i < e->nal;) {
		size_t j = i;
		int64_t na = 0, nf = 0, bytes = 0, late = 0, f = e->al[i].ts, l = e->al[i].ts;
		int rt = 0;
		while (j < e->nal && e->al[j].node == e->al[i].node && e->al[j].pid == e->al[i].pid) {
			if (e->al[j].a0 / 100 == INGERO_SRC_CUDA)
				rt = 1;
			l = e->al[j].ts;
			j++;
		}
		int64_t third = l - (l - f) / 3, late_bytes = 0;
		for (size_t k = i; k < j; k++) {
			struct ivl *v = &e->al[k];
			int src = (int)(v->a0 / 100), op = (int)(v->a0 % 100);
			if (rt && src != INGERO_SRC_CUDA)
				continue; /* runtime calls contain the driver's */
			if (is_alloc(src, op)) {
				na++;
				bytes += v->a1 > 0 ? v->a1 : 0;
				if (v->ts >= third) {
					late++;
					late_bytes += v->a1 > 0 ? v->a1 : 0;
				}
			} else if (is_free(src, op)) {
				nf++;
			}
		}
		int node = e->al[i].node;
		int64_t pid = e->al[i].pid;
		/* a caching allocator grows early and stops: a leak keeps allocating late */
		/* periodic release (empty_cache) already explains the frees pattern */
		int periodic = 0;
		for (size_t k = 0; k < e->nc; k++)
			if (e->c[k].node == e->al[i].node && e->c[k].pid == e->al[i].pid &&
			    !strcmp(e->c[k].kind, "periodic") && is_alloc(e->c[k].src, e->c[k].op))
				periodic = 1;
		if (!periodic && na >= 20 && nf * 2 < na && late * 5 >= na && late_bytes * 4 >= bytes &&
		    bytes >= (1LL << 30) && (e->o.pid < 0 || e->o.pid == pid)) {
			struct chain *c = chain_new(e);
			c->node = node; c->pid = pid; c->src = INGERO_SRC_CUDA; c->op = INGERO_CUDA_MALLOC;
			c->kind = "leak";
			snprintf(c->opname, sizeof(c->opname), "%s", ingero_op_name(INGERO_SRC_CUDA, INGERO_CUDA_MALLOC));
			c->ws = f; c->we = l; c->slow = na - nf;
			c->sev = 2;
			proc_name(e, node, pid, nm, sizeof(nm));
			c->summary = xasprintf("cudaMalloc/cudaFree imbalance — %" PRId64 " allocations (%.1f GB), %" PRId64 " frees (possible leak)",
					       na, (double)bytes / 1e9, nf);
			c->root = xasprintf("%s%s%" PRId64 "%s allocates device memory without freeing it: %" PRId64 " of %" PRId64
					    " allocations are never freed and %" PRId64 " happen in the last third of the run",
					    nm, nm[0] ? " (pid " : "pid ", pid, nm[0] ? ")" : "", na - nf, na, late);
			c->expl = xasprintf("allocation calls minus free calls over %s", FD(l - f, b1));
			snprintf(tmp, sizeof(tmp), "%" PRId64 " allocations, %" PRId64 " frees", na, nf);
			tl_add(c->timeline, "CUDA", "cudaMalloc", tmp, 0);
			rec_add(c->recs, "check for tensors kept alive across iterations (lists of losses, cached activations)");
			rec_add(c->recs, "watch torch.cuda.memory_allocated() per step; free or reuse buffers");
			json_object_object_add(c->evidence, "symptoms", json_object_new_array());
		}
		i = j;
	}
	return 0;
}

int rule_oom(struct eng *e)
{
	char nm[64];
	for (size_t i = 0; i < e->noom; i++) {
		struct ivl *v = &e->oom[i];
		struct chain *c = chain_new(e);
		int64_t victim = v->a0 ? v->a0 : v->pid;
		c->node = v->node; c->pid = victim; c->src = INGERO_SRC_HOST; c->op = INGERO_HOST_OOM_KILL;
		c->kind = "oom";
		snprintf(c->opname, sizeof(c->opname), "%s", ingero_op_name(INGERO_SRC_HOST, INGERO_HOST_OOM_KILL));
		c->ws = v->ts; c->we = v->ts + v->dur; c->slow = 1; c->sev = 0; c->cover = 1;
		proc_name(e, v->node, victim, nm, sizeof(nm));
		c->culprit_pid = victim;
		c->culprit_comm = xstrdup(nm[0] ? nm : "?");
		c->summary = xasprintf("OOM killer killed %s (pid %" PRId64 ")", nm[0] ? nm : "?", victim);
		c->root = xasprintf("the kernel OOM killer killed pid %" PRId64 ": host memory exhausted", victim);
		c->expl = xstrdup("oom_kill event");
		tl_add(c->timeline, "HOST", "oom_kill", c->summary, 0);
		rec_add(c->recs, "reduce host memory (DataLoader workers, pinned buffers) or add RAM / swap limits per cgroup");
		json_object *sy = json_object_new_array();
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "%s:%" PRId64, e->nodes.s[v->node], v->seq);
		json_object_array_add(sy, json_object_new_string(tmp));
		json_object_object_add(c->evidence, "symptoms", sy);
	}
	return 0;
}
