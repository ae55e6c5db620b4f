/* unit-engine.c - rule tests of the causal engine on synthetic rows.
 * The schema is read at run time from argv[1] or $ROOT/analyze/schema.sql. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include <json-c/json.h>
#include "../unit.h"
#include "../../analyze/engine.h"

#define MS 1000000LL
#define US 1000LL
#define T0 1700000000000000000LL

static char *schema;
static int64_t seqn;

static sqlite3 *db_new(void)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return NULL;
	char *err = NULL;
	if (sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
		printf("FAIL: schema: %s\n", err ? err : "?");
		sqlite3_free(err);
		sqlite3_close(db);
		return NULL;
	}
	seqn = 0;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	return db;
}

static void ev(sqlite3 *db, const char *node, int64_t ts, int64_t pid, int64_t tid, int src, int op,
	       int64_t dur, int64_t a0, int64_t a1)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO events (seq, node, timestamp, pid, tid, source, op, duration, arg0, arg1) "
			   "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, ++seqn);
	sqlite3_bind_text(st, 2, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_int64(st, 4, pid);
	sqlite3_bind_int64(st, 5, tid);
	sqlite3_bind_int(st, 6, src);
	sqlite3_bind_int(st, 7, op);
	sqlite3_bind_int64(st, 8, dur);
	sqlite3_bind_int64(st, 9, a0);
	sqlite3_bind_int64(st, 10, a1);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void off(sqlite3 *db, const char *node, int64_t pid, int64_t tid, int64_t start, int64_t dur,
		int preempted, int64_t cpid, const char *ccomm)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO offcpu (node, pid, tid, start, duration, prev_state, preempted, "
			   "culprit_pid, culprit_tid, culprit_comm, cpu) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8,?9,0)", -1, &st, NULL);
	sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_int64(st, 3, tid);
	sqlite3_bind_int64(st, 4, start);
	sqlite3_bind_int64(st, 5, dur);
	sqlite3_bind_int(st, 6, preempted ? 0 : 1);
	sqlite3_bind_int(st, 7, preempted);
	if (cpid >= 0) {
		sqlite3_bind_int64(st, 8, cpid);
		sqlite3_bind_text(st, 9, ccomm, -1, SQLITE_STATIC);
	}
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void proc(sqlite3 *db, const char *node, int64_t pid, const char *comm)
{
	char *sql = sqlite3_mprintf("INSERT INTO processes (node, pid, comm) VALUES (%Q, %lld, %Q)", node, (long long)pid, comm);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
}

static char *qstr(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *r = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return strdup("<sql error>");
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		r = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r ? r : strdup("");
}
static int64_t qint(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t r = -999;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -998;
	if (sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

static int run(sqlite3 *db, const struct ingero_engine_opts *o)
{
	char err[256];
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	int n = ingero_engine_run(db, o, err, sizeof(err));
	if (n < 0)
		printf("# engine error: %s\n", err);
	return n;
}

static char *report(sqlite3 *db)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ingero_engine_report_text(db, f);
	fclose(f);
	if (getenv("ENGINE_DEBUG"))
		printf("# %s\n", buf);
	return buf;
}

/* training loop of pid 100 / tid 101: n sync calls of 1 ms every 5 ms;
 * calls [slow_from, slow_to) take 10 ms.  Returns nothing. */
static void loop(sqlite3 *db, int64_t pid, int n, int slow_from, int slow_to, int op)
{
	for (int i = 0; i < n; i++) {
		int64_t ts = T0 + (int64_t)i * 15 * MS;
		int64_t d = (i >= slow_from && i < slow_to) ? 10 * MS : 1 * MS + (i % 7) * 10 * US;
		ev(db, "n1", ts, pid, pid + 1, 1, op, d, 0, 0);
	}
}

static void t_empty(void)
{
	sqlite3 *db = db_new();
	int n = run(db, NULL);
	T_CHECK(n == 0, "empty db: no chains (got %d)", n);
	char *r = report(db);
	T_CHECK(r && strstr(r, "INCIDENT REPORT — no causal chains detected"), "empty db: report header");
	free(r);
	json_object *j = ingero_engine_report_json(db);
	T_CHECK(j && json_object_array_length(j) == 0, "empty db: json is an empty array");
	json_object_put(j);
	sqlite3_close(db);
	/* one event, zero durations */
	db = db_new();
	ev(db, "n1", T0, 1, 1, 1, 3, 0, 0, 0);
	T_CHECK(run(db, NULL) == 0, "one event: no chain, no crash");
	sqlite3_close(db);
	db = db_new();
	for (int i = 0; i < 100; i++)
		ev(db, "n1", T0 + i, 1, 1, 1, 3, 0, 0, 0);
	T_CHECK(run(db, NULL) == 0, "zero durations: no chain");
	sqlite3_close(db);
}

