/*
 * record_int.h - the recorder's state, shared by its source files:
 *
 *   record.c         lifecycle: parse, set up, the consumer loop, clean up
 *   record_cli.c     options and usage
 *   record_probes.c  the probe list (from formats/ops.def), BPF load and
 *                    tracepoints, CUDA library discovery, uprobe attach,
 *                    probe-cost calibration, /proc scan for targets
 *   record_events.c  the ring-buffer consumer: BPF event -> format record,
 *                    per-second work (page aggregates, losses, disk-full
 *                    recovery, overhead budget, status line)
 *   record_procs.c   process and thread tables (PROCESS/THREAD records)
 *   record_output.c  the output directory and the segment writer
 *   rec_sym.c        stacks, modules, symbols (rec_int.h)
 *
 * Single-threaded: everything runs on the consumer loop.
 */
#ifndef INGERO_RECORD_INT_H
#define INGERO_RECORD_INT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "ingero.h"
#include "rec_int.h"
#include "rec_proc.h"

struct bpf_link;
struct ring_buffer;
struct ingero_bpf;
struct rec_nvml;

#define PROG "ingero-record"
#define NSEC 1000000000ULL

/* ------------------------------------------------------------- options */

struct opts {
	const char *out;
	char node[256];
	uint64_t duration_ns;
	uint64_t max_disk, seg_size, seg_ns, ringbuf;
	uint32_t pids[256];
	int npids;
	int uid;                 /* -1 all */
	const char *cuda_libs[16];
	int ncuda_libs;
	bool nccl, wait, quiet, verbose, no_sched, no_io;
	int stack;               /* IBPF_STACK_OFF / _SMART / _ALL */
	bool json;               /* one JSON document (run summary) on stdout at exit */
	bool ndjson;             /* every event as a JSON line on stdout */
	bool append;             /* continue the recording in out */
	double budget_pct;
	int scan_s, poll_ms;
	int zstd_level;
};

/* record_cli.c: 0; REC_EXIT_DONE after --help/--version (exit 0); or the
 * exit status of a usage error.  verb: the 'record' verb was given (a
 * host-wide recording without a target or duration is then allowed). */
#define REC_EXIT_DONE (-1)
int rec_parse_opts(int argc, char **argv, bool verb, struct opts *o);
void rec_usage(FILE *f);

/* ------------------------------------------------------------- state */

/* Most uprobe pairs one library can get: every op row plus the aliases. */
#define REC_MAX_PROBES 64

struct lib {
	uint64_t dev, ino;
	char path[512];
	int kinds;               /* INGERO_LIB_* probed in this file */
	struct bpf_link *links[2 * REC_MAX_PROBES];
	int nlinks;
	int multi_fd[2];         /* uprobe_multi links (entry, return), -1 none */
};

struct rec {
	struct opts o;
	struct ingero_bpf *skel;
	struct ring_buffer *rb;
	struct ingero_writer *w;
	struct rec_sym sym;
	char outdir[PATH_MAX];
	uid_t own_uid;
	gid_t own_gid;
	bool chown_files;
	struct lib *libs;
	int nlibs, caplibs;
	struct ig_map pids;      /* pid -> gen the PROCESS record was written in */
	uint64_t pid_cache[64], tid_cache[256]; /* gen << 32 | id: known, skip the map */
	struct ig_map tids;      /* tid -> gen of the THREAD record */
	struct ig_map targets;   /* tgid -> 1: in the BPF traced map */
	struct ig_map parents;   /* child tgid -> parent tgid, from fork events */
	struct ig_map opcount;   /* pid << 16 | src << 8 | op -> calls this second */
	struct ig_map rates;     /* same key -> 1-in-N in force */
	uint32_t gen;
	uint32_t op_cost[INGERO_SRC_MAX][INGERO_OP_MAX]; /* ns per hit (entry + return) */
	/* counters */
	uint64_t events, events_src[INGERO_SRC_MAX], tick_src[INGERO_SRC_MAX];
	uint64_t lost_seen[INGERO_SRC_MAX], lost_total;
	uint64_t unwritten, unwritten_src[INGERO_SRC_MAX];
	uint64_t disk_full_since;
	bool disk_full;
	bool discard;            /* INGERO_BENCH_DISCARD=1: empty consumer (bench) */
	uint64_t min_ts, max_ts;
	int write_err;
	struct rec_sys_state sys;
	struct rec_nvml *nvml;
	int uprobe_multi_type;   /* BPF_TRACE_UPROBE_MULTI of this kernel, 0 = absent */
	uint32_t cost_emulated, cost_stepped; /* ns per probed call (entry + return) */
};

