/*
 * tools_events.c - the MCP tools over single events: get_stacks (resolved
 * stacks of an op or one slow call) and get_timeline (the events of one
 * process or thread around a time), bounded like every tool.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "tools.h"

/* ------------------------------------------------------------ get_stacks */

/* the stack's Python frames (python_frames), innermost first, into arr and
 * the text; how many */
static size_t python_of(int64_t hash, json_object *arr, struct res *r)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	if (!ig_db_has_table(S.db, "main", "python_frames") ||
	    sqlite3_prepare_v2(S.db, "SELECT file, function, line FROM python_frames WHERE stack_hash = ? "
			       "ORDER BY depth", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_bind_int64(st, 1, hash);
	for (; sqlite3_step(st) == SQLITE_ROW; n++) {
		const char *f = (const char *)sqlite3_column_text(st, 0), *fn = (const char *)sqlite3_column_text(st, 1);
		const char *b = f ? strrchr(f, '/') : NULL;
		json_object *o = json_object_new_object();
		JADD(o, "symbol", mcp_str(fn ? fn : ""));
		JADD(o, "file", mcp_str(f ? f : ""));
		JADD(o, "line", JI(sqlite3_column_int64(st, 2)));
		JADD(o, "python", json_object_new_boolean(1));
		json_object_array_add(arr, o);
		tp(r, "%s%s (%s:%lld)", n ? " <- " : "", fn ? fn : "?", b ? b + 1 : f ? f : "?",
		   (long long)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return n;
}

static json_object *frames_of(int64_t hash, struct res *r, int indent)
{
	json_object *arr = json_object_new_array();
	sqlite3_stmt *st = NULL;
	size_t npy;
	if (!ig_db_has_table(S.db, "main", "stack_traces") ||
	    sqlite3_prepare_v2(S.db, ig_db_has_col(S.db, "main", "stack_traces", "frames") ?
			       "SELECT ips, frames FROM stack_traces WHERE hash = ?" :
			       "SELECT ips, '' FROM stack_traces WHERE hash = ?", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return arr;
	}
	sqlite3_bind_int64(st, 1, hash);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *ips = (const char *)sqlite3_column_text(st, 0), *fr = (const char *)sqlite3_column_text(st, 1);
		json_object *f = fr && fr[0] ? json_tokener_parse(fr) : NULL, *ip = ips ? json_tokener_parse(ips) : NULL;
		json_object *src = f && json_object_is_type(f, json_type_array) ? f : ip;
		size_t n = src && json_object_is_type(src, json_type_array) ? json_object_array_length(src) : 0;
		tp(r, "%*s", indent, "");
		npy = python_of(hash, arr, r);   /* the Python frames first: the user's code */
		if (npy && n)
			tp(r, " <- ");
		for (size_t i = 0; i < n && i < 32; i++) {
			json_object *e = json_object_array_get_idx(src, i), *v, *o = json_object_new_object();
			const char *sym = NULL, *file = NULL, *ipx = NULL;
			if (json_object_is_type(e, json_type_object)) {
				if (json_object_object_get_ex(e, "s", &v)) sym = json_object_get_string(v);
				if (json_object_object_get_ex(e, "f", &v)) file = json_object_get_string(v);
				if (json_object_object_get_ex(e, "i", &v)) ipx = json_object_get_string(v);
				if (!sym && json_object_object_get_ex(e, "symbol", &v)) sym = json_object_get_string(v);
				if (!file && json_object_object_get_ex(e, "file", &v)) file = json_object_get_string(v);
			} else if (src == f) {
				sym = json_object_get_string(e);
			} else {
				ipx = json_object_get_string(e);
			}
			if (ipx) JADD(o, "ip", mcp_str(ipx));
			if (sym && sym[0]) JADD(o, "symbol", mcp_str(sym));
			if (file && file[0]) JADD(o, "file", mcp_str(file));
			json_object_array_add(arr, o);
			tp(r, "%s%s", i ? " <- " : "", sym && sym[0] ? sym : ipx ? ipx : "?");
		}
		if (n > 32) tp(r, " <- ... (%zu frames)", n);
		if (!n && !npy) tp(r, "(no frames)");
		tp(r, "\n");
		json_object_put(f);
		json_object_put(ip);
	} else {
		tp(r, "%*s(stack %lld not in stack_traces)\n", indent, "", (long long)hash);
	}
	sqlite3_finalize(st);
	return arr;
}

static int cmp_stack_total(const void *a, const void *b)
{
	const struct mcp_stackuse *x = *(const struct mcp_stackuse *const *)a, *y = *(const struct mcp_stackuse *const *)b;
	if (x->total != y->total) return x->total > y->total ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static json_object *event_json(int64_t rowid, int node, int64_t ts, int64_t pid, int64_t tid, int src, int op,
			       int64_t d, int64_t stack)
{
	char b[32], t1[40];
	json_object *o = json_object_new_object();
	JADD(o, "event", JI(rowid));
	JADD(o, "node", mcp_str(mcp_node_name(node)));
	JADD(o, "ts_ns", mcp_i64str(ts));
	JADD(o, "offset", mcp_str(mcp_fmt_rel(ts, t1, sizeof t1)));
	JADD(o, "pid", JI(pid));
	JADD(o, "tid", JI(tid));
	JADD(o, "op", mcp_str(mcp_op_name(src, op, b, sizeof b)));
	JADD(o, "duration_ns", JI(d));
	JADD(o, "stack_hash", stack ? mcp_i64str(stack) : NULL);
	return o;
}

int t_get_stacks(struct args *a, struct res *r)
{
	const char *opn = NULL;
	int64_t ev, limit;
	int src = -1, op = -1;
	char b[32], d1[IG_DUR_BUF], d2[IG_DUR_BUF], t1[40];
	if (a_str(r, a, "op", &opn) || a_int(r, a, "event", -1, 0, INT64_MAX, &ev) || a_int(r, a, "limit", 5, 1, 20, &limit))
		return -1;
	if (opn && a_op(r, opn, &src, &op)) return -1;
	json_object *stacks = json_object_new_array(), *slow = json_object_new_array();
	JADD(r->sc, "stacks", stacks);
	JADD(r->sc, "slowest", slow);
	if (ev >= 0) {
		sqlite3_stmt *st = NULL;
		char *q = xasprintf("SELECT %s, timestamp, pid, %s, source, op, duration, %s FROM %s WHERE rowid = ?",
				    S.ix.has_node_col ? "node" : "''", S.ix.has_tid_col ? "tid" : "pid",
				    S.ix.has_stack_col ? "stack_hash" : "0", S.ix.src);
		int rc = sqlite3_prepare_v2(S.db, q, -1, &st, NULL);
		free(q);
		if (rc != SQLITE_OK) return terr(r, "cannot read events: %s", sqlite3_errmsg(S.db));
		sqlite3_bind_int64(st, 1, ev);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return terr(r, "no event %lld (event numbers come from get_timeline or get_stacks)", (long long)ev);
		}
		const char *nd = (const char *)sqlite3_column_text(st, 0);
		int ni = -1;
		for (int i = 0; i < S.ix.nnodes; i++) if (nd && !strcmp(nd, S.ix.nodes[i])) ni = i;
		int64_t sh = sqlite3_column_int64(st, 7);
		json_object_array_add(slow, event_json(ev, ni, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
						       sqlite3_column_int64(st, 3), sqlite3_column_int(st, 4), sqlite3_column_int(st, 5),
						       sqlite3_column_int64(st, 6), sh));
		tp(r, "event %lld: %s pid %lld tid %lld at %s took %s\n", (long long)ev,
		   mcp_op_name(sqlite3_column_int(st, 4), sqlite3_column_int(st, 5), b, sizeof b),
		   (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
		   mcp_fmt_rel(sqlite3_column_int64(st, 1), t1, sizeof t1), dur(sqlite3_column_int64(st, 6), d1));
		sqlite3_finalize(st);
		if (!sh) {
			tp(r, "  (no stack recorded for this event)\n");
		} else {
			json_object *o = json_object_new_object();
			JADD(o, "stack_hash", mcp_i64str(sh));
			JADD(o, "frames", frames_of(sh, r, 2));
			json_object_array_add(stacks, o);
		}
		JADD(r->sc, "truncated", JB(0));
		return 0;
	}
	/* stacks of an op (or of every op) by total time */
	struct mcp_stackuse **v = xmalloc((S.ix.nstacks + 1) * sizeof *v);
	size_t nv = 0;
	uint64_t calls = 0;
	for (size_t i = 0; i < S.ix.nstacks; i++)
		if (src < 0 || (S.ix.stacks[i].source == src && S.ix.stacks[i].op == op)) {
			v[nv++] = &S.ix.stacks[i];
			calls += S.ix.stacks[i].count;
		}
	qsort(v, nv, sizeof *v, cmp_stack_total);
	if (!nv)
		tp(r, "no stacks recorded%s%s\n", opn ? " for " : "", opn ? opn : "");
	else
		tp(r, "%zu distinct stack(s)%s%s, %llu calls with a stack; top by total time:\n", nv, opn ? " of " : "",
		   opn ? mcp_op_name(src, op, b, sizeof b) : "", (unsigned long long)calls);
	for (size_t i = 0; i < nv && (int64_t)i < limit; i++) {
		json_object *o = json_object_new_object();
		JADD(o, "op", mcp_str(mcp_op_name(v[i]->source, v[i]->op, b, sizeof b)));
		JADD(o, "stack_hash", mcp_i64str(v[i]->hash));
		JADD(o, "calls", JI(v[i]->count));
		JADD(o, "total_ns", JI(v[i]->total));
		JADD(o, "max_ns", JI(v[i]->max));
		tp(r, "#%zu %s: %llu calls, %s total, max %s\n", i + 1, mcp_op_name(v[i]->source, v[i]->op, b, sizeof b),
		   (unsigned long long)v[i]->count, dur(v[i]->total, d1), dur(v[i]->max, d2));
		JADD(o, "frames", frames_of(v[i]->hash, r, 3));
		json_object_array_add(stacks, o);
	}
	int truncated = (int64_t)nv > limit;
	free(v);
	/* the slowest calls of the op */
	if (src >= 0) {
		for (size_t i = 0; i < S.ix.nslow; i++) {
			const struct mcp_opslow *os = &S.ix.slow[i];
			if (os->source != src || os->op != op) continue;
			tp(r, "slowest calls:\n");
			for (int k = 0; k < os->n; k++) {
				const struct mcp_slow *s = &os->top[k];
				json_object_array_add(slow, event_json(s->rowid, s->node, s->ts, s->pid, s->tid, src, op, s->dur, s->stack));
				tp(r, "  event %lld: %s%s%s pid %lld tid %lld took %s", (long long)s->rowid, mcp_fmt_rel(s->ts, t1, sizeof t1),
				   S.ix.nnodes > 1 ? " " : "", S.ix.nnodes > 1 ? mcp_node_name(s->node) : "", (long long)s->pid,
				   (long long)s->tid, dur(s->dur, d1));
				if (s->stack) tp(r, " stack %lld", (long long)s->stack);
				tp(r, "\n");
			}
		}
	}
	JADD(r->sc, "truncated", JB(truncated));
	if (truncated) tp(r, "(%zu stacks in all; raise limit)\n", nv);
	return 0;
}

/* ---------------------------------------------------------- get_timeline */

struct tev { int64_t rowid, ts, dur, tid, a0, a1, stack; int src, op, node; };

static int cmp_tev(const void *a, const void *b)
{
	const struct tev *x = a, *y = b;
	if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

int t_get_timeline(struct args *a, struct res *r)
{
	const char *node = NULL, *at = NULL, *win = NULL;
	int64_t pid, tid, limit, center, window = 200000000;
	int ni = -1;
	char b[32], d1[IG_DUR_BUF], t1[40], t2[40];
	if (a_int(r, a, "pid", -1, 0, INT32_MAX, &pid) || a_int(r, a, "tid", -1, 0, INT32_MAX, &tid) ||
	    a_str(r, a, "node", &node) || a_str(r, a, "at", &at) || a_str(r, a, "window", &win) ||
	    a_int(r, a, "limit", 100, 1, 1000, &limit))
		return -1;
	if (pid < 0) return terr(r, "argument 'pid' is required (get_trace_stats with per_process=true lists them)");
	if (node && a_node(r, node, &ni)) return -1;
	if (win && (ig_parse_duration(win, &window) || window <= 0 || window > 60000000000LL))
		return terr(r, "argument 'window' must be a duration between 1ns and 60s, e.g. \"200ms\"");
	if (at) {
		if (ig_parse_time(at, S.ix.start, S.ix.end, &center))
			return terr(r, "argument 'at' must be a time: an offset from the start (\"12.5s\", \"+2m\"), "
				    "before the end (\"-10s\"), unix ns, or \"2026-03-14 10:00:00\"");
	} else {
		/* default: the window of the worst chain of this process */
		center = S.ix.start + window / 2;
		if (ig_db_has_col(S.db, "main", "causal_chains", "pid")) {
			char *q = sqlite3_mprintf("SELECT window_start FROM causal_chains WHERE pid = %lld ORDER BY CASE severity "
						  "WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 ELSE 2 END, impact_ns DESC LIMIT 1", (long long)pid);
			int64_t ws = ig_db_int(S.db, q, 0);
			sqlite3_free(q);
			if (ws) center = ws + window / 2;
		}
	}
	int64_t lo = center - window / 2, hi = center + window / 2;
	char *q = xasprintf("SELECT rowid, %s, timestamp, %s, source, op, duration, arg0, arg1, %s FROM %s "
			    "WHERE rowid BETWEEN ?1 AND ?2 AND pid = ?3 AND timestamp < ?4 AND timestamp + duration >= ?5",
			    S.ix.has_node_col ? "node" : "''", S.ix.has_tid_col ? "tid" : "pid",
			    S.ix.has_stack_col ? "stack_hash" : "0", S.ix.src);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(S.db, q, -1, &st, NULL);
	free(q);
	if (rc != SQLITE_OK) return terr(r, "cannot read events: %s", sqlite3_errmsg(S.db));
	struct tev *ev = NULL;
	size_t nev = 0, cap = 0, cand_max = 200000;
	int cut_scan = 0;
	for (size_t i = 0; i < S.ix.nblocks && !cut_scan; i++) {
		struct mcp_block *bk = &S.ix.blocks[i];
		if (bk->min_ts >= hi || bk->max_end < lo) continue;
		int64_t rlo = bk->lo, rhi = bk->hi;
		while (i + 1 < S.ix.nblocks && S.ix.blocks[i + 1].min_ts < hi && S.ix.blocks[i + 1].max_end >= lo)
			rhi = S.ix.blocks[++i].hi;
		sqlite3_bind_int64(st, 1, rlo);
		sqlite3_bind_int64(st, 2, rhi);
		sqlite3_bind_int64(st, 3, pid);
		sqlite3_bind_int64(st, 4, hi);
		sqlite3_bind_int64(st, 5, lo);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *nd = (const char *)sqlite3_column_text(st, 1);
			int en = -1;
			for (int k = 0; k < S.ix.nnodes; k++) if (nd && !strcmp(nd, S.ix.nodes[k])) { en = k; break; }
			if (ni >= 0 && en != ni) continue;
			int64_t etid = sqlite3_column_int64(st, 3);
			if (tid >= 0 && etid != tid) continue;
			if (nev == cand_max) { cut_scan = 1; break; }
			ig_grow(&ev, &cap, nev + 1, sizeof *ev);
			ev[nev++] = (struct tev){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 6),
						  etid, sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 8),
						  sqlite3_column_int64(st, 9), sqlite3_column_int(st, 4), sqlite3_column_int(st, 5), en };
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (nev) qsort(ev, nev, sizeof *ev, cmp_tev);
	/* keep the events nearest to the center when there are too many */
	size_t first = 0, count = nev;
	if ((int64_t)nev > limit) {
		size_t c = 0;
		while (c < nev && ev[c].ts < center) c++;
		first = c > (size_t)limit / 2 ? c - (size_t)limit / 2 : 0;
		if (first + (size_t)limit > nev) first = nev - (size_t)limit;
		count = (size_t)limit;
	}
	json_object *arr = json_object_new_array();
	JADD(r->sc, "pid", JI(pid));
	JADD(r->sc, "comm", mcp_str(comm_of(ni >= 0 ? mcp_node_name(ni) : S.ix.nnodes ? S.ix.nodes[0] : "", pid)));
	JADD(r->sc, "from_ns", mcp_i64str(lo));
	JADD(r->sc, "to_ns", mcp_i64str(hi));
	JADD(r->sc, "matched", JI(nev));
	tp(r, "pid %lld %s, %s..%s: %zu event(s)%s\n", (long long)pid,
	   comm_of(ni >= 0 ? mcp_node_name(ni) : S.ix.nnodes ? S.ix.nodes[0] : "", pid), mcp_fmt_rel(lo, t1, sizeof t1),
	   mcp_fmt_rel(hi, t2, sizeof t2), nev, nev > count ? ", nearest shown" : "");
	for (size_t i = first; i < first + count; i++) {
		struct tev *e = &ev[i];
		json_object *o = json_object_new_object();
		JADD(o, "event", JI(e->rowid));
		if (S.ix.nnodes > 1) JADD(o, "node", mcp_str(mcp_node_name(e->node)));
		JADD(o, "ts_ns", mcp_i64str(e->ts));
		JADD(o, "offset", mcp_str(mcp_fmt_rel(e->ts, t1, sizeof t1)));
		JADD(o, "tid", JI(e->tid));
		JADD(o, "op", mcp_str(mcp_op_name(e->src, e->op, b, sizeof b)));
		JADD(o, "duration_ns", JI(e->dur));
		JADD(o, "arg0", mcp_i64str(e->a0));
		JADD(o, "arg1", mcp_i64str(e->a1));
		if (e->stack) JADD(o, "stack_hash", mcp_i64str(e->stack));
		json_object_array_add(arr, o);
		tp(r, "%s t%lld %s %s", t1, (long long)e->tid, mcp_op_name(e->src, e->op, b, sizeof b), dur(e->dur, d1));
		if (e->src == INGERO_SRC_HOST && e->op == INGERO_HOST_SCHED_SWITCH && e->a1)
			tp(r, " (by pid %lld %s)", (long long)e->a1, comm_of(mcp_node_name(e->node), e->a1));
		tp(r, " #%lld\n", (long long)e->rowid);
	}
	free(ev);
	JADD(r->sc, "events", arr);
	JADD(r->sc, "truncated", JB(nev > count || cut_scan));
	if (nev > count || cut_scan)
		tp(r, "(%s; narrow 'window' or pass 'tid')\n", cut_scan ? "more than 200000 events in the window" : "cut at limit");
	return 0;
}
