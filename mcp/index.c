/*
 * index.c - the one startup scan of the events table.  The analysis DB has
 * no index over events (analyze/schema.sql says why), so every per-call
 * query over 10 M events would take seconds; one sequential scan at startup
 * keeps what the tools need in memory:
 *   - exact percentiles (nearest rank, like the report) per op, per
 *     (node, op) and per (node, pid, op);
 *   - the MCP_SLOW_K slowest calls of each op (rowid, stack);
 *   - call counts per (op, stack);
 *   - per block of IDX_BLOCK consecutive rowids, the time range it covers,
 *     so get_timeline reads only the blocks around a time by rowid.
 */
#include <stdlib.h>
#include <string.h>

#include "mcp.h"

#define IDX_BLOCK 4096

volatile int mcp_index_stop;

struct gacc {                   /* scan-time group: (node, pid, source, op) */
	int node;
	int64_t pid;
	int source, op;
	int64_t *d;
	size_t n, cap;
	int64_t sum, max;
	size_t slow;               /* index in ix->slow of its op */
};

/* Sort a[n] with tmp (room for n): LSD radix on the sign-flipped bits,
 * 11 bits a pass (a pass whose digit is the same everywhere is skipped:
 * durations under 2^33 ns take 3), insertion sort when small. */
#define RDX_BITS 11
#define RDX_N (1u << RDX_BITS)
#define RDX_PASSES ((64 + RDX_BITS - 1) / RDX_BITS)
static void sort_i64(int64_t *a, size_t n, uint64_t *tmp)
{
	if (n < 64) {
		for (size_t i = 1; i < n; i++) {
			int64_t v = a[i];
			size_t j = i;
			while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
			a[j] = v;
		}
		return;
	}
	static _Thread_local size_t cnt[RDX_PASSES][RDX_N];
	uint64_t *u = (uint64_t *)a, *src = u, *dst = tmp;
	memset(cnt, 0, sizeof cnt);
	for (size_t i = 0; i < n; i++) {
		uint64_t x = u[i] ^ (1ULL << 63);
		u[i] = x;
		for (int p = 0; p < RDX_PASSES; p++)
			cnt[p][(x >> (p * RDX_BITS)) & (RDX_N - 1)]++;
	}
	for (int p = 0; p < RDX_PASSES; p++) {
		int sh = p * RDX_BITS;
		size_t *c = cnt[p];
		if (c[(src[0] >> sh) & (RDX_N - 1)] == n) continue;   /* all equal digit */
		size_t s = 0;
		for (size_t k = 0; k < RDX_N; k++) { size_t v = c[k]; c[k] = s; s += v; }
		for (size_t i = 0; i < n; i++) { uint64_t x = src[i]; dst[c[(x >> sh) & (RDX_N - 1)]++] = x; }
		uint64_t *t = src; src = dst; dst = t;
	}
	if (src != u) memcpy(u, src, n * sizeof *u);
	for (size_t i = 0; i < n; i++) u[i] ^= 1ULL << 63;
}

/* nearest rank (1-based) of p among n */
static size_t rank_k(size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999999);
	if (k < 1) k = 1;
	if (k > n) k = n;
	return k;
}

static void pct_of(int64_t *d, size_t n, int64_t sum, struct mcp_pct *p, uint64_t *tmp)
{
	sort_i64(d, n, tmp);
	p->count = n;
	p->total = sum;
	p->p50 = d[rank_k(n, 0.50) - 1];
	p->p95 = d[rank_k(n, 0.95) - 1];
	p->p99 = d[rank_k(n, 0.99) - 1];
	p->max = d[n - 1];
}

/* the k-th smallest (1-based) of the sorted runs g[first..] (linked by
 * next): the smallest v with k values <= v, by bisection over the values */
static size_t count_le(const struct gacc *g, const size_t *next, size_t first, int64_t v)
{
	size_t c = 0;
	for (size_t j = first; j != SIZE_MAX; j = next[j]) {
		const int64_t *d = g[j].d;
		size_t lo = 0, hi = g[j].n;   /* first index with d > v */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (d[mid] <= v) lo = mid + 1; else hi = mid;
		}
		c += lo;
	}
	return c;
}

