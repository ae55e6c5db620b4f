/* engine_chain.c - one causal chain from the slow calls of one group and
 * cause: its text (summary, root cause, timeline, fixes), incidents and
 * recurrence, the evidence JSON, severity.  docs/engine.md section 5. */
#include <inttypes.h>
#include <math.h>

#include "engine_int.h"

/* ----------------------------------------------------------- helpers */

void tl_add(json_object *tl, const char *layer, const char *op, const char *detail, int64_t dur_ns)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "layer", json_object_new_string(layer));
	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (dur_ns / 1000 > 0)
		json_object_object_add(o, "dur_us", json_object_new_int64(dur_ns / 1000));
	json_object_array_add(tl, o);
}

void rec_add(json_object *r, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(r); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(r, i)), s) == 0)
			return;
	json_object_array_add(r, json_object_new_string(s));
}

const char *proc_name(struct eng *e, int node, int64_t pid, char *buf, size_t len)
{
	buf[0] = 0;
	if (!e->q_name)
		return buf;
	sqlite3_reset(e->q_name);
	sqlite3_bind_text(e->q_name, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(e->q_name, 2, pid);
	if (sqlite3_step(e->q_name) == SQLITE_ROW && sqlite3_column_text(e->q_name, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(e->q_name, 0));
	return buf;
}

void proc_who(struct eng *e, int node, int64_t pid, char *buf, size_t len)
{
	char nm[64];
	proc_name(e, node, pid, nm, sizeof(nm));
	if (nm[0])
		snprintf(buf, len, "%s (pid %" PRId64 ")", nm, pid);
	else
		snprintf(buf, len, "pid %" PRId64, pid);
}

struct chain *chain_new(struct eng *e)
{
	ig_grow(&e->c, &e->cc, e->nc + 1, sizeof(*e->c));
	struct chain *c = &e->c[e->nc++];
	memset(c, 0, sizeof(*c));
	c->culprit_pid = -1;
	c->timeline = json_object_new_array();
	c->recs = json_object_new_array();
	c->evidence = json_object_new_object();
	return c;
}

void chain_free(struct chain *c)
{
	free(c->culprit_comm);
	free(c->summary);
	free(c->root);
	free(c->expl);
	json_object_put(c->timeline);
	json_object_put(c->recs);
	json_object_put(c->evidence);
}

int64_t node_span(struct eng *e, int node)
{
	int64_t s = e->nlast[node] - e->nfirst[node];
	return s > 0 ? s : 1;
}

void severity(struct chain *c, int cap_medium)
{
	double w = 0.5 + 0.5 * c->cover;
	int64_t win = c->we - c->ws;
	double local = win > 0 ? (double)c->impact / (double)win * w : 0;
	c->score = c->share * w;
	c->sev = c->score >= 0.05 ? 0 : c->score >= 0.01 ? 1 : 2;
	/* an intense incident in a long recording: most of its own window lost */
	if (local >= 0.5 && win >= 5 * NS_S && c->slow >= 10)
		c->sev = 0;
	else if (local >= 0.2 && win >= NS_S && c->slow >= 5 && c->sev > 1)
		c->sev = 1;
	if (c->sev == 0 && (cap_medium || c->slow < 3))
		c->sev = 1;
	if (c->sev == 1 && c->slow < 2 && c->impact < NS_S)
		c->sev = 2;
}

/* ------------------------------------------------- chain from slow calls */

/* what the slow calls of the chain add up to */
struct acc {
	int64_t expl, sdur, pre, blk, unk, io, ion, iob, pab, cont;
	int npre, nmem, nthr, thr_bits;
	struct culp cu[16];
	int ncu;
	int top;                 /* index of the top culprit in cu, -1 none */
	int64_t cont_pid, cont_best;
	int64_t med_slow;        /* median duration of the slow calls */
};

/* the chain being built */
struct cctx {
	struct eng *e;
	struct chain *c;
	struct grp *g;
	struct slow *v;
	size_t n;
	const struct period *pr;
	struct acc a;
	char nm[64];             /* the process's name, "" unknown */
	char who[128];           /* "python3 (pid 4242)" */
	char head[160];          /* summary head: "<op> p99=... (3.1x p50)" */
	const char *layer;
	int cap_medium;
};

static void acc_culprit(struct acc *a, const struct slow *s)
{
	int k;
	for (k = 0; k < a->ncu; k++)
		if (a->cu[k].pid == s->cul_pid)
			break;
	if (k == a->ncu && a->ncu < 16) {
		a->cu[k].pid = s->cul_pid;
		a->cu[k].ns = 0;
		a->cu[k].comm = s->cul_comm;
		a->ncu++;
	}
	if (k < a->ncu)
		a->cu[k].ns += s->cul_ns;
}

static void accumulate(struct cctx *x)
{
	struct chain *c = x->c;
	struct acc *a = &x->a;
	memset(a, 0, sizeof(*a));
	a->cont_pid = -1;
	for (size_t i = 0; i < x->n; i++) {
		struct slow *s = &x->v[i];
		if (s->ts < c->ws)
			c->ws = s->ts;
		if (s->ts + s->dur > c->we)
			c->we = s->ts + s->dur;
		c->impact = sadd(c->impact, s->excess);
		a->expl = sadd(a->expl, s->expl);
		a->sdur = sadd(a->sdur, s->dur);
		a->pre += s->pre_ns;
		a->npre += s->npre;
		a->blk += s->blk_ns;
		a->unk += s->unk_ns;
		a->io += s->io_ns;
		a->ion += s->io_n;
		a->iob += s->io_bytes;
		a->pab += s->pa_bytes;
		a->cont += s->cont_ns;
		a->nmem += s->mem;
		a->nthr += s->thr != 0;
		a->thr_bits |= s->thr;
		if (s->cul_pid >= 0)
			acc_culprit(a, s);
		if (s->cont_pid >= 0 && s->cont_ns > 0) {
			/* accumulate per pid via a tiny scan (few GPU processes per node) */
			int64_t tot = 0;
			for (size_t j = 0; j < x->n; j++)
				if (x->v[j].cont_pid == s->cont_pid)
					tot += x->v[j].cont_ns;
			if (tot > a->cont_best || (tot == a->cont_best && s->cont_pid < a->cont_pid)) {
				a->cont_best = tot;
				a->cont_pid = s->cont_pid;
			}
		}
	}
	a->top = -1;
	for (int k = 0; k < a->ncu; k++)
		if (a->top < 0 || a->cu[k].ns > a->cu[a->top].ns ||
		    (a->cu[k].ns == a->cu[a->top].ns && a->cu[k].pid < a->cu[a->top].pid))
			a->top = k;
	/* the median of the slow calls (v is sorted by ts: sort a copy) */
	int64_t *d = xmalloc(x->n * sizeof(int64_t));
	for (size_t i = 0; i < x->n; i++)
		d[i] = x->v[i].dur;
	xqsort(d, x->n, sizeof(int64_t), cmp_i64);
	a->med_slow = d[(x->n - 1) / 2];
	free(d);
}

/* how often the top culprit preempted this process in the chain window:
 * count, total ns, distinct culprit pids */
static int culprit_window(struct cctx *x, int bycomm, int64_t *cnt, int64_t *tot, int64_t *npids)
{
	struct eng *e = x->e;
	struct culp *t = &x->a.cu[x->a.top];
	sqlite3_stmt *q;
	if (eng_prep(e, &q, bycomm ?
		     "SELECT count(*), coalesce(sum(duration),0), count(DISTINCT culprit_pid) FROM offcpu "
		     "WHERE node = ?1 AND pid = ?2 AND preempted = 1 AND culprit_comm = ?6 "
		     "AND start < ?5 AND start + duration > ?4" :
		     "SELECT count(*), coalesce(sum(duration),0), 1 FROM offcpu "
		     "WHERE node = ?1 AND pid = ?2 AND preempted = 1 AND culprit_pid = ?3 "
		     "AND start < ?5 AND start + duration > ?4", "reading offcpu"))
		return -1;
	sqlite3_bind_text(q, 1, e->nodes.s[x->g->node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, x->g->pid);
	sqlite3_bind_int64(q, 3, t->pid);
	sqlite3_bind_int64(q, 4, x->c->ws);
	sqlite3_bind_int64(q, 5, x->c->we);
	if (bycomm)
		sqlite3_bind_text(q, 6, e->comms.s[t->comm], -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*cnt = sqlite3_column_int64(q, 0);
		*tot = cdur(sqlite3_column_int64(q, 1));
		if (sqlite3_column_int64(q, 2) > *npids)
			*npids = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* "1-3,5" from a sorted list of CPUs */
static void cpu_list(const int *cpu, int n, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < n && o < len; i++) {
		int j = i;
		while (j + 1 < n && cpu[j + 1] == cpu[j] + 1)
			j++;
		int w = j > i ? snprintf(out + o, len - o, "%s%d-%d", o ? "," : "", cpu[i], cpu[j])
			      : snprintf(out + o, len - o, "%s%d", o ? "," : "", cpu[i]);
		o += w > 0 ? (size_t)w : 0;
		i = j;
	}
}

/*
 * The pinning fix with real values: the CPUs the process's threads ran on
 * (from its off-CPU intervals) stay the training process's, less one that
 * goes to the culprit: "taskset -acp 1-3 4242 (...); taskset -acp 0 31337".
 * Without CPU numbers (the original's databases) it names the pid and says
 * which value to choose.  Returns -1 on an SQLite error.
 */
int eng_pin_advice(struct eng *e, int node, int64_t pid, const char *name, int64_t cpid,
		   const char *cname, char *out, size_t len)
{
	sqlite3_stmt *q;
	if (eng_prep(e, &q, "SELECT DISTINCT cpu FROM offcpu WHERE node = ?1 AND pid = ?2 "
		     "AND cpu IS NOT NULL AND cpu >= 0 AND cpu < 4096 ORDER BY cpu LIMIT 512", "reading offcpu"))
		return -1;
	sqlite3_bind_text(q, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, pid);
	int cpu[512], n = 0, rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && n < 512)
		cpu[n++] = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return eng_err(e, "reading offcpu: %s", sqlite3_errmsg(e->db));
	const char *nm = name && name[0] ? name : "the process";
	char ran[256], keep[256];
	if (n == 0) {
		snprintf(out, len, "taskset -acp CPUS %" PRId64 " (pin %s to cores of its own; the recording "
			 "has no CPU numbers to choose them)%s%s", pid, nm, cname ? ", keep " : "", cname ? cname : "");
		return 0;
	}
	cpu_list(cpu, n, ran, sizeof ran);
	int give = n >= 2 ? cpu[0] : cpu[0] > 0 ? 0 : 1;
	cpu_list(n >= 2 ? cpu + 1 : cpu, n >= 2 ? n - 1 : 1, keep, sizeof keep);
	if (cname && cpid > 0)
		snprintf(out, len, "taskset -acp %s %" PRId64 " (%s's threads ran on CPU%s %s) and taskset -acp %d %" PRId64
			 " (%s onto CPU %d, off the training cores)", keep, pid, nm, n > 1 ? "s" : "", ran, give, cpid, cname, give);
	else
		snprintf(out, len, "taskset -acp %s %" PRId64 " (%s's threads ran on CPU%s %s; keep other jobs off them)",
			 keep, pid, nm, n > 1 ? "s" : "", ran);
	return 0;
}

static int text_preempt(struct cctx *x)
{
	struct eng *e = x->e;
	struct chain *c = x->c;
	struct acc *a = &x->a;
	char b1[32], b2[32], nm2[64], tmp[512];
	/* the chain holds one culprit comm (possibly several pids) */
	int top = a->top;
	const char *cc = top >= 0 && a->cu[top].comm >= 0 ? e->comms.s[a->cu[top].comm] : "";
	if (top >= 0 && !cc[0])
		cc = proc_name(e, x->g->node, a->cu[top].pid, nm2, sizeof(nm2));
	if (top >= 0) {
		c->culprit_pid = a->cu[top].pid;
		c->culprit_comm = xstrdup(cc[0] ? cc : "?");
	}
	int bycomm = top >= 0 && a->cu[top].comm >= 0 && e->comms.s[a->cu[top].comm][0];
	int64_t cnt = 0, tot = 0, npids = a->ncu;
	if (top >= 0 && culprit_window(x, bycomm, &cnt, &tot, &npids))
		return -1;
	const char *cn = c->culprit_comm ? c->culprit_comm : "another task";
	char cwho[160];
	if (npids > 1)
		snprintf(cwho, sizeof(cwho), "%s (%" PRId64 " processes, e.g. pid %" PRId64 ")", cn, npids, c->culprit_pid);
	else
		snprintf(cwho, sizeof(cwho), "%s (pid %" PRId64 ")", cn, c->culprit_pid);
	snprintf(tmp, sizeof(tmp), "%s preempted %s %" PRId64 " times for %s total; "
		 "%d preemptions overlap the slow calls (%s off-CPU inside them)",
		 cwho, x->who, cnt, FD(tot, b1), a->npre, FD(a->pre, b2));
	tl_add(c->timeline, "HOST", "sched_switch", tmp, a->pre);
	c->summary = xasprintf("%s — preempted by %s", x->head, cwho);
	c->root = xasprintf("%s preempted the thread(s) of %s %" PRId64 " times for %s total "
			    "while %s was slow; involuntary off-CPU time covers %.0f%% of the excess latency",
			    cwho, x->who, cnt, FD(tot, b1), c->opname, 100.0 * c->cover);
	if (eng_pin_advice(e, x->g->node, x->g->pid, x->nm, c->culprit_pid, cn, tmp, sizeof tmp))
		return -1;
	rec_add(c->recs, tmp);
	if (npids > 1)
		snprintf(tmp, sizeof(tmp), "nice -n 19 %s (or renice -n 19 each of its %" PRId64 " processes)", cn, npids);
	else
		snprintf(tmp, sizeof(tmp), "nice -n 19 %s (or renice -n 19 -p %" PRId64 ")", cn, c->culprit_pid);
	rec_add(c->recs, tmp);
	rec_add(c->recs, "move background jobs (cron, logrotate, backups) off the GPU nodes' training cores");
	return 0;
}

static void text_blocked(struct cctx *x)
{
	struct chain *c = x->c;
	char b1[32], tmp[512];
	snprintf(tmp, sizeof(tmp), "thread blocked (voluntary off-CPU, not preempted) for %s inside the slow calls",
		 FD(x->a.blk, b1));
	tl_add(c->timeline, "HOST", "sched_switch", tmp, x->a.blk);
	c->summary = xasprintf("%s — thread blocked off-CPU during the calls", x->head);
	c->root = xasprintf("the calling thread of %s slept (blocked, not preempted) during slow %s calls: "
			    "%.0f%% of the excess; likely lock contention, page faults or synchronous host work",
			    x->who, c->opname, 100.0 * c->cover);
	rec_add(c->recs, "profile the host side of the call (perf record -g / off-CPU stacks) for locks or page faults");
	rec_add(c->recs, "pre-fault and pin host buffers (pin_memory=True) to avoid page faults inside CUDA calls");
}

static void text_offcpu(struct cctx *x)
{
	struct chain *c = x->c;
	char b1[32], tmp[512];
	snprintf(tmp, sizeof(tmp), "thread off-CPU for %s inside the slow calls (legacy recording: preempted vs blocked unknown)",
		 FD(x->a.unk, b1));
	tl_add(c->timeline, "HOST", "sched_switch", tmp, x->a.unk);
	c->summary = xasprintf("%s — thread off-CPU during the calls", x->head);
	c->root = xasprintf("the calling thread of %s was off-CPU during slow %s calls (%.0f%% of the excess); "
			    "the recording does not say whether it was preempted or blocked, nor by whom",
			    x->who, c->opname, 100.0 * c->cover);
	rec_add(c->recs, "re-record with ingero-record to see preempted vs blocked and the preempting process");
	if (eng_pin_advice(x->e, x->g->node, x->g->pid, x->nm, 0, NULL, tmp, sizeof tmp) == 0) {
		size_t l = strlen(tmp);
		snprintf(tmp + l, sizeof tmp - l, " if other tasks compete for the CPU");
		rec_add(c->recs, tmp);
	}
}

static void text_io(struct cctx *x)
{
	struct chain *c = x->c;
	char b1[32], tmp[512];
	snprintf(tmp, sizeof(tmp), "%" PRId64 " block I/O requests of %s or its child processes overlap the slow calls (%.1f MB, %s in flight)",
		 x->a.ion, x->who, (double)x->a.iob / 1e6, FD(x->a.io, b1));
	tl_add(c->timeline, "IO", "block_io", tmp, x->a.io);
	c->summary = xasprintf("%s — waiting on block I/O", x->head);
	c->root = xasprintf("%s had block I/O in flight during slow %s calls (%.0f%% of the excess covered): "
			    "the step waits for storage", x->who, c->opname, 100.0 * c->cover);
	rec_add(c->recs, "faster storage (local NVMe, /dev/shm or page cache for the dataset)");
	rec_add(c->recs, "more DataLoader workers (num_workers) and prefetch_factor so I/O overlaps compute");
	rec_add(c->recs, "asynchronous checkpointing if the I/O is writes");
}

static void text_memory(struct cctx *x)
{
	struct chain *c = x->c;
	char tmp[512];
	int nmem = x->a.nmem;
	snprintf(tmp, sizeof(tmp), "%.1f MB of page allocations by %s inside the slow calls; %d calls under memory pressure/swap",
		 (double)x->a.pab / 1e6, x->who, nmem);
	tl_add(c->timeline, nmem ? "SYSTEM" : "HOST", nmem ? "memory" : "mm_page_alloc", tmp, 0);
	c->summary = xasprintf("%s — host memory pressure", x->head);
	c->root = xasprintf("slow %s calls of %s coincide with page-allocation bursts%s", c->opname, x->who,
			    nmem ? " and memory pressure / swap-in" : "");
	rec_add(c->recs, "reduce host memory use (smaller prefetch, fewer workers) or add RAM; avoid swap on GPU nodes");
	rec_add(c->recs, "pre-allocate and reuse pinned host buffers instead of allocating per step");
}

static void text_throttle(struct cctx *x)
{
	struct chain *c = x->c;
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "GPU throttled (reasons 0x%x) during %d slow calls", x->a.thr_bits, x->a.nthr);
	tl_add(c->timeline, "GPU", "throttle", tmp, 0);
	c->summary = xasprintf("%s — GPU clock throttling", x->head);
	c->root = xasprintf("the GPU was throttling (NVML reasons 0x%x: power/thermal/HW slowdown) while %s was slow",
			    x->a.thr_bits, c->opname);
	rec_add(c->recs, "check cooling and power limits (nvidia-smi -q -d PERFORMANCE,POWER,TEMPERATURE)");
}

static void text_contention(struct cctx *x)
{
	struct eng *e = x->e;
	struct chain *c = x->c;
	struct grp *g = x->g;
	char b1[32], b2[32], nm2[64], tmp[512];
	int64_t cont_pid = x->a.cont_pid;
	const char *on = proc_name(e, g->node, cont_pid, nm2, sizeof(nm2));
	double slowfrac = g->n ? (double)c->slow / (double)g->n : 0;
	snprintf(tmp, sizeof(tmp), "%s (pid %" PRId64 ") had GPU calls in flight for %s of the %s slow-call time",
		 on[0] ? on : "?", cont_pid, FD(x->a.cont, b1), FD(x->a.sdur, b2));
	tl_add(c->timeline, "CUDA", "gpu_share", tmp, x->a.cont);
	c->culprit_pid = cont_pid;
	c->culprit_comm = xstrdup(on[0] ? on : "?");
	c->summary = xasprintf("%s — bimodal: GPU time-sliced between %s and %s (pid %" PRId64 ")",
			       x->head, x->who, on[0] ? on : "?", cont_pid);
	c->root = xasprintf("%s latency of %s is bimodal (%.0f%% of calls ~%s vs p50 %s): the GPU is time-sliced "
			    "with %s (pid %" PRId64 "), whose GPU calls overlap the slow calls",
			    c->opname, x->who, 100.0 * slowfrac, FD(x->a.med_slow, b1), FD(g->p50, b2),
			    on[0] ? on : "?", cont_pid);
	rec_add(c->recs, "run the processes on separate GPUs (CUDA_VISIBLE_DEVICES)");
	rec_add(c->recs, "or enable MPS (nvidia-cuda-mps-control -d) so kernels share the GPU concurrently");
}

static void text_cold(struct cctx *x)
{
	struct chain *c = x->c;
	struct grp *g = x->g;
	char b1[32], b2[32], tmp[512];
	snprintf(tmp, sizeof(tmp), "first calls: %" PRId64 " slow calls within the first %d, first one %s vs steady p50 %s",
		 c->slow, COLD_CALLS, FD(x->v[0].dur, b1), FD(g->p50, b2));
	tl_add(c->timeline, x->layer, c->opname, tmp, c->impact);
	c->summary = xasprintf("%s — cold start: first call %s (%.0fx steady state)", x->head, FD(x->v[0].dur, b1),
			       g->p50 ? (double)x->v[0].dur / (double)g->p50 : 0.0);
	c->root = xasprintf("cold start of %s: the first %s calls pay one-time initialisation (context creation, "
			    "module loading, allocator growth) of %s in total", x->who, c->opname, FD(c->impact, b1));
	rec_add(c->recs, "run warm-up iterations before timing or serving (exclude them from measurements)");
	rec_add(c->recs, "CUDA_MODULE_LOADING=LAZY and pre-allocate memory once at start-up");
	x->cap_medium = 1;
}

static void text_periodic(struct cctx *x)
{
	struct chain *c = x->c;
	struct grp *g = x->g;
	const struct period *pr = x->pr;
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "spikes every ~%.0f iterations (~%.0f %s calls, %.3gs), %d bursts",
		 pr->iters, pr->calls, c->opname, pr->sec, pr->bursts);
	tl_add(c->timeline, x->layer, c->opname, tmp, c->impact);
	c->summary = xasprintf("%s — periodic spikes every ~%.0f iterations (%.3gs)", x->head, pr->iters, pr->sec);
	int alloc = is_allocator(g->src, g->op);
	c->root = xasprintf("%s of %s spikes periodically: every ~%.0f iterations (~%.0f calls, %.3g s) — %s",
			    c->opname, x->who, pr->iters, pr->calls, pr->sec,
			    alloc ? "the caching allocator releases and re-allocates memory (torch.cuda.empty_cache() "
				    "or fragmentation)" : "periodic work in the loop (checkpoint, logging, evaluation)");
	if (alloc) {
		rec_add(c->recs, "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True");
		rec_add(c->recs, "avoid torch.cuda.empty_cache() in the training loop");
	} else {
		rec_add(c->recs, "find the periodic work (every ~N iterations) and make it asynchronous");
	}
	x->cap_medium = 1;
}

/* a tail without host cause: what the op itself waits on */
static void text_tail(struct cctx *x)
{
	struct chain *c = x->c;
	struct grp *g = x->g;
	char b1[32], b2[32], b3[32], tmp[512];
	int64_t offn = x->a.pre + x->a.blk + x->a.unk;
	snprintf(tmp, sizeof(tmp), "no overlapping host evidence: off-CPU %s, block I/O %s, contention %s inside the slow calls",
		 FD(offn, b1), FD(x->a.io, b2), FD(x->a.cont, b3));
	tl_add(c->timeline, "HOST", "none", tmp, 0);
	c->summary = xasprintf("%s — tail without host cause", x->head);
	const char *why, *fix;
	if (is_sync(g->src, g->op)) {
		why = "the sync waits for GPU work that took longer (kernel time, not the host)";
		fix = "profile the kernels waited on (nsys / ncu): the sync waits for GPU work";
	} else if (is_memcpy(g->src, g->op)) {
		why = "the copy itself waits: pageable host memory or copies queued behind kernels on the stream";
		fix = "use pinned host memory (pin_memory=True) so copies do not stage through pageable memory";
	} else if (is_allocator(g->src, g->op)) {
		why = "the driver allocation/free is slow (cudaFree synchronises the device; the caching allocator grows or is emptied)";
		fix = "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True; avoid torch.cuda.empty_cache()";
	} else {
		why = "the driver call itself is slow (launch queue full or implicit synchronisation)";
		fix = "profile the driver side (nsys) for implicit synchronisation";
	}
	c->root = xasprintf("%" PRId64 " slow %s calls of %s have no overlapping host evidence (off-CPU, I/O, memory, "
			    "throttling, other GPU processes): %s", c->slow, c->opname, x->who, why);
	rec_add(c->recs, fix);
	x->cap_medium = 1;
}

/* incidents: slow calls closer than INCIDENT_GAP_NS; a host cause that comes
 * back at a regular interval (cron, logrotate) is named.  Returns the number
 * of incidents, *maxinc the slow calls of the largest. */
static int incidents(struct cctx *x, int cause, size_t *maxinc_out)
{
	struct chain *c = x->c;
	struct slow *v = x->v;
	size_t n = x->n, maxinc = 0;
	char b1[32], tmp[512];
	int ninc = 0;
	int64_t *istart = xmalloc(n * sizeof(int64_t));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		int64_t end = v[i].ts + v[i].dur;
		while (j < n && v[j].ts - end <= INCIDENT_GAP_NS) {
			if (v[j].ts + v[j].dur > end)
				end = v[j].ts + v[j].dur;
			j++;
		}
		istart[ninc++] = v[i].ts;
		if (j - i > maxinc)
			maxinc = j - i;
		i = j;
	}
	if (ninc >= 4 && cause != C_PERIODIC && cause != C_COLD) {
		size_t ni = (size_t)ninc - 1;
		for (size_t i = 0; i < ni; i++)
			istart[i] = istart[i + 1] - istart[i];
		int64_t *iv = istart;
		xqsort(iv, ni, sizeof(int64_t), cmp_i64);
		int64_t med = iv[(ni - 1) / 2];
		size_t reg = 0;
		for (size_t i = 0; i < ni; i++)
			reg += fabs((double)(iv[i] - med)) <= 0.25 * (double)med;
		if (med > 0 && (double)reg >= 0.6 * (double)ni) {
			size_t last_i = json_object_array_length(c->timeline) - 1;
			json_object *last = json_object_get(json_object_array_get_idx(c->timeline, last_i));
			json_object_array_del_idx(c->timeline, last_i, 1);
			snprintf(tmp, sizeof(tmp), "%d incidents recurring every ~%s", ninc, FD(med, b1));
			tl_add(c->timeline, "HOST", "recurrence", tmp, 0);
			json_object_array_add(c->timeline, last);
			char *r = xasprintf("%s; it recurs every ~%s (%d incidents): look for a periodic job (cron, systemd timer)",
					    c->root ? c->root : "", FD(med, b1), ninc);
			free(c->root);
			c->root = r;
		}
	}
	free(istart);
	*maxinc_out = maxinc;
	return ninc;
}

