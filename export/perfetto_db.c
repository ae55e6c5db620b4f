/*
 * perfetto_db.c - ingero-perfetto input from an analysis database (ours, or
 * one of the original Go Ingero's files): events, off-CPU intervals, system
 * and GPU snapshots, lost events, and causal chains with flow arrows between
 * their evidence (causal_chains.evidence, docs/engine.md), the symptoms and
 * the finding slice.  The file is opened read-only and immutable (nothing is
 * written next to it).
 *
 * Flows (docs/perfetto.md "Flows"): the trace processor sorts by time, then
 * binds a flow where its id first appears; a terminating id with no open flow
 * is dropped.  So each arrow starts on the end that starts earlier and
 * terminates on the later one, and is written only when both ends are in the
 * trace.  Every flow has at most one event end (evidence event or symptom);
 * its other end (off-CPU interval or chain slice) is known when the chains
 * are read.  Events are exported first and decide their flows; off-CPU
 * intervals and chain slices follow and take the complement.
 */
#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "perfetto.h"

#define STACK_FRAMES 3

enum { FK_OFF_SYM, FK_OFF_CHAIN, FK_EV_CHAIN };  /* evidence end -> target end */

struct flow {
	uint64_t id;
	uint8_t kind;
	uint8_t decided;
	uint8_t role0, role1;     /* PX_FLOW_* at the evidence end, at the target end */
	uint8_t known_ok;         /* the end that is not an event is in the trace */
	uint64_t known_ts;        /* ... and starts here */
};

struct flowref {                  /* an event or off-CPU end of a flow */
	uint64_t key;             /* event: ev_key(node, seq); off-CPU: off_key(node, tid, start) */
	uint32_t flow;            /* index into dbin.flows */
	uint8_t is_off;
};

struct chainrow {
	char *id, *severity, *summary, *root_cause, *recommendations, *kind;
	uint32_t node;
	uint64_t start, end;
	uint32_t flow0, nflows;   /* its flows: dbin.flows[flow0 ..] */
};

struct idvec { uint64_t *v; size_t n, cap; };

struct dbin {
	struct px *px;
	sqlite3 *db;
	const char *path;
	char **nodes;
	uint32_t nnodes;
	int ours, has_node, has_tid, ext, have_off;
	struct flow *flows;
	size_t nflows, capflows;
	struct flowref *fr;
	size_t nfr, capfr;
	struct chainrow *chains;
	size_t nchains, capchains;
	sqlite3_stmt *offq;       /* off-CPU row by (node, tid, start) */
	struct idvec out, in, tie; /* flows at the slice being exported */
	struct ig_progress *prog; /* rows exported of nrows, scaled to the file's bytes */
	uint64_t rows, nrows;
	/* stack summaries by hash */
	struct ig_map stackidx;   /* hash -> index + 1 into ss (and ps) */
	char **ss, **ps;          /* stack annotation, Python frames ("" none) */
	sqlite3_stmt *pyq;        /* python_frames of a stack hash; NULL: no such table */
	size_t nstack, capstack;
};

static int db_err(struct dbin *in, const char *what)
{
	ig_error("%s: %s: %s", in->path, what, sqlite3_errmsg(in->db));
	return 1;
}

static int has_table(struct dbin *in, const char *t) { return ig_db_has_table(in->db, "main", t); }
static int has_col(struct dbin *in, const char *t, const char *c) { return ig_db_has_col(in->db, "main", t, c); }

static int node_index(struct dbin *in, const char *name)
{
	for (uint32_t i = 0; i < in->nnodes; i++)
		if (!strcmp(in->nodes[i], name ? name : "")) return (int)i;
	return -1;
}

static uint64_t off_key(uint32_t node, int64_t tid, int64_t start)
{
	uint64_t x = (uint64_t)start ^ ((uint64_t)tid << 40) ^ ((uint64_t)node << 58) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 29;
	return x;
}

static uint64_t ev_key(uint32_t node, int64_t seq) { return ((uint64_t)node << 40) ^ (uint64_t)seq; }

static void progress(struct dbin *in)
{
	if (!in->prog || !in->prog->on || (++in->rows & 4095)) return;
	uint64_t done = in->nrows ? (uint64_t)((double)in->rows / (double)in->nrows * (double)in->prog->total) : 0;
	ig_progress_update(in->prog, done > in->prog->total ? in->prog->total : done, in->rows);
}

static void idvec_push(struct idvec *v, uint64_t id)
{
	ig_grow(&v->v, &v->cap, v->n + 1, sizeof *v->v);
	v->v[v->n++] = id;
}

