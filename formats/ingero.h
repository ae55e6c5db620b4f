/*
 * ingero.h - the Ingero-C recording format: record model, writer, reader, clocks.
 *
 * This header is the manual.  The byte layout is specified in docs/format.md;
 * this file documents the C API every tool links (libingero-formats.a).
 *
 * Dependency rule: formats/ depends on libc, zstd, msgpack-c and libarchive
 * only.  It never prints and never exits: functions return 0 / a positive
 * value on success and a negative INGERO_E* code on failure, and fill an
 * optional struct ingero_error with file, byte offset and a one-line message
 * that the calling tool prints.
 *
 * Clock convention: every timestamp in a single-node recording is
 * CLOCK_BOOTTIME nanoseconds of the recording node (as BPF's
 * bpf_ktime_get_boot_ns() sees it).  Every event carries its START time and
 * its duration.  A merged recording (header clock "unix") carries corrected
 * unix-epoch nanoseconds instead.  Use struct ingero_clock to convert.
 */
#ifndef INGERO_H
#define INGERO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGERO_MAGIC "INGERO-REC"
#define INGERO_FORMAT_MAJOR 1
#define INGERO_FORMAT_MINOR 2
/* the minor of a recording that holds node events (kind 66, format.md 3.4);
 * writers write it only then */
#define INGERO_FORMAT_MINOR_NODE_EVENTS 3
#define INGERO_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

enum {
	INGERO_OK = 0,
	INGERO_EIO = -1,        /* open/read/write failed (errno kept in err->sys_errno) */
	INGERO_ENOMEM = -2,
	INGERO_ECORRUPT = -3,   /* bad zstd frame, checksum, or malformed msgpack */
	INGERO_ETRUNC = -4,     /* file ends inside a frame */
	INGERO_EFORMAT = -5,    /* not an Ingero recording / unsupported major version */
	INGERO_EINVAL = -6,     /* bad argument */
	INGERO_ENOSPC = -7,     /* disk full (writer) */
	INGERO_ECRITICAL = -8,  /* unknown record kind flagged must-understand */
};

struct ingero_error {
	int code;               /* one of INGERO_E*, 0 if none */
	int sys_errno;          /* errno when code == INGERO_EIO/ENOSPC */
	char file[512];         /* file (or "bundle.tar.zst:seg-000001.igz") */
	uint64_t offset;        /* byte offset in that (compressed) file */
	char msg[512];          /* one line, no trailing newline, e.g.
				   "truncated frame at byte 81920" */
};

/* Format "file: msg" into buf (as tools print it after "tool: "). */
const char *ingero_strerror(const struct ingero_error *e, char *buf, size_t len);

/* --------------------------------------------------- sources and op codes */
/* Compatible with the original Ingero (DESIGN.md section 3).  The codes,
 * names, classes and probed symbols all come from one table, ops.def; the
 * enums (INGERO_SRC_*, INGERO_CUDA_MALLOC, ..., INGERO_OPC_*) are in
 * ingero_ops.h. */
#include "ingero_ops.h"

/* One row of ops.def. */
struct ingero_op_info {
	uint8_t source, op;
	uint8_t cls;              /* enum ingero_op_class */
	uint8_t lib;              /* enum ingero_op_lib */
	uint16_t flags;           /* INGERO_OPF_* */
	const char *name;         /* "cudaStreamSync" (the SQL ops.name) */
	const char *sym;          /* probed symbol "cudaStreamSynchronize", NULL for kernel events */
	const char *desc;         /* SQL ops.description */
};
/* Another spelling of an op; probe >= 0: the recorder also probes symbol
 * `name`, with probe or-ed into the op of the BPF cookie. */
struct ingero_op_alias {
	const char *name;
	uint8_t source, op;
	int probe;
};

