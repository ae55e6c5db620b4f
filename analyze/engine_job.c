/* engine_job.c - rules across the calls of a job: CUDA-graph re-capture
 * (one process, many captures) and the NCCL straggler (one rank that
 * reaches the collectives last, across nodes).  docs/engine.md section 6. */
#include <inttypes.h>

#include "engine_int.h"

/* ------------------------------------------------------ graph recapture */

static void graph_chain(struct eng *e, sqlite3_stmt *st, int node, int64_t pid, int64_t n)
{
	char b1[32], nm[64], tmp[256];
	int64_t caps = sqlite3_column_int64(st, 3), inst = sqlite3_column_int64(st, 4);
	int64_t cost = cdur(sqlite3_column_int64(st, 5)), launches = sqlite3_column_int64(st, 9);
	struct chain *c = chain_new(e);
	c->node = node; c->pid = pid; c->src = INGERO_SRC_GRAPH; c->op = INGERO_GRAPH_BEGIN_CAPTURE;
	c->kind = "graph_recapture";
	snprintf(c->opname, sizeof(c->opname), "%s", ingero_op_name(INGERO_SRC_GRAPH, INGERO_GRAPH_BEGIN_CAPTURE));
	c->ws = cts(sqlite3_column_int64(st, 6)); c->we = cts(sqlite3_column_int64(st, 7));
	c->impact = cost - cost / n; c->slow = n - 1; c->cover = 1;
	if (e->nfirst[node] == INT64_MAX) {
		e->nfirst[node] = c->ws;
		e->nlast[node] = c->we;
	}
	c->share = (double)c->impact / (double)node_span(e, node);
	severity(c, 0);
	proc_name(e, node, pid, nm, sizeof(nm));
	c->summary = xasprintf("CUDA graph re-captured %" PRId64 " times on stream 0x%" PRIx64 " — %s spent capturing/instantiating",
			       n, (uint64_t)sqlite3_column_int64(st, 2), FD(cost, b1));
	c->root = xasprintf("%s%s%" PRId64 "%s captures and instantiates its CUDA graph %" PRId64 " times (%" PRId64
			    " distinct executables, %" PRId64 " launches): the graph is invalidated (dynamic shapes, "
			    "changed pointers) instead of being replayed", nm, nm[0] ? " (pid " : "pid ", pid, nm[0] ? ")" : "", n,
			    (int64_t)sqlite3_column_int64(st, 8), launches);
	c->expl = xasprintf("impact = capture+instantiate time beyond the first capture");
	snprintf(tmp, sizeof(tmp), "%" PRId64 " captures, %" PRId64 " instantiations, %" PRId64 " launches", caps, inst, launches);
	tl_add(c->timeline, "CUDA_GRAPH", "graphInstantiate", tmp, cost);
	rec_add(c->recs, "keep shapes and buffer addresses static so the captured graph is replayed (pad batches, static inputs)");
	rec_add(c->recs, "torch.compile(mode=\"reduce-overhead\") with fixed shapes / mark_dynamic only where needed");
	json_object_object_add(c->evidence, "symptoms", json_object_new_array());
}