/* ------------------------------------------------------------ flows */

static uint32_t flow_add(struct dbin *in, uint32_t ci, uint32_t k, int kind)
{
	ig_grow(&in->flows, &in->capflows, in->nflows + 1, sizeof *in->flows);
	in->flows[in->nflows] = (struct flow){ .id = px_flow_id(ci, k), .kind = (uint8_t)kind };
	return (uint32_t)in->nflows++;
}

static void ref_add(struct dbin *in, uint64_t key, uint32_t flow, int is_off)
{
	ig_grow(&in->fr, &in->capfr, in->nfr + 1, sizeof *in->fr);
	in->fr[in->nfr++] = (struct flowref){ key, flow, (uint8_t)is_off };
}

static int fr_cmp(const void *a, const void *b)
{
	const struct flowref *x = a, *y = b;
	if (x->is_off != y->is_off) return x->is_off < y->is_off ? -1 : 1;
	if (x->key != y->key) return x->key < y->key ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

/* Roles of both ends from their start times: the earlier one starts the
 * flow; at equal times the evidence end starts it and the target end
 * carries it as a tie (both flow_ids). */
static void flow_decide(struct flow *f, int ok, uint64_t ts0, uint64_t ts1)
{
	f->decided = 1;
	if (!ok) { f->role0 = f->role1 = PX_FLOW_NONE; return; }
	if (ts0 < ts1) { f->role0 = PX_FLOW_OUT; f->role1 = PX_FLOW_IN; }
	else if (ts0 > ts1) { f->role0 = PX_FLOW_IN; f->role1 = PX_FLOW_OUT; }
	else { f->role0 = PX_FLOW_OUT; f->role1 = PX_FLOW_TIE; }
}

static void role_push(struct dbin *in, int role, uint64_t id)
{
	if (role == PX_FLOW_OUT) idvec_push(&in->out, id);
	else if (role == PX_FLOW_IN) idvec_push(&in->in, id);
	else if (role == PX_FLOW_TIE) idvec_push(&in->tie, id);
}

static void flows_reset(struct dbin *in) { in->out.n = in->in.n = in->tie.n = 0; }

static struct px_flows flows_view(struct dbin *in)
{
	return (struct px_flows){ in->out.v, (unsigned)in->out.n, in->in.v, (unsigned)in->in.n,
				  in->tie.v, (unsigned)in->tie.n };
}

/* Parse "node:seq" into (node index, seq). */
static int parse_evid(struct dbin *in, const char *s, uint32_t *node, int64_t *seq)
{
	const char *c = s ? strrchr(s, ':') : NULL;
	char nm[256];
	if (!c || (size_t)(c - s) >= sizeof nm || !isdigit((unsigned char)c[1])) return -1;
	memcpy(nm, s, (size_t)(c - s));
	nm[c - s] = 0;
	int ni = node_index(in, nm);
	if (ni < 0) return -1;
	*node = (uint32_t)ni;
	*seq = strtoll(c + 1, NULL, 10);
	return 0;
}

/* Is the off-CPU interval (node, tid, start) in the database and exported? */
static int offcpu_exported(struct dbin *in, uint32_t node, int64_t tid, int64_t start)
{
	if (!in->offq) return 0;
	sqlite3_reset(in->offq);
	sqlite3_bind_text(in->offq, 1, in->nodes[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(in->offq, 2, tid);
	sqlite3_bind_int64(in->offq, 3, start);
	if (sqlite3_step(in->offq) != SQLITE_ROW) return 0;
	int64_t d = sqlite3_column_int64(in->offq, 1);
	return px_event_wanted(in->px, node, (uint32_t)sqlite3_column_int64(in->offq, 0), (uint64_t)start,
			       d > 0 ? (uint64_t)d : 0);
}

/* The flows of chain ci (its slice: node, start; exported or not). */
static void chain_flows(struct dbin *in, struct chainrow *c, uint32_t ci, int chain_ok, const char *evjson)
{
	json_object *root = evjson && *evjson ? json_tokener_parse(evjson) : NULL, *a;
	uint32_t k = 0;
	c->flow0 = (uint32_t)in->nflows;
	if (!root) return;
	/* off-CPU interval -> the symptom it slowed (else -> the finding) */
	if (json_object_object_get_ex(root, "offcpu", &a) && json_object_is_type(a, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *o = json_object_array_get_idx(a, i), *v;
			int64_t tid = 0, start = 0, seq;
			uint32_t sn;
			if (json_object_object_get_ex(o, "tid", &v)) tid = json_object_get_int64(v);
			if (json_object_object_get_ex(o, "start", &v)) start = json_object_get_int64(v);
			int off_ok = offcpu_exported(in, c->node, tid, start);
			int to_sym = json_object_object_get_ex(o, "symptom", &v) &&
				     !parse_evid(in, json_object_get_string(v), &sn, &seq);
			uint32_t f = flow_add(in, ci, k++, to_sym ? FK_OFF_SYM : FK_OFF_CHAIN);
			ref_add(in, off_key(c->node, tid, start), f, 1);
			if (to_sym) {
				in->flows[f].known_ok = (uint8_t)off_ok;
				in->flows[f].known_ts = (uint64_t)start;
				ref_add(in, ev_key(sn, seq), f, 0);
			} else {
				flow_decide(&in->flows[f], off_ok && chain_ok, (uint64_t)start, c->start);
			}
		}
	}
	/* other evidence events (I/O, page allocs, other processes' calls) and
	 * the symptom calls themselves <-> the finding slice */
	static const char *const to_finding[] = { "events", "symptoms" };
	for (size_t t = 0; t < sizeof to_finding / sizeof *to_finding; t++) {
		if (!json_object_object_get_ex(root, to_finding[t], &a) || !json_object_is_type(a, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			uint32_t sn;
			int64_t seq;
			if (parse_evid(in, json_object_get_string(json_object_array_get_idx(a, i)), &sn, &seq)) continue;
			uint32_t f = flow_add(in, ci, k++, FK_EV_CHAIN);
			in->flows[f].known_ok = (uint8_t)chain_ok;
			in->flows[f].known_ts = c->start;
			ref_add(in, ev_key(sn, seq), f, 0);
		}
	}
	json_object_put(root);
}

/* Flows at an event (is_off 0, exported or not) or off-CPU interval end, into in->out/in/tie. */
static void end_flows(struct dbin *in, uint64_t key, int is_off, int exported, uint64_t ts)
{
	flows_reset(in);
	if (!in->nfr) return;
	size_t lo = 0, hi = in->nfr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct flowref *r = &in->fr[mid];
		if (r->is_off < is_off || (r->is_off == is_off && r->key < key)) lo = mid + 1;
		else hi = mid;
	}
	for (size_t i = lo; i < in->nfr && in->fr[i].is_off == is_off && in->fr[i].key == key; i++) {
		struct flow *f = &in->flows[in->fr[i].flow];
		if (is_off) { /* the evidence end; an event end has decided by now (or is absent) */
			if (f->decided && exported) role_push(in, f->role0, f->id);
			continue;
		}
		if (f->decided) continue; /* (node, seq) seen twice: the first one took it */
		if (f->kind == FK_EV_CHAIN) {
			flow_decide(f, exported && f->known_ok, ts, f->known_ts);
			role_push(in, f->role0, f->id);
		} else {
			flow_decide(f, exported && f->known_ok, f->known_ts, ts);
			role_push(in, f->role1, f->id);
		}
	}
}

/* --------------------------------------------------- stack summaries */

static const char *col_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return s ? s : "";
}

/* the Python frames of a stack (python_frames): all of them as "file:line
 * in func < ..." into full, the first STACK_FRAMES as "func (base:line)"
 * into out, which opens the stack annotation; returns how many are in out */
static int python_summary(struct dbin *in, int64_t hash, char *full, size_t flen, char *out, size_t len)
{
	size_t k = 0, kf = 0;
	int n = 0, i = 0;
	full[0] = out[0] = 0;
	if (!in->pyq) return 0;
	sqlite3_reset(in->pyq);
	sqlite3_bind_int64(in->pyq, 1, hash);
	for (; sqlite3_step(in->pyq) == SQLITE_ROW; i++) {
		const char *f = col_text(in->pyq, 0), *fn = col_text(in->pyq, 1), *base = strrchr(f, '/');
		int64_t line = sqlite3_column_int64(in->pyq, 2);
		int w = snprintf(full + kf, flen - kf, "%s%s:%" PRId64 " in %s", i ? " < " : "", f, line, fn);
		if (w < 0 || (size_t)w >= flen - kf) { full[flen - 1] = 0; kf = flen - 1; }
		else kf += (size_t)w;
		if (n >= STACK_FRAMES) continue;
		w = snprintf(out + k, len - k, "%s%s (%s:%" PRId64 ")", n ? " < " : "", fn, base ? base + 1 : f, line);
		if (w < 0 || (size_t)w >= len - k) { out[len - 1] = 0; k = len - 1; continue; }
		k += (size_t)w;
		n++;
	}
	sqlite3_reset(in->pyq);
	return n;
}

static const char *stack_summary(struct dbin *in, int64_t hash, sqlite3_stmt *q, const char **python)
{
	uint64_t *hit = ig_map_get(&in->stackidx, (uint64_t)hash);
	*python = NULL;
	if (hit) {
		*python = in->ps[*hit - 1];
		return in->ss[*hit - 1];
	}
	if (in->nstack >= 65536) return ""; /* bound the cache */
	char out[512] = "", full[4096];
	int npy = python_summary(in, hash, full, sizeof full, out, sizeof out);
	size_t k = strlen(out);
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, hash);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const char *frames = (const char *)sqlite3_column_text(q, 0);
		json_object *a = frames && *frames ? json_tokener_parse(frames) : NULL;
		int n = 0;
		for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
		     i < json_object_array_length(a) && n < STACK_FRAMES; i++) {
			json_object *fr = json_object_array_get_idx(a, i), *v;
			const char *s = NULL;
			if (json_object_object_get_ex(fr, "pfn", &v)) s = json_object_get_string(v);
			else if (json_object_object_get_ex(fr, "s", &v)) s = json_object_get_string(v);
			if (!s || !*s) continue;
			int w = snprintf(out + k, sizeof out - k, "%s%s", n || npy ? " < " : "", s);
			if (w < 0 || (size_t)w >= sizeof out - k) break;
			k += (size_t)w;
			n++;
		}
		json_object_put(a);
	}
	size_t cap = in->capstack;
	ig_grow(&in->ss, &in->capstack, in->nstack + 1, sizeof *in->ss);
	ig_grow(&in->ps, &cap, in->nstack + 1, sizeof *in->ps);
	in->ss[in->nstack] = xstrdup(out);
	in->ps[in->nstack++] = xstrdup(full);
	ig_map_xput(&in->stackidx, (uint64_t)hash, in->nstack);
	*python = in->ps[in->nstack - 1];
	return in->ss[in->nstack - 1];
}

