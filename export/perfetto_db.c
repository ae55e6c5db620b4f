/*
 * perfetto_db.c - ingero-perfetto input from an analysis database (ours, or
 * one of the original Go Ingero's files): events, off-CPU intervals, system
 * and GPU snapshots, lost events, and causal chains with flow arrows from
 * their evidence (causal_chains.evidence, docs/engine.md) to the symptoms.
 * The file is opened read-only and immutable (nothing is written next to it).
 */
#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto.h"

#define STACK_FRAMES 3

struct flowref {
	uint64_t key;             /* event: node<<40|seq ; offcpu: hash(node,tid,start) */
	uint64_t flow;
	int out;                  /* 1 flow starts here, 0 terminates here */
	int is_off;
};

struct dbin {
	struct px *px;
	sqlite3 *db;
	const char *path;
	char **nodes;
	uint32_t nnodes;
	struct flowref *fr;
	size_t nfr, capfr;
	int ours;
	/* stack summaries by hash */
	int64_t *sh;
	char **ss;
	size_t nstack, capstack;
	uint32_t *hidx;           /* open addressing: index + 1 into sh/ss */
	size_t hcap;
};

static int has_table(sqlite3 *db, const char *t)
{
	sqlite3_stmt *st;
	int r = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

static int has_col(sqlite3 *db, const char *t, const char *c)
{
	sqlite3_stmt *st;
	int r = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_xinfo(?1) WHERE name=?2", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

static int db_err(struct dbin *in, const char *what)
{
	fprintf(stderr, "ingero-perfetto: %s: %s: %s\n", in->path, what, sqlite3_errmsg(in->db));
	return 1;
}

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

static int add_flow(struct dbin *in, uint64_t key, uint64_t flow, int out, int is_off)
{
	if (in->nfr == in->capfr) {
		in->capfr = in->capfr ? in->capfr * 2 : 64;
		void *p = realloc(in->fr, in->capfr * sizeof *in->fr);
		if (!p) return -1;
		in->fr = p;
	}
	in->fr[in->nfr++] = (struct flowref){ key, flow, out, is_off };
	return 0;
}

static int fr_cmp(const void *a, const void *b)
{
	const struct flowref *x = a, *y = b;
	if (x->is_off != y->is_off) return x->is_off < y->is_off ? -1 : 1;
	if (x->key != y->key) return x->key < y->key ? -1 : 1;
	if (x->flow != y->flow) return x->flow < y->flow ? -1 : 1;
	return x->out - y->out;
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

/* Flows for one chain.  Returned: ids ending on the chain slice. */
static int chain_flows(struct dbin *in, uint32_t ci, uint32_t node, const char *evjson,
		       uint64_t **to_chain, unsigned *nto)
{
	json_object *root = evjson && *evjson ? json_tokener_parse(evjson) : NULL, *a;
	uint32_t k = 0;
	*to_chain = NULL;
	*nto = 0;
	if (!root) return 0;
	size_t cap = 0;
#define TO_CHAIN(f) do { \
		if (*nto == cap) { \
			cap = cap ? cap * 2 : 16; \
			uint64_t *np_ = realloc(*to_chain, cap * sizeof **to_chain); \
			if (!np_) \
				goto oom; \
			*to_chain = np_; \
		} \
		(*to_chain)[(*nto)++] = (f); \
	} while (0)
	/* off-CPU interval -> the symptom it slowed */
	if (json_object_object_get_ex(root, "offcpu", &a) && json_object_is_type(a, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *o = json_object_array_get_idx(a, i), *v;
			int64_t tid = 0, start = 0, seq;
			uint32_t sn;
			if (json_object_object_get_ex(o, "tid", &v)) tid = json_object_get_int64(v);
			if (json_object_object_get_ex(o, "start", &v)) start = json_object_get_int64(v);
			uint64_t f = px_flow_id(ci, k++);
			if (add_flow(in, off_key(node, tid, start), f, 1, 1)) goto oom;
			if (json_object_object_get_ex(o, "symptom", &v) &&
			    !parse_evid(in, json_object_get_string(v), &sn, &seq)) {
				if (add_flow(in, ev_key(sn, seq), f, 0, 0)) goto oom;
			} else {
				TO_CHAIN(f);
			}
		}
	}
	/* other evidence events (I/O, page allocs, other processes' calls) and the
	 * symptom calls themselves -> the finding slice (the arrow ends on it) */
	static const char *const to_finding[] = { "events", "symptoms" };
	for (size_t t = 0; t < sizeof to_finding / sizeof *to_finding; t++) {
		if (!json_object_object_get_ex(root, to_finding[t], &a) || !json_object_is_type(a, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			uint32_t sn;
			int64_t seq;
			if (parse_evid(in, json_object_get_string(json_object_array_get_idx(a, i)), &sn, &seq)) continue;
			uint64_t f = px_flow_id(ci, k++);
			if (add_flow(in, ev_key(sn, seq), f, 1, 0)) goto oom;
			TO_CHAIN(f);
		}
	}
#undef TO_CHAIN
	json_object_put(root);
	return 0;
oom:
	json_object_put(root);
	return -1;
}

/* flows at an event / off-CPU key: fills out/in arrays (bounded) */
static void lookup_flows(struct dbin *in, uint64_t key, int is_off, uint64_t *outv, unsigned *nout,
			 uint64_t *inv, unsigned *nin, unsigned max)
{
	*nout = *nin = 0;
	if (!in->nfr) return;
	size_t lo = 0, hi = in->nfr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct flowref *f = &in->fr[mid];
		if (f->is_off < is_off || (f->is_off == is_off && f->key < key)) lo = mid + 1;
		else hi = mid;
	}
	for (size_t i = lo; i < in->nfr && in->fr[i].is_off == is_off && in->fr[i].key == key; i++) {
		if (in->fr[i].out && *nout < max) outv[(*nout)++] = in->fr[i].flow;
		else if (!in->fr[i].out && *nin < max) inv[(*nin)++] = in->fr[i].flow;
	}
}

static const char *stack_summary(struct dbin *in, int64_t hash, sqlite3_stmt *q)
{
	uint64_t hh = (uint64_t)hash * 0x9e3779b97f4a7c15ULL;
	for (size_t i = in->hcap ? (hh >> 20) & (in->hcap - 1) : 0; in->hcap && in->hidx[i];
	     i = (i + 1) & (in->hcap - 1))
		if (in->sh[in->hidx[i] - 1] == hash) return in->ss[in->hidx[i] - 1];
	char out[512] = "";
	size_t k = 0;
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
			int w = snprintf(out + k, sizeof out - k, "%s%s", n ? " < " : "", s);
			if (w < 0 || (size_t)w >= sizeof out - k) break;
			k += (size_t)w;
			n++;
		}
		json_object_put(a);
	}
	if (in->nstack == in->capstack) {
		if (in->capstack >= 65536) return ""; /* bound the cache */
		in->capstack = in->capstack ? in->capstack * 2 : 64;
		int64_t *a = realloc(in->sh, in->capstack * sizeof *a);
		if (!a) return "";
		in->sh = a;
		char **b = realloc(in->ss, in->capstack * sizeof *b);
		if (!b) return "";
		in->ss = b;
	}
	char *d = strdup(out);
	if (!d) return "";
	in->sh[in->nstack] = hash;
	in->ss[in->nstack++] = d;
	if (in->nstack * 2 > in->hcap) {
		size_t nc = in->hcap ? in->hcap * 2 : 256;
		uint32_t *h = calloc(nc, sizeof *h);
		if (!h) return d;
		free(in->hidx);
		in->hidx = h;
		in->hcap = nc;
		for (size_t j = 0; j < in->nstack; j++) {
			uint64_t x = (uint64_t)in->sh[j] * 0x9e3779b97f4a7c15ULL;
			size_t i = (x >> 20) & (nc - 1);
			while (h[i]) i = (i + 1) & (nc - 1);
			h[i] = (uint32_t)j + 1;
		}
	} else {
		size_t i = (hh >> 20) & (in->hcap - 1);
		while (in->hidx[i]) i = (i + 1) & (in->hcap - 1);
		in->hidx[i] = (uint32_t)in->nstack;
	}
	return d;
}

