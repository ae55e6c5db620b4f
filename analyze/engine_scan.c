/* engine_scan.c - pass 1 (one scan of events: exact baselines per (node,
 * pid, source, op), node spans, GPU activity maps, the small evidence tables
 * kept in memory) and pass 2 (slow calls, largest first).  docs/engine.md
 * section 1. */
#include <inttypes.h>
#include <math.h>
#include <strings.h>

#include "engine_int.h"

/* ------------------------------------------------------------- groups */

static uint64_t grp_key(int node, int64_t pid, int src, int op)
{
	uint64_t k = ig_hash64(((uint64_t)(uint32_t)node << 40) ^ ((uint64_t)(uint32_t)src << 32) ^
			       ((uint64_t)(uint32_t)op << 48)) ^ ig_hash64((uint64_t)pid);
	return k == IG_MAP_EMPTY ? 0 : k;
}

/* index of the group (node, pid, src, op), created when asked; -1 if absent */
int grp_find(struct eng *e, int node, int64_t pid, int src, int op, int create)
{
	uint64_t key = grp_key(node, pid, src, op);
	uint64_t *head = ig_map_get(&e->gidx, key);
	for (size_t i = head ? (size_t)*head : 0; i; i = e->g[i - 1].hnext) {
		struct grp *g = &e->g[i - 1];
		if (g->node == node && g->pid == pid && g->src == src && g->op == op)
			return (int)(i - 1);
	}
	if (!create)
		return -1;
	ig_grow(&e->g, &e->gcap, e->ng + 1, sizeof(*e->g));
	struct grp *g = &e->g[e->ng];
	memset(g, 0, sizeof(*g));
	g->node = node;
	g->pid = pid;
	g->src = src;
	g->op = op;
	g->first_ts = INT64_MAX;
	g->last_end = INT64_MIN;
	g->hnext = head ? (size_t)*head : 0;
	char b[32];
	g->eligible = (e->o.pid < 0 || e->o.pid == pid) &&
		      (!e->o.op || strcasecmp(e->o.op, eng_op_name(src, op, b, sizeof(b))) == 0);
	ig_map_xput(&e->gidx, key, e->ng + 1);
	return (int)e->ng++;
}

int node_slot(struct eng *e, int node)
{
	if ((size_t)node >= e->nncap) {
		size_t nc = (size_t)node + 16;
		e->nfirst = xrealloc(e->nfirst, nc * sizeof(int64_t));
		e->nlast = xrealloc(e->nlast, nc * sizeof(int64_t));
		for (size_t i = e->nncap; i < nc; i++) {
			e->nfirst[i] = INT64_MAX;
			e->nlast[i] = INT64_MIN;
		}
		e->nncap = nc;
	}
	return 0;
}

/* ----------------------------------------------------- activity maps */

static struct amap *map_get(struct eng *e, int node, int64_t pid, int create)
{
	for (int i = 0; i < e->nmaps; i++)
		if (e->maps[i].node == node && e->maps[i].pid == pid)
			return &e->maps[i];
	if (!create || e->nmaps >= MAX_MAPS || e->bw <= 0)
		return NULL;
	struct amap *m = &e->maps[e->nmaps];
	/* 4 MiB each: plain calloc, the engine works without a map */
	m->busy = calloc(MAP_BUCKETS, sizeof(uint32_t));
	m->nsec = (size_t)((double)e->bw * MAP_BUCKETS / (double)NS_S) + 2;
	/* GPU calls started per second; none (no throughput-drop rule) for spans
	 * over ~48 days, e.g. a bogus timestamp 10^18 ns away (was an OOM) */
	if (m->nsec > ((size_t)1 << 22))
		m->nsec = 0;
	m->cps = m->nsec ? calloc(m->nsec, sizeof(uint32_t)) : NULL;
	if (!m->busy || (m->nsec && !m->cps)) {
		free(m->busy);
		free(m->cps);
		return NULL;
	}
	m->node = node;
	m->pid = pid;
	m->total = 0;
	m->first = INT64_MAX;
	m->last = INT64_MIN;
	e->nmaps++;
	return m;
}

