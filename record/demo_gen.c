/* demo_gen.c - generator core: PRNG, per-node writer state, metadata
 * (processes, threads, modules, symbols, stacks), time-ordered emission of
 * events interleaved with the 1 Hz ANCHOR/SYS and GPU records. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void demo_rng_seed(struct demo_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	r->has_spare = 0;
	r->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t demo_rng_next(struct demo_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double demo_rng_unit(struct demo_rng *r)
{
	return (double)(demo_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t demo_rng_below(struct demo_rng *r, uint64_t n)
{
	return n ? (uint64_t)(demo_rng_unit(r) * (double)n) % n : 0;
}

/* Box-Muller in Marsaglia's polar form (no trigonometry); the second
 * value of each pair is kept for the next call. */
double demo_rng_normal(struct demo_rng *r)
{
	double u, v, q;
	if (r->has_spare) {
		r->has_spare = 0;
		return r->spare;
	}
	do {
		u = 2 * demo_rng_unit(r) - 1;
		v = 2 * demo_rng_unit(r) - 1;
		q = u * u + v * v;
	} while (q >= 1 || q == 0);
	double m = sqrt(-2.0 * log(q) / q);
	r->spare = v * m;
	r->has_spare = 1;
	return u * m;
}

uint64_t demo_lognorm(struct demo_rng *r, double median_ns, double sigma)
{
	double z = demo_rng_normal(r);
	if (z > 4.5)
		z = 4.5; /* bound the tail: durations stay plausible */
	if (z < -4.5)
		z = -4.5;
	double v = median_ns * exp(sigma * z);
	return v < 1 ? 1 : (uint64_t)v;
}

uint64_t demo_jitter(struct demo_rng *r, double base_ns, double p)
{
	double v = base_ns * (1.0 - p + 2.0 * p * demo_rng_unit(r));
	return v < 1 ? 1 : (uint64_t)v;
}

uint64_t demo_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return splitmix64(&h);
}

/* ------------------------------------------------------------- records */

static void append(struct demo_node *n, int kind, const struct ingero_record *src)
{
	struct ingero_record r = *src;
	r.kind = kind;
	r.node = 0;
	if (n->err)
		return;
	int rc = ingero_writer_append(n->w, &r);
	if (rc < 0)
		n->err = rc;
}

static void emit_proc(struct demo_node *n, int i)
{
	struct ingero_record r = { 0 };
	r.u.proc = n->procs[i];
	append(n, INGERO_REC_PROCESS, &r);
}

static void emit_thread(struct demo_node *n, int i)
{
	struct ingero_record r = { 0 };
	r.u.thr = n->thr[i];
	append(n, INGERO_REC_THREAD, &r);
}

static void emit_module(struct demo_node *n, int i)
{
	struct ingero_record r = { 0 };
	r.u.mod = n->mods[i];
	append(n, INGERO_REC_MODULE, &r);
}

static void emit_symbol(struct demo_node *n, int i)
{
	struct ingero_record r = { 0 };
	r.u.sym = n->syms[i];
	append(n, INGERO_REC_SYMBOL, &r);
}

static void emit_stack(struct demo_node *n, int i)
{
	struct ingero_record r = { 0 };
	r.u.stack = &n->stacks[i];
	append(n, INGERO_REC_STACK, &r);
}

/* A new segment starts: repeat what a reader of that segment alone needs. */
static void on_rotate(void *ctx, struct ingero_writer *w)
{
	struct demo_node *n = ctx;
	(void)w;
	for (int i = 0; i < n->nprocs; i++)
		emit_proc(n, i);
	for (int i = 0; i < n->nthr; i++)
		emit_thread(n, i);
	for (int i = 0; i < n->nmods; i++)
		emit_module(n, i);
	for (int i = 0; i < n->nsyms; i++)
		emit_symbol(n, i);
	for (int i = 0; i < n->nstacks; i++)
		emit_stack(n, i);
	if (n->last_anchor.boottime) {
		struct ingero_record r = { 0 };
		r.u.anchor = n->last_anchor;
		append(n, INGERO_REC_ANCHOR, &r);
	}
}

