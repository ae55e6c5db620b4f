/*
 * perfetto_int.h - internals of the ingero-perfetto timeline writer (shared
 * by perfetto*.c; the inputs and main only use perfetto.h).
 *
 * Protobuf layout (docs/perfetto.md has the full description):
 *   sequence 1        clock snapshot (primary clock REALTIME) + all TrackDescriptors
 *   one sequence per  slice track (thread calls, thread off-CPU, node instants +
 *                     counters, findings); each starts with SEQ_INCREMENTAL_STATE_CLEARED
 *                     and TracePacketDefaults {clock REALTIME, track}.  Later packets carry
 *                     SEQ_NEEDS_INCREMENTAL_STATE and interned names / categories /
 *                     annotation names on first use.
 * Timestamps are absolute unix ns (REALTIME, one clock domain).  A per-track
 * window re-orders packets; a packet older than its track's last one goes to a
 * shared late sequence, so timestamps never go back on a sequence.
 *
 * Files: perfetto.c (life cycle), perfetto_out.c (chunks, deflate),
 * perfetto_json.c, perfetto_track.c (tracks, descriptors), perfetto_seq.c
 * (sequences, window, interning), perfetto_event.c (events, counters,
 * chains), perfetto_pb.c (protobuf encoder); inputs perfetto_rec.c and
 * perfetto_db.c; perfetto_main.c (CLI, input dispatch).
 */
#ifndef INGERO_PERFETTO_INT_H
#define INGERO_PERFETTO_INT_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "common.h"
#include "perfetto.h"
#include "perfetto_pb.h"

#define HEAP_WINDOW 32            /* packets held per track for re-ordering */
#define RING 64                   /* ring size: power of two > HEAP_WINDOW */
#define FREE_MAX 4096             /* recycled pending packets */
#define ZQ_SLOTS 4                /* chunks queued for the compressor thread */
#define FLUSH_BYTES (256 * 1024)  /* output chunk (and compressed_packets input) */
#define MAX_STR 240               /* longest string written in an annotation/name */
#define MAX_LATE_SEQS 256         /* sequences for packets older than a track's window */
#define SEQ_META 1
#define MAX_INTERNED 1000000      /* beyond this, names are written inline */

/* TracePacket / TrackEvent field numbers (protos/perfetto/trace/...) */
enum {
	TP_TIMESTAMP = 8, TP_CLOCK_ID = 58, TP_SEQ_ID = 10, TP_TRACK_EVENT = 11,
	TP_INTERNED = 12, TP_SEQ_FLAGS = 13, TP_DEFAULTS = 59, TP_TRACK_DESC = 60,
	TP_CLOCK_SNAPSHOT = 6, TP_COMPRESSED = 50,
	TE_CATEGORY_IIDS = 3, TE_DEBUG = 4, TE_TYPE = 9, TE_NAME_IID = 10, TE_TRACK = 11,
	TE_NAME = 23, TE_DOUBLE_COUNTER = 44, TE_FLOW_IDS = 47, TE_TERM_FLOW_IDS = 48,
	TE_SLICE_BEGIN = 1, TE_SLICE_END = 2, TE_INSTANT = 3, TE_COUNTER = 4,
	SEQ_CLEARED = 1, SEQ_NEEDS = 2,
	DA_NAME_IID = 1, DA_BOOL = 2, DA_UINT = 3, DA_INT = 4, DA_DOUBLE = 5, DA_STRING = 6,
	DA_POINTER = 7,
	ID_CATEGORIES = 1, ID_NAMES = 2, ID_ANN_NAMES = 3,
	TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_THREAD = 4, TD_PARENT = 5, TD_COUNTER = 8,
	PD_PID = 1, PD_NAME = 6, THD_PID = 1, THD_TID = 2, THD_NAME = 5,
	CS_CLOCKS = 1, CS_PRIMARY = 2, CLK_ID = 1, CLK_TS = 2, CLK_INCR = 3,
	BUILTIN_REALTIME = 1, BUILTIN_BOOTTIME = 6,
};

enum tkind { TK_NODE = 1, TK_PROC, TK_THREAD, TK_OFFCPU, TK_COUNTER, TK_FIND, TK_LANE, TK_IO, TK_STEPS, TK_IDLE };
#define IO_LANES 16               /* overlapping block I/O of one thread: lanes */
enum ns { NS_CAT, NS_NAME, NS_ANN, NS_N };

#define ITEM_INLINE 176
#define ITEM_IIDS 14
struct pitem {
	uint64_t ts, sub, seqno;
	uint8_t cls;              /* 0 END, 1 INSTANT/COUNTER, 2 BEGIN: order at equal ts */
	uint8_t niid;
	uint8_t has_track;        /* body names its track (else the sequence default) */
	uint32_t blen;
	uint32_t iids[ITEM_IIDS]; /* ns << 28 | iid */
	uint8_t *body;            /* TrackEvent bytes: inl or malloc'd */
	uint8_t inl[ITEM_INLINE];
};

struct hent { /* heap entry: the ordering key next to the item */
	uint64_t ts, sub, seqno;
	struct pitem *it;
	uint8_t cls;
};

/* A packet sequence: timestamps never go back on it (absolute REALTIME),
 * names are interned per sequence. */
struct seq {
	uint32_t id;
	int started;
	uint64_t last_ts;
	uint8_t *seen[NS_N];
	uint32_t seen_cap[NS_N];
};

