/*
 * perfetto_track.c - ingero-perfetto tracks (nodes, processes, threads,
 * off-CPU, block I/O lanes, counters) and their TrackDescriptors.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"


static void describe(struct px *px, struct track *t)
{
	if (px->o.json) {
		switch (t->kind) {
		case TK_NODE: case TK_PROC:
			json_meta(px, "process_name", t->jpid, -1, t->name);
			json_sort(px, t->jpid, -1, t->jpid);
			break;
		case TK_THREAD: case TK_OFFCPU: case TK_LANE: case TK_IO: case TK_STEPS:
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
	case TK_IDLE: /* a counter under its process */
		pb_uint(p, TD_PARENT, tkey(t->pid ? TK_PROC : TK_NODE, t->node, t->pid) + 1);
		pb_str(p, TD_NAME, t->name);
		pb_tag(p, TD_COUNTER, PB_LEN);
		pb_varint(p, 0);
		break;
	case TK_COUNTER:
		pb_uint(p, TD_PARENT, tkey(TK_NODE, t->node, 0) + 1);
		pb_str(p, TD_NAME, t->name);
		pb_tag(p, TD_COUNTER, PB_LEN);
		pb_varint(p, 0);
		break;
	case TK_OFFCPU: case TK_IO: case TK_STEPS: /* pid 0 (the kernel) is the node's process track */
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

struct track *track_find(struct px *px, uint64_t key)
{
	const uint64_t *i = ig_map_get(&px->tmap, key);
	return i ? px->tracks[*i - 1] : NULL;
}

/* A new track, described at once (pid/tid first: the descriptor names its parent). */
struct track *track_add(struct px *px, uint64_t key, enum tkind kind, uint32_t node, uint32_t pid,
			       uint32_t tid, int32_t jpid, int32_t jtid, const char *name, int own_seq)
{
	struct track *t = xcalloc(1, sizeof *t);
	t->uuid = key + 1;
	t->kind = kind;
	t->node = node;
	t->pid = pid;
	t->tid = tid;
	t->jpid = jpid;
	t->jtid = jtid;
	t->name = xstrndup(name, u8cut(name, MAX_STR));
	if (own_seq) t->sq.id = px->next_seq++;
	if (px->ntracks == px->cap_tracks) {
		px->cap_tracks = px->cap_tracks ? px->cap_tracks * 2 : 64;
		px->tracks = xrealloc(px->tracks, px->cap_tracks * sizeof *px->tracks);
	}
	px->tracks[px->ntracks++] = t;
	ig_map_xput(&px->tmap, key, px->ntracks);
	px->st.tracks++;
	describe(px, t);
	return t;
}

static void track_rename(struct px *px, struct track *t, const char *name)
{
	size_t n = u8cut(name, MAX_STR);
	if (strlen(t->name) == n && !strncmp(t->name, name, n)) return;
	free(t->name);
	t->name = xstrndup(name, n);
	describe(px, t);
}

struct nodeinfo *node_get(struct px *px, uint32_t node)
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

struct track *node_track(struct px *px, uint32_t node)
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
		ni->name = xstrdup(name ? name : "");
		ni->rank = rank;
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

int node_wanted(struct px *px, uint32_t node)
{
	struct nodeinfo *ni = node_get(px, node);
	return ni && ni->wanted;
}

const char *node_name(struct px *px, uint32_t node)
{
	struct nodeinfo *ni = node_get(px, node);
	return ni && ni->name ? ni->name : "node";
}

struct track *proc_track(struct px *px, uint32_t node, uint32_t pid, const char *comm)
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

struct track *thread_track(struct px *px, uint32_t node, uint32_t pid, uint32_t tid,
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

struct track *offcpu_track(struct px *px, struct track *th)
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
struct track *io_track(struct px *px, struct track *th, uint64_t ts, uint64_t dur)
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

struct track *counter_track(struct px *px, uint32_t node, uint32_t id, const char *name)
{
	uint64_t k = tkey(TK_COUNTER, node, id);
	struct track *t = track_find(px, k);
	if (t) return t;
	node_track(px, node);
	return track_add(px, k, TK_COUNTER, node, 0, 0, spid(node, 0), -1, name, 0);
}
