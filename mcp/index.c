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
 * An analysis DB of ours is read from event_rows (the events view's table,
 * node from event_ctx in C), split by rowid over the idle CPUs; the
 * original tool's .db files and other layouts through events.  The result
 * does not depend on either (tests/mcp/t-index.sh).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "mcp.h"
#include "index_int.h"

#define IDX_BLOCK 4096
#define MAX_PARTS 4

volatile int mcp_index_stop;


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

struct ctxnodes {               /* event_ctx: id -> node name (read-only while scanning) */
	struct ig_map id;          /* ctx id -> slot */
	char **name;
	size_t n, cap;
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
		c->name[c->n] = xstrdup(nd ? nd : "");
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
	ig_map_release(&c->id);
	memset(c, 0, sizeof *c);
}

/* node index of a row's ctx (isint 0: not an integer, joins nothing),
 * interned in first-seen order; node[slot]: the index once seen, else -1 */
static int ctx_node(const struct ctxnodes *c, int *node, int isint, int64_t ctx, struct ig_strtab *nodes)
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
	if (node[i] < 0)
		node[i] = (int)ig_strtab_id(nodes, c->name[i]) - 1;
	return node[i];
}

/* One scan: all of the events, or the rowids [lo, hi] of event_rows */
struct part {
	sqlite3 *db;
	int own;                   /* db opened for this part */
	int narrow;
	char *sql;
	int64_t lo, hi;
	const struct ctxnodes *cn;
	struct ig_strtab nodes;
	struct gacc *g;
	size_t ng;
	struct mcp_opslow *slow;
	size_t nslow;
	struct mcp_stackuse *stacks;
	size_t nstacks;
	struct mcp_block *blocks;
	size_t nblocks;
	uint64_t events;
	int64_t start, end;
	struct scan *s;            /* while scanning */
	int rc;
	char err[200];
};

/* a part's scan state (the previous row's node, group and stack first) */
struct scan {
	int64_t lastctx;
	int lastnode_ok;           /* lastnode is lastctx's */
	int lastnode;
	size_t lastg, laststack;
	struct ig_map gm, sm, stm;
	struct gacc *g;
	size_t ng, gcap, slcap, stcap, bcap;
	char lastname[256];
	struct mcp_block *cur;
	uint64_t inblock;
	int *cnode;
};

/* one row: v = rowid, node (the view) or ctx (event_rows), timestamp, pid,
 * tid, source, op, duration, stack_hash */
