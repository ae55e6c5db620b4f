/*
 * record_probes.c - what the recorder attaches: the BPF object and its
 * tracepoints, and a uprobe + uretprobe pair on every CUDA runtime, driver
 * and NCCL function that formats/ops.def names (LIB and SYM columns; the
 * aliases with a PROBE value add another spelling, e.g. ncclBcast).
 * Libraries are found by scanning /proc/PID/maps, or given by --cuda-lib;
 * the cost of a probed call is measured at start for --overhead-budget.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record_int.h"
#include "rec_elf.h"
#include "../bpf/ingero_bpf.h"
#include "bpf/ingero.skel.h"

/* ---------------------------------------------------------- probe table */

struct probe_def {
	const char *sym;
	uint8_t src, op;         /* op as in the BPF cookie (alias bits or-ed in) */
	uint8_t lib;             /* INGERO_LIB_* */
	bool optional;           /* INGERO_OPF_OPT: the symbol may be missing */
};

static struct probe_def probes[REC_MAX_PROBES];
static size_t nprobes;

/* The probe list, from ops.def: every row with a probed symbol, then every
 * alias with a PROBE value (same library and flags as its op). */
static void probes_init(void)
{
	size_t n, na;
	const struct ingero_op_info *ops = ingero_ops(&n);
	const struct ingero_op_alias *al = ingero_op_aliases(&na);

	if (nprobes)
		return;
	for (size_t i = 0; i < n && nprobes < REC_MAX_PROBES; i++) {
		if (!ops[i].sym || ops[i].lib == INGERO_LIB_NONE || (ops[i].flags & INGERO_OPF_LEGACY))
			continue;
		probes[nprobes++] = (struct probe_def){ ops[i].sym, ops[i].source, ops[i].op,
							ops[i].lib, ops[i].flags & INGERO_OPF_OPT };
	}
	for (size_t i = 0; i < na && nprobes < REC_MAX_PROBES; i++) {
		const struct ingero_op_info *op = ingero_op_info(al[i].source, al[i].op);

		if (al[i].probe < 0 || !op || op->lib == INGERO_LIB_NONE)
			continue;
		probes[nprobes++] = (struct probe_def){ al[i].name, al[i].source,
							(uint8_t)(al[i].op | al[i].probe), op->lib,
							op->flags & INGERO_OPF_OPT };
	}
}

/* Costs measured on this VM for the issue (docs/recorder.md), per call:
 * entry probe (emulated or single-stepped first instruction) + uretprobe.
 * rec_calibrate() replaces them with a measurement at startup. */
#define COST_EMULATED_NS 5500
#define COST_STEPPED_NS 19000
#define COST_URETPROBE_NS 12000

/* ------------------------------------------------- library discovery */

static int lib_kind(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strncmp(b, "libcudart.so", 12))
		return INGERO_LIB_CUDART;
	if (!strncmp(b, "libcuda.so", 10))
		return INGERO_LIB_CUDA;
	if (!strncmp(b, "libnccl.so", 10))
		return INGERO_LIB_NCCL;
	return 0;
}

static struct lib *find_lib(struct rec *r, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < r->nlibs; i++)
		if (r->libs[i].dev == dev && r->libs[i].ino == ino)
			return &r->libs[i];
	return NULL;
}

/*
 * uprobe_multi (Linux 6.6+): one link per library and direction instead of
 * one perf event per function.  Tearing down a perf-event uprobe costs
 * ~0.1 s of kernel synchronization each here, so 44 of them made a clean stop
 * take seconds.  Our libbpf (1.1) predates the API: raw BPF_LINK_CREATE.
 * The attach type's value is read from the kernel's BTF (absent = fall back).
 */
static int probe_uprobe_multi(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id, v = 0;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_TRACE_UPROBE_MULTI"))
				v = e[i].val;
	}
	btf__free(btf);
	return v;
}

struct uprobe_multi_attr {     /* union bpf_attr, BPF_LINK_CREATE, uprobe_multi */
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, mflags, pid, pad;
	uint8_t rest[64];
};

