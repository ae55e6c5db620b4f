/*
 * ingero-perfetto - export a recording or an analysis database as a Perfetto
 * timeline (native protobuf TracePackets, or Chrome Trace Event JSON).
 *
 * Protobuf layout (docs/perfetto.md has the full description):
 *   sequence 1        clock snapshot (primary clock REALTIME) + all TrackDescriptors
 *   one sequence per  slice track (thread calls, thread off-CPU, node instants +
 *                     counters, findings); each starts with SEQ_INCREMENTAL_STATE_CLEARED,
 *                     TracePacketDefaults {clock 64, track} and a ClockSnapshot that
 *                     defines clock 64 as an incremental (delta) clock on REALTIME.
 *                     Later packets carry SEQ_NEEDS_INCREMENTAL_STATE and interned
 *                     names / categories / annotation names on first use.
 * Timestamps are unix ns (REALTIME).  A per-track heap re-orders packets in a
 * bounded window so deltas stay positive; a packet older than the window is
 * written with an absolute REALTIME timestamp instead.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "perfetto.h"
#include "perfetto_pb.h"

#define PROG "ingero-perfetto"
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

/* ------------------------------------------------------------ helpers */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	return q;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	while (*s) { h ^= (unsigned char)*s++; h *= 0x100000001b3ULL; }
	return h;
}

/* u64 -> u32 open-addressing map (value 0 = absent) */
struct u64map { uint64_t *k; uint32_t *v; size_t cap, n; };

static uint32_t u64map_get(const struct u64map *m, uint64_t k)
{
	if (!m->cap) return 0;
	for (size_t i = hash64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i]) return 0;
		if (m->k[i] == k) return m->v[i];
	}
}

static void u64map_put(struct u64map *m, uint64_t k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct u64map o = *m;
		m->cap = o.cap ? o.cap * 2 : 64;
		m->k = calloc(m->cap, sizeof *m->k);
		m->v = calloc(m->cap, sizeof *m->v);
		if (!m->k || !m->v) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
		m->n = 0;
		for (size_t i = 0; i < o.cap; i++)
			if (o.v[i]) u64map_put(m, o.k[i], o.v[i]);
		free(o.k); free(o.v);
	}
	size_t i = hash64(k) & (m->cap - 1);
	while (m->v[i] && m->k[i] != k) i = (i + 1) & (m->cap - 1);
	if (!m->v[i]) m->n++;
	m->k[i] = k;
	m->v[i] = v;
}

static void u64map_free(struct u64map *m) { free(m->k); free(m->v); memset(m, 0, sizeof *m); }

/* string interning table: string -> iid (1-based, dense) */
struct strtab { char **s; uint32_t n, cap; struct u64map idx; };

static uint32_t strtab_get(struct strtab *t, const char *s)
{
	uint64_t h = hash_str(s);
	for (uint64_t probe = h;; probe = hash64(probe + 1)) {
		uint32_t v = u64map_get(&t->idx, probe);
		if (!v) break;
		if (!strcmp(t->s[v - 1], s)) return v;
		/* collision on the 64-bit hash: continue with a derived key */
	}
	if (t->n >= MAX_INTERNED) return 0;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->s = xrealloc(t->s, t->cap * sizeof *t->s);
	}
	t->s[t->n] = strdup(s);
	if (!t->s[t->n]) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	t->n++;
	uint64_t probe = h;
	while (u64map_get(&t->idx, probe)) probe = hash64(probe + 1);
	u64map_put(&t->idx, probe, t->n);
	return t->n;
}

static void strtab_free(struct strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++) free(t->s[i]);
	free(t->s);
	u64map_free(&t->idx);
}

/* ------------------------------------------------------------- model */

enum tkind { TK_NODE = 1, TK_PROC, TK_THREAD, TK_OFFCPU, TK_COUNTER, TK_FIND, TK_LANE, TK_IO };
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
	struct u64map tmap;       /* track key -> index + 1 */
	struct nodeinfo *nodes;
	uint32_t nnodes;
	struct strtab tab[NS_N];
	uint32_t next_seq;
	struct seq *late[MAX_LATE_SEQS]; /* shared by all tracks, for late packets */
	uint32_t nlate;
	int have_origin, meta_written, json_first;
	uint64_t origin;
	int have_anchor;
	uint64_t anchor_boot, anchor_real;
	uint32_t nlanes;
	uint64_t *lane_end;
	int32_t next_io_jtid;
	struct pitem *freelist[FREE_MAX];
	uint32_t nfree;
	struct { const char *p; uint32_t iid; int ns; } icache[256]; /* static strings -> iid */
	/* scratch for the current event's debug annotations (JSON mirror) */
	char jargs[2048];
	size_t jlen;
};

static int32_t spid(uint32_t node, uint32_t pid) { return (int32_t)(((node + 1) << 22) | (pid & 0x3fffff)); }

static uint64_t tkey(enum tkind k, uint32_t node, uint64_t id)
{
	return ((uint64_t)k << 56) | ((uint64_t)(node & 0xffffff) << 32) | (id & 0xffffffffULL);
}

/* ------------------------------------------------------ output chunks */

static void out_write(struct px *px, const void *p, size_t n)
{
	if (px->err || !n) return;
	if (fwrite(p, 1, n, px->out) != n) px->err = errno ? errno : EIO;
	px->st.bytes += n;
}

/* deflate (zlib) one chunk into TracePacket.compressed_packets and write it:
 * one Trace fragment per chunk, each well below Perfetto's 512 KB bound */
static void deflate_chunk(struct px *px, const struct pb_buf *in)
{
	uLong bound = compressBound(in->len);
	uint8_t *z = xrealloc(NULL, bound);
	if (!px->zinit) {
		memset(&px->z, 0, sizeof px->z);
		if (deflateInit2(&px->z, 1, Z_DEFLATED, 15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
			fprintf(stderr, PROG ": zlib init failed\n");
			exit(1);
		}
		px->zinit = 1;
	} else {
		deflateReset(&px->z);
	}
	px->z.next_in = in->p;
	px->z.avail_in = (uInt)in->len;
	px->z.next_out = z;
	px->z.avail_out = (uInt)bound;
	if (deflate(&px->z, Z_FINISH) != Z_STREAM_END) { fprintf(stderr, PROG ": zlib failed\n"); exit(1); }
	size_t zn = bound - px->z.avail_out;
	struct pb_buf o = { 0 };
	size_t p = pb_begin(&o, 1);
	pb_bytes(&o, TP_COMPRESSED, z, zn);
	pb_end(&o, p);
	if (o.oom) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	out_write(px, o.p, o.len);
	pb_free(&o);
	free(z);
}

static void *zq_worker(void *arg)
{
	struct px *px = arg;
	pthread_mutex_lock(&px->zq.mu);
	for (;;) {
		while (!px->zq.count && !px->zq.done)
			pthread_cond_wait(&px->zq.cv_work, &px->zq.mu);
		if (!px->zq.count) break;
		struct pb_buf *b = &px->zq.slot[px->zq.head];
		pthread_mutex_unlock(&px->zq.mu);
		deflate_chunk(px, b);
		pb_clear(b);
		pthread_mutex_lock(&px->zq.mu);
		px->zq.head = (px->zq.head + 1) % ZQ_SLOTS;
		px->zq.count--;
		pthread_cond_signal(&px->zq.cv_space);
	}
	pthread_mutex_unlock(&px->zq.mu);
	return NULL;
}

static void zq_finish(struct px *px)
{
	if (!px->zq.started) return;
	pthread_mutex_lock(&px->zq.mu);
	px->zq.done = 1;
	pthread_cond_signal(&px->zq.cv_work);
	pthread_mutex_unlock(&px->zq.mu);
	pthread_join(px->zq.th, NULL);
	px->zq.started = 0;
	for (int i = 0; i < ZQ_SLOTS; i++) pb_free(&px->zq.slot[i]);
}

static void flush_buf(struct px *px)
{
	if (!px->buf.len) return;
	if (px->buf.oom) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	if (!px->o.compress) {
		out_write(px, px->buf.p, px->buf.len);
		pb_clear(&px->buf);
		return;
	}
	if (!px->zq.started) {
		pthread_mutex_init(&px->zq.mu, NULL);
		pthread_cond_init(&px->zq.cv_work, NULL);
		pthread_cond_init(&px->zq.cv_space, NULL);
		if (pthread_create(&px->zq.th, NULL, zq_worker, px) != 0) {
			deflate_chunk(px, &px->buf); /* no thread: compress inline */
			pb_clear(&px->buf);
			return;
		}
		px->zq.started = 1;
	}
	pthread_mutex_lock(&px->zq.mu);
	while (px->zq.count == ZQ_SLOTS)
		pthread_cond_wait(&px->zq.cv_space, &px->zq.mu);
	/* hand the filled buffer over; keep the slot's old allocation */
	unsigned i = (px->zq.head + px->zq.count) % ZQ_SLOTS;
	struct pb_buf t = px->zq.slot[i];
	px->zq.slot[i] = px->buf;
	px->buf = t;
	pb_clear(&px->buf);
	px->zq.count++;
	pthread_cond_signal(&px->zq.cv_work);
	pthread_mutex_unlock(&px->zq.mu);
}

/* Append px->pkt as one Trace.packet. */
static void emit_packet(struct px *px)
{
	pb_bytes(&px->buf, 1, px->pkt.p, px->pkt.len);
	px->st.packets++;
	pb_clear(&px->pkt);
	if (px->buf.len >= FLUSH_BYTES) flush_buf(px);
}

/* ------------------------------------------------------- JSON helpers */

/* length of the longest prefix of s, at most max bytes, that ends on a
 * UTF-8 character boundary */
static size_t u8cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n <= max) return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
	return n;
}

