/* stats.c - per-op and per-process statistics of the analysis database.
 *
 * Percentiles are EXACT over the whole population: nearest rank, the value at
 * index ceil(p*n)-1 of the sorted durations.  Two passes in SQL keep memory
 * bounded: counts per group, then one scan in (group, duration) order (served
 * by the (source, op, duration) index) that picks the values at the ranks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "common.h"
#include "ingero.h"
#include "analyze.h"
#include "engine.h"

/* absolute timestamps are JSON strings of digits (docs/cli.md "JSON":
 * lossless for jq 1.6 and JavaScript) */
static json_object *json_ts(int64_t ns)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", (long long)ns);
	return json_object_new_string(b);
}

static const char *fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char d[32];
	if (ns < 0)
		t = 0;
	gmtime_r(&t, &tm);
	strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03lld UTC", d, (long long)((ns / 1000000) % 1000));
	return buf;
}

char *stats_where(const struct afilter *f)
{
	char *w = sqlite3_mprintf("1");
	if (!f)
		return w;
	if (f->node)
		w = sqlite3_mprintf("%z AND node = %Q", w, f->node);
	if (f->pid >= 0)
		w = sqlite3_mprintf("%z AND pid = %lld", w, (long long)f->pid);
	if (f->source)
		w = sqlite3_mprintf("%z AND source = %d AND op = %d", w, f->source, f->op);
	if (f->since)
		w = sqlite3_mprintf("%z AND timestamp >= %lld", w, (long long)f->since);
	if (f->until)
		w = sqlite3_mprintf("%z AND timestamp < %lld", w, (long long)f->until);
	return w;
}

int stats_span(sqlite3 *db, struct span *s)
{
	sqlite3_stmt *st = adb_prepare(db, "SELECT min(first_ts), max(last_ts), sum(events) FROM nodes "
				       "WHERE events > 0");
	memset(s, 0, sizeof *s);
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->start = sqlite3_column_int64(st, 0);
		s->end = sqlite3_column_int64(st, 1);
		s->events = (uint64_t)sqlite3_column_int64(st, 2);
	}
	int64_t d;   /* hostile timestamps/durations: keep end - start representable */
	if (__builtin_sub_overflow(s->end, s->start, &d))
		s->end = s->start < 0 ? s->start + INT64_MAX : INT64_MAX;
	sqlite3_finalize(st);
	return 0;
}

/* Window of the report: the recording span clipped by --since/--until. */
static void window(sqlite3 *db, const struct afilter *f, int64_t *a, int64_t *b)
{
	struct span s;
	stats_span(db, &s);
	*a = s.start;
	*b = s.end;
	if (f && f->since && f->since > *a)
		*a = f->since;
	if (f && f->until && f->until < *b)
		*b = f->until;
	if (*b < *a)
		*b = *a;
}

/* ------------------------------------------------------------ groups */

struct grp {
	char node[128];
	int64_t pid;
	int source, op;
	uint64_t n;
	int64_t sum, max;
	int64_t p50, p95, p99;
	int64_t n_node;   /* load_groups2: interned node id while scanning */
};

struct grps { struct grp *g; size_t n, cap; };

static int grp_cmp_key(const struct grp *g, const char *node, int64_t pid, int src, int op)
{
	int c = strcmp(g->node, node);
	if (c)
		return c;
	if (g->pid != pid)
		return g->pid < pid ? -1 : 1;
	if (g->source != src)
		return g->source < src ? -1 : 1;
	return g->op < op ? -1 : g->op > op;
}

struct gacc { struct grp g; int64_t *d; size_t cap; size_t next; };

static int cmp_gacc(const void *a, const void *b)
{
	const struct grp *x = &((const struct gacc *)a)->g, *y = &((const struct gacc *)b)->g;
	return grp_cmp_key(x, y->node, y->pid, y->source, y->op);
}

/* groups while scanning: a hash of the key -> first group index+1, chained
 * through gacc.next */
struct gload {
	struct gacc *A;
	size_t na, ca;
	struct ig_map idx;
	struct ig_strtab nodes;
	int last_node;
	size_t lastg;            /* index+1 of the last group hit */
};

