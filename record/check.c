/* check.c - `ingero-record check [--json]`: is this host ready to record?
 *
 * Every item is pass / fail (required) / warn (optional, failed) with a value,
 * a detail line and, when not passing, a concrete fix.  Exit 0 when every
 * required item passes, 1 otherwise.  Nothing here needs root: items that
 * can only be verified with privileges say so. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ingero.h"
#include "check.h"
#include "record.h"
#include "rec_py.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define MAX_ITEMS 32
#define MAX_FOUND 64

struct found {
	char path[PATH_MAX];
	char how[96];
};

struct cuda_proc {
	int pid;
	char comm[32];
	char libs[64];
	int py_minor;        /* CPython 3.minor mapped, 0 none */
};

static struct check_item *add(struct check_item *it, int *n, const char *name, int optional)
{
	struct check_item *c = &it[(*n)++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->optional = optional;
	return c;
}

__attribute__((format(printf, 3, 4)))
static void setf(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}
#define SET(field, ...) setf(field, sizeof(field), __VA_ARGS__)

/* first line of a small file, trailing whitespace stripped; -1 if unreadable */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	size_t l = strlen(buf);
	while (l && isspace((unsigned char)buf[l - 1]))
		buf[--l] = 0;
	return 0;
}

static uint64_t effective_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (uint64_t)d[0].effective | ((uint64_t)d[1].effective << 32);
}

static int has_cap(uint64_t caps, int cap)
{
	return (caps >> cap) & 1;
}

/* ------------------------------------------------------- library discovery */

static void found_add(struct found *f, int *nf, const char *path, const char *how)
{
	char real[PATH_MAX];
	const char *p = realpath(path, real) ? real : path;
	for (int i = 0; i < *nf; i++)
		if (!strcmp(f[i].path, p))
			return;
	if (*nf >= MAX_FOUND)
		return;
	snprintf(f[*nf].path, sizeof(f[*nf].path), "%s", p);
	snprintf(f[*nf].how, sizeof(f[*nf].how), "%s", how);
	(*nf)++;
}

/* does the basename of path start with prefix ("libcudart.so")? */
static int lib_match(const char *path, const char *prefix)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return !strncmp(b, prefix, strlen(prefix));
}

static void scan_ldconfig(const char *prefix, struct found *f, int *nf)
{
	const char *cmds[] = { "/sbin/ldconfig -p 2>/dev/null", "ldconfig -p 2>/dev/null" };
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		FILE *p = popen(cmds[c], "r");
		if (!p)
			continue;
		char line[1024];
		int got = 0;
		while (fgets(line, sizeof(line), p)) {
			got = 1;
			char *arrow = strstr(line, "=> ");
			if (!arrow)
				continue;
			char *path = arrow + 3;
			path[strcspn(path, "\n")] = 0;
			if (strstr(line, "x86-64") && lib_match(path, prefix))
				found_add(f, nf, path, "ldconfig");
		}
		pclose(p);
		if (got)
			return;
	}
}

static void scan_glob(const char *dirpat, const char *prefix, const char *how,
		      struct found *f, int *nf)
{
	char pat[PATH_MAX];
	snprintf(pat, sizeof(pat), "%s/%s*", dirpat, prefix);
	glob_t g;
	if (glob(pat, GLOB_BRACE | GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;
			if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
				found_add(f, nf, g.gl_pathv[i], how);
		}
	}
	globfree(&g);
}

static void scan_pathlist(const char *env, const char *prefix, struct found *f, int *nf)
{
	const char *v = getenv(env);
	if (!v || !*v)
		return;
	char *copy = strdup(v), *save = NULL;
	if (!copy)
		return;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
		scan_glob(d, prefix, env, f, nf);
	free(copy);
}

static const char *sys_dirs[] = {
	"/usr/local/cuda/lib64", "/usr/local/cuda-*/lib64",
	"/usr/local/cuda*/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
	"/usr/lib/wsl/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
	"/opt/conda/lib", "/opt/conda/envs/*/lib", "/root/{miniconda3,anaconda3,miniforge3}/lib",
	"/root/{miniconda3,anaconda3,miniforge3}/envs/*/lib",
	"/home/*/{miniconda3,anaconda3,miniforge3}/lib",
	"/home/*/{miniconda3,anaconda3,miniforge3}/envs/*/lib",
};
/* roots under which a <root>/python3.X/{site,dist}-packages/nvidia/<pkg>/lib
 * (pip wheels: nvidia-cuda-runtime-cu12, nvidia-nccl-cu12, ...) may live */