/* CUDA-graph re-capture: the same stream captured and instantiated again and again */
int rule_graph(struct eng *e)
{
	sqlite3_stmt *st;
	char f[256], sql[640];
	int rc;
	filt_sql(e, f, sizeof(f), "start");
	snprintf(sql, sizeof(sql), "SELECT node, pid, coalesce(stream,0), sum(op = %d), sum(op = %d), "
		 "sum(CASE WHEN op IN (%d,%d,%d) THEN duration ELSE 0 END), min(start), max(start + duration), "
		 "count(DISTINCT CASE WHEN op = %d THEN exec END), sum(op = %d) FROM graph_events WHERE 1%s "
		 "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
		 INGERO_GRAPH_BEGIN_CAPTURE, INGERO_GRAPH_INSTANTIATE, INGERO_GRAPH_BEGIN_CAPTURE,
		 INGERO_GRAPH_END_CAPTURE, INGERO_GRAPH_INSTANTIATE, INGERO_GRAPH_INSTANTIATE,
		 INGERO_GRAPH_LAUNCH, f);
	if (eng_prep(e, &st, sql, "reading graph_events"))
		return -1;
	filt_bind(e, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t caps = sqlite3_column_int64(st, 3), inst = sqlite3_column_int64(st, 4);
		int64_t pid = sqlite3_column_int64(st, 1);
		int64_t n = caps > inst ? caps : inst;
		if (n < 3 || (e->o.pid >= 0 && e->o.pid != pid))
			continue;
		int node = eng_str(&e->nodes, (const char *)sqlite3_column_text(st, 0));
		node_slot(e, node);
		graph_chain(e, st, node, pid, n);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return eng_err(e, "reading graph_events: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* ------------------------------------------------------------ straggler */

/* NCCL straggler: per (comm, seq) the rank that starts last makes the others wait */
struct strag { int node; int64_t comm, pid, rank; int64_t last, n, late_sum, wait_sum; int op; int64_t lates[64]; int nl; };
struct crow { int node; int64_t pid, start, dur, rank; int op; };
struct strags { struct strag *s; size_t n, cap; };

/* the entry of (comm, node, pid), created from row r when absent */
static struct strag *strag_get(struct strags *sg, int64_t comm, const struct crow *r)
{
	for (size_t k = 0; k < sg->n; k++)
		if (sg->s[k].comm == comm && sg->s[k].node == r->node && sg->s[k].pid == r->pid)
			return &sg->s[k];
	struct strag z;
	memset(&z, 0, sizeof(z));
	z.node = r->node; z.comm = comm; z.pid = r->pid; z.rank = r->rank; z.op = r->op;
	VEC_PUSH(sg->s, sg->n, sg->cap, z);
	return &sg->s[sg->n - 1];
}

/* one collective (comm, seq) of nr ranks ordered by start: the last is late */
static void strag_close(struct strags *sg, int64_t comm, const struct crow *rows, int nr)
{
	if (nr < 2)
		return;
	const struct crow *L = &rows[nr - 1];
	int64_t late = L->start - rows[nr - 2].start, wait = 0;
	for (int k = 0; k < nr - 1; k++)
		wait = sadd(wait, L->start - rows[k].start);
	struct strag *s = strag_get(sg, comm, L);
	s->last++;
	s->late_sum = sadd(s->late_sum, late);
	s->wait_sum = sadd(s->wait_sum, wait / (nr - 1));
	if (s->nl < 64)
		s->lates[s->nl++] = late;
	/* count collectives per comm on the straggler entry of every node */
	for (int r = 0; r < nr; r++)
		strag_get(sg, comm, &rows[r])->n++;
}

/* every collective, grouped by (comm_hash, seq) */
static int strag_scan(struct eng *e, struct strags *sg)
{
	sqlite3_stmt *st;
	char sql[512];
	/* the node filter must not hide the straggler: ignore it here */
	snprintf(sql, sizeof(sql), "SELECT comm_hash, seq, node, pid, start, duration, coalesce(rank,-1), op "
		 "FROM nccl_collectives WHERE 1%s%s ORDER BY comm_hash, seq, start, node, pid",
		 e->o.since_ns ? " AND start >= ?102" : "", e->o.until_ns ? " AND start < ?103" : "");
	if (eng_prep(e, &st, sql, "reading nccl_collectives"))
		return -1;
	if (e->o.since_ns)
		sqlite3_bind_int64(st, 102, e->o.since_ns);
	if (e->o.until_ns)
		sqlite3_bind_int64(st, 103, e->o.until_ns);
	struct crow rows[256];
	int nr = 0, rc;
	int64_t cur_comm = 0, cur_seq = -1;
	for (;;) {
		rc = sqlite3_step(st);
		int64_t comm = 0, seq = 0;
		if (rc == SQLITE_ROW) {
			comm = sqlite3_column_int64(st, 0);
			seq = sqlite3_column_int64(st, 1);
		}
		if (nr > 0 && (rc != SQLITE_ROW || comm != cur_comm || seq != cur_seq)) {
			strag_close(sg, cur_comm, rows, nr);
			nr = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		cur_comm = comm;
		cur_seq = seq;
		if (nr < 256) {
			int node = eng_str(&e->nodes, (const char *)sqlite3_column_text(st, 2));
			node_slot(e, node);
			rows[nr].node = node;
			rows[nr].pid = sqlite3_column_int64(st, 3);
			rows[nr].start = cts(sqlite3_column_int64(st, 4));
			rows[nr].dur = cdur(sqlite3_column_int64(st, 5));
			rows[nr].rank = sqlite3_column_int64(st, 6);
			rows[nr].op = sqlite3_column_int(st, 7);
			nr++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return eng_err(e, "reading nccl_collectives: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* the window of a communicator, and what the straggler node's own GPU
 * telemetry says (why: "" when nothing) */
static int strag_context(struct eng *e, struct chain *c, const struct strag *s, char *why, size_t wlen)
{
	sqlite3_stmt *q;
	const char *nn = e->nodes.s[s->node];
	int rc;
	c->ws = c->we = 0;
	why[0] = 0;
	if (eng_prep(e, &q, "SELECT min(start), max(start + duration) FROM nccl_collectives WHERE comm_hash = ?1",
		     "reading nccl_collectives"))
		return -1;
	sqlite3_bind_int64(q, 1, s->comm);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		c->ws = cts(sqlite3_column_int64(q, 0));
		c->we = cts(sqlite3_column_int64(q, 1));
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return eng_err(e, "reading nccl_collectives: %s", sqlite3_errmsg(e->db));
	if (eng_prep(e, &q, "SELECT max(throttle_reasons & 236), min(sm_clock_mhz), max(temp_c), "
		     "(SELECT max(sm_clock_mhz) FROM gpu_snapshots WHERE node != ?1) "
		     "FROM gpu_snapshots WHERE node = ?1", "reading gpu_snapshots"))
		return -1;
	sqlite3_bind_text(q, 1, nn, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
		snprintf(why, wlen, "its GPU is throttled (NVML reasons 0x%" PRIx64 "%s), SM clock %" PRId64
			 " MHz vs %" PRId64 " MHz on the other nodes, %" PRId64 " C",
			 (uint64_t)sqlite3_column_int64(q, 0),
			 sqlite3_column_int64(q, 0) & 0x60 ? ": thermal" : "",
			 (int64_t)sqlite3_column_int64(q, 1), (int64_t)sqlite3_column_int64(q, 3),
			 (int64_t)sqlite3_column_int64(q, 2));
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return eng_err(e, "reading gpu_snapshots: %s", sqlite3_errmsg(e->db));
	return 0;
}

static int strag_chain(struct eng *e, struct strag *s, int64_t med)
{
	char b1[32], b2[32], tmp[512], opn[32], rk[32] = "", why[256];
	struct chain *c = chain_new(e);
	const char *nn = e->nodes.s[s->node];
	c->node = s->node; c->pid = s->pid; c->src = INGERO_SRC_NCCL; c->op = s->op;
	c->kind = "straggler";
	snprintf(c->opname, sizeof(c->opname), "%s", eng_op_name(INGERO_SRC_NCCL, s->op, opn, sizeof(opn)));
	c->impact = s->late_sum; /* every other rank waits at least this */
	c->slow = s->last;
	c->cover = (double)s->last / (double)s->n;
	c->culprit_pid = s->pid;
	c->culprit_comm = xstrdup(nn);
	if (strag_context(e, c, s, why, sizeof(why)))
		return -1;
	int64_t span = c->we - c->ws > 0 ? c->we - c->ws : 1;
	c->share = (double)c->impact / (double)span;
	severity(c, 0);
	if (s->rank >= 0)
		snprintf(rk, sizeof(rk), " (rank %" PRId64 ")", s->rank);
	c->summary = xasprintf("%s waits for straggler %s%s — last to arrive in %" PRId64 "/%" PRId64 " collectives, median %s late",
			       c->opname, nn, rk, s->last, s->n, FD(med, b1));
	c->root = xasprintf("node %s%s (pid %" PRId64 ") reaches the %s collectives last in %" PRId64 " of %" PRId64
			    " cases, median %s after the next-latest rank; every other rank waits at least %s in total%s%s",
			    nn, rk, s->pid, c->opname, s->last, s->n, FD(med, b1), FD(s->late_sum, b2),
			    why[0] ? "; " : "", why);
	c->expl = xasprintf("collectives matched across nodes by communicator hash and sequence number");
	snprintf(tmp, sizeof(tmp), "%s%s arrives last in %" PRId64 "/%" PRId64 " %s (median %s late)", nn, rk, s->last, s->n,
		 c->opname, FD(med, b1));
	tl_add(c->timeline, "NCCL", c->opname, tmp, s->late_sum);
	if (why[0]) {
		tl_add(c->timeline, "GPU", "throttle", why, 0);
		rec_add(c->recs, "fix the straggler's cooling / power (nvidia-smi -q -d PERFORMANCE,TEMPERATURE) or replace its GPU");
	}
	snprintf(tmp, sizeof(tmp), "investigate the straggler node (ingero-analyze --node %s --per-process on the same input): "
		 "CPU contention, I/O, thermal throttling, slower GPU", nn);
	rec_add(c->recs, tmp);
	rec_add(c->recs, "balance the per-rank work (uneven batches / data loading on that rank)");
	json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	snprintf(tmp, sizeof(tmp), "0x%" PRIx64, (uint64_t)s->comm);
	json_object_object_add(c->evidence, "comm_hash", json_object_new_string(tmp));
	json_object_object_add(c->evidence, "straggler_node", json_object_new_string(nn));
	return 0;
}

int rule_straggler(struct eng *e)
{
	struct strags sg = { 0 };
	int rc = strag_scan(e, &sg);
	for (size_t k = 0; k < sg.n && !rc; k++) {
		struct strag *s = &sg.s[k];
		if (s->n < 5 || s->last * 2 < s->n || s->nl == 0)
			continue;
		xqsort(s->lates, (size_t)s->nl, sizeof(int64_t), cmp_i64);
		int64_t med = s->lates[(s->nl - 1) / 2];
		if (med < NS_MS)
			continue;
		if (e->o.node && strcmp(e->o.node, e->nodes.s[s->node]) != 0)
			continue;
		rc = strag_chain(e, s, med);
	}
	free(sg.s);
	return rc;
}