static size_t gload_find(struct gload *L, int node, int64_t pid, int src, int op)
{
	if (L->lastg) {
		struct grp *g = &L->A[L->lastg - 1].g;
		if (g->pid == pid && g->source == src && g->op == op && (int)g->n_node == node)
			return L->lastg - 1;
	}
	uint64_t key = ig_hash64(((uint64_t)(uint32_t)node << 40) ^ ((uint64_t)(uint32_t)src << 32) ^
				 ((uint64_t)(uint32_t)op << 48)) ^ ig_hash64((uint64_t)pid);
	if (key == IG_MAP_EMPTY)
		key = 0;
	uint64_t *head = ig_map_get(&L->idx, key);
	for (size_t i = head ? (size_t)*head : 0; i; i = L->A[i - 1].next) {
		struct grp *g = &L->A[i - 1].g;
		if (g->pid == pid && g->source == src && g->op == op && (int)g->n_node == node)
			return (L->lastg = i) - 1;
	}
	ig_grow(&L->A, &L->ca, L->na + 1, sizeof *L->A);
	struct gacc *a = &L->A[L->na];
	memset(a, 0, sizeof *a);
	a->g.pid = pid;
	a->g.source = src;
	a->g.op = op;
	a->g.n_node = node;
	a->g.max = INT64_MIN;
	a->next = head ? (size_t)*head : 0;
	ig_map_xput(&L->idx, key, ++L->na);
	return (L->lastg = L->na) - 1;
}

/* node id of the row's node (per process grouping) */
static int gload_node(struct gload *L, const char *nd)
{
	if (!nd)
		nd = "";
	if (L->last_node < 0 || strcmp(L->nodes.s[L->last_node], nd))
		L->last_node = (int)ig_strtab_id(&L->nodes, nd) - 1;
	return L->last_node;
}

/* the groups in key order, with exact percentiles when pct */
static void gload_out(struct gload *L, int per_proc, int pct, struct grps *out)
{
	for (size_t i = 0; i < L->na; i++)
		snprintf(L->A[i].g.node, sizeof L->A[i].g.node, "%s",
			 per_proc ? L->nodes.s[L->A[i].g.n_node] : "");
	if (L->na > 1)
		qsort(L->A, L->na, sizeof *L->A, cmp_gacc);
	out->g = L->na ? xmalloc(L->na * sizeof *out->g) : NULL;
	for (size_t i = 0; i < L->na; i++) {
		struct gacc *a = &L->A[i];
		if (pct && a->g.n) {
			uint64_t n = a->g.n, r99 = stats_rank(n, 990), r95 = stats_rank(n, 950), r50 = stats_rank(n, 500);
			a->g.p99 = ig_kth_i64(a->d, n, r99);       /* now d[0..r99] <= p99 */
			a->g.p95 = ig_kth_i64(a->d, r99 + 1, r95);
			a->g.p50 = ig_kth_i64(a->d, r95 + 1, r50);
		}
		free(a->d);
		a->d = NULL;
		out->g[i] = a->g;
	}
	out->n = out->cap = L->na;
}

/* per_proc: group by (node, pid, source, op), else by (source, op); groups
 * in key order.  One scan of events, aggregated in C (no index over events:
 * building one cost more than the import); with pct, exact nearest-rank
 * percentiles by selection over the group's durations (8 bytes per event,
 * freed before returning). */
