/* demo_scen.c - the single-node scenarios.  Each builds a training loop
 * (pid 4242 unless noted) whose per-step knobs change by phase; the signal a
 * scenario is built for is documented in docs/demo.md and checked by
 * tests/demo/. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "demo.h"

const char *const demo_single_scenarios[] = {
	"incident", "cold-start", "memcpy-bottleneck", "periodic-spike",
	"cpu-contention", "gpu-steal", "control", "dataloader-starvation", "inference", "stall", NULL,
};

#define KWORKER_PID 87
#define LOGROTATE_PID 31337
#define STRESS_PID 6100
#define STRESS_N 8

/* What one training step looks like.  Times in microseconds. */
struct knobs {
	int nlaunch;
	double launch_us, launch_sig;
	double launch_slow_p, launch_slow_us; /* bimodal launches (shared GPU) */
	double memcpy_us, memcpy_sig;
	uint64_t memcpy_bytes;
	double sync_us, sync_sig;
	double gap_us;              /* Python time between two calls */
	double step_gap_us;         /* between steps (data loading) */
	double vol_p;               /* chance of a voluntary block between steps */
	double malloc_p, malloc_us; /* cudaMalloc at the step start */
	/* involuntary preemptions per step inside each call type (means) */
	double pre_sync, pre_memcpy, pre_launch;
	double off_sync_us, off_memcpy_us, off_launch_us, off_sig;
	const uint32_t *by;         /* preempting pids (tid = pid) */
	int nby;
	double noise_p;             /* chance of a short kworker preemption */
};

static const struct knobs steady = {
	.nlaunch = 8,
	.launch_us = 5, .launch_sig = 0.25,
	.memcpy_us = 500, .memcpy_sig = 0.12, .memcpy_bytes = 12845056,
	.sync_us = 16000, .sync_sig = 0.08,
	.gap_us = 35, .step_gap_us = 300,
	.vol_p = 0.04,
	.malloc_p = 0.02, .malloc_us = 150,
	.off_sig = 0.3,
	.noise_p = 0.02,
};

struct trainer {
	struct demo_cudaproc cp;
	uint32_t pid, tid, workers[2], cpu;
	uint64_t t;
	uint64_t step;
};

struct scen {
	struct demo_node n;
	const struct demo_opts *o;
	uint64_t begin;         /* boottime of the first step */
	double dur_ns;
	uint64_t target;        /* --events, 0 = by time */
};

/* 0..1 through the recording: by events generated or by time */
static double progress(const struct scen *s, uint64_t t)
{
	if (s->n.err)
		return 2; /* the writer failed: stop generating */
	if (s->target)
		return (double)s->n.ngen / (double)s->target;
	return (double)(t - s->begin) / s->dur_ns;
}

static int count_of(struct demo_rng *g, double mean)
{
	int k = (int)mean;
	if (demo_rng_unit(g) < mean - k)
		k++;
	return k;
}

/* binomial(2*mean, 1/2): mean `mean`, variance mean/2 */
static int count_var(struct demo_rng *g, double mean)
{
	int trials = (int)(2 * mean + 0.5), k = 0;
	for (int i = 0; i < trials; i++)
		k += demo_rng_unit(g) < 0.5;
	return k;
}

/*
 * A call of base duration `base` that is preempted k times: the off-CPU
 * intervals lie inside the call and add to its duration (the thread cannot
 * see the GPU finish while it is off CPU).  Returns the call's duration.
 */
static uint64_t preempted(struct demo_node *n, const struct trainer *tr, uint64_t ts,
			  uint64_t base, int k, double off_us, const struct knobs *kb, int noise)
{
	struct demo_rng *g = &n->rng;
	uint64_t offs[80], total = base;
	uint32_t by[80];
	double w[81], ws = 0;
	int m = 0;

	if (k > 64)
		k = 64;
	for (int i = 0; i < k && kb->nby; i++, m++) {
		offs[m] = demo_lognorm(g, off_us * 1e3, kb->off_sig);
		by[m] = kb->by[demo_rng_below(g, (uint64_t)kb->nby)];
	}
	if (noise) {
		offs[m] = demo_lognorm(g, 30e3, 0.4);
		by[m] = KWORKER_PID;
		m++;
	}
	for (int i = 0; i < m; i++)
		total += offs[i];
	for (int i = 0; i <= m; i++) {
		w[i] = 0.2 + demo_rng_unit(g);
		ws += w[i];
	}
	uint64_t pos = ts;
	for (int i = 0; i < m; i++) {
		pos += 1 + (uint64_t)((double)base * w[i] / ws);
		demo_offcpu(n, tr->pid, tr->tid, tr->cpu, pos, offs[i], 0, by[i], by[i]);
		pos += offs[i];
	}
	return total;
}