/* ------------------------------------------------------------ tables */

static int load_nodes(struct dbin *in)
{
	sqlite3_stmt *st;
	const char *sql = !in->has_node ? "SELECT 'local', NULL" :
		in->ours && has_table(in, "nodes") ?
		"SELECT name, rank FROM nodes UNION SELECT DISTINCT node, NULL FROM events "
		"WHERE node NOT IN (SELECT name FROM nodes) ORDER BY 1" :
		"SELECT node, (SELECT rank FROM events e2 WHERE e2.node = e.node AND rank IS NOT NULL LIMIT 1) "
		"FROM (SELECT DISTINCT node FROM events) e ORDER BY 1";
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL)) return db_err(in, "reading nodes");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		if (node_index(in, n ? n : "") >= 0) continue;
		in->nodes = xrealloc(in->nodes, (in->nnodes + 1) * sizeof *in->nodes);
		in->nodes[in->nnodes] = xstrdup(n && *n ? n : (in->has_node ? "" : "local"));
		int32_t rank = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
		px_node(in->px, in->nnodes, in->nodes[in->nnodes][0] ? in->nodes[in->nnodes] : "local", rank);
		in->nnodes++;
	}
	sqlite3_finalize(st);
	return 0;
}

static uint32_t row_node(struct dbin *in, sqlite3_stmt *st, int col)
{
	if (col < 0) return 0;
	int i = node_index(in, (const char *)sqlite3_column_text(st, col));
	return i < 0 ? 0 : (uint32_t)i;
}