static void map_add(struct eng *e, struct amap *m, int64_t ts, int64_t dur)
{
	if (ts < m->first)
		m->first = ts;
	if (ts + dur > m->last)
		m->last = ts + dur;
	m->total = sadd(m->total, dur);
	if (ts >= e->base && (size_t)((ts - e->base) / NS_S) < m->nsec)
		m->cps[(ts - e->base) / NS_S]++;
	int64_t a = ts - e->base, b = a + dur;
	if (a < 0)
		a = 0;
	if (b <= a)
		return;
	int64_t i0 = a / e->bw, i1 = (b - 1) / e->bw;
	if (i0 >= MAP_BUCKETS)
		return;
	if (i1 >= MAP_BUCKETS)
		i1 = MAP_BUCKETS - 1;
	if (i1 - i0 > 65536) /* calls over ~1 min do not mark activity (bounded work) */
		return;
	for (int64_t i = i0; i <= i1; i++) {
		int64_t o = ovl(a, b, i * e->bw, (i + 1) * e->bw);
		uint64_t v = (uint64_t)m->busy[i] + (uint64_t)o;
		m->busy[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
}

int64_t map_busy(struct eng *e, struct amap *m, int64_t ts, int64_t dur)
{
	int64_t a = ts - e->base, b = a + dur, sum = 0;
	if (a < 0)
		a = 0;
	if (b <= a)
		return 0;
	int64_t i0 = a / e->bw, i1 = (b - 1) / e->bw;
	if (i0 >= MAP_BUCKETS)
		return 0;
	if (i1 >= MAP_BUCKETS)
		i1 = MAP_BUCKETS - 1;
	if (i1 - i0 > 65536) { /* long interval: sample every 64th bucket */
		for (int64_t i = i0; i <= i1; i += 64)
			sum += 64 * (int64_t)m->busy[i];
		return sum > dur ? dur : sum;
	}
	for (int64_t i = i0; i <= i1; i++) {
		int64_t o = ovl(a, b, i * e->bw, (i + 1) * e->bw);
		sum += (int64_t)((double)m->busy[i] * (double)o / (double)e->bw);
	}
	return sum > dur ? dur : sum;
}

/* ---------------------------------------------------------- filters */

void filt_sql(struct eng *e, char *buf, size_t len, const char *tscol)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s",
		 e->o.node ? " AND node = ?101" : "",
		 e->o.since_ns ? " AND " : "", e->o.since_ns ? tscol : "", e->o.since_ns ? " >= ?102" : "",
		 e->o.until_ns ? " AND " : "", e->o.until_ns ? tscol : "", e->o.until_ns ? " < ?103" : "");
}

void filt_sql_rows(struct eng *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 e->o.node ? " AND ctx IN (SELECT id FROM event_ctx WHERE node = ?101)" : "",
		 e->o.since_ns ? " AND timestamp >= ?102" : "", e->o.until_ns ? " AND timestamp < ?103" : "");
}