/* evidence JSON: symptom ids, off-CPU intervals, evidence event ids */
static int evidence_json(struct cctx *x)
{
	struct eng *e = x->e;
	struct chain *c = x->c;
	const char *nd = e->nodes.s[x->g->node];
	char tmp[512];
	json_object *sy = json_object_new_array(), *oc = json_object_new_array(), *ev = json_object_new_array();
	json_object_object_add(c->evidence, "symptoms", sy);
	json_object_object_add(c->evidence, "offcpu", oc);
	json_object_object_add(c->evidence, "events", ev);
	json_object_object_add(c->evidence, "truncated", json_object_new_boolean(x->n > MAX_EV_JSON));
	sqlite3_stmt *q = NULL;
	if (e->have_offcpu && eng_prep(e, &q, "SELECT tid, start, duration, preempted, culprit_pid, culprit_comm "
				       "FROM offcpu WHERE rowid = ?1", "reading offcpu"))
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		struct slow *s = &x->v[i];
		if (json_object_array_length(sy) < MAX_EV_JSON) {
			snprintf(tmp, sizeof(tmp), "%s:%" PRId64, nd, s->seq);
			json_object_array_add(sy, json_object_new_string(tmp));
		}
		for (int k = 0; k < s->nev && json_object_array_length(ev) < MAX_EV_JSON; k++) {
			snprintf(tmp, sizeof(tmp), "%s:%" PRId64, nd, s->ev_seq[k]);
			json_object_array_add(ev, json_object_new_string(tmp));
		}
		for (int k = 0; q && k < s->noff && json_object_array_length(oc) < MAX_EV_JSON; k++) {
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, s->off_rowid[k]);
			if (sqlite3_step(q) != SQLITE_ROW)
				continue;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "tid", json_object_new_int64(sqlite3_column_int64(q, 0)));
			json_object_object_add(o, "start", json_object_new_int64(sqlite3_column_int64(q, 1)));
			json_object_object_add(o, "dur", json_object_new_int64(sqlite3_column_int64(q, 2)));
			json_object_object_add(o, "preempted", json_object_new_int(sqlite3_column_int(q, 3)));
			if (sqlite3_column_type(q, 4) != SQLITE_NULL)
				json_object_object_add(o, "culprit_pid", json_object_new_int64(sqlite3_column_int64(q, 4)));
			if (sqlite3_column_text(q, 5))
				json_object_object_add(o, "culprit_comm",
						       json_object_new_string((const char *)sqlite3_column_text(q, 5)));
			json_object_object_add(o, "symptom", json_object_new_string(json_object_get_string(
				json_object_array_get_idx(sy, json_object_array_length(sy) - 1))));
			json_object_array_add(oc, o);
		}
	}
	sqlite3_finalize(q);
	return 0;
}