static int load_groups2(sqlite3 *db, const struct afilter *f, int per_proc, int pct, struct grps *out)
{
	char *w = stats_where(f);
	const char *keys = per_proc ? "node, pid, source, op" : "'', -1, source, op";
	char *q = sqlite3_mprintf("SELECT %s, duration FROM events WHERE %s", keys, w);
	sqlite3_stmt *st = NULL;
	struct gload L = { .last_node = -1 };
	int rc = -1, src;

	memset(out, 0, sizeof *out);
	if (!w || !q || !(st = adb_prepare(db, q)))
		goto done;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		int node = per_proc ? gload_node(&L, (const char *)sqlite3_column_text(st, 0)) : 0;
		size_t gi = gload_find(&L, node, sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
				       sqlite3_column_int(st, 3));
		int64_t d = sqlite3_column_int64(st, 4);
		struct gacc *a = &L.A[gi];
		if (pct) {
			ig_grow(&a->d, &a->cap, a->g.n + 1, sizeof *a->d);
			a->d[a->g.n] = d;
		}
		a->g.n++;
		a->g.sum = (int64_t)((uint64_t)a->g.sum + (uint64_t)d);
		if (d > a->g.max)
			a->g.max = d;
	}
	if (src != SQLITE_DONE) {
		ig_error("database: %s", sqlite3_errmsg(db));
		goto done;
	}
	gload_out(&L, per_proc, pct, out);
	rc = 0;
done:
	sqlite3_finalize(st);
	sqlite3_free(w);
	sqlite3_free(q);
	for (size_t i = 0; i < L.na; i++)
		free(L.A[i].d);
	free(L.A);
	ig_map_release(&L.idx);
	ig_strtab_release(&L.nodes);
	return rc;
}

static const struct ingero_op_stat *eng_ops;
static size_t eng_nops;
void stats_use_engine(const struct ingero_op_stat *s, size_t n)
{
	eng_ops = s;
	eng_nops = n;
}

static int load_groups(sqlite3 *db, const struct afilter *f, int per_proc, struct grps *out)
{
	if (per_proc || !eng_ops || (f && (f->pid >= 0 || f->source)))
		return load_groups2(db, f, per_proc, 1, out);
	/* the engine's pass 1 read these events already (in (source, op) order) */
	memset(out, 0, sizeof *out);
	out->g = eng_nops ? xcalloc(eng_nops, sizeof *out->g) : NULL;
	for (size_t i = 0; i < eng_nops; i++) {
		const struct ingero_op_stat *o = &eng_ops[i];
		out->g[i] = (struct grp){ .pid = -1, .source = o->source, .op = o->op, .n = o->n, .sum = o->sum,
					  .max = o->max, .p50 = o->p50, .p95 = o->p95, .p99 = o->p99 };
	}
	out->n = out->cap = eng_nops;
	return 0;
}


static const char *srcname(int source)
{
	const char *n = ingero_source_name(source);
	return n ? n : "?";
}

/* order for display: total time desc, then source, op (deterministic) */
static int cmp_total(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;
	if (x->sum != y->sum)
		return x->sum > y->sum ? -1 : 1;
	if (x->source != y->source)
		return x->source - y->source;
	return x->op - y->op;
}

int stats_print_ops(sqlite3 *db, const struct afilter *f, FILE *out)
{
	struct grps G;
	int64_t a, b;
	uint64_t total = 0;
	char s1[32], s2[32], s3[32], s4[32], on[32];

	if (load_groups(db, f, 0, &G))
		return -1;
	window(db, f, &a, &b);
	for (size_t i = 0; i < G.n; i++)
		total += G.g[i].n;
	if (G.n)
		qsort(G.g, G.n, sizeof *G.g, cmp_total);
	fprintf(out, "OP STATISTICS: %llu calls over %s; exact percentiles over every call "
		"(nearest rank, index ceil(p*n)-1); share = summed duration / span\n",
		(unsigned long long)total, ig_fmt_duration(b - a, s1, sizeof s1));
	fprintf(out, "  %-22s %-10s %10s %10s %10s %10s %10s %7s\n", "op", "source", "count", "p50",
		"p95", "p99", "max", "share");
	for (size_t i = 0; i < G.n; i++) {
		const struct grp *g = &G.g[i];
		double share = b > a ? 100.0 * (double)g->sum / (double)(b - a) : 0;
		fprintf(out, "  %-22s %-10s %10llu %10s %10s %10s %10s %6.1f%%\n",
			eng_op_name(g->source, g->op, on, sizeof on), srcname(g->source),
			(unsigned long long)g->n, ig_fmt_duration(g->p50, s1, sizeof s1),
			ig_fmt_duration(g->p95, s2, sizeof s2), ig_fmt_duration(g->p99, s3, sizeof s3),
			ig_fmt_duration(g->max, s4, sizeof s4), share);
	}
	if (!G.n)
		fprintf(out, "  (no events%s)\n", f && (f->node || f->pid >= 0 || f->source ||
						       f->since || f->until) ? " match the filter" : "");
	free(G.g);
	return 0;
}