static void t_preempt(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 100, "train");
	proc(db, "n1", 31337, "logrotate");
	loop(db, 100, 200, 100, 120, 5);
	for (int i = 100; i < 120; i++) {
		int64_t ts = T0 + (int64_t)i * 15 * MS;
		off(db, "n1", 100, 101, ts + 1 * MS, 4 * MS, 1, 31337, "logrotate");
		off(db, "n1", 100, 101, ts + 5 * MS + 100 * US, 4 * MS, 1, 31337, "logrotate");
	}
	/* a kworker preemption far away from any slow call must not matter */
	off(db, "n1", 100, 101, T0 + 10 * 15 * MS + 3 * MS, 5 * MS, 1, 55, "kworker/0:1");
	int n = run(db, NULL);
	T_CHECK(n >= 1, "preemption: chains found (%d)", n);
	char *k = qstr(db, "SELECT kind || '|' || culprit_pid || '|' || culprit_comm || '|' || severity || '|' || slow_calls "
		       "FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "preemption|31337|logrotate|HIGH|20") == 0, "preemption: culprit logrotate, HIGH, 20 slow calls (%s)", k);
	free(k);
	k = qstr(db, "SELECT id FROM causal_chains WHERE kind = 'preemption'");
	T_CHECK(strcmp(k, "n1:preemption-cudaStreamSync-1") == 0, "preemption: chain id shape (%s)", k);
	free(k);
	int64_t w0 = qint(db, "SELECT window_start FROM causal_chains WHERE kind = 'preemption'");
	int64_t w1 = qint(db, "SELECT window_end FROM causal_chains WHERE kind = 'preemption'");
	T_CHECK(w0 == T0 + 100 * 15 * MS && w1 == T0 + 119 * 15 * MS + 10 * MS, "preemption: window = first..last slow call");
	int64_t imp = qint(db, "SELECT impact_ns FROM causal_chains WHERE kind = 'preemption'");
	T_CHECK(imp > 170 * MS && imp < 185 * MS, "preemption: impact = excess over p50 (%" PRId64 ")", imp);
	char *r = report(db);
	T_CHECK(r && strstr(r, "[HIGH] cudaStreamSync") && strstr(r, "logrotate (pid 31337) preempted train (pid 100) 40 times"),
		"preemption: report names logrotate, pid and count");
	T_CHECK(r && strstr(r, "nice -n 19 logrotate") && strstr(r, "taskset -acp ") && strstr(r, " 100 (train"),
		"preemption: fixes nice/taskset with the affected pid");
	T_CHECK(r && strstr(r, "    [HOST  ]  ") && strstr(r, "  Root cause: ") && strstr(r, "  Fix: "), "preemption: report shape");
	T_CHECK(r && !strstr(r, "kworker"), "preemption: non-overlapping kworker not blamed");
	free(r);
	char *evj = qstr(db, "SELECT evidence FROM causal_chains WHERE kind = 'preemption'");
	json_object *j = json_tokener_parse(evj);
	json_object *sy = NULL, *oc = NULL;
	T_CHECK(j && json_object_object_get_ex(j, "symptoms", &sy) && json_object_array_length(sy) == 20 &&
		json_object_object_get_ex(j, "offcpu", &oc) && json_object_array_length(oc) == 40,
		"preemption: evidence JSON lists 20 symptoms and 40 off-CPU intervals");
	T_CHECK(sy && strncmp(json_object_get_string(json_object_array_get_idx(sy, 0)), "n1:", 3) == 0,
		"preemption: symptom ids are node:seq");
	json_object_put(j);
	free(evj);
	sqlite3_close(db);
}