static int uprobe_multi_link(int type, int prog_fd, const char *path, const uint64_t *offs,
			     const uint64_t *cookies, uint32_t n, bool ret)
{
	struct uprobe_multi_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = type;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offs;
	a.cookies = (uintptr_t)cookies;
	a.cnt = n;
	a.mflags = ret ? 1 /* BPF_F_UPROBE_MULTI_RETURN */ : 0;
	return syscall(__NR_bpf, 28 /* BPF_LINK_CREATE */, &a, sizeof(a));
}

/*
 * Measure what a probed call costs on this kernel right now: probe a
 * function of our own binary (cookie 0: the BPF programs return at once
 * for the recorder itself) and time calls to it.  The issue's figures
 * (5.5 / 19 + 12 us) were taken under load; idle, this VM does ~1.3 us.
 */
/* two probe targets: one starting with an instruction the kernel emulates
 * (push %rbp), one it must single-step (lea) */
__asm__(".text\n"
	".globl ingero_calib_emulated\n.type ingero_calib_emulated,@function\n"
	"ingero_calib_emulated:\n\tpush %rbp\n\tmov %rsp,%rbp\n\tlea 1(%rdi),%eax\n"
	"\tpop %rbp\n\tret\n.size ingero_calib_emulated, .-ingero_calib_emulated\n"
	".globl ingero_calib_stepped\n.type ingero_calib_stepped,@function\n"
	"ingero_calib_stepped:\n\tlea 1(%rdi),%eax\n\tret\n"
	".size ingero_calib_stepped, .-ingero_calib_stepped\n");
int ingero_calib_emulated(int x);
int ingero_calib_stepped(int x);

/* ns per call of fn with an entry and a return probe on symbol `name`; 0 on failure */
static uint32_t calib_one(struct rec *r, struct rec_elf *e, const char *self, const char *name,
			  int (*fn)(int))
{
	const struct rec_elf_sym *sym = rec_elf_find_name(e, name);
	uint64_t off, cookie = 0, t0, t1;
	struct bpf_link *le = NULL, *lr = NULL;
	int fe = -1, fr = -1, ok;
	volatile int sink = 0;
	const int calls = 5000;
	uint32_t per = 0;

	if (!sym || rec_elf_vaddr_to_off(e, sym->addr, &off))
		return 0;
	if (r->uprobe_multi_type) {
		fe = uprobe_multi_link(r->uprobe_multi_type,
				       bpf_program__fd(r->skel->progs.uprobe_entry), self, &off,
				       &cookie, 1, false);
		fr = uprobe_multi_link(r->uprobe_multi_type,
				       bpf_program__fd(r->skel->progs.uprobe_return), self, &off,
				       &cookie, 1, true);
		ok = fe >= 0 && fr >= 0;
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, uo);

		le = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_entry, 0, self, off, &uo);
		uo.retprobe = true;
		lr = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_return, 0, self, off, &uo);
		ok = le && lr;
	}
	if (ok) {
		t0 = rec_monotonic_ns();
		for (int i = 0; i < calls; i++)
			sink += fn(i);
		t1 = rec_monotonic_ns();
		per = (t1 - t0) / calls;
	}
	if (fe >= 0)
		close(fe);
	if (fr >= 0)
		close(fr);
	bpf_link__destroy(le);
	bpf_link__destroy(lr);
	(void)sink;
	return per;
}

/*
 * Measure what a probed call costs on this kernel right now (the BPF
 * programs return at once for the recorder's own calls, cookie 0), for
 * both instruction classes.  The issue's figures (5.5 or 19 us + 12 us) are
 * the fallback; they were taken under load (idle, this VM does ~1.3 us).
 */
void rec_calibrate(struct rec *r)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct rec_elf *e;
	uint32_t em, st;

	r->cost_emulated = COST_EMULATED_NS + COST_URETPROBE_NS;
	r->cost_stepped = COST_STEPPED_NS + COST_URETPROBE_NS;
	if (n <= 0)
		return;
	self[n] = 0;
	e = rec_elf_open(self);
	if (!e)
		return;
	em = calib_one(r, e, self, "ingero_calib_emulated", ingero_calib_emulated);
	st = calib_one(r, e, self, "ingero_calib_stepped", ingero_calib_stepped);
	rec_elf_free(e);
	if (em)
		r->cost_emulated = em;
	if (st)
		r->cost_stepped = st > em ? st : em;
}

