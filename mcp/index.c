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
};

static void sort_i64(int64_t *a, size_t n)
{
	/* LSD radix sort on the sign-flipped bits, 16 bits a pass */
	if (n < 64) {
		for (size_t i = 1; i < n; i++) {
			int64_t v = a[i];
			size_t j = i;
			while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
			a[j] = v;
		}
		return;
	}
	uint64_t *u = (uint64_t *)a, *t = xmalloc(n * sizeof *t);
	size_t *cnt = xmalloc(65536 * sizeof *cnt);
	for (size_t i = 0; i < n; i++) u[i] ^= 1ULL << 63;
	for (int sh = 0; sh < 64; sh += 16) {
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (size_t i = 0; i < n; i++) cnt[(u[i] >> sh) & 0xffff]++;
		if (cnt[(u[0] >> sh) & 0xffff] == n) continue;   /* all equal digit */
		size_t s = 0;
		for (size_t k = 0; k < 65536; k++) { size_t c = cnt[k]; cnt[k] = s; s += c; }
		for (size_t i = 0; i < n; i++) t[cnt[(u[i] >> sh) & 0xffff]++] = u[i];
		memcpy(u, t, n * sizeof *u);
	}
	for (size_t i = 0; i < n; i++) u[i] ^= 1ULL << 63;
	free(t);
	free(cnt);
}

static int64_t rank(const int64_t *s, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999999);
	if (k < 1) k = 1;
	if (k > n) k = n;
	return s[k - 1];
}

static void pct_of(int64_t *d, size_t n, int64_t sum, struct mcp_pct *p)
{
	sort_i64(d, n);
	p->count = n;
	p->total = sum;
	p->p50 = rank(d, n, 0.50);
	p->p95 = rank(d, n, 0.95);
	p->p99 = rank(d, n, 0.99);
	p->max = d[n - 1];
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

/* Merge the groups with the same (node if by_node, source, op) */
static struct mcp_group *combine(struct gacc *g, size_t ng, int by_node, size_t *nout)
{
	struct ig_map m = { 0 };
	size_t *first = xmalloc((ng + 1) * sizeof *first), *next = xmalloc((ng + 1) * sizeof *next);
	struct mcp_group *out = xcalloc(ng + 1, sizeof *out);
	size_t n = 0;
	for (size_t i = 0; i < ng; i++) {
		uint64_t key = ((uint64_t)(by_node ? g[i].node + 1 : 0) << 32) | ((uint64_t)(g[i].source & 0xffff) << 16) |
			       (uint64_t)(g[i].op & 0xffff);
		uint64_t *v = ig_map_get(&m, key);
		next[i] = SIZE_MAX;
		if (!v) {
			ig_map_xput(&m, key, n);
			first[n++] = i;
		} else {
			size_t j = first[*v];
			while (next[j] != SIZE_MAX) j = next[j];
			next[j] = i;
		}
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = first[k], tot = 0;
		int64_t sum = 0;
		for (size_t j = i; j != SIZE_MAX; j = next[j]) { tot += g[j].n; sum += g[j].sum; }
		int64_t *d = xmalloc((tot ? tot : 1) * sizeof *d), *p = d;
		for (size_t j = i; j != SIZE_MAX; j = next[j]) { memcpy(p, g[j].d, g[j].n * sizeof *d); p += g[j].n; }
		out[k].node = by_node ? g[i].node : -1;
		out[k].pid = -1;
		out[k].source = g[i].source;
		out[k].op = g[i].op;
		pct_of(d, tot, sum, &out[k].s);
		free(d);
	}
	ig_map_release(&m);
	free(first);
	free(next);
	qsort(out, n, sizeof *out, cmp_total);
	*nout = n;
	return out;
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
	char *sql = xasprintf("SELECT rowid, %s, timestamp, pid, %s, source, op, duration, %s FROM %s",
			      ix->has_node_col ? "node" : "''", ix->has_tid_col ? "tid" : "pid",
			      ix->has_stack_col ? "stack_hash" : "0", ix->src);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return ig_error("cannot read events: %s", sqlite3_errmsg(db));

	struct ig_strtab nodes = { 0 };
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
		const char *nd = (const char *)sqlite3_column_text(st, 1);
		int64_t ts = sqlite3_column_int64(st, 2), pid = sqlite3_column_int64(st, 3);
		int64_t tid = sqlite3_column_int64(st, 4);
		int src = sqlite3_column_int(st, 5), op = sqlite3_column_int(st, 6);
		int64_t dur = sqlite3_column_int64(st, 7), sh = sqlite3_column_int64(st, 8);
		if (!nd) nd = "";
		if (lastnode < 0 || strcmp(nd, lastname)) {
			uint32_t id = ig_strtab_id(&nodes, nd);
			lastnode = (int)id - 1;
			snprintf(lastname, sizeof lastname, "%s", nd);
		}
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
		uint64_t key = ((uint64_t)(lastnode & 0xffff) << 48) ^ ((uint64_t)(uint32_t)pid << 16) ^
			       ((uint64_t)(src & 0xff) << 8) ^ (uint64_t)(op & 0xff);
		uint64_t *v = ig_map_get(&gm, key);
		struct gacc *a;
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
				if (!v) ig_map_xput(&gm, key, ng);
				ng++;
			}
		}
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 16;
			a->d = xrealloc(a->d, a->cap * sizeof *a->d);
		}
		a->d[a->n++] = dur;
		a->sum += dur;
		if (dur > a->max) a->max = dur;
		/* slowest calls of the op */
		uint64_t okey = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
		uint64_t *ov = ig_map_get(&sm, okey);
		if (!ov) {
			ig_grow(&ix->slow, &slcap, ix->nslow + 1, sizeof *ix->slow);
			memset(&ix->slow[ix->nslow], 0, sizeof *ix->slow);
			ix->slow[ix->nslow].source = src;
			ix->slow[ix->nslow].op = op;
			ov = ig_map_xput(&sm, okey, ix->nslow++);
		}
		struct mcp_opslow *os = &ix->slow[*ov];
		if (os->n < MCP_SLOW_K || dur > os->top[os->n - 1].dur) {
			int k = os->n < MCP_SLOW_K ? os->n++ : MCP_SLOW_K - 1;
			while (k > 0 && os->top[k - 1].dur < dur) { os->top[k] = os->top[k - 1]; k--; }
			os->top[k] = (struct mcp_slow){ rowid, ts, dur, pid, tid, sh, lastnode };
		}
		/* calls per stack */
		if (sh) {
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
				su->count++;
				su->total += dur;
				if (dur > su->max) su->max = dur;
			}
		}
	}
	sqlite3_finalize(st);
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

	ix->ops = combine(g, ng, 0, &ix->nops);
	if (ix->nnodes > 1)
		ix->nodeops = combine(g, ng, 1, &ix->nnodeops);
	ix->procs = xcalloc(ng + 1, sizeof *ix->procs);
	for (size_t i = 0; i < ng; i++) {
		struct mcp_group *p = &ix->procs[i];
		p->node = g[i].node;
		p->pid = g[i].pid;
		p->source = g[i].source;
		p->op = g[i].op;
		pct_of(g[i].d, g[i].n, g[i].sum, &p->s);
		free(g[i].d);
	}
	ix->nprocs = ng;
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
