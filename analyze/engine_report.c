/* engine_report.c - the incident report (text and JSON) from causal_chains.
 * Order: severity (HIGH, MEDIUM, LOW), impact descending, id. */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <json-c/json.h>
#include "common.h"
#include "engine.h"
#include "db.h"

#define ORDER_SQL " ORDER BY CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 ELSE 2 END, impact_ns DESC, id"

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

static int64_t info_int(sqlite3 *db, const char *key, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(db, "SELECT value FROM schema_info WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
		return dflt;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* the original tool's verdicts, grouped per op, against ours on the same op */
static void legacy_line(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *st, *q;
	if (sqlite3_prepare_v2(db, "SELECT cuda_op, count(*), CASE WHEN sum(severity = 'HIGH') THEN 'HIGH' WHEN "
			       "sum(severity = 'MEDIUM') THEN 'MEDIUM' ELSE 'LOW' END, min(summary) FROM legacy_chains "
			       "GROUP BY cuda_op ORDER BY cuda_op", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "SELECT id, severity, kind, slow_calls, root_cause FROM causal_chains WHERE cuda_op = ?1" ORDER_SQL,
			       -1, &q, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	int first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (first)
			fprintf(out, "ORIGINAL TOOL'S STORED CHAINS vs THIS ANALYSIS (per op)\n");
		first = 0;
		fprintf(out, "  %s: original [%s] %" PRId64 " chain(s), e.g. %s\n", col(st, 0), col(st, 2),
			(int64_t)sqlite3_column_int64(st, 1), col(st, 3));
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, col(st, 0), -1, SQLITE_TRANSIENT);
		int any = 0;
		while (sqlite3_step(q) == SQLITE_ROW) {
			fprintf(out, "    ours: [%s] %s: %s\n", col(q, 1), col(q, 0), col(q, 4));
			any = 1;
		}
		if (!any)
			fprintf(out, "    ours: no chain — no call exceeds %.0fx its own (node, pid, op) p50, "
				"or too few calls for a baseline\n", ENGINE_K_SLOW);
	}
	if (!first)
		fprintf(out, "  (the original counted sched_switch events anywhere in the trace; this analysis only\n"
			"   counts off-CPU time of the calling thread inside each slow call.  Original databases hold\n"
			"   sampled events and no sched_wakeup: who a blocked thread waited for cannot be shown)\n\n");
	sqlite3_finalize(q);
	sqlite3_finalize(st);
}

int ingero_engine_report_text(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT severity, count(*) FROM causal_chains GROUP BY severity", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int64_t h = 0, m = 0, l = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = col(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);
		if (!strcmp(s, "HIGH"))
			h += n;
		else if (!strcmp(s, "MEDIUM"))
			m += n;
		else
			l += n;
	}
	sqlite3_finalize(st);
	char b1[32], b2[32];
	int64_t total = h + m + l;
	/* step and idle findings lead when they carry more lost time */
	int64_t slost = ingero_steps_lost(db);
	int64_t clost = ig_db_int(db, "SELECT coalesce(sum(impact_ns), 0) FROM causal_chains WHERE severity IN ('HIGH','MEDIUM')", 0);
	int steps_first = slost > clost;
	if (!total) {
		fprintf(out, "INCIDENT REPORT — no causal chains detected\n\n");
		fprintf(out, "Analyzed %" PRId64 " events over %s. No slow-call chain found.\n\n",
			info_int(db, "engine.events", 0), ig_fmt_duration(info_int(db, "engine.span_ns", 0), b1, sizeof(b1)));
		if (ingero_steps_report_text(db, out))
			return -1;
		legacy_line(db, out);
		return 0;
	}
	char parts[128] = "";
	size_t off = 0;
	const char *names[3] = { "HIGH", "MEDIUM", "LOW" };
	int64_t cnt[3] = { h, m, l };
	for (int i = 0; i < 3; i++)
		if (cnt[i])
			off += (size_t)snprintf(parts + off, sizeof(parts) - off, "%s%" PRId64 " %s",
						off ? ", " : "", cnt[i], names[i]);
	fprintf(out, "INCIDENT REPORT — %" PRId64 " causal chain(s) found (%s)\n\n", total, parts);
	if (steps_first && ingero_steps_report_text(db, out))
		return -1;
	int64_t small = 0, small_ns = 0;
	char smallk[256] = "";
	size_t sko = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, severity, summary, root_cause, recommendations, timeline, impact_ns, "
			       "impact_share, window_start, window_end, kind FROM causal_chains" ORDER_SQL, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* LOW chains below CHAIN_MIN_SHARE of wall time: one summary line */
		if (!strcmp(col(st, 1), "LOW") && sqlite3_column_double(st, 7) < CHAIN_MIN_SHARE &&
		    (h + m > 0 || (strcmp(col(st, 10), "periodic") && strcmp(col(st, 10), "cold_start")))) {
			small++;
			small_ns += sqlite3_column_int64(st, 6);
			if (small <= 4 && sko < sizeof(smallk) - 1)
				sko += (size_t)snprintf(smallk + sko, sizeof(smallk) - sko, "%s%s", small > 1 ? ", " : "", col(st, 0));
			continue;
		}
		fprintf(out, "[%s] %s\n", col(st, 1), col(st, 2));
		fprintf(out, "  Timeline:\n");
		json_object *tl = json_tokener_parse(col(st, 5));
		for (size_t i = 0; tl && json_object_is_type(tl, json_type_array) && i < json_object_array_length(tl); i++) {
			json_object *e = json_object_array_get_idx(tl, i), *v;
			const char *layer = json_object_object_get_ex(e, "layer", &v) ? json_object_get_string(v) : "";
			const char *det = json_object_object_get_ex(e, "detail", &v) ? json_object_get_string(v) : "";
			int64_t us = json_object_object_get_ex(e, "dur_us", &v) ? json_object_get_int64(v) : 0;
			if (us > 0)
				fprintf(out, "    [%-6s]  %s (%s)\n", layer, det, ig_fmt_duration(us * 1000, b1, sizeof(b1)));
			else
				fprintf(out, "    [%-6s]  %s\n", layer, det);
		}
		json_object_put(tl);
		fprintf(out, "\n  Root cause: %s\n", col(st, 3));
		int64_t imp = sqlite3_column_int64(st, 6);
		if (imp > 0)
			fprintf(out, "  Impact: %s excess (%.1f%% of wall time), chain %s\n",
				ig_fmt_duration(imp, b2, sizeof(b2)), 100.0 * sqlite3_column_double(st, 7), col(st, 0));
		else
			fprintf(out, "  Chain: %s\n", col(st, 0));
		ingero_print_fixes(out, col(st, 4));
	}
	sqlite3_finalize(st);
	if (small)
		fprintf(out, "[LOW] %" PRId64 " more chain(s) below %.1f%% of wall time each (%s in all): %s%s\n\n", small,
			100.0 * CHAIN_MIN_SHARE, ig_fmt_duration(small_ns, b2, sizeof(b2)), smallk, small > 4 ? ", ..." : "");
	if (!steps_first && ingero_steps_report_text(db, out))
		return -1;
	legacy_line(db, out);
	return 0;
}

