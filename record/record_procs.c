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

void rec_write_process(struct rec *r, uint32_t pid, const char *comm_hint)
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
	if (!pi.comm[0] && comm_hint)
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

void rec_write_thread(struct rec *r, uint32_t pid, uint32_t tid)
{
	char path[64], name[32] = "";
	struct ingero_record rec = { .kind = INGERO_REC_THREAD };
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