/* The whole table in (source, op) order; *n is set to its length. */
const struct ingero_op_info *ingero_ops(size_t *n);
const struct ingero_op_alias *ingero_op_aliases(size_t *n);
/* The row of (source, op), NULL when unknown. */
const struct ingero_op_info *ingero_op_info(int source, int op);
/* Class of (source, op): INGERO_OPC_NONE when unknown. */
int ingero_op_class(int source, int op);
/* Flags of (source, op): 0 when unknown. */
unsigned ingero_op_flags(int source, int op);

/* Names: "cuda", "host", ...; op names as the original's ops table
 * ("cudaMalloc", "cudaStreamSync", "sched_switch", "cuLaunchKernel", ...).
 * Unknown codes give NULL. */
const char *ingero_source_name(int source);
const char *ingero_source_desc(int source);
const char *ingero_op_name(int source, int op);
/* Case-insensitive lookup of an op name (also accepts API symbol spellings
 * such as "cudaStreamSynchronize"); returns 0 and fills source/op, or -1. */
int ingero_op_lookup(const char *name, int *source, int *op);
/* Name of an op class ("launch", "memcpy", "sync", ...). */
const char *ingero_op_class_name(int cls);

/* memcpy kind (arg1 of memcpy ops) */
enum { INGERO_MEMCPY_H2H = 0, INGERO_MEMCPY_H2D = 1, INGERO_MEMCPY_D2H = 2,
       INGERO_MEMCPY_D2D = 3, INGERO_MEMCPY_DEFAULT = 4 };

/* -------------------------------------------------------------- records */

enum ingero_kind {
	INGERO_REC_HEADER = 0,
	INGERO_REC_EVENT = 1,      /* 1.1 writers store kind 64 (packed, docs/format.md
	                            * 3.1); the reader reports both as EVENT */
	INGERO_REC_PROCESS = 2,
	INGERO_REC_THREAD = 3,
	INGERO_REC_MODULE = 4,
	INGERO_REC_SYMBOL = 5,
	INGERO_REC_STACK = 6,
	INGERO_REC_SYS = 7,
	INGERO_REC_GPU = 8,
	INGERO_REC_ANCHOR = 9,
	INGERO_REC_LOST = 10,
	INGERO_REC_FOOTER = 11,
	INGERO_REC_NODE = 12,      /* node table entry (merged recordings) */
	INGERO_REC_FRAME = 13,     /* first value of every zstd frame: delta bases reset */
	INGERO_REC_CTX = 14,       /* switches the current node for following records */
	INGERO_REC_NOTE = 15,      /* recorder notes: disk full, attach failures, ... */
	INGERO_REC_SAMPLING = 16,  /* in-kernel 1-in-N sampling rate in force */
	INGERO_REC_PYFRAME = 17,   /* 1.2: one Python source location (file, function, line) */
	INGERO_REC_KIND_MAX = 18,
};
/* Kinds >= 64 are "must understand": a reader that does not know one stops
 * with INGERO_ECRITICAL.  Unknown kinds < 64 are skipped. */
#define INGERO_REC_CRITICAL_MIN 64

