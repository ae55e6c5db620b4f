/*
 * tools.c - the MCP tools over the analysis DB and the startup index
 * (get_trace_stats, get_causal_chains, get_steps; get_stacks and
 * get_timeline are in tools_events.c, helpers in tools_util.c), the tool
 * table with input/output schemas, results, and the prompt.
 * Every result is bounded: row limits per tool, TEXT_MAX bytes of compact
 * text, with a note when something was cut.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "tools.h"

/* ------------------------------------------------------ get_trace_stats */

static json_object *pct_json(const struct mcp_group *g, int with_node)
{
	char b[32];
	json_object *o = json_object_new_object();
	if (with_node) JADD(o, "node", mcp_str(mcp_node_name(g->node)));
	if (g->pid >= 0) {
		JADD(o, "pid", JI(g->pid));
		JADD(o, "comm", mcp_str(comm_of(mcp_node_name(g->node), g->pid)));
	}
	JADD(o, "source", mcp_str(ingero_source_name(g->source) ? ingero_source_name(g->source) : "?"));
	JADD(o, "op", mcp_str(mcp_op_name(g->source, g->op, b, sizeof b)));
	JADD(o, "count", JI(g->s.count));
	JADD(o, "total_ns", JI(g->s.total));
	JADD(o, "p50_ns", JI(g->s.p50));
	JADD(o, "p95_ns", JI(g->s.p95));
	JADD(o, "p99_ns", JI(g->s.p99));
	JADD(o, "max_ns", JI(g->s.max));
	JADD(o, "tail_ratio", JD(g->s.p50 > 0 ? round((double)g->s.p99 / (double)g->s.p50 * 100) / 100 : 0));
	int64_t span = S.ix.end - S.ix.start;
	JADD(o, "wall_share", JD(span > 0 ? round((double)g->s.total / (double)span * 10000) / 10000 : 0));
	return o;
}

static void pct_line(struct res *r, const struct mcp_group *g, int with_proc)
{
	char b[32], d1[IG_DUR_BUF], d2[IG_DUR_BUF], d3[IG_DUR_BUF], d4[IG_DUR_BUF], d5[IG_DUR_BUF];
	int64_t span = S.ix.end - S.ix.start;
	if (with_proc)
		tp(r, "%s%s%lld %-12.12s ", S.ix.nnodes > 1 ? mcp_node_name(g->node) : "", S.ix.nnodes > 1 ? "/" : "",
		   (long long)g->pid, comm_of(mcp_node_name(g->node), g->pid));
	tp(r, "%-22s %8llu %8s %8s %8s %8s %8s %5.1f%%\n", mcp_op_name(g->source, g->op, b, sizeof b),
	   (unsigned long long)g->s.count, dur(g->s.p50, d1), dur(g->s.p95, d2), dur(g->s.p99, d3), dur(g->s.max, d4),
	   dur(g->s.total, d5), span > 0 ? 100.0 * (double)g->s.total / (double)span : 0);
}

static int t_get_trace_stats(struct args *a, struct res *r)
{
	const char *node = NULL, *opn = NULL;
	int64_t pid, limit;
	int per_proc, ni = -1, src = -1, op = -1;
	if (a_str(r, a, "node", &node) || a_str(r, a, "op", &opn) || a_int(r, a, "pid", -1, 0, INT32_MAX, &pid) ||
	    a_int(r, a, "limit", 20, 1, 200, &limit) || a_bool(r, a, "per_process", 0, &per_proc))
		return -1;
	if (node && a_node(r, node, &ni)) return -1;
	if (opn && a_op(r, opn, &src, &op)) return -1;
	if (pid >= 0) per_proc = 1;
	char d1[IG_DUR_BUF];
	json_object *sc = r->sc, *span = json_object_new_object(), *nodes = json_object_new_array();
	JADD(sc, "input", mcp_str(S.demo_name ? S.demo_name : S.input));
	JADD(sc, "db_kind", json_object_new_string(S.kind == IG_DB_OURS ? "ingero-c" : S.kind == IG_DB_ORIGINAL ? "original" : "other"));
	JADD(span, "start_ns", mcp_i64str(S.ix.start));
	JADD(span, "end_ns", mcp_i64str(S.ix.end));
	JADD(span, "duration_ns", JI(S.ix.end - S.ix.start));
	JADD(sc, "span", span);
	JADD(sc, "events", JI(S.ix.events));
	for (int i = 0; i < S.ix.nnodes; i++) json_object_array_add(nodes, mcp_str(S.ix.nodes[i]));
	JADD(sc, "nodes", nodes);
	tp(r, "trace %s: %llu events over %s, %d node(s)\n", S.demo_name ? S.demo_name : S.input,
	   (unsigned long long)S.ix.events, dur(S.ix.end - S.ix.start, d1), S.ix.nnodes);
	if (!S.ix.events) {
		tp(r, "no events in this DB\n");
		JADD(sc, "ops", json_object_new_array());
		JADD(sc, "truncated", JB(0));
		return 0;
	}
	/* ops: all nodes, or one node's */
	const struct mcp_group *tab = S.ix.ops;
	size_t ntab = S.ix.nops;
	if (ni >= 0 && S.ix.nnodes > 1) { tab = S.ix.nodeops; ntab = S.ix.nnodeops; }
	json_object *ops = json_object_new_array();
	size_t shown = 0, match = 0;
	if (pid < 0) {
		tp(r, "%-22s %8s %8s %8s %8s %8s %8s %6s\n", "op", "n", "p50", "p95", "p99", "max", "total", "wall");
		for (size_t i = 0; i < ntab; i++) {
			const struct mcp_group *g = &tab[i];
			if (ni >= 0 && S.ix.nnodes > 1 && g->node != ni) continue;
			if (src >= 0 && (g->source != src || g->op != op)) continue;
			match++;
			if ((int64_t)shown >= limit) continue;
			shown++;
			json_object_array_add(ops, pct_json(g, ni >= 0 && S.ix.nnodes > 1));
			pct_line(r, g, 0);
		}
	}
	JADD(sc, "ops", ops);
	int truncated = match > shown;
	if (per_proc) {
		json_object *pr = json_object_new_array();
		size_t pshown = 0, pmatch = 0;
		tp(r, "per process:\n");
		for (size_t i = 0; i < S.ix.nprocs; i++) {
			const struct mcp_group *g = &S.ix.procs[i];
			if (ni >= 0 && g->node != ni) continue;
			if (pid >= 0 && g->pid != pid) continue;
			if (src >= 0 && (g->source != src || g->op != op)) continue;
			pmatch++;
			if ((int64_t)pshown >= limit) continue;
			pshown++;
			json_object_array_add(pr, pct_json(g, 1));
			pct_line(r, g, 1);
		}
		if (!pmatch) tp(r, "(no events match)\n");
		truncated |= pmatch > pshown;
		JADD(sc, "processes", pr);
	}
	if (!match && pid < 0) tp(r, "(no events match)\n");
	JADD(sc, "truncated", JB(truncated));
	if (truncated) {
		tp(r, "(showing the top %lld by total time; raise limit for more)\n", (long long)limit);
		JADD(sc, "note", json_object_new_string("rows cut at limit, ordered by total time"));
	}
	return 0;
}