/* Attach every known function the file exports.  kinds = LIB_* to try. */
static int attach_lib(struct rec *r, const char *path, uint64_t dev, uint64_t ino, int kinds)
{
	struct rec_elf *e;
	struct lib *l;
	int attached = 0, fd;
	char missing[512] = "";

	probes_init();
	if (r->nlibs == r->caplibs) {
		int nc = r->caplibs ? r->caplibs * 2 : 8;
		void *nv = realloc(r->libs, nc * sizeof(*r->libs));

		if (!nv)
			return -1;
		r->libs = nv;
		r->caplibs = nc;
	}
	l = &r->libs[r->nlibs++];
	memset(l, 0, sizeof(*l));
	l->dev = dev;
	l->ino = ino;
	l->kinds = kinds;
	l->multi_fd[0] = l->multi_fd[1] = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
	e = rec_elf_open(path);
	if (!e) {
		rec_note(r, 1, "cannot read symbols of '%s': %s: skipped", path, strerror(errno));
		return -1;
	}
	uint64_t moffs[REC_MAX_PROBES], mcookies[REC_MAX_PROBES];
	uint32_t nm = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < nprobes; i++) {
		const struct probe_def *p = &probes[i];
		const struct rec_elf_sym *s;
		uint64_t off;
		uint8_t insn[8] = { 0 };
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *le, *lr;
		uint32_t cost;

		if (!(p->lib & kinds) || (p->lib == INGERO_LIB_NCCL && !r->o.nccl))
			continue;
		s = rec_elf_find_name(e, p->sym);
		if (!s || rec_elf_vaddr_to_off(e, s->addr, &off)) {
			if (!p->optional && (kinds & ~p->lib) == 0) {
				size_t n = strlen(missing);

				snprintf(missing + n, sizeof(missing) - n, "%s%s", n ? ", " : "",
					 p->sym);
			}
			continue;
		}
		if (fd >= 0 && pread(fd, insn, sizeof(insn), off) != sizeof(insn))
			memset(insn, 0, sizeof(insn));
		cost = rec_elf_insn_emulated(insn) ? r->cost_emulated : r->cost_stepped;
		if (cost > r->op_cost[p->src][p->op % INGERO_OP_MAX])
			r->op_cost[p->src][p->op % INGERO_OP_MAX] = cost;
		if (r->uprobe_multi_type) {
			moffs[nm] = off;
			mcookies[nm++] = IBPF_COOKIE(p->src, p->op);
			continue;
		}
		uo.bpf_cookie = IBPF_COOKIE(p->src, p->op);
		le = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_entry, -1, path, off, &uo);
		uo.retprobe = true;
		lr = le ? bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_return, -1, path,
							  off, &uo) : NULL;
		if (!le || !lr) {
			rec_note(r, 1, "cannot attach uprobe %s in '%s': %s", p->sym, path,
			     strerror(errno));
			bpf_link__destroy(le);
			continue;
		}
		l->links[l->nlinks++] = le;
		l->links[l->nlinks++] = lr;
		attached++;
	}
	if (nm) {
		l->multi_fd[0] = uprobe_multi_link(r->uprobe_multi_type,
						   bpf_program__fd(r->skel->progs.uprobe_entry),
						   path, moffs, mcookies, nm, false);
		l->multi_fd[1] = l->multi_fd[0] < 0 ? -1 :
			uprobe_multi_link(r->uprobe_multi_type,
					  bpf_program__fd(r->skel->progs.uprobe_return), path, moffs,
					  mcookies, nm, true);
		if (l->multi_fd[1] < 0) {
			rec_note(r, 1, "cannot attach uprobes in '%s': %s", path, strerror(errno));
			if (l->multi_fd[0] >= 0)
				close(l->multi_fd[0]);
			l->multi_fd[0] = -1;
		} else {
			attached = nm;
		}
	}
	if (fd >= 0)
		close(fd);
	rec_elf_free(e);
	if (missing[0])
		rec_note(r, 0, "'%s' lacks %s: not probed", path, missing);
	rec_note(r, 0, "attached %d probes to '%s'", attached, path);
	return attached;
}

