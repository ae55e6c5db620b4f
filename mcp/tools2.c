/*
 * tools2.c - graph_lifecycle, graph_frequency, get_nodes, run_sql (through
 * export/sqlguard.c, ingero-sql's guard), get_check (the bundle's
 * check.json) and run_demo (a scenario into the private temp dir).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ingero.h"
#include "tools.h"

#define TX(st, i) ((const char *)sqlite3_column_text((st), (i)) ? (const char *)sqlite3_column_text((st), (i)) : "")

static char *graph_where(struct res *r, struct args *a)
{
	const char *node = NULL;
	int64_t pid;
	int ni;
	if (a_str(r, a, "node", &node) || a_int(r, a, "pid", -1, 0, INT32_MAX, &pid)) return NULL;
	if (node && a_node(r, node, &ni)) return NULL;
	char *w = sqlite3_mprintf("1");
	if (node) w = sqlite3_mprintf("%z AND node = %Q", w, node);
	if (pid >= 0) w = sqlite3_mprintf("%z AND pid = %lld", w, (long long)pid);
	return w;
}

static int no_graphs(struct res *r)
{
	/* the original tool's DBs keep graph calls only as events (source 8) */
	uint64_t n = 0;
	for (size_t i = 0; i < S.ix.nops; i++)
		if (S.ix.ops[i].source == INGERO_SRC_GRAPH) n += S.ix.ops[i].s.count;
	if (n)
		tp(r, "%llu CUDA graph events, but no graph_events table with graph handles in this DB (an original-tool "
		   "DB?): see get_trace_stats op=graphLaunch\n", (unsigned long long)n);
	else
		tp(r, "no CUDA graph events in this DB (the workload launched no graphs, or they were not traced)\n");
	JADD(r->sc, "execs", json_object_new_array());
	JADD(r->sc, "truncated", JB(0));
	return 0;
}