static void scan_row(struct part *P, struct scan *S, sqlite3_value **cv)
{
	int64_t rowid = sqlite3_value_int64(cv[0]);
	if (P->narrow) {
		/* ctx -> node: the view's LEFT JOIN (no event_ctx row: node '') */
		if (sqlite3_value_type(cv[1]) != SQLITE_INTEGER) {
			S->lastnode = ctx_node(P->cn, S->cnode, 0, 0, &P->nodes);
			S->lastnode_ok = 0;
		} else {
			int64_t ctx = sqlite3_value_int64(cv[1]);
			if (!S->lastnode_ok || ctx != S->lastctx) {
				S->lastnode = ctx_node(P->cn, S->cnode, 1, ctx, &P->nodes);
				S->lastctx = ctx;
				S->lastnode_ok = 1;
			}
		}
	} else {
		const char *nd = (const char *)sqlite3_value_text(cv[1]);
		if (!nd) nd = "";
		if (S->lastnode < 0 || strcmp(nd, S->lastname)) {
			uint32_t id = ig_strtab_id(&P->nodes, nd);
			S->lastnode = (int)id - 1;
			snprintf(S->lastname, sizeof S->lastname, "%s", nd);
		}
	}
	int64_t ts = sqlite3_value_int64(cv[2]), pid = sqlite3_value_int64(cv[3]);
	int64_t tid = sqlite3_value_int64(cv[4]);
	int src = sqlite3_value_int(cv[5]), op = sqlite3_value_int(cv[6]);
	int64_t dur = sqlite3_value_int64(cv[7]), sh = sqlite3_value_int64(cv[8]);
	int64_t end = dur > 0 && ts <= INT64_MAX - dur ? ts + dur : ts;
	P->events++;
	if (ts < P->start) P->start = ts;
	if (end > P->end) P->end = end;
	/* time blocks */
	if (!S->cur || S->inblock == IDX_BLOCK) {
		ig_grow(&P->blocks, &S->bcap, P->nblocks + 1, sizeof *P->blocks);
		S->cur = &P->blocks[P->nblocks++];
		S->cur->lo = S->cur->hi = rowid;
		S->cur->min_ts = ts;
		S->cur->max_end = end;
		S->inblock = 0;
	}
	S->inblock++;
	S->cur->hi = rowid;
	if (ts < S->cur->min_ts) S->cur->min_ts = ts;
	if (end > S->cur->max_end) S->cur->max_end = end;
	/* group */
	struct gacc *a = S->lastg < S->ng ? &S->g[S->lastg] : NULL;
	if (a && a->pid == pid && a->node == S->lastnode && a->source == src && a->op == op)
		goto have_group;   /* (runs of one thread's calls) */
	uint64_t key = ((uint64_t)(S->lastnode & 0xffff) << 48) ^ ((uint64_t)(uint32_t)pid << 16) ^
		       ((uint64_t)(src & 0xff) << 8) ^ (uint64_t)(op & 0xff);
	uint64_t *v = ig_map_get(&S->gm, key);
	if (v && S->g[*v].pid == pid && S->g[*v].node == S->lastnode && S->g[*v].source == src && S->g[*v].op == op) {
		a = &S->g[*v];
	} else {
		/* (a key collision is impossible for sane values; a hostile
		 * one falls back to a linear search) */
		a = NULL;
		if (v)
			for (size_t i = 0; i < S->ng && !a; i++)
				if (S->g[i].pid == pid && S->g[i].node == S->lastnode && S->g[i].source == src && S->g[i].op == op)
					a = &S->g[i];
		if (!a) {
			ig_grow(&S->g, &S->gcap, S->ng + 1, sizeof *S->g);
			a = &S->g[S->ng];
			memset(a, 0, sizeof *a);
			a->node = S->lastnode;
			a->pid = pid;
			a->source = src;
			a->op = op;
			a->max = INT64_MIN;
			/* its op's slowest calls (first row of the op: P->slow in first-seen order) */
			uint64_t okey = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
			uint64_t *ov = ig_map_get(&S->sm, okey);
			if (!ov) {
				ig_grow(&P->slow, &S->slcap, P->nslow + 1, sizeof *P->slow);
				memset(&P->slow[P->nslow], 0, sizeof *P->slow);
				P->slow[P->nslow].source = src;
				P->slow[P->nslow].op = op;
				ov = ig_map_xput(&S->sm, okey, P->nslow++);
			}
			a->slow = *ov;
			if (!v) ig_map_xput(&S->gm, key, S->ng);
			S->ng++;
		}
	}
	S->lastg = (size_t)(a - S->g);
have_group:
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->d = xrealloc(a->d, a->cap * sizeof *a->d);
	}
	a->d[a->n++] = dur;
	a->sum += dur;
	if (dur > a->max) a->max = dur;
	/* slowest calls of the op */
	struct mcp_opslow *os = &P->slow[a->slow];
	if (os->n < MCP_SLOW_K || dur > os->top[os->n - 1].dur) {
		int k = os->n < MCP_SLOW_K ? os->n++ : MCP_SLOW_K - 1;
		while (k > 0 && os->top[k - 1].dur < dur) { os->top[k] = os->top[k - 1]; k--; }
		os->top[k] = (struct mcp_slow){ rowid, ts, dur, pid, tid, sh, S->lastnode };
	}
	/* calls per stack */
	if (sh && S->laststack < P->nstacks && P->stacks[S->laststack].hash == sh &&
	    P->stacks[S->laststack].source == src && P->stacks[S->laststack].op == op) {
		struct mcp_stackuse *su = &P->stacks[S->laststack];
		su->count++;
		su->total += dur;
		if (dur > su->max) su->max = dur;
	} else if (sh) {
		uint64_t okey = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
		uint64_t skey = ig_hash64((uint64_t)sh ^ (okey * 0x9e3779b97f4a7c15ULL));
		if (skey == IG_MAP_EMPTY) skey = 0;
		uint64_t *sv = ig_map_get(&S->stm, skey);
		struct mcp_stackuse *su = sv ? &P->stacks[*sv] : NULL;
		if (su && (su->hash != sh || su->source != src || su->op != op))
			su = NULL;   /* 64-bit hash collision: not counted */
		else if (!su) {
			ig_grow(&P->stacks, &S->stcap, P->nstacks + 1, sizeof *P->stacks);
			su = &P->stacks[P->nstacks];
			memset(su, 0, sizeof *su);
			su->source = src;
			su->op = op;
			su->hash = sh;
			ig_map_xput(&S->stm, skey, P->nstacks++);
		}
		if (su) {
			S->laststack = (size_t)(su - P->stacks);
			su->count++;
			su->total += dur;
			if (dur > su->max) su->max = dur;
		}
	}
}