/* JSON string: escapes, invalid UTF-8 replaced by U+FFFD, cut at 4*MAX_STR */
static void json_str(FILE *f, const char *s)
{
	size_t n = u8cut(s, 4 * MAX_STR);
	putc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') { putc('\\', f); putc(c, f); i++; continue; }
		if (c < 0x20) { fprintf(f, "\\u%04x", c); i++; continue; }
		if (c < 0x80) { putc(c, f); i++; continue; }
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		int okseq = len && i + len <= n;
		for (size_t k = 1; okseq && k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80) okseq = 0;
		if (okseq) { fwrite(s + i, 1, len, f); i += len; }
		else { fputs("\\ufffd", f); i++; }
	}
	putc('"', f);
}

static void json_sep(struct px *px)
{
	if (px->json_first) { px->json_first = 0; fputs("\n", px->out); }
	else fputs(",\n", px->out);
}

static void json_ts(struct px *px, const char *key, uint64_t ts)
{
	int64_t d = (int64_t)(ts - px->origin);
	uint64_t a = d < 0 ? (uint64_t)(-d) : (uint64_t)d;
	fprintf(px->out, ",\"%s\":%s%" PRIu64 ".%03u", key, d < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
}

static void json_dur(struct px *px, uint64_t dur)
{
	fprintf(px->out, ",\"dur\":%" PRIu64 ".%03u", dur / 1000, (unsigned)(dur % 1000));
}

static void json_meta(struct px *px, const char *what, int32_t pid, int32_t tid, const char *name)
{
	json_sep(px);
	fprintf(px->out, "{\"name\":\"%s\",\"ph\":\"M\",\"ts\":0,\"pid\":%d", what, pid);
	if (tid >= 0) fprintf(px->out, ",\"tid\":%d", tid);
	fputs(",\"args\":{\"name\":", px->out);
	json_str(px->out, name);
	fputs("}}", px->out);
}

static void json_sort(struct px *px, int32_t pid, int32_t tid, long idx)
{
	json_sep(px);
	if (tid < 0)
		fprintf(px->out, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":%d,"
			"\"args\":{\"sort_index\":%ld}}", pid, idx);
	else
		fprintf(px->out, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":%d,"
			"\"tid\":%d,\"args\":{\"sort_index\":%ld}}", pid, tid, idx);
}

/* -------------------------------------------------- track descriptors */

static void describe(struct px *px, struct track *t)
{
	if (px->o.json) {
		switch (t->kind) {
		case TK_NODE: case TK_PROC:
			json_meta(px, "process_name", t->jpid, -1, t->name);
			json_sort(px, t->jpid, -1, t->jpid);
			break;
		case TK_THREAD: case TK_OFFCPU: case TK_LANE: case TK_IO:
			json_meta(px, "thread_name", t->jpid, t->jtid, t->name);
			json_sort(px, t->jpid, t->jtid, t->jtid);
			break;
		case TK_FIND:
			json_meta(px, "process_name", t->jpid, -1, t->name);
			json_sort(px, t->jpid, -1, 0);
			break;
		default:
			break; /* counters are implicit in JSON */
		}
		return;
	}
	struct pb_buf *p = &px->pkt;
	pb_uint(p, TP_SEQ_ID, SEQ_META);
	size_t td = pb_begin(p, TP_TRACK_DESC);
	pb_uint(p, TD_UUID, t->uuid);
	switch (t->kind) {
	case TK_NODE: case TK_PROC: {
		size_t pd = pb_begin(p, TD_PROCESS);
		pb_int(p, PD_PID, t->jpid);
		pb_str(p, PD_NAME, t->name);
		pb_end(p, pd);
		break;
	}
	case TK_THREAD: {
		size_t th = pb_begin(p, TD_THREAD);
		pb_int(p, THD_PID, t->jpid);
		pb_int(p, THD_TID, t->jtid);
		pb_str(p, THD_NAME, t->name);
		pb_end(p, th);
		break;
	}
	case TK_COUNTER:
		pb_uint(p, TD_PARENT, tkey(TK_NODE, t->node, 0) + 1);
		pb_str(p, TD_NAME, t->name);
		pb_tag(p, TD_COUNTER, PB_LEN);
		pb_varint(p, 0);
		break;
	case TK_OFFCPU: case TK_IO: /* pid 0 (the kernel) is the node's process track */
		pb_uint(p, TD_PARENT, tkey(t->pid ? TK_PROC : TK_NODE, t->node, t->pid) + 1);
		pb_str(p, TD_NAME, t->name);
		break;
	case TK_FIND:
		pb_str(p, TD_NAME, t->name);
		break;
	case TK_LANE:
		pb_uint(p, TD_PARENT, tkey(TK_FIND, 0, 0) + 1);
		pb_str(p, TD_NAME, t->name);
		break;
	}
	pb_end(p, td);
	emit_packet(px);
}

static struct track *track_find(struct px *px, uint64_t key)
{
	uint32_t i = u64map_get(&px->tmap, key);
	return i ? px->tracks[i - 1] : NULL;
}

/* A new track, described at once (pid/tid first: the descriptor names its parent). */
static struct track *track_add(struct px *px, uint64_t key, enum tkind kind, uint32_t node, uint32_t pid,
			       uint32_t tid, int32_t jpid, int32_t jtid, const char *name, int own_seq)
{
	struct track *t = calloc(1, sizeof *t);
	if (!t) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	t->uuid = key + 1;
	t->kind = kind;
	t->node = node;
	t->pid = pid;
	t->tid = tid;
	t->jpid = jpid;
	t->jtid = jtid;
	t->name = strndup(name, u8cut(name, MAX_STR));
	if (!t->name) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	if (own_seq) t->sq.id = px->next_seq++;
	if (px->ntracks == px->cap_tracks) {
		px->cap_tracks = px->cap_tracks ? px->cap_tracks * 2 : 64;
		px->tracks = xrealloc(px->tracks, px->cap_tracks * sizeof *px->tracks);
	}
	px->tracks[px->ntracks++] = t;
	u64map_put(&px->tmap, key, px->ntracks);
	px->st.tracks++;
	describe(px, t);
	return t;
}

static void track_rename(struct px *px, struct track *t, const char *name)
{
	size_t n = u8cut(name, MAX_STR);
	if (strlen(t->name) == n && !strncmp(t->name, name, n)) return;
	free(t->name);
	t->name = strndup(name, n);
	if (!t->name) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	describe(px, t);
}

static struct nodeinfo *node_get(struct px *px, uint32_t node)
{
	if (node >= px->nnodes) {
		if (node > 100000) return NULL;
		px->nodes = xrealloc(px->nodes, (node + 1) * sizeof *px->nodes);
		memset(px->nodes + px->nnodes, 0, (node + 1 - px->nnodes) * sizeof *px->nodes);
		for (uint32_t i = px->nnodes; i <= node; i++) { px->nodes[i].rank = -1; px->nodes[i].wanted = 1; }
		px->nnodes = node + 1;
	}
	return &px->nodes[node];
}

int px_want_node(const struct px *px, const char *name)
{
	return !px->o.node || (name && !strcmp(px->o.node, name));
}

static struct track *node_track(struct px *px, uint32_t node)
{
	struct track *t = track_find(px, tkey(TK_NODE, node, 0));
	if (t) return t;
	struct nodeinfo *ni = node_get(px, node);
	char nm[MAX_STR + 32];
	const char *n = ni && ni->name ? ni->name : "node";
	if (ni && ni->rank >= 0) snprintf(nm, sizeof nm, "%s (rank %d)", n, ni->rank);
	else snprintf(nm, sizeof nm, "%s", n);
	if (ni) ni->described = 1;
	px->st.processes++;
	return track_add(px, tkey(TK_NODE, node, 0), TK_NODE, node, 0, 0, spid(node, 0), -1, nm, 1);
}

void px_node(struct px *px, uint32_t node, const char *name, int32_t rank)
{
	struct nodeinfo *ni = node_get(px, node);
	if (!ni) return;
	if (!ni->name || strcmp(ni->name, name ? name : "") || ni->rank != rank) {
		free(ni->name);
		ni->name = strdup(name ? name : "");
		ni->rank = rank;
		if (!ni->name) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	}
	ni->wanted = px_want_node(px, ni->name);
	if (!ni->wanted) return;
	struct track *t = track_find(px, tkey(TK_NODE, node, 0));
	if (!t) { node_track(px, node); return; }
	char nm[MAX_STR + 32];
	if (rank >= 0) snprintf(nm, sizeof nm, "%s (rank %d)", ni->name, rank);
	else snprintf(nm, sizeof nm, "%s", ni->name);
	track_rename(px, t, nm);
}

static int node_wanted(struct px *px, uint32_t node)
{
	struct nodeinfo *ni = node_get(px, node);
	return ni && ni->wanted;
}

static const char *node_name(struct px *px, uint32_t node)
{
	struct nodeinfo *ni = node_get(px, node);
	return ni && ni->name ? ni->name : "node";
}

static struct track *proc_track(struct px *px, uint32_t node, uint32_t pid, const char *comm)
{
	if (!pid) return node_track(px, node); /* one process per Perfetto pid: the kernel's is the node's */
	uint64_t k = tkey(TK_PROC, node, pid);
	struct track *t = track_find(px, k);
	char nm[MAX_STR + 64];
	if (comm && *comm) snprintf(nm, sizeof nm, "%s (pid %u, %s)", comm, pid, node_name(px, node));
	else snprintf(nm, sizeof nm, "pid %u (%s)", pid, node_name(px, node));
	if (t) {
		if (comm && *comm) track_rename(px, t, nm);
		return t;
	}
	node_track(px, node);
	px->st.processes++;
	return track_add(px, k, TK_PROC, node, pid, 0, spid(node, pid), -1, nm, 0);
}

void px_process(struct px *px, uint32_t node, uint32_t pid, const char *comm, int32_t rank)
{
	if (!node_wanted(px, node)) return;
	if (px->o.have_pid && pid != px->o.pid) return;
	(void)rank;
	proc_track(px, node, pid, comm);
}

static struct track *thread_track(struct px *px, uint32_t node, uint32_t pid, uint32_t tid,
				  const char *name)
{
	uint64_t k = tkey(TK_THREAD, node, tid);
	struct track *t = track_find(px, k);
	char nm[MAX_STR + 32];
	if (t && !name) return t; /* the hot path: no formatting */
	if (name && *name) snprintf(nm, sizeof nm, "%s (tid %u)", name, tid);
	else snprintf(nm, sizeof nm, "tid %u", tid);
	if (t) {
		if (name && *name) track_rename(px, t, nm);
		return t;
	}
	if (!track_find(px, tkey(pid ? TK_PROC : TK_NODE, node, pid))) proc_track(px, node, pid, NULL);
	px->st.threads++;
	return track_add(px, k, TK_THREAD, node, pid, tid, spid(node, pid), spid(node, tid), nm, 1);
}

void px_thread(struct px *px, uint32_t node, uint32_t pid, uint32_t tid, const char *name)
{
	if (!node_wanted(px, node)) return;
	if (px->o.have_pid && pid != px->o.pid) return;
	thread_track(px, node, pid, tid, name);
}

static struct track *offcpu_track(struct px *px, struct track *th)
{
	uint64_t k = tkey(TK_OFFCPU, th->node, th->tid);
	struct track *t = track_find(px, k);
	if (t) return t;
	char nm[MAX_STR + 32];
	snprintf(nm, sizeof nm, "tid %u off-CPU", th->tid);
	return track_add(px, k, TK_OFFCPU, th->node, th->pid, th->tid, th->jpid, th->jtid + 0x40000000, nm, 1);
}

/* Block I/O requests of one thread overlap without nesting; each goes to the
 * first lane whose previous request ended before it starts (Perfetto needs
 * properly nested slices per track). */
static struct track *io_track(struct px *px, struct track *th, uint64_t ts, uint64_t dur)
{
	struct track *t = NULL;
	for (uint32_t lane = 0; lane < IO_LANES; lane++) {
		uint64_t k = tkey(TK_IO, th->node, (uint64_t)lane << 24 | (th->tid & 0xffffff));
		t = track_find(px, k);
		if (!t) {
			char nm[64];
			if (lane) snprintf(nm, sizeof nm, "tid %u block I/O %u", th->tid, lane + 1);
			else snprintf(nm, sizeof nm, "tid %u block I/O", th->tid);
			t = track_add(px, k, TK_IO, th->node, th->pid, th->tid, th->jpid,
				      0x70000000 + px->next_io_jtid++, nm, 1);
		}
		if (ts >= t->io_end) break;
	}
	if (ts + dur > t->io_end) t->io_end = ts + dur;
	return t;
}

static struct track *counter_track(struct px *px, uint32_t node, uint32_t id, const char *name)
{
	uint64_t k = tkey(TK_COUNTER, node, id);
	struct track *t = track_find(px, k);
	if (t) return t;
	node_track(px, node);
	return track_add(px, k, TK_COUNTER, node, 0, 0, spid(node, 0), -1, name, 0);
}

/* ---------------------------------------------------------- sequences */

static void seen_set(struct seq *t, int ns, uint32_t iid)
{
	if (iid >= t->seen_cap[ns] * 8) {
		uint32_t nc = t->seen_cap[ns] ? t->seen_cap[ns] : 16;
		while (iid >= nc * 8) nc *= 2;
		t->seen[ns] = xrealloc(t->seen[ns], nc);
		memset(t->seen[ns] + t->seen_cap[ns], 0, nc - t->seen_cap[ns]);
		t->seen_cap[ns] = nc;
	}
	t->seen[ns][iid >> 3] |= (uint8_t)(1u << (iid & 7));
}

static int seen_get(const struct seq *t, int ns, uint32_t iid)
{
	return iid < t->seen_cap[ns] * 8 && (t->seen[ns][iid >> 3] >> (iid & 7)) & 1;
}

static void write_meta(struct px *px)
{
	if (px->meta_written || px->o.json) return;
	px->meta_written = 1;
	/* the trace's clock domain: REALTIME (unix ns); when the input is one
	 * node's recording, its boottime<->realtime anchor maps BOOTTIME too */
	struct pb_buf *p = &px->pkt;
	pb_uint(p, TP_SEQ_ID, SEQ_META);
	size_t cs = pb_begin(p, TP_CLOCK_SNAPSHOT);
	size_t c = pb_begin(p, CS_CLOCKS);
	pb_uint(p, CLK_ID, BUILTIN_REALTIME);
	pb_uint(p, CLK_TS, px->have_anchor ? px->anchor_real : px->origin);
	pb_end(p, c);
	if (px->have_anchor) {
		c = pb_begin(p, CS_CLOCKS);
		pb_uint(p, CLK_ID, BUILTIN_BOOTTIME);
		pb_uint(p, CLK_TS, px->anchor_boot);
		pb_end(p, c);
	}
	pb_uint(p, CS_PRIMARY, BUILTIN_REALTIME);
	pb_end(p, cs);
	emit_packet(px);
}

/* The first packet of a sequence: SEQ_INCREMENTAL_STATE_CLEARED and the
 * defaults (absolute REALTIME timestamps; the track, when the sequence
 * belongs to one: deftrack != 0). */
static void seq_start(struct px *px, struct seq *s, uint64_t deftrack)
{
	struct pb_buf *p = &px->pkt;
	write_meta(px);
	pb_uint(p, TP_SEQ_ID, s->id);
	pb_uint(p, TP_SEQ_FLAGS, SEQ_CLEARED);
	size_t d = pb_begin(p, TP_DEFAULTS);
	pb_uint(p, TP_CLOCK_ID, BUILTIN_REALTIME);
	if (deftrack) {
		size_t te = pb_begin(p, TP_TRACK_EVENT);
		pb_uint(p, TE_TRACK, deftrack);
		pb_end(p, te);
	}
	pb_end(p, d);
	emit_packet(px);
	s->started = 1;
	s->last_ts = 0;
}

/* A sequence for a packet older than its track's last one (outside the
 * re-ordering window): the first shared late sequence it does not take
 * back in time.  Its packets name their track explicitly. */
static struct seq *late_seq(struct px *px, uint64_t ts)
{
	struct seq *best = NULL;
	for (uint32_t i = 0; i < px->nlate; i++) {
		if (px->late[i]->last_ts <= ts) return px->late[i];
		if (!best || px->late[i]->last_ts < best->last_ts) best = px->late[i];
	}
	if (px->nlate == MAX_LATE_SEQS) return best; /* pathological input: goes back (the importer sorts) */
	struct seq *s = calloc(1, sizeof *s);
	if (!s) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	s->id = px->next_seq++;
	px->late[px->nlate++] = s;
	return s;
}

static void seq_free(struct seq *s)
{
	for (int n = 0; n < NS_N; n++) free(s->seen[n]);
}

static inline int hent_less(const struct hent *a, const struct hent *b)
{
	if (a->ts != b->ts) return a->ts < b->ts;
	if (a->cls != b->cls) return a->cls < b->cls;
	if (a->sub != b->sub) return a->sub < b->sub;
	return a->seqno < b->seqno;
}

static void item_release(struct px *px, struct pitem *it)
{
	if (it->body != it->inl) { free(it->body); it->body = it->inl; }
	if (px->nfree < FREE_MAX) px->freelist[px->nfree++] = it;
	else free(it);
}

static int uses_default_track(const struct track *t)
{
	return t->kind == TK_THREAD || t->kind == TK_OFFCPU || t->kind == TK_NODE || t->kind == TK_IO;
}

static void emit_item(struct px *px, struct track *t, struct pitem *it)
{
	struct pb_buf *p = &px->pkt;
	struct seq *s = &t->sq;
	int own = 1;
	if (s->started && it->ts < s->last_ts) { /* older than the re-ordering window */
		s = late_seq(px, it->ts);
		own = 0;
	}
	if (!s->started) seq_start(px, s, own && uses_default_track(t) ? t->uuid : 0);
	pb_uint(p, TP_TIMESTAMP, it->ts);
	if (it->ts > s->last_ts) s->last_ts = it->ts;
	pb_uint(p, TP_SEQ_ID, s->id);
	pb_uint(p, TP_SEQ_FLAGS, SEQ_NEEDS);
	int any = 0;
	for (unsigned i = 0; i < it->niid; i++) {
		int ns = (int)(it->iids[i] >> 28);
		uint32_t iid = it->iids[i] & 0x0fffffff;
		if (seen_get(s, ns, iid)) continue;
		if (!any) { pb_clear(&px->intern); any = 1; }
		size_t e = pb_begin(&px->intern, ns == NS_CAT ? ID_CATEGORIES : ns == NS_NAME ? ID_NAMES : ID_ANN_NAMES);
		pb_uint(&px->intern, 1, iid);
		pb_str(&px->intern, 2, px->tab[ns].s[iid - 1]);
		pb_end(&px->intern, e);
		seen_set(s, ns, iid);
	}
	if (any) pb_sub(p, TP_INTERNED, &px->intern);
	if (!own && !it->has_track) { /* a late sequence has no default track */
		size_t te = pb_begin(p, TP_TRACK_EVENT);
		pb_uint(p, TE_TRACK, t->uuid);
		if (!pb_reserve(p, it->blen)) { memcpy(p->p + p->len, it->body, it->blen); p->len += it->blen; }
		pb_end(p, te);
	} else {
		pb_bytes(p, TP_TRACK_EVENT, it->body, it->blen);
	}
	emit_packet(px);
	item_release(px, it);
}

/* The re-ordering window of a track: a ring buffer kept sorted by insertion
 * from the back.  Packets arrive nearly in order (calls by completion), so a
 * push is usually an append and a pop takes the front. */
static void heap_pop_emit(struct px *px, struct track *t)
{
	struct pitem *it = t->heap[t->hhead].it;
	t->hhead = (t->hhead + 1) & (RING - 1);
	t->nheap--;
	emit_item(px, t, it);
}

static void heap_push(struct px *px, struct track *t, struct pitem *it)
{
	if (!t->heap) t->heap = xrealloc(NULL, RING * sizeof *t->heap);
	struct hent e = { it->ts, it->sub, t->seqno++, it, it->cls };
	uint32_t i = t->nheap, m = RING - 1;
	while (i && hent_less(&e, &t->heap[(t->hhead + i - 1) & m])) {
		t->heap[(t->hhead + i) & m] = t->heap[(t->hhead + i - 1) & m];
		i--;
	}
	t->heap[(t->hhead + i) & m] = e;
	if (++t->nheap > HEAP_WINDOW) heap_pop_emit(px, t);
}

/* Build a pending packet from px->body (TrackEvent bytes) and its iids. */
static struct pitem *item_new(struct px *px, uint64_t ts, int cls, uint64_t sub, int has_track,
			      const uint32_t *iids, unsigned niid)
{
	struct pitem *it = px->nfree ? px->freelist[--px->nfree] : malloc(sizeof *it);
	if (!it) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	it->ts = ts;
	it->cls = (uint8_t)cls;
	it->sub = sub;
	it->niid = (uint8_t)niid;
	it->has_track = (uint8_t)has_track;
	if (niid) memcpy(it->iids, iids, niid * sizeof *iids);
	it->blen = (uint32_t)px->body.len;
	if (px->body.oom) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	if (it->blen <= ITEM_INLINE) it->body = it->inl;
	else it->body = xrealloc(NULL, it->blen);
	memcpy(it->body, px->body.p, it->blen);
	return it;
}

/* ---------------------------------------------------- event building */

struct ev_build {
	struct px *px;
	uint32_t iids[ITEM_IIDS];
	unsigned niid;
};

/* s is a string literal / static table entry: cache its iid by address */
static uint32_t intern_static(struct ev_build *b, int ns, const char *s)
{
	struct px *px = b->px;
	unsigned h = (unsigned)(((uintptr_t)s >> 3) ^ ((uintptr_t)s >> 11) ^ (unsigned)ns) & 255;
	uint32_t iid;
	if (px->icache[h].p == s && px->icache[h].ns == ns) {
		iid = px->icache[h].iid;
	} else {
		iid = strtab_get(&px->tab[ns], s);
		px->icache[h].p = s;
		px->icache[h].ns = ns;
		px->icache[h].iid = iid;
	}
	if (iid && b->niid < ITEM_IIDS) {
		b->iids[b->niid++] = (uint32_t)ns << 28 | iid;
		return iid;
	}
	return 0;
}

static uint32_t intern(struct ev_build *b, int ns, const char *s)
{
	uint32_t iid = strtab_get(&b->px->tab[ns], s);
	if (iid && b->niid < ITEM_IIDS) {
		b->iids[b->niid++] = (uint32_t)ns << 28 | iid;
		return iid;
	}
	return 0;
}

static void jarg_raw(struct px *px, const char *fmt, ...)
{
	if (!px->o.json) return;
	va_list ap;
	va_start(ap, fmt);
	if (px->jlen < sizeof px->jargs) {
		int n = vsnprintf(px->jargs + px->jlen, sizeof px->jargs - px->jlen, fmt, ap);
		if (n > 0) px->jlen += (size_t)n;
		if (px->jlen >= sizeof px->jargs) px->jlen = sizeof px->jargs - 1;
	}
	va_end(ap);
}

static void ann_name(struct ev_build *b, size_t *da, const char *name)
{
	struct px *px = b->px;
	*da = pb_begin(&px->body, TE_DEBUG);
	uint32_t iid = intern_static(b, NS_ANN, name); /* annotation names are literals */
	if (iid) pb_uint(&px->body, DA_NAME_IID, iid);
	else pb_str(&px->body, 10, name);
	jarg_raw(px, "%s\"%s\":", px->jlen ? "," : "", name);
}

static void ann_uint(struct ev_build *b, const char *name, uint64_t v)
{
	size_t da;
	ann_name(b, &da, name);
	pb_uint(&b->px->body, DA_UINT, v);
	pb_end(&b->px->body, da);
	jarg_raw(b->px, "%" PRIu64, v);
}

static void ann_int(struct ev_build *b, const char *name, int64_t v)
{
	size_t da;
	ann_name(b, &da, name);
	pb_int(&b->px->body, DA_INT, v);
	pb_end(&b->px->body, da);
	jarg_raw(b->px, "%" PRId64, v);
}

static void ann_ptr(struct ev_build *b, const char *name, uint64_t v)
{
	size_t da;
	ann_name(b, &da, name);
	pb_uint(&b->px->body, DA_POINTER, v);
	pb_end(&b->px->body, da);
	jarg_raw(b->px, "\"0x%" PRIx64 "\"", v);
}

static void jarg_str(struct px *px, const char *s)
{
	if (!px->o.json) return;
	char tmp[MAX_STR * 6 + 8];
	size_t k = 0, n = u8cut(s, MAX_STR);
	tmp[k++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') { tmp[k++] = '\\'; tmp[k++] = (char)c; i++; continue; }
		if (c < 0x20) { tmp[k++] = ' '; i++; continue; }
		if (c < 0x80) { tmp[k++] = (char)c; i++; continue; }
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		int okseq = len && i + len <= n;
		for (size_t j = 1; okseq && j < len; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80) okseq = 0;
		if (okseq) { memcpy(tmp + k, s + i, len); k += len; i += len; }
		else { memcpy(tmp + k, "\\ufffd", 6); k += 6; i++; }
	}
	tmp[k++] = '"';
	tmp[k] = 0;
	jarg_raw(px, "%s", tmp);
}

static void ann_str(struct ev_build *b, const char *name, const char *v)
{
	size_t da;
	ann_name(b, &da, name);
	pb_bytes(&b->px->body, DA_STRING, v, u8cut(v, MAX_STR));
	pb_end(&b->px->body, da);
	jarg_str(b->px, v);
}

static const char *memcpy_kind(uint64_t k)
{
	static const char *const n[] = { "H2H", "H2D", "D2H", "D2D", "default" };
	return k < 5 ? n[k] : "unknown";
}

static int is_memcpy(int src, int op)
{
	if (src == INGERO_SRC_CUDA)
		return op == INGERO_CUDA_MEMCPY || op == INGERO_CUDA_MEMCPY_ASYNC ||
		       (op >= INGERO_CUDA_MEMCPY_2D && op <= INGERO_CUDA_MEMCPY_PEER_ASYNC);
	return src == INGERO_SRC_DRIVER && (op == INGERO_DRV_MEMCPY || op == INGERO_DRV_MEMCPY_ASYNC);
}

static int is_async_memcpy(int src, int op)
{
	return (src == INGERO_SRC_CUDA && (op == INGERO_CUDA_MEMCPY_ASYNC || op == INGERO_CUDA_MEMCPY_2D_ASYNC ||
					   op == INGERO_CUDA_MEMCPY_PEER_ASYNC)) ||
	       (src == INGERO_SRC_DRIVER && op == INGERO_DRV_MEMCPY_ASYNC);
}

/* Debug annotations per source/op (docs/format.md's argument table). */
static void event_args(struct ev_build *b, const struct ingero_event *ev, const struct px_evinfo *info)
{
	int s = ev->source, op = ev->op;
	const uint64_t *a = ev->arg;
	if (s == INGERO_SRC_CUDA || s == INGERO_SRC_DRIVER) {
		if ((s == INGERO_SRC_CUDA && op == INGERO_CUDA_LAUNCH_KERNEL) ||
		    (s == INGERO_SRC_DRIVER && op == INGERO_DRV_LAUNCH_KERNEL)) {
			ann_ptr(b, "function", a[0]);
			ann_uint(b, "stream", a[1]);
		} else if (is_memcpy(s, op)) {
			ann_uint(b, "bytes", a[0]);
			ann_str(b, "kind", memcpy_kind(a[1]));
			if (is_async_memcpy(s, op)) ann_uint(b, "stream", a[2]);
		} else if ((s == INGERO_SRC_CUDA && (op == INGERO_CUDA_MALLOC || op == INGERO_CUDA_MALLOC_MANAGED)) ||
			   (s == INGERO_SRC_DRIVER && (op == INGERO_DRV_MEM_ALLOC || op == INGERO_DRV_MEM_ALLOC_MANAGED))) {
			ann_uint(b, "bytes", a[0]);
			ann_ptr(b, "ptr", a[1]);
		} else if (s == INGERO_SRC_CUDA && op == INGERO_CUDA_FREE) {
			ann_ptr(b, "ptr", a[0]);
		} else if (s == INGERO_SRC_CUDA && op == INGERO_CUDA_STREAM_SYNC) {
			ann_uint(b, "stream", a[0]);
		}
	} else if (s == INGERO_SRC_GRAPH) {
		ann_uint(b, "stream", a[0]);
		if (a[1]) ann_ptr(b, "graph", a[1]);
		if (a[2]) ann_ptr(b, "exec", a[2]);
		if (op == INGERO_GRAPH_BEGIN_CAPTURE) ann_uint(b, "capture_mode", a[3]);
	} else if (s == INGERO_SRC_NCCL) {
		ann_ptr(b, "comm", a[0]);
		ann_uint(b, "count", a[1]);
		ann_uint(b, "seq", a[2]);
		ann_uint(b, "rank", a[3] & 0xffffffffu);
		ann_uint(b, "nranks", a[3] >> 32);
		ann_uint(b, "datatype", a[4] & 0xff);
		if ((a[4] >> 16) & 0xffff) ann_int(b, "peer", (int64_t)((a[4] >> 16) & 0xffff) - 1);
		ann_uint(b, "stream", a[5]);
	} else if (s == INGERO_SRC_IO) {
		ann_uint(b, "bytes", a[0]);
		ann_uint(b, "sector", a[1]);
		char dev[32]; /* kernel MKDEV: major << 20 | minor */
		snprintf(dev, sizeof dev, "%" PRIu64 ":%" PRIu64, a[2] >> 20, a[2] & 0xfffff);
		ann_str(b, "dev", dev);
	} else if (s == INGERO_SRC_HOST) {
		switch (op) {
		case INGERO_HOST_SCHED_SWITCH:
			ann_str(b, "state", a[0] ? "blocked" : "preempted");
			ann_uint(b, "prev_state", a[0]);
			ann_uint(b, "ran_pid", a[1]);
			ann_uint(b, "ran_tid", a[2]);
			if (info && info->culprit_comm && *info->culprit_comm)
				ann_str(b, "ran_comm", info->culprit_comm);
			ann_uint(b, "cpu", ev->cpu);
			break;
		case INGERO_HOST_SCHED_WAKEUP: ann_uint(b, "waker_pid", a[0]); ann_uint(b, "cpu", ev->cpu); break;
		case INGERO_HOST_PAGE_ALLOC: ann_uint(b, "bytes", a[0]); ann_uint(b, "allocs", a[1]); break;
		case INGERO_HOST_OOM_KILL: ann_uint(b, "victim_pid", a[0]); ann_uint(b, "total_vm_pages", a[1]); break;
		case INGERO_HOST_FORK: ann_uint(b, "child_pid", a[0]); break;
		case INGERO_HOST_EXIT: ann_int(b, "exit_code", ev->ret); break;
		default: break;
		}
	} else {
		ann_uint(b, "arg0", a[0]);
		ann_uint(b, "arg1", a[1]);
	}
	if (ev->ret && !(s == INGERO_SRC_HOST && op == INGERO_HOST_EXIT)) ann_int(b, "ret", ev->ret);
	if (ev->flags & INGERO_EVF_NO_RETURN) ann_uint(b, "no_return", 1);
	if (ev->flags & INGERO_EVF_SAMPLED) ann_uint(b, "sampled", 1);
	if (info && info->stack && *info->stack) ann_str(b, "stack", info->stack);
}

static int host_instant(const struct ingero_event *ev)
{
	return ev->source == INGERO_SRC_HOST && ev->op != INGERO_HOST_SCHED_SWITCH;
}

void px_set_origin(struct px *px, uint64_t t)
{
	if (px->have_origin) return;
	px->have_origin = 1;
	px->origin = t;
}

void px_set_boottime_anchor(struct px *px, uint64_t boottime, uint64_t realtime)
{
	if (px->have_anchor || px->meta_written) return;
	px->have_anchor = 1;
	px->anchor_boot = boottime;
	px->anchor_real = realtime;
}

static int time_wanted(struct px *px, uint64_t ts, uint64_t dur)
{
	if (!px->have_origin) px_set_origin(px, ts);
	if (px->o.have_since && ts + dur < px->origin + px->o.since_ns) return 0;
	if (px->o.have_until && ts > px->origin + px->o.until_ns) return 0;
	return 1;
}

/* JSON: one complete event line */
static void json_event(struct px *px, const char *ph, const char *name, const char *cat,
		       int32_t pid, int32_t tid, uint64_t ts, uint64_t dur)
{
	json_sep(px);
	fputs("{\"name\":", px->out);
	json_str(px->out, name);
	fprintf(px->out, ",\"cat\":\"%s\",\"ph\":\"%s\"", cat, ph);
	json_ts(px, "ts", ts);
	if (*ph == 'X') json_dur(px, dur);
	if (*ph == 'i') fputs(",\"s\":\"t\"", px->out);
	fprintf(px->out, ",\"pid\":%d,\"tid\":%d", pid, tid);
	if (px->jlen) fprintf(px->out, ",\"args\":{%.*s}", (int)px->jlen, px->jargs);
	fputs("}", px->out);
}

static void json_flow(struct px *px, const char *ph, uint64_t id, int32_t pid, int32_t tid, uint64_t at)
{
	json_sep(px);
	fprintf(px->out, "{\"name\":\"evidence\",\"cat\":\"ingero\",\"ph\":\"%s\",%s\"id\":%" PRIu64, ph,
		*ph == 'f' ? "\"bp\":\"e\"," : "", id);
	json_ts(px, "ts", at);
	fprintf(px->out, ",\"pid\":%d,\"tid\":%d}", pid, tid);
}

/* JSON flow points (v1 flows, bound to the enclosing slice): just inside
 * the slice, the start one before the end one when both slices start at
 * the same time, so the importer (which sorts by time) meets "s" first. */
static void json_flows(struct px *px, const struct px_flows *fl, int32_t pid, int32_t tid, uint64_t ts,
		       uint64_t dur)
{
	uint64_t s_at = ts + (dur >= 2 ? 1 : 0), f_at = ts + (dur >= 3 ? 2 : dur >= 2 ? 1 : 0);
	for (unsigned i = 0; i < fl->n_out; i++) json_flow(px, "s", fl->out[i], pid, tid, s_at);
	for (unsigned i = 0; i < fl->n_in; i++) json_flow(px, "f", fl->in[i], pid, tid, f_at);
	for (unsigned i = 0; i < fl->n_tie; i++) json_flow(px, "f", fl->tie[i], pid, tid, f_at);
}

/* protobuf: flow_ids / terminating_flow_ids of a slice's BEGIN */
static void pb_flows(struct px *px, const struct px_flows *fl)
{
	struct pb_buf *p = &px->body;
	for (unsigned i = 0; i < fl->n_out; i++) pb_fixed64(p, TE_FLOW_IDS, fl->out[i]);
	for (unsigned i = 0; i < fl->n_tie; i++) pb_fixed64(p, TE_FLOW_IDS, fl->tie[i]);
	for (unsigned i = 0; i < fl->n_in; i++) pb_fixed64(p, TE_TERM_FLOW_IDS, fl->in[i]);
	px->st.flows += fl->n_out;
}

/* Emit a slice (dur > 0) or an instant on track t. */
static void emit_slice(struct px *px, struct ev_build *b, struct track *t, int explicit_track,
		       uint64_t ts, uint64_t dur, int instant, const char *name, int name_static,
		       const char *cat, const struct ingero_event *ev, const struct px_evinfo *info)
{
	if (px->o.json) {
		px->jlen = 0;
		pb_clear(&px->body);
		if (ev) event_args(b, ev, info);
		json_event(px, instant ? "i" : "X", name, cat, t->jpid, t->jtid, ts, dur);
		if (info) {
			json_flows(px, &info->fl, t->jpid, t->jtid, ts, dur);
			px->st.flows += info->fl.n_out;
		}
		px->jlen = 0;
		if (instant) px->st.instants++; else px->st.slices++;
		return;
	}
	struct pb_buf *p = &px->body;
	pb_clear(p);
	pb_uint(p, TE_TYPE, instant ? TE_INSTANT : TE_SLICE_BEGIN);
	if (explicit_track) pb_uint(p, TE_TRACK, t->uuid);
	uint32_t c = intern_static(b, NS_CAT, cat);
	if (c) pb_uint(p, TE_CATEGORY_IIDS, c);
	else pb_str(p, 22, cat);
	uint32_t n = name_static ? intern_static(b, NS_NAME, name) : intern(b, NS_NAME, name);
	if (n) pb_uint(p, TE_NAME_IID, n);
	else pb_bytes(p, TE_NAME, name, u8cut(name, MAX_STR));
	if (ev) event_args(b, ev, info);
	if (info) pb_flows(px, &info->fl);
	heap_push(px, t, item_new(px, ts, instant ? 1 : 2, ~(ts + dur), explicit_track, b->iids, b->niid));
	if (instant) { px->st.instants++; return; }
	px->st.slices++;
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_SLICE_END);
	if (explicit_track) pb_uint(p, TE_TRACK, t->uuid);
	heap_push(px, t, item_new(px, ts + dur, 0, ~ts, explicit_track, NULL, 0));
}

