/* demo.h - internals of the scenario generator (`ingero-record demo`).
 *
 * The generator writes synthetic recordings in the real format through the
 * writer API.  Everything is driven by one seed (xoshiro256** seeded by
 * splitmix64), so a given command line always produces identical bytes.
 * docs/demo.md describes every scenario and its ground truth.
 */
#ifndef INGERO_DEMO_H
#define INGERO_DEMO_H

#include <stdint.h>
#include "ingero.h"

#define NS_US 1000ULL
#define NS_MS 1000000ULL
#define NS_S 1000000000ULL

/* ---------------------------------------------------------------- PRNG */
struct demo_rng {
	uint64_t s[4];
	int has_spare;
	double spare;
};
void demo_rng_seed(struct demo_rng *r, uint64_t seed);
uint64_t demo_rng_next(struct demo_rng *r);
double demo_rng_unit(struct demo_rng *r);            /* [0, 1) */
double demo_rng_normal(struct demo_rng *r);          /* N(0, 1), Box-Muller */
uint64_t demo_rng_below(struct demo_rng *r, uint64_t n); /* [0, n) */
/* log-normal with the given median (ns) and sigma of the underlying normal */
uint64_t demo_lognorm(struct demo_rng *r, double median_ns, double sigma);
/* uniform in median*[1-p, 1+p] */
uint64_t demo_jitter(struct demo_rng *r, double base_ns, double p);

/* ------------------------------------------------------------- options */
struct demo_opts {
	const char *scenario;
	const char *out;
	uint64_t seed;
	double duration_s;       /* 0 = scenario default */
	uint64_t events;         /* 0 = by duration */
	int nodes;               /* multi-node */
	const char *straggler;   /* node name, "none", NULL = last */
	const char *offsets;     /* NULL = defaults */
	const char *drift;       /* NULL = all 0 */
	int no_collectives;
	const char *node;        /* single-node node name */
	uint64_t seg_max_bytes;
	int quiet;
};

/* --------------------------------------------------------- call sites */
/* Each traced CUDA process gets one stack per call site. */
enum demo_site {
	SITE_LAUNCH_FWD, SITE_LAUNCH_BWD, SITE_LAUNCH_OPT, SITE_MEMCPY_H2D,
	SITE_MEMCPY_D2H, SITE_SYNC, SITE_MALLOC, SITE_FREE, SITE_NCCL,
	SITE_INFER_LAUNCH, SITE_INFER_MEMCPY, SITE_INFER_SYNC, SITE_MAX,
};

/* System-load phase, looked up by the 1 Hz SYS/GPU ticks. */
struct demo_phase {
	uint64_t from;           /* boottime */
	double cpu_pct, load, ctxt_per_s, gpu_util, gpu_mem_mb;
};

#define DEMO_MAX_PROCS 24
#define DEMO_MAX_THREADS 48
#define DEMO_MAX_MODS 64
#define DEMO_MAX_SYMS 256
#define DEMO_MAX_STACKS 96

struct demo_cudaproc {
	uint32_t pid;
	uint64_t stack[SITE_MAX];
	uint64_t stream;
	uint64_t kernels[8];
	uint64_t next_ptr;
};

/* One node being written. */
struct demo_node {
	struct ingero_writer *w;
	struct demo_rng rng;
	char name[64], host[64], boot_id[40], dir[4096];
	int rank;
	/* clocks: true unix ns = boottime + boot_unix; the node's realtime
	 * reads true + offset + drift_ppm * 1e-6 * (true - t0) */
	uint64_t boot_unix;
	int64_t off_ns;
	double drift_ppm;
	uint64_t t0_unix;
	uint64_t suspend_ns;     /* monotonic = boottime - suspend_ns */
	/* pending events, kept sorted by ts */
	struct ingero_event *buf;
	size_t n, cap;
	uint64_t tick_next, tick_no, t_start;
	uint64_t ngen, nout, max_end;
	/* metadata (re-emitted when the writer rotates) */
	struct ingero_process procs[DEMO_MAX_PROCS];
	char proc_str[DEMO_MAX_PROCS][2][160];
	int nprocs;
	struct ingero_thread thr[DEMO_MAX_THREADS];
	char thr_name[DEMO_MAX_THREADS][32];
	int nthr;
	struct ingero_module mods[DEMO_MAX_MODS];
	char mod_str[DEMO_MAX_MODS][2][128];
	int nmods;
	struct ingero_symbol syms[DEMO_MAX_SYMS];
	int nsyms;
	struct ingero_stack *stacks;  /* DEMO_MAX_STACKS */
	int nstacks;
	struct ingero_anchor last_anchor;
	/* SYS/GPU state */
	struct demo_phase *phases; /* in time order */
	int nphases, phcap, phcur;
	double load;
	uint64_t ctxt, pgmaj;
	int has_gpu;
	uint32_t gpu_sm_mhz;     /* 0 = 1980 */
	uint64_t gpu_throttle;   /* NVML throttle reasons reported */
	int err;                 /* first writer error */
};

int demo_node_init(struct demo_node *n, const struct demo_opts *o, const char *dir,
		   const char *name, int rank, uint64_t seed, uint64_t start_unix,
		   uint64_t uptime_ns, int64_t off_ns, double drift_ppm,
		   const char *recorder, const char *cmdline, struct ingero_error *err);
/* Emit every pending event and tick; close the writer. */
int demo_node_finish(struct demo_node *n, struct ingero_error *err);
void demo_node_free(struct demo_node *n);

/* metadata */
void demo_add_process(struct demo_node *n, uint32_t pid, uint32_t ppid, const char *comm,
		      const char *cmdline, int rank, int local_rank, int world, uint64_t ts);
void demo_add_thread(struct demo_node *n, uint32_t tid, uint32_t pid, const char *name);
/* A CUDA process: modules, symbols and one stack per call site. */
void demo_add_cudaproc(struct demo_node *n, struct demo_cudaproc *cp, uint32_t pid,
		       const char *script);
void demo_set_phase(struct demo_node *n, uint64_t from, double cpu, double load,
		    double ctxt_per_s, double gpu_util, double gpu_mem_mb);

/* events */
void demo_ev(struct demo_node *n, const struct ingero_event *ev);
void demo_call(struct demo_node *n, const struct demo_cudaproc *cp, uint32_t tid,
	       uint32_t cpu, int source, int op, uint64_t ts, uint64_t dur, int site,
	       uint64_t a0, uint64_t a1, uint64_t a2);
void demo_offcpu(struct demo_node *n, uint32_t pid, uint32_t tid, uint32_t cpu,
		 uint64_t ts, uint64_t dur, uint64_t state, uint32_t by_pid, uint32_t by_tid);
/* Emit everything that starts before `watermark` (no later event may start
 * before it), interleaved with the 1 Hz ANCHOR/SYS and GPU records. */
void demo_flush_until(struct demo_node *n, uint64_t watermark);

uint64_t demo_hash(const char *s, uint64_t seed);

/* scenarios (demo_scen.c, demo_multi.c); return the exit code */
int demo_single(const struct demo_opts *o, const char *scenario, const char *dir);
int demo_multi(const struct demo_opts *o);
extern const char *const demo_single_scenarios[];

#endif
