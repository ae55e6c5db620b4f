/*
 * ingero-report - one self-contained HTML file (no network at view time)
 * that shows what happened in a recording: verdict, timeline plots on one
 * shared time axis, causal chains, per-op / per-process tables, NCCL and
 * CUDA graph sections, what the recording lacks, and where it came from.
 * Text sections are static HTML (readable and printable without scripts);
 * the embedded script draws the plots from a JSON island and sorts tables.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "ingero.h"
#include "db.h"
#include "report.h"

#define PROG "ingero-report"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ingero-report INPUT -o report.html [--force] [--title TEXT] [-q]\n"
"\n"
"Writes one self-contained HTML file: verdict (top findings), timeline plots\n"
"on a shared time axis (drag to zoom, hover for values), causal chains,\n"
"per-op and per-process tables, NCCL lateness and clock corrections, CUDA\n"
"graph lifecycle, what the recording lacks, and its provenance.  It needs no\n"
"network: open it from disk or attach it to a ticket.\n"
"\n"
"INPUT: an analysis database (ingero-analyze -o), a recording directory,\n"
"segment, merged recording, bundle, '-' or an original Ingero .db (these are\n"
"analyzed first with ingero-analyze into a scratch database).\n"
"\n"
"  -o, --output FILE   the HTML file ('-' = stdout)\n"
"      --force         replace an existing FILE\n"
"      --title TEXT    page title (default: the input's name)\n"
"  -q, --quiet         no warnings\n"
"      --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"Examples:\n"
"  ingero-report rec/ -o report.html\n"
"  ingero-report job.db -o job.html --force\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* ------------------------------------------------------------- helpers */

void rep_html(FILE *f, const char *s)
{
	if (!s)
		return;
	char *u = ig_utf8_sanitize(s);
	for (const char *p = u; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
				fputc(' ', f);
			else
				fputc(*p, f);
		}
	}
	free(u);
}

const char *rep_dur(int64_t ns, char *b, size_t n)
{
	return ig_fmt_duration(ns, b, n);
}

static const char *utc(int64_t ns, char *b, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(b, n, "%" PRId64, ns);
		return b;
	}
	size_t k = strftime(b, n, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(b + k, n - k, ".%03d UTC", (int)((ns % 1000000000) / 1000000));
	return b;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

static int64_t ci64(sqlite3_stmt *st, int i)
{
	return (int64_t)sqlite3_column_int64(st, i);
}

static sqlite3_stmt *prep(struct rep *r, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		ig_warning("query failed: %s", sqlite3_errmsg(r->db));
		return NULL;
	}
	return st;
}

static int64_t count(struct rep *r, const char *table, const char *where)
{
	if (!ig_db_has_table(r->db, "main", table))
		return -1;
	char *q = xasprintf("SELECT count(*) FROM %s%s%s", table, where ? " WHERE " : "", where ? where : "");
	int64_t n = ig_db_int(r->db, q, 0);
	free(q);
	return n;
}

/* a JSON array of strings (recommendations) as <li> items */
static void json_list(FILE *f, const char *js, int max)
{
	json_object *a = js && *js ? json_tokener_parse(js) : NULL;
	if (!a || !json_object_is_type(a, json_type_array)) {
		if (js && *js && !a) {
			fputs("<li>", f);
			rep_html(f, js);
			fputs("</li>", f);
		}
		json_object_put(a);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(a) && (max <= 0 || (int)i < max); i++) {
		fputs("<li>", f);
		rep_html(f, json_object_get_string(json_object_array_get_idx(a, i)));
		fputs("</li>", f);
	}
	json_object_put(a);
}

static const char *first_rec(const char *js, char *b, size_t n)
{
	*b = 0;
	json_object *a = js && *js ? json_tokener_parse(js) : NULL;
	if (a && json_object_is_type(a, json_type_array) && json_object_array_length(a))
		snprintf(b, n, "%s", json_object_get_string(json_object_array_get_idx(a, 0)));
	json_object_put(a);
	return b;
}