static void trainer_init(struct demo_node *n, struct trainer *tr, uint32_t pid,
			 const char *comm, const char *cmdline, const char *script, uint64_t ts)
{
	memset(tr, 0, sizeof(*tr));
	tr->pid = tr->tid = pid;
	tr->workers[0] = pid + 7;
	tr->workers[1] = pid + 9;
	tr->cpu = 3 + (pid % 5);
	demo_add_process(n, pid, 1, comm, cmdline, -1, -1, -1, ts > 40 * NS_S ? ts - 40 * NS_S : 0);
	demo_add_thread(n, pid, pid, comm);
	demo_add_thread(n, pid + 7, pid, "pt_autograd_0");
	demo_add_thread(n, pid + 9, pid, "pin_memory");
	demo_add_cudaproc(n, &tr->cp, pid, script);
	tr->t = ts;
}

static uint64_t gap(struct demo_rng *g, double us)
{
	return demo_lognorm(g, us * 1e3, 0.4);
}

static void do_malloc(struct demo_node *n, struct trainer *tr, uint64_t dur, uint64_t size)
{
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MALLOC, tr->t, dur,
		  SITE_MALLOC, size, tr->cp.next_ptr, 0);
	tr->cp.next_ptr += (size + 0x1fffff) & ~0x1fffffULL;
	tr->t += dur + gap(&n->rng, 20);
}

static void do_launch(struct demo_node *n, struct trainer *tr, uint64_t dur, int j)
{
	int site = j < 4 ? SITE_LAUNCH_FWD : j < 7 ? SITE_LAUNCH_BWD : SITE_LAUNCH_OPT;
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL, tr->t,
		  dur, site, tr->cp.kernels[j & 7], tr->cp.stream, 0);
}

/* One training step of the main thread (plus its worker threads' blocking). */
static void train_step(struct demo_node *n, struct trainer *tr, const struct knobs *kb)
{
	struct demo_rng *g = &n->rng;
	uint64_t step_start = tr->t, d;

	if (kb->malloc_p > 0 && demo_rng_unit(g) < kb->malloc_p)
		do_malloc(n, tr, demo_lognorm(g, kb->malloc_us * 1e3, 0.3), 4u << 20);

	d = demo_lognorm(g, kb->memcpy_us * 1e3, kb->memcpy_sig);
	d = preempted(n, tr, tr->t, d, count_of(g, kb->pre_memcpy), kb->off_memcpy_us, kb, 0);
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY, tr->t, d,
		  SITE_MEMCPY_H2D, kb->memcpy_bytes, INGERO_MEMCPY_H2D, 0);
	tr->t += d + gap(g, kb->gap_us);

	int kl = count_of(g, kb->pre_launch);
	uint32_t hit = 0;
	for (int i = 0; i < kl; i++)
		hit |= 1u << demo_rng_below(g, (uint64_t)kb->nlaunch);
	for (int j = 0; j < kb->nlaunch; j++) {
		d = demo_lognorm(g, kb->launch_us * 1e3, kb->launch_sig);
		if (kb->launch_slow_p > 0 && demo_rng_unit(g) < kb->launch_slow_p)
			d = demo_lognorm(g, kb->launch_slow_us * 1e3, 0.15);
		if (hit & (1u << j))
			d = preempted(n, tr, tr->t, d, 1, kb->off_launch_us, kb, 0);
		do_launch(n, tr, d, j);
		tr->t += d + gap(g, kb->gap_us);
	}

	d = demo_lognorm(g, kb->sync_us * 1e3, kb->sync_sig);
	d = preempted(n, tr, tr->t, d, kb->pre_sync >= 3 ? count_var(g, kb->pre_sync)
				     : count_of(g, kb->pre_sync), kb->off_sync_us, kb,
		      demo_rng_unit(g) < kb->noise_p);
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, tr->t, d,
		  SITE_SYNC, tr->cp.stream, 0, 0);
	tr->t += d;

	/* between steps: the main thread may block on the data loader */
	tr->t += gap(g, kb->step_gap_us);
	if (demo_rng_unit(g) < kb->vol_p) {
		d = demo_lognorm(g, 1.5e6, 0.4);
		demo_offcpu(n, tr->pid, tr->tid, tr->cpu, tr->t, d, 1, 0, 0);
		tr->t += d + gap(g, 15);
	}
	/* worker threads sleep on their queues now and then */
	for (int w = 0; w < 2; w++) {
		if (demo_rng_unit(g) >= 0.15)
			continue;
		uint64_t span = tr->t - step_start;
		uint64_t at = step_start + demo_rng_below(g, span ? span : 1);
		demo_offcpu(n, tr->pid, tr->workers[w], tr->cpu + 1 + (uint32_t)w, at,
			    demo_lognorm(g, 4e6, 0.5), 1, 0, 0);
	}
	tr->step++;
}

