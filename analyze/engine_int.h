/*
 * engine_int.h - internals of the causal engine, shared by its files:
 *
 *   engine.c           ingero_engine_run: set-up, the passes in order, writing
 *                      causal_chains, tear-down
 *   engine_scan.c      pass 1 (one scan of events: baselines, spans, GPU
 *                      activity maps, in-memory evidence tables) and pass 2
 *                      (slow calls)
 *   engine_evidence.c  evidence overlapping each slow call, classification,
 *                      patterns without a host cause (cold start, periodic)
 *   engine_chain.c     a chain from the slow calls of one cause (text,
 *                      incidents, recurrence, evidence JSON, severity)
 *   engine_rules.c     whole-trace / window rules on one node: CPU
 *                      contention, memcpy share, throughput drop, leak, OOM
 *   engine_job.c       rules across processes or nodes: CUDA-graph
 *                      re-capture, NCCL straggler
 *   engine_report.c    the report (text, JSON) from causal_chains
 *   steps*.c           the step pass (steps_int.h): steps, breakdown,
 *                      baselines, GPU idle, stalls, inference outliers
 *
 * Not part of the engine's API (engine.h); new engine files (steps, idle
 * time, ...) include it to reuse the scan state and the chain helpers.
 * Conventions: functions that can fail return 0 / -1 and put a one-line
 * message in e->err (eng_err); memory comes from the x* helpers of common/
 * (they exit on OOM), except the large optional activity maps.
 */
#ifndef INGERO_ENGINE_INT_H
#define INGERO_ENGINE_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "common.h"
#include "ingero.h"
#include "engine.h"

#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define EXPLAIN_MIN 0.15        /* evidence must cover >= 15% of the excess */
#define INCIDENT_GAP_NS NS_S    /* slow calls closer than this: one incident */
#define COLD_CALLS 10           /* cold start looks at the first 10 calls */
#define COLD_RATIO 10.0         /* first call >= 10 x p50 */
#define MAP_BUCKETS (1 << 20)   /* GPU activity map buckets per (node,pid) */
#define MAX_MAPS 32
#define MAX_EV_JSON 50

/* cause of a slow call (the chain kind is cause_kind[cause]); -1 = dropped */
enum cause {
	C_NONE = 0, C_PREEMPT, C_IO, C_MEMORY, C_THROTTLE, C_CONTENTION,
	C_OFFCPU, C_BLOCKED, C_COLD, C_PERIODIC, C_NCAUSE
};
extern const char *const cause_kind[C_NCAUSE];

/* ------------------------------------------------------------- state */

/* one (node, pid, source, op) of GPU calls: its baseline */
struct grp {
	int node, src, op;
	int64_t pid;
	int64_t *d;                     /* durations (pass 1 only) */
	size_t n, cap;
	int64_t sum, first_ts, last_end;
	int64_t p50, p95, p99, max;
	int64_t first_ts10[COLD_CALLS]; /* the 10 smallest start times */
	int nfirst;
	int eligible;                   /* passes the pid/op filters */
	int64_t nslow;
	size_t hnext;                   /* next group with the same hash key, index+1 */
};

/* an interval kept in memory (I/O, page allocs, legacy sched, OOM, alloc/free) */
struct ivl { int node; int64_t pid, tid, ts, dur, seq, a0, a1; };

/* GPU activity of one (node, pid): busy ns per bucket, calls per second */
struct amap { int node; int64_t pid; uint32_t *busy, *cps; size_t nsec; int64_t total, first, last; };

/* a slow call and the evidence that overlaps it */
struct slow {
	int g;
	int64_t seq, ts, dur, tid, excess;
	int64_t stack;         /* events.stack_hash: its Python frames name the line */
	int64_t pre_ns, blk_ns, unk_ns, io_ns, io_n, io_bytes, pa_bytes, cont_ns, expl;
	int64_t cul_pid, cul_ns, cont_pid;
	int cul_comm;          /* comms id, -1 none */
	int npre;              /* preempted intervals overlapping */
	int mem, thr;
	int cause;
	int64_t off_rowid[3];
	int noff;
	int64_t ev_seq[4];
	int nev;
};

struct chain {
	int node, src, op;
	int64_t pid;
	const char *kind;
	char opname[40];
	int sev;                 /* 0 HIGH, 1 MEDIUM, 2 LOW */
	int64_t ws, we, impact, slow;
	double share, score, cover;
	int64_t p50, p99;
	int64_t culprit_pid;     /* -1 none */
	char *culprit_comm;
	char *summary, *root, *expl;
	json_object *timeline, *recs, *evidence;
	char id[160];
};