/* event_rows rows reach scan_row as the arguments of an aggregate
 * function: no sqlite3_step and nine column calls per row */
static void scan_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	struct part *P = sqlite3_user_data(cx);
	(void)argc;
	if (mcp_index_stop) {
		sqlite3_result_error_code(cx, SQLITE_INTERRUPT);
		return;
	}
	scan_row(P, P->s, v);
}

static void scan_final(sqlite3_context *cx)
{
	sqlite3_result_null(cx);
}

static void *scan_part(void *arg)
{
	struct part *P = arg;
	struct scan S = { 0 };
	S.lastg = S.laststack = SIZE_MAX;
	S.lastnode = -1;
	P->s = &S;
	P->start = INT64_MAX;
	P->end = INT64_MIN;
	S.cnode = xmalloc((P->cn->n + 1) * sizeof *S.cnode);
	for (size_t i = 0; i < P->cn->n; i++)
		S.cnode[i] = -1;
	sqlite3_stmt *st = NULL;
	int rc = P->narrow ? sqlite3_create_function(P->db, "ingero_mcp_scan", 9, SQLITE_UTF8, P, NULL, scan_step,
						     scan_final) : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(P->db, P->sql, -1, &st, NULL);
	if (rc == SQLITE_OK && P->hi >= P->lo) {
		sqlite3_bind_int64(st, 1, P->lo);
		sqlite3_bind_int64(st, 2, P->hi);
	}
	if (rc == SQLITE_OK && P->narrow) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) rc = sqlite3_step(st);
		if (mcp_index_stop) rc = SQLITE_INTERRUPT;
	} else if (rc == SQLITE_OK) {
		sqlite3_value *v[9];
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (mcp_index_stop) { rc = SQLITE_INTERRUPT; break; }
			for (int i = 0; i < 9; i++)
				v[i] = sqlite3_column_value(st, i);
			scan_row(P, &S, v);
		}
	}
	if (rc != SQLITE_DONE)
		snprintf(P->err, sizeof P->err, "%s", sqlite3_errmsg(P->db));
	P->rc = rc;
	sqlite3_finalize(st);
	ig_map_release(&S.gm);
	ig_map_release(&S.sm);
	ig_map_release(&S.stm);
	free(S.cnode);
	P->g = S.g;
	P->ng = S.ng;
	P->s = NULL;
	return NULL;
}

static void part_free(struct part *P)
{
	for (size_t i = 0; i < P->ng; i++)
		free(P->g[i].d);
	free(P->g);
	free(P->slow);
	free(P->stacks);
	free(P->blocks);
	free(P->sql);
	ig_strtab_release(&P->nodes);
	if (P->own)
		sqlite3_close(P->db);
	memset(P, 0, sizeof *P);
}

/* Append part Q (the rowids after part P's) to P, as if P had scanned them
 * too: nodes, ops and stacks keep their first-seen order; the slowest calls
 * are inserted in Q's order (ties keep the earlier row) */