static void startup_mallocs(struct demo_node *n, struct trainer *tr, const double *ms, int k,
			    double steady_us)
{
	for (int i = 0; i < 6; i++) {
		uint64_t d = i < k ? demo_jitter(&n->rng, ms[i] * 1e6, 0.1)
				   : demo_lognorm(&n->rng, steady_us * 1e3, 0.3);
		do_malloc(n, tr, d, (uint64_t)(64 + 32 * i) << 20);
	}
}

static void add_kworker(struct demo_node *n, uint64_t ts)
{
	demo_add_process(n, KWORKER_PID, 2, "kworker/3:1", "[kworker/3:1]", -1, -1, -1,
			 ts > 3600 * NS_S ? ts - 3600 * NS_S : 0);
}

/* ------------------------------------------------------------ scenarios */

static void run_incident(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	static const uint32_t logrotate[] = { LOGROTATE_PID };
	struct knobs burst = steady;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py", "/workspace/train.py",
		     s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 34, 3.2, 18000, 88, 31000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	while (progress(s, tr.t) < 0.4) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &steady);
	}
	/* logrotate wakes up and competes for the training thread's CPU */
	demo_flush_until(n, tr.t);
	demo_add_process(n, LOGROTATE_PID, 1, "logrotate", "/usr/sbin/logrotate /etc/logrotate.conf",
			 -1, -1, -1, tr.t - 2 * NS_MS);
	demo_add_thread(n, LOGROTATE_PID, LOGROTATE_PID, "logrotate");
	demo_set_phase(n, tr.t - 2 * NS_MS, 99.5, 9.0, 95000, 70, 31000);
	burst.launch_us = 12;
	burst.launch_sig = 0.35;
	burst.memcpy_us = 650;
	burst.vol_p = 0;
	burst.malloc_p = 0;
	burst.pre_sync = 14;
	burst.pre_memcpy = 2;
	burst.pre_launch = 1;
	burst.off_sync_us = 9000;
	burst.off_memcpy_us = 1100;
	burst.off_launch_us = 400;
	burst.by = logrotate;
	burst.nby = 1;
	burst.noise_p = 0;
	for (int i = 0; i < 50; i++) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &burst);
	}
	uint64_t burst_end = tr.t;
	demo_set_phase(n, burst_end, 35, 3.5, 18000, 88, 31000);
	while (progress(s, tr.t) < 1.0 || tr.t < burst_end + 3 * NS_S) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &steady);
	}
}

static void run_cold_start(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	/* CUDA context creation and lazy module loading: 200x .. 60x */
	static const double malloc_ms[] = { 30, 21, 15, 12, 9 };
	static const double launch_ms[] = { 1.0, 0.6, 0.45, 0.3 };
	struct knobs k = steady;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py", "/workspace/train.py",
		     s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 30, 2.5, 17000, 86, 29000);
	startup_mallocs(n, &tr, malloc_ms, 5, k.malloc_us);
	for (int j = 0; j < 4; j++) {
		do_launch(n, &tr, demo_jitter(&n->rng, launch_ms[j] * 1e6, 0.1), j);
		tr.t += gap(&n->rng, 40);
	}
	k.malloc_p = 0.1;
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &k);
	}
}

