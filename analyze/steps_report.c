/* steps_report.c - the step parts of the report from the steps,
 * step_baselines and step_findings tables: the per-stream step table
 * (--steps), the step findings section of the incident report, the JSON
 * parts (steps_summary, idle, stalls, outliers).  Databases without these
 * tables (older analyses) print nothing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "common.h"
#include "db.h"
#include "engine.h"

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

static int has_steps(sqlite3 *db)
{
	return ig_db_has_table(db, "main", "steps") && ig_db_has_table(db, "main", "step_findings");
}

int64_t ingero_steps_lost(sqlite3 *db)
{
	if (!has_steps(db))
		return 0;
	return ig_db_int(db, "SELECT coalesce(sum(lost_ns), 0) FROM step_findings WHERE severity IN ('HIGH','MEDIUM')", 0);
}

#define FORDER " ORDER BY CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 ELSE 2 END, lost_ns DESC, id"

int ingero_steps_report_text(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *st;
	if (!has_steps(db))
		return 0;
	int64_t n = ig_db_int(db, "SELECT count(*) FROM step_findings", 0);
	if (!n)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT id, severity, summary, root_cause, recommendations, lost_ns, impact_share "
			       "FROM step_findings" FORDER, -1, &st, NULL) != SQLITE_OK)
		return -1;
	char b[32];
	int64_t small = 0, small_ns = 0;
	fprintf(out, "STEP AND IDLE FINDINGS — %" PRId64 " (steps: ingero-analyze --steps)\n\n", n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		double share = sqlite3_column_double(st, 6);
		if (!strcmp(col(st, 1), "LOW") && share < CHAIN_MIN_SHARE) {
			small++;
			small_ns += sqlite3_column_int64(st, 5);
			continue;
		}
		fprintf(out, "[%s] %s\n", col(st, 1), col(st, 2));
		fprintf(out, "  Cause: %s\n", col(st, 3));
		fprintf(out, "  Impact: %s lost (%.1f%% of wall time), finding %s\n",
			ig_fmt_duration(sqlite3_column_int64(st, 5), b, sizeof(b)), 100.0 * share, col(st, 0));
		ingero_print_fixes(out, col(st, 4));
	}
	sqlite3_finalize(st);
	if (small)
		fprintf(out, "  (%" PRId64 " more LOW step finding(s) below %.1f%% of wall time each, %s in all: "
			"SELECT * FROM step_findings)\n\n", small, 100.0 * CHAIN_MIN_SHARE,
			ig_fmt_duration(small_ns, b, sizeof(b)));
	return 0;
}

/* per (node, pid, stream): steps, boundary, baseline, breakdown shares */
#define TABLE_SQL \
	"SELECT node, pid, stream, phase, count(*), min(boundary_op), sum(warmup), sum(slow), " \
	"sum(outlier != ''), sum(duration), sum(gpu_idle_ns), sum(launch_ns), sum(memcpy_ns), sum(sync_ns), " \
	"sum(alloc_ns + other_cuda_ns + nccl_ns), sum(host_ns), sum(preempted_ns), sum(blocked_ns), " \
	"sum(io_ns + mem_ns), " \
	"(SELECT p50 FROM step_baselines b WHERE b.node = s.node AND b.pid = s.pid AND b.stream = s.stream AND b.phase = s.phase), " \
	"(SELECT p95 FROM step_baselines b WHERE b.node = s.node AND b.pid = s.pid AND b.stream = s.stream AND b.phase = s.phase), " \
	"min(tid) FROM steps s GROUP BY node, pid, stream, phase ORDER BY node, pid, stream, " \
	"CASE phase WHEN 'step' THEN 0 WHEN 'prefill' THEN 1 WHEN 'decode' THEN 2 WHEN 'mixed' THEN 3 ELSE 4 END"