/* ----------------------------------------------------- get_causal_chains */

static const char *col_or(const char *table, const char *col, const char *def)
{
	return ig_db_has_col(S.db, "main", table, col) ? col : def;
}

static int t_get_causal_chains(struct args *a, struct res *r)
{
	const char *sev = NULL, *node = NULL, *opn = NULL, *kind = NULL;
	int64_t limit;
	int ni;
	if (a_str(r, a, "min_severity", &sev) || a_str(r, a, "node", &node) || a_str(r, a, "op", &opn) ||
	    a_str(r, a, "kind", &kind) || a_int(r, a, "limit", 10, 1, 100, &limit))
		return -1;
	if (sev && sev_rank(sev) > 2) return terr(r, "argument 'min_severity' must be HIGH, MEDIUM or LOW");
	if (node && a_node(r, node, &ni)) return -1;
	json_object *chains = json_object_new_array();
	JADD(r->sc, "chains", chains);
	if (!ig_db_has_table(S.db, "main", "causal_chains")) {
		tp(r, "no causal_chains table in this DB\n");
		JADD(r->sc, "total", JI(0));
		JADD(r->sc, "truncated", JB(0));
		return 0;
	}
	const char *T = "causal_chains";
	char *q = sqlite3_mprintf(
		"SELECT id, severity, summary, root_cause, explanation, recommendations, cuda_op, cuda_p50_us, cuda_p99_us, "
		"tail_ratio, timeline, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM causal_chains "
		"ORDER BY CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END, "
		"coalesce(%s, 0) DESC, tail_ratio DESC, id",
		col_or(T, "node", "''"), col_or(T, "kind", "''"), col_or(T, "window_start", "detected_at"),
		col_or(T, "window_end", "0"), col_or(T, "impact_ns", "0"), col_or(T, "impact_share", "0"),
		col_or(T, "culprit_pid", "NULL"), col_or(T, "culprit_comm", "NULL"), col_or(T, "pid", "NULL"),
		col_or(T, "impact_ns", "0"));
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(S.db, q, -1, &st, NULL);
	sqlite3_free(q);
	if (rc != SQLITE_OK) return terr(r, "cannot read causal_chains: %s", sqlite3_errmsg(S.db));
	struct ig_strtab seen = { 0 };
	int64_t total = 0, shown = 0, folded = 0, n = 0;
	char d1[IG_DUR_BUF], d2[IG_DUR_BUF], d3[IG_DUR_BUF], t1[40], t2[40];
	while (sqlite3_step(st) == SQLITE_ROW) {
#define TX(i) ((const char *)sqlite3_column_text(st, (i)) ? (const char *)sqlite3_column_text(st, (i)) : "")
		const char *cs = TX(1), *cop = TX(6), *cnode = TX(11), *ckind = TX(12);
		if (sev && sev_rank(cs) > sev_rank(sev)) continue;
		if (node && strcmp(cnode, node)) continue;
		if (opn && strcasecmp(cop, opn)) {
			int s1, o1, s2, o2;
			if (ingero_op_lookup(opn, &s1, &o1) || ingero_op_lookup(cop, &s2, &o2) || s1 != s2 || o1 != o2)
				continue;
		}
		if (kind && strcmp(ckind, kind)) continue;
		total++;
		/* dedup: one chain per (node, kind, op, culprit), the best ranked */
		char *key = xasprintf("%s\x1f%s\x1f%s\x1f%s", cnode, ckind, cop, TX(18));
		int dup = ig_strtab_find(&seen, key) != 0;
		ig_strtab_id(&seen, key);
		free(key);
		if (dup) { folded++; continue; }
		if (shown >= limit) continue;
		shown++;
		n++;
		json_object *c = json_object_new_object(), *recs = NULL, *tl = NULL;
		JADD(c, "id", mcp_str(TX(0)));
		JADD(c, "severity", mcp_str(cs));
		JADD(c, "kind", mcp_str(ckind));
		JADD(c, "node", mcp_str(cnode));
		JADD(c, "op", mcp_str(cop));
		JADD(c, "summary", mcp_str(TX(2)));
		JADD(c, "root_cause", mcp_str(TX(3)));
		recs = json_tokener_parse(TX(5));
		if (!recs || !json_object_is_type(recs, json_type_array)) { json_object_put(recs); recs = json_object_new_array(); }
		JADD(c, "recommendations", recs);
		JADD(c, "p50_us", JI(sqlite3_column_int64(st, 7)));
		JADD(c, "p99_us", JI(sqlite3_column_int64(st, 8)));
		JADD(c, "tail_ratio", JD(sqlite3_column_double(st, 9)));
		int64_t ws = sqlite3_column_int64(st, 13), we = sqlite3_column_int64(st, 14);
		JADD(c, "window_start_ns", mcp_i64str(ws));
		JADD(c, "window_end_ns", mcp_i64str(we));
		JADD(c, "impact_ns", JI(sqlite3_column_int64(st, 15)));
		JADD(c, "impact_share", JD(sqlite3_column_double(st, 16)));
		JADD(c, "culprit_pid", sqlite3_column_type(st, 17) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 17)));
		JADD(c, "culprit_comm", sqlite3_column_type(st, 18) == SQLITE_NULL ? NULL : mcp_str(TX(18)));
		JADD(c, "pid", sqlite3_column_type(st, 19) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 19)));
		if (r->verbose) {
			JADD(c, "explanation", mcp_str(TX(4)));
			tl = json_tokener_parse(TX(10));
			if (!tl || !json_object_is_type(tl, json_type_array)) { json_object_put(tl); tl = json_object_new_array(); }
			JADD(c, "timeline", tl);
		}
		json_object_array_add(chains, c);
		/* compact */
		tp(r, "%lld. [%s] %s%s%s%s%s: %s\n", (long long)n, cs, cnode, cnode[0] ? " " : "", ckind,
		   ckind[0] ? " " : "", cop, TX(2));
		if (TX(3)[0]) tp(r, "   cause: %s\n", TX(3));
		tp(r, "  ");
		if (sqlite3_column_int64(st, 15))
			tp(r, " impact %s (%.1f%% of wall)", dur(sqlite3_column_int64(st, 15), d1), 100 * sqlite3_column_double(st, 16));
		if (sqlite3_column_int64(st, 7))
			tp(r, " p50 %s p99 %s (x%.1f)", dur(sqlite3_column_int64(st, 7) * 1000, d2),
			   dur(sqlite3_column_int64(st, 8) * 1000, d3), sqlite3_column_double(st, 9));
		if (ws) tp(r, " at %s", mcp_fmt_rel(ws, t1, sizeof t1));
		if (we > ws) tp(r, "..%s", mcp_fmt_rel(we, t2, sizeof t2));
		if (sqlite3_column_type(st, 19) != SQLITE_NULL) tp(r, " pid %lld", (long long)sqlite3_column_int64(st, 19));
		if (sqlite3_column_type(st, 17) != SQLITE_NULL)
			tp(r, " culprit %s(%lld)", TX(18), (long long)sqlite3_column_int64(st, 17));
		tp(r, "\n");
		size_t nr = json_object_array_length(recs);
		for (size_t i = 0; i < nr && i < 3; i++)
			tp(r, "   fix: %s\n", json_object_get_string(json_object_array_get_idx(recs, i)));