/* Process and thread names. */
static void load_names(struct dbin *in)
{
	sqlite3_stmt *st = NULL;
	const char *sql = NULL;
	if (in->ours && has_table(in, "processes")) {
		sql = "SELECT node, pid, comm, rank FROM processes ORDER BY node, pid";
	} else if (has_table(in, "process_names")) {
		int pn_node = has_col(in, "process_names", "node") && in->has_node;
		/* without a node column, a name applies to that pid on every node it ran on */
		sql = pn_node ? "SELECT node, pid, name, NULL FROM process_names ORDER BY node, pid"
			: in->has_node ? "SELECT DISTINCT e.node, p.pid, p.name, NULL FROM process_names p "
					 "JOIN events e ON e.pid = p.pid ORDER BY 1, 2"
			: "SELECT NULL, pid, name, NULL FROM process_names ORDER BY pid";
	}
	if (sql && !sqlite3_prepare_v2(in->db, sql, -1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW)
			px_process(in->px, row_node(in, st, 0), (uint32_t)sqlite3_column_int64(st, 1),
				   (const char *)sqlite3_column_text(st, 2),
				   sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3));
	sqlite3_finalize(st);
	st = NULL;
	if (in->ours && has_table(in, "threads") &&
	    !sqlite3_prepare_v2(in->db, "SELECT node, pid, tid, name FROM threads ORDER BY node, pid, tid", -1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW)
			px_thread(in->px, row_node(in, st, 0), (uint32_t)sqlite3_column_int64(st, 1),
				  (uint32_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

/* Chains: kept (exported last, when their flows are decided) + the flow table. */
static int load_chains(struct dbin *in)
{
	if (!has_table(in, "causal_chains")) return 0;
	int win = has_col(in, "causal_chains", "window_start");
	int cnode = has_col(in, "causal_chains", "node");
	const char *wstart = win ? "CASE WHEN window_start > 0 THEN window_start ELSE detected_at END" : "detected_at";
	char sql[768];
	snprintf(sql, sizeof sql, "SELECT id, %s, severity, summary, root_cause, recommendations, %s, %s, %s, %s "
		 "FROM causal_chains ORDER BY %s, id",
		 cnode ? "node" : "NULL", win ? "kind" : "''", wstart,
		 win ? "CASE WHEN window_end > window_start THEN window_end ELSE detected_at END" : "detected_at",
		 win ? "evidence" : "''", wstart);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL)) return db_err(in, "reading causal_chains");
	if (in->ours && has_table(in, "offcpu"))
		sqlite3_prepare_v2(in->db, "SELECT pid, duration FROM offcpu WHERE node = ?1 AND tid = ?2 AND start = ?3",
				   -1, &in->offq, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ig_grow(&in->chains, &in->capchains, in->nchains + 1, sizeof *in->chains);
		struct chainrow *c = &in->chains[in->nchains];
		c->id = xstrdup(col_text(st, 0));
		c->node = row_node(in, st, 1);
		c->severity = xstrdup(col_text(st, 2));
		c->summary = xstrdup(col_text(st, 3));
		c->root_cause = xstrdup(col_text(st, 4));
		c->recommendations = xstrdup(col_text(st, 5));
		c->kind = xstrdup(col_text(st, 6));
		c->start = (uint64_t)sqlite3_column_int64(st, 7);
		c->end = (uint64_t)sqlite3_column_int64(st, 8);
		if (c->end <= c->start) c->end = c->start + 1000000; /* point-in-time chains: 1 ms */
		int ok = px_chain_wanted(in->px, c->node, c->start, c->end);
		chain_flows(in, c, (uint32_t)in->nchains, ok, (const char *)sqlite3_column_text(st, 9));
		c->nflows = (uint32_t)in->nflows - c->flow0;
		in->nchains++;
	}
	sqlite3_finalize(st);
	if (in->nfr) qsort(in->fr, in->nfr, sizeof *in->fr, fr_cmp);
	return 0;
}

static void export_chains(struct dbin *in)
{
	for (size_t i = 0; i < in->nchains; i++) {
		struct chainrow *c = &in->chains[i];
		flows_reset(in);
		for (uint32_t k = 0; k < c->nflows; k++) {
			struct flow *f = &in->flows[c->flow0 + k];
			if (f->kind != FK_OFF_SYM && f->decided) role_push(in, f->role1, f->id);
		}
		struct px_chain pc = { .id = c->id, .severity = c->severity, .summary = c->summary,
				       .root_cause = c->root_cause, .recommendations = c->recommendations,
				       .kind = c->kind, .node = c->node, .start = c->start, .end = c->end,
				       .fl = flows_view(in) };
		px_chain(in->px, &pc);
	}
}

/* Off-CPU intervals (ours): slices naming who ran instead. */
static int export_offcpu(struct dbin *in)
{
	sqlite3_stmt *st;
	if (!in->ours || !has_table(in, "offcpu")) return 0;
	if (sqlite3_prepare_v2(in->db, "SELECT node, pid, tid, start, duration, prev_state, culprit_pid, "
			       "culprit_tid, culprit_comm, cpu FROM offcpu ORDER BY node, tid, start", -1, &st, NULL))
		return db_err(in, "reading offcpu");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ingero_event ev = { 0 };
		struct px_evinfo info = { 0 };
		uint32_t node = row_node(in, st, 0);
		ev.pid = (uint32_t)sqlite3_column_int64(st, 1);
		ev.tid = (uint32_t)sqlite3_column_int64(st, 2);
		ev.ts = (uint64_t)sqlite3_column_int64(st, 3);
		ev.dur = (uint64_t)sqlite3_column_int64(st, 4);
		ev.source = INGERO_SRC_HOST;
		ev.op = INGERO_HOST_SCHED_SWITCH;
		ev.arg[0] = (uint64_t)sqlite3_column_int64(st, 5);
		ev.arg[1] = (uint64_t)sqlite3_column_int64(st, 6);
		ev.arg[2] = (uint64_t)sqlite3_column_int64(st, 7);
		info.culprit_comm = (const char *)sqlite3_column_text(st, 8);
		ev.cpu = (uint32_t)sqlite3_column_int64(st, 9);
		end_flows(in, off_key(node, ev.tid, (int64_t)ev.ts), 1,
			  px_event_wanted(in->px, node, ev.pid, ev.ts, ev.dur), ev.ts);
		info.fl = flows_view(in);
		px_event(in->px, node, &ev, &info);
		progress(in);
	}
	sqlite3_finalize(st);
	return 0;
}

/* Events in file order per node. */
static int export_events(struct dbin *in)
{
	sqlite3_stmt *st = NULL, *sq = NULL;
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "SELECT %s, %s, timestamp, pid, %s, source, op, duration, arg0, arg1, %s, ret_code, stack_hash, "
		 "%s, %s FROM events %s ORDER BY %s",
		 in->has_node ? "node" : "NULL",
		 in->ours ? "seq" : "CAST(substr(id, instr(id, ':') + 1) AS INTEGER)",
		 in->has_tid ? "tid" : "pid",
		 in->ext ? "arg2, arg3" : "0, 0",
		 in->ext ? "cpu" : "-1", in->ext ? "flags" : "0",
		 in->have_off ? "WHERE NOT (source = 3 AND op = 1)" : "",
		 in->ours ? "node, seq" : "rowid");
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL)) return db_err(in, "reading events");
	if (has_table(in, "stack_traces") && has_col(in, "stack_traces", "frames"))
		sqlite3_prepare_v2(in->db, "SELECT frames FROM stack_traces WHERE hash = ?1", -1, &sq, NULL);
	if (has_table(in, "python_frames"))
		sqlite3_prepare_v2(in->db, "SELECT file, function, line FROM python_frames WHERE stack_hash = ?1 "
				   "ORDER BY depth", -1, &in->pyq, NULL);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ingero_event ev = { 0 };
		struct px_evinfo info = { 0 };
		uint32_t node = row_node(in, st, 0);
		int64_t seq = sqlite3_column_int64(st, 1);
		ev.ts = (uint64_t)sqlite3_column_int64(st, 2);
		ev.pid = (uint32_t)sqlite3_column_int64(st, 3);
		ev.tid = (uint32_t)sqlite3_column_int64(st, 4);
		ev.source = (uint8_t)sqlite3_column_int(st, 5);
		ev.op = (uint8_t)sqlite3_column_int(st, 6);
		int64_t d = sqlite3_column_int64(st, 7);
		ev.dur = d > 0 ? (uint64_t)d : 0;
		ev.arg[0] = (uint64_t)sqlite3_column_int64(st, 8);
		ev.arg[1] = (uint64_t)sqlite3_column_int64(st, 9);
		ev.arg[2] = (uint64_t)sqlite3_column_int64(st, 10);
		ev.arg[3] = (uint64_t)sqlite3_column_int64(st, 11);
		ev.ret = (int32_t)sqlite3_column_int64(st, 12);
		int64_t sh = sqlite3_column_int64(st, 13);
		ev.cpu = (uint32_t)sqlite3_column_int64(st, 14);
		ev.flags = (uint16_t)sqlite3_column_int(st, 15);
		if (sh && sq) info.stack = stack_summary(in, sh, sq, &info.python);
		end_flows(in, ev_key(node, seq), 0, px_event_wanted(in->px, node, ev.pid, ev.ts, ev.dur), ev.ts);
		info.fl = flows_view(in);
		px_event(in->px, node, &ev, &info);
		progress(in);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(sq);
	sqlite3_finalize(in->pyq);
	in->pyq = NULL;
	if (rc != SQLITE_DONE) return db_err(in, "reading events");
	return 0;
}