static void t_nonoverlap(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 31337, "logrotate");
	loop(db, 100, 200, 100, 120, 5);
	for (int i = 100; i < 120; i++) { /* between the calls, not inside */
		int64_t ts = T0 + (int64_t)i * 15 * MS;
		off(db, "n1", 100, 101, ts + 10 * MS + 100 * US, 4 * MS, 1, 31337, "logrotate");
	}
	/* and one inside a slow call but on ANOTHER thread */
	off(db, "n1", 100, 999, T0 + 100 * 15 * MS + MS, 8 * MS, 1, 31337, "logrotate");
	run(db, NULL);
	int64_t n = qint(db, "SELECT count(*) FROM causal_chains WHERE kind = 'preemption' OR culprit_pid = 31337");
	T_CHECK(n == 0, "non-overlapping preemption is not blamed (%" PRId64 " chains)", n);
	char *k = qstr(db, "SELECT kind || '|' || severity FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "tail|MEDIUM") == 0 || strcmp(k, "tail|LOW") == 0, "non-overlap: unexplained tail, capped at MEDIUM (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_blocked(void)
{
	/* cudaMemcpy (not a sync) slow while the thread is blocked, not preempted */
	sqlite3 *db = db_new();
	loop(db, 100, 200, 50, 60, 4);
	for (int i = 50; i < 60; i++)
		off(db, "n1", 100, 101, T0 + (int64_t)i * 15 * MS + MS, 7 * MS, 0, -1, NULL);
	run(db, NULL);
	char *k = qstr(db, "SELECT group_concat(kind) FROM causal_chains WHERE cuda_op = 'cudaMemcpy'");
	T_CHECK(strstr(k, "blocked") && !strstr(k, "preemption"), "blocked vs preempted: blocked (%s)", k);
	free(k);
	T_CHECK(qint(db, "SELECT count(*) FROM causal_chains WHERE culprit_pid IS NOT NULL AND kind = 'blocked'") == 0,
		"blocked: no culprit named");
	sqlite3_close(db);
	/* for a stream sync, blocking is the normal wait for the GPU: not a cause */
	db = db_new();
	loop(db, 100, 200, 50, 60, 5);
	for (int i = 50; i < 60; i++)
		off(db, "n1", 100, 101, T0 + (int64_t)i * 15 * MS + MS, 7 * MS, 0, -1, NULL);
	run(db, NULL);
	k = qstr(db, "SELECT group_concat(kind) FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "tail") == 0, "blocked during a sync is not blamed (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_io(void)
{
	sqlite3 *db = db_new();
	loop(db, 100, 200, 30, 45, 5);
	for (int i = 30; i < 45; i++) /* block read of the same process inside the slow call */
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + 500 * US, 100, 102, 5, 1, 8 * MS, 1 << 20, 0);
	ev(db, "n1", T0 + 5 * 15 * MS, 100, 102, 5, 1, 8 * MS, 1 << 20, 0); /* not during a slow call */
	run(db, NULL);
	char *k = qstr(db, "SELECT kind || '|' || slow_calls FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "io|15") == 0, "io: slow syncs explained by overlapping block I/O (%s)", k);
	free(k);
	char *r = report(db);
	T_CHECK(r && strstr(r, "faster storage") && strstr(r, "DataLoader"), "io: fix mentions storage and DataLoader workers");
	free(r);
	sqlite3_close(db);
	/* the reads come from a DataLoader worker (child process) */
	db = db_new();
	sqlite3_exec(db, "INSERT INTO processes (node, pid, ppid, comm) VALUES ('n1', 100, 1, 'python3'), "
		     "('n1', 150, 100, 'pt_data_worker'), ('n1', 160, 1, 'unrelated')", NULL, NULL, NULL);
	loop(db, 100, 200, 30, 45, 5);
	for (int i = 30; i < 45; i++)
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + 500 * US, 150, 150, 5, 1, 8 * MS, 1 << 20, 0);
	run(db, NULL);
	k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "io") == 0, "io: reads of a child process (DataLoader worker) count (%s)", k);
	free(k);
	sqlite3_close(db);
	db = db_new();
	sqlite3_exec(db, "INSERT INTO processes (node, pid, ppid, comm) VALUES ('n1', 160, 1, 'unrelated')", NULL, NULL, NULL);
	loop(db, 100, 200, 30, 45, 5);
	for (int i = 30; i < 45; i++)
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + 500 * US, 160, 160, 5, 1, 8 * MS, 1 << 20, 0);
	run(db, NULL);
	k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "tail") == 0, "io: reads of an unrelated process are not blamed (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_severity_order(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 31337, "logrotate");
	loop(db, 100, 400, 100, 140, 5);      /* 40 slow syncs, preempted: big */
	for (int i = 100; i < 140; i++)
		off(db, "n1", 100, 101, T0 + (int64_t)i * 15 * MS + MS, 8 * MS, 1, 31337, "logrotate");
	for (int i = 0; i < 400; i++) {       /* launches: 2 slow, unexplained: small */
		int64_t d = (i == 300 || i == 350 || i == 360) ? 200 * US : 10 * US;
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + 11 * MS, 100, 101, 1, 3, d, 0, 0);
	}
	run(db, NULL);
	char *r = report(db);
	char *h = r ? strstr(r, "[HIGH]") : NULL, *l = r ? strstr(r, "[LOW]") : NULL;
	T_CHECK(h && l && h < l, "severity ordering: HIGH printed before LOW");
	T_CHECK(r && strstr(r, "INCIDENT REPORT — 2 causal chain(s) found (1 HIGH, 1 LOW)"), "severity: header counts, zero omitted");
	free(r);
	/* determinism: a second run gives byte-identical rows */
	json_object *a = ingero_engine_report_json(db);
	char *sa = strdup(json_object_to_json_string(a));
	run(db, NULL);
	json_object *b = ingero_engine_report_json(db);
	T_CHECK(strcmp(sa, json_object_to_json_string(b)) == 0, "determinism: two runs give identical chains");
	free(sa);
	json_object_put(a);
	json_object_put(b);
	sqlite3_close(db);
}

