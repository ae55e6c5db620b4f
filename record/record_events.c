/*
 * record_events.c - the ring-buffer consumer: every BPF event
 * (bpf/ingero_bpf.h) becomes a format record (formats/ingero.h), with the
 * PROCESS / THREAD / STACK metadata it refers to written first; and the
 * once-a-second work: page-allocation aggregates, ring-buffer losses,
 * disk-full recovery, the overhead budget and the status line.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "record_int.h"
#include "rec_nvml.h"
#include "../bpf/ingero_bpf.h"
#include "../bpf/pyframes_bpf.h"
#include "record_py.h"
#include "bpf/ingero.skel.h"

/* -------------------------------------------------------- event path */

/* --ndjson: the event layout every tool prints (docs/cli.md "JSON"):
 * 64-bit values that can exceed 2^53 as strings of digits */
/* "py":[["file","function",line],...] innermost first, when the call has
 * Python frames (record_py.c) */
static void json_py(FILE *f)
{
	int n = rec_py_current();

	if (!n)
		return;
	fputs(",\"py\":[", f);
	for (int i = 0; i < n; i++) {
		const struct rec_py_loc *l = rec_py_frame(i);

		fputs(i ? ",[" : "[", f);
		ig_json_str(f, l->file);
		fputc(',', f);
		ig_json_str(f, l->func);
		fprintf(f, ",%d]", l->line);
	}
	fputc(']', f);
}

static void json_event(const struct rec *r, const struct ingero_event *ev)
{
	const char *s = ingero_source_name(ev->source), *o = ingero_op_name(ev->source, ev->op);
	FILE *f = stdout;

	fputs("{\"node\":", f);
	ig_json_str(f, r->o.node);
	fputs(",\"ts_ns\":", f);
	ig_json_u64str(f, ev->ts);
	fprintf(f, ",\"dur_ns\":%llu,\"pid\":%u,\"tid\":%u,\"source\":",
		(unsigned long long)ev->dur, ev->pid, ev->tid);
	ig_json_str(f, s ? s : "?");
	fputs(",\"op\":", f);
	ig_json_str(f, o ? o : "?");
	fprintf(f, ",\"ret\":%d,\"cpu\":%u,\"stack_id\":", ev->ret, ev->cpu);
	ig_json_u64str(f, ev->stack_id);
	fputs(",\"args\":[", f);
	for (int i = 0; i < INGERO_EV_NARGS; i++) {
		if (i)
			fputc(',', f);
		ig_json_u64str(f, ev->arg[i]);
	}
	fputc(']', f);
	json_py(f);
	fprintf(f, "%s}\n", ev->flags & INGERO_EVF_SAMPLED ? ",\"sampled\":true" : "");
}

static void write_event(struct rec *r, const struct ingero_event *ev)
{
	int err;

	if (ev->source < INGERO_SRC_MAX) {
		r->events_src[ev->source]++;
		r->tick_src[ev->source]++;
	}
	r->events++;
	if (!r->min_ts || ev->ts < r->min_ts)
		r->min_ts = ev->ts;
	if (ev->ts + ev->dur > r->max_ts)
		r->max_ts = ev->ts + ev->dur;
	if (r->o.ndjson)
		json_event(r, ev);
	if (r->disk_full) {
		r->unwritten++;
		if (ev->source < INGERO_SRC_MAX)
			r->unwritten_src[ev->source]++;
		return;
	}
	err = ingero_writer_event(r->w, ev);
	if (err == INGERO_ENOSPC) {
		r->disk_full = true;
		r->disk_full_since = rec_boottime_ns();
		r->unwritten++;
		if (ev->source < INGERO_SRC_MAX)
			r->unwritten_src[ev->source]++;
		fprintf(stderr, PROG ": disk full writing to '%s': probes keep running, events are "
			"counted but not written until space returns\n", r->outdir);
	} else if (err < 0 && !r->write_err) {
		char buf[1100];

		r->write_err = err;
		fprintf(stderr, PROG ": %s: check the output directory\n",
			ingero_strerror(ingero_writer_error(r->w), buf, sizeof(buf)));
	}
}

/* comm[i] of an event that carries them (NUL-terminated copy), else NULL */
static const char *event_comm(const struct ibpf_event *e, size_t len, int i, char *buf)
{
	const struct ibpf_event_comm *c = (const void *)e;

	if (!(e->flags & IBPF_F_HAS_COMM) || len < sizeof(*c))
		return NULL;
	memcpy(buf, i ? c->comm2 : c->comm, IBPF_COMM_LEN);
	buf[IBPF_COMM_LEN] = 0;
	return buf;
}

/* Host events change the process tables: who ran instead (sched_switch),
 * a new child to follow (fork), a new program (exec), a gone one (exit). */