/* a period found by patterns() for the chain text */
struct period { double sec, calls, iters; int bursts; };

/* a culprit process with the off-CPU ns it caused */
struct culp { int64_t pid, ns; int comm; };

struct eng {
	sqlite3 *db;
	struct ingero_engine_opts o;
	char *err;               /* caller's message buffer */
	size_t errlen;
	struct ig_strtab nodes, comms;  /* ids are 0-based: s[id] */
	struct grp *g;
	size_t ng, gcap;
	struct ig_map gidx;      /* key hash -> first group index+1 */
	int64_t *nfirst, *nlast; /* per node span */
	size_t nncap;
	int64_t events, t_min, t_max;
	struct ivl *io, *pa, *ss, *oom, *al;
	size_t nio, cio, npa, cpa, nss, css, noom, coom, nal, cal;
	int64_t maxio, maxpa, maxss, maxoff;
	int evt_truncated;
	struct amap maps[MAX_MAPS];
	int nmaps;
	int64_t bw, base;        /* activity map bucket width / base */
	int have_offcpu, have_snap, have_gpu;
	struct slow *s;
	size_t ns, cs;
	int slow_truncated;
	struct chain *c;
	size_t nc, cc;
	sqlite3_stmt *q_off, *q_snap, *q_gpu, *q_name, *q_kids;
	sqlite3_stmt *q_py;      /* innermost Python frame of a stack; NULL: none recorded */
	int cur_node, last_g, scan_err;   /* pass-1 scan state */
	struct amap *last_m;
	struct steps *st;        /* step pass (steps*.c) */
	char **ctxn;             /* event_ctx.id -> node name (full scans of event_rows) */
	size_t nctx;
	/* the report's op table (opts op_stats): durations of the events that
	 * are in no group (non-GPU), by source * OPS_OPS + op; GPU groups' are
	 * added in baselines(); stats_off when they cannot be the table's */
	struct opacc { int64_t *d; size_t n, cap; } *opa;
	int stats_off;
};
#define OPS_SRCS 16
#define OPS_OPS 64

/* ------------------------------------------------------------ helpers */

#define FD(ns, b) ig_fmt_duration((ns), (b), sizeof(b))

/* push val onto a growable array (exits on OOM) */
#define VEC_PUSH(arr, n, cap, val) do { \
	ig_grow(&(arr), &(cap), (n) + 1, sizeof(*(arr))); \
	(arr)[(n)++] = (val); \
} while (0)

/* 0-based id of s in t (interned on first use; NULL is "") */
static inline int eng_str(struct ig_strtab *t, const char *s)
{
	return (int)ig_strtab_id(t, s ? s : "") - 1;
}

static inline int is_gpu_call(int src)
{
	return src == INGERO_SRC_CUDA || src == INGERO_SRC_DRIVER;
}
static inline int is_memcpy(int src, int op) { return ingero_op_class(src, op) == INGERO_OPC_MEMCPY; }
static inline int is_sync(int src, int op) { return ingero_op_class(src, op) == INGERO_OPC_SYNC; }
static inline int is_alloc(int src, int op) { return ingero_op_class(src, op) == INGERO_OPC_ALLOC; }
/* allocation or free: the allocator's calls */
static inline int is_allocator(int src, int op)
{
	int c = ingero_op_class(src, op);
	return c == INGERO_OPC_ALLOC || c == INGERO_OPC_FREE;
}
static inline int is_free(int src, int op) { return ingero_op_class(src, op) == INGERO_OPC_FREE; }