static void run_memcpy(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	struct knobs k = steady;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py --no-pin-memory",
		     "/workspace/train.py", s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 42, 3.0, 21000, 55, 36000);
	/* pageable 64 MiB host->device copies at ~11 GB/s dominate the step */
	k.memcpy_bytes = 67108864;
	k.memcpy_us = 6080;
	k.memcpy_sig = 0.15;
	k.sync_us = 7000;
	k.step_gap_us = 2500;
	startup_mallocs(n, &tr, NULL, 0, k.malloc_us);
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &k);
	}
}

static void run_periodic(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	struct knobs k = steady;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py --empty-cache-every 200",
		     "/workspace/train.py", s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 33, 3.0, 19000, 80, 42000);
	k.sync_us = 8000;
	k.malloc_p = 0; /* one malloc per iteration, below */
	startup_mallocs(n, &tr, NULL, 0, 40);
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		if (tr.step % 200 == 199) {
			/* torch.cuda.empty_cache(): cached blocks go back to the
			 * driver, and the next allocation is a real cudaMalloc */
			for (int i = 0; i < 4; i++) {
				uint64_t d = demo_lognorm(&n->rng, 180e3, 0.25);
				demo_call(n, &tr.cp, tr.tid, tr.cpu, INGERO_SRC_CUDA,
					  INGERO_CUDA_FREE, tr.t, d, SITE_FREE,
					  tr.cp.next_ptr - ((uint64_t)(i + 1) << 24), 0, 0);
				tr.t += d + gap(&n->rng, 15);
			}
			do_malloc(n, &tr, demo_jitter(&n->rng, 2e6, 0.2), 256u << 20);
		} else {
			do_malloc(n, &tr, demo_lognorm(&n->rng, 40e3, 0.2), 8u << 20);
		}
		train_step(n, &tr, &k);
	}
}

static void run_cpu_contention(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	static uint32_t stress[STRESS_N];
	struct knobs hot = steady;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py", "/workspace/train.py",
		     s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 31, 2.8, 17500, 88, 31000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	while (progress(s, tr.t) < 0.15) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &steady);
	}
	demo_flush_until(n, tr.t);
	uint64_t t0 = tr.t - 5 * NS_MS;
	demo_add_process(n, STRESS_PID, 1800, "stress-ng", "stress-ng --cpu 8 --timeout 600s",
			 -1, -1, -1, t0);
	for (int i = 0; i < STRESS_N; i++) {
		stress[i] = STRESS_PID + 1 + (uint32_t)i;
		demo_add_process(n, stress[i], STRESS_PID, "stress-ng-cpu",
				 "stress-ng --cpu 8 --timeout 600s", -1, -1, -1, t0);
		demo_add_thread(n, stress[i], stress[i], "stress-ng-cpu");
	}
	demo_set_phase(n, t0, 96, 11.5, 62000, 72, 31000);
	hot.launch_us = 8;
	hot.pre_sync = 6;
	hot.pre_memcpy = 0.3;
	hot.pre_launch = 0.15;
	hot.off_sync_us = 3000;
	hot.off_memcpy_us = 1200;
	hot.off_launch_us = 600;
	hot.off_sig = 0.4;
	hot.by = stress;
	hot.nby = STRESS_N;
	hot.vol_p = 0.02;
	while (progress(s, tr.t) < 0.85) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &hot);
	}
	demo_set_phase(n, tr.t, 33, 4.0, 18000, 88, 31000);
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &steady);
	}
}

/* gpu-steal: the inference server's requests while it is active */
struct infer {
	struct demo_cudaproc cp;
	uint32_t pid, cpu;
	uint64_t t, win_end;
	int active;
};