int eng_py_line(struct eng *e, const int64_t *stacks, const int64_t *w, size_t n, char *buf, size_t len,
		int64_t *wsum, int64_t *wall)
{
	struct pl { char *text; size_t n; int64_t w; } t[64];
	size_t nt = 0, best = 0;

	buf[0] = 0;
	*wsum = *wall = 0;
	if (!e->q_py)
		return 0;
	for (size_t i = 0; i < n; i++) {
		*wall += w[i];
		if (!stacks[i])
			continue;
		sqlite3_reset(e->q_py);
		sqlite3_bind_int64(e->q_py, 1, stacks[i]);
		if (sqlite3_step(e->q_py) != SQLITE_ROW)
			continue;
		char *s = xasprintf("%s:%d in %s", (const char *)sqlite3_column_text(e->q_py, 0),
				    sqlite3_column_int(e->q_py, 2), (const char *)sqlite3_column_text(e->q_py, 1));
		size_t k = 0;
		while (k < nt && strcmp(t[k].text, s))
			k++;
		if (k < nt) {
			t[k].n++;
			t[k].w += w[i];
			free(s);
		} else if (nt < sizeof(t) / sizeof(t[0])) {
			t[nt++] = (struct pl){ s, 1, w[i] };
		} else {
			free(s);
		}
	}
	sqlite3_reset(e->q_py);
	for (size_t k = 1; k < nt; k++)
		if (t[k].w > t[best].w || (t[k].w == t[best].w && strcmp(t[k].text, t[best].text) < 0))
			best = k;
	int ret = 0;
	if (nt) {
		snprintf(buf, len, "%s", t[best].text);
		*wsum = t[best].w;
		ret = (int)t[best].n;
	}
	for (size_t k = 0; k < nt; k++)
		free(t[k].text);
	return ret;
}