static json_object *jd(double v, const char *fmt)
{
	char buf[64];
	snprintf(buf, sizeof buf, fmt, v);
	return json_object_new_double_s(v, buf);
}

static json_object *grp_json(const struct grp *g, int64_t a, int64_t b, int per_proc)
{
	json_object *o = json_object_new_object();
	char on[32];
	if (per_proc) {
		json_object_object_add(o, "node", json_object_new_string(g->node));
		json_object_object_add(o, "pid", json_object_new_int64(g->pid));
	}
	json_object_object_add(o, "source", json_object_new_string(srcname(g->source)));
	json_object_object_add(o, "op", json_object_new_string(eng_op_name(g->source, g->op, on, sizeof on)));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)g->n));
	json_object_object_add(o, "p50_ns", json_object_new_int64(g->p50));
	json_object_object_add(o, "p95_ns", json_object_new_int64(g->p95));
	json_object_object_add(o, "p99_ns", json_object_new_int64(g->p99));
	json_object_object_add(o, "max_ns", json_object_new_int64(g->max));
	json_object_object_add(o, "total_ns", json_object_new_int64(g->sum));
	if (!per_proc)
		json_object_object_add(o, "share", jd(b > a ? (double)g->sum / (double)(b - a) : 0, "%.6f"));
	return o;
}

json_object *stats_json_ops(sqlite3 *db, const struct afilter *f)
{
	struct grps G;
	int64_t a, b;
	if (load_groups(db, f, 0, &G))
		return NULL;
	window(db, f, &a, &b);
	if (G.n)
		qsort(G.g, G.n, sizeof *G.g, cmp_total);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < G.n; i++)
		json_object_array_add(arr, grp_json(&G.g[i], a, b, 0));
	free(G.g);
	return arr;
}

/* ------------------------------------------------------------ per process */

struct gpuproc { char node[128]; int64_t pid, first, last, calls; };

static int load_gpu_procs(sqlite3 *db, const struct afilter *f, struct gpuproc **out, size_t *n)
{
	struct afilter g = *f;
	g.source = g.op = 0;
	char *w = stats_where(&g);
	char *q = sqlite3_mprintf("SELECT node, pid, min(timestamp), max(timestamp + duration), count(*) "
				  "FROM events WHERE %s AND source IN (%d, %d, %d) GROUP BY node, pid "
				  "ORDER BY node, pid", w, INGERO_SRC_CUDA, INGERO_SRC_DRIVER, INGERO_SRC_GRAPH);
	sqlite3_stmt *st = q ? adb_prepare(db, q) : NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	sqlite3_free(w);
	sqlite3_free(q);
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct gpuproc *p = realloc(*out, cap * sizeof *p);
			if (!p)
				break;
			*out = p;
		}
		struct gpuproc *p = &(*out)[(*n)++];
		snprintf(p->node, sizeof p->node, "%s", (const char *)sqlite3_column_text(st, 0));
		p->pid = sqlite3_column_int64(st, 1);
		p->first = sqlite3_column_int64(st, 2);
		p->last = sqlite3_column_int64(st, 3);
		p->calls = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return 0;
}

/* 1 if another process of the same node issues GPU calls overlapping p's. */
static int contended(const struct gpuproc *v, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (j != i && !strcmp(v[j].node, v[i].node) && v[j].pid != v[i].pid &&
		    v[j].first < v[i].last && v[i].first < v[j].last)
			return 1;
	return 0;
}