static void infer_request(struct demo_node *n, struct infer *in)
{
	struct demo_rng *g = &n->rng;
	uint64_t d = demo_lognorm(g, 120e3, 0.15);
	demo_call(n, &in->cp, in->pid, in->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY, in->t, d,
		  SITE_INFER_MEMCPY, 2 << 20, INGERO_MEMCPY_H2D, 0);
	in->t += d + gap(g, 30);
	for (int j = 0; j < 12; j++) {
		d = demo_rng_unit(g) < 0.3 ? demo_lognorm(g, 800e3, 0.15)
					   : demo_lognorm(g, 5e3, 0.25);
		demo_call(n, &in->cp, in->pid, in->cpu, INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL,
			  in->t, d, SITE_INFER_LAUNCH, in->cp.kernels[j & 7], in->cp.stream, 0);
		in->t += d + gap(g, 25);
	}
	d = demo_lognorm(g, 9e6, 0.15);
	demo_call(n, &in->cp, in->pid, in->cpu, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, in->t, d,
		  SITE_INFER_SYNC, in->cp.stream, 0, 0);
	in->t += d + demo_lognorm(g, 2e6, 0.5);
}

static void run_gpu_steal(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	struct infer in;
	struct knobs shared = steady;
	struct demo_rng *g = &n->rng;

	trainer_init(n, &tr, 5001, "trainer", "python3 trainer.py --epochs 90",
		     "/workspace/trainer.py", s->begin);
	memset(&in, 0, sizeof(in));
	in.pid = 5002;
	in.cpu = 11;
	demo_add_process(n, in.pid, 1, "inference", "python3 serve.py --model resnet152 --port 8000",
			 -1, -1, -1, s->begin - 300 * NS_S);
	demo_add_thread(n, in.pid, in.pid, "inference");
	demo_add_cudaproc(n, &in.cp, in.pid, "/srv/serve.py");
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 28, 2.4, 16000, 78, 34000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	in.active = 0;
	in.win_end = s->begin + (uint64_t)(0.15 * s->dur_ns);
	if (s->target)
		in.win_end = s->begin + 5 * NS_S;
	in.t = in.win_end;
	while (progress(s, tr.t) < 1.0) {
		/* switch the inference server between idle and busy windows */
		while (tr.t >= in.win_end) {
			in.active = !in.active;
			uint64_t len = in.active ? demo_jitter(g, 4e9, 0.25) : demo_jitter(g, 3e9, 0.3);
			uint64_t from = in.win_end;
			in.win_end += len;
			demo_set_phase(n, from, in.active ? 36 : 28, in.active ? 3.4 : 2.4, 21000,
				       in.active ? 99 : 78, in.active ? 61000 : 34000);
			if (in.active && in.t < from)
				in.t = from;
		}
		uint64_t horizon = tr.t + 30 * NS_MS;
		while (in.active && in.t < horizon && in.t < in.win_end)
			infer_request(n, &in);
		demo_flush_until(n, tr.t < in.t ? tr.t : in.t);
		if (in.active) {
			/* time-sliced GPU: a launch waits for a context switch
			 * now and then, and the sync waits for the other's work */
			shared.launch_slow_p = 0.3;
			shared.launch_slow_us = 800;
			shared.sync_us = demo_rng_unit(g) < 0.7 ? 27000 : 16000;
			shared.memcpy_us = 800;
		} else {
			shared = steady;
		}
		train_step(n, &tr, &shared);
	}
}

/* ------------------------------------------- step scenarios (issue 12) */

static void wakeup(struct demo_node *n, uint32_t pid, uint32_t tid, uint32_t cpu, uint64_t ts,
		   uint32_t by_pid)
{
	struct ingero_event ev = { 0 };
	ev.ts = ts;
	ev.pid = pid;
	ev.tid = tid;
	ev.source = INGERO_SRC_HOST;
	ev.op = INGERO_HOST_SCHED_WAKEUP;
	ev.cpu = cpu;
	ev.arg[0] = by_pid;
	ev.arg[1] = by_pid;
	demo_ev(n, &ev);
}

static void fork_ev(struct demo_node *n, uint32_t pid, uint64_t ts, uint32_t child)
{
	struct ingero_event ev = { 0 };
	ev.ts = ts;
	ev.pid = pid;
	ev.tid = pid;
	ev.source = INGERO_SRC_HOST;
	ev.op = INGERO_HOST_FORK;
	ev.arg[0] = child;
	demo_ev(n, &ev);
}

#define LOADER_N 4
#define LOADER_PID 4300

/* dataloader-starvation: the training thread waits ~40 ms per step for a
 * batch from 4 forked DataLoader workers at 100 % CPU; GPU idle ~80 % */