/* record.c: a message on stderr (unless -q and level 0) and a NOTE record */
void rec_note(struct rec *r, int level, const char *fmt, ...) IG_PRINTF(3, 4);

/* record_probes.c */
int rec_preflight(void);
/* open, configure and load the BPF object, attach the tracepoints, open
 * the ring buffer (handle: record_events.c's rec_handle_event) */
int rec_setup_bpf(struct rec *r);
/* measure what a probed call costs on this kernel (r->cost_*) */
void rec_calibrate(struct rec *r);
/* --cuda-lib PATH: attach every probe the file exports; -1 after a message */
int rec_attach_cuda_lib(struct rec *r, const char *path);
/* register pid in the BPF `traced` map (IBPF_TRACED_*) */
void rec_add_target(struct rec *r, uint32_t pid, uint8_t why);
/* walk /proc: attach new CUDA libraries, register targets; returns the
 * number of processes mapping a CUDA library */
int rec_scan(struct rec *r);
/* detach every uprobe */
void rec_detach_all(struct rec *r);

/* record_events.c */
int rec_handle_event(void *ctx, void *data, size_t len);
void rec_flush_pages(struct rec *r);
uint64_t rec_check_lost(struct rec *r, uint64_t now);
void rec_disk_retry(struct rec *r, uint64_t now);
/* --overhead-budget: sample the costliest ops of a process past it */
void rec_overhead_check(struct rec *r, uint64_t now, double secs);
/* once a second: anchors, system and GPU samples, flush, status line */
void rec_tick(struct rec *r, uint64_t now, double secs);

/* record_procs.c: PROCESS / THREAD records, written once per writer
 * generation (again after a rotation or a disk-full gap) */
void rec_write_process(struct rec *r, uint32_t pid, const char *comm_hint);
void rec_write_thread(struct rec *r, uint32_t pid, uint32_t tid);
/* a traced task renamed itself: its PROCESS or THREAD record again, new name */
void rec_on_rename(struct rec *r, uint32_t pid, uint32_t tid, const char *comm);
void rec_on_rotate(void *ctx, struct ingero_writer *w);

static inline void rec_ensure_pid(struct rec *r, uint32_t pid, const char *comm_hint)
{
	uint64_t *g;
	uint64_t ck = (uint64_t)r->gen << 32 | pid;

	/* direct-mapped front cache: the map lookup is a third of the path */
	if (r->pid_cache[pid & 63] == ck)
		return;
	g = ig_map_get(&r->pids, pid);
	if (g && *g == r->gen) {
		r->pid_cache[pid & 63] = ck;
		return;
	}
	ig_map_put(&r->pids, pid, r->gen);
	rec_write_process(r, pid, comm_hint);
}

static inline void rec_ensure_tid(struct rec *r, uint32_t pid, uint32_t tid)
{
	uint64_t *g;
	uint64_t ck = (uint64_t)r->gen << 32 | tid;

	if (r->tid_cache[tid & 255] == ck)
		return;
	g = ig_map_get(&r->tids, tid);
	if (g && *g == r->gen) {
		r->tid_cache[tid & 255] = ck;
		return;
	}
	ig_map_put(&r->tids, tid, r->gen);
	rec_write_thread(r, pid, tid);
}

/* record_output.c */
int rec_setup_output(struct rec *r);
void rec_chown_outputs(struct rec *r);
int rec_open_writer(struct rec *r, int argc, char **argv);

#endif