static void t_cold(void)
{
	sqlite3 *db = db_new();
	int64_t first[] = { 340 * MS, 210 * MS, 150 * MS };
	for (int i = 0; i < 100; i++)
		ev(db, "n1", T0 + (int64_t)i * 400 * MS, 7, 7, 1, 1, i < 3 ? first[i] : 50 * US + i * 100, 4096, 0);
	run(db, NULL);
	char *k = qstr(db, "SELECT kind || '|' || slow_calls FROM causal_chains WHERE cuda_op = 'cudaMalloc'");
	T_CHECK(strcmp(k, "cold_start|3") == 0, "cold start: first 3 mallocs (%s)", k);
	free(k);
	char *r = report(db);
	T_CHECK(r && strstr(r, "warm-up"), "cold start: warm-up fix");
	free(r);
	sqlite3_close(db);
}

static void t_periodic(void)
{
	sqlite3 *db = db_new();
	/* iteration = launch + sync (1 ms); every 200 iterations 2 slow mallocs */
	int64_t ts = T0;
	for (int it = 0; it < 1000; it++) {
		ev(db, "n1", ts, 9, 9, 1, 3, 10 * US, 0, 0);
		ev(db, "n1", ts + 20 * US, 9, 9, 1, 5, 900 * US, 0, 0);
		ev(db, "n1", ts + 950 * US, 9, 9, 1, 1, (it % 200 == 150 ? 3 * MS : 50 * US + (it % 5) * US), 4096, 0);
		ev(db, "n1", ts + 980 * US, 9, 9, 1, 2, 40 * US, 0, 0);
		ts += it % 200 == 150 ? 5 * MS : 2 * MS;
	}
	run(db, NULL);
	char *k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaMalloc'");
	T_CHECK(strcmp(k, "periodic") == 0, "periodic: malloc spikes found (%s)", k);
	free(k);
	char *s = qstr(db, "SELECT summary FROM causal_chains WHERE cuda_op = 'cudaMalloc'");
	T_CHECK(strstr(s, "every ~200 iterations") != NULL, "periodic: period ~200 iterations (%s)", s);
	free(s);
	char *r = report(db);
	T_CHECK(r && strstr(r, "expandable_segments:True") && strstr(r, "empty_cache"), "periodic: allocator fixes");
	free(r);
	sqlite3_close(db);
}

static void t_memcpy(void)
{
	sqlite3 *db = db_new();
	int64_t ts = T0;
	for (int i = 0; i < 100; i++) { /* 3.8 ms of memcpy per 10 ms */
		ev(db, "n1", ts, 5, 5, 1, 4, 3800 * US, 1 << 20, 1);
		ev(db, "n1", ts + 4 * MS, 5, 5, 1, 3, 10 * US, 0, 0);
		ts += 10 * MS;
	}
	run(db, NULL);
	char *s = qstr(db, "SELECT severity || '|' || summary FROM causal_chains WHERE kind = 'memcpy_bound'");
	T_CHECK(strstr(s, "MEDIUM|cudaMemcpy takes 38% of wall time") == s, "memcpy-bound: 38%% of wall time (%s)", s);
	free(s);
	char *r = report(db);
	T_CHECK(r && strstr(r, "pinned") && strstr(r, "cudaMemcpyAsync"), "memcpy-bound: pinned + async fix");
	free(r);
	sqlite3_close(db);
	db = db_new();
	ts = T0;
	for (int i = 0; i < 100; i++) {
		ev(db, "n1", ts, 5, 5, 1, 4, 500 * US, 1 << 20, 1);
		ts += 10 * MS;
	}
	run(db, NULL);
	T_CHECK(qint(db, "SELECT count(*) FROM causal_chains") == 0, "memcpy 5%% of wall time: no chain");
	sqlite3_close(db);
}