/* ------------------------------------------------------------ sections */

#define SEV_ORDER "CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END"

static void sec_verdict(struct rep *r)
{
	FILE *f = r->f;
	int steps = r->has_steps && ig_db_has_table(r->db, "main", "step_findings");
	char *q = xasprintf("SELECT 'chain', id, severity, summary, root_cause, culprit_comm, culprit_pid, "
			    "recommendations, impact_share, " SEV_ORDER " AS so FROM causal_chains %s "
			    "ORDER BY so, impact_share DESC, id LIMIT 8",
			    steps ? "UNION ALL SELECT 'step', id, severity, summary, root_cause, culprit_comm, "
				    "culprit_pid, recommendations, impact_share, " SEV_ORDER " FROM step_findings" : "");
	sqlite3_stmt *st = prep(r, q);
	free(q);
	int64_t nch = count(r, "causal_chains", NULL), nsf = steps ? count(r, "step_findings", NULL) : 0;
	int64_t nhigh = count(r, "causal_chains", "severity = 'HIGH'") +
			(steps ? count(r, "step_findings", "severity = 'HIGH'") : 0);
	int64_t nmed = count(r, "causal_chains", "severity = 'MEDIUM'") +
		       (steps ? count(r, "step_findings", "severity = 'MEDIUM'") : 0);
	char what[128];
	if (steps)
		snprintf(what, sizeof what, " (%" PRId64 " causal chain(s), %" PRId64 " step finding(s))", nch, nsf);
	else
		snprintf(what, sizeof what, " (causal chains)");
	fputs("<section id=\"verdict\"><h2>Verdict</h2>\n", f);
	if (nhigh > 0 || nmed > 0)
		fprintf(f, "<p class=\"headline bad\">%" PRId64 " finding(s)%s: %" PRId64 " HIGH, %" PRId64
			" MEDIUM. The top ones:</p>\n", nch + nsf, what, nhigh, nmed);
	else if (nch + nsf > 0)
		fprintf(f, "<p class=\"headline ok\">No HIGH or MEDIUM finding; %" PRId64
			" LOW finding(s)%s: minor tails.</p>\n", nch + nsf, what);
	else
		fputs("<p class=\"headline ok\">No finding: no slow-call tail with a host cause, no slow step.</p>\n", f);
	fputs("<ol class=\"findings\">\n", f);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *sev = col(st, 2);
		char rb[512], pct[32];
		snprintf(pct, sizeof pct, "%.1f%%", sqlite3_column_double(st, 8) * 100);
		fprintf(f, "<li class=\"finding sev-%s\" data-kind=\"%s\" data-id=\"", sev, col(st, 0));
		rep_html(f, col(st, 1));
		fprintf(f, "\"><span class=\"sev\">%s</span> <b>", sev);
		rep_html(f, col(st, 3));
		fputs("</b><div class=\"cause\">Cause: ", f);
		rep_html(f, col(st, 4));
		fputs("</div>", f);
		if (*col(st, 5)) {
			fputs("<div>Culprit: ", f);
			rep_html(f, col(st, 5));
			if (sqlite3_column_type(st, 6) != SQLITE_NULL)
				fprintf(f, " (pid %" PRId64 ")", ci64(st, 6));
			fputs("</div>", f);
		}
		if (*first_rec(col(st, 7), rb, sizeof rb)) {
			fputs("<div>Fix: <code>", f);
			rep_html(f, rb);
			fputs("</code></div>", f);
		}
		fprintf(f, "<div class=\"meta\">%s of wall time lost &middot; <a href=\"#%s-", pct,
			strcmp(col(st, 0), "step") ? "chain" : "step");
		rep_html(f, col(st, 1));
		fputs("\">details</a></div></li>\n", f);
	}
	sqlite3_finalize(st);
	fputs("</ol></section>\n", f);
}