void demo_add_process(struct demo_node *n, uint32_t pid, uint32_t ppid, const char *comm,
		      const char *cmdline, int rank, int local_rank, int world, uint64_t ts)
{
	if (n->nprocs >= DEMO_MAX_PROCS)
		return;
	int i = n->nprocs++;
	snprintf(n->proc_str[i][0], sizeof(n->proc_str[i][0]), "%s", comm);
	snprintf(n->proc_str[i][1], sizeof(n->proc_str[i][1]), "%s", cmdline);
	struct ingero_process *p = &n->procs[i];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->uid = pid < 1000 || ppid == 1 ? 0 : 1000;
	p->comm = n->proc_str[i][0];
	p->cmdline = n->proc_str[i][1];
	p->rank = rank;
	p->local_rank = local_rank;
	p->world_size = world;
	p->cgroup_id = 0x1000 + (demo_hash(comm, 7) & 0xffff);
	p->start_ts = ts;
	emit_proc(n, i);
}

void demo_add_thread(struct demo_node *n, uint32_t tid, uint32_t pid, const char *name)
{
	if (n->nthr >= DEMO_MAX_THREADS)
		return;
	int i = n->nthr++;
	snprintf(n->thr_name[i], sizeof(n->thr_name[i]), "%s", name);
	n->thr[i].tid = tid;
	n->thr[i].pid = pid;
	n->thr[i].name = n->thr_name[i];
	emit_thread(n, i);
}

/* ------------------------------------------------- modules and stacks */

enum { M_PY, M_SCRIPT, M_TORCH, M_CUDART, M_NCCL, M_COUNT };

static const struct {
	const char *path;
	uint64_t start, size;
} mod_tab[M_COUNT] = {
	{ "/usr/bin/python3.11", 0x555555554000ULL, 0x6b4000 },
	{ NULL /* the script: Python frames */, 0x7e5000000000ULL, 0x10000 },
	{ "/opt/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so",
	  0x7f3a10000000ULL, 0x4c000000 },
	{ "/opt/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12",
	  0x7f3a60000000ULL, 0xa0000 },
	{ "/opt/venv/lib/python3.11/site-packages/nvidia/nccl/lib/libnccl.so.2",
	  0x7f3a70000000ULL, 0x10000000 },
};

static const struct {
	int mod;
	const char *name;
	uint64_t off;
} sym_tab[] = {
	{ M_PY, "_PyEval_EvalFrameDefault", 0x1a2b30 },
	{ M_PY, "Py_RunMain", 0x2c4100 },
	{ M_SCRIPT, "main", 0x100 },
	{ M_SCRIPT, "train_step", 0x200 },
	{ M_SCRIPT, "forward", 0x300 },
	{ M_SCRIPT, "backward", 0x400 },
	{ M_SCRIPT, "optimizer_step", 0x500 },
	{ M_SCRIPT, "load_batch", 0x600 },
	{ M_SCRIPT, "serve_request", 0x700 },
	{ M_SCRIPT, "allreduce_grads", 0x800 },
	{ M_TORCH, "at::native::gpu_kernel_impl", 0x1b5f2c0 },
	{ M_TORCH, "at::native::copy_kernel_cuda", 0x1c03a40 },
	{ M_TORCH, "c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::malloc",
	  0x0a12f00 },
	{ M_TORCH, "c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::"
		   "release_cached_blocks", 0x0a19c80 },
	{ M_TORCH, "c10d::ProcessGroupNCCL::allreduce", 0x2f41e00 },
	{ M_TORCH, "at::native::_local_scalar_dense_cuda", 0x1d22a10 },
	{ M_TORCH, "at::native::_fused_adam_kernel_cuda_", 0x2a01b40 },
	{ M_CUDART, "cudaLaunchKernel", 0x71e40 },
	{ M_CUDART, "cudaMemcpy", 0x78b10 },
	{ M_CUDART, "cudaStreamSynchronize", 0x6f3d0 },
	{ M_CUDART, "cudaMalloc", 0x5e8a0 },
	{ M_CUDART, "cudaFree", 0x5f1c0 },
	{ M_NCCL, "ncclAllReduce", 0x5a3f0 },
};
#define NSYMTAB (int)(sizeof(sym_tab) / sizeof(sym_tab[0]))