static void t_contention(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 10, "train");
	proc(db, "n1", 20, "stealer");
	/* pid 20 runs a 5 ms GPU burst every 100 ms; pid 10's launches inside it are slow */
	for (int i = 0; i < 2000; i++) {
		int64_t ts = T0 + (int64_t)i * 1 * MS;
		int in = (i % 100) < 5;
		ev(db, "n1", ts, 10, 10, 1, 3, in ? 800 * US : 14 * US + (i % 3) * US, 0, 0);
	}
	for (int k = 0; k < 20; k++)
		ev(db, "n1", T0 + (int64_t)k * 100 * MS, 20, 20, 1, 5, 5 * MS, 0, 0);
	for (int k = 0; k < 200; k++)
		ev(db, "n1", T0 + (int64_t)k * 10 * MS + 6 * MS, 20, 20, 1, 3, 10 * US, 0, 0);
	run(db, NULL);
	free(report(db));
	char *s = qstr(db, "SELECT kind || '|' || culprit_pid || '|' || summary FROM causal_chains WHERE cuda_op = 'cudaLaunchKernel' AND pid = 10");
	T_CHECK(strncmp(s, "gpu_contention|20|", 18) == 0 && strstr(s, "train (pid 10)") && strstr(s, "stealer (pid 20)"),
		"gpu contention: names both processes (%s)", s);
	free(s);
	sqlite3_close(db);
}

static void t_straggler(void)
{
	sqlite3 *db = db_new();
	const char *nodes[] = { "node-0", "node-1", "node-2", "node-3" };
	for (int sq = 1; sq <= 20; sq++)
		for (int r = 0; r < 4; r++) {
			int64_t st = T0 + (int64_t)sq * 100 * MS + r * 100 * US + (r == 2 ? 30 * MS : 0);
			int64_t end = T0 + (int64_t)sq * 100 * MS + 32 * MS;
			char *sql = sqlite3_mprintf("INSERT INTO nccl_collectives (node, pid, tid, start, duration, op, comm_hash, seq, rank, nranks) "
						    "VALUES (%Q, %d, %d, %lld, %lld, 3, 4242, %d, %d, 4)", nodes[r], 1000 + r, 1000 + r,
						    (long long)st, (long long)(end - st), sq, r);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
			sqlite3_free(sql);
			ev(db, nodes[r], st, 1000 + r, 1000 + r, 1, 3, 10 * US, 0, 0);
		}
	run(db, NULL);
	char *s = qstr(db, "SELECT id || '|' || summary FROM causal_chains WHERE kind = 'straggler'");
	T_CHECK(strstr(s, "node-2:straggler-AllReduce-1|") == s && strstr(s, "node-2 (rank 2)"), "straggler: names node-2 (%s)", s);
	free(s);
	sqlite3_close(db);
}

static void t_cpu_contention(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 4242, "python3");
	/* 10 s of 34 ms syncs; from 2 s to 8 s each has 6 x 3 ms preemptions by
	 * one of 8 stress-ng-cpu workers (not slow by K x p50: all calls alike) */
	int64_t ts = T0;
	for (int i = 0; i < 290; i++) {
		int hot = ts >= T0 + 2000 * MS && ts < T0 + 8000 * MS;
		ev(db, "n1", ts, 4242, 4242, 1, 5, hot ? 34 * MS : 16 * MS, 0, 0);
		for (int k = 0; hot && k < 6; k++)
			off(db, "n1", 4242, 4242, ts + 1 * MS + k * 5 * MS, 3 * MS, 1, 6101 + (i + k) % 8, "stress-ng-cpu");
		if (!hot && i % 50 == 7) /* sporadic kworker */
			off(db, "n1", 4242, 4242, ts + 2 * MS, 5 * MS, 1, 87, "kworker/3:1");
		ts += hot ? 35 * MS : 17 * MS;
	}
	run(db, NULL);
	free(report(db));
	char *s = qstr(db, "SELECT severity || '|' || culprit_comm || '|' || summary FROM causal_chains WHERE kind = 'cpu_contention'");
	T_CHECK(strncmp(s, "HIGH|stress-ng-cpu|", 19) == 0 && strstr(s, "8 processes"), "cpu contention: stress-ng-cpu, 8 processes, HIGH (%s)", s);
	free(s);
	int64_t w0 = qint(db, "SELECT window_start - 1700000000000000000 FROM causal_chains WHERE kind = 'cpu_contention'");
	int64_t w1 = qint(db, "SELECT window_end - 1700000000000000000 FROM causal_chains WHERE kind = 'cpu_contention'");
	T_CHECK(w0 >= 1000 * MS && w0 <= 3000 * MS && w1 >= 7000 * MS && w1 <= 9000 * MS,
		"cpu contention: window ~2 s .. 8 s (%" PRId64 " .. %" PRId64 ")", w0, w1);
	T_CHECK(qint(db, "SELECT count(*) FROM causal_chains WHERE culprit_comm LIKE 'kworker%' AND severity != 'LOW'") == 0,
		"cpu contention: sporadic kworker not above LOW");
	sqlite3_close(db);
}