static void sec_timeline(struct rep *r)
{
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n"
	      "<p class=\"hint\">One time axis for every plot (seconds from the start). Drag across a plot to "
	      "zoom, double-click to reset, hover for values. Shaded: the findings' windows (red HIGH, amber "
	      "MEDIUM, gray LOW).</p>\n<div id=\"plots\"></div>\n"
	      "<noscript><p>The plots need JavaScript; every table below works without it.</p></noscript>\n"
	      "</section>\n", r->f);
}

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

static void sec_chains(struct rep *r)
{
	FILE *f = r->f;
	sqlite3_stmt *st = prep(r, "SELECT id, severity, kind, summary, root_cause, explanation, recommendations, "
			       "cuda_op, cuda_p50_us, cuda_p99_us, timeline, node, window_start, window_end, impact_ns, "
			       "impact_share, culprit_comm, culprit_pid, pid, slow_calls FROM causal_chains "
			       "ORDER BY " SEV_ORDER ", impact_share DESC, id");
	fprintf(f, "<section id=\"chains\"><h2>Causal chains (%" PRId64 ")</h2>\n", count(r, "causal_chains", NULL));
	int n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char b1[IG_DUR_BUF], b2[IG_DUR_BUF], t1[48], t2[48];
		n++;
		fputs("<article class=\"chain\" id=\"chain-", f);
		rep_html(f, col(st, 0));
		fputs("\" data-chain-id=\"", f);
		rep_html(f, col(st, 0));
		fprintf(f, "\"><h3><span class=\"sev sev-%s\">%s</span> ", col(st, 1), col(st, 1));
		rep_html(f, col(st, 3));
		fputs("</h3>\n<dl><dt>Chain</dt><dd><code>", f);
		rep_html(f, col(st, 0));
		fputs("</code> (", f);
		rep_html(f, col(st, 2));
		fputs(")</dd><dt>Root cause</dt><dd>", f);
		rep_html(f, col(st, 4));
		fputs("</dd>", f);
		if (*col(st, 5) && strcmp(col(st, 5), col(st, 4))) {
			fputs("<dt>Explanation</dt><dd>", f);
			rep_html(f, col(st, 5));
			fputs("</dd>", f);
		}
		fprintf(f, "<dt>Impact</dt><dd>%s excess, %.1f%% of wall time; %d slow calls</dd>",
			rep_dur(ci64(st, 14), b1, sizeof b1), sqlite3_column_double(st, 15) * 100,
			sqlite3_column_int(st, 19));
		if (*col(st, 7)) {
			fputs("<dt>Op</dt><dd>", f);
			rep_html(f, col(st, 7));
			fprintf(f, ": p50 %s, p99 %s</dd>", rep_dur(ci64(st, 8) * 1000, b1, sizeof b1),
				rep_dur(ci64(st, 9) * 1000, b2, sizeof b2));
		}
		if (ci64(st, 13) > ci64(st, 12))
			fprintf(f, "<dt>Window</dt><dd>%s &ndash; %s (+%.3f s &ndash; +%.3f s)</dd>",
				utc(ci64(st, 12), t1, sizeof t1), utc(ci64(st, 13), t2, sizeof t2),
				(double)(ci64(st, 12) - r->t0) / 1e9,
				(double)(ci64(st, 13) - r->t0) / 1e9);
		fputs("<dt>Where</dt><dd>node ", f);
		rep_html(f, col(st, 11));
		if (sqlite3_column_type(st, 18) != SQLITE_NULL)
			fprintf(f, ", affected pid %" PRId64, ci64(st, 18));
		if (*col(st, 16)) {
			fputs(", culprit ", f);
			rep_html(f, col(st, 16));
			if (sqlite3_column_type(st, 17) != SQLITE_NULL)
				fprintf(f, " (pid %" PRId64 ")", ci64(st, 17));
		}
		fputs("</dd></dl>\n", f);
		chain_timeline(f, col(st, 10));
		fputs("<p>Fix:</p><ul class=\"recs\">", f);
		json_list(f, col(st, 6), 0);
		fputs("</ul></article>\n", f);
	}
	sqlite3_finalize(st);
	if (!n)
		fputs("<p>None.</p>\n", f);
	fputs("</section>\n", f);
}

