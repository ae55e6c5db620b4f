/*
 * perfetto.h - ingero-perfetto internals: the timeline model that both
 * inputs (recordings through the formats reader, analysis databases through
 * SQLite) feed, and that writes Perfetto protobuf or Chrome JSON.
 *
 * All timestamps given to px_* are unix-epoch nanoseconds.  Node indexes are
 * small integers chosen by the input (node table order).  Calls must arrive
 * per thread roughly in completion order (as recordings store them); the
 * protobuf writer re-orders within a bounded window per track.
 */
#ifndef INGERO_PERFETTO_H
#define INGERO_PERFETTO_H

#include <stdint.h>
#include <stdio.h>

#include "ingero.h"

struct px;
struct ig_progress;

struct px_opts {
	int json;                 /* 0 protobuf, 1 Chrome JSON */
	int compress;             /* protobuf: 0 none, 1 deflate compressed_packets */
	/* --since/--until as given (ig_parse_time, docs/cli.md), resolved when
	 * the recording's start is known; before-the-end forms ("-10s") need
	 * end_ns, the recording's last unix ns (px_recording_end), 0 = unknown */
	const char *since_s, *until_s;
	uint64_t end_ns;
	int have_pid;
	uint32_t pid;
	const char *node;         /* only this node (NULL = all) */
	struct ig_progress *progress; /* inputs report their progress here (NULL = none) */
};

struct px_stats {
	uint64_t events_in, events_out, slices, instants, counters, flows;
	uint64_t processes, threads, tracks, chains;
	uint64_t packets, bytes;
};

/* A --since/--until value counted from the recording's end ("-10s") */
static inline int px_from_end(const char *s) { return s && *s == '-'; }
/* The last unix ns (start + duration) of a recording's events, in a first
 * pass, for --since/--until counted from the end.  0, or -1 with an error
 * printed. */
int px_recording_end(const char *path, uint64_t *end);
/* Whether the --since/--until window held anything, and the recording's
 * span seen (unix ns) for the error that says it did not. */
int px_window_empty(const struct px *px, uint64_t *first, uint64_t *last);

/* Create the exporter writing to `out` (stdout or a file). */
struct px *px_new(FILE *out, const struct px_opts *o);
/* Flush pending events, write the end of the file.  Returns 0 or -1 (write
 * error; errno set). */
int px_finish(struct px *px);
void px_free(struct px *px);
const struct px_stats *px_stats(const struct px *px);

/* Time reference for --since/--until (first timestamp of the input, unix ns).
 * Call before the first event; later calls are ignored. */
void px_set_origin(struct px *px, uint64_t unix_ns);
int px_origin_known(const struct px *px);
/* the recording's end (unix ns) for --since/--until counted from it; before px_set_origin */
void px_set_end(struct px *px, uint64_t unix_ns);
/* Optional: the node's boottime <-> realtime pair for the clock snapshot. */
void px_set_boottime_anchor(struct px *px, uint64_t boottime, uint64_t realtime);

/* Filters: 1 if this node / event is wanted. */
int px_want_node(const struct px *px, const char *node_name);

void px_node(struct px *px, uint32_t node, const char *name, int32_t rank);
void px_process(struct px *px, uint32_t node, uint32_t pid, const char *comm, int32_t rank);
void px_thread(struct px *px, uint32_t node, uint32_t pid, uint32_t tid, const char *name);

/* Flow arrows at one slice (docs/perfetto.md "Flows").  The trace processor
 * sorts by time and binds a flow where its id first appears, so a flow
 * starts on the end that starts earlier and terminates on the later one. */
enum { PX_FLOW_NONE, PX_FLOW_OUT, PX_FLOW_IN, PX_FLOW_TIE };
struct px_flows {
	const uint64_t *out;      /* start here (the earlier end): flow_ids / JSON "s" */
	unsigned n_out;
	const uint64_t *in;       /* end here (the later end): terminating_flow_ids / JSON "f" */
	unsigned n_in;
	const uint64_t *tie;      /* end here, at the same start time as the other end: flow_ids
				     too (the first one the importer meets opens it) / JSON "f" */
	unsigned n_tie;
};

/* Extra information for one event. */
struct px_evinfo {
	const char *stack;        /* stack summary ("" / NULL = none) */
	const char *python;       /* Python frames "file:line in func < ..." ("" / NULL = none) */
	const char *culprit_comm; /* sched_switch: comm of arg1 */
	struct px_flows fl;
};
/* 1 when an event of (node, pid) at [ts, ts + dur] passes the filters. */
int px_event_wanted(struct px *px, uint32_t node, uint32_t pid, uint64_t ts, uint64_t dur);
/* One event (ev->ts in unix ns).  Returns 1 if written, 0 if filtered. */
int px_event(struct px *px, uint32_t node, const struct ingero_event *ev,
	     const struct px_evinfo *info);
void px_sys(struct px *px, uint32_t node, const struct ingero_sys *s);
void px_gpu(struct px *px, uint32_t node, const struct ingero_gpu *g);
void px_lost(struct px *px, uint32_t node, const struct ingero_lost *l);
void px_note(struct px *px, uint32_t node, uint64_t ts, int level, const char *text);

struct px_chain {
	const char *id, *severity, *summary, *root_cause, *recommendations, *kind;
	uint32_t node;
	uint64_t start, end;      /* unix ns */
	struct px_flows fl;       /* flows between the evidence and the chain slice */
};
/* 1 when a chain slice of node at [start, end] passes the filters. */
int px_chain_wanted(struct px *px, uint32_t node, uint64_t start, uint64_t end);
/* One training / inference step of a CUDA stream (the analysis DB's steps
 * table, docs/perfetto.md "Steps"): a slice on the stream's "steps" track
 * and the step's GPU-idle share on its "GPU idle" counter track. */
struct px_step {
	uint32_t node, pid;
	uint64_t stream;
	int64_t id, step;
	uint64_t start, dur;
	const char *phase, *boundary_op, *outlier, *preempt_comm, *waker_comm;
	int64_t preempt_pid, waker_pid;  /* 0 = none */
	int warmup, slow;
	uint64_t launches, memcpy_bytes;
	uint64_t launch_ns, memcpy_ns, sync_ns, alloc_ns, other_cuda_ns, nccl_ns, host_ns;
	uint64_t preempted_ns, blocked_ns, io_ns, mem_ns, gpu_idle_ns;
};
/* Give them per stream in start order.  Returns 1 if written. */
int px_step(struct px *px, const struct px_step *s);

/* Chains go on the "Ingero findings" track; give them sorted by start. */
void px_chain(struct px *px, const struct px_chain *c);

/* Inputs (perfetto_rec.c, perfetto_db.c), chosen by perfetto_main.c: they
 * feed the writer above.  0 ok, 1 error (message printed). */
int px_input_recording(struct px *px, const char *path, const struct px_opts *o);
int px_input_db(struct px *px, const char *path, const struct px_opts *o);

/* A flow id, deterministic for (chain index, evidence index). */
static inline uint64_t px_flow_id(uint32_t chain, uint32_t k)
{
	return ((uint64_t)(chain + 1) << 32) | (k + 1);
}

#endif
