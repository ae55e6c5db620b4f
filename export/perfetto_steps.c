/*
 * perfetto_steps.c - ingero-perfetto steps (the analysis DB's engine-v2
 * steps table, docs/perfetto.md "Steps"): per CUDA stream of a process, a
 * "steps" track under the process with one slice per step, named by its
 * phase (step, prefill, decode, mixed, unknown; "slow" / outlier buckets in
 * the name and the args), and a "GPU idle %" counter track: the share of
 * each step with no CUDA work in flight.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"

/* The steps track and the idle counter of (node, pid, stream). */
static void step_tracks(struct px *px, const struct px_step *s, struct track **st, struct track **it)
{
	uint64_t h = ig_hash64(ig_hash64((uint64_t)s->node << 32 | s->pid) ^ s->stream);
	if (h == IG_MAP_EMPTY) h = 0;
	const uint64_t *v = ig_map_get(&px->stepids, h);
	uint32_t id = v ? (uint32_t)*v : ++px->nstepids;
	if (!v) ig_map_xput(&px->stepids, h, id);
	*st = track_find(px, tkey(TK_STEPS, s->node, id));
	*it = track_find(px, tkey(TK_IDLE, s->node, id));
	if (*st && *it) return;
	struct track *proc = proc_track(px, s->node, s->pid, NULL);
	char nm[96];
	if (!*st) {
		snprintf(nm, sizeof nm, "steps (stream 0x%" PRIx64 ")", s->stream);
		*st = track_add(px, tkey(TK_STEPS, s->node, id), TK_STEPS, s->node, s->pid, 0, proc->jpid,
				0x50000000 + (int32_t)id, nm, 1);
	}
	if (!*it) {
		snprintf(nm, sizeof nm, "GPU idle %% (stream 0x%" PRIx64 ")", s->stream);
		*it = track_add(px, tkey(TK_IDLE, s->node, id), TK_IDLE, s->node, s->pid, 0, proc->jpid, -1, nm, 0);
	}
}

static void step_args(struct ev_build *b, const struct px_step *s)
{
	ann_int(b, "step", s->step);
	if (s->id) ann_int(b, "id", s->id);
	ann_str(b, "phase", s->phase);
	ann_str(b, "boundary_op", s->boundary_op);
	if (s->slow) ann_uint(b, "slow", 1);
	if (*s->outlier) ann_str(b, "outlier", s->outlier);
	if (s->warmup) ann_uint(b, "warmup", 1);
	ann_uint(b, "launches", s->launches);
	if (s->memcpy_bytes) ann_uint(b, "memcpy_bytes", s->memcpy_bytes);
	static const char *const names[] = { "launch_ns", "memcpy_ns", "sync_ns", "alloc_ns", "other_cuda_ns",
					     "nccl_ns", "host_ns", "preempted_ns", "blocked_ns", "io_ns",
					     "mem_ns", "gpu_idle_ns" };
	const uint64_t vals[] = { s->launch_ns, s->memcpy_ns, s->sync_ns, s->alloc_ns, s->other_cuda_ns,
				  s->nccl_ns, s->host_ns, s->preempted_ns, s->blocked_ns, s->io_ns, s->mem_ns,
				  s->gpu_idle_ns };
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
		if (vals[i]) ann_uint(b, names[i], vals[i]);
	if (s->preempt_pid) {
		ann_int(b, "preempt_pid", s->preempt_pid);
		if (*s->preempt_comm) ann_str(b, "preempt_comm", s->preempt_comm);
	}
	if (s->waker_pid) {
		ann_int(b, "waker_pid", s->waker_pid);
		if (*s->waker_comm) ann_str(b, "waker_comm", s->waker_comm);
	}
}

int px_step(struct px *px, const struct px_step *s)
{
	uint64_t dur = s->dur ? s->dur : 1;
	if (!px_event_wanted(px, s->node, s->pid, s->start, dur)) return 0;
	struct track *st, *it;
	step_tracks(px, s, &st, &it);
	char name[160];
	snprintf(name, sizeof name, "%s%s%s%s", s->phase, s->slow ? " (slow)" : "",
		 *s->outlier ? " >" : "", s->outlier);
	double idle = 100.0 * (double)(s->gpu_idle_ns > dur ? dur : s->gpu_idle_ns) / (double)dur;
	struct ev_build b = { .px = px };
	px->st.slices++;
	px->st.counters++;
	if (px->o.json) {
		px->jlen = 0;
		pb_clear(&px->body);
		step_args(&b, s);
		json_event(px, "X", name, "step", st->jpid, st->jtid, s->start, dur);
		px->jlen = 0;
		json_sep(px);
		fputs("{\"name\":", px->out);
		json_str(px->out, it->name);
		fputs(",\"ph\":\"C\"", px->out);
		json_ts(px, "ts", s->start);
		fprintf(px->out, ",\"pid\":%d,\"args\":{\"value\":%.6g}}", it->jpid, idle);
		return 1;
	}
	struct pb_buf *p = &px->body;
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_SLICE_BEGIN);
	uint32_t c = intern_static(&b, NS_CAT, "step");
	if (c) pb_uint(p, TE_CATEGORY_IIDS, c);
	else pb_str(p, 22, "step");
	uint32_t n = intern(&b, NS_NAME, name);
	if (n) pb_uint(p, TE_NAME_IID, n);
	else pb_str(p, TE_NAME, name);
	step_args(&b, s);
	heap_push(px, st, item_new(px, s->start, 2, ~(s->start + dur), 0, b.iids, b.niid));
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_SLICE_END);
	heap_push(px, st, item_new(px, s->start + dur, 0, ~s->start, 0, NULL, 0));
	pb_clear(p);
	pb_uint(p, TE_TYPE, TE_COUNTER);
	pb_uint(p, TE_TRACK, it->uuid);
	pb_double(p, TE_DOUBLE_COUNTER, idle);
	heap_push(px, st, item_new(px, s->start, 1, 0, 1, NULL, 0));
	return 1;
}