static void run_starvation(struct scen *s, double *idle_share)
{
	struct demo_node *n = &s->n;
	struct demo_rng *g = &n->rng;
	struct trainer tr;
	struct knobs kb = steady;
	uint64_t idle = 0, total = 0;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py --workers 4", "/workspace/train.py", s->begin);
	for (int i = 0; i < LOADER_N; i++) {
		demo_add_process(n, LOADER_PID + i, tr.pid, "pt_data_worker", "python3 train.py --workers 4",
				 -1, -1, -1, s->begin - 2 * NS_S);
		demo_add_thread(n, LOADER_PID + i, LOADER_PID + i, "pt_data_worker");
	}
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 100, 6.5, 24000, 19, 31000);
	kb.sync_us = 8000;
	kb.memcpy_us = 2000;
	kb.vol_p = 0;
	kb.step_gap_us = 40;
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	for (int i = 0; i < LOADER_N; i++)
		fork_ev(n, tr.pid, tr.t - NS_S + (uint64_t)i * NS_MS, LOADER_PID + i);
	uint64_t k = 0, last_sync_end = tr.t;
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		/* wait for the next batch: blocked, woken by the worker that made it */
		uint64_t w = demo_lognorm(g, 40e6, 0.15);
		uint32_t by = LOADER_PID + (uint32_t)(k % LOADER_N);
		demo_offcpu(n, tr.pid, tr.tid, tr.cpu, tr.t, w, 1, by, by);
		wakeup(n, tr.pid, tr.tid, tr.cpu, tr.t + w - 20000, by);
		tr.t += w + gap(g, 20);
		uint64_t s0 = tr.t;
		train_step(n, &tr, &kb);
		/* truth: no work in flight from the previous sync's end to this copy */
		if (k > 0) {
			idle += s0 - last_sync_end;
			total += tr.t - last_sync_end;
		}
		last_sync_end = tr.t - 0;   /* train_step ends after the sync and the step gap */
		k++;
	}
	*idle_share = total ? (double)idle / (double)total : 0;
}

/* one engine step of the serving loop: nl launches, copies, a sync */
static void serve_step(struct demo_node *n, struct trainer *tr, int nl, uint64_t h2d, double sync_us)
{
	struct demo_rng *g = &n->rng;
	uint64_t d = demo_lognorm(g, 60e3, 0.1);
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_ASYNC, tr->t, d,
		  SITE_MEMCPY_H2D, h2d, INGERO_MEMCPY_H2D, tr->cp.stream);
	tr->t += d + gap(g, 5);
	for (int j = 0; j < nl; j++) {
		d = demo_lognorm(g, 4e3, 0.2);
		do_launch(n, tr, d, j);
		tr->t += d + demo_lognorm(g, 3e3, 0.3);
	}
	d = demo_lognorm(g, 20e3, 0.1);
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_ASYNC, tr->t, d,
		  SITE_MEMCPY_D2H, 4096, INGERO_MEMCPY_D2H, tr->cp.stream);
	tr->t += d + gap(g, 5);
	d = demo_lognorm(g, sync_us * 1e3, 0.04);
	demo_call(n, &tr->cp, tr->tid, tr->cpu, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, tr->t, d,
		  SITE_SYNC, tr->cp.stream, 0, 0);
	tr->t += d + gap(g, 150);
	if (demo_rng_unit(g) < 0.01) {    /* scheduler noise: the thread is traced */
		uint64_t o = demo_lognorm(g, 20e3, 0.3);
		demo_offcpu(n, tr->pid, tr->tid, tr->cpu, tr->t, o, 0, KWORKER_PID, KWORKER_PID);
		tr->t += o;
	}
}

/* inference: continuous batching on one stream, a prefill (~200 ms, 320
 * launches, 16 MiB in) every 25 decode steps (~5 ms, 24 launches); from 50 %
 * to 60 % of the recording the GPU throttles (thermal) and decode steps take
 * 10x; the KV cache grows by one cudaMalloc per prefill, freed 40 later */