/* the Python line whose slow calls carry most of the chain's excess:
 * appended to the summary and a PYTHON layer after the call in the timeline */
static void chain_py(struct cctx *x)
{
	char line[600];
	int64_t *st = xmalloc((x->n ? x->n : 1) * 2 * sizeof(*st)), *w = st + (x->n ? x->n : 1), ws, wa;

	for (size_t i = 0; i < x->n; i++) {
		st[i] = x->v[i].stack;
		w[i] = x->v[i].excess > 0 ? x->v[i].excess : 0;
	}
	int k = eng_py_line(x->e, st, w, x->n, line, sizeof(line), &ws, &wa);
	if (k) {
		char *s = xasprintf("%s (Python: %s)", x->c->summary, line);
		free(x->c->summary);
		x->c->summary = s;
		s = xasprintf("%d of %zu slow calls (%.0f%% of the excess) issued from %s", k, x->n,
			      wa > 0 ? 100.0 * (double)ws / (double)wa : 0.0, line);
		tl_add(x->c->timeline, "PYTHON", line, s, 0);
		free(s);
	}
	free(st);
}

/* the chain's identity, headline and symptom line */
static void chain_head(struct cctx *x, char *sym, size_t symlen)
{
	struct chain *c = x->c;
	struct grp *g = x->g;
	char b1[32], b2[32], b3[32], b4[32];
	double ratio = g->p50 > 0 ? (double)g->p99 / (double)g->p50 : 0;
	snprintf(sym, symlen, "p99=%s (%.1fx p50=%s); %" PRId64 " of %zu calls slow (>%.0fx p50), median %s, excess %s",
		 FD(g->p99, b1), ratio, FD(g->p50, b2), c->slow, g->n, ENGINE_K_SLOW, FD(x->a.med_slow, b3),
		 FD(c->impact, b4));
	if ((double)g->p99 > ENGINE_K_SLOW * (double)g->p50)
		snprintf(x->head, sizeof(x->head), "%s p99=%s (%.1fx p50)", c->opname, FD(g->p99, b1), ratio);
	else /* the slow calls are rarer than 1%: p99 hides them */
		snprintf(x->head, sizeof(x->head), "%s max=%s (%.1fx p50)", c->opname, FD(g->max, b1),
			 g->p50 > 0 ? (double)g->max / (double)g->p50 : 0.0);
}