static const char *py_roots[] = {
	"/usr/lib", "/usr/local/lib", "/opt/conda/lib", "/opt/conda/envs/*/lib",
	"/root/.local/lib", "/home/*/.local/lib", "/root/*/lib", "/root/*/*/lib",
	"/home/*/*/lib", "/home/*/*/*/lib", "/opt/*/lib", "/opt/*/*/lib", "/srv/*/lib",
	"/workspace/*/lib", "/root/{miniconda3,anaconda3,miniforge3}/envs/*/lib",
	"/home/*/{miniconda3,anaconda3,miniforge3}/envs/*/lib",
};

static void find_lib(const char *prefix, struct found *f, int *nf)
{
	*nf = 0;
	scan_pathlist("INGERO_CUDA_LIB_PATH", prefix, f, nf);
	scan_pathlist("LD_LIBRARY_PATH", prefix, f, nf);
	const char *homes[] = { "CUDA_HOME", "CUDA_PATH" };
	for (size_t i = 0; i < 2; i++) {
		const char *h = getenv(homes[i]);
		if (h && *h) {
			char d[PATH_MAX];
			snprintf(d, sizeof(d), "%s/{lib64,lib}", h);
			scan_glob(d, prefix, homes[i], f, nf);
		}
	}
	scan_ldconfig(prefix, f, nf);
	for (size_t i = 0; i < sizeof(sys_dirs) / sizeof(sys_dirs[0]); i++)
		scan_glob(sys_dirs[i], prefix, "path", f, nf);
	for (size_t i = 0; i < sizeof(py_roots) / sizeof(py_roots[0]); i++) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%s/python3*/{site,dist}-packages/nvidia/*/lib", py_roots[i]);
		scan_glob(d, prefix, "site-packages", f, nf);
	}
}

/* processes mapping a CUDA library; libraries seen there go to f */
static int scan_procs(struct cuda_proc *cp, int max, int *total,
		      struct found *fr, int *nfr, struct found *fd, int *nfd,
		      struct found *fn, int *nfn)
{
	DIR *d = opendir("/proc");
	int n = 0;
	*total = 0;
	if (!d)
		return 0;
	struct dirent *de;
	int self = (int)getpid();
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int pid = atoi(de->d_name);
		if (pid == self)
			continue;
		char path[64], line[PATH_MAX + 256];
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		FILE *m = fopen(path, "r");
		if (!m)
			continue;
		int rt = 0, drv = 0, nc = 0;
		while (fgets(line, sizeof(line), m)) {
			char *p = strchr(line, '/');
			if (!p)
				continue;
			p[strcspn(p, "\n")] = 0;
			char *del = strstr(p, " (deleted)");
			if (del)
				*del = 0;
			char how[96];
			snprintf(how, sizeof(how), "mapped by pid %d", pid);
			if (lib_match(p, "libcudart.so")) {
				rt = 1;
				found_add(fr, nfr, p, how);
			} else if (lib_match(p, "libcuda.so")) {
				drv = 1;
				found_add(fd, nfd, p, how);
			} else if (lib_match(p, "libnccl.so")) {
				nc = 1;
				found_add(fn, nfn, p, how);
			}
		}
		fclose(m);
		if (!rt && !drv && !nc)
			continue;
		if (!rt && !drv)
			continue;
		(*total)++;
		if (n >= max)
			continue;
		cp[n].pid = pid;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_line(path, cp[n].comm, sizeof(cp[n].comm)) != 0)
			snprintf(cp[n].comm, sizeof(cp[n].comm), "?");
		snprintf(cp[n].libs, sizeof(cp[n].libs), "%s%s%s", rt ? "cudart" : "",
			 rt && drv ? "+" : "", drv ? "cuda" : "");
		if (nc)
			strncat(cp[n].libs, "+nccl", sizeof(cp[n].libs) - strlen(cp[n].libs) - 1);
		cp[n].py_minor = rec_py_process_version((uint32_t)pid, NULL, 0);
		n++;
	}
	closedir(d);
	return n;
}

