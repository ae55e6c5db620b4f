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

const char *rep_utc(int64_t ns, char *b, size_t n)
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

const char *rep_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

int64_t rep_i64(sqlite3_stmt *st, int i)
{
	return (int64_t)sqlite3_column_int64(st, i);
}

sqlite3_stmt *rep_prep(struct rep *r, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		ig_warning("query failed: %s", sqlite3_errmsg(r->db));
		return NULL;
	}
	return st;
}

int64_t rep_count(struct rep *r, const char *table, const char *where)
{
	if (!ig_db_has_table(r->db, "main", table))
		return -1;
	char *q = xasprintf("SELECT count(*) FROM %s%s%s", table, where ? " WHERE " : "", where ? where : "");
	int64_t n = ig_db_int(r->db, q, 0);
	free(q);
	return n;
}

/* a JSON array of strings (recommendations) as <li> items */
void rep_json_list(FILE *f, const char *js, int max)
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


static void sec_verdict(struct rep *r)
{
	FILE *f = r->f;
	int steps = r->has_steps && ig_db_has_table(r->db, "main", "step_findings");
	char *q = xasprintf("SELECT 'chain', id, severity, summary, root_cause, culprit_comm, culprit_pid, "
			    "recommendations, impact_share, " SEV_ORDER " AS so FROM causal_chains %s "
			    "ORDER BY so, impact_share DESC, id LIMIT 8",
			    steps ? "UNION ALL SELECT 'step', id, severity, summary, root_cause, culprit_comm, "
				    "culprit_pid, recommendations, impact_share, " SEV_ORDER " FROM step_findings" : "");
	sqlite3_stmt *st = rep_prep(r, q);
	free(q);
	int64_t nch = rep_count(r, "causal_chains", NULL), nsf = steps ? rep_count(r, "step_findings", NULL) : 0;
	int64_t nhigh = rep_count(r, "causal_chains", "severity = 'HIGH'") +
			(steps ? rep_count(r, "step_findings", "severity = 'HIGH'") : 0);
	int64_t nmed = rep_count(r, "causal_chains", "severity = 'MEDIUM'") +
		       (steps ? rep_count(r, "step_findings", "severity = 'MEDIUM'") : 0);
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
		const char *sev = rep_col(st, 2);
		char rb[512], pct[32];
		snprintf(pct, sizeof pct, "%.1f%%", sqlite3_column_double(st, 8) * 100);
		fprintf(f, "<li class=\"finding sev-%s\" data-kind=\"%s\" data-id=\"", sev, rep_col(st, 0));
		rep_html(f, rep_col(st, 1));
		fprintf(f, "\"><span class=\"sev\">%s</span> <b>", sev);
		rep_html(f, rep_col(st, 3));
		fputs("</b><div class=\"cause\">Cause: ", f);
		rep_html(f, rep_col(st, 4));
		fputs("</div>", f);
		if (*rep_col(st, 5)) {
			fputs("<div>Culprit: ", f);
			rep_html(f, rep_col(st, 5));
			if (sqlite3_column_type(st, 6) != SQLITE_NULL)
				fprintf(f, " (pid %" PRId64 ")", rep_i64(st, 6));
			fputs("</div>", f);
		}
		if (*first_rec(rep_col(st, 7), rb, sizeof rb)) {
			fputs("<div>Fix: <code>", f);
			rep_html(f, rb);
			fputs("</code></div>", f);
		}
		fprintf(f, "<div class=\"meta\">%s of wall time lost &middot; <a href=\"#%s-", pct,
			strcmp(rep_col(st, 0), "step") ? "chain" : "step");
		rep_html(f, rep_col(st, 1));
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
	int legacy = rep_count(r, "inputs", "kind LIKE 'legacy%'") > 0;
	fputs("<section id=\"manifest\"><h2>What this recording contains</h2>\n<ul class=\"caps\">\n", f);
	int64_t n = src_count(r, INGERO_SRC_CUDA, -1);
	snprintf(d, sizeof d, "%" PRId64 " calls", n);
	cap(f, n > 0, "CUDA runtime calls", d, "none: no libcudart uprobes (static CUDA runtime, or no CUDA process)");
	n = src_count(r, INGERO_SRC_DRIVER, -1);
	snprintf(d, sizeof d, "%" PRId64 " calls", n);
	cap(f, n > 0, "CUDA driver calls", d, "none: libcuda not probed (runtime-only view)");
	n = rep_count(r, "offcpu", NULL);
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
	n = rep_count(r, "system_snapshots", NULL);
	snprintf(d, sizeof d, "%" PRId64 " snapshots (CPU, memory, swap, load)", n);
	cap(f, n > 0, "System metrics", d, "none: CPU / memory pressure unknown");
	n = rep_count(r, "gpu_snapshots", NULL);
	snprintf(d, sizeof d, "%" PRId64 " NVML snapshots (utilization, clocks, throttling)", n);
	cap(f, n > 0, "GPU counters (NVML)", d, "no NVML: GPU utilization and throttling unknown");
	n = rep_count(r, "stack_traces", NULL);
	snprintf(d, sizeof d, "%" PRId64 " distinct stacks", n);
	cap(f, n > 0, "Stack traces", d, "none: calls cannot be tied to code");
	n = rep_count(r, "nccl_collectives", NULL);
	snprintf(d, sizeof d, "%" PRId64 " collective calls", n);
	cap(f, n > 0, "NCCL", d, "none: no collectives (single GPU, or NCCL not probed)");
	n = rep_count(r, "graph_events", NULL);
	snprintf(d, sizeof d, "%" PRId64 " graph events", n);
	cap(f, n > 0, "CUDA graphs", d, "none: no graph capture / launch seen");
	n = rep_count(r, "nodes", NULL);
	int64_t ncc = rep_count(r, "clock_corrections", "method != 'reference'");
	snprintf(d, sizeof d, "%" PRId64 " nodes, %" PRId64 " clock corrections applied", n, ncc > 0 ? ncc : 0);
	cap(f, n > 1, "Multi-node", d, "one node: no cross-node view");
	n = r->has_steps ? rep_count(r, "steps", NULL) : 0;
	snprintf(d, sizeof d, "%" PRId64 " steps detected", n);
	cap(f, n > 0, "Training / inference steps", d,
	    r->has_steps ? "no step boundaries found (no periodic synchronization)"
			 : "this analysis has no step tables (older engine): step plots unavailable");
	n = rep_count(r, "lost_events", NULL) > 0 ? ig_db_int(r->db, "SELECT coalesce(sum(count), 0) FROM lost_events", 0) : 0;
	snprintf(d, sizeof d, "%" PRId64 " events lost by the recorder: counts and percentiles are lower bounds", n);
	cap(f, n == 0, "Complete (no lost events)", "every event the probes saw was recorded", d);
	n = rep_count(r, "sampling_rates", NULL);
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
	fprintf(f, "</code></dd><dt>Time range</dt><dd>%s &ndash; %s (%s)</dd>", rep_utc(r->t0, t1, sizeof t1),
		rep_utc(r->t1, t2, sizeof t2), rep_dur(r->t1 - r->t0, b, sizeof b));
	char *v = ig_db_info(r->db, "ingero_c_version");
	fputs("<dt>Analyzed by</dt><dd>ingero-analyze ", f);
	rep_html(f, v ? v : "?");
	free(v);
	v = ig_db_info(r->db, "created_from");
	fputs(" from <code>", f);
	rep_html(f, v ? v : "?");
	free(v);
	fputs("</code>; report by " PROG " " INGERO_VERSION "</dd></dl>\n", f);
	sqlite3_stmt *st = rep_prep(r, "SELECT path, kind, events, warnings, last_warning FROM inputs ORDER BY id");
	fputs("<h3>Inputs</h3><table><thead><tr><th>path</th><th>kind</th><th>events</th><th>warnings</th></tr></thead><tbody>", f);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		fputs("<tr><td><code>", f);
		rep_html(f, rep_col(st, 0));
		fputs("</code></td><td>", f);
		rep_html(f, rep_col(st, 1));
		fprintf(f, "</td><td class=\"num\">%" PRId64 "</td><td>%" PRId64, rep_i64(st, 2),
			rep_i64(st, 3));
		if (*rep_col(st, 4)) {
			fputs(" (last: ", f);
			rep_html(f, rep_col(st, 4));
			fputs(")", f);
		}
		fputs("</td></tr>", f);
	}
	sqlite3_finalize(st);
	fputs("</tbody></table>\n", f);
	st = rep_prep(r, "SELECT n.name, n.host, n.kernel, n.boot_id, n.rank, n.recorder, n.first_ts, n.last_ts, n.events, "
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
			rep_html(f, rep_col(st, k));
			fputs("</td>", f);
		}
		fputs("<td>", f);
		rep_html(f, rep_col(st, 4));
		fputs("</td><td>", f);
		rep_html(f, rep_col(st, 5));
		fputs("</td><td>", f);
		rep_html(f, rep_col(st, 10));
		fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"num\">%" PRId64 "</td><td><code>",
			rep_utc(rep_i64(st, 6), t1, sizeof t1), rep_utc(rep_i64(st, 7), t2, sizeof t2),
			rep_i64(st, 8));
		rep_html(f, rep_col(st, 9));
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
	fprintf(f, "</h1>\n<p class=\"sub\">%s, %s, %" PRId64 " node(s), %" PRId64 " events</p>\n", rep_utc(r->t0, t1, sizeof t1),
		rep_dur(r->t1 - r->t0, b, sizeof b), rep_count(r, "nodes", NULL),
		ig_db_int(r->db, "SELECT coalesce(sum(events), 0) FROM nodes", 0));
	fputs("<nav><a href=\"#verdict\">Verdict</a> <a href=\"#timeline\">Timeline</a> <a href=\"#chains\">Chains</a> "
	      "<a href=\"#ops\">Ops</a> <a href=\"#procs\">Processes</a> <a href=\"#manifest\">Contents</a> "
	      "<a href=\"#provenance\">Provenance</a></nav></header>\n<main>\n", f);
	sec_verdict(r);
	sec_timeline(r);
	rep_sec_chains(r);
	rep_sec_step_findings(r);
	rep_sec_ops(r);
	rep_sec_procs(r);
	rep_sec_nccl(r);
	rep_sec_graphs(r);
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