static void part_merge(struct part *P, struct part *Q)
{
	int *nmap = xcalloc(Q->nodes.n + 1, sizeof *nmap);
	for (uint32_t i = 0; i < Q->nodes.n; i++)
		nmap[i] = (int)ig_strtab_id(&P->nodes, Q->nodes.s[i]) - 1;
	/* ops' slowest calls */
	struct ig_map sm = { 0 }, gm = { 0 }, stm = { 0 };
	size_t cap = P->nslow;
	size_t *smap = xcalloc(Q->nslow + 1, sizeof *smap);
	for (size_t i = 0; i < P->nslow; i++)
		ig_map_xput(&sm, ((uint64_t)(uint32_t)P->slow[i].source << 32) | (uint32_t)P->slow[i].op, i);
	for (size_t i = 0; i < Q->nslow; i++) {
		struct mcp_opslow *qs = &Q->slow[i];
		uint64_t *v = ig_map_get(&sm, ((uint64_t)(uint32_t)qs->source << 32) | (uint32_t)qs->op);
		if (!v) {
			ig_grow(&P->slow, &cap, P->nslow + 1, sizeof *P->slow);
			memset(&P->slow[P->nslow], 0, sizeof *P->slow);
			P->slow[P->nslow].source = qs->source;
			P->slow[P->nslow].op = qs->op;
			v = ig_map_xput(&sm, ((uint64_t)(uint32_t)qs->source << 32) | (uint32_t)qs->op, P->nslow++);
		}
		smap[i] = *v;
		struct mcp_opslow *os = &P->slow[*v];
		for (int j = 0; j < qs->n; j++) {
			struct mcp_slow e = qs->top[j];
			e.node = nmap[e.node];
			if (os->n < MCP_SLOW_K || e.dur > os->top[os->n - 1].dur) {
				int k = os->n < MCP_SLOW_K ? os->n++ : MCP_SLOW_K - 1;
				while (k > 0 && os->top[k - 1].dur < e.dur) { os->top[k] = os->top[k - 1]; k--; }
				os->top[k] = e;
			}
		}
	}
	/* groups (their order does not matter: sorted by total with a full tie-break) */
	cap = P->ng;
	for (size_t i = 0; i < P->ng; i++)
		ig_map_xput(&gm, ((uint64_t)(P->g[i].node & 0xffff) << 48) ^ ((uint64_t)(uint32_t)P->g[i].pid << 16) ^
			    ((uint64_t)(P->g[i].source & 0xff) << 8) ^ (uint64_t)(P->g[i].op & 0xff), i);
	for (size_t i = 0; i < Q->ng; i++) {
		struct gacc *b = &Q->g[i], *a = NULL;
		int node = nmap[b->node];
		uint64_t key = ((uint64_t)(node & 0xffff) << 48) ^ ((uint64_t)(uint32_t)b->pid << 16) ^
			       ((uint64_t)(b->source & 0xff) << 8) ^ (uint64_t)(b->op & 0xff);
		uint64_t *v = ig_map_get(&gm, key);
		if (v && P->g[*v].pid == b->pid && P->g[*v].node == node && P->g[*v].source == b->source &&
		    P->g[*v].op == b->op)
			a = &P->g[*v];
		else if (v)
			for (size_t j = 0; j < P->ng && !a; j++)
				if (P->g[j].pid == b->pid && P->g[j].node == node && P->g[j].source == b->source &&
				    P->g[j].op == b->op)
					a = &P->g[j];
		if (!a) {
			ig_grow(&P->g, &cap, P->ng + 1, sizeof *P->g);
			a = &P->g[P->ng];
			*a = *b;
			a->node = node;
			a->slow = smap[b->slow];
			if (!v) ig_map_xput(&gm, key, P->ng);
			P->ng++;
			b->d = NULL;
			continue;
		}
		if (a->n + b->n > a->cap) {
			a->cap = a->n + b->n;
			a->d = xrealloc(a->d, a->cap * sizeof *a->d);
		}
		memcpy(a->d + a->n, b->d, b->n * sizeof *b->d);
		a->n += b->n;
		a->sum += b->sum;
		if (b->max > a->max) a->max = b->max;
	}
	/* calls per stack (a 64-bit hash collision across parts is dropped, as within one) */
	cap = P->nstacks;
	for (size_t i = 0; i < P->nstacks; i++) {
		uint64_t okey = ((uint64_t)(uint32_t)P->stacks[i].source << 32) | (uint32_t)P->stacks[i].op;
		uint64_t skey = ig_hash64((uint64_t)P->stacks[i].hash ^ (okey * 0x9e3779b97f4a7c15ULL));
		ig_map_xput(&stm, skey == IG_MAP_EMPTY ? 0 : skey, i);
	}
	for (size_t i = 0; i < Q->nstacks; i++) {
		struct mcp_stackuse *b = &Q->stacks[i];
		uint64_t okey = ((uint64_t)(uint32_t)b->source << 32) | (uint32_t)b->op;
		uint64_t skey = ig_hash64((uint64_t)b->hash ^ (okey * 0x9e3779b97f4a7c15ULL));
		if (skey == IG_MAP_EMPTY) skey = 0;
		uint64_t *v = ig_map_get(&stm, skey);
		if (!v) {
			ig_grow(&P->stacks, &cap, P->nstacks + 1, sizeof *P->stacks);
			P->stacks[P->nstacks] = *b;
			ig_map_xput(&stm, skey, P->nstacks++);
			continue;
		}
		struct mcp_stackuse *a = &P->stacks[*v];
		if (a->hash != b->hash || a->source != b->source || a->op != b->op)
			continue;
		a->count += b->count;
		a->total += b->total;
		if (b->max > a->max) a->max = b->max;
	}
	/* time blocks: Q's rowids follow P's */
	cap = P->nblocks;
	if (Q->nblocks) {
		ig_grow(&P->blocks, &cap, P->nblocks + Q->nblocks, sizeof *P->blocks);
		memcpy(P->blocks + P->nblocks, Q->blocks, Q->nblocks * sizeof *Q->blocks);
		P->nblocks += Q->nblocks;
	}
	P->events += Q->events;
	if (Q->start < P->start) P->start = Q->start;
	if (Q->end > P->end) P->end = Q->end;
	ig_map_release(&sm);
	ig_map_release(&gm);
	ig_map_release(&stm);
	free(smap);
	free(nmap);
}