int t_graph_lifecycle(struct args *a, struct res *r)
{
	int64_t limit;
	char b[32], d1[IG_DUR_BUF], t1[40];
	char *w = graph_where(r, a);
	if (!w || a_int(r, a, "limit", 20, 1, 200, &limit)) { sqlite3_free(w); return -1; }
	json_object *ops = json_object_new_array();
	JADD(r->sc, "ops", ops);
	if (!has_rows("graph_events")) { sqlite3_free(w); return no_graphs(r); }
	sqlite3_stmt *st = NULL;
	char *q = sqlite3_mprintf("SELECT op, count(*), sum(coalesce(ret_code, 0) != 0), sum(duration), "
				  "count(DISTINCT graph), count(DISTINCT exec) FROM graph_events WHERE %s GROUP BY op ORDER BY op", w);
	tp(r, "graph calls:");
	if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_object *o = json_object_new_object();
			int op = sqlite3_column_int(st, 0);
			JADD(o, "op", mcp_str(mcp_op_name(INGERO_SRC_GRAPH, op, b, sizeof b)));
			JADD(o, "count", JI(sqlite3_column_int64(st, 1)));
			JADD(o, "failed", JI(sqlite3_column_int64(st, 2)));
			JADD(o, "total_ns", JI(sqlite3_column_int64(st, 3)));
			json_object_array_add(ops, o);
			tp(r, " %s %lld (%lld failed, %s)", mcp_op_name(INGERO_SRC_GRAPH, op, b, sizeof b),
			   (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
			   dur(sqlite3_column_int64(st, 3), d1));
		}
	tp(r, "\n");
	sqlite3_finalize(st);
	sqlite3_free(q);
	/* per executable graph: where it came from and how it was used */
	q = sqlite3_mprintf(
		"SELECT node, pid, exec, max(CASE WHEN op = %d THEN graph END), sum(op = %d), sum(op = %d), "
		"min(CASE WHEN op = %d THEN start END), max(CASE WHEN op = %d THEN start END), sum(coalesce(ret_code, 0) != 0), "
		"min(start) FROM graph_events WHERE %s AND exec IS NOT NULL AND exec != 0 GROUP BY node, pid, exec "
		"ORDER BY sum(op = %d) DESC, min(start) LIMIT %lld",
		INGERO_GRAPH_INSTANTIATE, INGERO_GRAPH_INSTANTIATE, INGERO_GRAPH_LAUNCH, INGERO_GRAPH_LAUNCH, INGERO_GRAPH_LAUNCH,
		w, INGERO_GRAPH_LAUNCH, (long long)limit + 1);
	json_object *ex = json_object_new_array();
	int64_t n = 0, never = 0, churn = 0;
	if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK) {
		tp(r, "executable graphs (exec: instantiated, launches, first..last launch):\n");
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n++ >= limit) break;
			json_object *o = json_object_new_object();
			int64_t inst = sqlite3_column_int64(st, 4), la = sqlite3_column_int64(st, 5);
			JADD(o, "node", mcp_str(TX(st, 0)));
			JADD(o, "pid", JI(sqlite3_column_int64(st, 1)));
			JADD(o, "exec", mcp_i64str(sqlite3_column_int64(st, 2)));
			JADD(o, "graph", sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : mcp_i64str(sqlite3_column_int64(st, 3)));
			JADD(o, "instantiations", JI(inst));
			JADD(o, "launches", JI(la));
			JADD(o, "first_launch_ns", sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : mcp_i64str(sqlite3_column_int64(st, 6)));
			JADD(o, "last_launch_ns", sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL : mcp_i64str(sqlite3_column_int64(st, 7)));
			JADD(o, "failed", JI(sqlite3_column_int64(st, 8)));
			if (!la) never++;
			if (inst > 1) churn++;
			json_object_array_add(ex, o);
			tp(r, "  %llx pid %lld: instantiated %lldx, %lld launches", (unsigned long long)sqlite3_column_int64(st, 2),
			   (long long)sqlite3_column_int64(st, 1), (long long)inst, (long long)la);
			if (la) tp(r, " %s", mcp_fmt_rel(sqlite3_column_int64(st, 6), t1, sizeof t1));
			if (la > 1) tp(r, "..%s", mcp_fmt_rel(sqlite3_column_int64(st, 7), t1, sizeof t1));
			if (sqlite3_column_int64(st, 8)) tp(r, ", %lld FAILED calls", (long long)sqlite3_column_int64(st, 8));
			if (!la) tp(r, " (never launched)");
			if (inst > 1) tp(r, " (re-instantiated: capture churn)");
			tp(r, "\n");
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	sqlite3_free(w);
	JADD(r->sc, "execs", ex);
	JADD(r->sc, "never_launched", JI(never));
	JADD(r->sc, "reinstantiated", JI(churn));
	JADD(r->sc, "truncated", JB(n > limit));
	if (n > limit) tp(r, "(cut at limit %lld)\n", (long long)limit);
	return 0;
}