int px_event_wanted(struct px *px, uint32_t node, uint32_t pid, uint64_t ts, uint64_t dur)
{
	return node_wanted(px, node) && !(px->o.have_pid && pid != px->o.pid) && time_wanted(px, ts, dur);
}

int px_event(struct px *px, uint32_t node, const struct ingero_event *ev, const struct px_evinfo *info)
{
	px->st.events_in++;
	if (!px_event_wanted(px, node, ev->pid, ev->ts, ev->dur)) return 0;
	uint32_t tid = ev->tid ? ev->tid : ev->pid;
	struct track *th = thread_track(px, node, ev->pid, tid, NULL);
	struct ev_build b = { .px = px };
	char nbuf[MAX_STR + 64];
	const char *name = ingero_op_name(ev->source, ev->op);
	const char *cat = ingero_source_name(ev->source);
	if (!cat) cat = "other";
	if (!name) { snprintf(nbuf, sizeof nbuf, "%s_op(%d)", cat, ev->op); name = nbuf; }
	px->st.events_out++;
	if (ev->source == INGERO_SRC_HOST && ev->op == INGERO_HOST_SCHED_SWITCH) {
		struct track *oc = offcpu_track(px, th);
		const char *who = info && info->culprit_comm && *info->culprit_comm ? info->culprit_comm : "?";
		if (ev->arg[0] == 0)
			snprintf(nbuf, sizeof nbuf, "preempted by %.*s (%" PRIu64 ")", MAX_STR / 2, who, ev->arg[1]);
		else
			snprintf(nbuf, sizeof nbuf, "blocked; %.*s (%" PRIu64 ") ran", MAX_STR / 2, who, ev->arg[1]);
		emit_slice(px, &b, oc, 0, ev->ts, ev->dur, ev->dur == 0, nbuf, 0, "offcpu", ev, info);
		return 1;
	}
	if (ev->source == INGERO_SRC_HOST && ev->op == INGERO_HOST_SCHED_WAKEUP) {
		emit_slice(px, &b, offcpu_track(px, th), 0, ev->ts, 0, 1, name, name != nbuf, cat, ev, info);
		return 1;
	}
	if (ev->source == INGERO_SRC_IO && ev->dur > 0) {
		emit_slice(px, &b, io_track(px, th, ev->ts, ev->dur), 0, ev->ts, ev->dur, 0, name, name != nbuf, cat,
			   ev, info);
		return 1;
	}
	emit_slice(px, &b, th, 0, ev->ts, ev->dur, ev->dur == 0 || host_instant(ev), name, name != nbuf, cat, ev,
		   info);
	return 1;
}

