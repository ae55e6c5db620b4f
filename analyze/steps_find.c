/* steps_find.c - findings from the steps (docs/engine.md "Step findings"):
 * slow steps explained by their breakdown difference from a typical step,
 * GPU idle / host-bound starvation with who the thread waited for, stalls,
 * throughput drops.  Severity = share of wall time lost, the scale of
 * causal_chains. */
#include <inttypes.h>
#include <math.h>

#include "steps_int.h"

struct stepfind *sf_new(struct eng *e, const char *kind)
{
	struct steps *S = e->st;
	ig_grow(&S->f, &S->cf, S->nf + 1, sizeof(*S->f));
	struct stepfind *f = &S->f[S->nf++];
	memset(f, 0, sizeof(*f));
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	f->culprit_pid = -1;
	f->stream = -1;
	f->step_id = -1;
	f->recs = json_object_new_array();
	return f;
}

void sf_severity(struct stepfind *f)
{
	f->sev = f->share >= 0.05 ? 0 : f->share >= 0.01 ? 1 : 2;
}

static void set_culprit(struct eng *e, struct stepfind *f, int64_t pid)
{
	char nm[64];
	if (pid <= 0)
		return;
	f->culprit_pid = pid;
	free(f->culprit_comm);
	proc_name(e, f->node, pid, nm, sizeof(nm));
	f->culprit_comm = xstrdup(nm[0] ? nm : "?");
}

