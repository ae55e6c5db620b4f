/* engine.c - the causal engine's driver: set-up, the passes in order,
 * causal_chains, tear-down (docs/engine.md is the manual; engine_int.h maps
 * the files).
 *
 * Passes:
 *  1. one full scan of events: exact per-(node,pid,source,op) duration arrays
 *     for GPU calls, per-node spans, GPU activity maps (contention), and the
 *     small evidence tables (block I/O, page allocs, legacy sched_switch,
 *     OOM, alloc/free balance) kept in memory with caps  (engine_scan.c);
 *  2. slow calls, largest first  (engine_scan.c);
 *  3. evidence for each slow call that overlaps [ts, ts+dur], classification,
 *     patterns without a host cause  (engine_evidence.c);
 *  4. chains from the slow calls  (engine_chain.c), then the window and
 *     job rules  (engine_rules.c, engine_job.c). */
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "engine_int.h"
#include "steps_int.h"

const char *const cause_kind[C_NCAUSE] = {
	"tail", "preemption", "io", "memory", "throttle", "gpu_contention",
	"offcpu", "blocked", "cold_start", "periodic",
};

int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int eng_err(struct eng *e, const char *fmt, ...)
{
	if (e->err && e->errlen && !e->err[0]) {   /* the first error is the cause */
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->err, e->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int eng_prep(struct eng *e, sqlite3_stmt **st, const char *sql, const char *what)
{
	if (sqlite3_prepare_v2(e->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return eng_err(e, "%s: %s", what, sqlite3_errmsg(e->db));
	}
	return 0;
}

/* INGERO_ENGINE_TIMING=1: phase timings on stderr (diagnostics only; never
 * part of any output or decision) */
static void phase(const char *name)
{
	static struct timespec t0, c0;
	static int on = -1;
	if (on < 0)
		on = getenv("INGERO_ENGINE_TIMING") != NULL;
	if (!on)
		return;
	struct timespec t, c;
	clock_gettime(CLOCK_MONOTONIC, &t);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	if (name)
		fprintf(stderr, "engine: %-10s %.3f s (cpu %.3f s)\n", name,
			(double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9,
			(double)(c.tv_sec - c0.tv_sec) + (double)(c.tv_nsec - c0.tv_nsec) / 1e9);
	t0 = t;
	c0 = c;
}

/* ------------------------------------------------------------ chains */

static int cmp_slow_grp_ts(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->g != y->g)
		return x->g - y->g;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_slow_chain(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->g != y->g)
		return x->g - y->g;
	if (x->cause != y->cause)
		return x->cause - y->cause;
	if (x->cause == C_PREEMPT && x->cul_comm != y->cul_comm)
		return x->cul_comm - y->cul_comm;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_chain_id(const void *a, const void *b)
{
	const struct chain *x = a, *y = b;
	int r = strcmp(x->kind, y->kind);
	if (r)
		return r;
	if ((r = strcmp(x->opname, y->opname)))
		return r;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->ws != y->ws)
		return (x->ws > y->ws) - (x->ws < y->ws);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if ((r = strcmp(x->culprit_comm ? x->culprit_comm : "", y->culprit_comm ? y->culprit_comm : "")))
		return r;
	if (x->impact != y->impact)
		return (x->impact < y->impact) - (x->impact > y->impact);
	return strcmp(x->summary ? x->summary : "", y->summary ? y->summary : "");
}

/* evidence, classification and patterns of the slow calls, then one chain
 * per (group, cause[, culprit]) */
static int slow_chains(struct eng *e)
{
	for (size_t i = 0; i < e->ns; i++) {
		if (evidence(e, &e->s[i]))
			return -1;
		classify(e, &e->s[i]);
	}
	phase("evidence");
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_grp_ts);
	/* per group: patterns; remember periods for the chain text */
	struct period *pr = xcalloc(e->ng ? e->ng : 1, sizeof(*pr));
	for (size_t i = 0; i < e->ns;) {
		size_t j = i;
		while (j < e->ns && e->s[j].g == e->s[i].g)
			j++;
		patterns(e, i, j, &pr[e->s[i].g]);
		i = j;
	}
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_chain);
	for (size_t i = 0; i < e->ns;) {
		size_t j = i;
		while (j < e->ns && e->s[j].g == e->s[i].g && e->s[j].cause == e->s[i].cause &&
		       (e->s[i].cause != C_PREEMPT || e->s[j].cul_comm == e->s[i].cul_comm))
			j++;
		struct slow *s = &e->s[i];
		struct grp *g = &e->g[s->g];
		int keep = s->cause >= 0;
		if (s->cause == C_NONE) {
			/* unexplained tail: the original's gate (p99/p50 >= 3) or >= 3 slow calls */
			keep = g->n >= ENGINE_MIN_CALLS && (j - i >= 3 || (g->p50 > 0 && g->p99 >= 3 * g->p50));
		} else if (s->cause != C_COLD && s->cause != C_PERIODIC && g->n < ENGINE_MIN_CALLS) {
			keep = 0;
		}
		if (keep && chain_from(e, s, j - i, &pr[s->g])) {
			free(pr);
			return -1;
		}
		i = j;
	}
	free(pr);
	return 0;
}

static int write_chains(struct eng *e)
{
	xqsort(e->c, e->nc, sizeof(struct chain), cmp_chain_id);
	sqlite3_stmt *st;
	if (sqlite3_exec(e->db, "DELETE FROM causal_chains", NULL, NULL, NULL) != SQLITE_OK)
		return eng_err(e, "writing causal_chains: %s", sqlite3_errmsg(e->db));
	if (eng_prep(e, &st, "INSERT INTO causal_chains (id, detected_at, severity, summary, root_cause, explanation, "
		     "recommendations, cuda_op, cuda_p99_us, cuda_p50_us, tail_ratio, timeline, node, kind, window_start, "
		     "window_end, impact_ns, impact_share, slow_calls, culprit_pid, culprit_comm, pid, evidence) "
		     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)",
		     "writing causal_chains"))
		return -1;
	static const char *sevs[] = { "HIGH", "MEDIUM", "LOW" };
	for (size_t i = 0; i < e->nc; i++) {
		struct chain *c = &e->c[i];
		int k = 1;
		for (size_t j = i; j-- > 0;) {
			if (e->c[j].node == c->node && strcmp(e->c[j].kind, c->kind) == 0 &&
			    strcmp(e->c[j].opname, c->opname) == 0)
				k++;
		}
		const char *nd = e->nodes.s[c->node];
		if (nd[0])
			snprintf(c->id, sizeof(c->id), "%s:%s-%s-%d", nd, c->kind, c->opname, k);
		else
			snprintf(c->id, sizeof(c->id), "%s-%s-%d", c->kind, c->opname, k);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, c->ws);
		sqlite3_bind_text(st, 3, sevs[c->sev], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->summary ? c->summary : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->root ? c->root : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, c->expl ? c->expl : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, json_object_to_json_string_ext(c->recs, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, c->opname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, c->p99 / 1000);
		sqlite3_bind_int64(st, 10, c->p50 / 1000);
		sqlite3_bind_double(st, 11, c->p50 > 0 ? round(10.0 * (double)c->p99 / (double)c->p50) / 10.0 : 0);
		sqlite3_bind_text(st, 12, json_object_to_json_string_ext(c->timeline, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 13, nd, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, c->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 15, c->ws);
		sqlite3_bind_int64(st, 16, c->we);
		sqlite3_bind_int64(st, 17, c->impact);
		sqlite3_bind_double(st, 18, round(c->share * 1e6) / 1e6);
		sqlite3_bind_int64(st, 19, c->slow);
		if (c->culprit_pid >= 0) {
			sqlite3_bind_int64(st, 20, c->culprit_pid);
			sqlite3_bind_text(st, 21, c->culprit_comm ? c->culprit_comm : "", -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 22, c->pid);
		sqlite3_bind_text(st, 23, json_object_to_json_string_ext(c->evidence, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			eng_err(e, "writing causal_chains: %s", sqlite3_errmsg(e->db));
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int put_info(struct eng *e, const char *k, int64_t v)
{
	sqlite3_stmt *st;
	if (eng_prep(e, &st, "INSERT OR REPLACE INTO schema_info (key, value) VALUES (?1, ?2)", "writing schema_info"))
		return -1;
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, v);
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return eng_err(e, "writing schema_info: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* the tables the evidence reads, their indexes and the per-slow-call queries */
static int setup(struct eng *e)
{
	sqlite3 *db = e->db;
	char *msg = NULL;
	/* indexes the evidence queries rely on (the import builds the same) */
	if (sqlite3_exec(db, "CREATE INDEX IF NOT EXISTS idx_offcpu_tid ON offcpu(node, tid, start);"
			 "CREATE INDEX IF NOT EXISTS idx_snapshots_time ON system_snapshots(node, timestamp);"
			 "CREATE INDEX IF NOT EXISTS idx_gpu_time ON gpu_snapshots(node, timestamp);",
			 NULL, NULL, &msg) != SQLITE_OK) {
		eng_err(e, "indexes: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	int64_t v[4];
	const char *q[4] = { "SELECT EXISTS (SELECT 1 FROM offcpu)", "SELECT EXISTS (SELECT 1 FROM system_snapshots)",
			     "SELECT EXISTS (SELECT 1 FROM gpu_snapshots)", "SELECT coalesce(max(duration), 0) FROM offcpu" };
	for (int i = 0; i < 4; i++) {
		sqlite3_stmt *st;
		if (eng_prep(e, &st, q[i], "reading the database"))
			return -1;
		int rc = sqlite3_step(st);
		v[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return eng_err(e, "reading the database: %s", sqlite3_errmsg(db));
	}
	e->have_offcpu = v[0] > 0;
	e->have_snap = v[1] > 0;
	e->have_gpu = v[2] > 0;
	e->maxoff = cdur(v[3]);
	return 0;
}

static int prepare_queries(struct eng *e)
{
	if (e->have_offcpu && eng_prep(e, &e->q_off, "SELECT rowid, start, duration, preempted, culprit_pid, culprit_comm, "
				       "prev_state FROM offcpu WHERE node = ?1 AND tid = ?2 AND start < ?3 AND start >= ?4 "
				       "ORDER BY start, rowid", "reading offcpu"))
		return -1;
	if (e->have_snap && eng_prep(e, &e->q_snap, "SELECT max(mem_pct), max(swap_mb) - min(swap_mb), max(cpu_pct), count(*) "
				     "FROM system_snapshots WHERE node = ?1 AND timestamp BETWEEN ?2 AND ?3",
				     "reading system_snapshots"))
		return -1;
	if (e->have_gpu && eng_prep(e, &e->q_gpu, "SELECT max(throttle_reasons & 236) FROM gpu_snapshots "
				    "WHERE node = ?1 AND timestamp BETWEEN ?2 AND ?3", "reading gpu_snapshots"))
		return -1;
	if (eng_prep(e, &e->q_name, "SELECT name FROM (SELECT comm AS name, 0 AS pri FROM processes WHERE node = ?1 "
		     "AND pid = ?2 AND comm != '' UNION ALL SELECT name, 1 FROM process_names WHERE node = ?1 "
		     "AND pid = ?2 AND name != '' UNION ALL SELECT name, 2 FROM process_names WHERE pid = ?2 "
		     "AND name != '') ORDER BY pri, name LIMIT 1", "reading processes"))
		return -1;
	/* (only when some stack has Python frames: step_py_line scans events) */
	if (ig_db_has_table(e->db, "main", "python_frames") &&
	    ig_db_int(e->db, "SELECT EXISTS (SELECT 1 FROM python_frames)", 0) == 1 &&
	    eng_prep(e, &e->q_py, "SELECT file, function, line FROM python_frames WHERE stack_hash = ?1 "
		     "AND depth = 0", "reading python_frames"))
		return -1;
	return eng_prep(e, &e->q_kids, "SELECT pid FROM processes WHERE node = ?1 AND ppid = ?2 AND pid != ?2 "
			"ORDER BY pid", "reading processes");
}

static int rules(struct eng *e)
{
	if (rule_cpu_contention(e) || rule_memcpy(e) || rule_leak(e) || rule_oom(e) || rule_graph(e) ||
	    rule_straggler(e) || rule_drop(e))
		return -1;
	if (e->o.op) { /* --op: rule chains too (slow-call chains are filtered already) */
		size_t k = 0;
		for (size_t i = 0; i < e->nc; i++) {
			if (strcasecmp(e->c[i].opname, e->o.op) == 0)
				e->c[k++] = e->c[i];
			else
				chain_free(&e->c[i]);
		}
		e->nc = k;
	}
	return 0;
}

static int run(struct eng *e)
{
	phase(NULL);
	if (setup(e) || steps_init(e) || pass1(e))
		return -1;
	phase("pass1");
	if (pass2(e))
		return -1;
	phase("pass2");
	if (prepare_queries(e) || slow_chains(e) || rules(e))
		return -1;
	phase("rules");
	if (write_chains(e))
		return -1;
	phase("write");
	if (steps_run(e))
		return -1;
	phase("steps");
	if (put_info(e, "engine.events", e->events) ||
	    put_info(e, "engine.span_ns", e->events ? e->t_max - e->t_min : 0) ||
	    put_info(e, "engine.slow_calls", (int64_t)e->ns) ||
	    put_info(e, "engine.truncated", e->slow_truncated | (e->evt_truncated << 1)))
		return -1;
	return 0;
}

static void eng_free(struct eng *e)
{
	sqlite3_finalize(e->q_off);
	sqlite3_finalize(e->q_snap);
	sqlite3_finalize(e->q_gpu);
	sqlite3_finalize(e->q_name);
	sqlite3_finalize(e->q_kids);
	sqlite3_finalize(e->q_py);
	e->q_py = NULL;
	for (size_t i = 0; i < e->ng; i++)
		free(e->g[i].d);
	free(e->g);
	ig_map_release(&e->gidx);
	free(e->nfirst);
	free(e->nlast);
	free(e->io);
	free(e->pa);
	free(e->ss);
	free(e->oom);
	free(e->al);
	for (int i = 0; i < e->nmaps; i++) {
		free(e->maps[i].busy);
		free(e->maps[i].cps);
	}
	free(e->s);
	steps_free(e);
	for (size_t i = 0; i < e->nc; i++)
		chain_free(&e->c[i]);
	free(e->c);
	ig_strtab_release(&e->nodes);
	ig_strtab_release(&e->comms);
	for (size_t i = 0; i < e->nctx; i++)
		free(e->ctxn[i]);
	free(e->ctxn);
	if (e->opa)
		for (int i = 0; i < OPS_SRCS * OPS_OPS; i++)
			free(e->opa[i].d);
	free(e->opa);
	free(e);
}

int ingero_engine_run(sqlite3 *db, const struct ingero_engine_opts *o, char *err, size_t errlen)
{
	struct eng *e = xcalloc(1, sizeof(*e));
	int ret = -1;
	char *msg = NULL;
	e->db = db;
	e->err = err;
	e->errlen = errlen;
	if (o)
		e->o = *o;
	else
		e->o.pid = -1;
	if (err && errlen)
		err[0] = 0;
	/* one transaction: the chains are replaced whole or not at all */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) {
		eng_err(e, "cannot start a transaction: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		eng_free(e);
		return -1;
	}
	if (run(e) == 0)
		ret = (int)e->nc;
	/* statements are finalized before COMMIT/ROLLBACK */
	sqlite3_finalize(e->q_off);
	sqlite3_finalize(e->q_snap);
	sqlite3_finalize(e->q_gpu);
	sqlite3_finalize(e->q_name);
	sqlite3_finalize(e->q_kids);
	sqlite3_finalize(e->q_py);
	e->q_off = e->q_snap = e->q_gpu = e->q_name = e->q_kids = e->q_py = NULL;
	if (ret >= 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		eng_err(e, "writing causal_chains: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		ret = -1;
	}
	if (ret < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	eng_free(e);
	return ret;
}