static void run_inference(struct scen *s, uint64_t *ow0, uint64_t *ow1, uint64_t *nout)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	uint64_t kv[64];
	int nkv = 0;

	trainer_init(n, &tr, 7100, "vllm-engine", "python3 -m vllm.entrypoints.api_server --model llama-3-8b",
		     "/srv/vllm/engine.py", s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 41, 3.1, 21000, 92, 61000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	uint64_t k = 0;
	int thr = 0;
	*nout = 0;
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		double p = progress(s, tr.t);
		int hot = p >= 0.5 && p < 0.6;
		if (hot != thr) {
			thr = hot;
			n->gpu_throttle = hot ? (0x20 | 0x40) : 0;
			if (hot)
				*ow0 = tr.t;
			else
				*ow1 = tr.t;
		}
		if (k % 26 == 0) {
			uint64_t d = demo_lognorm(&n->rng, 300e3, 0.1);
			demo_call(n, &tr.cp, tr.tid, tr.cpu, INGERO_SRC_CUDA, INGERO_CUDA_MALLOC, tr.t, d, SITE_MALLOC,
				  64 << 20, tr.cp.next_ptr, 0);
			if (nkv < 64)
				kv[nkv++] = tr.cp.next_ptr;
			tr.cp.next_ptr += 64 << 20;
			tr.t += d + gap(&n->rng, 20);
			if (nkv > 40) {
				d = demo_lognorm(&n->rng, 120e3, 0.1);
				demo_call(n, &tr.cp, tr.tid, tr.cpu, INGERO_SRC_CUDA, INGERO_CUDA_FREE, tr.t, d, SITE_FREE,
					  kv[0], 0, 0);
				memmove(kv, kv + 1, (size_t)(nkv - 1) * sizeof(kv[0]));
				nkv--;
				tr.t += d + gap(&n->rng, 20);
			}
			serve_step(n, &tr, 320, 16 << 20, 200000);
		} else {
			serve_step(n, &tr, 24, 64 << 10, hot ? 50000 : 5000);
			if (hot)
				(*nout)++;
		}
		k++;
	}
	if (thr)
		*ow1 = tr.t;
}

/* stall: a serving loop (~5 ms steps) stops launching for ~11 s while its
 * thread computes on the host (on-CPU: two short preemptions only) */
static void run_stall(struct scen *s, uint64_t *st0, uint64_t *st1)
{
	struct demo_node *n = &s->n;
	struct trainer tr;
	int done = 0;

	trainer_init(n, &tr, 7300, "sglang-engine", "python3 -m sglang.launch_server --model qwen2-7b",
		     "/srv/sglang/scheduler.py", s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 38, 2.9, 20000, 90, 52000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		if (!done && progress(s, tr.t) >= 0.4) {
			done = 1;
			*st0 = tr.t;
			uint64_t len = demo_jitter(&n->rng, 11e9, 0.02);
			demo_set_phase(n, tr.t, 52, 3.4, 20000, 0, 52000);
			demo_offcpu(n, tr.pid, tr.tid, tr.cpu, tr.t + 3 * NS_S, 40000, 0, KWORKER_PID, KWORKER_PID);
			demo_offcpu(n, tr.pid, tr.tid, tr.cpu, tr.t + 8 * NS_S, 30000, 0, KWORKER_PID, KWORKER_PID);
			tr.t += len;
			*st1 = tr.t;
			demo_set_phase(n, tr.t, 38, 2.9, 20000, 90, 52000);
			demo_flush_until(n, tr.t);
		}
		serve_step(n, &tr, 24, 64 << 10, 4500);
	}
}

static void run_control(struct scen *s)
{
	struct demo_node *n = &s->n;
	struct trainer tr;

	trainer_init(n, &tr, 4242, "python3", "python3 train.py", "/workspace/train.py",
		     s->begin);
	add_kworker(n, s->begin);
	demo_set_phase(n, 0, 33, 3.0, 18000, 88, 31000);
	startup_mallocs(n, &tr, NULL, 0, steady.malloc_us);
	while (progress(s, tr.t) < 1.0) {
		demo_flush_until(n, tr.t);
		train_step(n, &tr, &steady);
	}
}

/* ------------------------------------------------------------- driver */

static double default_duration(const char *name)
{
	if (!strcmp(name, "incident") || !strcmp(name, "periodic-spike") ||
	    !strcmp(name, "cpu-contention") || !strcmp(name, "gpu-steal"))
		return 30;
	return 20;
}