int eng_ctx_load(struct eng *e)
{
	sqlite3_stmt *st;
	int rc;
	if (e->ctxn)
		return 0;
	if (eng_prep(e, &st, "SELECT id, node FROM event_ctx WHERE id >= 0 ORDER BY id", "reading event_ctx"))
		return -1;
	e->ctxn = xcalloc(1, sizeof *e->ctxn);
	e->nctx = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if ((uint64_t)id >= e->nctx) {
			size_t n = (size_t)id + 1;
			if (n > (1u << 28)) {   /* a hostile id: not a table this importer wrote */
				rc = SQLITE_CORRUPT;
				break;
			}
			e->ctxn = xrealloc(e->ctxn, n * sizeof *e->ctxn);
			memset(e->ctxn + e->nctx, 0, (n - e->nctx) * sizeof *e->ctxn);
			e->nctx = n;
		}
		const char *nd = (const char *)sqlite3_column_text(st, 1);
		e->ctxn[id] = xstrdup(nd ? nd : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return eng_err(e, "reading event_ctx: %s", rc == SQLITE_CORRUPT ? "event_ctx.id out of range"
			       : sqlite3_errmsg(e->db));
	return 0;
}

void filt_bind(struct eng *e, sqlite3_stmt *st)
{
	if (e->o.node)
		sqlite3_bind_text(st, 101, e->o.node, -1, SQLITE_STATIC);
	if (e->o.since_ns)
		sqlite3_bind_int64(st, 102, e->o.since_ns);
	if (e->o.until_ns)
		sqlite3_bind_int64(st, 103, e->o.until_ns);
}

/* ------------------------------------------------------------ pass 1 */

static int cmp_ivl(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}
/* legacy sched_switch is matched per thread */
static int cmp_ivl_tid(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* a GPU call: its group's durations and first starts, the activity map,
 * the allocator's calls */
static void row_gpu(struct eng *e, int node, int64_t pid, int64_t tid, int src, int op,
		    int64_t ts, int64_t dur, int64_t seq, int64_t a0)
{
	int gi = e->last_g;
	struct grp *g = gi >= 0 ? &e->g[gi] : NULL;
	if (!g || g->node != node || g->pid != pid || g->src != src || g->op != op) {
		gi = grp_find(e, node, pid, src, op, 1);
		e->last_g = gi;
		g = &e->g[gi];
	}
	VEC_PUSH(g->d, g->n, g->cap, dur);
	g->sum = sadd(g->sum, dur);
	if (ts < g->first_ts)
		g->first_ts = ts;
	if (ts + dur > g->last_end)
		g->last_end = ts + dur;
	/* keep the COLD_CALLS smallest start times (insertion) */
	if (g->nfirst < COLD_CALLS || ts < g->first_ts10[g->nfirst - 1]) {
		int k = g->nfirst < COLD_CALLS ? g->nfirst++ : COLD_CALLS - 1;
		while (k > 0 && g->first_ts10[k - 1] > ts) {
			g->first_ts10[k] = g->first_ts10[k - 1];
			k--;
		}
		g->first_ts10[k] = ts;
	}
	struct amap *m = e->last_m;
	if (!m || m->node != node || m->pid != pid)
		m = e->last_m = map_get(e, node, pid, 1);
	if (m)
		map_add(e, m, ts, dur);
	if (is_allocator(src, op) && e->nal < ENGINE_MAX_EVT) {
		struct ivl v = { node, pid, tid, ts, dur, seq, src * 100 + op, a0 };
		VEC_PUSH(e->al, e->nal, e->cal, v);
	}
}

/* an evidence row kept in memory (bounded by ENGINE_MAX_EVT) */
static void keep_ivl(struct eng *e, struct ivl **arr, size_t *n, size_t *cap, int64_t *max,
		     const struct ivl *v)
{
	if (*n >= ENGINE_MAX_EVT) {
		e->evt_truncated = 1;
		return;
	}
	VEC_PUSH(*arr, *n, *cap, *v);
	if (max && v->dur > *max)
		*max = v->dur;
}

/* one events row of pass 1 */
static void row1(struct eng *e, const char *nd, int64_t pid, int64_t tid, int src, int op,
		 int64_t ts, int64_t dur, int64_t seq, int64_t a0, int64_t a1)
{
	if (!nd)
		nd = "";
	if (e->cur_node < 0 || strcmp(nd, e->nodes.s[e->cur_node]) != 0) {
		e->cur_node = eng_str(&e->nodes, nd);
		node_slot(e, e->cur_node);
	}
	int node = e->cur_node;
	if (dur < 0)
		dur = 0;
	e->events++;
	if (ts < e->nfirst[node])
		e->nfirst[node] = ts;
	if (ts + dur > e->nlast[node])
		e->nlast[node] = ts + dur;
	if (ts < e->t_min)
		e->t_min = ts;
	if (ts + dur > e->t_max)
		e->t_max = ts + dur;
	if (src == INGERO_SRC_GRAPH || src == INGERO_SRC_NCCL || is_gpu_call(src))
		steps_observe(e, node, pid, tid, src, op, ts, dur, a0, a1);
	if (is_gpu_call(src)) {
		row_gpu(e, node, pid, tid, src, op, ts, dur, seq, a0);
		return;
	}
	if (!e->stats_off) {
		if (src >= 0 && src < OPS_SRCS && op >= 0 && op < OPS_OPS) {
			struct opacc *a = &e->opa[src * OPS_OPS + op];
			VEC_PUSH(a->d, a->n, a->cap, dur);
		} else {
			e->stats_off = 1;
		}
	}
	struct ivl v = { node, pid, tid, ts, dur, seq, a0, a1 };
	if (src == INGERO_SRC_IO)
		keep_ivl(e, &e->io, &e->nio, &e->cio, &e->maxio, &v);
	else if (src == INGERO_SRC_HOST && op == INGERO_HOST_PAGE_ALLOC)
		keep_ivl(e, &e->pa, &e->npa, &e->cpa, &e->maxpa, &v);
	else if (src == INGERO_SRC_HOST && op == INGERO_HOST_SCHED_SWITCH && !e->have_offcpu)
		keep_ivl(e, &e->ss, &e->nss, &e->css, &e->maxss, &v);
	else if (src == INGERO_SRC_HOST && op == INGERO_HOST_OOM_KILL && e->noom < 1000)
		VEC_PUSH(e->oom, e->noom, e->coom, v);
}

/* The scan runs as an SQL function inside one statement: no per-row
 * sqlite3_step / sqlite3_column_* calls (each takes the connection mutex). */
static void row1_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	struct eng *e = sqlite3_user_data(ctx);
	(void)argc;
	int64_t dur = sqlite3_value_int64(v[6]);
	if (dur != cdur(dur))   /* the op table counts the stored value */
		e->stats_off = 1;
	row1(e, eng_ctx_name(e, sqlite3_value_int64(v[0])), sqlite3_value_int64(v[1]),
	     sqlite3_value_int64(v[2]), sqlite3_value_int(v[3]), sqlite3_value_int(v[4]),
	     cts(sqlite3_value_int64(v[5])), cdur(dur), sqlite3_value_int64(v[7]),
	     sqlite3_value_int64(v[8]), sqlite3_value_int64(v[9]));
	if ((e->events & 0xffff) == 0 && e->o.progress)
		e->o.progress(e->o.progress_ctx, (uint64_t)e->events);
	sqlite3_result_int(ctx, 0);
}

/* activity-map bucket base and width from the time range */
static int map_geometry(struct eng *e, const char *f)
{
	char sql[512];
	sqlite3_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT min(timestamp), max(timestamp) FROM event_rows WHERE 1%s", f);
	if (eng_prep(e, &st, sql, "reading events"))
		return -1;
	filt_bind(e, st);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		e->base = cts(sqlite3_column_int64(st, 0));
		int64_t span = cts(sqlite3_column_int64(st, 1)) - e->base + 60 * NS_S;
		e->bw = span / MAP_BUCKETS + 1;
		if (e->bw < NS_MS)
			e->bw = NS_MS;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return eng_err(e, "reading events: %s", sqlite3_errmsg(e->db));
	return 0;
}

/* exact nearest-rank percentiles over the whole population, by selection */
static void baselines(struct eng *e)
{
	for (size_t i = 0; i < e->ng; i++) {
		struct grp *g = &e->g[i];
		if (g->n) {
			size_t k99 = ig_rank(g->n, 0.99), k95 = ig_rank(g->n, 0.95), k50 = ig_rank(g->n, 0.50);
			int64_t mx = g->d[0];
			for (size_t k = 1; k < g->n; k++)
				if (g->d[k] > mx)
					mx = g->d[k];
			g->max = mx;
			g->p99 = ig_kth_i64(g->d, g->n, k99);       /* now d[0..k99] <= p99 */
			g->p95 = ig_kth_i64(g->d, k99 + 1, k95);
			g->p50 = ig_kth_i64(g->d, k95 + 1, k50);
		}
		if (g->n && !e->stats_off) {   /* (the same values, reordered) */
			if (g->src >= 0 && g->src < OPS_SRCS && g->op >= 0 && g->op < OPS_OPS) {
				struct opacc *a = &e->opa[g->src * OPS_OPS + g->op];
				ig_grow(&a->d, &a->cap, a->n + g->n, sizeof *a->d);
				memcpy(a->d + a->n, g->d, g->n * sizeof *a->d);
				a->n += g->n;
			} else {
				e->stats_off = 1;
			}
		}
		free(g->d);
		g->d = NULL;
		g->cap = 0;
	}
}

/* nearest rank as the op table computes it (analyze.h stats_rank) */
static size_t op_rank(uint64_t n, unsigned permille)
{
	uint64_t r = (n * permille + 999) / 1000;
	return r ? (size_t)(r - 1) : 0;
}

/* the report's op table from the durations pass 1 read (opts op_stats) */
static void op_stats(struct eng *e)
{
	size_t n = 0;
	struct ingero_op_stat *out = NULL;
	if (!e->stats_off)
		out = xcalloc(OPS_SRCS * OPS_OPS, sizeof *out);
	for (int i = 0; i < OPS_SRCS * OPS_OPS; i++) {
		struct opacc *a = &e->opa[i];
		if (a->n && out) {
			struct ingero_op_stat *s = &out[n++];
			uint64_t sum = 0;
			int64_t mx = INT64_MIN;
			for (size_t k = 0; k < a->n; k++) {
				sum += (uint64_t)a->d[k];
				if (a->d[k] > mx)
					mx = a->d[k];
			}
			s->source = i / OPS_OPS;
			s->op = i % OPS_OPS;
			s->n = a->n;
			s->sum = (int64_t)sum;
			s->max = mx;
			size_t r99 = op_rank(a->n, 990), r95 = op_rank(a->n, 950), r50 = op_rank(a->n, 500);
			s->p99 = ig_kth_i64(a->d, a->n, r99);
			s->p95 = ig_kth_i64(a->d, r99 + 1, r95);
			s->p50 = ig_kth_i64(a->d, r95 + 1, r50);
		}
		free(a->d);
		a->d = NULL;
		a->n = a->cap = 0;
	}
	if (out) {
		*e->o.op_stats = out;
		*e->o.nop_stats = n;
	}
}

int pass1(struct eng *e)
{
	char f[256], sql[512];
	sqlite3_stmt *st;
	filt_sql_rows(e, f, sizeof(f));
	if (map_geometry(e, f) || eng_ctx_load(e))
		return -1;
	e->stats_off = !e->o.op_stats || !e->o.nop_stats || e->o.pid >= 0 || e->o.op;
	if (!e->stats_off && !e->opa)
		e->opa = xcalloc(OPS_SRCS * OPS_OPS, sizeof *e->opa);
	e->cur_node = -1;
	e->last_g = -1;
	e->last_m = NULL;
	e->t_min = INT64_MAX;
	e->t_max = INT64_MIN;
	if (sqlite3_create_function(e->db, "ingero_engine_row", 10, SQLITE_UTF8, e, row1_fn, NULL, NULL) != SQLITE_OK)
		return eng_err(e, "reading events: %s", sqlite3_errmsg(e->db));
	snprintf(sql, sizeof(sql), "SELECT count(ingero_engine_row(ctx, pid, tid, source, op, timestamp, duration, "
		 "seq, arg0, arg1)) FROM event_rows WHERE 1%s", f);
	int rc = SQLITE_ERROR;
	if (eng_prep(e, &st, sql, "reading events") == 0) {
		filt_bind(e, st);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			eng_err(e, "reading events: %s", sqlite3_errmsg(e->db));
		sqlite3_finalize(st);
	}
	sqlite3_create_function(e->db, "ingero_engine_row", 10, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	if (rc != SQLITE_ROW)
		return -1;
	xqsort(e->io, e->nio, sizeof(struct ivl), cmp_ivl);
	xqsort(e->pa, e->npa, sizeof(struct ivl), cmp_ivl);
	xqsort(e->al, e->nal, sizeof(struct ivl), cmp_ivl);
	xqsort(e->ss, e->nss, sizeof(struct ivl), cmp_ivl_tid);
	baselines(e);
	if (e->opa)
		op_stats(e);
	return 0;
}

/* ------------------------------------------------------------ pass 2 */

static int cmp_slow_dur(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->dur != y->dur)
		return (x->dur < y->dur) - (x->dur > y->dur);
	if (x->g != y->g)
		return x->g - y->g;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One scan of events (no index: building one over (source, op, duration)
 * cost more than the whole import); candidates are ordered in C as the
 * former per-(source, op) index walk returned them -- source, op, duration
 * DESC, node, seq -- and the first ENGINE_MAX_SLOW of that order are kept
 * (bounded: sorted and cut whenever the buffer fills). */
struct cand { int64_t raw; int src, op; struct slow s; };
static struct eng *cand_eng;
static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->src != y->src)
		return x->src - y->src;
	if (x->op != y->op)
		return x->op - y->op;
	if (x->raw != y->raw)
		return (x->raw < y->raw) - (x->raw > y->raw);
	int c = strcmp(cand_eng->nodes.s[cand_eng->g[x->s.g].node], cand_eng->nodes.s[cand_eng->g[y->s.g].node]);
	if (c)
		return c;
	return (x->s.seq > y->s.seq) - (x->s.seq < y->s.seq);
}