static void comm_of(sqlite3 *db, const char *node, int64_t pid, char *buf, size_t len)
{
	static sqlite3_stmt *st;
	static sqlite3 *stdb;
	buf[0] = 0;
	if (stdb != db) {
		sqlite3_finalize(st);
		st = NULL;
		stdb = db;
	}
	if (!db)
		return;
	if (!st && !(st = adb_prepare(db, "SELECT comm FROM processes WHERE node = ? AND pid = ? "
				      "UNION ALL SELECT name FROM process_names WHERE node = ? AND pid = ?")))
		return;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_text(st, 3, node, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, pid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		if (c && *c) {
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	sqlite3_reset(st);
}

int stats_print_per_process(sqlite3 *db, const struct afilter *f, FILE *out)
{
	struct grps G;
	struct gpuproc *gp;
	size_t ngp;
	char s1[32], s2[32], s3[32], s4[32], on[32], comm[256];

	if (load_groups(db, f, 1, &G) || load_gpu_procs(db, f, &gp, &ngp)) {
		free(G.g);
		return -1;
	}
	fprintf(out, "PER-PROCESS BREAKDOWN (exact percentiles per node, pid and op)\n");
	for (size_t i = 0; i < G.n;) {
		size_t j = i;
		uint64_t tot = 0;
		while (j < G.n && !strcmp(G.g[j].node, G.g[i].node) && G.g[j].pid == G.g[i].pid)
			tot += G.g[j++].n;
		comm_of(db, G.g[i].node, G.g[i].pid, comm, sizeof comm);
		fprintf(out, "  %s pid %lld (%s): %llu events\n", G.g[i].node, (long long)G.g[i].pid,
			*comm ? comm : "?", (unsigned long long)tot);
		for (; i < j; i++) {
			const struct grp *g = &G.g[i];
			fprintf(out, "    %-22s %10llu calls  p50=%-10s p95=%-10s p99=%-10s max=%s\n",
				eng_op_name(g->source, g->op, on, sizeof on), (unsigned long long)g->n,
				ig_fmt_duration(g->p50, s1, sizeof s1), ig_fmt_duration(g->p95, s2, sizeof s2),
				ig_fmt_duration(g->p99, s3, sizeof s3), ig_fmt_duration(g->max, s4, sizeof s4));
		}
	}
	if (!G.n)
		fprintf(out, "  (no events)\n");
	/* GPU contention: >= 2 processes of one node with overlapping GPU activity */
	for (size_t i = 0; i < ngp;) {
		size_t j = i, k = 0;
		while (j < ngp && !strcmp(gp[j].node, gp[i].node))
			j++;
		for (size_t x = i; x < j; x++)
			k += contended(gp, ngp, x);
		if (k >= 2) {
			fprintf(out, "GPU CONTENTION on %s: %zu processes issue GPU calls in overlapping time:",
				gp[i].node, k);
			for (size_t x = i; x < j; x++)
				if (contended(gp, ngp, x)) {
					comm_of(db, gp[x].node, gp[x].pid, comm, sizeof comm);
					fprintf(out, " %lld (%s, %lld calls)%s", (long long)gp[x].pid,
						*comm ? comm : "?", (long long)gp[x].calls, "");
				}
			fprintf(out, "\n");
		}
		i = j;
	}
	comm_of(NULL, NULL, 0, comm, sizeof comm);
	free(G.g);
	free(gp);
	return 0;
}

json_object *stats_json_per_process(sqlite3 *db, const struct afilter *f)
{
	struct grps G;
	struct gpuproc *gp;
	size_t ngp;
	char comm[256];

	if (load_groups(db, f, 1, &G) || load_gpu_procs(db, f, &gp, &ngp)) {
		free(G.g);
		return NULL;
	}
	json_object *root = json_object_new_object();
	json_object *procs = json_object_new_array();
	for (size_t i = 0; i < G.n;) {
		size_t j = i;
		json_object *p = json_object_new_object(), *ops = json_object_new_array();
		comm_of(db, G.g[i].node, G.g[i].pid, comm, sizeof comm);
		json_object_object_add(p, "node", json_object_new_string(G.g[i].node));
		json_object_object_add(p, "pid", json_object_new_int64(G.g[i].pid));
		json_object_object_add(p, "comm", json_object_new_string(comm));
		int gpu = 0;
		for (size_t x = 0; x < ngp; x++)
			if (!strcmp(gp[x].node, G.g[i].node) && gp[x].pid == G.g[i].pid)
				gpu = contended(gp, ngp, x);
		json_object_object_add(p, "gpu_contention", json_object_new_boolean(gpu));
		while (j < G.n && !strcmp(G.g[j].node, G.g[i].node) && G.g[j].pid == G.g[i].pid)
			json_object_array_add(ops, grp_json(&G.g[j++], 0, 0, 0));
		json_object_object_add(p, "ops", ops);
		json_object_array_add(procs, p);
		i = j;
	}
	json_object_object_add(root, "processes", procs);
	json_object *cont = json_object_new_array();
	for (size_t i = 0; i < ngp;) {
		size_t j = i, k = 0;
		while (j < ngp && !strcmp(gp[j].node, gp[i].node))
			j++;
		for (size_t x = i; x < j; x++)
			k += contended(gp, ngp, x);
		if (k >= 2) {
			json_object *c = json_object_new_object(), *pids = json_object_new_array();
			json_object_object_add(c, "node", json_object_new_string(gp[i].node));
			for (size_t x = i; x < j; x++)
				if (contended(gp, ngp, x))
					json_object_array_add(pids, json_object_new_int64(gp[x].pid));
			json_object_object_add(c, "pids", pids);
			json_object_array_add(cont, c);
		}
		i = j;
	}
	json_object_object_add(root, "gpu_contention", cont);
	comm_of(NULL, NULL, 0, comm, sizeof comm);
	free(G.g);
	free(gp);
	return root;
}

/* ------------------------------------------------------------ recording */

json_object *stats_json_recording(sqlite3 *db, const struct afilter *f)
{
	struct span s;
	int64_t a, b;
	char buf[64];
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	sqlite3_stmt *st;

	stats_span(db, &s);
	window(db, f, &a, &b);
	json_object_object_add(o, "start_ns", json_ts(s.start));
	json_object_object_add(o, "end_ns", json_ts(s.end));
	json_object_object_add(o, "span_ns", json_object_new_int64(s.end - s.start));
	json_object_object_add(o, "start", json_object_new_string(fmt_time(s.start, buf, sizeof buf)));
	json_object_object_add(o, "events", json_object_new_int64((int64_t)s.events));
	json_object_object_add(o, "window_start_ns", json_ts(a));
	json_object_object_add(o, "window_end_ns", json_ts(b));
	json_object_object_add(o, "lost_events", json_object_new_int64(
		ig_db_int(db, "SELECT coalesce(sum(count), 0) FROM lost_events", 0)));
	st = adb_prepare(db, "SELECT name, events, first_ts, last_ts, rank FROM nodes ORDER BY name");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_object *n = json_object_new_object();
		json_object_object_add(n, "name", json_object_new_string((const char *)sqlite3_column_text(st, 0)));
		json_object_object_add(n, "events", json_object_new_int64(sqlite3_column_int64(st, 1)));
		json_object_object_add(n, "first_ns", json_ts(sqlite3_column_int64(st, 2)));
		json_object_object_add(n, "last_ns", json_ts(sqlite3_column_int64(st, 3)));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_object_add(n, "rank", json_object_new_int64(sqlite3_column_int64(st, 4)));
		json_object_array_add(nodes, n);
	}
	sqlite3_finalize(st);
	json_object_object_add(o, "nodes", nodes);
	json_object *inputs = json_object_new_array();
	st = adb_prepare(db, "SELECT path, kind, events, warnings, last_warning FROM inputs ORDER BY id");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_object *n = json_object_new_object();
		json_object_object_add(n, "path", json_object_new_string((const char *)sqlite3_column_text(st, 0)));
		json_object_object_add(n, "kind", json_object_new_string((const char *)sqlite3_column_text(st, 1)));
		json_object_object_add(n, "events", json_object_new_int64(sqlite3_column_int64(st, 2)));
		json_object_object_add(n, "warnings", json_object_new_int64(sqlite3_column_int64(st, 3)));
		if (sqlite3_column_int64(st, 3))
			json_object_object_add(n, "last_warning",
				json_object_new_string((const char *)sqlite3_column_text(st, 4)));
		json_object_array_add(inputs, n);
	}
	sqlite3_finalize(st);
	json_object_object_add(o, "inputs", inputs);
	return o;
}