/* call sites, innermost frame first */
static const char *const site_tab[SITE_MAX][8] = {
	[SITE_LAUNCH_FWD] = { "cudaLaunchKernel", "at::native::gpu_kernel_impl", "forward",
			      "train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_LAUNCH_BWD] = { "cudaLaunchKernel", "at::native::gpu_kernel_impl", "backward",
			      "train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_LAUNCH_OPT] = { "cudaLaunchKernel", "at::native::_fused_adam_kernel_cuda_",
			      "optimizer_step", "train_step", "main",
			      "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_MEMCPY_H2D] = { "cudaMemcpy", "at::native::copy_kernel_cuda", "load_batch",
			      "train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_MEMCPY_D2H] = { "cudaMemcpy", "at::native::_local_scalar_dense_cuda",
			      "train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_SYNC] = { "cudaStreamSynchronize", "at::native::_local_scalar_dense_cuda",
			"train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_MALLOC] = { "cudaMalloc",
			  "c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::malloc",
			  "forward", "train_step", "main", "_PyEval_EvalFrameDefault",
			  "Py_RunMain" },
	[SITE_FREE] = { "cudaFree",
			"c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::"
			"release_cached_blocks", "train_step", "main",
			"_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_NCCL] = { "ncclAllReduce", "c10d::ProcessGroupNCCL::allreduce", "allreduce_grads",
			"train_step", "main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_INFER_LAUNCH] = { "cudaLaunchKernel", "at::native::gpu_kernel_impl", "forward",
				"serve_request", "main", "_PyEval_EvalFrameDefault",
				"Py_RunMain" },
	[SITE_INFER_MEMCPY] = { "cudaMemcpy", "at::native::copy_kernel_cuda", "serve_request",
				"main", "_PyEval_EvalFrameDefault", "Py_RunMain" },
	[SITE_INFER_SYNC] = { "cudaStreamSynchronize", "at::native::_local_scalar_dense_cuda",
			      "serve_request", "main", "_PyEval_EvalFrameDefault",
			      "Py_RunMain" },
};

static uint64_t build_id(const char *path, char *out, size_t len)
{
	uint64_t a = demo_hash(path, 1), b = demo_hash(path, 2), c = demo_hash(path, 3);
	snprintf(out, len, "%016llx%016llx%08llx", (unsigned long long)a,
		 (unsigned long long)b, (unsigned long long)(c & 0xffffffffULL));
	return a;
}