int t_graph_frequency(struct args *a, struct res *r)
{
	int64_t limit;
	char d1[IG_DUR_BUF], d2[IG_DUR_BUF];
	char *w = graph_where(r, a);
	if (!w || a_int(r, a, "limit", 20, 1, 200, &limit)) { sqlite3_free(w); return -1; }
	if (!has_rows("graph_events")) { sqlite3_free(w); return no_graphs(r); }
	char *q = sqlite3_mprintf(
		"SELECT node, pid, exec, count(*), min(start), max(start), avg(gap), max(gap) FROM "
		"(SELECT node, pid, exec, start, start - lag(start) OVER (PARTITION BY node, pid, exec ORDER BY start) AS gap "
		" FROM graph_events WHERE %s AND op = %d AND exec IS NOT NULL) GROUP BY node, pid, exec "
		"ORDER BY count(*) DESC, min(start) LIMIT %lld", w, INGERO_GRAPH_LAUNCH, (long long)limit + 1);
	sqlite3_free(w);
	sqlite3_stmt *st = NULL;
	json_object *ex = json_object_new_array();
	int64_t n = 0;
	if (sqlite3_prepare_v2(S.db, q, -1, &st, NULL) == SQLITE_OK) {
		tp(r, "graph launches (exec: launches, rate, mean gap, max gap):\n");
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n++ >= limit) break;
			int64_t cnt = sqlite3_column_int64(st, 3), span = sqlite3_column_int64(st, 5) - sqlite3_column_int64(st, 4);
			double mean = sqlite3_column_double(st, 6);
			int64_t mx = sqlite3_column_int64(st, 7);
			double rate = span > 0 ? (double)(cnt - 1) * 1e9 / (double)span : 0;
			json_object *o = json_object_new_object();
			JADD(o, "node", mcp_str(TX(st, 0)));
			JADD(o, "pid", JI(sqlite3_column_int64(st, 1)));
			JADD(o, "exec", mcp_i64str(sqlite3_column_int64(st, 2)));
			JADD(o, "launches", JI(cnt));
			JADD(o, "rate_hz", JD(round(rate * 100) / 100));
			JADD(o, "mean_gap_ns", JI((int64_t)mean));
			JADD(o, "max_gap_ns", JI(mx));
			JADD(o, "stall", JB(cnt > 10 && mean > 0 && (double)mx > 10 * mean));
			json_object_array_add(ex, o);
			tp(r, "  %llx pid %lld: %lld launches, %.1f/s, mean gap %s, max gap %s%s\n",
			   (unsigned long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 1), (long long)cnt,
			   rate, dur((int64_t)mean, d1), dur(mx, d2), cnt > 10 && mean > 0 && (double)mx > 10 * mean ? " (STALL: gap > 10x mean)" : "");
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	if (!n) tp(r, "  (no graph launches match)\n");
	JADD(r->sc, "execs", ex);
	JADD(r->sc, "truncated", JB(n > limit));
	return 0;
}