#define SRC_LIM (INGERO_SRC_DRIVER + 1)
#define OP_LIM 17

/* per (src, op): the smallest threshold among eligible groups; returns the
 * smallest of all (INT64_MAX: no group can have a slow call) */
static int64_t thresholds(struct eng *e, int64_t thr[SRC_LIM][OP_LIM])
{
	int64_t minthr = INT64_MAX;
	for (int src = INGERO_SRC_CUDA; src <= INGERO_SRC_DRIVER; src += INGERO_SRC_DRIVER - INGERO_SRC_CUDA) {
		for (int op = 1; op < OP_LIM; op++) {
			int64_t t0 = INT64_MAX;
			for (size_t i = 0; i < e->ng; i++) {
				struct grp *g = &e->g[i];
				if (g->src != src || g->op != op || !g->eligible || g->n < 3)
					continue;
				int64_t t = (int64_t)(ENGINE_K_SLOW * (double)g->p50);
				if (t < t0)
					t0 = t;
			}
			thr[src][op] = t0;
			if (t0 < minthr)
				minthr = t0;
		}
	}
	return minthr;
}

/* the row of st as a slow-call candidate of its group; 0 when it is not one */
static int candidate(struct eng *e, sqlite3_stmt *st, int64_t thr[SRC_LIM][OP_LIM], struct cand *c)
{
	int src = sqlite3_column_int(st, 6), op = sqlite3_column_int(st, 7);
	if (!is_gpu_call(src) || op < 1 || op >= OP_LIM)
		return 0;
	int64_t raw = sqlite3_column_int64(st, 4);
	if (thr[src][op] == INT64_MAX || raw <= thr[src][op])
		return 0;
	int node = eng_str(&e->nodes, eng_ctx_name(e, sqlite3_column_int64(st, 0)));
	int gi = grp_find(e, node, sqlite3_column_int64(st, 1), src, op, 0);
	if (gi < 0)
		return 0;
	struct grp *g = &e->g[gi];
	int64_t dur = cdur(raw);
	int mincalls = g->n >= ENGINE_MIN_CALLS;
	int cold_ok = g->n >= COLD_CALLS; /* cold start checked later */
	if (!g->eligible || !(mincalls || cold_ok) || g->p50 <= 0 ||
	    (double)dur <= ENGINE_K_SLOW * (double)g->p50)
		return 0;
	memset(c, 0, sizeof(*c));
	c->raw = raw;
	c->src = src;
	c->op = op;
	c->s.g = gi;
	c->s.tid = sqlite3_column_int64(st, 2);
	c->s.ts = cts(sqlite3_column_int64(st, 3));
	c->s.dur = dur;
	c->s.seq = sqlite3_column_int64(st, 5);
	c->s.stack = sqlite3_column_int64(st, 8);
	c->s.excess = dur - g->p50;
	c->s.cul_pid = -1;
	c->s.cul_comm = -1;
	c->s.cont_pid = -1;
	return 1;
}