void demo_add_cudaproc(struct demo_node *n, struct demo_cudaproc *cp, uint32_t pid,
		       const char *script)
{
	int mod_idx[M_COUNT], sym_idx[NSYMTAB];
	/* per-process ASLR shift, page aligned */
	uint64_t aslr = (demo_hash(n->name, pid) & 0xfffULL) << 21;

	memset(cp, 0, sizeof(*cp));
	cp->pid = pid;
	for (int m = 0; m < M_COUNT; m++) {
		mod_idx[m] = -1;
		if (n->nmods >= DEMO_MAX_MODS)
			continue;
		int i = n->nmods++;
		mod_idx[m] = i;
		const char *path = mod_tab[m].path ? mod_tab[m].path : script;
		snprintf(n->mod_str[i][0], sizeof(n->mod_str[i][0]), "%s", path);
		struct ingero_module *md = &n->mods[i];
		md->id = (uint64_t)i + 1;
		md->pid = pid;
		md->start = mod_tab[m].start + (m == M_PY ? 0 : aslr);
		md->end = md->start + mod_tab[m].size;
		md->file_offset = 0;
		md->path = n->mod_str[i][0];
		if (mod_tab[m].path)
			build_id(path, n->mod_str[i][1], sizeof(n->mod_str[i][1]));
		else
			n->mod_str[i][1][0] = 0;
		md->build_id = n->mod_str[i][1];
		emit_module(n, i);
	}
	for (int s = 0; s < NSYMTAB; s++) {
		sym_idx[s] = -1;
		if (n->nsyms >= DEMO_MAX_SYMS || mod_idx[sym_tab[s].mod] < 0)
			continue;
		int i = n->nsyms++;
		sym_idx[s] = i;
		n->syms[i].id = (uint64_t)i + 1;
		n->syms[i].module_id = n->mods[mod_idx[sym_tab[s].mod]].id;
		n->syms[i].offset = sym_tab[s].off;
		n->syms[i].name = sym_tab[s].name;
		emit_symbol(n, i);
	}
	for (int site = 0; site < SITE_MAX; site++) {
		if (n->nstacks >= DEMO_MAX_STACKS)
			break;
		int i = n->nstacks++;
		struct ingero_stack *st = &n->stacks[i];
		memset(st, 0, sizeof(*st));
		st->id = (uint64_t)i + 1;
		st->pid = pid;
		for (int f = 0; f < 8 && site_tab[site][f]; f++) {
			int s;
			for (s = 0; s < NSYMTAB; s++)
				if (!strcmp(sym_tab[s].name, site_tab[site][f]))
					break;
			if (s == NSYMTAB || sym_idx[s] < 0)
				continue;
			const struct ingero_symbol *sy = &n->syms[sym_idx[s]];
			const struct ingero_module *md = &n->mods[mod_idx[sym_tab[s].mod]];
			uint32_t off = f == 0 ? 0 : 0x1b + (uint32_t)(demo_hash(site_tab[site][f],
						       (uint64_t)site) % 0x180);
			st->ips[st->depth] = md->start + sy->offset + off;
			st->syms[st->depth] = sy->id;
			st->offs[st->depth] = off;
			st->depth++;
		}
		cp->stack[site] = st->id;
		emit_stack(n, i);
	}
	cp->stream = 0x55d0c3a1e800ULL + ((uint64_t)pid << 12);
	for (int k = 0; k < 8; k++)
		cp->kernels[k] = n->mods[mod_idx[M_TORCH]].start + 0x3000000 + 0x1c40ULL * (k + 1);
	cp->next_ptr = 0x7f2c00000000ULL + ((uint64_t)(pid & 0xff) << 32);
}

void demo_set_phase(struct demo_node *n, uint64_t from, double cpu, double load,
		    double ctxt_per_s, double gpu_util, double gpu_mem_mb)
{
	if (n->nphases == n->phcap) {
		int nc = n->phcap ? n->phcap * 2 : 16;
		struct demo_phase *np = realloc(n->phases, (size_t)nc * sizeof(*np));
		if (!np) {
			if (!n->err)
				n->err = INGERO_ENOMEM;
			return;
		}
		n->phases = np;
		n->phcap = nc;
	}
	struct demo_phase *p = &n->phases[n->nphases++];
	p->from = from;
	p->cpu_pct = cpu;
	p->load = load;
	p->ctxt_per_s = ctxt_per_s;
	p->gpu_util = gpu_util;
	p->gpu_mem_mb = gpu_mem_mb;
}

/* --------------------------------------------------------------- ticks */

