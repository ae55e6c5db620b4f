/* unit-steps.c - the engine's step pass on synthetic event streams:
 * boundary choice, segmentation, breakdown (sums to the duration, per
 * category), slow steps explained, GPU idle naming the waker, stalls,
 * row-order independence, --inference phases and outlier buckets.
 * The schema is read at run time from argv[1] or $ROOT/analyze/schema.sql. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include "../unit.h"
#include "../../analyze/engine.h"
#include "ingero.h"

#define MS 1000000LL
#define US 1000LL
#define T0 1700000000000000000LL
#define STREAM 0x7000

static char *schema;

struct row { int64_t ts, pid, tid; int src, op; int64_t dur, a0, a1, a2; };
static struct row rows[200000];
static size_t nrows;

static void ev(int64_t ts, int64_t pid, int64_t tid, int src, int op, int64_t dur, int64_t a0, int64_t a1, int64_t a2)
{
	if (nrows < sizeof(rows) / sizeof(rows[0]))
		rows[nrows++] = (struct row){ ts, pid, tid, src, op, dur, a0, a1, a2 };
}

static int cmp_start(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return (x->ts > y->ts) - (x->ts < y->ts);
}
static int cmp_end(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int64_t ex = x->ts + x->dur, ey = y->ts + y->dur;
	return (ex > ey) - (ex < ey);
}

/* a database from rows, in start (order 0) or end (order 1) order */
static sqlite3 *db_from(int order)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return NULL;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	qsort(rows, nrows, sizeof(rows[0]), order ? cmp_end : cmp_start);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO events (seq, node, timestamp, pid, tid, source, op, duration, arg0, arg1, arg2) "
			   "VALUES (?1,'',?2,?3,?4,?5,?6,?7,?8,?9,?10)", -1, &st, NULL);
	for (size_t i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (int64_t)i + 1);
		sqlite3_bind_int64(st, 2, r->ts);
		sqlite3_bind_int64(st, 3, r->pid);
		sqlite3_bind_int64(st, 4, r->tid);
		sqlite3_bind_int(st, 5, r->src);
		sqlite3_bind_int(st, 6, r->op);
		sqlite3_bind_int64(st, 7, r->dur);
		sqlite3_bind_int64(st, 8, r->a0);
		sqlite3_bind_int64(st, 9, r->a1);
		sqlite3_bind_int64(st, 10, r->a2);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "INSERT INTO processes (node, pid, ppid, comm) VALUES ('', 100, 1, 'python3'), "
		     "('', 201, 100, 'pt_data_worker'), ('', 202, 100, 'pt_data_worker'), ('', 999, 1, 'logrotate')",
		     NULL, NULL, NULL);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return db;
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

static int run(sqlite3 *db, const struct ingero_engine_opts *o)
{
	char err[256];
	int n = ingero_engine_run(db, o, err, sizeof(err));
	if (n < 0)
		printf("# engine error: %s\n", err);
	return n;
}

/* one training step of pid 100 / tid 100 at t: wait (blocked, woken by a
 * worker) `wait`, H2D copy 1 ms, 10 launches, sync `sync` on STREAM;
 * returns the end.  pre > 0: a preemption by logrotate inside the sync. */
static int64_t step(int64_t t, int64_t wait, int64_t sync, int64_t pre, int64_t waker)
{
	if (wait) {
		ev(t, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, wait, 1, 0, 0);
		ev(t + wait - 10 * US, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_WAKEUP, 0, waker, waker, 0);
		t += wait;
	}
	ev(t, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY, MS, 4 << 20, 1, 0);
	t += MS + 20 * US;
	for (int i = 0; i < 10; i++) {
		ev(t, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL, 10 * US, 0xabc, STREAM, 0);
		/* the driver call nested inside the runtime call */
		ev(t + 2 * US, 100, 100, INGERO_SRC_DRIVER, INGERO_DRV_LAUNCH_KERNEL, 6 * US, 0xabc, STREAM, 0);
		t += 30 * US;
	}
	ev(t, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, sync + pre, STREAM, 0, 0);
	if (pre)
		ev(t + MS, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, pre, 0, 999, 0);
	t += sync + pre;
	return t + 200 * US;   /* host time before the next step */
}