int mcp_index_build(sqlite3 *db, struct mcp_index *ix)
{
	double t0 = ig_now();
	memset(ix, 0, sizeof *ix);
	if (!ig_db_has_table(db, "main", "events"))
		return 0;
	ix->has_node_col = ig_db_has_col(db, "main", "events", "node");
	ix->has_stack_col = ig_db_has_col(db, "main", "events", "stack_hash");
	ix->has_tid_col = ig_db_has_col(db, "main", "events", "tid");
	if (!(ix->src = ig_db_events_rowid_src(db)))
		return ig_error("cannot read events: unknown events view");
	struct ctxnodes cn = { 0 };
	int narrow = narrow_layout(db) && ctx_load(db, &cn) == 0;
	ix->narrow = narrow;
	/* event_rows: split by rowid over the CPUs (a connection each), up
	 * to MAX_PARTS, parts of at least 1 M rowids; merged in rowid order */
	struct part parts[MAX_PARTS];
	int np = 1;
	memset(parts, 0, sizeof parts);
	int64_t rlo = 0, rhi = -1;
	const char *path = narrow ? sqlite3_db_filename(db, "main") : NULL;
	if (narrow && path && *path) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT min(rowid), max(rowid) FROM main.event_rows", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
			rlo = sqlite3_column_int64(st, 0);
			rhi = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		/* the idle CPUs: on a busy machine more threads only add the
		 * merge (bench/mcp/index.sh on 2 CPUs at load 6: 2 threads took
		 * longer than one) */
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		double load[1];
		if (getloadavg(load, 1) == 1) cpus = (long)((double)cpus - load[0] + 0.5);
		const char *e = getenv("INGERO_MCP_INDEX_THREADS");   /* tests and benchmarks */
		if (e && *e) cpus = atol(e);
		if (cpus > MAX_PARTS) cpus = MAX_PARTS;
		uint64_t span = rhi >= rlo ? (uint64_t)rhi - (uint64_t)rlo + 1 : 0;
		uint64_t minpart = e && *e ? 1 : 1000000;
		while (np < cpus && span / (uint64_t)(np + 1) >= minpart) np++;
	}
	for (int k = 0; k < np; k++) {
		struct part *P = &parts[k];
		P->narrow = narrow;
		P->cn = &cn;
		P->lo = 0;
		P->hi = -1;
		if (narrow && np > 1) {
			uint64_t span = (uint64_t)rhi - (uint64_t)rlo + 1, step = span / (uint64_t)np;
			P->lo = (int64_t)((uint64_t)rlo + step * (uint64_t)k);
			P->hi = k == np - 1 ? rhi : (int64_t)((uint64_t)rlo + step * (uint64_t)(k + 1) - 1);
		}
		P->sql = !narrow ? xasprintf("SELECT rowid, %s, timestamp, pid, %s, source, op, duration, %s FROM %s",
					     ix->has_node_col ? "node" : "''", ix->has_tid_col ? "tid" : "pid",
					     ix->has_stack_col ? "stack_hash" : "0", ix->src)
			 : xstrdup(np > 1 ? "SELECT ingero_mcp_scan(rowid, ctx, timestamp, pid, tid, source, op, duration, "
					    "stack_hash) FROM main.event_rows WHERE rowid BETWEEN ?1 AND ?2"
					  : "SELECT ingero_mcp_scan(rowid, ctx, timestamp, pid, tid, source, op, duration, "
					    "stack_hash) FROM main.event_rows");
		P->db = db;
		if (k > 0) {
			P->db = ig_db_open_ro(path);
			P->own = P->db != NULL;
		}
	}
	int bad = 0;
	for (int k = 1; k < np; k++)
		bad |= !parts[k].own;
	if (bad) {   /* (cannot open more connections: one scan) */
		for (int k = 1; k < np; k++)
			part_free(&parts[k]);
		np = 1;
		free(parts[0].sql);
		parts[0].sql = xstrdup("SELECT ingero_mcp_scan(rowid, ctx, timestamp, pid, tid, source, op, duration, "
				       "stack_hash) FROM main.event_rows");
		parts[0].hi = -1;
	}
	pthread_t th[MAX_PARTS];
	int started[MAX_PARTS] = { 0 };
	for (int k = 1; k < np; k++)
		started[k] = pthread_create(&th[k], NULL, scan_part, &parts[k]) == 0;
	scan_part(&parts[0]);
	for (int k = 1; k < np; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			scan_part(&parts[k]);
	}
	ctx_free(&cn);
	int rc = SQLITE_DONE;
	char err[200] = "";
	for (int k = 0; k < np; k++)
		if (parts[k].rc != SQLITE_DONE && rc == SQLITE_DONE) {
			rc = parts[k].rc;
			snprintf(err, sizeof err, "%s", parts[k].err);
		}
	if (rc != SQLITE_DONE) {
		for (int k = 0; k < np; k++)
			part_free(&parts[k]);
		mcp_index_free(ix);
		return mcp_index_stop ? -1 : ig_error("cannot read events: %s", err);
	}
	for (int k = 1; k < np; k++) {
		part_merge(&parts[0], &parts[k]);
		part_free(&parts[k]);
	}
	struct part *P = &parts[0];
	ix->events = P->events;
	ix->start = P->events ? P->start : 0;
	ix->end = P->events ? P->end : 0;
	ix->slow = P->slow;
	ix->nslow = P->nslow;
	ix->stacks = P->stacks;
	ix->nstacks = P->nstacks;
	ix->blocks = P->blocks;
	ix->nblocks = P->nblocks;
	P->slow = NULL;
	P->stacks = NULL;
	P->blocks = NULL;
	struct gacc *g = P->g;
	size_t ng = P->ng;
	P->g = NULL;
	P->ng = 0;
	ix->nnodes = (int)P->nodes.n;
	ix->nodes = xcalloc(P->nodes.n + 1, sizeof *ix->nodes);
	for (uint32_t i = 0; i < P->nodes.n; i++)
		ix->nodes[i] = xstrdup(P->nodes.s[i]);
	part_free(P);

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
		mcp_pct_of(g[i].d, g[i].n, g[i].sum, &p->s, tmp);
	}
	free(tmp);
	ix->nprocs = ng;
	ix->ops = mcp_combine(g, ng, 0, &ix->nops);
	if (ix->nnodes > 1)
		ix->nodeops = mcp_combine(g, ng, 1, &ix->nnodeops);
	for (size_t i = 0; i < ng; i++)
		free(g[i].d);
	free(g);
	qsort(ix->procs, ix->nprocs, sizeof *ix->procs, mcp_cmp_total);
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