int ingero_steps_table(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *st;
	if (!has_steps(db)) {
		fprintf(out, "STEPS — this database has no steps table (analysed by an older ingero-analyze)\n");
		return 0;
	}
	if (sqlite3_prepare_v2(db, TABLE_SQL, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int any = 0;
	char b1[32], b2[32], sid[40];
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!any) {
			fprintf(out, "STEPS per stream (breakdown: share of step time)\n");
			fprintf(out, "%-10s %7s %-14s %-8s %6s %9s %9s %5s %5s %5s | %5s %5s %5s %5s %5s %5s %5s %5s\n",
				"pid", "tid", "stream", "phase", "steps", "p50", "p95", "slow", "outl", "idle",
				"launch", "copy", "sync", "othr", "host", "prmpt", "block", "io");
		}
		any = 1;
		double d = (double)sqlite3_column_int64(st, 9);
		if (d <= 0)
			d = 1;
		int64_t strm = sqlite3_column_int64(st, 2);
		if (strm)
			snprintf(sid, sizeof(sid), "0x%" PRIx64, (uint64_t)strm);
		else
			snprintf(sid, sizeof(sid), "default");
		char pid[64];
		if (col(st, 0)[0])
			snprintf(pid, sizeof(pid), "%s:%" PRId64, col(st, 0), (int64_t)sqlite3_column_int64(st, 1));
		else
			snprintf(pid, sizeof(pid), "%" PRId64, (int64_t)sqlite3_column_int64(st, 1));
		fprintf(out, "%-10s %7" PRId64 " %-14s %-8s %6" PRId64 " %9s %9s %5" PRId64 " %5" PRId64 " %4.0f%% |",
			pid, (int64_t)sqlite3_column_int64(st, 21), sid, col(st, 3), (int64_t)sqlite3_column_int64(st, 4),
			ig_fmt_duration(sqlite3_column_int64(st, 19), b1, sizeof(b1)),
			ig_fmt_duration(sqlite3_column_int64(st, 20), b2, sizeof(b2)), (int64_t)sqlite3_column_int64(st, 7),
			(int64_t)sqlite3_column_int64(st, 8), 100.0 * (double)sqlite3_column_int64(st, 10) / d);
		for (int c = 11; c <= 18; c++)
			fprintf(out, " %4.0f%%", 100.0 * (double)sqlite3_column_int64(st, c) / d);
		fprintf(out, "   (boundary %s)\n", col(st, 5));
	}
	sqlite3_finalize(st);
	if (!any)
		fprintf(out, "STEPS — none: no thread has %d or more synchronising calls (cudaStreamSynchronize, "
			"cudaDeviceSynchronize, cuCtxSynchronize, a D2H cudaMemcpy, an NCCL collective)\n", 3);
	fputc('\n', out);
	return 0;
}

/* root[key] = the rows of sql; -1 on an SQLite error (the caller prints
 * sqlite3_errmsg) */
static int add_rows(sqlite3 *db, json_object *root, const char *key, const char *sql)
{
	static const char *const json_cols[] = { "recommendations", NULL };
	static const char *const ts_cols[] = { "start", NULL };
	json_object *rows = ingero_rows_json(db, sql, json_cols, ts_cols);
	if (!rows)
		return -1;
	json_object_object_add(root, key, rows);
	return 0;
}

#define FCOLS "SELECT id, kind, severity, node, pid, stream, step_id, start, duration, lost_ns, impact_share, " \
	"summary, root_cause, culprit_pid, culprit_comm, recommendations FROM step_findings "

int ingero_steps_json(sqlite3 *db, json_object *root)
{
	if (!has_steps(db))
		return 0;
	if (add_rows(db, root, "steps_summary",
		"SELECT s.node, s.pid, s.stream, s.phase, count(*) AS steps, min(boundary_op) AS boundary_op, "
		"sum(s.warmup) AS warmup, sum(slow) AS slow, sum(outlier != '') AS outliers, sum(duration) AS total_ns, "
		"sum(gpu_idle_ns) AS gpu_idle_ns, b.p50, b.p95, b.mean, sum(launch_ns) AS launch_ns, "
		"sum(memcpy_ns) AS memcpy_ns, sum(sync_ns) AS sync_ns, sum(alloc_ns) AS alloc_ns, "
		"sum(other_cuda_ns) AS other_cuda_ns, sum(nccl_ns) AS nccl_ns, sum(host_ns) AS host_ns, "
		"sum(preempted_ns) AS preempted_ns, sum(blocked_ns) AS blocked_ns, sum(io_ns) AS io_ns, "
		"sum(mem_ns) AS mem_ns FROM steps s LEFT JOIN step_baselines b ON b.node = s.node AND b.pid = s.pid "
		"AND b.stream = s.stream AND b.phase = s.phase GROUP BY s.node, s.pid, s.stream, s.phase "
		"ORDER BY s.node, s.pid, s.stream, s.phase") ||
	    add_rows(db, root, "step_findings", FCOLS "WHERE kind IN ('slow_step', 'throughput_drop')" FORDER) ||
	    add_rows(db, root, "idle", FCOLS "WHERE kind = 'gpu_idle'" FORDER) ||
	    add_rows(db, root, "stalls", FCOLS "WHERE kind = 'stall'" FORDER) ||
	    add_rows(db, root, "outliers",
		"SELECT id AS step_id, node, pid, tid, stream, step, phase, outlier, start, duration, launches, memcpy_bytes "
		"FROM steps WHERE outlier != '' ORDER BY node, pid, stream, start") ||
	    add_rows(db, root, "outlier_findings", FCOLS "WHERE kind = 'outlier'" FORDER))
		return -1;
	return 0;
}