int rec_attach_cuda_lib(struct rec *r, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, PROG ": cannot open --cuda-lib '%s': %s: give the path of "
			"a libcudart/libcuda/libnccl file\n", path, strerror(errno));
		return -1;
	}
	if (!find_lib(r, st.st_dev, st.st_ino))
		attach_lib(r, path, st.st_dev, st.st_ino,
			   INGERO_LIB_CUDART | INGERO_LIB_CUDA | INGERO_LIB_NCCL);
	return 0;
}

void rec_detach_all(struct rec *r)
{
	for (int i = 0; i < r->nlibs; i++) {
		for (int j = 0; j < r->libs[i].nlinks; j++)
			bpf_link__destroy(r->libs[i].links[j]);
		for (int j = 0; j < 2; j++)
			if (r->libs[i].multi_fd[j] >= 0)
				close(r->libs[i].multi_fd[j]);
	}
	free(r->libs);
	r->libs = NULL;
	r->nlibs = r->caplibs = 0;
}

struct scan_ctx {
	struct rec *r;
	uint32_t pid;
	int found;
};

static int scan_map(void *ctx, const struct rec_mapping *m)
{
	struct scan_ctx *sc = ctx;
	struct rec *r = sc->r;
	int kind;
	char alt[600];
	const char *path = m->path;
	struct stat st;

	if (m->path[0] != '/')
		return 0;
	if (r->o.ncuda_libs) {
		for (int i = 0; i < r->nlibs; i++)
			if (r->libs[i].dev == m->dev && r->libs[i].ino == m->ino)
				sc->found |= 1;
		return 0;
	}
	kind = lib_kind(m->path);
	if (!kind || (kind == INGERO_LIB_NCCL && !r->o.nccl))
		return 0;
	if (kind != INGERO_LIB_NCCL)
		sc->found |= 1;
	if (find_lib(r, m->dev, m->ino))
		return 0;
	/* the process may live in another mount namespace */
	if (stat(path, &st) || st.st_dev != m->dev || st.st_ino != m->ino) {
		snprintf(alt, sizeof(alt), "/proc/%u/root%s", sc->pid, m->path);
		path = alt;
	}
	attach_lib(r, path, m->dev, m->ino, kind == INGERO_LIB_CUDART ? INGERO_LIB_CUDART : kind);
	return 0;
}

void rec_add_target(struct rec *r, uint32_t pid, uint8_t why)
{
	int fd = bpf_map__fd(r->skel->maps.traced);

	if (ig_map_get(&r->targets, pid))
		return;
	ig_map_put(&r->targets, pid, why);
	bpf_map_update_elem(fd, &pid, &why, BPF_NOEXIST);
	rec_ensure_pid(r, pid, NULL);
	if (r->o.stack)
		rec_sym_preload(&r->sym, pid);
}

static bool pid_selected(struct rec *r, uint32_t pid)
{
	if (!r->o.npids)
		return true;
	for (int i = 0; i < r->o.npids; i++)
		if (r->o.pids[i] == pid)
			return true;
	return ig_map_get(&r->targets, pid) != NULL;  /* followed children */
}

/* Walk /proc: attach new CUDA libraries, register target processes.
 * Returns the number of processes mapping a CUDA library. */
int rec_scan(struct rec *r)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	uint32_t self = getpid();

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		struct scan_ctx sc = { r, pid, 0 };

		if (*end || !pid || pid == self || !pid_selected(r, pid))
			continue;
		if (r->o.uid >= 0) {
			char p[64];
			struct stat st;

			snprintf(p, sizeof(p), "/proc/%lu", pid);
			if (stat(p, &st) || (int)st.st_uid != r->o.uid)
				continue;
		}
		rec_maps_foreach(pid, scan_map, &sc);
		if (sc.found) {
			n++;
			rec_add_target(r, pid, IBPF_TRACED_PID);
		}
	}
	closedir(d);
	return n;
}

/* -------------------------------------------------------- BPF setup */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && (ig_verbose || getenv("INGERO_BPF_DEBUG")))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("INGERO_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int rec_preflight(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, PROG ": kernel BTF not found at /sys/kernel/btf/vmlinux: use a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels "
			"since 2020)\n");
		return -1;
	}
	return 0;
}