/* ticks only move forward, so a cursor finds the phase in force */
static const struct demo_phase *phase_at(struct demo_node *n, uint64_t t)
{
	static const struct demo_phase dflt = { 0, 30, 2, 20000, 85, 30000 };
	while (n->phcur + 1 < n->nphases && n->phases[n->phcur + 1].from <= t)
		n->phcur++;
	if (n->nphases == 0 || n->phases[n->phcur].from > t)
		return &dflt;
	return &n->phases[n->phcur];
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void emit_anchor(struct demo_node *n, uint64_t bt)
{
	struct ingero_record r = { 0 };
	uint64_t true_ns = bt + n->boot_unix;
	double err = (double)n->off_ns +
		     n->drift_ppm * 1e-6 * ((double)true_ns - (double)n->t0_unix);
	r.u.anchor.boottime = bt;
	/* realtime is read ~0.1-0.9 us after boottime */
	r.u.anchor.realtime = (uint64_t)((int64_t)true_ns + (int64_t)llround(err) +
					 100 + (int64_t)demo_rng_below(&n->rng, 800));
	r.u.anchor.monotonic = bt - n->suspend_ns + 40 + demo_rng_below(&n->rng, 80);
	r.u.anchor.error_ns = (900 + demo_rng_below(&n->rng, 200)) * NS_US;
	n->last_anchor = r.u.anchor;
	append(n, INGERO_REC_ANCHOR, &r);
}

static void emit_tick(struct demo_node *n, uint64_t t)
{
	const struct demo_phase *p = phase_at(n, t);
	struct ingero_record r = { 0 };
	struct demo_rng *g = &n->rng;

	if (n->tick_no > 0) /* the writer emits the header's anchor at the start */
		emit_anchor(n, t);
	n->load = n->load * exp(-1.0 / 60) + p->load * (1 - exp(-1.0 / 60));
	n->ctxt += (uint64_t)(p->ctxt_per_s * (0.95 + 0.1 * demo_rng_unit(g)));
	if (demo_rng_below(g, 10) == 0)
		n->pgmaj += 1 + demo_rng_below(g, 3);
	r.u.sys.ts = t;
	r.u.sys.cpu_pct = clampd(p->cpu_pct + 1.5 * demo_rng_normal(g), 0, 100);
	r.u.sys.mem_pct = 41.0 + 0.5 * demo_rng_unit(g);
	r.u.sys.mem_avail_mb = (uint64_t)(515000.0 * (1 - r.u.sys.mem_pct / 100));
	r.u.sys.swap_used_mb = 0;
	r.u.sys.load1 = n->load;
	r.u.sys.iowait_pct = 0.2 + 0.3 * demo_rng_unit(g);
	r.u.sys.pgmajfault = n->pgmaj;
	r.u.sys.ctxt = n->ctxt;
	append(n, INGERO_REC_SYS, &r);
	if (n->has_gpu && n->tick_no % 2 == 0) {
		memset(&r, 0, sizeof(r));
		r.u.gpu.ts = t + 500 * NS_MS / 1000; /* NVML is polled 0.5 ms later */
		r.u.gpu.index = 0;
		r.u.gpu.util_pct = clampd(p->gpu_util + 2 * demo_rng_normal(g), 0, 100);
		r.u.gpu.mem_total_mb = 81559;
		r.u.gpu.mem_used_mb = (uint64_t)(p->gpu_mem_mb + 50 * demo_rng_unit(g));
		r.u.gpu.sm_clock_mhz = n->gpu_sm_mhz ? n->gpu_sm_mhz : 1980;
		r.u.gpu.mem_clock_mhz = 2619;
		r.u.gpu.throttle_reasons = n->gpu_throttle;
		r.u.gpu.temp_c = 58 + (uint32_t)(p->gpu_util / 10) + (uint32_t)demo_rng_below(g, 3) +
				 (n->gpu_throttle ? 24 : 0);
		r.u.gpu.power_w = 120 + 5.5 * r.u.gpu.util_pct;
		append(n, INGERO_REC_GPU, &r);
	}
	n->tick_no++;
	n->tick_next = n->t_start + n->tick_no * NS_S;
}

/* ----------------------------------------------------------- emission */

void demo_ev(struct demo_node *n, const struct ingero_event *ev)
{
	if (n->n == n->cap) {
		size_t nc = n->cap ? n->cap * 2 : 256;
		struct ingero_event *nb = realloc(n->buf, nc * sizeof(*nb));
		if (!nb) {
			if (!n->err)
				n->err = INGERO_ENOMEM;
			return;
		}
		n->buf = nb;
		n->cap = nc;
	}
	/* insertion from the back: events arrive nearly in order */
	size_t i = n->n;
	while (i > 0 && n->buf[i - 1].ts > ev->ts)
		i--;
	if (i < n->n)
		memmove(&n->buf[i + 1], &n->buf[i], (n->n - i) * sizeof(*ev));
	n->buf[i] = *ev;
	n->n++;
	if (ev->ts + ev->dur > n->max_end)
		n->max_end = ev->ts + ev->dur;
	n->ngen++;
}

void demo_call(struct demo_node *n, const struct demo_cudaproc *cp, uint32_t tid,
	       uint32_t cpu, int source, int op, uint64_t ts, uint64_t dur, int site,
	       uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct ingero_event ev = { 0 };
	ev.ts = ts;
	ev.dur = dur;
	ev.pid = cp->pid;
	ev.tid = tid;
	ev.source = (uint8_t)source;
	ev.op = (uint8_t)op;
	ev.cpu = cpu;
	ev.stack_id = site >= 0 ? cp->stack[site] : 0;
	ev.arg[0] = a0;
	ev.arg[1] = a1;
	ev.arg[2] = a2;
	demo_ev(n, &ev);
}

void demo_offcpu(struct demo_node *n, uint32_t pid, uint32_t tid, uint32_t cpu,
		 uint64_t ts, uint64_t dur, uint64_t state, uint32_t by_pid, uint32_t by_tid)
{
	struct ingero_event ev = { 0 };
	ev.ts = ts;
	ev.dur = dur;
	ev.pid = pid;
	ev.tid = tid;
	ev.source = INGERO_SRC_HOST;
	ev.op = INGERO_HOST_SCHED_SWITCH;
	ev.cpu = cpu;
	ev.arg[0] = state;
	ev.arg[1] = by_pid;
	ev.arg[2] = by_tid;
	demo_ev(n, &ev);
}

static void out_event(struct demo_node *n, const struct ingero_event *ev)
{
	if (n->err)
		return;
	int rc = ingero_writer_event(n->w, ev);
	if (rc < 0)
		n->err = rc;
	n->nout++;
}

static void flush(struct demo_node *n, uint64_t wm, int ticks_to_wm)
{
	size_t i = 0;
	while (i < n->n && n->buf[i].ts < wm) {
		while (n->tick_next <= n->buf[i].ts)
			emit_tick(n, n->tick_next);
		out_event(n, &n->buf[i]);
		i++;
	}
	while (ticks_to_wm && n->tick_next < wm)
		emit_tick(n, n->tick_next);
	if (i) {
		memmove(n->buf, n->buf + i, (n->n - i) * sizeof(*n->buf));
		n->n -= i;
	}
}

void demo_flush_until(struct demo_node *n, uint64_t wm)
{
	flush(n, wm, 1);
}

/* ------------------------------------------------------- node lifecycle */

static int mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Remove segments of an earlier run so the directory holds one recording. */
static void clear_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[8192];
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (!strncmp(e->d_name, "seg-", 4) && l > 4 && !strcmp(e->d_name + l - 4, ".igz")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
}

int demo_node_init(struct demo_node *n, const struct demo_opts *o, const char *dir,
		   const char *name, int rank, uint64_t seed, uint64_t start_unix,
		   uint64_t uptime_ns, int64_t off_ns, double drift_ppm,
		   const char *recorder, const char *cmdline, struct ingero_error *err)
{
	struct ingero_writer_opts wo = { 0 };
	uint64_t h;

	memset(n, 0, sizeof(*n));
	demo_rng_seed(&n->rng, seed ^ demo_hash(name, 0x6e6f6465));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	n->rank = rank;
	if (rank >= 0)
		snprintf(n->host, sizeof(n->host), "gpu-%s.cluster.local", name);
	else
		snprintf(n->host, sizeof(n->host), "gpu-workstation-01");
	h = demo_hash(name, seed);
	uint64_t h2 = demo_hash(name, seed + 1);
	snprintf(n->boot_id, sizeof(n->boot_id), "%08llx-%04llx-4%03llx-a%03llx-%012llx",
		 (unsigned long long)(h >> 32), (unsigned long long)((h >> 16) & 0xffff),
		 (unsigned long long)(h & 0xfff), (unsigned long long)(h2 >> 52),
		 (unsigned long long)(h2 & 0xffffffffffffULL));
	n->t_start = uptime_ns;
	n->boot_unix = start_unix - uptime_ns;
	n->t0_unix = start_unix;
	n->off_ns = off_ns;
	n->drift_ppm = drift_ppm;
	n->suspend_ns = 0;
	n->tick_next = n->t_start;
	n->load = 1.5;
	n->ctxt = 1000000000ULL + (h % 700000000ULL);
	n->pgmaj = 1200 + (h % 5000);
	n->has_gpu = 1;
	n->stacks = calloc(DEMO_MAX_STACKS, sizeof(*n->stacks));
	if (!n->stacks) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = INGERO_ENOMEM;
			snprintf(err->file, sizeof(err->file), "%.500s", dir);
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		}
		return INGERO_ENOMEM;
	}
	if (mkdir_p(dir) < 0) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = INGERO_EIO;
			err->sys_errno = errno;
			snprintf(err->file, sizeof(err->file), "%.500s", dir);
			snprintf(err->msg, sizeof(err->msg), "cannot create directory: %s",
				 strerror(errno));
		}
		return INGERO_EIO;
	}
	clear_segments(dir);

	wo.dir = n->dir;
	wo.seg_max_bytes = o->seg_max_bytes;
	wo.fsync = INGERO_FSYNC_NONE;
	wo.hdr.major = INGERO_FORMAT_MAJOR;
	wo.hdr.minor = INGERO_FORMAT_MINOR;
	wo.hdr.node = n->name;
	wo.hdr.host = n->host;
	wo.hdr.boot_id = n->boot_id;
	wo.hdr.kernel = "6.1.0-18-amd64";
	wo.hdr.recorder = recorder;
	wo.hdr.cmdline = cmdline;
	wo.hdr.clock = "boottime";
	wo.hdr.start_ts = n->t_start;
	wo.hdr.segment = 1;
	wo.hdr.rank = rank;
	/* the header's anchor: what the node's clocks read at the start */
	wo.hdr.anchor.boottime = n->t_start;
	wo.hdr.anchor.realtime = (uint64_t)((int64_t)start_unix + off_ns);
	wo.hdr.anchor.monotonic = n->t_start;
	wo.hdr.anchor.error_ns = 1000 * NS_US;
	n->last_anchor.boottime = wo.hdr.anchor.boottime;
	n->last_anchor.realtime = wo.hdr.anchor.realtime;
	n->last_anchor.monotonic = wo.hdr.anchor.monotonic;
	n->last_anchor.error_ns = wo.hdr.anchor.error_ns;
	wo.on_rotate = on_rotate;
	wo.rotate_ctx = n;
	return ingero_writer_open(&n->w, &wo, err);
}

int demo_node_finish(struct demo_node *n, struct ingero_error *err)
{
	uint64_t max_end = n->max_end;
	flush(n, UINT64_MAX, 0);
	/* anchors must cover the end of the last event */
	while (n->tick_no == 0 || n->tick_next - NS_S < max_end)
		emit_tick(n, n->tick_next);
	const struct ingero_error *we = n->w ? ingero_writer_error(n->w) : NULL;
	if (n->err && err && we && we->code) {
		*err = *we;
	}
	int rc = ingero_writer_close(n->w);
	n->w = NULL;
	if (!n->err && rc < 0)
		n->err = rc;
	if (n->err && err && !err->code) {
		memset(err, 0, sizeof(*err));
		err->code = n->err;
		snprintf(err->file, sizeof(err->file), "%.500s", n->dir);
		snprintf(err->msg, sizeof(err->msg), "write failed (error %d)", n->err);
	}
	return n->err;
}

void demo_node_free(struct demo_node *n)
{
	if (n->w)
		ingero_writer_close(n->w);
	n->w = NULL;
	free(n->buf);
	n->buf = NULL;
	free(n->stacks);
	n->stacks = NULL;
	free(n->phases);
	n->phases = NULL;
}
