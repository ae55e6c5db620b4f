/*
 * record_procs.c - the process and thread tables of the recorder: a
 * PROCESS or THREAD record is written the first time a pid or tid shows up
 * in a writer generation (record_int.h: rec_ensure_pid / rec_ensure_tid),
 * so every segment names the processes and threads its events refer to.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record_int.h"

static void write_process(struct rec *r, uint32_t pid, const char *comm_hint, int rename)
{
	struct rec_procinfo pi;
	struct ingero_record rec = { .kind = INGERO_REC_PROCESS };
	uint64_t *parent;

	if (rec_proc_info("/proc", pid, &pi)) {
		/* gone already (short-lived child): inherit from the parent */
		parent = ig_map_get(&r->parents, pid);
		if (!parent || rec_proc_info("/proc", *parent, &pi)) {
			memset(&pi, 0, sizeof(pi));
			pi.rank = pi.local_rank = pi.world_size = -1;
		}
		pi.comm[0] = 0;
		pi.pid = pid;
		pi.ppid = parent ? *parent : 0;
	}
	if ((!pi.comm[0] || rename) && comm_hint)
		snprintf(pi.comm, sizeof(pi.comm), "%s", comm_hint);
	if (!pid)
		snprintf(pi.comm, sizeof(pi.comm), "swapper");
	rec.u.proc.pid = pid;
	rec.u.proc.ppid = pi.ppid;
	rec.u.proc.uid = pi.uid;
	rec.u.proc.comm = pi.comm;
	rec.u.proc.cmdline = pi.cmdline;
	rec.u.proc.rank = pi.rank;
	rec.u.proc.local_rank = pi.local_rank;
	rec.u.proc.world_size = pi.world_size;
	rec.u.proc.cgroup_id = pi.cgroup_id;
	rec.u.proc.start_ts = rec_boottime_ns();
	ingero_writer_append(r->w, &rec);
}

void rec_write_process(struct rec *r, uint32_t pid, const char *comm_hint)
{
	write_process(r, pid, comm_hint, 0);
}

static void write_thread(struct rec *r, uint32_t pid, uint32_t tid, const char *rename)
{
	char path[64], name[32] = "";
	struct ingero_record rec = { .kind = INGERO_REC_THREAD };
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	fd = rename ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (rename)
		snprintf(name, sizeof(name), "%s", rename);
	if (fd >= 0) {
		ssize_t n = read(fd, name, sizeof(name) - 1);

		name[n > 0 ? n : 0] = 0;
		name[strcspn(name, "\n")] = 0;
		close(fd);
	}
	rec.u.thr.tid = tid;
	rec.u.thr.pid = pid;
	rec.u.thr.name = name;
	ingero_writer_append(r->w, &rec);
}

void rec_write_thread(struct rec *r, uint32_t pid, uint32_t tid)
{
	write_thread(r, pid, tid, NULL);
}

/* The name at the rename (the event's), not /proc's, which may be a later
 * one; the record counts as this generation's, so it is not written twice. */
void rec_on_rename(struct rec *r, uint32_t pid, uint32_t tid, const char *comm)
{
	if (tid == pid) {
		ig_map_put(&r->pids, pid, r->gen);
		r->pid_cache[pid & 63] = (uint64_t)r->gen << 32 | pid;
		write_process(r, pid, comm, 1);
	} else {
		rec_ensure_pid(r, pid, NULL);
		ig_map_put(&r->tids, tid, r->gen);
		r->tid_cache[tid & 255] = (uint64_t)r->gen << 32 | tid;
		write_thread(r, pid, tid, comm);
	}
}

void rec_on_rotate(void *ctx, struct ingero_writer *w)
{
	struct rec *r = ctx;
	struct ingero_record rec = { .kind = INGERO_REC_ANCHOR };

	/* metadata is re-emitted lazily in the new segment */
	r->gen++;
	r->sym.gen++;
	rec_anchor_now(&rec.u.anchor);
	ingero_writer_append(w, &rec);
}
