/* rec_proc.c - see rec_proc.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "rec_proc.h"

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, t = 0;

	if (fd < 0)
		return -1;
	/* a short read is the end: procfs fills what was asked for (seq_file,
	 * cmdline, environ), so no second read() to see 0 (syscalls are dear
	 * in a VM; this runs for every new process and every second) */
	while ((size_t)t < len - 1 && (n = read(fd, buf + t, len - 1 - t)) > 0) {
		t += n;
		if ((size_t)n < len - 1 - (size_t)(t - n))
			break;
	}
	close(fd);
	buf[t] = 0;
	return t;
}

void rec_proc_parse_env(const char *env, size_t len, struct rec_procinfo *pi)
{
	size_t i = 0;

	while (i < len) {
		const char *v = env + i;
		size_t l = strnlen(v, len - i);

		if (!strncmp(v, "RANK=", 5))
			pi->rank = atoi(v + 5);
		else if (!strncmp(v, "LOCAL_RANK=", 11))
			pi->local_rank = atoi(v + 11);
		else if (!strncmp(v, "WORLD_SIZE=", 11))
			pi->world_size = atoi(v + 11);
		i += l + 1;
	}
}

int rec_proc_info(const char *root, uint32_t pid, struct rec_procinfo *pi)
{
	char path[256], buf[4096];
	ssize_t n;
	char *p;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->rank = pi->local_rank = pi->world_size = -1;
	snprintf(path, sizeof(path), "%s/%u/status", root, pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if ((p = strstr(buf, "\nPPid:")))
		pi->ppid = strtoul(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nUid:")))
		pi->uid = strtoul(p + 5, NULL, 10);
	snprintf(path, sizeof(path), "%s/%u/comm", root, pid);
	if (read_file(path, pi->comm, sizeof(pi->comm)) > 0)
		pi->comm[strcspn(pi->comm, "\n")] = 0;
	snprintf(path, sizeof(path), "%s/%u/cmdline", root, pid);
	n = read_file(path, pi->cmdline, sizeof(pi->cmdline));
	for (ssize_t i = 0; i < n; i++)
		if (!pi->cmdline[i])
			pi->cmdline[i] = ' ';
	while (n > 0 && pi->cmdline[n - 1] == ' ')
		pi->cmdline[--n] = 0;
	snprintf(path, sizeof(path), "%s/%u/environ", root, pid);
	{
		static char env[65536];
		ssize_t m = read_file(path, env, sizeof(env));

		if (m > 0)
			rec_proc_parse_env(env, m, pi);
	}
	snprintf(path, sizeof(path), "%s/%u/cgroup", root, pid);
	if (read_file(path, buf, sizeof(buf)) > 0) {
		/* the cgroup v2 line ("0::PATH"); its directory inode is the id
		 * BPF's bpf_get_current_cgroup_id() reports */
		char *l = !strncmp(buf, "0::", 3) ? buf : strstr(buf, "\n0::");
		static const char *const mnt[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
		/* which of the two is cgroup2, looked up once per recorder (it was
		 * two statfs calls per process: every task that preempts a target
		 * gets a PROCESS record, dozens a second on a busy machine) */
		static int cg2[2] = { -1, -1 };

		if (l && *l == '\n')
			l++;
		for (int i = 0; l && i < 2 && !pi->cgroup_id; i++) {
			struct statfs sf;
			struct stat st;
			char cg[4352];

			if (cg2[i] < 0)
				cg2[i] = !statfs(mnt[i], &sf) && sf.f_type == 0x63677270; /* CGROUP2 */
			l[strcspn(l, "\n")] = 0;
			snprintf(cg, sizeof(cg), "%s%s", mnt[i], l + 3);
			if (cg2[i] && !stat(cg, &st))
				pi->cgroup_id = st.st_ino;
		}
	}
	return 0;
}

int rec_maps_parse_line(char *line, struct rec_mapping *m)
{
	unsigned maj, min;
	unsigned long long start, end, off, ino;
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, m->perms, &off, &maj,
		   &min, &ino, &pos) < 7)
		return -1;
	m->start = start;
	m->end = end;
	m->off = off;
	m->dev = makedev(maj, min);
	m->ino = ino;
	m->path = pos ? line + pos : "";
	line[strcspn(line, "\n")] = 0;
	return 0;
}

int rec_maps_foreach(uint32_t pid, int (*fn)(void *ctx, const struct rec_mapping *m), void *ctx)
{
	char path[64], line[4608];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct rec_mapping m;

		if (rec_maps_parse_line(line, &m))
			continue;
		if (fn(ctx, &m))
			break;
	}
	fclose(f);
	return 0;
}

static uint64_t meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

int rec_sys_sample(struct rec_sys_state *st, struct ingero_sys *out)
{
	char buf[8192];
	unsigned long long v[10] = { 0 };
	uint64_t busy, total, iow;
	char *p;

	memset(out, 0, sizeof(*out));
	out->ts = rec_boottime_ns();
	if (read_file("/proc/stat", buf, sizeof(buf)) < 0)
		return -1;
	sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	       &v[4], &v[5], &v[6], &v[7]);
	if ((p = strstr(buf, "\nctxt ")))
		out->ctxt = strtoull(p + 6, NULL, 10);
	iow = v[4];
	total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	busy = total - v[3] - v[4]; /* iowait counts as idle */
	if (st->primed && total > st->total) {
		out->cpu_pct = 100.0 * (double)(busy - st->busy) / (double)(total - st->total);
		out->iowait_pct = 100.0 * (double)(iow - st->iowait) / (double)(total - st->total);
	}
	st->busy = busy;
	st->total = total;
	st->iowait = iow;
	st->primed = 1;
	if (read_file("/proc/meminfo", buf, sizeof(buf)) > 0) {
		uint64_t tot = meminfo_kb(buf, "MemTotal:"), av = meminfo_kb(buf, "MemAvailable:");
		uint64_t sw = meminfo_kb(buf, "SwapTotal:") - meminfo_kb(buf, "SwapFree:");

		out->mem_pct = tot ? 100.0 * (double)(tot - av) / (double)tot : 0;
		out->mem_avail_mb = av / 1024;
		out->swap_used_mb = sw / 1024;
	}
	if (read_file("/proc/loadavg", buf, sizeof(buf)) > 0)
		out->load1 = strtod(buf, NULL);
	if (read_file("/proc/vmstat", buf, sizeof(buf)) > 0 && (p = strstr(buf, "pgmajfault ")))
		out->pgmajfault = strtoull(p + 11, NULL, 10);
	return 0;
}

static uint64_t ts_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

uint64_t rec_boottime_ns(void)
{
	return ts_ns(CLOCK_BOOTTIME);
}

uint64_t rec_monotonic_ns(void)
{
	return ts_ns(CLOCK_MONOTONIC);
}

void rec_anchor_now(struct ingero_anchor *a)
{
	struct timex tx = { 0 };

	/* realtime in the middle: its error against the others is half the gap */
	a->boottime = ts_ns(CLOCK_BOOTTIME);
	a->realtime = ts_ns(CLOCK_REALTIME);
	a->monotonic = ts_ns(CLOCK_MONOTONIC);
	a->error_ns = 0;
	if (adjtimex(&tx) >= 0 && tx.maxerror > 0)
		a->error_ns = (uint64_t)tx.maxerror * 1000;
}