int chain_from(struct eng *e, struct slow *v, size_t n, const struct period *pr)
{
	struct cctx x = { .e = e, .v = v, .n = n, .pr = pr };
	struct grp *g = x.g = &e->g[v[0].g];
	int cause = v[0].cause;
	char b1[32], b2[32], b3[32], b4[32], sym[512];
	struct chain *c = x.c = chain_new(e);
	c->node = g->node;
	c->src = g->src;
	c->op = g->op;
	c->pid = g->pid;
	c->kind = cause_kind[cause];
	snprintf(c->opname, sizeof(c->opname), "%s", eng_op_name(g->src, g->op, b1, sizeof(b1)));
	c->p50 = g->p50;
	c->p99 = g->p99;
	c->ws = INT64_MAX;
	c->we = INT64_MIN;
	accumulate(&x);
	c->slow = (int64_t)n;
	c->share = (double)c->impact / (double)node_span(e, g->node);
	c->cover = c->impact > 0 ? (double)x.a.expl / (double)c->impact : 0;
	if (c->cover > 1)
		c->cover = 1;
	if (cause == C_NONE)
		c->cover = 0;
	proc_name(e, g->node, g->pid, x.nm, sizeof(x.nm));
	proc_who(e, g->node, g->pid, x.who, sizeof(x.who));
	x.layer = g->src == INGERO_SRC_DRIVER ? "DRIVER" : "CUDA";
	chain_head(&x, sym, sizeof(sym));
	switch (cause) {
	case C_PREEMPT:
		if (text_preempt(&x))
			return -1;
		break;
	case C_BLOCKED: text_blocked(&x); break;
	case C_OFFCPU: text_offcpu(&x); break;
	case C_IO: text_io(&x); break;
	case C_MEMORY: text_memory(&x); break;
	case C_THROTTLE: text_throttle(&x); break;
	case C_CONTENTION: text_contention(&x); break;
	case C_COLD: text_cold(&x); break;
	case C_PERIODIC: text_periodic(&x); break;
	default: text_tail(&x); break;
	}
	tl_add(c->timeline, x.layer, c->opname, sym, x.a.sdur);
	chain_py(&x);
	size_t maxinc;
	int ninc = incidents(&x, cause, &maxinc);
	c->expl = xasprintf("%s: %" PRId64 " slow calls in %d incident(s) between +%s and +%s of the recording; "
			    "excess %s = %.2f%% of the node's %s; evidence covers %.0f%% of the excess",
			    c->opname, c->slow, ninc, FD(c->ws - e->nfirst[g->node], b1), FD(c->we - e->nfirst[g->node], b2),
			    FD(c->impact, b3), 100.0 * c->share, FD(node_span(e, g->node), b4), 100.0 * c->cover);
	if (evidence_json(&x))
		return -1;
	severity(c, x.cap_medium);
	/* sporadic: no incident with 3 slow calls close together => LOW
	 * (isolated hits such as a kworker now and then) */
	if (maxinc < 3 && cause != C_PERIODIC && cause != C_COLD)
		c->sev = 2;
	return 0;
}
