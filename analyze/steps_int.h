/*
 * steps_int.h - the engine's step pass (engine v2, docs/engine.md "Steps"):
 *
 *   steps.c       boundary choice (scan A), segmentation + breakdown
 *                 (scan B), baselines, slow steps, the steps and
 *                 step_baselines tables
 *   steps_find.c  findings: slow steps explained by their breakdown
 *                 difference, GPU idle / host-bound starvation, stalls,
 *                 throughput drops; the step_findings table
 *   steps_infer.c --inference: phases, per-phase baselines, outlier buckets,
 *                 KV-cache lineage
 *   steps_report.c --steps table, the report's step section, JSON parts
 *
 * Memory: per thread with CUDA calls, the items of its current step (calls,
 * off-CPU intervals, I/O) and one compact record per closed step.
 */
#ifndef INGERO_STEPS_INT_H
#define INGERO_STEPS_INT_H

#include "engine_int.h"

/* breakdown categories: the first 11 sum to the step's duration */
enum { CAT_LAUNCH, CAT_MEMCPY, CAT_SYNC, CAT_ALLOC, CAT_OTHER, CAT_NCCL, CAT_HOST, CAT_PRE, CAT_BLK,
       CAT_IO, CAT_MEM, NCAT };
extern const char *const step_cat_name[NCAT];   /* column names: launch_ns, ... */
extern const char *const step_cat_text[NCAT];   /* "kernel launches", ... */

enum { PH_STEP, PH_PREFILL, PH_DECODE, PH_MIXED, PH_UNKNOWN, NPH };
extern const char *const step_phase_name[NPH];

/* an item of the current step of a thread */
enum { IT_CALL, IT_OFF, IT_IO };
struct sitem {
	int64_t s, e;
	int64_t pid;            /* off-CPU: culprit (preempted) or waker (blocked), -1 none */
	int8_t kind, cls;       /* cls: call category; off-CPU: 0 preempted, 1 blocked */
	int8_t gpu_work;        /* call that puts work on the GPU (launch, memcpy) */
	int8_t gpu_sync;        /* call that waits for the GPU */
};

/* a pid with the ns it accounts for (top culprits, wakers) */
struct pidns { int64_t pid, ns; };
#define TOPN 8

struct step {
	int node, th;
	int64_t pid, tid, stream, idx, id;
	int64_t start, dur;
	int bsrc, bop;
	int8_t phase, warm, slow, outlier;   /* outlier: 0 none, 1 1.5x, 2 2x, 3 3x */
	int8_t nccl;
	int64_t launches, mbytes, allocs, frees;
	int64_t cat[NCAT];
	int64_t idle;
	int64_t call_off;                    /* off-CPU inside CUDA calls */
	int64_t call_pre;                    /* of which preempted */
	struct pidns pre, wak;               /* top preemptor / waker */
};

/* a gap without CUDA calls on a thread, longer than STALL_MIN_NS */
struct sgap {
	int node, th;
	int64_t pid, tid, s, e;
	int64_t on, pre, blk, io;            /* what the thread did meanwhile */
	int nosched;                         /* no scheduler events for the thread */
	struct pidns top_pre, top_wak;
};

/* per (node, pid, tid): boundary choice and segmentation state */
struct sthr {
	int node;
	int64_t pid, tid;
	int has_rt;                          /* has runtime calls (driver ones nest) */
	int bsrc, bop, chosen;
	int64_t bstream;                     /* -1: any stream */
	double regular;
	int64_t ncand;
	/* scan B */
	int started;
	int64_t sstart, nsteps, last_cuda_end, first_ts, last_ts;
	int64_t wake_ts, wake_pid;
	int64_t pend_end;                    /* boundary seen, step not closed yet (INT64_MIN none) */
	struct sitem *it;
	size_t nit, cit;
	struct pidns wk[TOPN], pr[TOPN];     /* over the whole recording (blocked/preempted between calls) */
	int64_t calls, nsched;               /* sched_switch rows of the thread */
};

/* a boundary candidate of one thread (scan A) */
#define CAND_IV 4096
struct cand {
	int th, src, op, cls;
	int64_t stream, n, last_end;
	int64_t *iv;                         /* first CAND_IV intervals between ends */
	size_t niv;
};

struct stepfind {
	char kind[16];
	int sev;
	int node;
	int64_t pid, stream, step_id, start, dur, lost, culprit_pid;
	double share;
	char *summary, *root, *culprit_comm;
	json_object *recs;
	char id[96];
};

struct steps {
	struct sthr *t;
	size_t nt, ct;
	struct ig_map tidx;                  /* (node,pid,tid) -> thread index+1 */
	struct cand *c;
	size_t nc, cc;
	struct ig_map cidx;                  /* key -> cand index+1 */
	struct step *s;
	size_t ns, cs;
	struct sgap *g;
	size_t ng, cg;
	struct stepfind *f;
	size_t nf, cf;
	int last_th;
	int64_t rows;
	int step_src, step_op;               /* --step-op, 0 = automatic */
	int64_t span;
};

/* steps.c */
int steps_init(struct eng *e);
int steps_run(struct eng *e);
void steps_free(struct eng *e);
int step_thread(struct eng *e, int node, int64_t pid, int64_t tid, int create);
void pidns_add(struct pidns *a, int64_t pid, int64_t ns);
struct pidns pidns_top(const struct pidns *a);
int64_t steps_wall(struct eng *e, int node);

/* steps_base.c */
void steps_number(struct eng *e);
void steps_flag(struct eng *e);
int steps_write(struct eng *e);

/* steps_find.c */
int steps_findings(struct eng *e);
int steps_write_findings(struct eng *e);
struct stepfind *sf_new(struct eng *e, const char *kind);
void sf_severity(struct stepfind *f);

/* steps_infer.c */
void steps_classify(struct eng *e, struct step *s);
int steps_outliers(struct eng *e);

#endif