/* ------------------------------------------------------------ summary */

static int load_counts(sqlite3 *db, const struct afilter *f, struct grps *G)
{
	if (load_groups2(db, f, 0, 0, G))
		return -1;
	for (size_t i = 0; i < G->n; i++)
		G->g[i].pid = 0;
	return 0;
}

int stats_print_summary(sqlite3 *db, const struct afilter *f, FILE *out)
{
	struct span s;
	struct grps G;
	char b1[64], b2[64], b3[32], on[32];
	sqlite3_stmt *st;

	stats_span(db, &s);
	fprintf(out, "RECORDING: %llu events, %s .. %s (span %s)\n", (unsigned long long)s.events,
		fmt_time(s.start, b1, sizeof b1), fmt_time(s.end, b2, sizeof b2),
		ig_fmt_duration(s.end - s.start, b3, sizeof b3));
	st = adb_prepare(db, "SELECT name, events, rank, first_ts, last_ts FROM nodes ORDER BY name");
	fprintf(out, "NODES:\n");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		fprintf(out, "  %-24s %10lld events", (const char *)sqlite3_column_text(st, 0),
			(long long)sqlite3_column_int64(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			fprintf(out, "  rank %lld", (long long)sqlite3_column_int64(st, 2));
		fprintf(out, "  span %s\n", ig_fmt_duration(sqlite3_column_int64(st, 4) -
							 sqlite3_column_int64(st, 3), b3, sizeof b3));
	}
	sqlite3_finalize(st);
	int64_t lost = ig_db_int(db, "SELECT coalesce(sum(count), 0) FROM lost_events", 0);
	if (lost)
		fprintf(out, "LOST: %lld events dropped by the recorder\n", (long long)lost);
	if (load_counts(db, f, &G))
		return -1;
	fprintf(out, "EVENTS BY SOURCE/OP:\n");
	int last = -1;
	for (size_t i = 0; i < G.n; i++) {
		if (G.g[i].source != last) {
			uint64_t t = 0;
			for (size_t j = i; j < G.n && G.g[j].source == G.g[i].source; j++)
				t += G.g[j].n;
			fprintf(out, "  %-10s %12llu\n", srcname(G.g[i].source), (unsigned long long)t);
			last = G.g[i].source;
		}
		fprintf(out, "    %-22s %12llu  total %s\n", eng_op_name(G.g[i].source, G.g[i].op, on, sizeof on),
			(unsigned long long)G.g[i].n, ig_fmt_duration(G.g[i].sum, b3, sizeof b3));
	}
	free(G.g);
	return 0;
}

json_object *stats_json_summary(sqlite3 *db, const struct afilter *f)
{
	struct grps G;
	char on[32];
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_add(root, "recording", stats_json_recording(db, f));
	if (load_counts(db, f, &G) == 0) {
		for (size_t i = 0; i < G.n; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "source", json_object_new_string(srcname(G.g[i].source)));
			json_object_object_add(o, "source_id", json_object_new_int(G.g[i].source));
			json_object_object_add(o, "op", json_object_new_string(
				eng_op_name(G.g[i].source, G.g[i].op, on, sizeof on)));
			json_object_object_add(o, "op_id", json_object_new_int(G.g[i].op));
			json_object_object_add(o, "count", json_object_new_int64((int64_t)G.g[i].n));
			json_object_object_add(o, "total_ns", json_object_new_int64(G.g[i].sum));
			json_object_array_add(arr, o);
		}
		free(G.g);
	}
	json_object_object_add(root, "counts", arr);
	return root;
}