static void sec_step_findings(struct rep *r)
{
	if (!r->has_steps || !ig_db_has_table(r->db, "main", "step_findings"))
		return;
	FILE *f = r->f;
	sqlite3_stmt *st = prep(r, "SELECT id, kind, severity, summary, root_cause, start, duration, lost_ns, "
			       "impact_share, culprit_comm, culprit_pid, recommendations, node, pid FROM step_findings "
			       "ORDER BY " SEV_ORDER ", impact_share DESC, id");
	fprintf(f, "<section id=\"step-findings\"><h2>Step findings (%" PRId64 ")</h2>\n",
		count(r, "step_findings", NULL));
	int n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char b1[IG_DUR_BUF], b2[IG_DUR_BUF];
		fputs("<article class=\"chain step\" id=\"step-", f);
		rep_html(f, col(st, 0));
		fputs("\" data-step-finding=\"", f);
		rep_html(f, col(st, 0));
		fprintf(f, "\"><h3><span class=\"sev sev-%s\">%s</span> ", col(st, 2), col(st, 2));
		rep_html(f, col(st, 3));
		fputs("</h3><dl><dt>Kind</dt><dd>", f);
		rep_html(f, col(st, 1));
		fputs("</dd><dt>Root cause</dt><dd>", f);
		rep_html(f, col(st, 4));
		fprintf(f, "</dd><dt>Window</dt><dd>+%.3f s, %s; %s lost (%.1f%% of wall time)</dd>",
			(double)(ci64(st, 5) - r->t0) / 1e9, rep_dur(ci64(st, 6), b1, sizeof b1),
			rep_dur(ci64(st, 7), b2, sizeof b2), sqlite3_column_double(st, 8) * 100);
		if (*col(st, 9)) {
			fputs("<dt>Culprit</dt><dd>", f);
			rep_html(f, col(st, 9));
			fprintf(f, " (pid %" PRId64 ")</dd>", ci64(st, 10));
		}
		fputs("</dl><ul class=\"recs\">", f);
		json_list(f, col(st, 11), 0);
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

static void sec_ops(struct rep *r)
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

static void sec_procs(struct rep *r)
{
	FILE *f = r->f;
	qsort(r->procs, r->nprocs, sizeof *r->procs, cmp_proc);
	sqlite3_stmt *st = prep(r, "SELECT coalesce((SELECT comm FROM processes p WHERE p.node = ?1 AND p.pid = ?2), "
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
				name = col(st, 0);
				cmd = col(st, 1);
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

static void sec_nccl(struct rep *r)
{
	FILE *f = r->f;
	int64_t ncoll = count(r, "nccl_collectives", NULL), ncc = count(r, "clock_corrections", NULL);
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
		sqlite3_stmt *st = prep(r, "SELECT node, method, offset_ns, drift_ppb, confidence_ns, samples "
				       "FROM clock_corrections ORDER BY node");
		fputs("<h3>Clock corrections applied (ingero-merge)</h3>\n<table class=\"sortable\" id=\"clock\"><thead>"
		      "<tr><th>node</th><th>method</th><th data-type=\"num\">offset</th><th data-type=\"num\">drift</th>"
		      "<th data-type=\"num\">confidence</th><th data-type=\"num\">samples</th></tr></thead><tbody>\n", f);
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			char b1[IG_DUR_BUF], b2[IG_DUR_BUF];
			fputs("<tr><td>", f);
			rep_html(f, col(st, 0));
			fputs("</td><td>", f);
			rep_html(f, col(st, 1));
			fprintf(f, "</td><td class=\"num\" data-v=\"%" PRId64 "\">%s</td><td class=\"num\" data-v=\"%.3f\">"
				"%.2f ppm</td><td class=\"num\" data-v=\"%.0f\">&plusmn;%s</td><td class=\"num\">%d</td></tr>\n",
				ci64(st, 2), rep_dur(ci64(st, 2), b1, sizeof b1),
				sqlite3_column_double(st, 3), sqlite3_column_double(st, 3) / 1000,
				sqlite3_column_double(st, 4), rep_dur((int64_t)sqlite3_column_double(st, 4), b2, sizeof b2),
				sqlite3_column_int(st, 5));
		}
		sqlite3_finalize(st);
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
}

static void sec_graphs(struct rep *r)
{
	if (count(r, "graph_events", NULL) <= 0)
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
	sqlite3_stmt *st = prep(r, q);
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
		rep_html(f, col(st, 0));
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td><code>0x%" PRIx64 "</code></td><td><code>0x%" PRIx64
			"</code></td>", ci64(st, 1), (uint64_t)ci64(st, 3), (uint64_t)ci64(st, 2));
		for (int k = 4; k <= 7; k++)
			fprintf(f, "<td class=\"num\">%" PRId64 "</td>", ci64(st, k));
		fprintf(f, "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td>", ci64(st, 10),
			rep_dur(ci64(st, 10), b, sizeof b));
		fprintf(f, "<td class=\"num\">+%.3f s</td><td class=\"num\">+%.3f s</td><td class=\"num\">%" PRId64 "</td></tr>\n",
			(double)(ci64(st, 8) - r->t0) / 1e9, (double)(ci64(st, 9) - r->t0) / 1e9,
			ci64(st, 11));
	}
	sqlite3_finalize(st);
	fputs("</tbody></table></section>\n", f);
}