#undef TX
	}
	sqlite3_finalize(st);
	ig_strtab_release(&seen);
	if (!total) tp(r, "no causal chains%s\n", sev || node || opn || kind ? " match the filters" : " in this DB");
	JADD(r->sc, "total", JI(total));
	JADD(r->sc, "folded", JI(folded));
	JADD(r->sc, "truncated", JB(total - folded > shown));
	if (folded) tp(r, "(%lld similar chains folded into the ones shown)\n", (long long)folded);
	if (total - folded > shown) tp(r, "(%lld more; raise limit)\n", (long long)(total - folded - shown));
	return 0;
}

/* ------------------------------------------------------------ get_steps */

static int t_get_steps(struct args *a, struct res *r)
{
	const char *node = NULL;
	int64_t pid, limit;
	int ni;
	char d1[IG_DUR_BUF], d2[IG_DUR_BUF], d3[IG_DUR_BUF], t1[40];
	if (a_str(r, a, "node", &node) || a_int(r, a, "pid", -1, 0, INT32_MAX, &pid) || a_int(r, a, "limit", 10, 1, 100, &limit))
		return -1;
	if (node && a_node(r, node, &ni)) return -1;
	if (!has_rows("steps")) {
		const char *why = ig_db_has_table(S.db, "main", "steps") ?
			"no steps in this DB (its steps table is empty: the engine that wrote it computes no steps, or found no repeated synchronizing CUDA call per stream)" :
			"no steps in this DB (it predates step analysis, or comes from the original tool: re-run ingero-analyze on the recording)";
		tp(r, "%s\n", why);
		JADD(r->sc, "available", JB(0));
		JADD(r->sc, "note", json_object_new_string(why));
		return 0;
	}
	JADD(r->sc, "available", JB(1));
	char *w = sqlite3_mprintf("1");
	if (node) w = sqlite3_mprintf("%z AND node = %Q", w, node);
	if (pid >= 0) w = sqlite3_mprintf("%z AND pid = %lld", w, (long long)pid);
	sqlite3_stmt *st = NULL;
	/* streams: baselines and counts */
	char *q = sqlite3_mprintf(
		"SELECT node, pid, stream, phase, count(*), sum(warmup), sum(slow), sum(outlier != ''), "
		"sum(duration), sum(gpu_idle_ns), "
		"(SELECT p50 FROM step_baselines b WHERE b.node = s.node AND b.pid = s.pid AND b.stream = s.stream AND b.phase = s.phase), "
		"(SELECT p95 FROM step_baselines b WHERE b.node = s.node AND b.pid = s.pid AND b.stream = s.stream AND b.phase = s.phase), "
		"max(duration) FROM steps s WHERE %s GROUP BY node, pid, stream, phase ORDER BY sum(duration) DESC LIMIT %lld",
		w, (long long)limit + 1);
	json_object *streams = json_object_new_array();
	int64_t n = 0;
	if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK) {
		tp(r, "streams (node/pid/stream phase: steps, p50, p95, max, slow, outliers, GPU idle):\n");
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n++ >= limit) break;
			const char *nd = (const char *)sqlite3_column_text(st, 0);
			json_object *o = json_object_new_object();
			int64_t tot = sqlite3_column_int64(st, 8), idle = sqlite3_column_int64(st, 9);
			JADD(o, "node", mcp_str(nd ? nd : ""));
			JADD(o, "pid", JI(sqlite3_column_int64(st, 1)));
			JADD(o, "stream", mcp_i64str(sqlite3_column_int64(st, 2)));
			JADD(o, "phase", mcp_str((const char *)sqlite3_column_text(st, 3)));
			JADD(o, "steps", JI(sqlite3_column_int64(st, 4)));
			JADD(o, "warmup", JI(sqlite3_column_int64(st, 5)));
			JADD(o, "slow", JI(sqlite3_column_int64(st, 6)));
			JADD(o, "outliers", JI(sqlite3_column_int64(st, 7)));
			JADD(o, "total_ns", JI(tot));
			JADD(o, "gpu_idle_ns", JI(idle));
			JADD(o, "gpu_idle_share", JD(tot > 0 ? round((double)idle / (double)tot * 10000) / 10000 : 0));
			JADD(o, "p50_ns", JI(sqlite3_column_int64(st, 10)));
			JADD(o, "p95_ns", JI(sqlite3_column_int64(st, 11)));
			JADD(o, "max_ns", JI(sqlite3_column_int64(st, 12)));
			json_object_array_add(streams, o);
			tp(r, "  %s%s%lld/%llx %s: %lld steps, p50 %s p95 %s max %s, %lld slow, %lld outliers, GPU idle %.1f%%\n",
			   nd && nd[0] ? nd : "", nd && nd[0] ? "/" : "", (long long)sqlite3_column_int64(st, 1),
			   (unsigned long long)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
			   (long long)sqlite3_column_int64(st, 4), dur(sqlite3_column_int64(st, 10), d1),
			   dur(sqlite3_column_int64(st, 11), d2), dur(sqlite3_column_int64(st, 12), d3),
			   (long long)sqlite3_column_int64(st, 6), (long long)sqlite3_column_int64(st, 7),
			   tot > 0 ? 100.0 * (double)idle / (double)tot : 0);
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	JADD(r->sc, "streams", streams);
	int truncated = n > limit;
	/* findings */
	json_object *fs = json_object_new_array();
	if (has_rows("step_findings")) {
		q = sqlite3_mprintf("SELECT id, kind, severity, node, pid, step_id, start, duration, lost_ns, impact_share, summary, "
				    "root_cause, culprit_pid, culprit_comm, recommendations FROM step_findings WHERE %s "
				    "ORDER BY CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END, "
				    "lost_ns DESC, id LIMIT %lld", w, (long long)limit + 1);
		n = 0;
		if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK) {
			tp(r, "findings:\n");
			while (sqlite3_step(st) == SQLITE_ROW) {
				if (n++ >= limit) { truncated = 1; break; }
#define TX(i) ((const char *)sqlite3_column_text(st, (i)) ? (const char *)sqlite3_column_text(st, (i)) : "")
				json_object *o = json_object_new_object();
				JADD(o, "id", mcp_str(TX(0)));
				JADD(o, "kind", mcp_str(TX(1)));
				JADD(o, "severity", mcp_str(TX(2)));
				JADD(o, "node", mcp_str(TX(3)));
				JADD(o, "pid", sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 4)));
				JADD(o, "step_id", sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 5)));
				JADD(o, "start_ns", mcp_i64str(sqlite3_column_int64(st, 6)));
				JADD(o, "duration_ns", JI(sqlite3_column_int64(st, 7)));
				JADD(o, "lost_ns", JI(sqlite3_column_int64(st, 8)));
				JADD(o, "impact_share", JD(sqlite3_column_double(st, 9)));
				JADD(o, "summary", mcp_str(TX(10)));
				JADD(o, "root_cause", mcp_str(TX(11)));
				JADD(o, "culprit_pid", sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 12)));
				JADD(o, "culprit_comm", sqlite3_column_type(st, 13) == SQLITE_NULL ? NULL : mcp_str(TX(13)));
				json_object *recs = json_tokener_parse(TX(14));
				if (!recs || !json_object_is_type(recs, json_type_array)) { json_object_put(recs); recs = json_object_new_array(); }
				JADD(o, "recommendations", recs);
				json_object_array_add(fs, o);
				tp(r, "  [%s] %s at %s lost %s: %s%s%s\n", TX(2), TX(1), mcp_fmt_rel(sqlite3_column_int64(st, 6), t1, sizeof t1),
				   dur(sqlite3_column_int64(st, 8), d1), TX(10), TX(11)[0] ? " -- " : "", TX(11));