void ingero_print_fixes(FILE *out, const char *recommendations)
{
	json_object *r = json_tokener_parse(recommendations);
	fprintf(out, "  Fix: ");
	for (size_t i = 0; r && json_object_is_type(r, json_type_array) && i < json_object_array_length(r); i++)
		fprintf(out, "%s%s", i ? "; " : "", json_object_get_string(json_object_array_get_idx(r, i)));
	fprintf(out, "\n\n");
	json_object_put(r);
}

static int in_list(const char *name, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(name, *list))
			return 1;
	return 0;
}

json_object *ingero_rows_json(sqlite3 *db, const char *sql, const char *const *json_cols,
			      const char *const *ts_cols)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	json_object *arr = json_object_new_array();
	int n = sqlite3_column_count(st), rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_object *o = json_object_new_object();
		for (int i = 0; i < n; i++) {
			const char *name = sqlite3_column_name(st, i);
			json_object *v = NULL;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				break;
			case SQLITE_INTEGER:   /* absolute timestamps: strings (docs/cli.md "JSON") */
				v = in_list(name, ts_cols) ? json_object_new_string(col(st, i))
							   : json_object_new_int64(sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				v = json_object_new_double(sqlite3_column_double(st, i));
				break;
			default:
				if (in_list(name, json_cols) && (v = json_tokener_parse(col(st, i))))
					break;
				v = json_object_new_string(col(st, i));
			}
			json_object_object_add(o, name, v);
		}
		json_object_array_add(arr, o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

struct json_object *ingero_engine_report_json(sqlite3 *db)
{
	static const char *const json_cols[] = { "recommendations", "timeline", "evidence", NULL };
	static const char *const ts_cols[] = { "detected_at", "window_start", "window_end", NULL };
	return ingero_rows_json(db, "SELECT id, detected_at, severity, summary, root_cause, explanation, recommendations, "
				"cuda_op, cuda_p99_us, cuda_p50_us, tail_ratio, timeline, node, kind, window_start, window_end, "
				"impact_ns, impact_share, slow_calls, culprit_pid, culprit_comm, pid, evidence FROM causal_chains"
				ORDER_SQL, json_cols, ts_cols);
}