int pass2(struct eng *e)
{
	char f[256], sql[512];
	int64_t thr[SRC_LIM][OP_LIM];
	struct cand *cv = NULL;
	size_t nc = 0, cc = 0, lim = (size_t)ENGINE_MAX_SLOW * 2;
	int over = 0;
	int64_t minthr = thresholds(e, thr);
	if (minthr == INT64_MAX)
		return 0;
	filt_sql_rows(e, f, sizeof(f));
	if (eng_ctx_load(e))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT ctx, pid, tid, timestamp, duration, seq, source, op, stack_hash FROM event_rows "
		 "WHERE source IN (%d, %d) AND op BETWEEN 1 AND %d AND duration > ?1%s",
		 INGERO_SRC_CUDA, INGERO_SRC_DRIVER, OP_LIM - 1, f);
	sqlite3_stmt *st;
	if (eng_prep(e, &st, sql, "reading events"))
		return -1;
	sqlite3_bind_int64(st, 1, minthr);
	filt_bind(e, st);
	cand_eng = e;
	int rc;
	struct cand c;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!candidate(e, st, thr, &c))
			continue;
		if (nc == lim) { /* keep the first ENGINE_MAX_SLOW of the order */
			xqsort(cv, nc, sizeof(struct cand), cmp_cand);
			nc = ENGINE_MAX_SLOW;
			over = 1;
		}
		VEC_PUSH(cv, nc, cc, c);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(cv);
		return eng_err(e, "reading events: %s", sqlite3_errmsg(e->db));
	}
	xqsort(cv, nc, sizeof(struct cand), cmp_cand);
	if (nc > ENGINE_MAX_SLOW || over) {
		e->slow_truncated = 1;
		if (nc > ENGINE_MAX_SLOW)
			nc = ENGINE_MAX_SLOW;
	}
	for (size_t i = 0; i < nc; i++) {
		VEC_PUSH(e->s, e->ns, e->cs, cv[i].s);
		e->g[cv[i].s.g].nslow++;
	}
	free(cv);
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_dur);
	return 0;
}