static int64_t kth_of_runs(const struct gacc *g, const size_t *next, size_t first, size_t k, int64_t lo, int64_t hi)
{
	while (lo < hi) {
		int64_t mid = (int64_t)((uint64_t)lo + ((uint64_t)hi - (uint64_t)lo) / 2);
		if (count_le(g, next, first, mid) >= k) hi = mid; else lo = mid + 1;
	}
	return lo;
}

static int cmp_total(const void *a, const void *b)
{
	const struct mcp_group *x = a, *y = b;
	if (x->s.total != y->s.total) return x->s.total > y->s.total ? -1 : 1;
	if (x->node != y->node) return x->node < y->node ? -1 : 1;
	if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
	if (x->source != y->source) return x->source - y->source;
	return x->op - y->op;
}

/* Merge the groups with the same (node if by_node, source, op); their
 * durations are sorted (pct_of) */
static struct mcp_group *combine(struct gacc *g, size_t ng, int by_node, size_t *nout)
{
	struct ig_map m = { 0 };
	size_t *first = xmalloc((ng + 1) * sizeof *first), *next = xmalloc((ng + 1) * sizeof *next);
	size_t *last = xmalloc((ng + 1) * sizeof *last);
	struct mcp_group *out = xcalloc(ng + 1, sizeof *out);
	size_t n = 0;
	for (size_t i = 0; i < ng; i++) {
		uint64_t key = ((uint64_t)(by_node ? g[i].node + 1 : 0) << 32) | ((uint64_t)(g[i].source & 0xffff) << 16) |
			       (uint64_t)(g[i].op & 0xffff);
		uint64_t *v = ig_map_get(&m, key);
		next[i] = SIZE_MAX;
		if (!v) {
			ig_map_xput(&m, key, n);
			first[n] = last[n] = i;
			n++;
		} else {
			next[last[*v]] = i;
			last[*v] = i;
		}
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = first[k], tot = 0;
		int64_t sum = 0, lo = INT64_MAX, hi = INT64_MIN;
		for (size_t j = i; j != SIZE_MAX; j = next[j]) {
			tot += g[j].n;
			sum += g[j].sum;
			if (g[j].d[0] < lo) lo = g[j].d[0];
			if (g[j].d[g[j].n - 1] > hi) hi = g[j].d[g[j].n - 1];
		}
		out[k].node = by_node ? g[i].node : -1;
		out[k].pid = -1;
		out[k].source = g[i].source;
		out[k].op = g[i].op;
		struct mcp_pct *p = &out[k].s;
		p->count = tot;
		p->total = sum;
		p->p50 = kth_of_runs(g, next, i, rank_k(tot, 0.50), lo, hi);
		p->p95 = kth_of_runs(g, next, i, rank_k(tot, 0.95), lo, hi);
		p->p99 = kth_of_runs(g, next, i, rank_k(tot, 0.99), lo, hi);
		p->max = hi;
	}
	ig_map_release(&m);
	free(first);
	free(next);
	free(last);
	qsort(out, n, sizeof *out, cmp_total);
	*nout = n;
	return out;
}

/*
 * The narrow layout (analyze/schema.sql): the rows are in event_rows, the
 * node in event_ctx, and events is the view joining them.  The scan reads
 * event_rows alone (no join, no string per row) and maps ctx to the node
 * in C, the way the view's LEFT JOIN does.  Only when the view is the one
 * the schema creates; anything else is read through events (and with
 * INGERO_MCP_INDEX_VIEW=1: tests/mcp/t-index.sh compares the two).
 */
static int narrow_layout(sqlite3 *db)
{
	static const char *const need[] = {
		"FROM event_rows e LEFT JOIN event_ctx c ON c.id = e.ctx", "c.node AS node,",
		"e.timestamp AS timestamp,", "e.pid AS pid,", "e.tid AS tid,", "e.source AS source,",
		"e.op AS op,", "e.duration AS duration,", "e.stack_hash AS stack_hash,",
	};
	const char *force = getenv("INGERO_MCP_INDEX_VIEW");   /* tests: read the view */
	if ((force && *force == '1') || !ig_db_has_table(db, "main", "event_rows") ||
	    !ig_db_has_table(db, "main", "event_ctx"))
		return 0;
	char *v = ig_db_text(db, "SELECT sql FROM main.sqlite_master WHERE type = 'view' AND name = 'events'");
	int ok = v != NULL;
	for (size_t i = 0; ok && i < sizeof need / sizeof *need; i++)
		ok = strstr(v, need[i]) != NULL;
	free(v);
	return ok;
}

