/* engine.h - the causal engine of ingero-analyze (analyze/engine*.c).
 * Reads an analysis database (analyze/schema.sql), writes causal_chains,
 * prints the incident report.  Rules, thresholds, the evidence JSON and the
 * severity formula are documented in docs/engine.md.
 *
 * Determinism: same database and options => byte-identical causal_chains rows
 * and reports (every query has an ORDER BY with a total tie-break, no wall
 * clock is read).  Memory: 8 bytes per GPU call (exact percentiles) plus
 * bounded evidence tables (see ENGINE_MAX_* in docs/engine.md). */
#ifndef INGERO_ENGINE_H
#define INGERO_ENGINE_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "ingero.h"

struct json_object;

struct ingero_engine_opts {
	const char *node;   /* only this node (NULL = all) */
	int64_t pid;        /* only this pid (-1 = all) */
	const char *op;     /* only this op name (NULL = all) */
	int64_t since_ns;   /* unix ns window [since, until); 0 = open */
	int64_t until_ns;
	/* called every 64 Ki rows of the scan of events (may be NULL) */
	void (*progress)(void *ctx, uint64_t rows);
	void *progress_ctx;
	/* steps (docs/engine.md "Steps"): boundary op name (NULL = the most
	 * regular synchronising op per thread); inference phases and outliers */
	const char *step_op;
	int inference;
	/* out, may be NULL: per-(source, op) statistics of the durations pass 1
	 * read, for the report's op table without a scan of its own (see
	 * struct ingero_op_stat); set only when they are that table's numbers */
	struct ingero_op_stat **op_stats;
	size_t *nop_stats;
};

/* One op's calls as the report's op table counts them (analyze/stats.c):
 * every event of the node/time window, no --pid/--op filter; sum wraps as
 * int64, exact nearest-rank percentiles (index ceil(p*n)-1).  The engine
 * fills these only when no duration had to be clamped (negative or huge
 * values of damaged inputs), so they equal the table's own scan; *op_stats
 * is then malloc'ed (sorted by source, op; caller frees), else left NULL. */
struct ingero_op_stat { int source, op; uint64_t n; int64_t sum, max, p50, p95, p99; };

/* Run the engine; replaces the rows of causal_chains.  Returns the number of
 * chains found, or -1 with a one-line message in err.  o may be NULL (all).
 * Creates the indexes it needs IF NOT EXISTS and writes a few
 * schema_info keys ("engine.*": events analysed, span) for the report. */
int ingero_engine_run(sqlite3 *db, const struct ingero_engine_opts *o, char *err, size_t errlen);
/* Incident report from causal_chains, deterministic order (severity, impact, id).
 * Returns 0, or -1 when the database cannot be read. */
int ingero_engine_report_text(sqlite3 *db, FILE *out);
/* Same as a JSON array of chain objects (caller owns the reference; NULL on
 * error).  timeline, recommendations and evidence are embedded as JSON. */
struct json_object *ingero_engine_report_json(sqlite3 *db);
/* "  Fix: a; b; c" and a blank line, from a JSON array of strings (the
 * recommendations column of causal_chains and step_findings). */
void ingero_print_fixes(FILE *out, const char *recommendations);
/* The rows of sql as JSON objects (column names as keys): json_cols hold
 * JSON text (parsed; kept as a string if it does not parse), ts_cols hold
 * absolute unix ns, written as decimal strings (docs/cli.md "JSON").  NULL
 * on an SQLite error (sqlite3_errmsg says why). */
struct json_object *ingero_rows_json(sqlite3 *db, const char *sql, const char *const *json_cols,
				     const char *const *ts_cols);

/* Step parts of the report (steps_report.c), from the steps, step_baselines
 * and step_findings tables; nothing when the database has none. */
int64_t ingero_steps_lost(sqlite3 *db);            /* lost ns of HIGH/MEDIUM step findings */
int ingero_steps_report_text(sqlite3 *db, FILE *out);
int ingero_steps_table(sqlite3 *db, FILE *out);    /* --steps */
/* adds steps_summary, step_findings, idle, stalls, outliers, outlier_findings to root */
int ingero_steps_json(sqlite3 *db, struct json_object *root);

/* Tunables (documented in docs/engine.md). */
#define ENGINE_K_SLOW 3.0          /* slow = duration > K x p50 of own baseline */
#define ENGINE_MIN_CALLS 20        /* baseline needs this many calls */
#define ENGINE_MAX_SLOW 200000     /* slow calls examined (largest first) */
#define ENGINE_MAX_EVT 2000000     /* IO / page-alloc / legacy sched rows kept */
#define STEP_WARMUP 30             /* steps excluded from baselines (at most n/5) */
#define STEP_K_SLOW 2.0            /* slow step = duration > K x p50 of its stream/phase */
#define STEP_SLOW_MIN_NS 1000000LL /* ... and at least 1 ms above it */
#define STALL_MIN_NS 200000000LL   /* CUDA-less gaps kept as stall candidates */
#define STALL_K 10.0               /* stall = gap > K x step p50 and >= STALL_ABS_NS */
#define STALL_ABS_NS 1000000000LL
#define IDLE_MIN_SHARE 0.25        /* gpu_idle finding: idle >= 25 % of the stepped time */
#define INFER_PREFILL_LAUNCHES 200 /* --inference phase rules, see docs/engine.md */
#define INFER_DECODE_LAUNCHES 50
#define INFER_DECODE_BYTES (1LL << 20)
#define INFER_MIXED_BYTES (10LL << 20)
#define CHAIN_MIN_SHARE 0.005      /* chains below 0.5 % of wall time: one summary line */

/* op name of the table, or "op(S:O)" for codes it does not know */
static inline const char *eng_op_name(int src, int op, char *buf, size_t len)
{
	const char *n = ingero_op_name(src, op);
	if (n)
		return n;
	snprintf(buf, len, "op(%d:%d)", src, op);
	return buf;
}

#endif