struct track {
	uint64_t uuid;
	enum tkind kind;
	uint32_t node, pid, tid, lane;
	int32_t jpid, jtid;       /* JSON mapping */
	char *name;
	struct seq sq;            /* its own packet sequence (slice tracks only) */
	uint64_t io_end;          /* TK_IO: end of the latest interval placed */
	struct hent *heap;        /* ring of RING entries, sorted, from hhead */
	uint32_t nheap, hhead;
	uint64_t seqno;
};

struct nodeinfo {
	char *name;
	int32_t rank;
	int wanted, described;
	uint64_t lost_total;
};

struct px {
	FILE *out;
	struct px_opts o;
	struct px_stats st;
	struct pb_buf buf, pkt, body, tmp, intern;
	/* --compress: chunks are deflated and written by one worker thread, in
	 * order (deterministic), while the main thread encodes the next ones */
	struct {
		pthread_t th;
		pthread_mutex_t mu;
		pthread_cond_t cv_work, cv_space;
		struct pb_buf slot[ZQ_SLOTS];
		unsigned head, count;
		int started, done;
	} zq;
	z_stream z;
	int zinit;
	int err;
	struct track **tracks;
	uint32_t ntracks, cap_tracks;
	struct ig_map tmap;       /* track key -> index + 1 */
	struct nodeinfo *nodes;
	uint32_t nnodes;
	struct ig_strtab tab[NS_N]; /* interned strings, per namespace (max MAX_INTERNED) */
	uint32_t next_seq;
	struct seq *late[MAX_LATE_SEQS]; /* shared by all tracks, for late packets */
	uint32_t nlate;
	int have_origin, meta_written, json_first;
	uint64_t origin;
	int64_t since, until;     /* the --since/--until window, unix ns, from origin */
	uint64_t seen_first, seen_last; /* span of what time_wanted saw */
	uint64_t n_wanted;        /* ... and how much of it was in the window */
	int have_anchor;
	uint64_t anchor_boot, anchor_real;
	uint32_t nlanes;
	uint64_t *lane_end;
	int32_t next_io_jtid;
	struct ig_map stepids;    /* hash(node, pid, stream) -> steps track id + 1 */
	uint32_t nstepids;
	struct pitem *freelist[FREE_MAX];
	uint32_t nfree;
	struct { const char *p; uint32_t iid; int ns; } icache[256]; /* static strings -> iid */
	/* scratch for the current event's debug annotations (JSON mirror) */
	char jargs[2048];
	size_t jlen;
};

static inline int32_t spid(uint32_t node, uint32_t pid) { return (int32_t)(((node + 1) << 22) | (pid & 0x3fffff)); }

static inline uint64_t tkey(enum tkind k, uint32_t node, uint64_t id)
{
	return ((uint64_t)k << 56) | ((uint64_t)(node & 0xffffff) << 32) | (id & 0xffffffffULL);
}

/* perfetto_out.c: output chunks, deflate worker */
void zq_finish(struct px *px);
void flush_buf(struct px *px);
void emit_packet(struct px *px);

/* perfetto_json.c: Chrome JSON helpers */
size_t u8cut(const char *s, size_t max);
void json_str(FILE *f, const char *s);
void json_sep(struct px *px);
void json_ts(struct px *px, const char *key, uint64_t ts);
void json_dur(struct px *px, uint64_t dur);
void json_meta(struct px *px, const char *what, int32_t pid, int32_t tid, const char *name);
void json_sort(struct px *px, int32_t pid, int32_t tid, long idx);

/* perfetto_track.c: tracks and their descriptors */
struct track *track_find(struct px *px, uint64_t key);
struct track *track_add(struct px *px, uint64_t key, enum tkind kind, uint32_t node, uint32_t pid, uint32_t tid, int32_t jpid, int32_t jtid, const char *name, int own_seq);
struct nodeinfo *node_get(struct px *px, uint32_t node);
struct track *node_track(struct px *px, uint32_t node);
int node_wanted(struct px *px, uint32_t node);
const char *node_name(struct px *px, uint32_t node);
struct track *proc_track(struct px *px, uint32_t node, uint32_t pid, const char *comm);
struct track *thread_track(struct px *px, uint32_t node, uint32_t pid, uint32_t tid, const char *name);
struct track *offcpu_track(struct px *px, struct track *th);
struct track *io_track(struct px *px, struct track *th, uint64_t ts, uint64_t dur);
struct track *counter_track(struct px *px, uint32_t node, uint32_t id, const char *name);

/* perfetto_event.c: shared with perfetto_steps.c */
struct ev_build {
	struct px *px;
	uint32_t iids[ITEM_IIDS];
	unsigned niid;
};
uint32_t intern(struct ev_build *b, int ns, const char *s);
uint32_t intern_static(struct ev_build *b, int ns, const char *s);
void ann_uint(struct ev_build *b, const char *name, uint64_t v);
void ann_int(struct ev_build *b, const char *name, int64_t v);
void ann_str(struct ev_build *b, const char *name, const char *v);
void jarg_raw(struct px *px, const char *fmt, ...) IG_PRINTF(2, 3);
int time_wanted(struct px *px, uint64_t ts, uint64_t dur);
void json_event(struct px *px, const char *ph, const char *name, const char *cat, int32_t pid, int32_t tid,
		uint64_t ts, uint64_t dur);

/* perfetto_seq.c: packet sequences, re-ordering window, interning */
void write_meta(struct px *px);
void seq_free(struct seq *s);
void heap_pop_emit(struct px *px, struct track *t);
void heap_push(struct px *px, struct track *t, struct pitem *it);
struct pitem *item_new(struct px *px, uint64_t ts, int cls, uint64_t sub, int has_track, const uint32_t *iids, unsigned niid);

#endif