/* Steps (engine v2, docs/perfetto.md "Steps"), when the DB has them. */
static int export_steps(struct dbin *in)
{
	sqlite3_stmt *st;
	if (!in->ours || !has_table(in, "steps")) return 0;
	if (sqlite3_prepare_v2(in->db, "SELECT node, pid, stream, id, step, start, duration, phase, boundary_op, "
			       "outlier, coalesce(preempt_comm, ''), coalesce(waker_comm, ''), "
			       "coalesce(preempt_pid, 0), coalesce(waker_pid, 0), warmup, slow, launches, memcpy_bytes, "
			       "launch_ns, memcpy_ns, sync_ns, alloc_ns, other_cuda_ns, nccl_ns, host_ns, "
			       "preempted_ns, blocked_ns, io_ns, mem_ns, gpu_idle_ns "
			       "FROM steps ORDER BY node, pid, stream, start, id", -1, &st, NULL))
		return db_err(in, "reading steps");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct px_step s = { 0 };
		uint64_t *ns[] = { &s.launch_ns, &s.memcpy_ns, &s.sync_ns, &s.alloc_ns, &s.other_cuda_ns, &s.nccl_ns,
				   &s.host_ns, &s.preempted_ns, &s.blocked_ns, &s.io_ns, &s.mem_ns, &s.gpu_idle_ns };
		s.node = row_node(in, st, 0);
		s.pid = (uint32_t)sqlite3_column_int64(st, 1);
		s.stream = (uint64_t)sqlite3_column_int64(st, 2);
		s.id = sqlite3_column_int64(st, 3);
		s.step = sqlite3_column_int64(st, 4);
		s.start = (uint64_t)sqlite3_column_int64(st, 5);
		int64_t d = sqlite3_column_int64(st, 6);
		s.dur = d > 0 ? (uint64_t)d : 0;
		s.phase = col_text(st, 7);
		s.boundary_op = col_text(st, 8);
		s.outlier = col_text(st, 9);
		s.preempt_comm = col_text(st, 10);
		s.waker_comm = col_text(st, 11);
		s.preempt_pid = sqlite3_column_int64(st, 12);
		s.waker_pid = sqlite3_column_int64(st, 13);
		s.warmup = sqlite3_column_int(st, 14);
		s.slow = sqlite3_column_int(st, 15);
		s.launches = (uint64_t)sqlite3_column_int64(st, 16);
		s.memcpy_bytes = (uint64_t)sqlite3_column_int64(st, 17);
		for (int i = 0; i < 12; i++) {
			int64_t v = sqlite3_column_int64(st, 18 + i);
			*ns[i] = v > 0 ? (uint64_t)v : 0;
		}
		px_step(in->px, &s);
	}
	sqlite3_finalize(st);
	return 0;
}