/*
 * One traced call or kernel event.  ts = start (see clock convention above),
 * dur = duration in ns (0 for instants).  Argument meaning per source/op
 * (docs/format.md has the full table):
 *   cudaMalloc/cuMemAlloc*: arg0 size, arg1 returned device pointer
 *   cudaFree: arg0 pointer
 *   launch (cudaLaunchKernel, cuLaunchKernel): arg0 function, arg1 stream,
 *     arg2 grid.x | grid.y << 32, arg3 grid.z, arg4 block.x | block.y << 32,
 *     arg5 block.z (each dimension an unsigned 32-bit value)
 *   memcpy*: arg0 bytes, arg1 kind (INGERO_MEMCPY_*), arg2 stream (async)
 *   stream sync: arg0 stream
 *   sched_switch: an OFF-CPU interval of a traced thread: ts = switch-out,
 *     dur = time off CPU, arg0 = prev_state (0 = preempted/runnable,
 *     otherwise the kernel's blocked state bits), arg1 = pid that ran
 *     instead, arg2 = its tid, arg3 = pid that ran last before the thread
 *     got the CPU back, arg4 = its tid, arg5 = the CPU it resumed on,
 *     cpu = the CPU it was switched out on.
 *     The comms of arg1 and arg3 are in PROCESS records of those pids.
 *   sched_wakeup: arg0 = waker pid, arg1 = waker tid, cpu = target cpu
 *   page_alloc: arg0 bytes (aggregated per pid over the interval [ts, ts+dur]),
 *     arg1 number of allocations
 *   oom_kill: pid = victim, arg0 = victim pid, arg1 = total_vm pages
 *   exec: arg0 = 0; exit: ret = exit code; fork: arg0 = child pid
 *   block I/O: arg0 bytes, arg1 sector, arg2 dev in the kernel's internal
 *     encoding major << 20 | minor (not glibc makedev), pid = issuing pid,
 *     ts = issue, dur = issue->complete, ret = completion error (0 = ok)
 *   graph: arg0 stream, arg1 graph handle, arg2 exec handle, arg3 capture mode
 *   NCCL: arg0 comm hash, arg1 count (elements), arg2 per-communicator
 *     sequence number (1-based, per comm, per rank), arg3 rank | nranks << 32,
 *     arg4 datatype | redop << 8 | (peer + 1) << 16, arg5 stream
 */
#define INGERO_EV_NARGS 6
struct ingero_event {
	uint64_t ts;
	uint64_t dur;
	uint32_t pid;
	uint32_t tid;
	uint8_t source;
	uint8_t op;
	uint16_t flags;        /* INGERO_EVF_* */
	int32_t ret;
	uint32_t cpu;
	uint64_t stack_id;     /* 0 = none; else id of a STACK record (same node) */
	uint64_t arg[INGERO_EV_NARGS];
};
#define INGERO_EVF_SAMPLED 0x1   /* emitted under 1-in-N sampling */
#define INGERO_EVF_NO_RETURN 0x2 /* entry seen, return never seen (dur unknown) */

/* A clock anchor: the node's clocks read back to back. */
struct ingero_anchor {
	uint64_t boottime, realtime, monotonic; /* read back to back, ns */
	uint64_t error_ns;        /* adjtimex maxerror (us -> ns); 0 if unknown */
};

/* A header opens every segment.  Strings are NUL-terminated. */
struct ingero_header {
	uint32_t major, minor;
	const char *node;         /* node name (--node, default hostname) */
	const char *host;         /* hostname */
	const char *boot_id;      /* /proc/sys/kernel/random/boot_id */
	const char *kernel;       /* uname -r */
	const char *recorder;     /* "ingero-record 0.1.0" / "ingero-record demo incident" */
	const char *cmdline;      /* recorder command line */
	const char *clock;        /* "boottime" (single node) or "unix" (merged) */
	uint64_t start_ts;        /* in the recording's clock */
	uint32_t segment;         /* segment sequence number, 1-based */
	int32_t rank;             /* job rank of this node, -1 if unknown */
	/* first clock anchor (also emitted as an ANCHOR record); all zero when
	 * the recording has none (merged recordings) */
	struct ingero_anchor anchor;
};

struct ingero_process {
	uint32_t pid, ppid, uid;
	const char *comm;
	const char *cmdline;      /* argv joined by spaces */
	int32_t rank, local_rank, world_size; /* -1 when absent */
	uint64_t cgroup_id;
	uint64_t start_ts;        /* first seen */
};

struct ingero_thread {
	uint32_t tid, pid;
	const char *name;
};

struct ingero_module {
	uint64_t id;              /* module id, unique within a node */
	uint32_t pid;
	uint64_t start, end, file_offset;
	const char *path;
	const char *build_id;     /* hex, "" if unknown */
};

struct ingero_symbol {
	uint64_t id;              /* symbol id, unique within a node */
	uint64_t module_id;
	uint64_t offset;          /* symbol start, module-relative */
	const char *name;
};