int t_get_nodes(struct args *a, struct res *r)
{
	(void)a;
	char d1[IG_DUR_BUF], d2[IG_DUR_BUF];
	sqlite3_stmt *st = NULL;
	json_object *nodes = json_object_new_array(), *cc = json_object_new_array(), *sg = json_object_new_array();
	JADD(r->sc, "nodes", nodes);
	JADD(r->sc, "clock_corrections", cc);
	JADD(r->sc, "stragglers", sg);
	JADD(r->sc, "truncated", JB(0));
	if (has_rows("nodes")) {
		sqlite3_prepare_v2(S.db, "SELECT name, host, rank, events, first_ts, last_ts, recorder FROM nodes ORDER BY rank, name LIMIT 257",
				   -1, &st, NULL);
		int n = 0;
		tp(r, "nodes:\n");
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			if (n++ == 256) { JADD(r->sc, "truncated", JB(1)); tp(r, "(cut at 256 nodes)\n"); break; }
			json_object *o = json_object_new_object();
			JADD(o, "name", mcp_str(TX(st, 0)));
			JADD(o, "host", mcp_str(TX(st, 1)));
			JADD(o, "rank", sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : JI(sqlite3_column_int64(st, 2)));
			JADD(o, "events", JI(sqlite3_column_int64(st, 3)));
			JADD(o, "first_ts_ns", mcp_i64str(sqlite3_column_int64(st, 4)));
			JADD(o, "last_ts_ns", mcp_i64str(sqlite3_column_int64(st, 5)));
			JADD(o, "recorder", mcp_str(TX(st, 6)));
			json_object_array_add(nodes, o);
			tp(r, "  %s%s%s rank %s: %lld events over %s\n", TX(st, 0), TX(st, 1)[0] ? " " : "", TX(st, 1),
			   sqlite3_column_type(st, 2) == SQLITE_NULL ? "-" : TX(st, 2), (long long)sqlite3_column_int64(st, 3),
			   dur(sqlite3_column_int64(st, 5) - sqlite3_column_int64(st, 4), d1));
		}
		sqlite3_finalize(st);
	} else {
		tp(r, "nodes (from the events):\n");
		for (int i = 0; i < S.ix.nnodes && i < 256; i++) {
			json_object *o = json_object_new_object();
			JADD(o, "name", mcp_str(S.ix.nodes[i]));
			JADD(o, "rank", NULL);
			JADD(o, "events", JI(0));
			json_object_array_add(nodes, o);
			tp(r, "  %s\n", S.ix.nodes[i][0] ? S.ix.nodes[i] : "(unnamed)");
		}
	}
	if (has_rows("clock_corrections")) {
		sqlite3_prepare_v2(S.db, "SELECT node, method, offset_ns, drift_ppb, confidence_ns, samples FROM clock_corrections "
				   "ORDER BY node LIMIT 256", -1, &st, NULL);
		tp(r, "clock corrections applied by the merge:\n");
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			json_object *o = json_object_new_object();
			JADD(o, "node", mcp_str(TX(st, 0)));
			JADD(o, "method", mcp_str(TX(st, 1)));
			JADD(o, "offset_ns", JI(sqlite3_column_int64(st, 2)));
			JADD(o, "drift_ppb", JD(sqlite3_column_double(st, 3)));
			JADD(o, "confidence_ns", JD(sqlite3_column_double(st, 4)));
			JADD(o, "samples", JI(sqlite3_column_int64(st, 5)));
			json_object_array_add(cc, o);
			int64_t off = sqlite3_column_int64(st, 2);
			tp(r, "  %s: %s%s by %s (+-%s, %lld samples, drift %.1f ppb)\n", TX(st, 0), off < 0 ? "-" : "+",
			   dur(off < 0 ? -off : off, d1), TX(st, 1), dur((int64_t)sqlite3_column_double(st, 4), d2),
			   (long long)sqlite3_column_int64(st, 5), sqlite3_column_double(st, 3));
		}
		sqlite3_finalize(st);
	} else {
		tp(r, S.ix.nnodes > 1 ? "no clock corrections recorded (not merged by ingero-merge?)\n" :
					 "single node: no clock corrections\n");
	}
	if (ig_db_has_col(S.db, "main", "causal_chains", "kind")) {
		sqlite3_prepare_v2(S.db, "SELECT node, severity, summary, impact_ns FROM causal_chains WHERE kind = 'straggler' "
				   "ORDER BY impact_ns DESC LIMIT 32", -1, &st, NULL);
		int n = 0;
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			if (!n++) tp(r, "stragglers:\n");
			json_object *o = json_object_new_object();
			JADD(o, "node", mcp_str(TX(st, 0)));
			JADD(o, "severity", mcp_str(TX(st, 1)));
			JADD(o, "summary", mcp_str(TX(st, 2)));
			JADD(o, "impact_ns", JI(sqlite3_column_int64(st, 3)));
			json_object_array_add(sg, o);
			tp(r, "  [%s] %s: %s\n", TX(st, 1), TX(st, 0), TX(st, 2));
		}
		if (!n) tp(r, "no straggler found\n");
		sqlite3_finalize(st);
	}
	return 0;
}

/* --------------------------------------------------------------- run_sql */

static int sql_check(void *ctx)
{
	(void)ctx;
	mcp_poll_input();
	return S.cancel_now;
}