static void t_local_intensity(void)
{
	/* 10 minutes of 16 ms syncs every 100 ms; for 6 s every sync takes 160 ms
	 * because logrotate preempts it: 1.4% of the recording, but nearly all of
	 * its own window => HIGH */
	sqlite3 *db = db_new();
	proc(db, "n1", 31337, "logrotate");
	for (int i = 0; i < 6000; i++) {
		int64_t ts = T0 + (int64_t)i * 100 * MS;
		int hot = i >= 3000 && i < 3060;
		ev(db, "n1", ts, 100, 101, 1, 5, hot ? 160 * MS : 16 * MS + (i % 5) * 100 * US, 0, 0);
		if (hot)
			off(db, "n1", 100, 101, ts + 2 * MS, 140 * MS, 1, 31337, "logrotate");
	}
	run(db, NULL);
	char *k = qstr(db, "SELECT severity || '|' || kind FROM causal_chains ORDER BY impact_ns DESC LIMIT 1");
	double sh = 0;
	char *shs = qstr(db, "SELECT impact_share FROM causal_chains ORDER BY impact_ns DESC LIMIT 1");
	sh = atof(shs);
	T_CHECK(strcmp(k, "HIGH|preemption") == 0 && sh < 0.05, "intense incident in a long recording is HIGH (%s, share %.3f)", k, sh);
	free(k);
	free(shs);
	sqlite3_close(db);
}

static void t_drop(void)
{
	/* 30 s at 100 launches/s; from 10 s to 15 s only 20/s while the thread
	 * sleeps (blocked, waiting for data) 40 ms between launches */
	sqlite3 *db = db_new();
	int64_t ts = T0;
	while (ts < T0 + 30000 * MS) {
		int slow = ts >= T0 + 10000 * MS && ts < T0 + 15000 * MS;
		ev(db, "n1", ts, 7, 7, 1, 3, 10 * US, 0, 0);
		if (slow)
			off(db, "n1", 7, 7, ts + 5 * MS, 40 * MS, 0, -1, NULL);
		ts += slow ? 50 * MS : 10 * MS;
	}
	run(db, NULL);
	free(report(db));
	char *k = qstr(db, "SELECT kind || '|' || summary FROM causal_chains WHERE kind = 'throughput_drop'");
	T_CHECK(strstr(k, "throughput_drop|cudaLaunchKernel throughput dropped 80% for ") == k && strstr(k, "thread blocked"),
		"throughput drop: 80%% while the thread is blocked (%s)", k);
	free(k);
	char *r = report(db);
	T_CHECK(r && strstr(r, "DataLoader"), "throughput drop: data-loading fix");
	free(r);
	sqlite3_close(db);
}