static int load_nodes(struct dbin *in, int has_node_col)
{
	sqlite3_stmt *st;
	const char *sql = !has_node_col ? "SELECT 'local', NULL" :
		in->ours && has_table(in->db, "nodes") ?
		"SELECT name, rank FROM nodes UNION SELECT DISTINCT node, NULL FROM events "
		"WHERE node NOT IN (SELECT name FROM nodes) ORDER BY 1" :
		"SELECT node, (SELECT rank FROM events e2 WHERE e2.node = e.node AND rank IS NOT NULL LIMIT 1) "
		"FROM (SELECT DISTINCT node FROM events) e ORDER BY 1";
	if (sqlite3_prepare_v2(in->db, sql, -1, &st, NULL)) return db_err(in, "reading nodes");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		if (node_index(in, n ? n : "") >= 0) continue;
		char **p = realloc(in->nodes, (in->nnodes + 1) * sizeof *p);
		if (!p) { sqlite3_finalize(st); return 1; }
		in->nodes = p;
		in->nodes[in->nnodes] = strdup(n && *n ? n : (has_node_col ? "" : "local"));
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

int px_input_db(struct px *px, const char *path, const struct px_opts *o)
{
	struct dbin in = { .px = px, .path = path };
	sqlite3_stmt *st = NULL, *sq = NULL;
	char *uri = NULL;
	int ret = 1;
	(void)o;

	/* file: URI with every byte outside [A-Za-z0-9/._~-] percent-encoded */
	uri = sqlite3_malloc64(strlen(path) * 3 + 32);
	if (!uri) { fprintf(stderr, "ingero-perfetto: out of memory\n"); goto out; }
	{
		char *q = uri + sprintf(uri, "file:");
		for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
			if (isalnum(*p) || strchr("/-_.~", *p)) *q++ = (char)*p;
			else q += sprintf(q, "%%%02X", *p);
		}
		strcpy(q, "?mode=ro&immutable=1");
	}
	if (sqlite3_open_v2(uri, &in.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		goto open_fail;
	if (!has_table(in.db, "events")) {
		fprintf(stderr, "ingero-perfetto: %s: not an Ingero analysis database (no events table)\n", path);
		goto out;
	}
	in.ours = has_col(in.db, "events", "seq");
	int has_node = has_col(in.db, "events", "node");
	int has_tid = has_col(in.db, "events", "tid");
	int ext = has_col(in.db, "events", "arg2") && has_col(in.db, "events", "cpu") && has_col(in.db, "events", "flags");
	if (load_nodes(&in, has_node)) goto out;

	/* origin: first timestamp */
	if (sqlite3_prepare_v2(in.db, "SELECT min(timestamp) FROM events", -1, &st, NULL)) { db_err(&in, "reading events"); goto out; }
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		px_set_origin(px, (uint64_t)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	st = NULL;

	/* processes and threads (names) */
	if (in.ours && has_table(in.db, "processes")) {
		if (!sqlite3_prepare_v2(in.db, "SELECT node, pid, comm, rank FROM processes ORDER BY node, pid", -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW)
				px_process(px, row_node(&in, st, 0), (uint32_t)sqlite3_column_int64(st, 1),
					   (const char *)sqlite3_column_text(st, 2),
					   sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3));
		sqlite3_finalize(st);
		st = NULL;
	} else if (has_table(in.db, "process_names")) {
		int pn_node = has_col(in.db, "process_names", "node") && has_node;
		/* without a node column, a name applies to that pid on every node it ran on */
		const char *sql = pn_node ? "SELECT node, pid, name FROM process_names ORDER BY node, pid"
			: has_node ? "SELECT DISTINCT e.node, p.pid, p.name FROM process_names p "
				     "JOIN events e ON e.pid = p.pid ORDER BY 1, 2"
			: "SELECT NULL, pid, name FROM process_names ORDER BY pid";
		if (!sqlite3_prepare_v2(in.db, sql, -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW)
				px_process(px, row_node(&in, st, 0), (uint32_t)sqlite3_column_int64(st, 1),
					   (const char *)sqlite3_column_text(st, 2), -1);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (in.ours && has_table(in.db, "threads")) {
		if (!sqlite3_prepare_v2(in.db, "SELECT node, pid, tid, name FROM threads ORDER BY node, pid, tid", -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW)
				px_thread(px, row_node(&in, st, 0), (uint32_t)sqlite3_column_int64(st, 1),
					  (uint32_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		st = NULL;
	}

	/* chains: slices on the findings track + flow table */
	if (has_table(in.db, "causal_chains")) {
		int win = has_col(in.db, "causal_chains", "window_start");
		int cnode = has_col(in.db, "causal_chains", "node");
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT id, %s, severity, summary, root_cause, recommendations, %s, %s, %s, %s "
			 "FROM causal_chains ORDER BY %s, id",
			 cnode ? "node" : "NULL", win ? "kind" : "''",
			 win ? "CASE WHEN window_start > 0 THEN window_start ELSE detected_at END" : "detected_at",
			 win ? "CASE WHEN window_end > window_start THEN window_end ELSE detected_at END" : "detected_at",
			 win ? "evidence" : "''",
			 win ? "CASE WHEN window_start > 0 THEN window_start ELSE detected_at END" : "detected_at");
		if (sqlite3_prepare_v2(in.db, sql, -1, &st, NULL)) { db_err(&in, "reading causal_chains"); goto out; }
		uint32_t ci = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct px_chain c = { 0 };
			uint64_t *to = NULL;
			unsigned nto = 0;
			c.id = (const char *)sqlite3_column_text(st, 0);
			c.node = row_node(&in, st, 1);
			c.severity = (const char *)sqlite3_column_text(st, 2);
			c.summary = (const char *)sqlite3_column_text(st, 3);
			c.root_cause = (const char *)sqlite3_column_text(st, 4);
			c.recommendations = (const char *)sqlite3_column_text(st, 5);
			c.kind = (const char *)sqlite3_column_text(st, 6);
			c.start = (uint64_t)sqlite3_column_int64(st, 7);
			c.end = (uint64_t)sqlite3_column_int64(st, 8);
			if (c.end <= c.start) c.end = c.start + 1000000; /* point-in-time chains: 1 ms */
			if (chain_flows(&in, ci, c.node, (const char *)sqlite3_column_text(st, 9), &to, &nto)) {
				fprintf(stderr, "ingero-perfetto: out of memory\n");
				free(to);
				goto out;
			}
			c.flow_in = to;
			c.n_flow_in = nto;
			px_chain(px, &c);
			free(to);
			ci++;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (in.nfr) qsort(in.fr, in.nfr, sizeof *in.fr, fr_cmp);
	}

	/* off-CPU intervals (ours): slices naming who ran instead */
	int have_off = 0;
	if (in.ours && has_table(in.db, "offcpu")) {
		if (sqlite3_prepare_v2(in.db, "SELECT node, pid, tid, start, duration, prev_state, culprit_pid, "
				       "culprit_tid, culprit_comm, cpu FROM offcpu ORDER BY node, tid, start", -1, &st, NULL)) {
			db_err(&in, "reading offcpu");
			goto out;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct ingero_event ev = { 0 };
			uint64_t fo[16], fi[16];
			struct px_evinfo info = { .flow_out = fo, .flow_in = fi };
			uint32_t node = row_node(&in, st, 0);
			have_off = 1;
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
			lookup_flows(&in, off_key(node, ev.tid, (int64_t)ev.ts), 1, fo, &info.n_flow_out, fi, &info.n_flow_in, 16);
			px_event(px, node, &ev, &info);
		}
		sqlite3_finalize(st);
		st = NULL;
	}

	/* events in file order per node */
	{
		char sql[1024];
		snprintf(sql, sizeof sql,
			 "SELECT %s, %s, timestamp, pid, %s, source, op, duration, arg0, arg1, %s, ret_code, stack_hash, "
			 "%s, %s FROM events %s ORDER BY %s",
			 has_node ? "node" : "NULL",
			 in.ours ? "seq" : "CAST(substr(id, instr(id, ':') + 1) AS INTEGER)",
			 has_tid ? "tid" : "pid",
			 ext ? "arg2, arg3" : "0, 0",
			 ext ? "cpu" : "-1", ext ? "flags" : "0",
			 have_off ? "WHERE NOT (source = 3 AND op = 1)" : "",
			 in.ours ? "node, seq" : "rowid");
		if (sqlite3_prepare_v2(in.db, sql, -1, &st, NULL)) { db_err(&in, "reading events"); goto out; }
		if (has_table(in.db, "stack_traces") && has_col(in.db, "stack_traces", "frames"))
			sqlite3_prepare_v2(in.db, "SELECT frames FROM stack_traces WHERE hash = ?1", -1, &sq, NULL);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct ingero_event ev = { 0 };
			uint64_t fo[16], fi[16];
			struct px_evinfo info = { .flow_out = fo, .flow_in = fi };
			uint32_t node = row_node(&in, st, 0);
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
			if (sh && sq) info.stack = stack_summary(&in, sh, sq);
			lookup_flows(&in, ev_key(node, seq), 0, fo, &info.n_flow_out, fi, &info.n_flow_in, 16);
			px_event(px, node, &ev, &info);
		}
		if (rc != SQLITE_DONE) { db_err(&in, "reading events"); goto out; }
		sqlite3_finalize(st);
		st = NULL;
	}

	/* system snapshots -> counters */
	if (has_table(in.db, "system_snapshots")) {
		int sn = has_col(in.db, "system_snapshots", "node") && has_node;
		int iw = has_col(in.db, "system_snapshots", "iowait_pct");
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT %s, timestamp, cpu_pct, mem_pct, mem_avail, swap_mb, load_avg, %s "
			 "FROM system_snapshots ORDER BY %s timestamp", sn ? "node" : "NULL", iw ? "iowait_pct" : "0",
			 sn ? "node," : "");
		if (!sqlite3_prepare_v2(in.db, sql, -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW) {
				struct ingero_sys s = { 0 };
				s.ts = (uint64_t)sqlite3_column_int64(st, 1);
				s.cpu_pct = sqlite3_column_double(st, 2);
				s.mem_pct = sqlite3_column_double(st, 3);
				s.mem_avail_mb = (uint64_t)sqlite3_column_int64(st, 4);
				s.swap_used_mb = (uint64_t)sqlite3_column_int64(st, 5);
				s.load1 = sqlite3_column_double(st, 6);
				s.iowait_pct = sqlite3_column_double(st, 7);
				px_sys(px, sn ? row_node(&in, st, 0) : 0, &s);
			}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (in.ours && has_table(in.db, "gpu_snapshots")) {
		if (!sqlite3_prepare_v2(in.db, "SELECT node, timestamp, gpu, util_pct, mem_used_mb, sm_clock_mhz, "
				       "throttle_reasons FROM gpu_snapshots ORDER BY node, gpu, timestamp", -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW) {
				struct ingero_gpu g = { 0 };
				g.ts = (uint64_t)sqlite3_column_int64(st, 1);
				g.index = (uint32_t)sqlite3_column_int(st, 2);
				g.util_pct = sqlite3_column_double(st, 3);
				g.mem_used_mb = (uint64_t)sqlite3_column_int64(st, 4);
				g.sm_clock_mhz = (uint32_t)sqlite3_column_int64(st, 5);
				g.throttle_reasons = (uint64_t)sqlite3_column_int64(st, 6);
				px_gpu(px, row_node(&in, st, 0), &g);
			}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (in.ours && has_table(in.db, "lost_events")) {
		if (!sqlite3_prepare_v2(in.db, "SELECT node, timestamp, source, count, reason FROM lost_events "
				       "ORDER BY node, timestamp", -1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW) {
				struct ingero_lost l = { 0 };
				l.ts = (uint64_t)sqlite3_column_int64(st, 1);
				l.source = (uint8_t)sqlite3_column_int(st, 2);
				l.count = (uint64_t)sqlite3_column_int64(st, 3);
				l.reason = (uint32_t)sqlite3_column_int(st, 4);
				px_lost(px, row_node(&in, st, 0), &l);
			}
		sqlite3_finalize(st);
		st = NULL;
	}
	if (in.ours && has_table(in.db, "notes")) {
		if (!sqlite3_prepare_v2(in.db, "SELECT node, timestamp, level, text FROM notes ORDER BY node, timestamp",
					-1, &st, NULL))
			while (sqlite3_step(st) == SQLITE_ROW)
				px_note(px, row_node(&in, st, 0), (uint64_t)sqlite3_column_int64(st, 1),
					sqlite3_column_int(st, 2), (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		st = NULL;
	}
	ret = 0;
	goto out;
open_fail:
	fprintf(stderr, "ingero-perfetto: %s: %s\n", path, in.db ? sqlite3_errmsg(in.db) : "cannot open");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(sq);
	sqlite3_close(in.db);
	sqlite3_free(uri);
	for (uint32_t i = 0; i < in.nnodes; i++) free(in.nodes[i]);
	free(in.nodes);
	free(in.fr);
	for (size_t i = 0; i < in.nstack; i++) free(in.ss[i]);
	free(in.sh);
	free(in.ss);
	free(in.hidx);
	return ret;
}