static json_object *cell(sqlite3_stmt *st, int i, size_t *bytes, struct res *r)
{
	char buf[64];
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		tp(r, "%lld", (long long)sqlite3_column_int64(st, i));
		*bytes += 8;
		return JI(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, i);
		*bytes += 8;
		snprintf(buf, sizeof buf, "%.17g", d);
		tp(r, "%s", buf);
		return isfinite(d) ? JD(d) : NULL;
	}
	case SQLITE_NULL:
		tp(r, "NULL");
		return NULL;
	case SQLITE_BLOB: {
		int n = sqlite3_column_bytes(st, i), k = n > CELL_MAX / 2 ? CELL_MAX / 2 : n;
		const unsigned char *p = sqlite3_column_blob(st, i);
		char *s = xmalloc((size_t)k * 2 + 8), *q = s;
		q += sprintf(q, "x'");
		for (int j = 0; j < k; j++) q += sprintf(q, "%02x", p[j]);
		sprintf(q, "'%s", k < n ? "..." : "");
		*bytes += strlen(s);
		tp(r, "%s", s);
		json_object *o = json_object_new_string(s);
		free(s);
		return o;
	}
	default: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i), k = n > CELL_MAX ? CELL_MAX : n;
		char *s = xstrndup(t ? t : "", k);
		if (k < n) { char *u = xasprintf("%s...", s); free(s); s = u; }
		*bytes += strlen(s);
		char *san = ig_utf8_sanitize(s);
		for (char *c = san; *c; c++) if ((unsigned char)*c < 0x20) *c = ' ';
		tp(r, "%s", san);
		json_object *o = mcp_str(s);
		free(san);
		free(s);
		return o;
	}
	}
}

int t_run_sql(struct args *a, struct res *r)
{
	const char *sql = NULL;
	int64_t limit;
	double tmo;
	if (a_str(r, a, "sql", &sql) || a_int(r, a, "limit", 100, 1, 1000, &limit) || a_num(r, a, "timeout_s", 5, 0.1, 30, &tmo))
		return -1;
	if (!sql || !sql[0]) return terr(r, "argument 'sql' is required");
	if (strlen(sql) > IG_SQL_SQL_LIMIT) return terr(r, "refused: query longer than %d bytes", IG_SQL_SQL_LIMIT);
	struct ig_sqlguard *g = S.guard;
	g->timeout_s = tmo;
	g->check = sql_check;
	ig_sqlguard_heap(g, 256);
	json_object *results = json_object_new_array();
	JADD(r->sc, "results", results);
	const char *p = sql;
	sqlite3_stmt *st;
	int rc, any_cut = 0;
	size_t bytes = 0;
	while ((rc = ig_sqlguard_next(g, &p, &st)) > 0) {
		int ncol = sqlite3_column_count(st);
		json_object *res = json_object_new_object(), *cols = json_object_new_array(), *rows = json_object_new_array();
		for (int c = 0; c < ncol; c++) {
			json_object_array_add(cols, mcp_str(sqlite3_column_name(st, c)));
			tp(r, "%s%s", c ? "\t" : "", sqlite3_column_name(st, c));
		}
		if (ncol) tp(r, "\n");
		int64_t n = 0;
		int cut = 0, src;
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (n >= limit || bytes > SQL_BYTES_MAX) { cut = 1; break; }
			json_object *row = json_object_new_array();
			for (int c = 0; c < ncol; c++) {
				if (c) tp(r, "\t");
				json_object_array_add(row, cell(st, c, &bytes, r));
			}
			tp(r, "\n");
			json_object_array_add(rows, row);
			n++;
		}
		JADD(res, "columns", cols);
		JADD(res, "rows", rows);
		JADD(res, "truncated", JB(cut));
		json_object_array_add(results, res);
		if (src != SQLITE_ROW && src != SQLITE_DONE) {
			const char *m = ig_sqlguard_error(g, src);
			sqlite3_finalize(st);
			ig_sqlguard_heap(g, 0);
			return terr(r, "%s", m);
		}
		sqlite3_finalize(st);
		if (cut) {
			any_cut = 1;
			tp(r, "(%s: %lld rows shown)\n", bytes > SQL_BYTES_MAX ? "output cut at 256 KB" : "cut at limit", (long long)n);
		}
		if (ncol) tp(r, "(%lld row%s)\n", (long long)n, n == 1 ? "" : "s");
	}
	ig_sqlguard_heap(g, 0);
	g->check = NULL;
	if (rc < 0) return terr(r, "%s", g->msg);
	JADD(r->sc, "truncated", JB(any_cut));
	if (!json_object_array_length(results)) tp(r, "(no statement)\n");
	return 0;
}

/* ------------------------------------------------------------- get_check */