/* System and GPU snapshots -> counters; lost events; notes. */
static void export_counters(struct dbin *in)
{
	sqlite3_stmt *st = NULL;
	if (has_table(in, "system_snapshots")) {
		int sn = has_col(in, "system_snapshots", "node") && in->has_node;
		int iw = has_col(in, "system_snapshots", "iowait_pct");
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT %s, timestamp, cpu_pct, mem_pct, mem_avail, swap_mb, load_avg, %s "
			 "FROM system_snapshots ORDER BY %s timestamp", sn ? "node" : "NULL", iw ? "iowait_pct" : "0",
			 sn ? "node," : "");
		if (!sqlite3_prepare_v2(in->db, sql, -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW) {
				struct ingero_sys s = { 0 };
				s.ts = (uint64_t)sqlite3_column_int64(st, 1);
				s.cpu_pct = sqlite3_column_double(st, 2);
				s.mem_pct = sqlite3_column_double(st, 3);
				s.mem_avail_mb = (uint64_t)sqlite3_column_int64(st, 4);
				s.swap_used_mb = (uint64_t)sqlite3_column_int64(st, 5);
				s.load1 = sqlite3_column_double(st, 6);
				s.iowait_pct = sqlite3_column_double(st, 7);
				px_sys(in->px, sn ? row_node(in, st, 0) : 0, &s);
			}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (!in->ours) return;
	if (has_table(in, "gpu_snapshots") &&
	    !sqlite3_prepare_v2(in->db, "SELECT node, timestamp, gpu, util_pct, mem_used_mb, sm_clock_mhz, "
				"throttle_reasons FROM gpu_snapshots ORDER BY node, gpu, timestamp", -1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct ingero_gpu g = { 0 };
			g.ts = (uint64_t)sqlite3_column_int64(st, 1);
			g.index = (uint32_t)sqlite3_column_int(st, 2);
			g.util_pct = sqlite3_column_double(st, 3);
			g.mem_used_mb = (uint64_t)sqlite3_column_int64(st, 4);
			g.sm_clock_mhz = (uint32_t)sqlite3_column_int64(st, 5);
			g.throttle_reasons = (uint64_t)sqlite3_column_int64(st, 6);
			px_gpu(in->px, row_node(in, st, 0), &g);
		}
	sqlite3_finalize(st);
	st = NULL;
	if (has_table(in, "lost_events") &&
	    !sqlite3_prepare_v2(in->db, "SELECT node, timestamp, source, count, reason FROM lost_events "
				"ORDER BY node, timestamp", -1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct ingero_lost l = { 0 };
			l.ts = (uint64_t)sqlite3_column_int64(st, 1);
			l.source = (uint8_t)sqlite3_column_int(st, 2);
			l.count = (uint64_t)sqlite3_column_int64(st, 3);
			l.reason = (uint32_t)sqlite3_column_int(st, 4);
			px_lost(in->px, row_node(in, st, 0), &l);
		}
	sqlite3_finalize(st);
	st = NULL;
	if (has_table(in, "notes") &&
	    !sqlite3_prepare_v2(in->db, "SELECT node, timestamp, level, text FROM notes ORDER BY node, timestamp",
				-1, &st, NULL))
		while (sqlite3_step(st) == SQLITE_ROW)
			px_note(in->px, row_node(in, st, 0), (uint64_t)sqlite3_column_int64(st, 1),
				sqlite3_column_int(st, 2), (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void dbin_free(struct dbin *in)
{
	sqlite3_finalize(in->offq);
	sqlite3_close(in->db);
	for (uint32_t i = 0; i < in->nnodes; i++) free(in->nodes[i]);
	free(in->nodes);
	free(in->flows);
	free(in->fr);
	for (size_t i = 0; i < in->nchains; i++) {
		struct chainrow *c = &in->chains[i];
		free(c->id); free(c->severity); free(c->summary); free(c->root_cause);
		free(c->recommendations); free(c->kind);
	}
	free(in->chains);
	free(in->out.v); free(in->in.v); free(in->tie.v);
	for (size_t i = 0; i < in->nstack; i++) { free(in->ss[i]); free(in->ps[i]); }
	free(in->ss);
	free(in->ps);
	ig_map_release(&in->stackidx);
}

int px_input_db(struct px *px, const char *path, const struct px_opts *o)
{
	struct dbin in = { .px = px, .path = path, .prog = o->progress };
	int ret = 1;
	in.db = ig_db_open_ro(path);
	if (!in.db) goto out;
	if (!has_table(&in, "events")) {
		ig_error("%s: not an Ingero analysis database (no events table)", path);
		goto out;
	}
	in.ours = has_col(&in, "events", "seq");
	in.has_node = has_col(&in, "events", "node");
	in.has_tid = has_col(&in, "events", "tid");
	in.ext = has_col(&in, "events", "arg2") && has_col(&in, "events", "cpu") && has_col(&in, "events", "flags");
	in.have_off = in.ours && has_table(&in, "offcpu") &&
		      ig_db_int(in.db, "SELECT EXISTS (SELECT 1 FROM offcpu)", 0) == 1;
	if (load_nodes(&in)) goto out;
	/* origin: first timestamp */
	if (!px_origin_known(px) && (px_from_end(o->since_s) || px_from_end(o->until_s))) {
		int64_t te = ig_db_int(in.db, "SELECT coalesce(max(timestamp + duration), 0) FROM events", 0);
		px_set_end(px, te > 0 ? (uint64_t)te : 0);
	}
	int64_t t0 = ig_db_int(in.db, "SELECT coalesce(min(timestamp), -1) FROM events", -1);
	if (t0 >= 0) px_set_origin(px, (uint64_t)t0);
	load_names(&in);
	if (in.prog && in.prog->on)
		in.nrows = (uint64_t)ig_db_int(in.db, "SELECT count(*) FROM events", 0) +
			   (in.have_off ? (uint64_t)ig_db_int(in.db, "SELECT count(*) FROM offcpu", 0) : 0);
	if (load_chains(&in) || export_events(&in) || export_offcpu(&in) || export_steps(&in)) goto out;
	export_chains(&in);
	export_counters(&in);
	ret = 0;
out:
	dbin_free(&in);
	return ret;
}
