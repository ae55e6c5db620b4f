/*
 * mcp.h - ingero-mcp: an MCP server (JSON-RPC 2.0 over stdio) that serves an
 * analysis database to AI assistants.  main.c: command line, transport and
 * protocol; index.c: the one startup scan of the events (statistics, top
 * stacks, slowest calls, a time index by row blocks; index_pct.c its
 * percentiles); tools*.c: the tools and the `investigate` prompt.
 * docs/mcp.md is the user documentation.
 */
#ifndef INGERO_MCP_H
#define INGERO_MCP_H

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdint.h>

#include "common.h"
#include "db.h"
#include "../export/sqlguard.h"

#define MCP_NAME "ingero-mcp"

/* ------------------------------------------------------------ index.c */

struct mcp_pct {
	uint64_t count;
	int64_t total, p50, p95, p99, max;
};
/* (node, pid, source, op) or (node = -1 / pid = -1: aggregated) */
struct mcp_group {
	int node;                  /* index in idx.nodes, -1 = all nodes */
	int64_t pid;               /* -1 = all processes */
	int source, op;
	struct mcp_pct s;
};
struct mcp_slow {               /* one of the slowest calls of an op */
	int64_t rowid, ts, dur, pid, tid, stack;
	int node;
};
#define MCP_SLOW_K 5
struct mcp_opslow {
	int source, op;
	int n;
	struct mcp_slow top[MCP_SLOW_K];
};
struct mcp_stackuse {           /* calls of an op from one stack */
	int source, op;
	int64_t hash;
	uint64_t count;
	int64_t total, max;
};
struct mcp_block {              /* IDX_BLOCK consecutive rowids */
	int64_t lo, hi;            /* rowids */
	int64_t min_ts, max_end;
};
struct mcp_index {
	char **nodes;
	int nnodes;
	int64_t start, end;        /* first start, last end (unix ns) */
	uint64_t events;
	struct mcp_group *ops;     /* per op, all nodes and pids; sorted by total desc */
	size_t nops;
	struct mcp_group *nodeops; /* per (node, op) when several nodes */
	size_t nnodeops;
	struct mcp_group *procs;   /* per (node, pid, op) */
	size_t nprocs;
	struct mcp_opslow *slow;
	size_t nslow;
	struct mcp_stackuse *stacks;
	size_t nstacks;
	struct mcp_block *blocks;
	size_t nblocks;
	int has_node_col, has_stack_col, has_tid_col;
	int narrow;                /* read event_rows + event_ctx (the view's tables) */
	char *src;                 /* FROM source of events with rowid (ig_db_events_rowid_src) */
	double scan_s;
};
int mcp_index_build(sqlite3 *db, struct mcp_index *ix);
/* set to stop a build early (it then fails) */
extern volatile int mcp_index_stop;
/* The index is built by a thread while the server already answers
 * (initialize, lists, run_sql); tools wait for it: 0 ready, -1 the build
 * failed, 1 the waiting request was cancelled. */
int mcp_index_wait(void);
void mcp_index_free(struct mcp_index *ix);

/* ------------------------------------------------------------- server */

struct mcp_server {
	const char *input;         /* as given on the command line */
	struct ig_analysis an;
	sqlite3 *db;               /* the server's own read-only connection */
	struct ig_sqlguard *guard; /* run_sql's connection (malloc'ed: SQLite keeps its address) */
	int kind;                  /* IG_DB_OURS / IG_DB_ORIGINAL / IG_DB_OTHER */
	struct mcp_index ix;
	char *demo_dir;            /* run_demo's scratch directory */
	char *demo_name;
	int structured;            /* the negotiated version knows outputSchema */
	int cancel_now;            /* the running request was cancelled */
	json_object *running_id;   /* id of the request being served */
};
extern struct mcp_server S;

/* Switch to a new input (DB path already analyzed); 0 or -1 with msg. */
int mcp_open_db(const char *path, char *msg, size_t msglen);
void mcp_close_db(void);
/* Poll stdin for pending messages (cancellation) without blocking; sets
 * S.cancel_now when the running request was cancelled. */
void mcp_poll_input(void);
extern int mcp_no_stdin;       /* fuzz target: never read stdin */
/* One message line -> the response to send, or NULL (main.c). */
json_object *mcp_process_line(const char *line, size_t n);
/* Remove run_demo's scratch directory (at exit). */
void mcp_demo_cleanup(void);

/* ------------------------------------------------------------- tools */

/* Tool and prompt lists (json arrays). */
json_object *mcp_tools_list(void);
json_object *mcp_prompts_list(void);
/* Run a tool: returns a CallToolResult object, or NULL with *err_code /
 * err set for a protocol error (unknown tool: -32602). */
json_object *mcp_tool_call(const char *name, json_object *args, int *err_code, char *err, size_t errlen);
/* prompts/get; NULL with err when unknown. */
json_object *mcp_prompt_get(const char *name, json_object *args, char *err, size_t errlen);

/* -------------------------------------------------------- helpers */

json_object *mcp_str(const char *s);       /* sanitized UTF-8, NULL -> null */
json_object *mcp_i64str(int64_t v);        /* "123" (absolute timestamps, ids) */
const char *mcp_op_name(int source, int op, char *buf, size_t len);
const char *mcp_node_name(int node);
/* "+12.345s" from the recording start */
const char *mcp_fmt_rel(int64_t ts, char *buf, size_t len);
void mcp_log(const char *fmt, ...) IG_PRINTF(1, 2);

#endif