static void t_training(void)
{
	for (int order = 0; order < 2; order++) {
		nrows = 0;
		int64_t t = T0;
		for (int i = 0; i < 100; i++)
			t = step(t, 40 * MS, 10 * MS, i == 70 ? 120 * MS : 0, i & 1 ? 201 : 202);
		/* a D2H copy every 7 steps: less regular, must not be the boundary */
		sqlite3 *db = db_from(order);
		int n = run(db, NULL);
		T_CHECK(n >= 0, "steps[%d]: engine runs", order);
		T_CHECK(qint(db, "SELECT count(*) FROM steps") == 100, "steps[%d]: 100 steps (got %" PRId64 ")", order,
			qint(db, "SELECT count(*) FROM steps"));
		char *b = qstr(db, "SELECT group_concat(DISTINCT boundary_op) FROM steps");
		T_CHECK(!strcmp(b, "cudaStreamSync"), "steps[%d]: boundary is cudaStreamSync (%s)", order, b);
		free(b);
		T_CHECK(qint(db, "SELECT count(*) FROM steps WHERE launch_ns + memcpy_ns + sync_ns + alloc_ns + other_cuda_ns + "
			     "nccl_ns + host_ns + preempted_ns + blocked_ns + io_ns + mem_ns != duration") == 0,
			"steps[%d]: every breakdown sums to the duration", order);
		T_CHECK(qint(db, "SELECT count(*) FROM steps WHERE launches != 10 AND step > 0") == 0,
			"steps[%d]: 10 launches per step (nested driver calls not counted twice)", order);
		int64_t lns = qint(db, "SELECT launch_ns FROM steps WHERE step = 5");
		T_CHECK(lns == 100 * US, "steps[%d]: launch time = union of calls (%" PRId64 ")", order, lns);
		int64_t blk = qint(db, "SELECT blocked_ns FROM steps WHERE step = 5");
		T_CHECK(blk == 40 * MS, "steps[%d]: 40 ms blocked between calls (%" PRId64 ")", order, blk);
		T_CHECK(qint(db, "SELECT count(*) FROM steps WHERE step = 5 AND waker_pid IN (201, 202)") == 1,
			"steps[%d]: the waker is recorded", order);
		T_CHECK(qint(db, "SELECT slow FROM steps WHERE step = 70") == 1 &&
			qint(db, "SELECT count(*) FROM steps WHERE slow = 1") == 1, "steps[%d]: only step 70 is slow", order);
		T_CHECK(qint(db, "SELECT preempt_pid FROM steps WHERE step = 70") == 999, "steps[%d]: step 70 preempted by 999", order);
		char *r = qstr(db, "SELECT root_cause FROM step_findings WHERE kind = 'slow_step'");
		T_CHECK(strstr(r, "step 70:") && strstr(r, "sync waits") && strstr(r, "logrotate (pid 999)"),
			"steps[%d]: slow step explained by its sync wait and the preemptor: %s", order, r);
		free(r);
		/* GPU idle: ~41.2 of ~52.4 ms per step */
		int64_t pct = qint(db, "SELECT CAST(round(100.0 * sum(gpu_idle_ns) / sum(duration)) AS INTEGER) FROM steps WHERE step > 0");
		T_CHECK(pct >= 75 && pct <= 81, "steps[%d]: GPU idle ~78%% (%" PRId64 "%%)", order, pct);
		char *s = qstr(db, "SELECT summary || ' | ' || root_cause FROM step_findings WHERE kind = 'gpu_idle'");
		T_CHECK(strstr(s, "pt_data_worker (2 processes") && strstr(s, "forked by this process"),
			"steps[%d]: idle finding names the workers and their lineage: %s", order, s);
		free(s);
		T_CHECK(qint(db, "SELECT count(*) FROM step_baselines WHERE phase = 'step' AND p50 > 0 AND warmup = 20") == 1,
			"steps[%d]: a baseline with warm-up n/5", order);
		sqlite3_close(db);
	}
}

static void t_stall(void)
{
	nrows = 0;
	int64_t t = T0;
	for (int i = 0; i < 200; i++) {
		t = step(t, 0, 5 * MS, 0, 0);
		if (i == 120) {
			/* 11 s on the CPU without a CUDA call; one short preemption */
			ev(t + 3000 * MS, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, 2 * MS, 0, 999, 0);
			t += 11000 * MS;
		}
	}
	ev(T0 + 10 * MS, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, 1 * MS, 0, 999, 0);
	sqlite3 *db = db_from(1);
	run(db, NULL);
	T_CHECK(qint(db, "SELECT count(*) FROM step_findings WHERE kind = 'stall'") == 1, "stall: one stall finding");
	int64_t d = qint(db, "SELECT duration FROM step_findings WHERE kind = 'stall'");
	T_CHECK(d >= 10990 * MS && d <= 11010 * MS, "stall: ~11 s (%" PRId64 ")", d);
	char *s = qstr(db, "SELECT summary FROM step_findings WHERE kind = 'stall'");
	T_CHECK(strstr(s, "computing on the host"), "stall: says the thread computed on the host: %s", s);
	free(s);
	T_CHECK(qint(db, "SELECT count(*) FROM step_findings WHERE kind = 'slow_step'") == 0,
		"stall: the stalled step is not reported again as a slow step");
	sqlite3_close(db);
}

static void t_control(void)
{
	nrows = 0;
	int64_t t = T0;
	for (int i = 0; i < 300; i++)
		t = step(t, 0, 10 * MS + (i % 7) * 100 * US, 0, 0);
	sqlite3 *db = db_from(0);
	run(db, NULL);
	T_CHECK(qint(db, "SELECT count(*) FROM steps") == 300, "control: 300 steps");
	T_CHECK(qint(db, "SELECT count(*) FROM step_findings") == 0, "control: no step finding");
	sqlite3_close(db);
}

static void t_step_op(void)
{
	nrows = 0;
	int64_t t = T0;
	for (int i = 0; i < 60; i++) {
		t = step(t, 0, 10 * MS, 0, 0);
		if (i % 3 == 0) {
			ev(t, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_DEVICE_SYNC, MS, 0, 0, 0);
			t += 2 * MS;
		}
	}
	sqlite3 *db = db_from(1);
	struct ingero_engine_opts o = { .pid = -1, .step_op = "cudaDeviceSynchronize" };
	run(db, &o);
	T_CHECK(qint(db, "SELECT count(*) FROM steps") == 20, "--step-op: 20 steps at cudaDeviceSync (%" PRId64 ")",
		qint(db, "SELECT count(*) FROM steps"));
	o.step_op = "nosuchop";
	char err[256];
	T_CHECK(ingero_engine_run(db, &o, err, sizeof(err)) < 0 && strstr(err, "nosuchop"), "--step-op: unknown op refused");
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
		printf("SKIP: unit-steps: cannot read %s\n", path);
		return 0;
	}
	size_t cap = 1 << 16, n = 0, r;
	schema = malloc(cap);
	while ((r = fread(schema + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 >= cap)
			schema = realloc(schema, cap *= 2);
	}
	schema[n] = 0;
	fclose(f);
	t_training();
	t_stall();
	t_control();
	t_step_op();
	free(schema);
	T_DONE();
}