/* A deduplicated user stack.  ips[i] is the raw address, syms[i] the symbol
 * id (0 = unresolved), offs[i] the offset of ips[i] inside that symbol.
 * 1.2: py[0..npy) are the ids of PYFRAME records of the Python frames the
 * calling thread was executing, innermost first (npy = 0: none); a stack
 * with Python frames may have depth 0 (no native stack was captured). */
#define INGERO_STACK_MAX 64
#define INGERO_STACK_PY_MAX 16
struct ingero_stack {
	uint64_t id;
	uint32_t pid;
	uint32_t depth;
	uint64_t ips[INGERO_STACK_MAX];
	uint64_t syms[INGERO_STACK_MAX];
	uint32_t offs[INGERO_STACK_MAX];
	uint32_t npy;
	uint64_t py[INGERO_STACK_PY_MAX];
};

/* 1.2: one Python source location, referred to by STACK.py.  id is unique
 * within a node; line 0 = unknown.  function is the code object's qualified
 * name (CPython 3.11+: co_qualname, 3.10: co_name). */
struct ingero_pyframe {
	uint64_t id;
	uint32_t pid;
	uint32_t line;
	const char *file;
	const char *func;
};

struct ingero_sys {
	uint64_t ts;
	double cpu_pct;           /* all CPUs, iowait counted as idle */
	double mem_pct;           /* (total-available)/total */
	uint64_t mem_avail_mb;
	uint64_t swap_used_mb;
	double load1;
	double iowait_pct;
	uint64_t pgmajfault;      /* cumulative since boot */
	uint64_t ctxt;            /* cumulative context switches */
};

struct ingero_gpu {
	uint64_t ts;
	uint32_t index;
	double util_pct;
	uint64_t mem_used_mb, mem_total_mb;
	uint32_t sm_clock_mhz, mem_clock_mhz;
	uint64_t throttle_reasons; /* NVML clocks_throttle_reasons bitmask */
	uint32_t temp_c;
	double power_w;
};

struct ingero_lost {
	uint64_t ts;
	uint8_t source;
	uint64_t count;           /* events dropped since the previous LOST record */
	uint32_t reason;          /* 0 ring buffer full, 1 disk full, 2 sampling */
};

struct ingero_footer {
	uint64_t events;
	uint64_t min_ts, max_ts;
	uint64_t lost;
};

/* Node table entry, written by ingero-merge.  Applied correction:
 * unix_ns = wall(boottime) + offset_ns + drift_ppb * (t - ref_ts) / 1e9. */
struct ingero_node {
	uint32_t index;
	const char *name;
	const char *host;
	const char *boot_id;
	int32_t rank;
	int64_t offset_ns;
	double drift_ppb;
	uint64_t ref_ts;
	const char *method;       /* "anchors", "collectives", "user", "none" */
	double confidence_ns;     /* residual / error bound, ns */
	uint64_t samples;
};

struct ingero_frame {
	uint64_t seq;             /* frame sequence number within the segment */
	uint64_t base_ts;
};

struct ingero_note {
	uint64_t ts;
	uint32_t level;           /* 0 info, 1 warning, 2 error */
	const char *text;
};

struct ingero_sampling {
	uint64_t ts;
	uint32_t pid;
	uint8_t source, op;
	uint32_t rate;            /* 1 = every event, N = 1-in-N */
};

/*
 * A decoded record.  kind selects the union member; node is the node index
 * from the current CTX record (0 in single-node recordings).  Strings and
 * arrays point into the reader's buffers and stay valid until the next
 * ingero_reader_next() on the same reader.
 */
struct ingero_record {
	int kind;
	uint32_t node;
	const char *file;         /* source file (for messages) */
	uint64_t offset;          /* compressed offset of the frame holding it */
	union {
		struct ingero_header hdr;
		struct ingero_event ev;
		struct ingero_process proc;
		struct ingero_thread thr;
		struct ingero_module mod;
		struct ingero_symbol sym;
		struct ingero_stack *stack;  /* points into reader storage */
		struct ingero_sys sys;
		struct ingero_gpu gpu;
		struct ingero_anchor anchor;
		struct ingero_lost lost;
		struct ingero_footer footer;
		struct ingero_node nodeinfo;
		struct ingero_frame frame;
		struct ingero_note note;
		struct ingero_sampling sampling;
		struct ingero_pyframe pyframe;
		uint32_t ctx_node;
	} u;
};