struct ctxnodes {               /* event_ctx: id -> node name, node index once seen */
	struct ig_map id;          /* ctx id -> slot */
	char **name;
	int *node;                 /* index in the strtab - 1; -1 = not seen yet */
	size_t n, cap, ncap;
	size_t m1;                 /* slot of id -1 (IG_MAP_EMPTY as a key) + 1, 0 = none */
};

static int ctx_load(sqlite3 *db, struct ctxnodes *c)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, node FROM main.event_ctx", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
			continue;
		uint64_t key = (uint64_t)sqlite3_column_int64(st, 0);
		if (key == IG_MAP_EMPTY ? c->m1 != 0 : ig_map_get(&c->id, key) != NULL)
			continue;   /* (id is the primary key: never twice) */
		const char *nd = (const char *)sqlite3_column_text(st, 1);
		ig_grow(&c->name, &c->cap, c->n + 1, sizeof *c->name);
		ig_grow(&c->node, &c->ncap, c->n + 1, sizeof *c->node);
		c->name[c->n] = xstrdup(nd ? nd : "");
		c->node[c->n] = -1;
		if (key == IG_MAP_EMPTY)
			c->m1 = c->n + 1;
		else
			ig_map_xput(&c->id, key, c->n);
		c->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void ctx_free(struct ctxnodes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->node);
	ig_map_release(&c->id);
	memset(c, 0, sizeof *c);
}

/* node index of a row's ctx (isint 0: not an integer, joins nothing),
 * interned in first-seen order */
static int ctx_node(struct ctxnodes *c, int isint, int64_t ctx, struct ig_strtab *nodes)
{
	size_t i;
	uint64_t *v;
	if (!isint)
		return (int)ig_strtab_id(nodes, "") - 1;
	if ((uint64_t)ctx == IG_MAP_EMPTY) {
		if (!c->m1)
			return (int)ig_strtab_id(nodes, "") - 1;
		i = c->m1 - 1;
	} else if ((v = ig_map_get(&c->id, (uint64_t)ctx))) {
		i = *v;
	} else {
		return (int)ig_strtab_id(nodes, "") - 1;
	}
	if (c->node[i] < 0)
		c->node[i] = (int)ig_strtab_id(nodes, c->name[i]) - 1;
	return c->node[i];
}