static void t_recurring(void)
{
	/* logrotate preempts 5 syncs in a row every 10 s (6 times) */
	sqlite3 *db = db_new();
	proc(db, "n1", 31337, "logrotate");
	for (int i = 0; i < 3000; i++) {
		int64_t ts = T0 + (int64_t)i * 20 * MS;
		int hot = i % 500 >= 100 && i % 500 < 105;
		ev(db, "n1", ts, 100, 101, 1, 5, hot ? 15 * MS : 2 * MS + (i % 3) * 10 * US, 0, 0);
		if (hot)
			off(db, "n1", 100, 101, ts + 1 * MS, 12 * MS, 1, 31337, "logrotate");
	}
	run(db, NULL);
	char *k = qstr(db, "SELECT kind || '|' || root_cause FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strncmp(k, "preemption|", 11) == 0 && strstr(k, "recurs every ~10.0s (6 incidents)"),
		"recurring preemption: period of the incidents (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_host_state(void)
{
	/* GPU throttling around the slow calls */
	sqlite3 *db = db_new();
	loop(db, 100, 200, 60, 80, 5);
	for (int i = 0; i < 30; i++) {
		int64_t ts = T0 + (int64_t)i * 100 * MS;
		char *sql = sqlite3_mprintf("INSERT INTO gpu_snapshots (node, timestamp, gpu, throttle_reasons, sm_clock_mhz) "
					    "VALUES ('n1', %lld, 0, %d, %d)", (long long)ts,
					    ts >= T0 + 60 * 15 * MS && ts < T0 + 80 * 15 * MS ? 0x40 : 0x1, 1400);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	run(db, NULL);
	char *k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaStreamSync'");
	T_CHECK(strcmp(k, "throttle") == 0, "throttle: HW thermal slowdown during the slow calls (%s)", k);
	free(k);
	sqlite3_close(db);
	/* memory pressure (swap growing) from the system snapshots */
	db = db_new();
	loop(db, 100, 200, 60, 80, 4);
	for (int i = 0; i < 30; i++) {
		int64_t ts = T0 + (int64_t)i * 100 * MS;
		int hot = ts >= T0 + 60 * 15 * MS && ts < T0 + 80 * 15 * MS;
		char *sql = sqlite3_mprintf("INSERT INTO system_snapshots (node, timestamp, cpu_pct, mem_pct, mem_avail, swap_mb, load_avg) "
					    "VALUES ('n1', %lld, 50, %f, 100, %d, 1)", (long long)ts, hot ? 98.5 : 60.0, hot ? 500 + i : 0);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	run(db, NULL);
	k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaMemcpy'");
	T_CHECK(strcmp(k, "memory") == 0, "memory: pressure and swap during the slow copies (%s)", k);
	free(k);
	sqlite3_close(db);
	/* page-allocation bursts of the process inside the slow calls */
	db = db_new();
	loop(db, 100, 200, 60, 80, 4);
	for (int i = 60; i < 80; i++)
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + MS, 100, 101, 3, 3, 5 * MS, 512LL << 20, 1000);
	run(db, NULL);
	k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaMemcpy'");
	T_CHECK(strcmp(k, "memory") == 0, "memory: page-allocation bursts inside the slow copies (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_misc_rules(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 77, "python3");
	ev(db, "n1", T0 + 5 * MS, 77, 77, 3, 4, 0, 77, 123456);
	/* leak: 40 x 64 MiB allocations all through the run, one free */
	for (int i = 0; i < 40; i++)
		ev(db, "n1", T0 + (int64_t)i * 100 * MS, 77, 77, 1, 1, 100 * US, 64LL << 20, 0x7000 + i);
	ev(db, "n1", T0 + 3000 * MS, 77, 77, 1, 2, 100 * US, 0x7000, 0);
	/* CUDA graph captured and instantiated 5 times on one stream */
	for (int i = 0; i < 5; i++) {
		char *sql = sqlite3_mprintf("INSERT INTO graph_events (node, pid, tid, start, duration, op, stream, graph, exec) "
					    "VALUES ('n1', 77, 77, %lld, %lld, 1, 9, %d, 0), ('n1', 77, 77, %lld, %lld, 3, 9, %d, %d)",
					    (long long)(T0 + i * 500 * MS), (long long)(20 * MS), i,
					    (long long)(T0 + i * 500 * MS + 30 * MS), (long long)(40 * MS), i, 100 + i);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	run(db, NULL);
	free(report(db));
	T_CHECK(qint(db, "SELECT count(*) FROM causal_chains WHERE kind = 'oom' AND severity = 'HIGH' AND culprit_pid = 77") == 1,
		"oom: HIGH chain for the victim");
	T_CHECK(qint(db, "SELECT count(*) FROM causal_chains WHERE kind = 'leak'") == 1, "leak: alloc/free imbalance");
	char *k = qstr(db, "SELECT summary FROM causal_chains WHERE kind = 'graph_recapture'");
	T_CHECK(strstr(k, "re-captured 5 times") != NULL, "graph re-capture: 5 captures (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_odd(void)
{
	/* odd values must not crash or overflow (run under UBSan) */
	sqlite3 *db = db_new();
	for (int i = 0; i < 30; i++) {
		ev(db, "n1", INT64_MAX - 5 - i, 1, 1, 1, 5, INT64_MAX - i, 0, 0);
		ev(db, "n1", -(int64_t)i * MS, 1, 1, 1, 5, -5, 0, 0);
		ev(db, "", T0 + i, 2, 2, 1, 3, i % 3 ? 1 : 1000000000000LL, 0, 0);
		ev(db, "n1", T0 + i * MS, 1, 1, 5, 1, INT64_MAX, -1, 0);
		ev(db, "n1", T0 + i * MS, 1, 1, 3, 3, INT64_MAX, INT64_MAX, 0);
		off(db, "n1", 1, 1, INT64_MAX - 10, INT64_MAX, 1, 5, "x");
		off(db, "n1", 2, 2, T0, INT64_MAX / 2, 0, -1, NULL);
	}
	int n = run(db, NULL);
	T_CHECK(n >= 0, "odd values: engine runs (%d chains)", n);
	free(report(db));
	json_object_put(ingero_engine_report_json(db));
	sqlite3_close(db);
}

static void t_percentiles(void)
{
	/* 1..100 ms in a scrambled order plus 3 x 1 s: nearest rank over 103 calls
	 * gives p50 = 52 ms (index 51), p99 = 1 s (index 101) */
	sqlite3 *db = db_new();
	for (int i = 0; i < 100; i++) {
		int v = (i * 37) % 100 + 1;
		ev(db, "n1", T0 + (int64_t)i * 2000 * MS, 1, 1, 1, 4, v * MS, 0, 0);
	}
	for (int i = 0; i < 3; i++)
		ev(db, "n1", T0 + (int64_t)(100 + i) * 2000 * MS, 1, 1, 1, 4, 1000 * MS, 0, 0);
	run(db, NULL);
	int64_t p50 = qint(db, "SELECT cuda_p50_us FROM causal_chains WHERE cuda_op = 'cudaMemcpy' AND kind = 'tail'");
	int64_t p99 = qint(db, "SELECT cuda_p99_us FROM causal_chains WHERE cuda_op = 'cudaMemcpy' AND kind = 'tail'");
	T_CHECK(p50 == 52000 && p99 == 1000000, "exact nearest-rank percentiles (p50 %" PRId64 " us, p99 %" PRId64 " us)", p50, p99);
	sqlite3_close(db);
}

static void t_legacy(void)
{
	/* original-tool DB: no offcpu rows, sched_switch events (state unknown) */
	sqlite3 *db = db_new();
	loop(db, 100, 200, 100, 120, 7);
	for (int i = 100; i < 120; i++)
		ev(db, "n1", T0 + (int64_t)i * 15 * MS + MS, 100, 101, 3, 1, 7 * MS, 0, 100);
	run(db, NULL);
	char *k = qstr(db, "SELECT kind FROM causal_chains WHERE cuda_op = 'cudaMemcpyAsync'");
	T_CHECK(strcmp(k, "offcpu") == 0, "legacy: off-CPU from sched_switch events, state unknown (%s)", k);
	free(k);
	sqlite3_close(db);
}

static void t_filters(void)
{
	sqlite3 *db = db_new();
	proc(db, "n1", 31337, "logrotate");
	loop(db, 100, 200, 100, 120, 5);
	for (int i = 100; i < 120; i++)
		off(db, "n1", 100, 101, T0 + (int64_t)i * 15 * MS + MS, 8 * MS, 1, 31337, "logrotate");
	struct ingero_engine_opts o = { .pid = 555 };
	T_CHECK(run(db, &o) == 0, "pid filter: other pid gives no chain");
	o.pid = -1;
	o.op = "cudaLaunchKernel";
	T_CHECK(run(db, &o) == 0, "op filter: other op gives no chain");
	o.op = NULL;
	o.until_ns = T0 + 50 * 15 * MS;
	T_CHECK(run(db, &o) == 0, "time filter: window before the incident gives no chain");
	o.until_ns = 0;
	o.node = "n1";
	T_CHECK(run(db, &o) >= 1, "node filter: same node finds the chain");
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	char path[4096];
	const char *root = getenv("ROOT");
	if (argc > 1)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		snprintf(path, sizeof(path), "%s/analyze/schema.sql", root ? root : ".");
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("SKIP: unit-engine: cannot read %s\n", path);
		return 0;
	}
	size_t cap = 1 << 16, n = 0;
	schema = malloc(cap);
	size_t r;
	while ((r = fread(schema + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 >= cap)
			schema = realloc(schema, cap *= 2);
	}
	schema[n] = 0;
	fclose(f);
	t_empty();
	t_preempt();
	t_nonoverlap();
	t_blocked();
	t_io();
	t_severity_order();
	t_cold();
	t_periodic();
	t_memcpy();
	t_contention();
	t_straggler();
	t_cpu_contention();
	t_local_intensity();
	t_drop();
	t_recurring();
	t_host_state();
	t_misc_rules();
	t_odd();
	t_percentiles();
	t_legacy();
	t_filters();
	free(schema);
	T_DONE();
}