static void perm_error(int err)
{
	/* as root, EACCES is the verifier refusing a program, not a permission */
	if (err == -EPERM || geteuid() != 0)
		fprintf(stderr, PROG ": permission denied loading BPF programs: run as root "
			"(sudo ingero-record ...) or grant CAP_BPF and CAP_PERFMON\n");
	else
		fprintf(stderr, PROG ": cannot load BPF programs: %s: run 'ingero-record check' "
			"(set INGERO_BPF_DEBUG=1 for the verifier log)\n", strerror(-err));
}

static int attach_tp(struct rec *r, struct bpf_program *p, struct bpf_link **l, bool required)
{
	*l = bpf_program__attach(p);
	if (*l)
		return 0;
	if (required) {
		perm_error(-errno);
		return -1;
	}
	rec_note(r, 1, "tracepoint %s unavailable: %s", bpf_program__name(p), strerror(errno));
	return 0;
}

int rec_setup_bpf(struct rec *r)
{
	struct ingero_bpf *s;
	int err;

	libbpf_set_print(libbpf_quiet);
	s = ingero_bpf__open();
	if (!s) {
		perm_error(-errno);
		return -1;
	}
	r->skel = s;
	s->rodata->stack_mode = r->o.stack;
	s->rodata->filter_uprobes = r->o.npids > 0;
	s->rodata->target_uid = r->o.uid >= 0 ? (uint32_t)r->o.uid : (uint32_t)-1;
	s->rodata->self_tgid = getpid();
	s->rodata->wake_bytes = r->o.ringbuf / 4;
	bpf_map__set_max_entries(s->maps.rb, r->o.ringbuf);
	if (!getenv("INGERO_NO_UPROBE_MULTI"))
		r->uprobe_multi_type = probe_uprobe_multi();
	if (r->uprobe_multi_type) {
		bpf_program__set_expected_attach_type(s->progs.uprobe_entry, r->uprobe_multi_type);
		bpf_program__set_expected_attach_type(s->progs.uprobe_return, r->uprobe_multi_type);
	}
	if (r->o.stack == IBPF_STACK_OFF)
		bpf_map__set_max_entries(s->maps.stacks, 1);
	bpf_program__set_autoload(s->progs.on_sched_switch, !r->o.no_sched);
	bpf_program__set_autoload(s->progs.on_sched_wakeup, !r->o.no_sched);
	bpf_program__set_autoload(s->progs.on_block_issue, !r->o.no_io);
	bpf_program__set_autoload(s->progs.on_block_complete, !r->o.no_io);
	err = ingero_bpf__load(s);
	if (err) {
		perm_error(err);
		return -1;
	}
	if ((!r->o.no_sched &&
	     (attach_tp(r, s->progs.on_sched_switch, &s->links.on_sched_switch, true) ||
	      attach_tp(r, s->progs.on_sched_wakeup, &s->links.on_sched_wakeup, false))) ||
	    attach_tp(r, s->progs.on_exec, &s->links.on_exec, true) ||
	    attach_tp(r, s->progs.on_exit, &s->links.on_exit, true) ||
	    attach_tp(r, s->progs.on_fork, &s->links.on_fork, true) ||
	    attach_tp(r, s->progs.on_rename, &s->links.on_rename, false) ||
	    attach_tp(r, s->progs.on_page_alloc, &s->links.on_page_alloc, false) ||
	    attach_tp(r, s->progs.on_mark_victim, &s->links.on_mark_victim, false) ||
	    (!r->o.no_io &&
	     (attach_tp(r, s->progs.on_block_issue, &s->links.on_block_issue, false) ||
	      attach_tp(r, s->progs.on_block_complete, &s->links.on_block_complete, false))))
		return -1;
	r->rb = ring_buffer__new(bpf_map__fd(s->maps.rb), rec_handle_event, r, NULL);
	if (!r->rb) {
		fprintf(stderr, PROG ": cannot open the ring buffer: %s\n", strerror(errno));
		return -1;
	}
	rec_sym_init(&r->sym, NULL, bpf_map__fd(s->maps.stacks));
	return 0;
}