int mcp_index_build(sqlite3 *db, struct mcp_index *ix)
{
	double t0 = ig_now();
	memset(ix, 0, sizeof *ix);
	ix->start = INT64_MAX;
	ix->end = INT64_MIN;
	if (!ig_db_has_table(db, "main", "events")) {
		ix->start = ix->end = 0;
		return 0;
	}
	ix->has_node_col = ig_db_has_col(db, "main", "events", "node");
	ix->has_stack_col = ig_db_has_col(db, "main", "events", "stack_hash");
	ix->has_tid_col = ig_db_has_col(db, "main", "events", "tid");
	if (!(ix->src = ig_db_events_rowid_src(db)))
		return ig_error("cannot read events: unknown events view");
	struct ig_strtab nodes = { 0 };
	struct ctxnodes cn = { 0 };
	int narrow = narrow_layout(db) && ctx_load(db, &cn) == 0;
	ix->narrow = narrow;
	char *sql = narrow ? xstrdup("SELECT rowid, ctx, timestamp, pid, tid, source, op, duration, stack_hash "
				     "FROM main.event_rows")
			   : xasprintf("SELECT rowid, %s, timestamp, pid, %s, source, op, duration, %s FROM %s",
				       ix->has_node_col ? "node" : "''", ix->has_tid_col ? "tid" : "pid",
				       ix->has_stack_col ? "stack_hash" : "0", ix->src);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		ctx_free(&cn);
		return ig_error("cannot read events: %s", sqlite3_errmsg(db));
	}
	int64_t lastctx = 0;
	int lastnode_ok = 0;        /* lastnode is lastctx's */
	size_t lastg = SIZE_MAX, laststack = SIZE_MAX;   /* the previous row's group and stack */
	struct ig_map gm = { 0 }, sm = { 0 }, stm = { 0 };
	struct gacc *g = NULL;
	size_t ng = 0, gcap = 0, slcap = 0, stcap = 0, bcap = 0;
	int lastnode = -1;
	char lastname[256] = "";
	struct mcp_block *cur = NULL;
	uint64_t inblock = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (mcp_index_stop) { rc = SQLITE_INTERRUPT; break; }
		int64_t rowid = sqlite3_column_int64(st, 0);
		if (narrow) {
			/* ctx -> node: the view's LEFT JOIN (no event_ctx row: node '') */
			if (sqlite3_column_type(st, 1) != SQLITE_INTEGER) {
				lastnode = ctx_node(&cn, 0, 0, &nodes);
				lastnode_ok = 0;
			} else {
				int64_t ctx = sqlite3_column_int64(st, 1);
				if (!lastnode_ok || ctx != lastctx) {
					lastnode = ctx_node(&cn, 1, ctx, &nodes);
					lastctx = ctx;
					lastnode_ok = 1;
				}
			}
		} else {
			const char *nd = (const char *)sqlite3_column_text(st, 1);
			if (!nd) nd = "";
			if (lastnode < 0 || strcmp(nd, lastname)) {
				uint32_t id = ig_strtab_id(&nodes, nd);
				lastnode = (int)id - 1;
				snprintf(lastname, sizeof lastname, "%s", nd);
			}
		}
		int64_t ts = sqlite3_column_int64(st, 2), pid = sqlite3_column_int64(st, 3);
		int64_t tid = sqlite3_column_int64(st, 4);
		int src = sqlite3_column_int(st, 5), op = sqlite3_column_int(st, 6);
		int64_t dur = sqlite3_column_int64(st, 7), sh = sqlite3_column_int64(st, 8);
		int64_t end = dur > 0 && ts <= INT64_MAX - dur ? ts + dur : ts;
		ix->events++;
		if (ts < ix->start) ix->start = ts;
		if (end > ix->end) ix->end = end;
		/* time blocks */
		if (!cur || inblock == IDX_BLOCK) {
			ig_grow(&ix->blocks, &bcap, ix->nblocks + 1, sizeof *ix->blocks);
			cur = &ix->blocks[ix->nblocks++];
			cur->lo = cur->hi = rowid;
			cur->min_ts = ts;
			cur->max_end = end;
			inblock = 0;
		}
		inblock++;
		cur->hi = rowid;
		if (ts < cur->min_ts) cur->min_ts = ts;
		if (end > cur->max_end) cur->max_end = end;
		/* group */
		struct gacc *a = lastg < ng ? &g[lastg] : NULL;
		if (a && a->pid == pid && a->node == lastnode && a->source == src && a->op == op)
			goto have_group;   /* (runs of one thread's calls) */
		uint64_t key = ((uint64_t)(lastnode & 0xffff) << 48) ^ ((uint64_t)(uint32_t)pid << 16) ^
			       ((uint64_t)(src & 0xff) << 8) ^ (uint64_t)(op & 0xff);
		uint64_t *v = ig_map_get(&gm, key);
		if (v && g[*v].pid == pid && g[*v].node == lastnode && g[*v].source == src && g[*v].op == op) {
			a = &g[*v];
		} else {
			/* (a key collision is impossible for sane values; a hostile
			 * one falls back to a linear search) */
			a = NULL;
			if (v)
				for (size_t i = 0; i < ng && !a; i++)
					if (g[i].pid == pid && g[i].node == lastnode && g[i].source == src && g[i].op == op)
						a = &g[i];
			if (!a) {
				ig_grow(&g, &gcap, ng + 1, sizeof *g);
				a = &g[ng];
				memset(a, 0, sizeof *a);
				a->node = lastnode;
				a->pid = pid;
				a->source = src;
				a->op = op;
				a->max = INT64_MIN;
				/* its op's slowest calls (first row of the op: ix->slow in first-seen order) */
				uint64_t okey = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
				uint64_t *ov = ig_map_get(&sm, okey);
				if (!ov) {
					ig_grow(&ix->slow, &slcap, ix->nslow + 1, sizeof *ix->slow);
					memset(&ix->slow[ix->nslow], 0, sizeof *ix->slow);
					ix->slow[ix->nslow].source = src;
					ix->slow[ix->nslow].op = op;
					ov = ig_map_xput(&sm, okey, ix->nslow++);
				}
				a->slow = *ov;
				if (!v) ig_map_xput(&gm, key, ng);
				ng++;
			}
		}
		lastg = (size_t)(a - g);
	have_group:
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 16;
			a->d = xrealloc(a->d, a->cap * sizeof *a->d);
		}
		a->d[a->n++] = dur;
		a->sum += dur;
		if (dur > a->max) a->max = dur;
		/* slowest calls of the op */
		struct mcp_opslow *os = &ix->slow[a->slow];
		if (os->n < MCP_SLOW_K || dur > os->top[os->n - 1].dur) {
			int k = os->n < MCP_SLOW_K ? os->n++ : MCP_SLOW_K - 1;
			while (k > 0 && os->top[k - 1].dur < dur) { os->top[k] = os->top[k - 1]; k--; }
			os->top[k] = (struct mcp_slow){ rowid, ts, dur, pid, tid, sh, lastnode };
		}
		/* calls per stack */
		if (sh && laststack < ix->nstacks && ix->stacks[laststack].hash == sh &&
		    ix->stacks[laststack].source == src && ix->stacks[laststack].op == op) {
			struct mcp_stackuse *su = &ix->stacks[laststack];
			su->count++;
			su->total += dur;
			if (dur > su->max) su->max = dur;
		} else if (sh) {
			uint64_t okey = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
			uint64_t skey = ig_hash64((uint64_t)sh ^ (okey * 0x9e3779b97f4a7c15ULL));
			if (skey == IG_MAP_EMPTY) skey = 0;
			uint64_t *sv = ig_map_get(&stm, skey);
			struct mcp_stackuse *su = sv ? &ix->stacks[*sv] : NULL;
			if (su && (su->hash != sh || su->source != src || su->op != op))
				su = NULL;   /* 64-bit hash collision: not counted */
			else if (!su) {
				ig_grow(&ix->stacks, &stcap, ix->nstacks + 1, sizeof *ix->stacks);
				su = &ix->stacks[ix->nstacks];
				memset(su, 0, sizeof *su);
				su->source = src;
				su->op = op;
				su->hash = sh;
				ig_map_xput(&stm, skey, ix->nstacks++);
			}
			if (su) {
				laststack = (size_t)(su - ix->stacks);
				su->count++;
				su->total += dur;
				if (dur > su->max) su->max = dur;
			}
		}
	}
	sqlite3_finalize(st);
	ctx_free(&cn);
	ig_map_release(&gm);
	ig_map_release(&sm);
	ig_map_release(&stm);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < ng; i++) free(g[i].d);
		free(g);
		ig_strtab_release(&nodes);
		mcp_index_free(ix);
		return mcp_index_stop ? -1 : ig_error("cannot read events: %s", sqlite3_errmsg(db));
	}
	if (!ix->events)
		ix->start = ix->end = 0;
	ix->nnodes = (int)nodes.n;
	ix->nodes = xcalloc(nodes.n + 1, sizeof *ix->nodes);
	for (uint32_t i = 0; i < nodes.n; i++)
		ix->nodes[i] = xstrdup(nodes.s[i]);
	ig_strtab_release(&nodes);

	ix->procs = xcalloc(ng + 1, sizeof *ix->procs);
	size_t maxn = 1;
	for (size_t i = 0; i < ng; i++)
		if (g[i].n > maxn) maxn = g[i].n;
	uint64_t *tmp = xmalloc(maxn * sizeof *tmp);
	for (size_t i = 0; i < ng; i++) {
		struct mcp_group *p = &ix->procs[i];
		p->node = g[i].node;
		p->pid = g[i].pid;
		p->source = g[i].source;
		p->op = g[i].op;
		pct_of(g[i].d, g[i].n, g[i].sum, &p->s, tmp);
	}
	free(tmp);
	ix->nprocs = ng;
	ix->ops = combine(g, ng, 0, &ix->nops);
	if (ix->nnodes > 1)
		ix->nodeops = combine(g, ng, 1, &ix->nnodeops);
	for (size_t i = 0; i < ng; i++)
		free(g[i].d);
	free(g);
	qsort(ix->procs, ix->nprocs, sizeof *ix->procs, cmp_total);
	ix->scan_s = ig_now() - t0;
	return 0;
}

void mcp_index_free(struct mcp_index *ix)
{
	for (int i = 0; i < ix->nnodes; i++)
		free(ix->nodes[i]);
	free(ix->nodes);
	free(ix->ops);
	free(ix->nodeops);
	free(ix->procs);
	free(ix->slow);
	free(ix->stacks);
	free(ix->blocks);
	free(ix->src);
	memset(ix, 0, sizeof *ix);
}