#undef TX
			}
		}
		sqlite3_finalize(st);
		sqlite3_free(q);
	}
	JADD(r->sc, "findings", fs);
	/* slowest steps with their breakdown */
	static const char *const parts[] = { "launch_ns", "memcpy_ns", "sync_ns", "alloc_ns", "other_cuda_ns", "nccl_ns",
		"host_ns", "preempted_ns", "blocked_ns", "io_ns", "mem_ns", "gpu_idle_ns", NULL };
	q = sqlite3_mprintf("SELECT id, node, pid, stream, step, start, duration, phase, outlier, slow, launch_ns, memcpy_ns, "
			    "sync_ns, alloc_ns, other_cuda_ns, nccl_ns, host_ns, preempted_ns, blocked_ns, io_ns, mem_ns, "
			    "gpu_idle_ns, preempt_pid, preempt_comm, waker_pid, waker_comm FROM steps WHERE %s AND warmup = 0 "
			    "ORDER BY duration DESC, id LIMIT %lld", w, (long long)(limit < 5 ? limit : 5));
	json_object *sl = json_object_new_array();
	if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK) {
		tp(r, "slowest steps:\n");
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_object *o = json_object_new_object(), *b = json_object_new_object();
			JADD(o, "step_id", JI(sqlite3_column_int64(st, 0)));
			JADD(o, "node", mcp_str((const char *)sqlite3_column_text(st, 1)));
			JADD(o, "pid", JI(sqlite3_column_int64(st, 2)));
			JADD(o, "stream", mcp_i64str(sqlite3_column_int64(st, 3)));
			JADD(o, "step", JI(sqlite3_column_int64(st, 4)));
			JADD(o, "start_ns", mcp_i64str(sqlite3_column_int64(st, 5)));
			JADD(o, "duration_ns", JI(sqlite3_column_int64(st, 6)));
			JADD(o, "phase", mcp_str((const char *)sqlite3_column_text(st, 7)));
			JADD(o, "outlier", mcp_str((const char *)sqlite3_column_text(st, 8)));
			tp(r, "  step %lld (pid %lld) at %s: %s", (long long)sqlite3_column_int64(st, 4),
			   (long long)sqlite3_column_int64(st, 2), mcp_fmt_rel(sqlite3_column_int64(st, 5), t1, sizeof t1),
			   dur(sqlite3_column_int64(st, 6), d1));
			for (int i = 0; parts[i]; i++) {
				int64_t v = sqlite3_column_int64(st, 10 + i);
				JADD(b, parts[i], JI(v));
				if (v * 20 >= sqlite3_column_int64(st, 6) && v > 0)   /* >= 5 % */
					tp(r, " %.*s %s", (int)(strlen(parts[i]) - 3), parts[i], dur(v, d2));
			}
			JADD(o, "breakdown", b);
			if (sqlite3_column_type(st, 22) != SQLITE_NULL) {
				JADD(o, "preempt_pid", JI(sqlite3_column_int64(st, 22)));
				JADD(o, "preempt_comm", mcp_str((const char *)sqlite3_column_text(st, 23)));
				tp(r, "; preempted by %s(%lld)", sqlite3_column_text(st, 23) ? (const char *)sqlite3_column_text(st, 23) : "?",
				   (long long)sqlite3_column_int64(st, 22));
			}
			if (sqlite3_column_type(st, 24) != SQLITE_NULL) {
				JADD(o, "waker_pid", JI(sqlite3_column_int64(st, 24)));
				JADD(o, "waker_comm", mcp_str((const char *)sqlite3_column_text(st, 25)));
			}
			tp(r, "\n");
			json_object_array_add(sl, o);
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	sqlite3_free(w);
	JADD(r->sc, "slowest", sl);
	JADD(r->sc, "truncated", JB(truncated));
	if (truncated) tp(r, "(cut at limit %lld)\n", (long long)limit);
	return 0;
}