static void counter(struct px *px, uint32_t node, uint32_t id, const char *name, uint64_t ts, double v)
{
	struct track *ct = counter_track(px, node, id, name);
	if (px->o.json) {
		json_sep(px);
		fputs("{\"name\":", px->out);
		json_str(px->out, name);
		fputs(",\"ph\":\"C\"", px->out);
		json_ts(px, "ts", ts);
		fprintf(px->out, ",\"pid\":%d,\"args\":{\"value\":%.6g}}", ct->jpid, isfinite(v) ? v : 0.0);
		px->st.counters++;
		return;
	}
	struct track *nt = node_track(px, node);
	struct pb_buf *p = &px->body;
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_COUNTER);
	pb_uint(p, TE_TRACK, ct->uuid);
	pb_double(p, TE_DOUBLE_COUNTER, isfinite(v) ? v : 0.0);
	heap_push(px, nt, item_new(px, ts, 1, id, 1, NULL, 0));
	px->st.counters++;
}

void px_sys(struct px *px, uint32_t node, const struct ingero_sys *s)
{
	if (!node_wanted(px, node) || !time_wanted(px, s->ts, 0)) return;
	counter(px, node, 1, "CPU %", s->ts, s->cpu_pct);
	counter(px, node, 2, "memory %", s->ts, s->mem_pct);
	counter(px, node, 3, "swap used MB", s->ts, (double)s->swap_used_mb);
	counter(px, node, 4, "load (1 min)", s->ts, s->load1);
	counter(px, node, 5, "iowait %", s->ts, s->iowait_pct);
	counter(px, node, 6, "memory available MB", s->ts, (double)s->mem_avail_mb);
}