/* one capability: present or not, what it gives, what its absence means */
static void cap(FILE *f, int have, const char *what, const char *detail_have, const char *lacks)
{
	fprintf(f, "<li class=\"cap %s\" data-have=\"%d\"><b>", have ? "have" : "lack", have);
	rep_html(f, what);
	fputs("</b>: ", f);
	rep_html(f, have ? detail_have : lacks);
	fputs("</li>\n", f);
}

static int64_t src_count(struct rep *r, int source, int op)
{
	int64_t n = 0;
	for (size_t i = 0; i < r->nops; i++)
		if (r->ops[i].source == source && (op < 0 || r->ops[i].op == op))
			n += (int64_t)r->ops[i].n;
	return n;
}

static void sec_manifest(struct rep *r)
{
	FILE *f = r->f;
	char d[256];
	int legacy = count(r, "inputs", "kind LIKE 'legacy%'") > 0;
	fputs("<section id=\"manifest\"><h2>What this recording contains</h2>\n<ul class=\"caps\">\n", f);
	int64_t n = src_count(r, INGERO_SRC_CUDA, -1);
	snprintf(d, sizeof d, "%" PRId64 " calls", n);
	cap(f, n > 0, "CUDA runtime calls", d, "none: no libcudart uprobes (static CUDA runtime, or no CUDA process)");
	n = src_count(r, INGERO_SRC_DRIVER, -1);
	snprintf(d, sizeof d, "%" PRId64 " calls", n);
	cap(f, n > 0, "CUDA driver calls", d, "none: libcuda not probed (runtime-only view)");
	n = count(r, "offcpu", NULL);
	snprintf(d, sizeof d, "%" PRId64 " off-CPU intervals of traced threads", n);
	cap(f, n > 0, "Scheduler (sched_switch)", d, "no off-CPU data: preemption and blocking cannot be attributed");
	n = src_count(r, INGERO_SRC_HOST, INGERO_HOST_SCHED_WAKEUP);
	snprintf(d, sizeof d, "%" PRId64 " wakeups", n);
	cap(f, n > 0, "Wakeups (sched_wakeup)", d,
	    legacy ? "original .db: no wakeups (who woke a blocked thread is unknown)"
		   : "no wakeups recorded: who woke a blocked thread is unknown");
	n = src_count(r, INGERO_SRC_IO, -1);
	snprintf(d, sizeof d, "%" PRId64 " block I/O requests", n);
	cap(f, n > 0, "Block I/O", d, "none: I/O stalls show only as blocked time");
	n = src_count(r, INGERO_SRC_NET, -1) + src_count(r, INGERO_SRC_TCP, -1);
	snprintf(d, sizeof d, "%" PRId64 " network events", n);
	cap(f, n > 0, "Network", d, "none recorded");
	n = count(r, "system_snapshots", NULL);
	snprintf(d, sizeof d, "%" PRId64 " snapshots (CPU, memory, swap, load)", n);
	cap(f, n > 0, "System metrics", d, "none: CPU / memory pressure unknown");
	n = count(r, "gpu_snapshots", NULL);
	snprintf(d, sizeof d, "%" PRId64 " NVML snapshots (utilization, clocks, throttling)", n);
	cap(f, n > 0, "GPU counters (NVML)", d, "no NVML: GPU utilization and throttling unknown");
	n = count(r, "stack_traces", NULL);
	snprintf(d, sizeof d, "%" PRId64 " distinct stacks", n);
	cap(f, n > 0, "Stack traces", d, "none: calls cannot be tied to code");
	n = count(r, "nccl_collectives", NULL);
	snprintf(d, sizeof d, "%" PRId64 " collective calls", n);
	cap(f, n > 0, "NCCL", d, "none: no collectives (single GPU, or NCCL not probed)");
	n = count(r, "graph_events", NULL);
	snprintf(d, sizeof d, "%" PRId64 " graph events", n);
	cap(f, n > 0, "CUDA graphs", d, "none: no graph capture / launch seen");
	n = count(r, "nodes", NULL);
	int64_t ncc = count(r, "clock_corrections", "method != 'reference'");
	snprintf(d, sizeof d, "%" PRId64 " nodes, %" PRId64 " clock corrections applied", n, ncc > 0 ? ncc : 0);
	cap(f, n > 1, "Multi-node", d, "one node: no cross-node view");
	n = r->has_steps ? count(r, "steps", NULL) : 0;
	snprintf(d, sizeof d, "%" PRId64 " steps detected", n);
	cap(f, n > 0, "Training / inference steps", d,
	    r->has_steps ? "no step boundaries found (no periodic synchronization)"
			 : "this analysis has no step tables (older engine): step plots unavailable");
	n = count(r, "lost_events", NULL) > 0 ? ig_db_int(r->db, "SELECT coalesce(sum(count), 0) FROM lost_events", 0) : 0;
	snprintf(d, sizeof d, "%" PRId64 " events lost by the recorder: counts and percentiles are lower bounds", n);
	cap(f, n == 0, "Complete (no lost events)", "every event the probes saw was recorded", d);
	n = count(r, "sampling_rates", NULL);
	snprintf(d, sizeof d, "%" PRId64 " sampling-rate changes: some ops were sampled 1-in-N", n);
	cap(f, n <= 0, "Unsampled", "every call recorded", d);
	fputs("</ul></section>\n", f);
}