/* -------------------------------------------------------------- table */

#define VERBOSE_P "\"verbose\":{\"type\":\"boolean\",\"description\":\"full JSON text instead of the compact summary (default false)\"}"
#define LIMIT_P(def, max) "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":" #max ",\"description\":\"most rows (default " #def ")\"}"
#define NODE_P "\"node\":{\"type\":\"string\",\"description\":\"only this node (merged recordings)\"}"
#define PID_P "\"pid\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"only this process\"}"
#define OP_P "\"op\":{\"type\":\"string\",\"description\":\"op name, e.g. cudaStreamSync, cudaStreamSynchronize, cudaMemcpy, sched_switch\"}"
#define TRUNC_O "\"truncated\":{\"type\":\"boolean\"},\"note\":{\"type\":\"string\"}"
#define NUL(t) "{\"type\":[\"" t "\",\"null\"]}"
#define PCT_O "{\"type\":\"object\",\"required\":[\"op\",\"count\",\"p50_ns\",\"p95_ns\",\"p99_ns\"],\"properties\":{" \
	"\"node\":{\"type\":\"string\"},\"pid\":{\"type\":\"integer\"},\"comm\":{\"type\":\"string\"},\"source\":{\"type\":\"string\"}," \
	"\"op\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},\"total_ns\":{\"type\":\"integer\"},\"p50_ns\":{\"type\":\"integer\"}," \
	"\"p95_ns\":{\"type\":\"integer\"},\"p99_ns\":{\"type\":\"integer\"},\"max_ns\":{\"type\":\"integer\"}," \
	"\"tail_ratio\":{\"type\":\"number\"},\"wall_share\":{\"type\":\"number\"}}}"
#define EVENT_O "{\"type\":\"object\",\"required\":[\"event\",\"ts_ns\",\"op\",\"duration_ns\"],\"properties\":{" \
	"\"event\":{\"type\":\"integer\"},\"node\":{\"type\":\"string\"},\"ts_ns\":{\"type\":\"string\"},\"offset\":{\"type\":\"string\"}," \
	"\"pid\":{\"type\":\"integer\"},\"tid\":{\"type\":\"integer\"},\"op\":{\"type\":\"string\"},\"duration_ns\":{\"type\":\"integer\"}," \
	"\"arg0\":{\"type\":\"string\"},\"arg1\":{\"type\":\"string\"},\"stack_hash\":" NUL("string") "}}"

struct tool {
	const char *name, *title, *desc, *in, *out;
	int (*fn)(struct args *, struct res *);
	int open_world;
	json_object *in_o, *out_o;
};