void px_gpu(struct px *px, uint32_t node, const struct ingero_gpu *g)
{
	char nm[64];
	if (!node_wanted(px, node) || !time_wanted(px, g->ts, 0) || g->index > 255) return;
	snprintf(nm, sizeof nm, "GPU %u util %%", g->index);
	counter(px, node, 16 + g->index * 8, nm, g->ts, g->util_pct);
	snprintf(nm, sizeof nm, "GPU %u memory used MB", g->index);
	counter(px, node, 17 + g->index * 8, nm, g->ts, (double)g->mem_used_mb);
	snprintf(nm, sizeof nm, "GPU %u SM clock MHz", g->index);
	counter(px, node, 18 + g->index * 8, nm, g->ts, g->sm_clock_mhz);
	snprintf(nm, sizeof nm, "GPU %u throttle reasons", g->index);
	counter(px, node, 19 + g->index * 8, nm, g->ts, (double)g->throttle_reasons);
}

void px_lost(struct px *px, uint32_t node, const struct ingero_lost *l)
{
	struct nodeinfo *ni = node_get(px, node);
	if (!ni || !ni->wanted || !time_wanted(px, l->ts, 0)) return;
	ni->lost_total += l->count;
	counter(px, node, 7, "lost events (total)", l->ts, (double)ni->lost_total);
	struct ev_build b = { .px = px };
	char nm[96];
	const char *src = ingero_source_name(l->source);
	snprintf(nm, sizeof nm, "lost %" PRIu64 " %s events", l->count, src ? src : "");
	struct track *nt = node_track(px, node);
	if (px->o.json) {
		px->jlen = 0;
		jarg_raw(px, "\"count\":%" PRIu64 ",\"reason\":%u", l->count, l->reason);
		json_event(px, "i", nm, "lost", nt->jpid, nt->jpid, l->ts, 0);
		px->jlen = 0;
		px->st.instants++;
		return;
	}
	pb_clear(&px->body);
	pb_uint(&px->body, TE_TYPE, TE_INSTANT);
	uint32_t c = intern(&b, NS_CAT, "lost");
	pb_uint(&px->body, TE_CATEGORY_IIDS, c);
	pb_str(&px->body, TE_NAME, nm);
	ann_uint(&b, "count", l->count);
	ann_uint(&b, "reason", l->reason);
	heap_push(px, nt, item_new(px, l->ts, 1, 0, 0, b.iids, b.niid));
	px->st.instants++;
}