static void lib_item(struct check_item *c, const char *what, struct found *f, int nf,
		     const char *fix)
{
	if (nf == 0) {
		c->pass = 0;
		SET(c->value, "not found");
		SET(c->detail, "searched ldconfig, LD_LIBRARY_PATH, CUDA_HOME, INGERO_CUDA_LIB_PATH, "
		    "system, conda and pip site-packages paths, and /proc/*/maps");
		SET(c->recommendation, "%s", fix);
		return;
	}
	c->pass = 1;
	SET(c->value, "%d found: %s", nf, f[0].path);
	size_t off = 0;
	for (int i = 0; i < nf && off < sizeof(c->detail) - 1; i++) {
		int w = snprintf(c->detail + off, sizeof(c->detail) - off, "%s%s (%s)",
				 i ? "; " : "", f[i].path, f[i].how);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off >= sizeof(c->detail) - 1)
		memcpy(c->detail + sizeof(c->detail) - 4, "...", 4);
	(void)what;
}

static int libbpf_quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l; (void)fmt; (void)ap;
	return 0;
}

/* --------------------------------------------------------------- the checks */

int check_run(struct check_item **items)
{
	struct check_item *it = calloc(MAX_ITEMS, sizeof(*it));
	struct found *fr = calloc(MAX_FOUND, sizeof(*fr));
	struct found *fd = calloc(MAX_FOUND, sizeof(*fd));
	struct found *fn = calloc(MAX_FOUND, sizeof(*fn));
	struct cuda_proc *cp = calloc(64, sizeof(*cp));
	if (!it || !fr || !fd || !fn || !cp) {
		free(it); free(fr); free(fd); free(fn); free(cp);
		return -1;
	}
	int n = 0;
	struct check_item *c;
	char buf[512];
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_quiet);

	/* kernel */
	struct utsname u;
	int kmaj = 0, kmin = 0;
	uname(&u);
	sscanf(u.release, "%d.%d", &kmaj, &kmin);
	int kver = kmaj * 1000 + kmin;
	c = add(it, &n, "Kernel version", 0);
	SET(c->value, "%s", u.release);
	c->pass = kver >= 5008;
	SET(c->detail, "%s %s %s; ring buffer and tp_btf need >= 5.8", u.sysname, u.release,
	    u.machine);
	if (!c->pass)
		SET(c->recommendation, "upgrade to a kernel >= 5.8 (>= 5.15 recommended)");

	/* BTF */
	struct stat st;
	c = add(it, &n, "BTF", 0);
	if (stat("/sys/kernel/btf/vmlinux", &st) == 0) {
		c->pass = 1;
		SET(c->value, "/sys/kernel/btf/vmlinux (%lld KiB)", (long long)st.st_size / 1024);
		SET(c->detail, "kernel type information for CO-RE relocations and tp_btf");
	} else {
		SET(c->value, "missing");
		SET(c->detail, "/sys/kernel/btf/vmlinux: %s", strerror(errno));
		SET(c->recommendation, "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian/"
		    "Ubuntu/RHEL >= 8.2 kernels have it); on Ubuntu install linux-image-generic");
	}

	/* privileges */
	uint64_t caps = effective_caps();
	int privileged = has_cap(caps, CAP_SYS_ADMIN) ||
			 (has_cap(caps, CAP_BPF) && has_cap(caps, CAP_PERFMON));
	c = add(it, &n, "BPF permissions", 0);
	c->pass = privileged;
	if (geteuid() == 0 && has_cap(caps, CAP_SYS_ADMIN))
		SET(c->value, "root");
	else if (privileged)
		SET(c->value, "uid %d with %s", (int)geteuid(),
		    has_cap(caps, CAP_SYS_ADMIN) ? "CAP_SYS_ADMIN" : "CAP_BPF+CAP_PERFMON");
	else
		SET(c->value, "uid %d without CAP_BPF+CAP_PERFMON", (int)geteuid());
	SET(c->detail, "effective capabilities 0x%llx (CAP_BPF %s, CAP_PERFMON %s, "
	    "CAP_SYS_ADMIN %s)", (unsigned long long)caps, has_cap(caps, CAP_BPF) ? "yes" : "no",
	    has_cap(caps, CAP_PERFMON) ? "yes" : "no", has_cap(caps, CAP_SYS_ADMIN) ? "yes" : "no");
	if (!privileged)
		SET(c->recommendation, "run as root (sudo ingero-record ...) or grant "
		    "capabilities: sudo setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search+ep "
		    "$(command -v ingero-record)");

	/* BPF actually works (only verifiable with privileges) */
	c = add(it, &n, "BPF program load", !privileged);
	if (privileged) {
		int kp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, NULL);
		int rb = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
		c->pass = kp == 1 && rb == 1;
		SET(c->value, "%s", c->pass ? "ok" : "failed");
		SET(c->detail, "a test uprobe-type program %s, ring buffer maps %s",
		    kp == 1 ? "loads" : "does not load", rb == 1 ? "work" : "unsupported");
		if (!c->pass)
			SET(c->recommendation, "BPF is blocked here (seccomp in a container, kernel "
			    "lockdown, or kernel.unprivileged_bpf_disabled): run on the host or in a "
			    "--privileged container");
	} else {
		SET(c->value, "not checked");
		SET(c->detail, "loading a test program needs BPF permissions");
		SET(c->recommendation, "re-run 'ingero-record check' as root");
	}

	/* uprobe PMU */
	c = add(it, &n, "uprobe support", 0);
	if (read_line("/sys/bus/event_source/devices/uprobe/type", buf, sizeof(buf)) == 0) {
		c->pass = 1;
		SET(c->value, "perf PMU type %s", buf);
		int ret = access("/sys/bus/event_source/devices/uprobe/format/retprobe", F_OK) == 0;
		SET(c->detail, "perf_event uprobe PMU present, uretprobes %s",
		    ret ? "supported" : "UNKNOWN (no format/retprobe)");
	} else {
		SET(c->value, "missing");
		SET(c->detail, "/sys/bus/event_source/devices/uprobe/type not readable");
		SET(c->recommendation, "use a kernel with CONFIG_UPROBE_EVENTS=y (all major "
		    "distributions enable it)");
	}

	/* tp_btf: the raw tracepoints we attach, as BTF typedefs btf_trace_<tp> */
	c = add(it, &n, "tracepoint support (tp_btf)", 0);
	{
		static const char *tps[] = { "sched_switch", "sched_wakeup", "sched_process_fork",
					     "sched_process_exec", "sched_process_exit", "task_rename",
					     "mm_page_alloc", "mark_victim", "block_rq_issue",
					     "block_rq_complete" };
		struct btf *btf = btf__load_vmlinux_btf();
		if (!btf) {
			SET(c->value, "not verifiable (no BTF)");
			SET(c->detail, "tp_btf programs need vmlinux BTF");
			SET(c->recommendation, "see the BTF item");
		} else {
			char missing[256] = "";
			int nmiss = 0;
			for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
				char tn[64];
				snprintf(tn, sizeof(tn), "btf_trace_%s", tps[i]);
				if (btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) < 0) {
					nmiss++;
					strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
					strncat(missing, tps[i], sizeof(missing) - strlen(missing) - 1);
				}
			}
			int have_switch = btf__find_by_name_kind(btf, "btf_trace_sched_switch",
								  BTF_KIND_TYPEDEF) >= 0;
			btf__free(btf);
			c->pass = have_switch;
			SET(c->value, "%zu/%zu tracepoints", sizeof(tps) / sizeof(tps[0]) - (size_t)nmiss,
			    sizeof(tps) / sizeof(tps[0]));
			if (nmiss)
				SET(c->detail, "missing in BTF:%s (their events are not recorded)", missing);
			else
				SET(c->detail, "sched, process, mm_page_alloc, oom and block tracepoints "
				    "have BTF types");
			if (!have_switch)
				SET(c->recommendation, "kernel lacks btf_trace_sched_switch: use a kernel "
				    ">= 5.5 with CONFIG_DEBUG_INFO_BTF=y");
		}
	}

	/* tracefs: optional; we attach through perf and tp_btf */
	c = add(it, &n, "tracefs", 1);
	{
		FILE *m = fopen("/proc/mounts", "r");
		char line[1024], where[512] = "";
		while (m && fgets(line, sizeof(line), m)) {
			char dev[256], mnt[512], type[64];
			if (sscanf(line, "%255s %511s %63s", dev, mnt, type) == 3 &&
			    !strcmp(type, "tracefs")) {
				snprintf(where, sizeof(where), "%s", mnt);
				break;
			}
		}
		if (m)
			fclose(m);
		c->pass = where[0] != 0;
		SET(c->value, "%s", c->pass ? where : "not mounted");
		SET(c->detail, "not needed by ingero-record (perf uprobe PMU and tp_btf); used by "
		    "bpftrace and perf");
		if (!c->pass)
			SET(c->recommendation, "optional: mount -t tracefs nodev /sys/kernel/tracing");
	}

	/* CUDA libraries and processes */
	int nfr = 0, nfd = 0, nfn = 0, total = 0;
	find_lib("libcudart.so", fr, &nfr);
	find_lib("libcuda.so", fd, &nfd);
	find_lib("libnccl.so", fn, &nfn);
	int ncp = scan_procs(cp, 64, &total, fr, &nfr, fd, &nfd, fn, &nfn);

	c = add(it, &n, "CUDA runtime (libcudart)", 1);
	lib_item(c, "libcudart", fr, nfr, "install the CUDA runtime (pip install "
		 "nvidia-cuda-runtime-cu12, or the CUDA toolkit), or point ingero-record at it "
		 "with --cuda-lib PATH; the recorder also attaches when a process loads one later");
	c = add(it, &n, "CUDA driver (libcuda)", 1);
	lib_item(c, "libcuda", fd, nfd, "install the NVIDIA driver (libcuda.so.1 comes with it); "
		 "without it only runtime calls are traced");
	c = add(it, &n, "NCCL (libnccl)", 1);
	lib_item(c, "libnccl", fn, nfn, "only needed for --nccl (multi-GPU jobs): pip install "
		 "nvidia-nccl-cu12");

	c = add(it, &n, "CUDA processes", 1);
	c->pass = total > 0;
	SET(c->value, "%d running", total);
	{
		size_t off = 0;
		for (int i = 0; i < ncp && off < sizeof(c->detail) - 64; i++) {
			int w = snprintf(c->detail + off, sizeof(c->detail) - off, "%s%d (%s, %s)",
					 i ? "; " : "", cp[i].pid, cp[i].comm, cp[i].libs);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		if (total > ncp || off >= sizeof(c->detail) - 64)
			strncat(c->detail, "; ...", sizeof(c->detail) - strlen(c->detail) - 1);
		if (!total)
			SET(c->detail, "no process maps libcudart or libcuda right now%s",
			    privileged ? "" : " (other users' processes are invisible without root)");
	}
	if (!c->pass)
		SET(c->recommendation, "start your workload; by default ingero-record attaches to "
		    "every process that maps libcudart/libcuda, or use --pid");

	c = add(it, &n, "Python (CUDA processes)", 1);
	c->pass = 1;
	{
		int npy = 0, nwalk = 0;
		size_t off = 0;
		for (int i = 0; i < ncp; i++) {
			if (cp[i].py_minor <= 0)
				continue;
			const struct rec_py_offsets *o = rec_py_offsets(cp[i].py_minor);
			int walk = o && o->frames_supported;
			npy++;
			nwalk += walk;
			if (off < sizeof(c->detail) - 96) {
				int w = snprintf(c->detail + off, sizeof(c->detail) - off,
						 "%s%d (%s): CPython 3.%d%s", off ? "; " : "", cp[i].pid,
						 cp[i].comm, cp[i].py_minor, walk ? "" : " (no frame offsets)");
				if (w > 0)
					off += (size_t)w;
			}
		}
		SET(c->value, "%d of %d", npy, ncp);
		if (!npy)
			SET(c->detail, "%s", ncp ? "no CUDA process maps libpython3.X or a python3.X binary"
			    : "no CUDA process running");
		else if (nwalk < npy)
			SET(c->recommendation, "Python frames are known for CPython 3.10-3.12; other "
			    "versions get native stacks only");
	}

	/* NVIDIA driver and GPU */
	c = add(it, &n, "NVIDIA driver", 1);
	if (read_line("/proc/driver/nvidia/version", buf, sizeof(buf)) == 0) {
		char *k = strstr(buf, "Kernel Module");
		char ver[64] = "";
		if (k)
			sscanf(k + strlen("Kernel Module"), " %63s", ver);
		if (!ver[0]) {
			/* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14 ..." variants */
			for (char *p = buf; *p; p++)
				if (isdigit((unsigned char)*p) && strchr(p, '.')) {
					sscanf(p, "%63s", ver);
					break;
				}
		}
		int major = atoi(ver);
		c->pass = 1;
		SET(c->value, "%s", ver[0] ? ver : "loaded");
		SET(c->detail, "%s", buf);
		if (major && major < 550)
			SET(c->recommendation, "driver %s is older than 550: tracing works, but "
			    "upgrading is recommended", ver);
	} else {
		SET(c->value, "not loaded");
		SET(c->detail, "/proc/driver/nvidia/version absent (fine for fake-CUDA tests and "
		    "offline analysis)");
		SET(c->recommendation, "on a GPU node install the NVIDIA driver (>= 550 "
		    "recommended)");
	}

	c = add(it, &n, "GPU", 1);
	{
		glob_t g;
		int ngpu = 0;
		char model[512] = "";
		if (glob("/proc/driver/nvidia/gpus/*/information", 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				FILE *f = fopen(g.gl_pathv[i], "r");
				char line[512];
				ngpu++;
				while (f && fgets(line, sizeof(line), f))
					if (!strncmp(line, "Model:", 6) && !model[0]) {
						char *p = line + 6;
						while (*p == ' ' || *p == '\t')
							p++;
						p[strcspn(p, "\n")] = 0;
						snprintf(model, sizeof(model), "%s", p);
					}
				if (f)
					fclose(f);
			}
		}
		globfree(&g);
		c->pass = ngpu > 0;
		if (ngpu)
			SET(c->value, "%d x %s", ngpu, model[0] ? model : "NVIDIA GPU");
		else
			SET(c->value, "none");
		SET(c->detail, "from /proc/driver/nvidia/gpus/*/information");
		if (!ngpu)
			SET(c->recommendation, "no NVIDIA GPU visible: recording real CUDA needs one "
			    "(tests use the fake libraries in testdata/)");
	}

	/* sysctls and limits */
	c = add(it, &n, "kernel.perf_event_paranoid", 1);
	if (read_line("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) == 0) {
		int v = atoi(buf);
		c->pass = privileged || has_cap(caps, CAP_PERFMON) || v <= 1;
		SET(c->value, "%d", v);
		SET(c->detail, "%s", privileged ? "does not apply with CAP_PERFMON/CAP_SYS_ADMIN"
			: "applies to unprivileged perf_event_open");
		if (!c->pass)
			SET(c->recommendation, "run as root, or grant CAP_PERFMON (lowering "
			    "kernel.perf_event_paranoid alone is not enough for BPF)");
	} else {
		c->pass = 1;
		SET(c->value, "unknown");
	}

	c = add(it, &n, "kernel.yama.ptrace_scope", 1);
	if (read_line("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) == 0) {
		int v = atoi(buf);
		c->pass = v < 3;
		SET(c->value, "%d", v);
		SET(c->detail, "uprobes are not ptrace; reading other processes' maps and "
		    "environment (RANK, LOCAL_RANK, WORLD_SIZE) needs ptrace read access");
		if (!c->pass)
			SET(c->recommendation, "ptrace_scope 3 cannot be lowered without a reboot; "
			    "rank variables of other processes may be unreadable");
		else if (v >= 1 && geteuid() != 0)
			SET(c->recommendation, "run as root (or with CAP_SYS_PTRACE) to read rank "
			    "variables of other users' processes");
	} else {
		c->pass = 1;
		SET(c->value, "yama not enabled");
		SET(c->detail, "no Yama LSM: ptrace read access follows normal permissions");
	}

	c = add(it, &n, "memlock rlimit", 1);
	{
		struct rlimit rl;
		getrlimit(RLIMIT_MEMLOCK, &rl);
		int memcg = kver >= 5011;
		if (rl.rlim_cur == RLIM_INFINITY)
			SET(c->value, "unlimited");
		else
			SET(c->value, "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
		c->pass = memcg || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (64ull << 20);
		SET(c->detail, "%s", memcg ? "not used for BPF maps since 5.11 (memcg accounting)"
			: "BPF maps are charged against RLIMIT_MEMLOCK before 5.11");
		if (!c->pass)
			SET(c->recommendation, "ulimit -l unlimited (the recorder also raises it "
			    "itself when root)");
	}

	libbpf_set_print(old_print);
	free(fr); free(fd); free(fn); free(cp);
	*items = it;
	return n;
}

int check_all_required_pass(const struct check_item *it, int n)
{
	for (int i = 0; i < n; i++)
		if (!it[i].optional && !it[i].pass)
			return 0;
	return 1;
}

void check_print_text(FILE *f, const struct check_item *it, int n)
{
	int np = 0, nf = 0, nw = 0;
	fprintf(f, "ingero-record %s: host readiness\n\n", INGERO_VERSION);
	for (int i = 0; i < n; i++) {
		const struct check_item *c = &it[i];
		const char *mark = c->pass ? "[\u2713]" : c->optional ? "[~]" : "[\u2717]";
		c->pass ? np++ : c->optional ? nw++ : nf++;
		fprintf(f, "%s %s: %s\n", mark, c->name, c->value);
		if (c->detail[0])
			fprintf(f, "      %s\n", c->detail);
		if (c->recommendation[0])
			fprintf(f, "      Recommendation: %s\n", c->recommendation);
	}
	fprintf(f, "\n%d checks: %d passed, %d failed, %d warnings. %s\n", n, np, nf, nw,
		nf ? "Not ready: fix the items marked [\u2717]." : "Ready to record.");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void check_print_json(FILE *f, const struct check_item *it, int n)
{
	fputs("[\n", f);
	for (int i = 0; i < n; i++) {
		const struct check_item *c = &it[i];
		fputs("  {\"name\": ", f);
		json_str(f, c->name);
		fprintf(f, ", \"pass\": %s", c->pass ? "true" : "false");
		if (c->optional)
			fputs(", \"optional\": true", f);
		if (c->value[0]) {
			fputs(", \"value\": ", f);
			json_str(f, c->value);
		}
		if (c->detail[0]) {
			fputs(", \"detail\": ", f);
			json_str(f, c->detail);
		}
		if (c->recommendation[0]) {
			fputs(", \"recommendation\": ", f);
			json_str(f, c->recommendation);
		}
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]\n", f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-record check [--json]\n"
		"Checks whether this host can record: kernel, BTF, BPF permissions, uprobe and\n"
		"tracepoint support, CUDA/NCCL libraries and processes, NVIDIA driver and GPU,\n"
		"sysctls and limits.  Each failing item says how to fix it.\n"
		"  --json   print a JSON array of {name, pass, optional, value, detail,\n"
		"           recommendation} instead of text\n"
		"Exit status: 0 if every required item passes, 1 otherwise, 2 usage error.\n"
		"Extra library directories can be given in INGERO_CUDA_LIB_PATH (colon list).\n");
}

int cmd_check(int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "ingero-record: check: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return INGERO_EXIT_USAGE;
		}
	}
	struct check_item *it = NULL;
	int n = check_run(&it);
	if (n < 0) {
		fprintf(stderr, "ingero-record: check: out of memory\n");
		return 1;
	}
	if (json)
		check_print_json(stdout, it, n);
	else
		check_print_text(stdout, it, n);
	int ok = check_all_required_pass(it, n);
	free(it);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "ingero-record: check: cannot write output: %s\n", strerror(errno));
		return 1;
	}
	return ok ? 0 : 1;
}
