/*
 * index_pct.c - exact percentiles of the index's groups (mcp/index.c):
 * each (node, pid, op) group's durations radix-sorted; per op and per
 * (node, op), the nearest ranks found by bisection over those sorted runs.
 */
#include <stdlib.h>
#include <string.h>

#include "index_int.h"

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

void mcp_pct_of(int64_t *d, size_t n, int64_t sum, struct mcp_pct *p, uint64_t *tmp)
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

int mcp_cmp_total(const void *a, const void *b)
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
struct mcp_group *mcp_combine(struct gacc *g, size_t ng, int by_node, size_t *nout)
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
	qsort(out, n, sizeof *out, mcp_cmp_total);
	*nout = n;
	return out;
}