static struct tool tools[] = {
	{ "get_trace_stats", "Trace statistics",
	  "Per-op latency statistics of the whole trace (count, p50/p95/p99/max, total time, share of wall time, p99/p50 "
	  "tail ratio), optionally per process. Start here.",
	  "{\"type\":\"object\",\"properties\":{" NODE_P "," PID_P "," OP_P ",\"per_process\":{\"type\":\"boolean\","
	  "\"description\":\"also list (process, op) rows\"}," LIMIT_P(20, 200) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"span\",\"events\",\"ops\"],\"properties\":{\"input\":{\"type\":\"string\"},"
	  "\"db_kind\":{\"type\":\"string\"},\"span\":{\"type\":\"object\",\"properties\":{\"start_ns\":{\"type\":\"string\"},"
	  "\"end_ns\":{\"type\":\"string\"},\"duration_ns\":{\"type\":\"integer\"}}},\"events\":{\"type\":\"integer\"},"
	  "\"nodes\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"ops\":{\"type\":\"array\",\"items\":" PCT_O "},"
	  "\"processes\":{\"type\":\"array\",\"items\":" PCT_O "}," TRUNC_O "}}",
	  t_get_trace_stats, 0, NULL, NULL },
	{ "get_causal_chains", "Causal chains",
	  "The causal chains the engine found (symptom -> root cause -> fix), ranked by severity then impact, "
	  "deduplicated, top N. Filters: min_severity, node, op, kind (preemption, io, memory, cold_start, straggler, ...).",
	  "{\"type\":\"object\",\"properties\":{\"min_severity\":{\"type\":\"string\",\"enum\":[\"HIGH\",\"MEDIUM\",\"LOW\"]},"
	  NODE_P "," OP_P ",\"kind\":{\"type\":\"string\"}," LIMIT_P(10, 100) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"chains\"],\"properties\":{\"chains\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"required\":[\"id\",\"severity\",\"summary\"],\"properties\":{\"id\":{\"type\":\"string\"},\"severity\":{\"type\":\"string\"},"
	  "\"kind\":{\"type\":\"string\"},\"node\":{\"type\":\"string\"},\"op\":{\"type\":\"string\"},\"summary\":{\"type\":\"string\"},"
	  "\"root_cause\":{\"type\":\"string\"},\"recommendations\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	  "\"p50_us\":{\"type\":\"integer\"},\"p99_us\":{\"type\":\"integer\"},\"tail_ratio\":{\"type\":\"number\"},"
	  "\"window_start_ns\":{\"type\":\"string\"},\"window_end_ns\":{\"type\":\"string\"},\"impact_ns\":{\"type\":\"integer\"},"
	  "\"impact_share\":{\"type\":\"number\"},\"culprit_pid\":" NUL("integer") ",\"culprit_comm\":" NUL("string") ","
	  "\"pid\":" NUL("integer") ",\"explanation\":{\"type\":\"string\"},\"timeline\":{\"type\":\"array\"}}}},"
	  "\"total\":{\"type\":\"integer\"},\"folded\":{\"type\":\"integer\"}," TRUNC_O "}}",
	  t_get_causal_chains, 0, NULL, NULL },
	{ "get_steps", "Training/inference steps",
	  "Step analysis (engine v2): per stream the step count, p50/p95 baseline, slow steps, outliers and GPU idle share; "
	  "step findings (slow steps, GPU idle, stalls) with root causes; the slowest steps with their time breakdown "
	  "(launch, memcpy, sync, host, preempted, blocked, io, ...). Says so when the DB has no steps.",
	  "{\"type\":\"object\",\"properties\":{" NODE_P "," PID_P "," LIMIT_P(10, 100) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"available\"],\"properties\":{\"available\":{\"type\":\"boolean\"},"
	  "\"streams\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},\"findings\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"properties\":{\"kind\":{\"type\":\"string\"},\"severity\":{\"type\":\"string\"},\"summary\":{\"type\":\"string\"},"
	  "\"lost_ns\":{\"type\":\"integer\"}}}},\"slowest\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"properties\":{\"duration_ns\":{\"type\":\"integer\"},\"breakdown\":{\"type\":\"object\"}}}}," TRUNC_O "}}",
	  t_get_steps, 0, NULL, NULL },
	{ "get_stacks", "Call stacks",
	  "Resolved call stacks (Python frames first, innermost first, when recorded): for an op, its stacks ranked by total time and its slowest calls (event numbers); "
	  "for one event (an 'event' number from get_timeline or get_stacks), that call's stack.",
	  "{\"type\":\"object\",\"properties\":{" OP_P ",\"event\":{\"type\":\"integer\",\"minimum\":0,"
	  "\"description\":\"an event number from get_timeline / get_stacks\"}," LIMIT_P(5, 20) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"stacks\",\"slowest\"],\"properties\":{\"stacks\":{\"type\":\"array\",\"items\":{"
	  "\"type\":\"object\",\"required\":[\"stack_hash\",\"frames\"],\"properties\":{\"op\":{\"type\":\"string\"},"
	  "\"stack_hash\":{\"type\":\"string\"},\"calls\":{\"type\":\"integer\"},\"total_ns\":{\"type\":\"integer\"},"
	  "\"max_ns\":{\"type\":\"integer\"},\"frames\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	  "\"ip\":{\"type\":\"string\"},\"symbol\":{\"type\":\"string\"},\"file\":{\"type\":\"string\"},"
	  "\"line\":{\"type\":\"integer\"},\"python\":{\"type\":\"boolean\"}}}}}}},"
	  "\"slowest\":{\"type\":\"array\",\"items\":" EVENT_O "}," TRUNC_O "}}",
	  t_get_stacks, 0, NULL, NULL },
	{ "get_timeline", "Timeline of a process",
	  "The events of one process (or thread) around a time, in time order: CUDA calls, scheduler switches (with the "
	  "preempting pid), I/O. 'at' defaults to the window of the process's worst causal chain. Bounded by 'window' "
	  "(max 60s) and 'limit' (the events nearest to 'at' are kept).",
	  "{\"type\":\"object\",\"required\":[\"pid\"],\"properties\":{" PID_P ",\"tid\":{\"type\":\"integer\",\"minimum\":0},"
	  NODE_P ",\"at\":{\"type\":\"string\",\"description\":\"center: offset from the start (\\\"12.5s\\\"), before the end "
	  "(\\\"-10s\\\"), unix ns, or \\\"2026-03-14 10:00:00\\\"\"},\"window\":{\"type\":\"string\",\"description\":"
	  "\"width, e.g. \\\"200ms\\\" (default), at most 60s\"}," LIMIT_P(100, 1000) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"pid\",\"events\"],\"properties\":{\"pid\":{\"type\":\"integer\"},"
	  "\"comm\":{\"type\":\"string\"},\"from_ns\":{\"type\":\"string\"},\"to_ns\":{\"type\":\"string\"},"
	  "\"matched\":{\"type\":\"integer\"},\"events\":{\"type\":\"array\",\"items\":" EVENT_O "}," TRUNC_O "}}",
	  t_get_timeline, 0, NULL, NULL },
	{ "graph_lifecycle", "CUDA graph lifecycle",
	  "CUDA graphs: captures, instantiations and launches per graph executable, failed calls, re-instantiation churn, "
	  "graphs instantiated but never launched.",
	  "{\"type\":\"object\",\"properties\":{" NODE_P "," PID_P "," LIMIT_P(20, 200) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"ops\",\"execs\"],\"properties\":{\"ops\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"properties\":{\"op\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"},\"failed\":{\"type\":\"integer\"}}}},"
	  "\"execs\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"exec\":{\"type\":\"string\"},"
	  "\"graph\":" NUL("string") ",\"instantiations\":{\"type\":\"integer\"},\"launches\":{\"type\":\"integer\"},"
	  "\"failed\":{\"type\":\"integer\"}}}}," TRUNC_O "}}",
	  t_graph_lifecycle, 0, NULL, NULL },
	{ "graph_frequency", "CUDA graph launch frequency",
	  "CUDA graph launch frequency per graph executable: launches, rate, mean and largest gap between launches "
	  "(a gap far above the mean marks a stall of the launching thread).",
	  "{\"type\":\"object\",\"properties\":{" NODE_P "," PID_P "," LIMIT_P(20, 200) "," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"execs\"],\"properties\":{\"execs\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"properties\":{\"exec\":{\"type\":\"string\"},\"launches\":{\"type\":\"integer\"},\"rate_hz\":{\"type\":\"number\"},"
	  "\"mean_gap_ns\":{\"type\":\"integer\"},\"max_gap_ns\":{\"type\":\"integer\"}}}}," TRUNC_O "}}",
	  t_graph_frequency, 0, NULL, NULL },
	{ "get_nodes", "Nodes of a merged recording",
	  "The nodes of a (merged) multi-node recording: rank, events, time span, the clock corrections applied when "
	  "merging (method, offset, drift, confidence), and the stragglers the engine found.",
	  "{\"type\":\"object\",\"properties\":{" VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"nodes\"],\"properties\":{\"nodes\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	  "\"properties\":{\"name\":{\"type\":\"string\"},\"rank\":" NUL("integer") ",\"events\":{\"type\":\"integer\"}}}},"
	  "\"clock_corrections\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}},\"stragglers\":{\"type\":\"array\","
	  "\"items\":{\"type\":\"object\"}}," TRUNC_O "}}",
	  t_get_nodes, 0, NULL, NULL },
	{ "run_sql", "Read-only SQL",
	  "Runs read-only SQL (SQLite) on the analysis database with ingero-sql's guarantees: the file is opened "
	  "immutable; writes, ATTACH, state-changing PRAGMAs and extensions are refused; time, memory and value size "
	  "are bounded. Tables: events, causal_chains, steps, step_findings, stack_traces, processes, offcpu, ... "
	  "(SELECT name, sql FROM sqlite_master). The view named_events adds event (the event numbers of the other tools), "
	  "source_name and op_name to events; functions source_name(s), op_name(s, o).",
	  "{\"type\":\"object\",\"required\":[\"sql\"],\"properties\":{\"sql\":{\"type\":\"string\",\"description\":"
	  "\"one or more SELECT / WITH / VALUES / PRAGMA / EXPLAIN statements\"}," LIMIT_P(100, 1000) ","
	  "\"timeout_s\":{\"type\":\"number\",\"minimum\":0.1,\"maximum\":30,\"description\":\"per statement (default 5)\"},"
	  VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"results\"],\"properties\":{\"results\":{\"type\":\"array\",\"items\":{"
	  "\"type\":\"object\",\"required\":[\"columns\",\"rows\"],\"properties\":{\"columns\":{\"type\":\"array\",\"items\":"
	  "{\"type\":\"string\"}},\"rows\":{\"type\":\"array\",\"items\":{\"type\":\"array\"}},\"truncated\":{\"type\":\"boolean\"}}}},"
	  TRUNC_O "}}",
	  t_run_sql, 0, NULL, NULL },
	{ "get_check", "Host check of a bundle",
	  "The host check (check.json: kernel, BPF, CUDA libraries, GPUs, permissions) stored in the bundle given as "
	  "input (ingero-record bundle). Compact: check.txt; verbose: check.json.",
	  "{\"type\":\"object\",\"properties\":{" VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"check\"],\"properties\":{\"check\":{\"type\":[\"array\",\"object\"],"
	  "\"description\":\"check.json as stored: one {name, pass, value, detail} per probe\"}," TRUNC_O "}}",
	  t_get_check, 0, NULL, NULL },
	{ "run_demo", "Generate a demo trace",
	  "Generates a synthetic scenario with known ground truth (ingero-record demo) into the server's private "
	  "temporary directory, analyzes it and switches every tool to it. Scenarios: incident (a CPU hog preempts "
	  "training), cold-start, memcpy-bottleneck, periodic-spike, cpu-contention, gpu-steal, control, multi-node.",
	  "{\"type\":\"object\",\"required\":[\"scenario\"],\"properties\":{\"scenario\":{\"type\":\"string\",\"enum\":["
	  "\"incident\",\"cold-start\",\"memcpy-bottleneck\",\"periodic-spike\",\"cpu-contention\",\"gpu-steal\",\"control\","
	  "\"multi-node\"]},\"seed\":{\"type\":\"integer\",\"minimum\":0},\"duration_s\":{\"type\":\"integer\",\"minimum\":2,"
	  "\"maximum\":60,\"description\":\"recorded time (default: the scenario's)\"}," VERBOSE_P "}}",
	  "{\"type\":\"object\",\"required\":[\"scenario\",\"events\"],\"properties\":{\"scenario\":{\"type\":\"string\"},"
	  "\"events\":{\"type\":\"integer\"},\"nodes\":{\"type\":\"integer\"},\"chains\":{\"type\":\"integer\"}," TRUNC_O "}}",
	  t_run_demo, 0, NULL, NULL },
};
#define NTOOLS (sizeof tools / sizeof tools[0])