static char *bundle_member(const char *path, const char *name, size_t max, size_t *len)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	char *out = NULL;
	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
		archive_read_free(ar);
		return NULL;
	}
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e), *base = p ? strrchr(p, '/') : NULL;
		base = base ? base + 1 : p;
		if (!base || strcmp(base, name) || archive_entry_filetype(e) != AE_IFREG) continue;
		size_t cap = 65536, n = 0;
		out = xmalloc(cap + 1);
		for (;;) {
			if (n == cap) {
				if (cap >= max) break;
				cap *= 2;
				out = xrealloc(out, cap + 1);
			}
			la_ssize_t k = archive_read_data(ar, out + n, cap - n);
			if (k <= 0) break;
			n += (size_t)k;
		}
		out[n] = 0;
		*len = n;
		break;
	}
	archive_read_free(ar);
	return out;
}

int t_get_check(struct args *a, struct res *r)
{
	(void)a;
	struct stat sb;
	const char *in = S.input;
	if (S.demo_name)
		return terr(r, "get_check: the current trace is a generated demo (no bundle); restart the server on a bundle");
	if (stat(in, &sb) || !S_ISREG(sb.st_mode) || ig_is_sqlite(in))
		return terr(r, "the input is not a bundle: get_check reads check.json from a bundle made by "
			    "'ingero-record bundle' (the server was started on %s)", in);
	size_t n = 0, tn = 0;
	char *js = bundle_member(in, "check.json", 4 << 20, &n);
	if (!js)
		return terr(r, "%s: no check.json in this bundle (or not a bundle: a single segment file?)", in);
	json_object *o = json_tokener_parse(js);
	free(js);
	if (!o || (!json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array))) {
		json_object_put(o);
		return terr(r, "%s: check.json is not valid JSON", in);
	}
	JADD(r->sc, "check", o);
	JADD(r->sc, "truncated", JB(0));
	char *txt = bundle_member(in, "check.txt", TEXT_MAX, &tn);
	if (txt) tp(r, "%s", txt);
	else tp(r, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	free(txt);
	return 0;
}

/* -------------------------------------------------------------- run_demo */

static char *demo_root;         /* private dir: rec-N/ and the analysis DBs */
static int demo_n;

void mcp_demo_cleanup(void)
{
	if (!demo_root) return;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
		execlp("rm", "rm", "-rf", "--", demo_root, (char *)NULL);
		_exit(127);
	}
	int st;
	if (pid > 0) while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	ig_tmp_unregister(demo_root);
	free(demo_root);
	demo_root = NULL;
	free(S.demo_name);
	S.demo_name = NULL;
}

static char *sibling(const char *prog)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *sl = strrchr(self, '/');
		if (sl) {
			*sl = 0;
			char *p = xasprintf("%s/%s", self, prog);
			if (access(p, X_OK) == 0) return p;
			free(p);
		}
	}
	return xstrdup(prog);
}

