/*
 * import_int.h - internals of the import of Ingero-C recordings, shared by
 *
 *   import.c        the importer: statements, transactions, one recording
 *                   read through the formats/ reader, sessions and inputs rows
 *   import_rec.c    record -> row translation: per-node state (clock,
 *                   processes, modules, symbols, stacks), events in
 *                   multi-row batches, off-CPU / NCCL / graph rows
 *   import_fixup.c  after every input: late process names, culprit names,
 *                   the nodes table
 *
 * Which inputs exist and which importer reads each is decided in inputs.c;
 * legacy.c (the original tool's .db) and ours.c (our own analysis DB) use
 * the importer's public API in analyze.h only.
 */
#ifndef INGERO_IMPORT_INT_H
#define INGERO_IMPORT_INT_H

#include "common.h"
#include "ingero.h"
#include "analyze.h"

struct proc {
	char *comm;              /* NULL until a PROCESS record was seen */
	int32_t rank, local_rank, world_size;
	uint64_t cgroup;
	int had_events;          /* events inserted before the PROCESS record */
	int64_t ctx;             /* event_ctx.id of its events; 0: none yet / stale */
	const struct gnode *ctx_g;   /* the node and rank that ctx was made for */
	int32_t ctx_rank;
};

struct sym { uint64_t module_id, offset; char *name; };
struct pyf { uint32_t line; char *file, *func; };   /* a PYFRAME record */
struct mod { uint64_t id; uint32_t pid; uint64_t start, end; char *path; };

/* A node of the analysis (by name, across all inputs). */
struct gnode {
	char *name;
	int64_t seq;             /* last events.seq used */
	uint64_t events;
	int64_t first_ts, last_ts;
	int have_ts;
	char *host, *boot_id, *kernel, *recorder;
	int32_t rank;
	char *raw_input;         /* an input that held this node unmerged (clock not corrected) */
	struct gnode *next;
};

/* A node index of the input being read.  Maps hold pointers (proc, sym,
 * mod) or stack hashes; ids equal to IG_MAP_EMPTY are never stored. */
struct lnode {
	struct gnode *g;
	char *name;              /* from a NODE record (merged recordings) */
	struct ingero_clock clock;
	int have_anchor, warned_clock;
	struct ig_map procs, syms, mods, stacks, pyfs;
	/* session bookkeeping for this input */
	uint64_t events;
	int64_t first_ts, last_ts;
	char *cmdline;
	uint64_t start_ts;
	int have_header;
};

enum { ST_EVENT, ST_CTX, ST_OFFCPU, ST_NCCL, ST_GRAPH, ST_STACK, ST_PROC, ST_PNAME, ST_THREAD,
       ST_SYS, ST_GPU, ST_LOST, ST_CORR, ST_NOTE, ST_SAMPLING, ST_PYFRAME, ST_MAX };

/* Events are inserted into event_rows EV_BATCH rows per prepared statement
 * (multi-row VALUES): far fewer sqlite3_step calls.  Every column is an
 * integer (node, comm, rank, ... are in event_ctx).  Pending rows are
 * flushed before any other record is handled. */
#define EV_BATCH 32
#define EV_COLS 16
#define EV_COLS_SQL "seq,ctx,timestamp,pid,tid,source,op,duration,arg0,arg1,ret_code,stack_hash," \
	"arg2,arg3,cpu,flags"
struct prow {
	int64_t v[EV_COLS];      /* bound values by column (1-based minus 1) */
};

struct importer {
	sqlite3 *db;
	struct import_opts o;
	sqlite3_stmt *st[ST_MAX];
	sqlite3_stmt *batch;
	struct prow pend[EV_BATCH];
	int npend;
	struct gnode *nodes;
	uint64_t events;
	unsigned warnings;
	int in_txn;
	int late_comm;           /* some events got their comm before the PROCESS record */
	struct ig_progress prog;
	uint64_t rchar0;         /* /proc/self/io rchar when the input started */
	/* current input */
	const char *path;
	struct lnode *ln;
	size_t nln;
	int identity;            /* header clock "unix" */
	char *hdr_node;
	int32_t hdr_rank;
	unsigned in_warnings;
	char last_warning[600];
};

/* ------------------------------------------------------------ import.c */

/* step (and reset) a statement; -1 after printing the SQLite error */
int imp_step(struct importer *im, sqlite3_stmt *s);
int imp_begin(struct importer *im);
void imp_bind_rank(sqlite3_stmt *s, int i, int32_t v);
/* the importer's progress line, every 64 Ki events */
void imp_progress(struct importer *im);

/* -------------------------------------------------------- import_rec.c */

/* translate one record of the current input into rows */
int imp_record(struct importer *im, const struct ingero_record *r);
/* insert the pending events */
int imp_flush_events(struct importer *im);
/* the node slot idx of the current input (created on first use) */
struct lnode *imp_lnode(struct importer *im, uint32_t idx);
/* recording clock -> unix ns for node slot l */
int64_t imp_to_wall(struct importer *im, struct lnode *l, uint64_t ts);
/* forget the current input's node slots (per-input state) */
void imp_lnodes_free(struct importer *im);

#endif