static void tools_init(void)
{
	static int done;
	if (done) return;
	done = 1;
	for (size_t i = 0; i < NTOOLS; i++) {
		tools[i].in_o = json_tokener_parse(tools[i].in);
		tools[i].out_o = json_tokener_parse(tools[i].out);
		if (!tools[i].in_o || !tools[i].out_o)
			ig_die("internal error: bad schema of tool %s", tools[i].name);
	}
}

json_object *mcp_tools_list(void)
{
	tools_init();
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < NTOOLS; i++) {
		json_object *t = json_object_new_object(), *ann = json_object_new_object();
		JADD(t, "name", json_object_new_string(tools[i].name));
		JADD(t, "title", json_object_new_string(tools[i].title));
		JADD(t, "description", json_object_new_string(tools[i].desc));
		JADD(t, "inputSchema", json_object_get(tools[i].in_o));
		if (S.structured)
			JADD(t, "outputSchema", json_object_get(tools[i].out_o));
		JADD(ann, "title", json_object_new_string(tools[i].title));
		JADD(ann, "readOnlyHint", JB(1));
		JADD(ann, "destructiveHint", JB(0));
		JADD(ann, "idempotentHint", JB(tools[i].fn != t_run_demo));
		JADD(ann, "openWorldHint", JB(0));
		JADD(t, "annotations", ann);
		json_object_array_add(arr, t);
	}
	return arr;
}