static int run_prog(char *const argv[])
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); if (ig_quiet) dup2(fd, 2); }
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int t_run_demo(struct args *a, struct res *r)
{
	const char *scen = NULL;
	int64_t seed, dur_s;
	static const char *const ok[] = { "incident", "cold-start", "memcpy-bottleneck", "periodic-spike", "cpu-contention",
		"gpu-steal", "control", "multi-node", NULL };
	if (a_str(r, a, "scenario", &scen) || a_int(r, a, "seed", 1, 0, INT64_MAX, &seed) ||
	    a_int(r, a, "duration_s", 0, 2, 60, &dur_s))
		return -1;
	int known = 0;
	for (int i = 0; scen && ok[i]; i++) if (!strcmp(scen, ok[i])) known = 1;
	if (!known) {
		const char *d = scen ? ig_did_you_mean(scen, ok) : NULL;
		return terr(r, "argument 'scenario' must be one of incident, cold-start, memcpy-bottleneck, periodic-spike, "
			    "cpu-contention, gpu-steal, control, multi-node%s%s%s", d ? " (did you mean " : "", d ? d : "", d ? "?)" : "");
	}
	if (!demo_root && !(demo_root = ig_tmpdir_create()))
		return terr(r, "cannot create a private temporary directory");
	char *rec = xasprintf("%s/rec-%d", demo_root, ++demo_n);
	char *merged = xasprintf("%s/merged-%d", demo_root, demo_n);
	char *recp = sibling("ingero-record"), *mergep = sibling("ingero-merge");
	char seeds[32], durs[32];
	snprintf(seeds, sizeof seeds, "%lld", (long long)seed);
	snprintf(durs, sizeof durs, "%lld", (long long)dur_s);
	char *argv[16];
	int n = 0;
	argv[n++] = recp; argv[n++] = "demo"; argv[n++] = (char *)scen; argv[n++] = "-o"; argv[n++] = rec;
	argv[n++] = "--seed"; argv[n++] = seeds;
	if (dur_s) { argv[n++] = "--duration"; argv[n++] = durs; }
	argv[n] = NULL;
	int rc = run_prog(argv);
	const char *input = rec;
	if (!rc && !strcmp(scen, "multi-node")) {
		/* ingero-merge rec/node-0 rec/node-1 ... -o merged (at most 16 nodes) */
		char *m[24], *nodes[16];
		int k = 0, nn = 0;
		m[k++] = mergep;
		m[k++] = "-q";
		for (int i = 0; i < 16; i++) {
			char *d = xasprintf("%s/node-%d", rec, i);
			if (!ig_exists(d)) { free(d); break; }
			m[k++] = nodes[nn++] = d;
		}
		m[k++] = "-o";
		m[k++] = merged;
		m[k] = NULL;
		rc = nn ? run_prog(m) : 1;
		for (int i = 0; i < nn; i++) free(nodes[i]);
		input = merged;
	}
	int ret = 0;
	struct ig_analysis an;
	char msg[1200];
	if (rc) {
		ret = terr(r, "%s %s failed (exit %d)", strcmp(scen, "multi-node") || !ig_exists(rec) ? "ingero-record demo" :
			   "ingero-merge of demo", scen, rc);
	} else if (ig_analysis_open(&an, input, NULL)) {
		ret = terr(r, "the demo recording could not be analyzed (see the server's stderr)");
	} else if (mcp_open_db(an.path, msg, sizeof msg)) {
		ig_analysis_release(&an);
		ret = terr(r, "%s", msg);
	} else if (mcp_index_wait() < 0) {
		ig_analysis_release(&S.an);
		S.an = an;
		ret = terr(r, "the demo's events could not be read");
	} else {
		ig_analysis_release(&S.an);
		S.an = an;
		free(S.demo_name);
		S.demo_name = xasprintf("demo %s (seed %lld%s%s%s)", scen, (long long)seed, dur_s ? ", " : "", dur_s ? durs : "",
					dur_s ? " s" : "");
		int64_t chains = ig_db_has_table(S.db, "main", "causal_chains") ?
			ig_db_int(S.db, "SELECT count(*) FROM causal_chains", 0) : 0;
		JADD(r->sc, "scenario", json_object_new_string(scen));
		JADD(r->sc, "events", JI(S.ix.events));
		JADD(r->sc, "nodes", JI(S.ix.nnodes));
		JADD(r->sc, "chains", JI(chains));
		JADD(r->sc, "truncated", JB(0));
		JADD(r->sc, "note", json_object_new_string("every tool now reads this demo trace; restart the server to go back"));
		tp(r, "now serving %s: %llu events, %d node(s), %lld causal chain(s). Every tool reads it from now on; "
		   "next: get_trace_stats, get_causal_chains.\n", S.demo_name, (unsigned long long)S.ix.events, S.ix.nnodes,
		   (long long)chains);
	}
	/* the recording itself is not needed once analyzed */
	char *rm[] = { "rm", "-rf", "--", rec, merged, NULL };
	run_prog(rm);
	free(rec);
	free(merged);
	free(recp);
	free(mergep);
	return ret;
}