static void sec_provenance(struct rep *r, const char *input, int argc, char **argv)
{
	FILE *f = r->f;
	char t1[48], t2[48], b[IG_DUR_BUF];
	fputs("<section id=\"provenance\"><h2>Provenance</h2>\n<dl>", f);
	fputs("<dt>Input</dt><dd><code>", f);
	rep_html(f, input);
	fputs("</code></dd><dt>Report command</dt><dd><code>", f);
	for (int i = 0; i < argc; i++) {
		if (i)
			fputc(' ', f);
		rep_html(f, i ? argv[i] : PROG);
	}
	fprintf(f, "</code></dd><dt>Time range</dt><dd>%s &ndash; %s (%s)</dd>", utc(r->t0, t1, sizeof t1),
		utc(r->t1, t2, sizeof t2), rep_dur(r->t1 - r->t0, b, sizeof b));
	char *v = ig_db_info(r->db, "ingero_c_version");
	fputs("<dt>Analyzed by</dt><dd>ingero-analyze ", f);
	rep_html(f, v ? v : "?");
	free(v);
	v = ig_db_info(r->db, "created_from");
	fputs(" from <code>", f);
	rep_html(f, v ? v : "?");
	free(v);
	fputs("</code>; report by " PROG " " INGERO_VERSION "</dd></dl>\n", f);
	sqlite3_stmt *st = prep(r, "SELECT path, kind, events, warnings, last_warning FROM inputs ORDER BY id");
	fputs("<h3>Inputs</h3><table><thead><tr><th>path</th><th>kind</th><th>events</th><th>warnings</th></tr></thead><tbody>", f);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		fputs("<tr><td><code>", f);
		rep_html(f, col(st, 0));
		fputs("</code></td><td>", f);
		rep_html(f, col(st, 1));
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td>%" PRId64, ci64(st, 2),
			ci64(st, 3));
		if (*col(st, 4)) {
			fputs(" (last: ", f);
			rep_html(f, col(st, 4));
			fputs(")", f);
		}
		fputs("</td></tr>", f);
	}
	sqlite3_finalize(st);
	fputs("</tbody></table>\n", f);
	st = prep(r, "SELECT n.name, n.host, n.kernel, n.boot_id, n.rank, n.recorder, n.first_ts, n.last_ts, n.events, "
		  "coalesce((SELECT flags FROM sessions s WHERE s.node = n.name ORDER BY id LIMIT 1), ''), "
		  "coalesce((SELECT gpu_model FROM sessions s WHERE s.node = n.name ORDER BY id LIMIT 1), '') "
		  "FROM nodes n ORDER BY n.name");
	fputs("<h3>Nodes</h3><table><thead><tr><th>node</th><th>host</th><th>kernel</th><th>rank</th><th>recorder</th>"
	      "<th>GPU</th><th>first event</th><th>last event</th><th>events</th><th>recorder command line</th></tr>"
	      "</thead><tbody>", f);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		fputs("<tr>", f);
		for (int k = 0; k < 3; k++) {
			fputs("<td>", f);
			rep_html(f, col(st, k));
			fputs("</td>", f);
		}
		fputs("<td>", f);
		rep_html(f, col(st, 4));
		fputs("</td><td>", f);
		rep_html(f, col(st, 5));
		fputs("</td><td>", f);
		rep_html(f, col(st, 10));
		fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"num\">%" PRId64 "</td><td><code>",
			utc(ci64(st, 6), t1, sizeof t1), utc(ci64(st, 7), t2, sizeof t2),
			ci64(st, 8));
		rep_html(f, col(st, 9));
		fputs("</code></td></tr>", f);
	}
	sqlite3_finalize(st);
	fputs("</tbody></table></section>\n", f);
}

