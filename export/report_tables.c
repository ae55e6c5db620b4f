/*
 * report_tables.c - ingero-report's table sections: causal chains (with their
 * mini timelines), step findings, per-op latency, processes, NCCL ranks and
 * CUDA graphs, written as static HTML from the analysis database.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "ingero.h"
#include "db.h"
#include "report.h"

static void chain_timeline(FILE *f, const char *js)
{
	json_object *a = js && *js ? json_tokener_parse(js) : NULL;
	if (!a || !json_object_is_type(a, json_type_array) || !json_object_array_length(a)) {
		json_object_put(a);
		return;
	}
	fputs("<table class=\"tl\"><thead><tr><th>layer</th><th>op</th><th>detail</th><th>time</th></tr></thead><tbody>", f);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i), *v;
		fputs("<tr><td>", f);
		if (json_object_object_get_ex(e, "layer", &v))
			rep_html(f, json_object_get_string(v));
		fputs("</td><td>", f);
		if (json_object_object_get_ex(e, "op", &v))
			rep_html(f, json_object_get_string(v));
		fputs("</td><td>", f);
		if (json_object_object_get_ex(e, "detail", &v))
			rep_html(f, json_object_get_string(v));
		fputs("</td><td class=\"num\">", f);
		if (json_object_object_get_ex(e, "dur_us", &v)) {
			char b[IG_DUR_BUF];
			rep_html(f, rep_dur(json_object_get_int64(v) * 1000, b, sizeof b));
		}
		fputs("</td></tr>", f);
	}
	fputs("</tbody></table>\n", f);
	json_object_put(a);
}

void rep_sec_chains(struct rep *r)
{
	FILE *f = r->f;
	sqlite3_stmt *st = rep_prep(r, "SELECT id, severity, kind, summary, root_cause, explanation, recommendations, "
			       "cuda_op, cuda_p50_us, cuda_p99_us, timeline, node, window_start, window_end, impact_ns, "
			       "impact_share, culprit_comm, culprit_pid, pid, slow_calls FROM causal_chains "
			       "ORDER BY " SEV_ORDER ", impact_share DESC, id");
	fprintf(f, "<section id=\"chains\"><h2>Causal chains (%" PRId64 ")</h2>\n", rep_count(r, "causal_chains", NULL));
	int n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char b1[IG_DUR_BUF], b2[IG_DUR_BUF], t1[48], t2[48];
		n++;
		fputs("<article class=\"chain\" id=\"chain-", f);
		rep_html(f, rep_col(st, 0));
		fputs("\" data-chain-id=\"", f);
		rep_html(f, rep_col(st, 0));
		fprintf(f, "\"><h3><span class=\"sev sev-%s\">%s</span> ", rep_col(st, 1), rep_col(st, 1));
		rep_html(f, rep_col(st, 3));
		fputs("</h3>\n<dl><dt>Chain</dt><dd><code>", f);
		rep_html(f, rep_col(st, 0));
		fputs("</code> (", f);
		rep_html(f, rep_col(st, 2));
		fputs(")</dd><dt>Root cause</dt><dd>", f);
		rep_html(f, rep_col(st, 4));
		fputs("</dd>", f);
		if (*rep_col(st, 5) && strcmp(rep_col(st, 5), rep_col(st, 4))) {
			fputs("<dt>Explanation</dt><dd>", f);
			rep_html(f, rep_col(st, 5));
			fputs("</dd>", f);
		}
		fprintf(f, "<dt>Impact</dt><dd>%s excess, %.1f%% of wall time; %d slow calls</dd>",
			rep_dur(rep_i64(st, 14), b1, sizeof b1), sqlite3_column_double(st, 15) * 100,
			sqlite3_column_int(st, 19));
		if (*rep_col(st, 7)) {
			fputs("<dt>Op</dt><dd>", f);
			rep_html(f, rep_col(st, 7));
			fprintf(f, ": p50 %s, p99 %s</dd>", rep_dur(rep_i64(st, 8) * 1000, b1, sizeof b1),
				rep_dur(rep_i64(st, 9) * 1000, b2, sizeof b2));
		}
		if (rep_i64(st, 13) > rep_i64(st, 12))
			fprintf(f, "<dt>Window</dt><dd>%s &ndash; %s (+%.3f s &ndash; +%.3f s)</dd>",
				rep_utc(rep_i64(st, 12), t1, sizeof t1), rep_utc(rep_i64(st, 13), t2, sizeof t2),
				(double)(rep_i64(st, 12) - r->t0) / 1e9,
				(double)(rep_i64(st, 13) - r->t0) / 1e9);
		fputs("<dt>Where</dt><dd>node ", f);
		rep_html(f, rep_col(st, 11));
		if (sqlite3_column_type(st, 18) != SQLITE_NULL)
			fprintf(f, ", affected pid %" PRId64, rep_i64(st, 18));
		if (*rep_col(st, 16)) {
			fputs(", culprit ", f);
			rep_html(f, rep_col(st, 16));
			if (sqlite3_column_type(st, 17) != SQLITE_NULL)
				fprintf(f, " (pid %" PRId64 ")", rep_i64(st, 17));
		}
		fputs("</dd></dl>\n", f);
		chain_timeline(f, rep_col(st, 10));
		fputs("<p>Fix:</p><ul class=\"recs\">", f);
		rep_json_list(f, rep_col(st, 6), 0);
		fputs("</ul></article>\n", f);
	}
	sqlite3_finalize(st);
	if (!n)
		fputs("<p>None.</p>\n", f);
	fputs("</section>\n", f);
}

void rep_sec_step_findings(struct rep *r)
{
	if (!r->has_steps || !ig_db_has_table(r->db, "main", "step_findings"))
		return;
	FILE *f = r->f;
	sqlite3_stmt *st = rep_prep(r, "SELECT id, kind, severity, summary, root_cause, start, duration, lost_ns, "
			       "impact_share, culprit_comm, culprit_pid, recommendations, node, pid FROM step_findings "
			       "ORDER BY " SEV_ORDER ", impact_share DESC, id");
	fprintf(f, "<section id=\"step-findings\"><h2>Step findings (%" PRId64 ")</h2>\n",
		rep_count(r, "step_findings", NULL));
	int n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char b1[IG_DUR_BUF], b2[IG_DUR_BUF];
		fputs("<article class=\"chain step\" id=\"step-", f);
		rep_html(f, rep_col(st, 0));
		fputs("\" data-step-finding=\"", f);
		rep_html(f, rep_col(st, 0));
		fprintf(f, "\"><h3><span class=\"sev sev-%s\">%s</span> ", rep_col(st, 2), rep_col(st, 2));
		rep_html(f, rep_col(st, 3));
		fputs("</h3><dl><dt>Kind</dt><dd>", f);
		rep_html(f, rep_col(st, 1));
		fputs("</dd><dt>Root cause</dt><dd>", f);
		rep_html(f, rep_col(st, 4));
		fprintf(f, "</dd><dt>Window</dt><dd>+%.3f s, %s; %s lost (%.1f%% of wall time)</dd>",
			(double)(rep_i64(st, 5) - r->t0) / 1e9, rep_dur(rep_i64(st, 6), b1, sizeof b1),
			rep_dur(rep_i64(st, 7), b2, sizeof b2), sqlite3_column_double(st, 8) * 100);
		if (*rep_col(st, 9)) {
			fputs("<dt>Culprit</dt><dd>", f);
			rep_html(f, rep_col(st, 9));
			fprintf(f, " (pid %" PRId64 ")</dd>", rep_i64(st, 10));
		}
		fputs("</dl><ul class=\"recs\">", f);
		rep_json_list(f, rep_col(st, 11), 0);
		fputs("</ul></article>\n", f);
		n++;
	}
	sqlite3_finalize(st);
	if (!n)
		fputs("<p>None: no slow step, GPU starvation or stall.</p>\n", f);
	fputs("</section>\n", f);
}

static const char *src_name(int s)
{
	switch (s) {
#define INGERO_SOURCE(ID, CODE, NAME, DESC) case CODE: return NAME;
#include "ops.def"
	}
	return "?";
}

void rep_sec_ops(struct rep *r)
{
	FILE *f = r->f;
	int64_t span = r->t1 - r->t0;
	fputs("<section id=\"ops\"><h2>Per-op statistics</h2>\n<p class=\"hint\">Exact percentiles over every call "
	      "(nearest rank). Share: summed duration over the span. Click a header to sort.</p>\n"
	      "<table class=\"sortable\"><thead><tr><th>op</th><th>source</th><th data-type=\"num\">calls</th>"
	      "<th data-type=\"num\">p50</th><th data-type=\"num\">p95</th><th data-type=\"num\">p99</th>"
	      "<th data-type=\"num\">max</th><th data-type=\"num\">total</th><th data-type=\"num\">share</th>"
	      "</tr></thead><tbody>\n", f);
	for (size_t i = 0; i < r->nops; i++) {
		struct rep_op *o = &r->ops[i];
		char b[5][IG_DUR_BUF];
		fputs("<tr><td>", f);
		rep_html(f, o->name);
		fprintf(f, "</td><td>%s</td><td class=\"num\">%zu</td>", src_name(o->source), o->n);
		int64_t v[5] = { o->p50, o->p95, o->p99, o->max, o->total };
		for (int k = 0; k < 5; k++)
			fprintf(f, "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td>", v[k], rep_dur(v[k], b[k], sizeof b[k]));
		double sh = span > 0 ? (double)o->total / (double)span * 100 : 0;
		fprintf(f, "<td class=\"num\" data-v=\"%.4f\">%.1f%%</td></tr>\n", sh, sh);
	}
	fputs("</tbody></table></section>\n", f);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct rep_proc *x = a, *y = b;
	if (x->cuda_ns != y->cuda_ns)
		return x->cuda_ns > y->cuda_ns ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void rep_sec_procs(struct rep *r)
{
	FILE *f = r->f;
	qsort(r->procs, r->nprocs, sizeof *r->procs, cmp_proc);
	sqlite3_stmt *st = rep_prep(r, "SELECT coalesce((SELECT comm FROM processes p WHERE p.node = ?1 AND p.pid = ?2), "
			       "(SELECT name FROM process_names n WHERE n.node = ?1 AND n.pid = ?2), ''), "
			       "coalesce((SELECT cmdline FROM processes p WHERE p.node = ?1 AND p.pid = ?2), '')");
	fputs("<section id=\"procs\"><h2>Per-process</h2>\n<table class=\"sortable\"><thead><tr><th>node</th>"
	      "<th data-type=\"num\">pid</th><th>name</th><th data-type=\"num\">CUDA calls</th>"
	      "<th data-type=\"num\">CUDA time</th><th data-type=\"num\">preempted</th>"
	      "<th data-type=\"num\">blocked</th><th data-type=\"num\">other events</th>"
	      "<th data-type=\"num\">chains</th><th>command line</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < r->nprocs; i++) {
		struct rep_proc *p = &r->procs[i];
		char b[3][IG_DUR_BUF];
		const char *node = rep_node(r, p->node);
		const char *name = "", *cmd = "";
		if (st) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, p->pid);
			if (sqlite3_step(st) == SQLITE_ROW) {
				name = rep_col(st, 0);
				cmd = rep_col(st, 1);
			}
		}
		fputs("<tr><td>", f);
		rep_html(f, node);
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td>", p->pid);
		rep_html(f, name);
		fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td>", p->cuda_calls);
		int64_t v[3] = { p->cuda_ns, p->offcpu_pre_ns, p->offcpu_blk_ns };
		for (int k = 0; k < 3; k++)
			fprintf(f, "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td>", v[k], rep_dur(v[k], b[k], sizeof b[k]));
		fprintf(f, "<td class=\"num\">%" PRIu64 "</td><td class=\"num\">%d</td><td><code>", p->host_events, p->chains);
		rep_html(f, cmd);
		fputs("</code></td></tr>\n", f);
	}
	sqlite3_finalize(st);
	fputs("</tbody></table></section>\n", f);
}

void rep_sec_nccl(struct rep *r)
{
	FILE *f = r->f;
	int64_t ncoll = rep_count(r, "nccl_collectives", NULL), ncc = rep_count(r, "clock_corrections", NULL);
	if (ncoll <= 0 && ncc <= 0)
		return;
	fputs("<section id=\"nccl\"><h2>NCCL and multi-node</h2>\n", f);
	if (ncoll > 0) {
		struct rep_rank *rk;
		size_t n;
		char b[3][IG_DUR_BUF];
		fprintf(f, "<p>%" PRId64 " collective calls. Lateness: a rank's start minus the first rank's start "
			"in the same collective (communicator, sequence number), after clock correction.</p>\n", ncoll);
		fputs("<table class=\"sortable\" id=\"nccl-ranks\"><thead><tr><th data-type=\"num\">rank</th><th>node</th>"
		      "<th data-type=\"num\">collectives</th><th data-type=\"num\">last to arrive</th>"
		      "<th data-type=\"num\">lateness p50</th><th data-type=\"num\">p99</th><th data-type=\"num\">max</th>"
		      "</tr></thead><tbody>\n", f);
		if (rep_nccl_ranks(r, &rk, &n) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (rk[i].rank >= 0)
					fprintf(f, "<tr><td class=\"num\">%" PRId64 "</td><td>", rk[i].rank);
				else
					fputs("<tr><td class=\"num\">?</td><td>", f);
				rep_html(f, rk[i].node);
				fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64 "</td>",
					rk[i].colls, rk[i].last);
				int64_t v[3] = { rk[i].p50, rk[i].p99, rk[i].max };
				for (int k = 0; k < 3; k++)
					fprintf(f, "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td>", v[k],
						rep_dur(v[k], b[k], sizeof b[k]));
				fputs("</tr>\n", f);
			}
			free(rk);
		}
		fputs("</tbody></table>\n", f);
	}
	if (ncc > 0) {
		sqlite3_stmt *st = rep_prep(r, "SELECT node, method, offset_ns, drift_ppb, confidence_ns, samples "
				       "FROM clock_corrections ORDER BY node");
		fputs("<h3>Clock corrections applied (ingero-merge)</h3>\n<table class=\"sortable\" id=\"clock\"><thead>"
		      "<tr><th>node</th><th>method</th><th data-type=\"num\">offset</th><th data-type=\"num\">drift</th>"
		      "<th data-type=\"num\">confidence</th><th data-type=\"num\">samples</th></tr></thead><tbody>\n", f);
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			char b1[IG_DUR_BUF], b2[IG_DUR_BUF];
			fputs("<tr><td>", f);
			rep_html(f, rep_col(st, 0));
			fputs("</td><td>", f);
			rep_html(f, rep_col(st, 1));
			fprintf(f, "</td><td class=\"num\" data-v=\"%" PRId64 "\">%s</td><td class=\"num\" data-v=\"%.3f\">"
				"%.2f ppm</td><td class=\"num\" data-v=\"%.0f\">&plusmn;%s</td><td class=\"num\">%d</td></tr>\n",
				rep_i64(st, 2), rep_dur(rep_i64(st, 2), b1, sizeof b1),
				sqlite3_column_double(st, 3), sqlite3_column_double(st, 3) / 1000,
				sqlite3_column_double(st, 4), rep_dur((int64_t)sqlite3_column_double(st, 4), b2, sizeof b2),
				sqlite3_column_int(st, 5));
		}
		sqlite3_finalize(st);
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
}

void rep_sec_graphs(struct rep *r)
{
	if (rep_count(r, "graph_events", NULL) <= 0)
		return;
	FILE *f = r->f;
	/* one row per graph's life: a capture's begin has no graph yet (the
	 * next end of capture on its stream names it), launches name only the
	 * executable (the instantiation links graph and executable) */
	int B = INGERO_GRAPH_BEGIN_CAPTURE, E = INGERO_GRAPH_END_CAPTURE, I = INGERO_GRAPH_INSTANTIATE,
	    L = INGERO_GRAPH_LAUNCH;
	char *q = xasprintf(
		"WITH g1 AS (SELECT *, CASE WHEN op = %d AND coalesce(graph, 0) = 0 THEN (SELECT e.graph FROM graph_events e "
		"WHERE e.node = ge.node AND e.pid = ge.pid AND e.op = %d AND e.stream IS ge.stream AND e.start >= ge.start "
		"ORDER BY e.start LIMIT 1) ELSE graph END AS g FROM graph_events ge), "
		"g2 AS (SELECT *, CASE WHEN coalesce(exec, 0) != 0 THEN exec ELSE coalesce((SELECT i.exec FROM graph_events i "
		"WHERE i.node = g1.node AND i.pid = g1.pid AND i.op = %d AND i.graph = g1.g AND coalesce(i.exec, 0) != 0 "
		"ORDER BY i.start LIMIT 1), 0) END AS x FROM g1) "
		"SELECT node, pid, max(coalesce(g, 0)), max(x), sum(op = %d), sum(op = %d), sum(op = %d), sum(op = %d), "
		"min(start), max(start + duration), sum(CASE WHEN op = %d THEN duration ELSE 0 END), "
		"sum(coalesce(ret_code, 0) != 0) FROM g2 GROUP BY node, pid, CASE WHEN x != 0 THEN x ELSE coalesce(g, 0) END "
		"ORDER BY node, pid, min(start)", B, E, I, B, E, I, L, I);
	sqlite3_stmt *st = rep_prep(r, q);
	free(q);
	fputs("<section id=\"graphs\"><h2>CUDA graph lifecycle</h2>\n<p class=\"hint\">Per graph: its captures "
	      "(begin, end), instantiations (graph to executable) and launches of the executable. Re-instantiation "
	      "in steady state costs host time every step.</p>\n<table class=\"sortable\"><thead><tr><th>node</th>"
	      "<th data-type=\"num\">pid</th><th>executable</th><th>graph</th><th data-type=\"num\">captures begun</th>"
	      "<th data-type=\"num\">ended</th><th data-type=\"num\">instantiations</th><th data-type=\"num\">launches</th>"
	      "<th data-type=\"num\">instantiate time</th><th data-type=\"num\">first</th><th data-type=\"num\">last</th>"
	      "<th data-type=\"num\">errors</th></tr></thead><tbody>\n", f);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char b[IG_DUR_BUF];
		fputs("<tr><td>", f);
		rep_html(f, rep_col(st, 0));
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td><code>0x%" PRIx64 "</code></td><td><code>0x%" PRIx64
			"</code></td>", rep_i64(st, 1), (uint64_t)rep_i64(st, 3), (uint64_t)rep_i64(st, 2));
		for (int k = 4; k <= 7; k++)
			fprintf(f, "<td class=\"num\">%" PRId64 "</td>", rep_i64(st, k));
		fprintf(f, "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td>", rep_i64(st, 10),
			rep_dur(rep_i64(st, 10), b, sizeof b));
		fprintf(f, "<td class=\"num\">+%.3f s</td><td class=\"num\">+%.3f s</td><td class=\"num\">%" PRId64 "</td></tr>\n",
			(double)(rep_i64(st, 8) - r->t0) / 1e9, (double)(rep_i64(st, 9) - r->t0) / 1e9,
			rep_i64(st, 11));
	}
	sqlite3_finalize(st);
	fputs("</tbody></table></section>\n", f);
}

/* one capability: present or not, what it gives, what its absence means */