/* qsort with n == 0 and base NULL is undefined behaviour */
static inline void xqsort(void *base, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

int cmp_i64(const void *a, const void *b);

/* "file:line in function" of the innermost Python frame that carries the
 * largest sum of weights w[i] over the n stacks (ties: the smallest text),
 * into buf; *wsum = its weight, *wall = the sum of all weights.  Returns how
 * many stacks have it, 0 when none has Python frames (buf = ""). */
int eng_py_line(struct eng *e, const int64_t *stacks, const int64_t *w, size_t n, char *buf, size_t len,
		int64_t *wsum, int64_t *wall);

/* odd input (corrupt or hand-made rows) is clamped so arithmetic on times
 * never overflows: timestamps to +-2^61 ns (+-73 years), durations to
 * [0, 2^40] ns (18 min); sums saturate */
#define TS_LIM (1LL << 61)
#define DUR_LIM (1LL << 40)
static inline int64_t cts(int64_t t) { return t > TS_LIM ? TS_LIM : t < -TS_LIM ? -TS_LIM : t; }
static inline int64_t cdur(int64_t d) { return d < 0 ? 0 : d > DUR_LIM ? DUR_LIM : d; }
static inline int64_t sadd(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}
static inline int64_t ovl(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

/* "engine: <fmt>" into the caller's buffer; returns -1 */
int eng_err(struct eng *e, const char *fmt, ...) IG_PRINTF(2, 3);
/* prepare or fail with "engine: <what>: <sqlite error>" */
int eng_prep(struct eng *e, sqlite3_stmt **st, const char *sql, const char *what);

/* ---------------------------------------------------------- engine_scan.c */

int grp_find(struct eng *e, int node, int64_t pid, int src, int op, int create);
int node_slot(struct eng *e, int node);
/* busy ns of map m inside [ts, ts+dur), buckets weighted by their overlap */
int64_t map_busy(struct eng *e, struct amap *m, int64_t ts, int64_t dur);
/* WHERE fragment for the node/time filters; binds ?101 node, ?102 since, ?103 until */
void filt_sql(struct eng *e, char *buf, size_t len, const char *tscol);
/* the same over event_rows (the node filter through event_ctx) */
void filt_sql_rows(struct eng *e, char *buf, size_t len);
void filt_bind(struct eng *e, sqlite3_stmt *st);
/* the full scans read event_rows, whose rows name their node by event_ctx id:
 * load the ids' node names once (-1 on error), then look them up */
int eng_ctx_load(struct eng *e);
static inline const char *eng_ctx_name(const struct eng *e, int64_t ctx)
{
	return ctx >= 0 && (uint64_t)ctx < e->nctx && e->ctxn[ctx] ? e->ctxn[ctx] : "";
}
int pass1(struct eng *e);
/* steps.c: pass 1 feeds the step pass its boundary candidates */
void steps_observe(struct eng *e, int node, int64_t pid, int64_t tid, int src, int op, int64_t ts, int64_t dur,
		   int64_t a0, int64_t a1);
int pass2(struct eng *e);

/* ------------------------------------------------------ engine_evidence.c */

/* first index in a sorted (node,pid|tid,ts) array with key >= (node,id,ts) */
size_t ivl_lower(const struct ivl *a, size_t n, int node, int64_t id, int64_t ts, int bytid);
int evidence(struct eng *e, struct slow *s);
void classify(struct eng *e, struct slow *s);
/* cold start and periodic spikes among the slow calls [lo, hi) of one group */
void patterns(struct eng *e, size_t lo, size_t hi, struct period *pr);

/* --------------------------------------------------------- engine_chain.c */

struct chain *chain_new(struct eng *e);
void chain_free(struct chain *c);
int64_t node_span(struct eng *e, int node);
void severity(struct chain *c, int cap_medium);
void tl_add(json_object *tl, const char *layer, const char *op, const char *detail, int64_t dur_ns);
void rec_add(json_object *r, const char *s);
/* process name of (node, pid) into buf ("" when unknown) */
/* The CPU-pinning fix line with real CPU numbers and pids (engine_chain.c);
 * cpid <= 0 / cname NULL: no culprit to move.  -1 on an SQLite error. */
int eng_pin_advice(struct eng *e, int node, int64_t pid, const char *name, int64_t cpid,
		   const char *cname, char *out, size_t len);
const char *proc_name(struct eng *e, int node, int64_t pid, char *buf, size_t len);
/* "python3 (pid 4242)" or "pid 4242" */
void proc_who(struct eng *e, int node, int64_t pid, char *buf, size_t len);
/* one chain from n slow calls of a group with the same cause (sorted by ts) */
int chain_from(struct eng *e, struct slow *v, size_t n, const struct period *pr);

/* --------------------------------------------------------- engine_rules.c */

int rule_memcpy(struct eng *e);
int rule_cpu_contention(struct eng *e);
int rule_drop(struct eng *e);
int rule_leak(struct eng *e);
int rule_oom(struct eng *e);

/* ----------------------------------------------------------- engine_job.c */

int rule_graph(struct eng *e);
int rule_straggler(struct eng *e);

#endif