static void host_event(struct rec *r, const struct ibpf_event *e, size_t len)
{
	char comm[IBPF_COMM_LEN + 1];

	switch (e->op) {
	case INGERO_HOST_SCHED_SWITCH:
		/* name the tasks that ran instead (arg1) and last before (arg3) */
		rec_ensure_pid(r, (uint32_t)e->arg[1], event_comm(e, len, 0, comm));
		rec_ensure_pid(r, (uint32_t)e->arg[3], event_comm(e, len, 1, comm));
		break;
	case INGERO_HOST_FORK:
		ig_map_put(&r->targets, e->arg[0], IBPF_TRACED_CHILD);
		ig_map_put(&r->parents, e->arg[0], e->pid);
		rec_ensure_pid(r, (uint32_t)e->arg[0], event_comm(e, len, 0, comm));
		break;
	case INGERO_HOST_EXEC:
		rec_sym_forget(&r->sym, e->pid);
		/* a new program: its PROCESS record must be written again */
		ig_map_del(&r->pids, e->pid);
		r->pid_cache[e->pid & 63] = 0;
		break;
	case INGERO_HOST_EXIT:
		ig_map_del(&r->targets, e->pid);
		rec_sym_forget(&r->sym, e->pid);
		break;
	case INGERO_HOST_OOM_KILL:
		rec_ensure_pid(r, e->pid, event_comm(e, len, 0, comm));
		break;
	}
}

int rec_handle_event(void *ctx, void *data, size_t len)
{
	struct rec *r = ctx;
	const struct ibpf_event *e = data;
	struct ingero_event ev;

	if (len < sizeof(*e) || r->discard)
		return 0;
	if (e->flags & IBPF_F_PYFRAMES)
		return rec_py_on_frames(r, data, len);
	if (e->flags & IBPF_F_RENAME) {
		char comm[IBPF_COMM_LEN + 1];

		if (!r->disk_full && event_comm(e, len, 0, comm))
			rec_on_rename(r, e->pid, e->tid, comm);
		return 0;
	}
	if (!r->disk_full) {    /* when full: still count, and keep --ndjson going */
		char comm[IBPF_COMM_LEN + 1];

		rec_ensure_pid(r, e->pid, e->source == INGERO_SRC_HOST && e->op == INGERO_HOST_EXEC ?
				      event_comm(e, len, 0, comm) : NULL);
		if (e->tid && e->tid != e->pid)
			rec_ensure_tid(r, e->pid, e->tid);
	}
	ev.ts = e->ts;
	ev.dur = e->dur;
	ev.pid = e->pid;
	ev.tid = e->tid;
	ev.source = e->source;
	ev.op = e->op;
	ev.flags = e->flags & INGERO_EVF_SAMPLED;
	ev.ret = e->ret;
	ev.cpu = e->cpu;
	memcpy(ev.arg, e->arg, sizeof(ev.arg));
	ev.stack_id = 0;
	if (!r->disk_full) {
		rec_py_on_event(r, e);
		ev.stack_id = rec_py_stack(r, e);   /* native (+ Python frames) */
	}
	if (e->source == INGERO_SRC_HOST && !r->disk_full)
		host_event(r, e, len);
	if (r->o.budget_pct > 0 && e->source != INGERO_SRC_HOST && e->source != INGERO_SRC_IO) {
		uint64_t k = (uint64_t)e->pid << 16 | e->source << 8 | e->op;
		uint64_t *c = ig_map_get(&r->opcount, k);

		if (c)
			(*c)++;
		else
			ig_map_put(&r->opcount, k, 1);
	}
	write_event(r, &ev);
	rec_py_reset();   /* the frames were this event's: none for events written elsewhere */
	return 0;
}

/* ------------------------------------------------------ per-tick work */

void rec_flush_pages(struct rec *r)
{
	int fd = bpf_map__fd(r->skel->maps.pages), ncpu = libbpf_num_possible_cpus();
	struct ibpf_page_agg *vals;
	uint32_t key, next, *prev = NULL;
	uint32_t keys[4096];
	int nk = 0;

	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	while (nk < 4096 && !bpf_map_get_next_key(fd, prev, &next)) {
		keys[nk++] = next;
		key = next;
		prev = &key;
	}
	for (int i = 0; i < nk; i++) {
		struct ingero_event ev = { 0 };
		uint64_t first = UINT64_MAX, last = 0;

		if (bpf_map_lookup_elem(fd, &keys[i], vals))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		for (int c = 0; c < ncpu; c++) {
			if (!vals[c].count)
				continue;
			ev.arg[0] += vals[c].bytes;
			ev.arg[1] += vals[c].count;
			if (vals[c].first_ts < first)
				first = vals[c].first_ts;
			if (vals[c].last_ts > last) {
				last = vals[c].last_ts;
				ev.tid = vals[c].tid;
			}
		}
		if (!ev.arg[1])
			continue;
		ev.ts = first;
		ev.dur = last > first ? last - first : 0;
		ev.pid = keys[i];
		ev.source = INGERO_SRC_HOST;
		ev.op = INGERO_HOST_PAGE_ALLOC;
		if (!r->disk_full)
			rec_ensure_pid(r, ev.pid, NULL);
		write_event(r, &ev);
	}
	free(vals);
}