void px_note(struct px *px, uint32_t node, uint64_t ts, int level, const char *text)
{
	if (!node_wanted(px, node) || !time_wanted(px, ts, 0)) return;
	struct track *nt = node_track(px, node);
	struct ev_build b = { .px = px };
	char nm[MAX_STR + 16];
	snprintf(nm, sizeof nm, "%s: %s", level >= 2 ? "error" : level == 1 ? "warning" : "note", text);
	if (px->o.json) {
		json_event(px, "i", nm, "note", nt->jpid, nt->jpid, ts, 0);
		px->st.instants++;
		return;
	}
	pb_clear(&px->body);
	pb_uint(&px->body, TE_TYPE, TE_INSTANT);
	pb_uint(&px->body, TE_CATEGORY_IIDS, intern(&b, NS_CAT, "note"));
	pb_bytes(&px->body, TE_NAME, nm, u8cut(nm, MAX_STR));
	heap_push(px, nt, item_new(px, ts, 1, 0, 0, b.iids, b.niid));
	px->st.instants++;
}

int px_chain_wanted(struct px *px, uint32_t node, uint64_t start, uint64_t end)
{
	if (end <= start) end = start + 1;
	return node_wanted(px, node) && time_wanted(px, start, end - start);
}

void px_chain(struct px *px, const struct px_chain *c)
{
	if (!px_chain_wanted(px, c->node, c->start, c->end)) return;
	uint64_t start = c->start, end = c->end > c->start ? c->end : c->start + 1;
	/* interval partitioning: first lane free at `start` */
	uint32_t lane = 0;
	while (lane < px->nlanes && px->lane_end[lane] > start) lane++;
	if (lane == px->nlanes) {
		px->lane_end = xrealloc(px->lane_end, (px->nlanes + 1) * sizeof *px->lane_end);
		px->nlanes++;
	}
	px->lane_end[lane] = end;
	struct track *root = track_find(px, tkey(TK_FIND, 0, 0));
	if (!root) root = track_add(px, tkey(TK_FIND, 0, 0), TK_FIND, 0, 0, 0, 1, -1, "Ingero findings", 1);
	struct track *lt = track_find(px, tkey(TK_LANE, 0, lane));
	if (!lt) {
		char nm[48];
		snprintf(nm, sizeof nm, "findings %u", lane + 1);
		lt = track_add(px, tkey(TK_LANE, 0, lane), TK_LANE, 0, 0, 0, 1, (int32_t)lane + 1, nm, 0);
	}
	char name[MAX_STR + 32];
	snprintf(name, sizeof name, "%s: %s", c->severity ? c->severity : "?", c->summary ? c->summary : "");
	struct ev_build b = { .px = px };
	px->st.chains++;
	if (px->o.json) {
		px->jlen = 0;
		jarg_raw(px, "\"id\":"); jarg_str(px, c->id ? c->id : "");
		jarg_raw(px, ",\"node\":"); jarg_str(px, node_name(px, c->node));
		jarg_raw(px, ",\"severity\":"); jarg_str(px, c->severity ? c->severity : "");
		jarg_raw(px, ",\"root_cause\":"); jarg_str(px, c->root_cause ? c->root_cause : "");
		jarg_raw(px, ",\"recommendations\":"); jarg_str(px, c->recommendations ? c->recommendations : "");
		json_event(px, "X", name, "causal_chain", lt->jpid, lt->jtid, start, end - start);
		json_flows(px, &c->fl, lt->jpid, lt->jtid, start, end - start);
		px->st.flows += c->fl.n_out;
		px->jlen = 0;
		px->st.slices++;
		return;
	}
	struct pb_buf *p = &px->body;
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_SLICE_BEGIN);
	pb_uint(p, TE_TRACK, lt->uuid);
	pb_uint(p, TE_CATEGORY_IIDS, intern(&b, NS_CAT, "causal_chain"));
	pb_bytes(p, TE_NAME, name, u8cut(name, MAX_STR));
	ann_str(&b, "id", c->id ? c->id : "");
	ann_str(&b, "node", node_name(px, c->node));
	ann_str(&b, "severity", c->severity ? c->severity : "");
	if (c->kind && *c->kind) ann_str(&b, "kind", c->kind);
	ann_str(&b, "root_cause", c->root_cause ? c->root_cause : "");
	ann_str(&b, "recommendations", c->recommendations ? c->recommendations : "");
	pb_flows(px, &c->fl);
	heap_push(px, root, item_new(px, start, 2, ~end, 1, b.iids, b.niid));
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_SLICE_END);
	pb_uint(p, TE_TRACK, lt->uuid);
	heap_push(px, root, item_new(px, end, 0, ~start, 1, NULL, 0));
	px->st.slices++;
}