json_object *mcp_tool_call(const char *name, json_object *args, int *err_code, char *err, size_t errlen)
{
	tools_init();
	struct tool *t = NULL;
	for (size_t i = 0; i < NTOOLS; i++)
		if (!strcmp(tools[i].name, name)) t = &tools[i];
	if (!t) {
		const char *cand[NTOOLS + 1];
		for (size_t i = 0; i < NTOOLS; i++) cand[i] = tools[i].name;
		cand[NTOOLS] = NULL;
		const char *d = ig_did_you_mean(name, cand);
		*err_code = -32602;
		snprintf(err, errlen, "Unknown tool: %.100s%s%s%s", name, d ? " (did you mean " : "", d ? d : "", d ? "?)" : "");
		return NULL;
	}
	struct res r = { .sc = json_object_new_object() };
	struct args a = { args };
	int rc = 0;
	/* unknown arguments: an error the model can correct */
	json_object *props = NULL;
	json_object_object_get_ex(t->in_o, "properties", &props);
	if (args) {
		json_object_object_foreach(args, k, v) {
			(void)v;
			if (props && json_object_object_get_ex(props, k, NULL)) continue;
			const char *cand[16];
			int n = 0;
			json_object_object_foreach(props, pk, pv) { (void)pv; if (n < 15) cand[n++] = pk; }
			cand[n] = NULL;
			const char *d = ig_did_you_mean(k, cand);
			rc = terr(&r, "unknown argument '%s'%s%s%s for %s", k, d ? " (did you mean '" : "", d ? d : "",
				  d ? "'?)" : "", t->name);
			break;
		}
	}
	if (!rc) rc = a_bool(&r, &a, "verbose", 0, &r.verbose);
	/* every tool but get_check reads the startup index; run_sql waits too:
	 * its heap limit is process-wide and would starve the scan */
	if (!rc && t->fn != t_get_check) {
		int w = mcp_index_wait();
		if (w == 1) rc = terr(&r, "cancelled");
		else if (w < 0) rc = terr(&r, "the events of this database could not be read (see the server's stderr)");
	}
	if (!rc) rc = t->fn(&a, &r);
	json_object *res = json_object_new_object(), *content = json_object_new_array(), *c = json_object_new_object();
	JADD(c, "type", json_object_new_string("text"));
	if (rc || r.is_error) {
		JADD(c, "text", mcp_str(r.txt ? r.txt : "error"));
		JADD(res, "isError", JB(1));
	} else if (r.verbose) {
		JADD(c, "text", json_object_new_string(json_object_to_json_string_ext(r.sc, JSON_C_TO_STRING_PLAIN |
										     JSON_C_TO_STRING_NOSLASHESCAPE)));
	} else {
		char *txt = r.cut ? xasprintf("%s(output cut at %d KiB: use filters or a smaller limit)\n", r.txt ? r.txt : "",
					      TEXT_MAX / 1024) : xstrdup(r.txt ? r.txt : "");
		JADD(c, "text", mcp_str(txt));
		free(txt);
	}
	json_object_array_add(content, c);
	JADD(res, "content", content);
	if (!rc && !r.is_error && S.structured)
		JADD(res, "structuredContent", json_object_get(r.sc));
	json_object_put(r.sc);
	free(r.txt);
	return res;
}

/* -------------------------------------------------------------- prompt */

json_object *mcp_prompts_list(void)
{
	json_object *arr = json_object_new_array(), *p = json_object_new_object(), *args = json_object_new_array(),
		    *q = json_object_new_object();
	JADD(p, "name", json_object_new_string("investigate"));
	JADD(p, "title", json_object_new_string("Investigate a GPU slowdown"));
	JADD(p, "description", json_object_new_string(
		"Guided root-cause investigation of the loaded trace: stats -> causal chains -> steps/idle -> stacks -> "
		"timeline -> SQL, ending in a diagnosis with evidence and fixes."));
	JADD(q, "name", json_object_new_string("question"));
	JADD(q, "description", json_object_new_string("what to find out, e.g. \"why did step time triple at 12 s?\""));
	JADD(q, "required", JB(0));
	json_object_array_add(args, q);
	JADD(p, "arguments", args);
	json_object_array_add(arr, p);
	return arr;
}

json_object *mcp_prompt_get(const char *name, json_object *args, char *err, size_t errlen)
{
	if (strcmp(name, "investigate")) {
		snprintf(err, errlen, "Unknown prompt: %.100s (the prompt is 'investigate')", name);
		return NULL;
	}
	json_object *q = NULL;
	const char *question = "What was the core reason for the GPU slowdown or stall in this trace?";
	if (args && json_object_object_get_ex(args, "question", &q) && json_object_is_type(q, json_type_string) &&
	    json_object_get_string_len(q))
		question = json_object_get_string(q);
	char *text = xasprintf(
		"You are investigating a GPU performance problem with the Ingero tools of this server (a read-only analysis "
		"of one recorded trace: CUDA calls, scheduler, memory, I/O and NCCL events, with causal chains already "
		"computed).\n\nQuestion: %s\n\nWork through these steps, calling the tools (compact output is enough; "
		"pass {\"verbose\": true} only when you need every field):\n"
		"1. get_trace_stats: which ops dominate the wall time, and which have a large p99/p50 tail ratio?\n"
		"2. get_causal_chains: the ranked causes the engine found (severity, impact, culprit process, fix).\n"
		"3. get_steps: are steps slow or is the GPU idle, and where does a slow step's time go (breakdown)? "
		"Multi-node: get_nodes for stragglers and clock corrections.\n"
		"4. get_stacks with the op of the top chain: which code path makes the slow calls; get_timeline with the "
		"affected pid (and the chain's window) to see the preemptions or waits inside the slow calls.\n"
		"5. run_sql for anything the tools do not answer (read-only; e.g. SELECT name, sql FROM sqlite_master).\n\n"
		"Then answer: the root cause in one sentence, the evidence (numbers: counts, durations, pids, times), "
		"how confident you are and what would confirm it, and the fix. Do not guess beyond the data.", question);
	json_object *r = json_object_new_object(), *msgs = json_object_new_array(), *m = json_object_new_object(),
		    *c = json_object_new_object();
	JADD(r, "description", json_object_new_string("Guided investigation of the loaded GPU trace"));
	JADD(m, "role", json_object_new_string("user"));
	JADD(c, "type", json_object_new_string("text"));
	JADD(c, "text", mcp_str(text));
	free(text);
	JADD(m, "content", c);
	json_object_array_add(msgs, m);
	JADD(r, "messages", msgs);
	return r;
}