int demo_single(const struct demo_opts *o, const char *name, const char *dir)
{
	struct scen s;
	struct ingero_error err = { 0 };
	char recorder[128], cmdline[512], ebuf[1200];
	uint64_t h = demo_hash(name, o->seed);
	/* 2026-03-14T09:00:00Z plus up to a day, per scenario and seed */
	uint64_t start_unix = (1773478800ULL + h % 86400) * NS_S + (h >> 40) % NS_S;
	uint64_t uptime = (2 + (h >> 8) % 7) * 86400 * NS_S + (h >> 20) % (3600 * NS_S);

	double idle_share = 0;
	uint64_t w0 = 0, w1 = 0, nout = 0;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.dur_ns = (o->duration_s > 0 ? o->duration_s : default_duration(name)) * 1e9;
	s.target = o->events;
	snprintf(recorder, sizeof(recorder), "ingero-record demo %s", name);
	if (o->events)
		snprintf(cmdline, sizeof(cmdline), "ingero-record demo %s --seed %llu --events %llu",
			 name, (unsigned long long)o->seed, (unsigned long long)o->events);
	else
		snprintf(cmdline, sizeof(cmdline), "ingero-record demo %s --seed %llu --duration %g",
			 name, (unsigned long long)o->seed, s.dur_ns / 1e9);
	if (demo_node_init(&s.n, o, dir, o->node ? o->node : "demo-node", -1, o->seed, start_unix,
			   uptime, 0, 0, recorder, cmdline, &err) < 0) {
		fprintf(stderr, "ingero-record: %s\n", ingero_strerror(&err, ebuf, sizeof(ebuf)));
		demo_node_free(&s.n);
		return 1;
	}
	s.begin = s.n.t_start + 50 * NS_MS;

	if (!strcmp(name, "incident"))
		run_incident(&s);
	else if (!strcmp(name, "cold-start"))
		run_cold_start(&s);
	else if (!strcmp(name, "memcpy-bottleneck"))
		run_memcpy(&s);
	else if (!strcmp(name, "periodic-spike"))
		run_periodic(&s);
	else if (!strcmp(name, "cpu-contention"))
		run_cpu_contention(&s);
	else if (!strcmp(name, "gpu-steal"))
		run_gpu_steal(&s);
	else if (!strcmp(name, "dataloader-starvation"))
		run_starvation(&s, &idle_share);
	else if (!strcmp(name, "inference"))
		run_inference(&s, &w0, &w1, &nout);
	else if (!strcmp(name, "stall"))
		run_stall(&s, &w0, &w1);
	else
		run_control(&s);
	uint64_t bu = s.n.boot_unix;

	uint64_t nev = s.n.ngen;
	int rc = demo_node_finish(&s.n, &err);
	/* ground truth of the step scenarios (tests/analyze/t-engine-steps.sh) */
	if (rc >= 0 && (!strcmp(name, "dataloader-starvation") || !strcmp(name, "inference") || !strcmp(name, "stall"))) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/truth.json", dir);
		FILE *f = fopen(path, "w");
		if (f) {
			if (idle_share > 0)
				fprintf(f, "{\"scenario\": \"%s\", \"gpu_idle_share\": %.4f, \"workers\": %d, "
					"\"worker_comm\": \"pt_data_worker\"}\n", name, idle_share, LOADER_N);
			else if (nout)
				fprintf(f, "{\"scenario\": \"%s\", \"outliers\": %llu, \"phase\": \"decode\", "
					"\"bucket\": \"3x\", \"window_start_unix_ns\": %llu, \"window_end_unix_ns\": %llu}\n",
					name, (unsigned long long)nout, (unsigned long long)(w0 + bu),
					(unsigned long long)(w1 + bu));
			else
				fprintf(f, "{\"scenario\": \"%s\", \"stall_start_unix_ns\": %llu, \"stall_end_unix_ns\": %llu, "
					"\"step_period_ns\": 5000000}\n", name, (unsigned long long)(w0 + bu),
					(unsigned long long)(w1 + bu));
			if (fclose(f))
				rc = -1;
		}
	}
	demo_node_free(&s.n);
	if (rc < 0) {
		fprintf(stderr, "ingero-record: %s\n", ingero_strerror(&err, ebuf, sizeof(ebuf)));
		return 1;
	}
	if (!o->quiet)
		fprintf(stderr, "ingero-record demo: %s: %llu events -> %s\n", name,
			(unsigned long long)nev, dir);
	return 0;
}