static uint64_t sum_percpu(int fd, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[512] = { 0 }, s = 0;

	if (ncpu <= 0 || ncpu > 512 || bpf_map_lookup_elem(fd, &key, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

uint64_t rec_check_lost(struct rec *r, uint64_t now)
{
	int fd = bpf_map__fd(r->skel->maps.lost);
	uint64_t total = 0;

	for (uint32_t s = 0; s < INGERO_SRC_MAX; s++) {
		uint64_t v = sum_percpu(fd, s);
		struct ingero_record rec = { .kind = INGERO_REC_LOST };

		total += v;
		if (v <= r->lost_seen[s])
			continue;
		rec.u.lost.ts = now;
		rec.u.lost.source = s;
		rec.u.lost.count = v - r->lost_seen[s];
		rec.u.lost.reason = 0;
		r->lost_seen[s] = v;
		if (!r->disk_full)
			ingero_writer_append(r->w, &rec);
	}
	r->lost_total = total;
	return total;
}

void rec_disk_retry(struct rec *r, uint64_t now)
{
	struct statvfs sv;

	/* resume only with room for a few frames, not on the first free block */
	if (statvfs(r->outdir, &sv) || (uint64_t)sv.f_bavail * sv.f_frsize < (1ULL << 20))
		return;
	if (ingero_writer_flush(r->w) < 0)
		return;
	r->disk_full = false;
	fprintf(stderr, PROG ": disk space is back: %llu events were not written\n",
		(unsigned long long)r->unwritten);
	rec_note(r, 1, "disk full from %llu to %llu: %llu events not written",
	     (unsigned long long)r->disk_full_since, (unsigned long long)now,
	     (unsigned long long)r->unwritten);
	for (int s = 0; s < INGERO_SRC_MAX; s++) {
		struct ingero_record rec = { .kind = INGERO_REC_LOST };

		if (!r->unwritten_src[s])
			continue;
		rec.u.lost.ts = now;
		rec.u.lost.source = s;
		rec.u.lost.count = r->unwritten_src[s];
		rec.u.lost.reason = 1;
		ingero_writer_append(r->w, &rec);
		r->unwritten_src[s] = 0;
	}
	r->unwritten = 0;
	r->gen++;       /* re-emit metadata written while full */
	r->sym.gen++;
}

/*
 * --overhead-budget: estimated probe cost per process and second =
 * sum over ops of calls x rate x cost per hit.  Past the budget, the
 * costliest samplable op is sampled 1-in-N in the kernel so that its share
 * fits; a SAMPLING record says so.
 */
/* sampled ops: those ops.def marks INGERO_OPF_SAMP (launches and async
 * copies; never a sync, an allocation or a host event) */
static bool samplable(int src, int op)
{
	return ingero_op_flags(src, op) & INGERO_OPF_SAMP;
}

static void set_rate(struct rec *r, uint32_t pid, int src, int op, uint32_t rate, uint64_t now)
{
	struct ibpf_sample_key k = { .tgid = pid, .source = src, .op = op };
	struct { uint32_t rate, pad; uint64_t n; } v = { rate, 0, 0 };
	struct ingero_record rec = { .kind = INGERO_REC_SAMPLING };
	int fd = bpf_map__fd(r->skel->maps.sampling);

	if (rate <= 1) {
		bpf_map_delete_elem(fd, &k);
	} else {
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		r->skel->bss->sampling_on = 1;   /* the probes look the rate up from now on */
	}
	ig_map_put(&r->rates, (uint64_t)pid << 16 | src << 8 | op, rate);
	rec.u.sampling.ts = now;
	rec.u.sampling.pid = pid;
	rec.u.sampling.source = src;
	rec.u.sampling.op = op;
	rec.u.sampling.rate = rate;
	if (!r->disk_full)
		ingero_writer_append(r->w, &rec);
	if (!r->o.quiet)
		fprintf(stderr, PROG ": pid %u: %s sampled 1-in-%u (overhead budget %.1f%%)\n", pid,
			ingero_op_name(src, op) ? ingero_op_name(src, op) : "?", rate,
			r->o.budget_pct);
}

void rec_overhead_check(struct rec *r, uint64_t now, double secs)
{
	struct ig_map *m = &r->opcount;
	double budget = r->o.budget_pct / 100.0 * 1e9 * secs;

	if (r->o.budget_pct <= 0 || !m->cap) {
		ig_map_clear(m);
		return;
	}
	for (size_t i = 0; i < m->cap; i++) {
		uint32_t pid;
		double cost = 0, top_cost = 0;
		uint64_t top = 0;

		if (m->keys[i] == IG_MAP_EMPTY || !m->vals[i])
			continue;
		pid = m->keys[i] >> 16;
		/* gather this pid's ops (small: a handful of ops per pid) */
		for (size_t j = 0; j < m->cap; j++) {
			uint64_t k = m->keys[j], *rt;
			int src, op;
			double c;

			if (k == IG_MAP_EMPTY || (k >> 16) != pid)
				continue;
			src = (k >> 8) & 0xff;
			op = k & 0xff;
			rt = ig_map_get(&r->rates, k);
			c = (double)m->vals[j] * (rt ? (double)*rt : 1.0) *
			    (src < INGERO_SRC_MAX && op < INGERO_OP_MAX && r->op_cost[src][op] ?
				     r->op_cost[src][op] : r->cost_emulated);
			cost += c;
			if (samplable(src, op) && c > top_cost) {
				top_cost = c;
				top = k;
			}
		}
		if (cost > budget && top) {
			double rest = cost - top_cost, allowed = budget - rest;
			uint64_t *cur = ig_map_get(&r->rates, top);
			uint32_t rate = allowed <= top_cost / 1000 ? 1000 :
					(uint32_t)(top_cost / allowed) + 1;

			if (rate > 1000)
				rate = 1000;
			if (!cur || rate > *cur)
				set_rate(r, pid, (top >> 8) & 0xff, top & 0xff, rate, now);
		}
		/* mark this pid done */
		for (size_t j = 0; j < m->cap; j++)
			if (m->keys[j] != IG_MAP_EMPTY && (m->keys[j] >> 16) == pid)
				m->vals[j] = 0;
	}
	ig_map_clear(m);
}
/* ------------------------------------------------------ status line */

static void status_line(struct rec *r, double secs)
{
	static const char *const names[INGERO_SRC_MAX] = {
		[1] = "cuda", [3] = "host", [4] = "driver", [5] = "io", [8] = "graph", [9] = "nccl" };
	static int tty = -1;   /* asked once: an ioctl a second otherwise */
	char buf[512];
	size_t n = 0;
	uint64_t tot = 0;

	for (int s = 0; s < INGERO_SRC_MAX; s++)
		tot += r->tick_src[s];
	n += snprintf(buf + n, sizeof(buf) - n, "%.0f ev/s (", tot / secs);
	for (int s = 0, first = 1; s < INGERO_SRC_MAX; s++) {
		if (!names[s])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %.0f", first ? "" : " ", names[s],
			      r->tick_src[s] / secs);
		first = 0;
	}
	n += snprintf(buf + n, sizeof(buf) - n, ") total %llu, drops %llu, disk %.1f MB%s, %d libs",
		      (unsigned long long)r->events, (unsigned long long)r->lost_total,
		      ingero_writer_bytes(r->w) / 1e6, r->disk_full ? " FULL" : "", r->nlibs);
	if (tty < 0)
		tty = isatty(2);
	if (tty)
		fprintf(stderr, "\r\033[K" PROG ": %s", buf);
	else
		fprintf(stderr, PROG ": %s\n", buf);
}

void rec_tick(struct rec *r, uint64_t now, double secs)
{
	struct ingero_record rec = { .kind = INGERO_REC_ANCHOR };

	rec_flush_pages(r);
	rec_check_lost(r, now);
	if (!r->disk_full) {
		rec_anchor_now(&rec.u.anchor);
		ingero_writer_append(r->w, &rec);
		rec.kind = INGERO_REC_SYS;
		if (!rec_sys_sample(&r->sys, &rec.u.sys))
			ingero_writer_append(r->w, &rec);
		if (r->nvml) {
			rec.kind = INGERO_REC_GPU;
			for (uint32_t i = 0; rec_nvml_sample(r->nvml, i, &rec.u.gpu) == 0; i++)
				ingero_writer_append(r->w, &rec);
		}
	}
	if (r->disk_full)
		rec_disk_retry(r, now);
	else
		ingero_writer_flush(r->w);
	rec_chown_outputs(r);
	if (!r->o.quiet)
		status_line(r, secs);
	memset(r->tick_src, 0, sizeof(r->tick_src));
	if (r->o.ndjson)
		fflush(stdout);
}
