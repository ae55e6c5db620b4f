/*
 * perfetto_event.c - ingero-perfetto events: slices, instants and debug
 * annotations per op, counters, lost events, notes, causal chains, flows.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto_int.h"



/* s is a string literal / static table entry: cache its iid by address */
uint32_t intern_static(struct ev_build *b, int ns, const char *s)
{
	struct px *px = b->px;
	unsigned h = (unsigned)(((uintptr_t)s >> 3) ^ ((uintptr_t)s >> 11) ^ (unsigned)ns) & 255;
	uint32_t iid;
	if (px->icache[h].p == s && px->icache[h].ns == ns) {
		iid = px->icache[h].iid;
	} else {
		iid = ig_strtab_id(&px->tab[ns], s);
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

uint32_t intern(struct ev_build *b, int ns, const char *s)
{
	uint32_t iid = ig_strtab_id(&b->px->tab[ns], s);
	if (iid && b->niid < ITEM_IIDS) {
		b->iids[b->niid++] = (uint32_t)ns << 28 | iid;
		return iid;
	}
	return 0;
}

void jarg_raw(struct px *px, const char *fmt, ...)
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

void ann_uint(struct ev_build *b, const char *name, uint64_t v)
{
	size_t da;
	ann_name(b, &da, name);
	pb_uint(&b->px->body, DA_UINT, v);
	pb_end(&b->px->body, da);
	jarg_raw(b->px, "%" PRIu64, v);
}

void ann_int(struct ev_build *b, const char *name, int64_t v)
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

void ann_str(struct ev_build *b, const char *name, const char *v)
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
	if (info && info->python && *info->python) ann_str(b, "python", info->python);
	if (info && info->stack && *info->stack) ann_str(b, "stack", info->stack);
}

static int host_instant(const struct ingero_event *ev)
{
	return ev->source == INGERO_SRC_HOST && ev->op != INGERO_HOST_SCHED_SWITCH;
}

void px_set_origin(struct px *px, uint64_t t)
{
	int64_t v;
	if (px->have_origin) return;
	px->have_origin = 1;
	px->origin = t;
	/* main checked the grammar; a before-the-end form without a known end
	 * (not asked for: main finds it first) keeps everything after start */
	px->since = INT64_MIN;
	px->until = INT64_MAX;
	if (px->o.since_s && ig_parse_time(px->o.since_s, (int64_t)t, (int64_t)px->o.end_ns, &v) == 0) px->since = v;
	if (px->o.until_s && ig_parse_time(px->o.until_s, (int64_t)t, (int64_t)px->o.end_ns, &v) == 0) px->until = v;
}

int px_origin_known(const struct px *px) { return px->have_origin; }
void px_set_end(struct px *px, uint64_t t) { px->o.end_ns = t; }

int px_window_empty(const struct px *px, uint64_t *first, uint64_t *last)
{
	*first = px->seen_first;
	*last = px->seen_last;
	return (px->o.since_s || px->o.until_s) && px->seen_last && !px->n_wanted;
}

void px_set_boottime_anchor(struct px *px, uint64_t boottime, uint64_t realtime)
{
	if (px->have_anchor || px->meta_written) return;
	px->have_anchor = 1;
	px->anchor_boot = boottime;
	px->anchor_real = realtime;
}

int time_wanted(struct px *px, uint64_t ts, uint64_t dur)
{
	if (!px->have_origin) px_set_origin(px, ts);
	if (!px->seen_first || ts < px->seen_first) px->seen_first = ts;
	if (ts + dur > px->seen_last) px->seen_last = ts + dur;
	if (px->since != INT64_MIN && (int64_t)(ts + dur) < px->since) return 0;
	if (px->until != INT64_MAX && (int64_t)ts > px->until) return 0;
	px->n_wanted++;
	return 1;
}

/* JSON: one complete event line */
void json_event(struct px *px, const char *ph, const char *name, const char *cat,
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