/* ------------------------------------------------------- life cycle */

struct px *px_new(FILE *out, const struct px_opts *o)
{
	struct px *px = calloc(1, sizeof *px);
	if (!px) return NULL;
	px->out = out;
	px->o = *o;
	px->next_seq = SEQ_META + 1;
	px->json_first = 1;
	if (o->json) fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
	return px;
}

int px_finish(struct px *px)
{
	if (px->o.json) {
		fprintf(px->out, "\n],\"otherData\":{\"generator\":\"ingero-perfetto " INGERO_VERSION "\","
			"\"ts_origin_unix_ns\":%" PRIu64 "}}\n", px->origin);
	} else {
		write_meta(px);
		for (uint32_t i = 0; i < px->ntracks; i++) {
			struct track *t = px->tracks[i];
			while (t->nheap) heap_pop_emit(px, t);
		}
		flush_buf(px);
		zq_finish(px);
	}
	if (fflush(px->out) != 0 && !px->err) px->err = errno ? errno : EIO;
	if (px->err) { errno = px->err; return -1; }
	return 0;
}

void px_free(struct px *px)
{
	if (!px) return;
	for (uint32_t i = 0; i < px->ntracks; i++) {
		struct track *t = px->tracks[i];
		for (uint32_t k = 0; k < t->nheap; k++) {
			struct pitem *it = t->heap[(t->hhead + k) & (RING - 1)].it;
			if (it->body != it->inl) free(it->body);
			free(it);
		}
		free(t->heap);
		seq_free(&t->sq);
		free(t->name);
		free(t);
	}
	free(px->tracks);
	for (uint32_t i = 0; i < px->nlate; i++) { seq_free(px->late[i]); free(px->late[i]); }
	u64map_free(&px->tmap);
	for (uint32_t i = 0; i < px->nnodes; i++) free(px->nodes[i].name);
	free(px->nodes);
	for (int n = 0; n < NS_N; n++) strtab_free(&px->tab[n]);
	pb_free(&px->buf); pb_free(&px->pkt); pb_free(&px->body); pb_free(&px->tmp); pb_free(&px->intern);
	zq_finish(px);
	if (px->zinit) deflateEnd(&px->z);
	free(px->lane_end);
	for (uint32_t i = 0; i < px->nfree; i++) free(px->freelist[i]);
	free(px);
}