/*
 * The time of a record in the recording's clock: events, system and GPU
 * snapshots, lost counters, notes and sampling records have one (anchors:
 * their boottime).  Returns 1 with *ts set, 0 for kinds without a time.
 */
int ingero_record_ts(const struct ingero_record *r, uint64_t *ts);
/*
 * A deep copy of r in one allocation (strings and the stack included), so
 * it outlives the reader's buffers.  Release with free().  NULL on ENOMEM.
 */
struct ingero_record *ingero_record_dup(const struct ingero_record *r);

/* --------------------------------------------------------------- writer */

enum ingero_fsync {
	INGERO_FSYNC_NONE = 0,    /* never (benchmarks, generator) */
	INGERO_FSYNC_SEGMENT = 1, /* fsync when a segment is closed */
	INGERO_FSYNC_FRAME = 2,   /* fdatasync after every frame (recorder default) */
};

struct ingero_writer;

struct ingero_writer_opts {
	const char *dir;          /* write seg-NNNNNN.igz files here ... */
	const char *path;         /* ... or exactly this one file ("-" = stdout);
				     no rotation then */
	uint64_t seg_max_bytes;   /* rotate after this many compressed bytes (0 = 256 MiB) */
	uint64_t seg_max_ns;      /* rotate after this much recorded time (0 = 1 h) */
	uint64_t disk_budget;     /* delete oldest whole segments beyond this (0 = off) */
	uint32_t frame_max_bytes; /* close a frame at this many uncompressed bytes (0 = 4 MiB) */
	uint64_t frame_max_ns;    /* close a frame when recorded time spans this (0 = 1 s) */
	int zstd_level;           /* 0 = default (1, chosen by bench/format) */
	int fsync;                /* enum ingero_fsync */
	unsigned file_mode;       /* 0 = 0640 */
	struct ingero_header hdr; /* written at the start of every segment */
	/* Called after a new segment was opened (its header written), so the
	 * caller can re-emit metadata (processes, threads, anchors) that readers
	 * of that segment alone need.  May be NULL. */
	void (*on_rotate)(void *ctx, struct ingero_writer *w);
	void *rotate_ctx;
	/* Measure each event's gap from the previous event of the same node
	 * (CTX) instead of any node: interleaved nodes (a merged recording)
	 * then cost what separate recordings cost.  Frames say so with a
	 * must-understand record (docs/format.md 3.2): readers before it
	 * refuse such a recording instead of misreading it. */
	int node_gaps;
	/* Allow ingero_writer_event_node: events that name their node (kind 66,
	 * docs/format.md 3.4) instead of following a CTX record; the header
	 * says 1.3, and readers before 1.3 stop at the first such event. */
	int node_events;
};

int ingero_writer_open(struct ingero_writer **w, const struct ingero_writer_opts *o,
		       struct ingero_error *err);
/* Append one record (any kind except HEADER/FRAME, which the writer makes). */
int ingero_writer_append(struct ingero_writer *w, const struct ingero_record *rec);
/* Fast path for events of node `w`'s current CTX. */
int ingero_writer_event(struct ingero_writer *w, const struct ingero_event *ev);
/* An event of node `node` (below 2^20), whatever the current CTX, which it
 * leaves as it is (opts.node_events; else INGERO_EINVAL).  The reader
 * returns it with rec->node = node. */
int ingero_writer_event_node(struct ingero_writer *w, uint32_t node, const struct ingero_event *ev);
/* Close the current frame now (the recorder calls this at least every second). */
int ingero_writer_flush(struct ingero_writer *w);
/* Flush, write FOOTER, close.  NULL is accepted.  Returns the first error not
 * recovered from: a frame dropped for a full disk is reported by the
 * append/flush that dropped it, and no longer counts once a later frame was
 * written (the recorder writes a LOST/NOTE record for it). */
