/*
 * index_int.h - mcp/index.c's scan-time groups and their percentiles
 * (index_pct.c).
 */
#ifndef INGERO_MCP_INDEX_INT_H
#define INGERO_MCP_INDEX_INT_H

#include "mcp.h"

struct gacc {                   /* scan-time group: (node, pid, source, op) */
	int node;
	int64_t pid;
	int source, op;
	int64_t *d;
	size_t n, cap;
	int64_t sum, max;
	size_t slow;               /* index in ix->slow of its op */
};

/* count, total, nearest-rank p50/p95/p99 and max of d[n] (sorted in place;
 * tmp: room for n) */
void mcp_pct_of(int64_t *d, size_t n, int64_t sum, struct mcp_pct *p, uint64_t *tmp);
/* the groups with the same (node if by_node, source, op) merged (their
 * durations sorted by mcp_pct_of), sorted by mcp_cmp_total */
struct mcp_group *mcp_combine(struct gacc *g, size_t ng, int by_node, size_t *nout);
/* total desc, then node, pid, source, op */
int mcp_cmp_total(const void *a, const void *b);

#endif