/* the JSON island: '<' never appears raw inside a script element */
static void write_json(FILE *f, const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt) {
			fwrite(p, 1, (size_t)(end - p), f);
			break;
		}
		fwrite(p, 1, (size_t)(lt - p), f);
		fputs("\\u003c", f);
		p = lt + 1;
	}
}

static int write_page(struct rep *r, const char *input, const char *title, int argc, char **argv)
{
	FILE *f = r->f;
	char t1[48], b[IG_DUR_BUF];
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"" PROG " " INGERO_VERSION "\">\n<title>Ingero report: ", f);
	rep_html(f, title);
	fputs("</title>\n<style>\n", f);
	fputs(rep_asset_css, f);
	fputs("</style></head>\n<body>\n<header><h1>Ingero report: ", f);
	rep_html(f, title);
	fprintf(f, "</h1>\n<p class=\"sub\">%s, %s, %" PRId64 " node(s), %" PRId64 " events</p>\n", utc(r->t0, t1, sizeof t1),
		rep_dur(r->t1 - r->t0, b, sizeof b), count(r, "nodes", NULL),
		ig_db_int(r->db, "SELECT coalesce(sum(events), 0) FROM nodes", 0));
	fputs("<nav><a href=\"#verdict\">Verdict</a> <a href=\"#timeline\">Timeline</a> <a href=\"#chains\">Chains</a> "
	      "<a href=\"#ops\">Ops</a> <a href=\"#procs\">Processes</a> <a href=\"#manifest\">Contents</a> "
	      "<a href=\"#provenance\">Provenance</a></nav></header>\n<main>\n", f);
	sec_verdict(r);
	sec_timeline(r);
	sec_chains(r);
	sec_step_findings(r);
	sec_ops(r);
	sec_procs(r);
	sec_nccl(r);
	sec_graphs(r);
	sec_manifest(r);
	sec_provenance(r, input, argc, argv);
	fputs("</main>\n<script type=\"application/json\" id=\"report-data\">", f);
	write_json(f, r->json, r->json_len);
	fputs("</script>\n<script>\n", f);
	fputs(rep_asset_js, f);
	fputs("</script>\n</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}

/* the span: the nodes' first/last events, else the events' */
static void span(struct rep *r)
{
	r->t0 = ig_db_int(r->db, "SELECT min(first_ts) FROM nodes", 0);
	r->t1 = ig_db_int(r->db, "SELECT max(last_ts) FROM nodes", 0);
	if (!r->t0 || r->t1 <= r->t0) {
		r->t0 = ig_db_int(r->db, "SELECT min(timestamp) FROM events", 0);
		r->t1 = ig_db_int(r->db, "SELECT max(timestamp + duration) FROM events", 0);
	}
	if (r->t1 <= r->t0)
		r->t1 = r->t0 + 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, 0, 'o'}, {"force", no_argument, 0, 'F'},
		{"title", required_argument, 0, 'T'}, {"quiet", no_argument, 0, 'q'},
		{"version", no_argument, 0, 'V'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *out_path = NULL, *title = NULL;
	char *title_own = NULL;
	int force = 0, o;
	ig_set_prog(PROG);
	while ((o = ig_getopt(argc, argv, "o:qh", lo, NULL)) != -1) {
		switch (o) {
		case 'o': out_path = optarg; break;
		case 'F': force = 1; break;
		case 'T': title = optarg; break;
		case 'q': ig_quiet++; break;
		case 'V': ig_print_version(); return ig_exit(0);
		case 'h': usage(stdout); return ig_exit(0);
		default: return IG_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return ig_usage_error("no input given");
	if (argc - optind > 1)
		return ig_usage_error("one input only (merge recordings first: ingero-merge)");
	if (!out_path)
		return ig_usage_error("no output given (-o report.html)");
	const char *input = argv[optind];
	if (!title) {
		const char *s = input + strlen(input);
		while (s > input && s[-1] == '/')
			s--;
		const char *e = s;
		while (s > input && s[-1] != '/')
			s--;
		title = title_own = xstrndup(s, (size_t)(e - s));
	}
	struct ig_out out = { 0 };
	struct ig_analysis an = { 0 };
	if (ig_out_open(&out, out_path, force ? IG_OUT_FORCE : 0) || ig_analysis_open_flags(&an, input, NULL, IG_ANALYSIS_IMPORT_ORIGINAL | IG_ANALYSIS_ENGINE)) {
		ig_out_abort(&out);
		free(title_own);
		return IG_EXIT_FAIL;
	}
	struct rep r = { 0 };
	int rc = IG_EXIT_FAIL;
	if (!(r.db = ig_db_open_ro(an.path)))
		goto done;
	if (ig_db_kind(r.db, "main") != IG_DB_OURS) {
		ig_error("%s: not an Ingero analysis database", input);
		goto done;
	}
	r.has_steps = ig_db_has_table(r.db, "main", "steps");
	span(&r);
	if (rep_scan(&r) || rep_plots_json(&r))
		goto done;
	rep_op_pcts(&r);
	r.f = out.f;
	if (write_page(&r, input, title, argc, argv)) {
		ig_error("%s: write error", out_path);
		goto done;
	}
	if (ig_out_commit(&out))
		goto done;
	rc = IG_EXIT_OK;
done:
	ig_out_abort(&out);
	rep_free(&r);
	if (r.db)
		sqlite3_close(r.db);
	ig_analysis_release(&an);
	free(title_own);
	return ig_exit(rc);
}