const struct px_stats *px_stats(const struct px *px) { return &px->st; }

/* --------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " INPUT -o OUT [options]\n"
		"Export a recording (segment file, directory, merged recording, bundle, or -)\n"
		"or an analysis database (with its causal chains) as a Perfetto timeline.\n"
		"  -o, --output FILE     output file ('-' = stdout)\n"
		"  --format proto|json   Perfetto protobuf (default) or Chrome Trace Event JSON\n"
		"  --no-compress         protobuf: plain packets (default: deflated in\n"
		"                        TracePacket.compressed_packets, ~9x smaller)\n"
		"  --since X, --until X  keep events in [X, Y] after the recording's start\n"
		"                        (X like 1.5, 1.5s, 300ms, 20us, 2m)\n"
		"  --pid N               only this process\n"
		"  --node NAME           only this node\n"
		"  --stats               print counts to stderr\n"
		"  -h, --help            this text\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int parse_dur(const char *s, uint64_t *ns)
{
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	if (errno || e == s || v < 0 || !isfinite(v)) return -1;
	double mul = 1e9;
	if (!*e || !strcmp(e, "s")) mul = 1e9;
	else if (!strcmp(e, "ms")) mul = 1e6;
	else if (!strcmp(e, "us")) mul = 1e3;
	else if (!strcmp(e, "ns")) mul = 1;
	else if (!strcmp(e, "m")) mul = 60e9;
	else if (!strcmp(e, "h")) mul = 3600e9;
	else return -1;
	if (v * mul > 1.8e19) return -1;
	*ns = (uint64_t)(v * mul + 0.5);
	return 0;
}

static int is_sqlite(const char *path)
{
	char m[16];
	if (!strcmp(path, "-")) return 0;
	FILE *f = fopen(path, "rb");
	if (!f) return 0;
	size_t n = fread(m, 1, 16, f);
	fclose(f);
	return n == 16 && !memcmp(m, "SQLite format 3", 16);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' }, { "node", required_argument, NULL, 'n' },
		{ "compress", no_argument, NULL, 'z' }, { "no-compress", no_argument, NULL, 'Z' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct px_opts o = { .compress = 1 };
	const char *outpath = NULL;
	int c, stats = 0, rc = 1;
	char *e;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'f':
			if (!strcmp(optarg, "json")) o.json = 1;
			else if (!strcmp(optarg, "proto") || !strcmp(optarg, "protobuf")) o.json = 0;
			else { fprintf(stderr, PROG ": unknown format '%s' (proto or json)\n", optarg); return 2; }
			break;
		case 'S':
			if (parse_dur(optarg, &o.since_ns)) { fprintf(stderr, PROG ": bad --since '%s'\n", optarg); return 2; }
			o.have_since = 1;
			break;
		case 'U':
			if (parse_dur(optarg, &o.until_ns)) { fprintf(stderr, PROG ": bad --until '%s'\n", optarg); return 2; }
			o.have_until = 1;
			break;
		case 'p': {
			errno = 0;
			unsigned long v = strtoul(optarg, &e, 10);
			if (errno || e == optarg || *e || v > 0xffffffffUL) {
				fprintf(stderr, PROG ": bad --pid '%s'\n", optarg);
				return 2;
			}
			o.have_pid = 1;
			o.pid = (uint32_t)v;
			break;
		}
		case 'n': o.node = optarg; break;
		case 'z': o.compress = 1; break;
		case 'Z': o.compress = 0; break;
		case 's': stats = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !outpath) {
		if (!outpath && optind == argc - 1) fprintf(stderr, PROG ": missing -o OUT\n");
		usage(stderr);
		return 2;
	}
	if (o.json) o.compress = 0;
	const char *in = argv[optind];
	int db = is_sqlite(in);
	FILE *out = stdout;
	char *tmp = NULL;
	if (strcmp(outpath, "-")) {
		/* write next to the target and rename: no half-written trace on failure */
		tmp = malloc(strlen(outpath) + 16);
		if (!tmp) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
		sprintf(tmp, "%s.tmp%ld", outpath, (long)getpid());
		out = fopen(tmp, "wb");
		if (!out) {
			fprintf(stderr, PROG ": %s: %s\n", outpath, strerror(errno));
			free(tmp);
			return 1;
		}
	}
	static char obuf[1 << 16];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);
	struct px *px = px_new(out, &o);
	if (!px) { fprintf(stderr, PROG ": out of memory\n"); goto done; }
	rc = db ? px_input_db(px, in, &o) : px_input_recording(px, in, &o);
	if (rc == 0 && px_finish(px) != 0) {
		fprintf(stderr, PROG ": %s: write error: %s\n", outpath, strerror(errno));
		rc = 1;
	}
	if (rc == 0 && stats) {
		const struct px_stats *s = px_stats(px);
		fprintf(stderr, "events_in=%" PRIu64 " events_out=%" PRIu64 " slices=%" PRIu64 " instants=%" PRIu64
			" counters=%" PRIu64 " flows=%" PRIu64 " processes=%" PRIu64 " threads=%" PRIu64
			" tracks=%" PRIu64 " chains=%" PRIu64 " packets=%" PRIu64 " bytes=%" PRIu64 "\n",
			s->events_in, s->events_out, s->slices, s->instants, s->counters, s->flows,
			s->processes, s->threads, s->tracks, s->chains, s->packets, s->bytes);
	}
done:
	px_free(px);
	if (out != stdout) {
		if (fclose(out) != 0 && rc == 0) {
			fprintf(stderr, PROG ": %s: %s\n", outpath, strerror(errno));
			rc = 1;
		}
		if (rc == 0 && rename(tmp, outpath) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", outpath, strerror(errno));
			rc = 1;
		}
		if (rc != 0) unlink(tmp);
		free(tmp);
	} else if (fflush(stdout) != 0 && rc == 0) {
		rc = 1;
	}
	return rc;
}