int ingero_writer_close(struct ingero_writer *w);
/* Compressed bytes written so far over all segments, and segments deleted
 * by the disk budget. */
uint64_t ingero_writer_bytes(const struct ingero_writer *w);
uint64_t ingero_writer_deleted_segments(const struct ingero_writer *w);
const struct ingero_error *ingero_writer_error(const struct ingero_writer *w);

/* --------------------------------------------------------------- reader */

struct ingero_reader;

/* Warnings (truncated / corrupt frames) are reported here and reading goes on
 * with the next frame or segment.  Default: collected, see
 * ingero_reader_warnings(). */
typedef void (*ingero_warn_fn)(void *ctx, const struct ingero_error *w);

/*
 * Open `path`: a segment file, a directory of segments (read in segment
 * order), a tar / tar.zst / tar.gz bundle (read in place through libarchive),
 * or "-" for stdin (a segment stream or a bundle).  Returns 0 or INGERO_E*.
 */
int ingero_reader_open(struct ingero_reader **r, const char *path, struct ingero_error *err);
/*
 * The same over a memory buffer buf[0..len) (a segment stream or a bundle),
 * named `name` in messages (NULL: "<memory>").  The buffer is read in place
 * and must outlive the reader.  No file, no syscall: the fuzz targets use it.
 */
int ingero_reader_open_mem(struct ingero_reader **r, const void *buf, size_t len, const char *name,
			   struct ingero_error *err);
void ingero_reader_set_warn(struct ingero_reader *r, ingero_warn_fn fn, void *ctx);
/*
 * Next record in file order.  Returns 1 with *rec filled, 0 at the end, or a
 * negative INGERO_E* for a fatal error (e.g. ECRITICAL, EFORMAT on the first
 * segment).  Truncation and corruption are warnings, not errors.
 */
int ingero_reader_next(struct ingero_reader *r, struct ingero_record *rec);
/* Header of the first segment (valid after the first successful _next). */
const struct ingero_header *ingero_reader_header(const struct ingero_reader *r);
/* Number of warnings so far, and the last one (NULL if none). */
unsigned ingero_reader_warnings(const struct ingero_reader *r);
const struct ingero_error *ingero_reader_last_warning(const struct ingero_reader *r);
/* Input bytes read so far (of the file, directory segments or bundle as
 * stored, i.e. compressed), for progress.  May exceed the input's size when
 * an unsorted bundle is read twice. */
uint64_t ingero_reader_bytes(const struct ingero_reader *r);
void ingero_reader_close(struct ingero_reader *r);

/* ---------------------------------------------------------------- clock */

/*
 * Piecewise-linear CLOCK_BOOTTIME -> unix ns conversion from ANCHOR records.
 * Between two anchors it interpolates; before the first / after the last it
 * extrapolates with the nearest segment's slope (1.0 with a single anchor).
 * For a recording whose header clock is "unix", conversion is the identity.
 */
struct ingero_clock {
	size_t n, cap;
	struct ingero_anchor *a;  /* sorted by boottime */
	int identity;
};
void ingero_clock_init(struct ingero_clock *c);
int ingero_clock_add(struct ingero_clock *c, const struct ingero_anchor *a);
/* Take what a segment header says about the clock: clock "unix" makes the
 * conversion the identity; otherwise its first anchor (when present) is
 * added.  Returns 0 or INGERO_ENOMEM. */
int ingero_clock_add_header(struct ingero_clock *c, const struct ingero_header *h);
/* 1 when the header carries an anchor. */
static inline int ingero_header_has_anchor(const struct ingero_header *h)
{
	return h->anchor.boottime || h->anchor.realtime;
}
int64_t ingero_clock_to_wall(const struct ingero_clock *c, uint64_t boottime);
void ingero_clock_release(struct ingero_clock *c);

#ifdef __cplusplus
}
#endif
#endif