static int64_t q_int(struct eng *e, const char *sql, int node, int64_t a, int64_t b, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	sqlite3_bind_text(st, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* is the input an original tool's database (sampled events, no wakeups)? */
static int legacy_input(struct eng *e)
{
	return q_int(e, "SELECT count(*) FROM inputs WHERE kind = 'legacy-db' AND ?1 IS NOT NULL AND ?2 = ?3",
		     0, 0, 0, 0) > 0;
}

/* ------------------------------------------------------- typical step */

/* per-category median of the healthy steps [lo, hi) of phase ph */
static void typical(struct eng *e, size_t lo, size_t hi, int ph, int64_t typ[NCAT], int64_t *p50)
{
	struct steps *S = e->st;
	int64_t *d = xmalloc((hi - lo + 1) * sizeof(int64_t));
	size_t n;
	for (int c = -1; c < NCAT; c++) {
		n = 0;
		for (size_t i = lo; i < hi; i++) {
			struct step *s = &S->s[i];
			if (s->warm || s->slow || s->phase != ph)
				continue;
			d[n++] = c < 0 ? s->dur : s->cat[c];
		}
		int64_t m = n ? ig_kth_i64(d, n, (n - 1) / 2) : 0;
		if (c < 0)
			*p50 = m;
		else
			typ[c] = m;
	}
	free(d);
}

/* the category that grew most against the typical step */
static int top_cat(const int64_t cat[NCAT], const int64_t typ[NCAT], int64_t *diff)
{
	int best = CAT_HOST;
	int64_t bd = INT64_MIN;
	for (int c = 0; c < NCAT; c++) {
		int64_t d = cat[c] - typ[c];
		if (d > bd) {
			bd = d;
			best = c;
		}
	}
	*diff = bd;
	return best;
}

/* "step 812: 142 ms vs p50 16 ms; +118 ms in sync waits (cudaStreamSync), 96 ms of it off-CPU, preempted by logrotate (pid 31337)" */
static void explain_step(struct eng *e, const struct step *s, const int64_t typ[NCAT], int64_t p50, char *buf,
			 size_t len, int *catp, int64_t *culp)
{
	char b1[32], b2[32], b3[32], b4[32], who[160], op[40];
	int64_t diff;
	int c = top_cat(s->cat, typ, &diff);
	*catp = c;
	*culp = -1;
	size_t off = (size_t)snprintf(buf, len, "step %" PRId64 ": %s vs p50 %s; +%s in %s", s->idx, FD(s->dur, b1),
				      FD(p50, b2), FD(diff > 0 ? diff : 0, b3), step_cat_text[c]);
	if (c == CAT_SYNC)
		off += (size_t)snprintf(buf + off, len - off, " (%s)", eng_op_name(s->bsrc, s->bop, op, sizeof(op)));
	if (c <= CAT_NCCL && s->call_off > 0)
		off += (size_t)snprintf(buf + off, len - off, ", %s of it off-CPU", FD(s->call_off, b4));
	if ((c <= CAT_NCCL || c == CAT_PRE) && s->pre.pid > 0) {
		proc_who(e, s->node, s->pre.pid, who, sizeof(who));
		off += (size_t)snprintf(buf + off, len - off, ", preempted by %s for %s", who, FD(s->pre.ns, b4));
		*culp = s->pre.pid;
	} else if ((c == CAT_BLK || c == CAT_IO) && s->wak.pid > 0) {
		proc_who(e, s->node, s->wak.pid, who, sizeof(who));
		off += (size_t)snprintf(buf + off, len - off, ", waiting for %s (it woke the thread)", who);
		*culp = s->wak.pid;
	}
	(void)off;
}

static void recs_for(json_object *r, int cat, const char *culprit)
{
	char b[256];
	switch (cat) {
	case CAT_PRE:
	case CAT_SYNC:
	case CAT_LAUNCH:
		if (culprit && culprit[0]) {
			snprintf(b, sizeof(b), "Lower the priority of %s (nice -n 19 / ionice) or move it off the "
				 "training cores (taskset, cgroup cpuset)", culprit);
			rec_add(r, b);
		}
		rec_add(r, "Pin the GPU process to dedicated cores (taskset -c / numactl) so other tasks cannot preempt it");
		break;
	case CAT_BLK:
		rec_add(r, "Find what the thread waits for (the waker named above): a lock, a queue, a pipe from data workers");
		break;
	case CAT_IO:
		rec_add(r, "Reads stall the step: faster storage, a warm page cache or prefetching the data");
		break;
	case CAT_HOST:
		rec_add(r, "Host code between CUDA calls got slower: profile the window (py-spy dump/record)");
		break;
	case CAT_MEMCPY:
		rec_add(r, "Copies grew: pin host memory (pin_memory=True) and overlap them (non_blocking=True)");
		break;
	case CAT_ALLOC:
		rec_add(r, "Allocator calls in the step: reuse buffers, PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True");
		break;
	default:
		rec_add(r, "Compare the slow steps' CUDA calls with a typical step (ingero-analyze --steps, ingero-perfetto)");
	}
}

/* a step that a stall finding explains already */
static int in_stall(struct eng *e, const struct step *s)
{
	struct steps *S = e->st;
	for (size_t i = 0; i < S->nf; i++) {
		struct stepfind *f = &S->f[i];
		if (!strcmp(f->kind, "stall") && f->node == s->node && f->pid == s->pid &&
		    2 * ovl(s->start, s->start + s->dur, f->start, f->start + f->dur) >= s->dur)
			return 1;
	}
	return 0;
}

/* the Python line whose GPU calls took most of step w's call time (their
 * stacks' innermost frame), into buf; 0 when none has Python frames.  One
 * query per finding (events has no index: a scan), so only for worst steps. */
static int step_py_line(struct eng *e, const struct step *w, char *buf, size_t len)
{
	sqlite3_stmt *q;
	int64_t *st = NULL, *dw = NULL, ws, wa;
	size_t n = 0, cap = 0, dcap = 0;
	int k = 0;

	buf[0] = 0;
	if (!e->q_py || sqlite3_prepare_v2(e->db, "SELECT stack_hash, duration FROM event_rows WHERE ctx IN "
					   "(SELECT id FROM event_ctx WHERE node = ?1) AND tid = ?2 "
					   "AND timestamp >= ?3 AND timestamp < ?4 AND stack_hash != 0 "
					   "AND source IN (1, 4, 8) ORDER BY timestamp, seq", -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, e->nodes.s[w->node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, w->tid);
	sqlite3_bind_int64(q, 3, w->start);
	sqlite3_bind_int64(q, 4, w->start + w->dur);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t d = sqlite3_column_int64(q, 1);
		size_t m = n;
		VEC_PUSH(st, n, cap, sqlite3_column_int64(q, 0));
		VEC_PUSH(dw, m, dcap, d > 0 ? d : 0);
	}
	sqlite3_finalize(q);
	if (n)
		k = eng_py_line(e, st, dw, n, buf, len, &ws, &wa);
	free(st);
	free(dw);
	return k;
}

/* slow steps of one stream/phase grouped by (grown category, culprit) */
struct sgrp { int cat; int64_t cul, n, lost, worst_excess; size_t worst; int64_t ws, we; };

static int slow_findings(struct eng *e, size_t lo, size_t hi, int ph)
{
	struct steps *S = e->st;
	int64_t typ[NCAT], p50;
	typical(e, lo, hi, ph, typ, &p50);
	struct sgrp *g = NULL;
	size_t ng = 0, cg = 0;
	char buf[512];
	for (size_t i = lo; i < hi; i++) {
		struct step *s = &S->s[i];
		if (!s->slow || s->phase != ph || in_stall(e, s))
			continue;
		int cat;
		int64_t cul;
		explain_step(e, s, typ, p50, buf, sizeof(buf), &cat, &cul);
		if (cul > 0) {          /* group culprits by name (stress-ng workers) */
			char nm[64];
			proc_name(e, s->node, cul, nm, sizeof(nm));
			if (nm[0])
				cul = -2 - eng_str(&e->comms, nm);
		}
		size_t k;
		for (k = 0; k < ng && (g[k].cat != cat || g[k].cul != cul); k++)
			;
		if (k == ng) {
			ig_grow(&g, &cg, ng + 1, sizeof(*g));
			memset(&g[ng], 0, sizeof(*g));
			g[ng].cat = cat;
			g[ng].cul = cul;
			g[ng].ws = s->start;
			ng++;
		}
		int64_t ex = s->dur - p50;
		g[k].n++;
		g[k].lost += ex;
		g[k].we = s->start + s->dur;
		if (ex > g[k].worst_excess || g[k].n == 1) {
			g[k].worst_excess = ex;
			g[k].worst = i;
		}
	}
	/* between-call growth on a stream with a gpu_idle finding: that finding explains it */
	int idle_here = 0;
	for (size_t i = 0; i < S->nf; i++)
		if (!strcmp(S->f[i].kind, "gpu_idle") && S->f[i].node == S->s[lo].node && S->f[i].pid == S->s[lo].pid &&
		    S->f[i].stream == S->s[lo].stream)
			idle_here = 1;
	for (size_t k = 0; k < ng; k++) {
		if (idle_here && g[k].cat >= CAT_HOST)
			continue;
		struct step *w = &S->s[g[k].worst];
		struct stepfind *f = sf_new(e, "slow_step");
		char who[160], b1[32], b2[32], strm[48] = "", ex[512];
		int cat;
		int64_t cul;
		explain_step(e, w, typ, p50, ex, sizeof(ex), &cat, &cul);
		(void)cat;
		f->node = w->node;
		f->pid = w->pid;
		f->stream = w->stream;
		f->step_id = w->id;
		f->start = g[k].ws;
		f->dur = g[k].we - g[k].ws;
		f->lost = g[k].lost;
		f->share = (double)f->lost / (double)steps_wall(e, w->node);
		set_culprit(e, f, cul);
		proc_who(e, w->node, w->pid, who, sizeof(who));
		if (w->stream)
			snprintf(strm, sizeof(strm), " stream 0x%" PRIx64, (uint64_t)w->stream);
		f->summary = xasprintf("%" PRId64 " slow %s%s of %s%s (p50 %s): +%s, mostly %s%s%s", g[k].n,
				       ph == PH_STEP ? "step" : step_phase_name[ph], g[k].n > 1 ? "s" : "", who, strm,
				       FD(p50, b1), FD(g[k].lost, b2), step_cat_text[g[k].cat],
				       f->culprit_comm ? " — " : "", f->culprit_comm ? f->culprit_comm : "");
		char pyl[600];
		if (step_py_line(e, w, pyl, sizeof(pyl))) {
			char *t = xasprintf("%s (Python: %s)", f->summary, pyl);
			free(f->summary);
			f->summary = t;
			f->root = xasprintf("worst %s; most of its GPU call time came from %s", ex, pyl);
		} else {
			f->root = xasprintf("worst %s", ex);
		}
		recs_for(f->recs, g[k].cat, f->culprit_comm);
		sf_severity(f);
		if (f->sev < 2 && g[k].n < 3 && f->lost < NS_S)
			f->sev = 2;
		else if (f->sev == 0 && g[k].n < 3)
			f->sev = 1;
	}
	free(g);
	return 0;
}

/* ---------------------------------------------------------- GPU idle */

/* comm shared by the top wakers, how many processes, and whether they are
 * children of pid (fork lineage) */
static void wakers_text(struct eng *e, int node, int64_t pid, const struct pidns *wk, char *buf, size_t len,
			int64_t *top, int *nwk, int *kids)
{
	struct pidns a[TOPN];
	memcpy(a, wk, sizeof(a));
	int64_t tot = 0;
	*nwk = 0;
	*kids = 0;
	for (int k = 0; k < TOPN && a[k].pid; k++) {
		tot += a[k].ns;
		(*nwk)++;
	}
	/* sort by ns desc, pid */
	for (int i = 1; i < *nwk; i++)
		for (int j = i; j > 0 && (a[j].ns > a[j - 1].ns || (a[j].ns == a[j - 1].ns && a[j].pid < a[j - 1].pid)); j--) {
			struct pidns t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	*top = *nwk ? a[0].pid : -1;
	size_t off = 0;
	buf[0] = 0;
	char nm0[64], nm[64];
	proc_name(e, node, *top, nm0, sizeof(nm0));
	int same = 0;
	for (int k = 0; k < *nwk; k++) {
		proc_name(e, node, a[k].pid, nm, sizeof(nm));
		if (nm0[0] && !strcmp(nm, nm0))
			same++;
		if (q_int(e, "SELECT ppid FROM processes WHERE node = ?1 AND pid = ?2 AND ?3 >= 0", node, a[k].pid, 0, -1) == pid)
			(*kids)++;
	}
	if (*nwk == 0)
		return;
	if (same > 1 && nm0[0])
		off += (size_t)snprintf(buf + off, len - off, "%s (%d processes, pids", nm0, same);
	else
		off += (size_t)snprintf(buf + off, len - off, "%s (pid", nm0[0] ? nm0 : "?");
	for (int k = 0; k < *nwk && k < 6; k++) {
		proc_name(e, node, a[k].pid, nm, sizeof(nm));
		if (same > 1 && strcmp(nm, nm0))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64, k ? ", " : " ", a[k].pid);
		if (same <= 1)
			break;
	}
	snprintf(buf + off, len - off, ")");
}

static int idle_finding(struct eng *e, size_t lo, size_t hi)
{
	struct steps *S = e->st;
	struct step *s0 = &S->s[lo];
	int64_t idle = 0, dur = 0, cat[NCAT] = { 0 };
	size_t n = 0;
	for (size_t i = lo; i < hi; i++) {
		struct step *s = &S->s[i];
		if (in_stall(e, s))
			continue;   /* the stall finding explains it */
		idle += s->idle;
		dur += s->dur;
		for (int c = 0; c < NCAT; c++)
			cat[c] += s->cat[c];
		n++;
	}
	if (n < 5 || dur <= 0 || (double)idle < IDLE_MIN_SHARE * (double)dur)
		return 0;
	struct sthr *t = &S->t[s0->th];
	double ish = (double)idle / (double)dur;
	struct stepfind *f = sf_new(e, "gpu_idle");
	char who[160], wtxt[256], b1[32], b2[32], b3[32], b4[32], b5[32], tmp[256];
	f->node = s0->node;
	f->pid = s0->pid;
	f->stream = s0->stream;
	f->start = s0->start;
	f->dur = S->s[hi - 1].start + S->s[hi - 1].dur - s0->start;
	f->lost = idle;
	f->share = (double)idle / (double)steps_wall(e, s0->node);
	proc_who(e, s0->node, s0->pid, who, sizeof(who));
	/* what the thread did while the GPU had nothing: between-call time */
	int main = CAT_HOST;
	static const int hc[] = { CAT_HOST, CAT_BLK, CAT_PRE, CAT_IO };
	for (size_t k = 0; k < sizeof(hc) / sizeof(hc[0]); k++)
		if (cat[hc[k]] > cat[main])
			main = hc[k];
	int64_t top;
	int nwk, kids;
	wakers_text(e, s0->node, s0->pid, t->wk, wtxt, sizeof(wtxt), &top, &nwk, &kids);
	int64_t cpu = q_int(e, "SELECT CAST(avg(cpu_pct) AS INTEGER) FROM system_snapshots WHERE node = ?1 AND "
			    "timestamp BETWEEN ?2 AND ?3", s0->node, f->start, f->start + f->dur, -1);
	int64_t nkids = q_int(e, "SELECT count(*) FROM processes WHERE node = ?1 AND ppid = ?2 AND pid != ?2 AND ?3 >= 0",
			      s0->node, s0->pid, 0, 0);
	if (nkids <= 0)   /* original databases: no ppid, but fork events */
		nkids = q_int(e, "SELECT count(DISTINCT CASE WHEN arg0 > 0 THEN arg0 ELSE arg1 END) FROM events WHERE "
			      "node = ?1 AND pid = ?2 AND source = 3 AND op = 7 AND ?3 >= 0", s0->node, s0->pid, 0, 0);
	int64_t kid = q_int(e, "SELECT min(CASE WHEN arg0 > 0 THEN arg0 ELSE arg1 END) FROM events WHERE node = ?1 AND "
			    "pid = ?2 AND source = 3 AND op = 7 AND ?3 >= 0", s0->node, s0->pid, 0, -1);
	if (kid <= 0)
		kid = q_int(e, "SELECT min(pid) FROM processes WHERE node = ?1 AND ppid = ?2 AND pid != ?2 AND ?3 >= 0",
			    s0->node, s0->pid, 0, -1);
	char kidwho[160] = "";
	if (kid > 0)
		proc_who(e, s0->node, kid, kidwho, sizeof(kidwho));
	int legacy = legacy_input(e);
	const char *cause;
	if (main == CAT_BLK && nwk)
		cause = "the main thread is blocked waiting for other processes";
	else if (main == CAT_BLK)
		cause = "the main thread is blocked (who woke it is not recorded)";
	else if (main == CAT_PRE)
		cause = "the main thread is preempted by other tasks";
	else if (main == CAT_IO)
		cause = "the main thread waits on block I/O";
	else if (t->nsched == 0 || legacy)
		cause = "the process makes no CUDA call for most of the time (sampled or missing scheduler events: "
			"whether it computed or waited, e.g. for data-loading workers, cannot be shown)";
	else
		cause = "the main thread computes on the CPU between steps";
	f->summary = xasprintf("GPU idle %.0f%% of %s's steps (%s of %s): host-bound, %s%s%s", 100.0 * ish, who,
			       FD(idle, b1), FD(dur, b2), cause, nwk && main == CAT_BLK ? ": " : "",
			       nwk && main == CAT_BLK ? wtxt : "");
	size_t off = 0;
	char root[1024];
	off += (size_t)snprintf(root + off, sizeof(root) - off, "no CUDA work in flight for %s between a sync's return "
				"and the next launch; between CUDA calls the thread was blocked %s, %s %s, preempted %s, "
				"in block I/O %s", FD(idle, b1), FD(cat[CAT_BLK], b2),
				legacy || t->nsched == 0 ? "not seen off-CPU (sampled: may have waited)" : "on-CPU", FD(cat[CAT_HOST], b3),
				FD(cat[CAT_PRE], b4), FD(cat[CAT_IO], b5));
	if (nwk)
		off += (size_t)snprintf(root + off, sizeof(root) - off, "; woken by %s%s", wtxt,
					kids ? ", forked by this process (its data-loading workers)" : "");
	else if (nkids > 0)
		off += (size_t)snprintf(root + off, sizeof(root) - off, "; it forked %" PRId64 " process(es) (e.g. %s: likely "
					"data-loading workers; no wakeup events to confirm)", nkids, kidwho);
	if (cpu >= 0)
		off += (size_t)snprintf(root + off, sizeof(root) - off, "; host CPU %" PRId64 "%% busy on average%s", cpu,
					cpu >= 90 ? " (saturated)" : "");
	if (legacy)
		off += (size_t)snprintf(root + off, sizeof(root) - off, "; original-tool database: events are sampled "
					"and sched_wakeup is not recorded, so who the thread waited for cannot be shown");
	(void)off;
	f->root = xstrdup(root);
	if (main == CAT_BLK && nwk && top > 0)
		set_culprit(e, f, top);
	if (main == CAT_BLK || nkids > 0) {
		snprintf(tmp, sizeof(tmp), "The input pipeline cannot keep up: raise DataLoader num_workers%s if CPU cores are "
			 "free, else make decoding/augmentation cheaper (cached preprocessed data, GPU decoding e.g. DALI)",
			 nwk > 1 ? " beyond the saturated workers" : "");
		rec_add(f->recs, tmp);
		rec_add(f->recs, "pin_memory=True, prefetch_factor >= 2 and persistent_workers=True so batches are ready "
			"before the step ends");
	}
	if (cpu >= 90 || main == CAT_PRE)
		rec_add(f->recs, "Host CPU is saturated: pin the trainer and the workers to separate cores (taskset / numactl) "
			"or add CPU");
	if (main == CAT_HOST && nkids > 0 && (legacy || t->nsched == 0))
		rec_add(f->recs, "Record again with ingero-record (sched_switch + sched_wakeup) to see whether the main thread "
			"waits for its workers or computes");
	if (main == CAT_HOST)
		rec_add(f->recs, "Profile the host code between steps (py-spy); move preprocessing into DataLoader workers or "
			"onto the GPU; CUDA graphs / larger batches cut per-step Python overhead");
	if (main == CAT_IO)
		rec_add(f->recs, "Reading the data waits on disk: faster storage, page cache, or prefetching");
	sf_severity(f);
	if (t->nsched == 0 && !legacy)
		f->sev = 2;
	return 0;
}

/* -------------------------------------------------------------- stalls */

static int64_t stream_p50(struct eng *e, int th)
{
	struct steps *S = e->st;
	int64_t *d = NULL;
	size_t n = 0, c = 0;
	for (size_t i = 0; i < S->ns; i++)
		if (S->s[i].th == th && !S->s[i].warm && !S->s[i].slow)
			VEC_PUSH(d, n, c, S->s[i].dur);
	int64_t m = n ? ig_kth_i64(d, n, (n - 1) / 2) : 0;
	free(d);
	return m;
}

static int stall_findings(struct eng *e)
{
	struct steps *S = e->st;
	int64_t last_th = -1, p50 = 0;
	for (size_t i = 0; i < S->ng; i++) {
		struct sgap *g = &S->g[i];
		if (g->th != last_th) {
			p50 = stream_p50(e, g->th);
			last_th = g->th;
		}
		int64_t len = g->e - g->s;
		if (p50 <= 0 || (double)len < STALL_K * (double)p50 || len < STALL_ABS_NS)
			continue;
		struct stepfind *f = sf_new(e, "stall");
		char who[160], b1[32], b2[32], b3[32], b4[32], b5[32], cw[160] = "";
		f->node = g->node;
		f->pid = g->pid;
		f->start = g->s;
		f->dur = len;
		f->lost = len - p50;
		f->share = (double)f->lost / (double)steps_wall(e, g->node);
		proc_who(e, g->node, g->pid, who, sizeof(who));
		const char *what = g->on >= g->pre + g->blk ? "computing on the host (on-CPU)" :
				   g->blk >= g->pre ? "blocked" : "preempted";
		int64_t cul = g->on >= g->pre + g->blk ? -1 : g->blk >= g->pre ? g->top_wak.pid : g->top_pre.pid;
		if (cul > 0) {
			proc_who(e, g->node, cul, cw, sizeof(cw));
			set_culprit(e, f, cul);
		}
		int nos = S->t[g->th].nsched == 0;
		if (nos)
			what = "unknown (no scheduler events for the thread: computing and waiting for work look alike)";
		f->summary = xasprintf("stall: %s issued no CUDA call for %s (step p50 %s), %s%s%s%s", who, FD(len, b1),
				       FD(p50, b2), nos ? "" : "mostly ", what, cul > 0 ? " — " : "", cw);
		f->root = xasprintf("tid %" PRId64 " between its CUDA calls: on-CPU %s, blocked %s, preempted %s, block I/O %s; "
				    "work queued behind it (other requests, the next steps) waited", g->tid, FD(g->on, b1),
				    FD(g->blk, b2), FD(g->pre, b3), FD(g->io, b4));
		(void)b5;
		if (g->on >= g->pre + g->blk)
			rec_add(f->recs, "A host-side computation blocks the loop that feeds the GPU: move it off the serving/"
				"training thread (worker thread or process), bound or chunk it; py-spy on the window shows what it is");
		else
			rec_add(f->recs, "The loop waits on another task during the stall: see the culprit named above");
		sf_severity(f);
		if (nos)
			f->sev = 2;
	}
	return 0;
}

/* ----------------------------------------------------- throughput drops */

static int overlaps_stall(struct eng *e, int node, int64_t pid, int64_t s, int64_t en)
{
	struct steps *S = e->st;
	for (size_t i = 0; i < S->nf; i++) {
		struct stepfind *f = &S->f[i];
		if (!strcmp(f->kind, "stall") && f->node == node && f->pid == pid && ovl(s, en, f->start, f->start + f->dur) > 0)
			return 1;
	}
	return 0;
}

static int drop_findings(struct eng *e, size_t lo, size_t hi)
{
	struct steps *S = e->st;
	if (hi - lo < 50)
		return 0;
	struct step *s0 = &S->s[lo];
	int64_t p50 = stream_p50(e, s0->th);
	if (p50 <= 0)
		return 0;
	int64_t w = 20 * p50 > NS_S ? 20 * p50 : NS_S;
	int64_t t0 = s0->start, t1 = S->s[hi - 1].start + S->s[hi - 1].dur;
	size_t nw = (size_t)((t1 - t0) / w);
	if (nw < 8)
		return 0;
	int64_t *cnt = xcalloc(nw, sizeof(int64_t)), *tmp = xmalloc(nw * sizeof(int64_t));
	for (size_t i = lo; i < hi; i++) {
		size_t k = (size_t)((S->s[i].start + S->s[i].dur - t0) / w);
		if (k < nw)
			cnt[k]++;
	}
	memcpy(tmp, cnt, nw * sizeof(int64_t));
	int64_t base = ig_kth_i64(tmp, nw, (nw - 1) / 2);
	free(tmp);
	for (size_t k = 0; k < nw && base >= 4;) {
		if (2 * cnt[k] >= base) {
			k++;
			continue;
		}
		size_t j = k;
		double lost = 0;
		while (j < nw && 2 * cnt[j] < base) {
			lost += (1.0 - (double)cnt[j] / (double)base) * (double)w;
			j++;
		}
		int64_t ws = t0 + (int64_t)k * w, we = t0 + (int64_t)j * w;
		int64_t slowx = 0;
		if (j - k >= 2) {
			int64_t sp50 = stream_p50(e, s0->th);
			for (size_t i = lo; i < hi; i++)
				if (S->s[i].slow && S->s[i].start >= ws && S->s[i].start < we)
					slowx += S->s[i].dur - sp50;
		}
		if (j - k >= 2 && (double)slowx < 0.5 * lost && !overlaps_stall(e, s0->node, s0->pid, ws, we)) {
			struct stepfind *f = sf_new(e, "throughput_drop");
			char who[160], b1[32], b2[32];
			int64_t cat[NCAT] = { 0 }, typ[NCAT], tp50, n = 0;
			typical(e, lo, hi, s0->phase, typ, &tp50);
			for (size_t i = lo; i < hi; i++)
				if (S->s[i].start >= ws && S->s[i].start < we) {
					for (int c = 0; c < NCAT; c++)
						cat[c] += S->s[i].cat[c] - typ[c];
					n++;
				}
			int64_t diff;
			int tc = top_cat(cat, (int64_t[NCAT]){ 0 }, &diff);
			f->node = s0->node;
			f->pid = s0->pid;
			f->stream = s0->stream;
			f->start = ws;
			f->dur = we - ws;
			f->lost = (int64_t)lost;
			f->share = lost / (double)steps_wall(e, s0->node);
			proc_who(e, s0->node, s0->pid, who, sizeof(who));
			double rate = (double)base * (double)NS_S / (double)w;
			f->summary = xasprintf("throughput drop: %s ran %.1f steps/s for %s (baseline %.1f/s)", who,
					       (double)(n) * (double)NS_S / (double)(we - ws), FD(we - ws, b1), rate);
			f->root = xasprintf("the steps of the window spent +%s in %s against typical steps", FD(diff > 0 ? diff : 0, b2),
					    step_cat_text[tc]);
			recs_for(f->recs, tc, NULL);
			sf_severity(f);
		}
		k = j;
	}
	free(cnt);
	return 0;
}

/* ---------------------------------------------------------- all of them */

static int same_th(const struct step *a, const struct step *b)
{
	return a->node == b->node && a->pid == b->pid && a->stream == b->stream && a->th == b->th;
}

int steps_findings(struct eng *e)
{
	struct steps *S = e->st;
	if (stall_findings(e))
		return -1;
	for (size_t i = 0; i < S->ns;) {
		size_t j = i;
		while (j < S->ns && same_th(&S->s[j], &S->s[i]))
			j++;
		int seen[NPH] = { 0 };
		for (size_t k = i; k < j; k++)
			seen[S->s[k].phase] = 1;
		if (idle_finding(e, i, j))
			return -1;
		for (int ph = 0; ph < NPH; ph++)
			if (seen[ph] && !e->o.inference && slow_findings(e, i, j, ph))
				return -1;
		if (drop_findings(e, i, j))
			return -1;
		i = j;
	}
	return 0;
}

static int cmp_find(const void *a, const void *b)
{
	const struct stepfind *x = a, *y = b;
	int r = strcmp(x->kind, y->kind);
	if (r)
		return r;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->start != y->start)
		return (x->start > y->start) - (x->start < y->start);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->stream != y->stream)
		return (x->stream > y->stream) - (x->stream < y->stream);
	return strcmp(x->summary ? x->summary : "", y->summary ? y->summary : "");
}

int steps_write_findings(struct eng *e)
{
	struct steps *S = e->st;
	xqsort(S->f, S->nf, sizeof(*S->f), cmp_find);
	if (sqlite3_exec(e->db, "DELETE FROM step_findings", NULL, NULL, NULL) != SQLITE_OK)
		return eng_err(e, "writing step_findings: %s", sqlite3_errmsg(e->db));
	sqlite3_stmt *st;
	if (eng_prep(e, &st, "INSERT INTO step_findings (id, kind, severity, node, pid, stream, step_id, start, duration, "
		     "lost_ns, impact_share, summary, root_cause, culprit_pid, culprit_comm, recommendations) "
		     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)", "writing step_findings"))
		return -1;
	static const char *sevs[] = { "HIGH", "MEDIUM", "LOW" };
	int rc = 0;
	for (size_t i = 0; i < S->nf && !rc; i++) {
		struct stepfind *f = &S->f[i];
		int k = 1;
		for (size_t j = i; j-- > 0;)
			if (S->f[j].node == f->node && !strcmp(S->f[j].kind, f->kind))
				k++;
		const char *nd = e->nodes.s[f->node];
		if (nd[0])
			snprintf(f->id, sizeof(f->id), "%s:%s-%d", nd, f->kind, k);
		else
			snprintf(f->id, sizeof(f->id), "%s-%d", f->kind, k);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sevs[f->sev], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, nd, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, f->pid);
		if (f->stream >= 0)
			sqlite3_bind_int64(st, 6, f->stream);
		if (f->step_id >= 0)
			sqlite3_bind_int64(st, 7, f->step_id);
		sqlite3_bind_int64(st, 8, f->start);
		sqlite3_bind_int64(st, 9, f->dur);
		sqlite3_bind_int64(st, 10, f->lost);
		sqlite3_bind_double(st, 11, round(f->share * 1e6) / 1e6);
		sqlite3_bind_text(st, 12, f->summary ? f->summary : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, f->root ? f->root : "", -1, SQLITE_STATIC);
		if (f->culprit_pid > 0) {
			sqlite3_bind_int64(st, 14, f->culprit_pid);
			sqlite3_bind_text(st, 15, f->culprit_comm ? f->culprit_comm : "", -1, SQLITE_STATIC);
		}
		sqlite3_bind_text(st, 16, json_object_to_json_string_ext(f->recs, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = eng_err(e, "writing step_findings: %s", sqlite3_errmsg(e->db));
	}
	sqlite3_finalize(st);
	return rc;
}
