/* demo_multi.c - the multi-node data-parallel job: one recording per node,
 * each with its own boot time and clock error, plus DIR/truth.json with the
 * true clock errors (never written into the recordings).
 *
 * Time model (docs/demo.md): the generator works in true unix ns T.  Node r
 * booted at boot_r (true time), so its CLOCK_BOOTTIME reads T - boot_r; its
 * realtime clock reads T + offset_r + drift_r * 1e-6 * (T - t0), where t0 is
 * the job start.  The k-th all-reduce ends at the same true instant on every
 * rank (+- 3 us), so ranks that finish computing early wait inside it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

#define NCCL_FLOAT32 7
#define NCCL_SUM 0

struct rank_state {
	struct demo_cudaproc cp;
	uint32_t pid, tid, cpu;
	uint64_t t;        /* true time cursor */
	int slow;
};

/* "+3.2ms" / "-47ms" / "+850us" / "12345" (ns) / "1s" -> ns; -1 on error */
static int parse_dur(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	double mul = 1;
	if (!*end || !strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s"))
		mul = 1e9;
	else
		return -1;
	v *= mul;
	if (fabs(v) > 86400e9)
		return -1;
	*out = (int64_t)llround(v);
	return 0;
}

/* "20ppm" / "-5ppm" / "300ppb" / "0" (ppm) -> ppm */
static int parse_drift(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	if (!*end || !strcmp(end, "ppm"))
		;
	else if (!strcmp(end, "ppb"))
		v /= 1000;
	else
		return -1;
	if (fabs(v) > 1000)
		return -1;
	*out = v;
	return 0;
}

/* Parse a comma list into out[0..n-1]; entries beyond the list keep their
 * defaults.  Returns 0, or -1 with a message in msg. */
static int parse_list(const char *list, int n, int drift, int64_t *offs, double *drifts,
		      char *msg, size_t len)
{
	char buf[4096];
	int i = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), i++) {
		if (i >= n) {
			snprintf(msg, len, "--%s has more entries than --nodes %d",
				 drift ? "drift" : "offsets", n);
			return -1;
		}
		if (drift ? parse_drift(tok, &drifts[i]) : parse_dur(tok, &offs[i])) {
			snprintf(msg, len, "--%s: bad value '%s' (e.g. %s)",
				 drift ? "drift" : "offsets", tok,
				 drift ? "20ppm, -5ppm, 300ppb" : "+3.2ms, -47ms, +850us, 0");
			return -1;
		}
	}
	return 0;
}

static int write_truth(const char *path, struct demo_node *nodes, int n, uint64_t t0,
		       const char *straggler, int collectives, uint64_t allreduces)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "{\n  \"reference\": \"node-0\",\n  \"t0_unix_ns\": %llu,\n",
		(unsigned long long)t0);
	fprintf(f, "  \"convention\": \"node_realtime(T) = T + offset_ns + drift_ppm * 1e-6 * "
		   "(T - t0_unix_ns), T = true unix ns; merge subtracts the error\",\n");
	fprintf(f, "  \"straggler\": ");
	if (straggler)
		fprintf(f, "\"%s\",\n", straggler);
	else
		fprintf(f, "null,\n");
	fprintf(f, "  \"collectives\": %s,\n  \"allreduces\": %llu,\n",
		collectives ? "true" : "false", (unsigned long long)allreduces);
	fprintf(f, "  \"nodes\": [\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "    {\"name\": \"%s\", \"rank\": %d, \"offset_ns\": %lld, "
			   "\"drift_ppm\": %.6f, \"boot_unix_ns\": %llu, \"boot_id\": \"%s\"}%s\n",
			nodes[i].name, nodes[i].rank, (long long)nodes[i].off_ns,
			nodes[i].drift_ppm, (unsigned long long)nodes[i].boot_unix,
			nodes[i].boot_id, i + 1 < n ? "," : "");
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -1 : 0;
}

static uint64_t bt(const struct demo_node *n, uint64_t t)
{
	return t - n->boot_unix;
}

int demo_multi(const struct demo_opts *o)
{
	int N = o->nodes > 0 ? o->nodes : 4;
	int64_t *offs = calloc((size_t)N, sizeof(*offs));
	double *drifts = calloc((size_t)N, sizeof(*drifts));
	struct demo_node *nodes = calloc((size_t)N, sizeof(*nodes));
	struct rank_state *rs = calloc((size_t)N, sizeof(*rs));
	uint64_t *ready = calloc((size_t)N, sizeof(*ready));
	char msg[512], path[4200], name[32], cmdline[512], ebuf[1200];
	struct ingero_error err = { 0 };
	int rc = 1, opened = 0, slow = N - 1;
	uint64_t h = demo_hash("multi-node", o->seed);
	uint64_t t0 = (1773478800ULL + h % 86400) * NS_S + (h >> 40) % NS_S;
	double dur_ns = (o->duration_s > 0 ? o->duration_s : 20) * 1e9;
	uint64_t comm = demo_hash("nccl-comm-world", o->seed) | 1;
	uint64_t k = 0, ngen = 0;

	if (!offs || !drifts || !nodes || !rs || !ready) {
		fprintf(stderr, "ingero-record: %s: out of memory\n", o->out);
		goto out;
	}
	static const int64_t dflt[] = { 0, 3200000, -47000000, 850000 };
	for (int i = 0; i < N; i++)
		offs[i] = i < 4 ? dflt[i]
				: (int64_t)(demo_hash("offset", o->seed + (uint64_t)i) % 40001) *
					  1000 - 20000000;
	if ((o->offsets && parse_list(o->offsets, N, 0, offs, drifts, msg, sizeof(msg))) ||
	    (o->drift && parse_list(o->drift, N, 1, offs, drifts, msg, sizeof(msg)))) {
		fprintf(stderr, "ingero-record demo: %s\n", msg);
		rc = 2;
		goto out;
	}
	if (o->straggler) {
		if (!strcmp(o->straggler, "none"))
			slow = -1;
		else if (sscanf(o->straggler, "node-%d", &slow) != 1 || slow < 0 || slow >= N ||
			 snprintf(name, sizeof(name), "node-%d", slow) < 0 ||
			 strcmp(name, o->straggler)) {
			fprintf(stderr, "ingero-record demo: --straggler: no node '%s' (node-0..node-%d"
					" or none)\n", o->straggler, N - 1);
			rc = 2;
			goto out;
		}
	}

	snprintf(cmdline, sizeof(cmdline), "ingero-record demo multi-node --seed %llu --nodes %d%s",
		 (unsigned long long)o->seed, N, o->no_collectives ? " --no-collectives" : "");
	for (int i = 0; i < N; i++) {
		uint64_t hi = demo_hash("uptime", o->seed * 1000003 + (uint64_t)i);
		uint64_t uptime = (1 + hi % 20) * 86400 * NS_S + (hi >> 16) % (86400 * NS_S);
		snprintf(name, sizeof(name), "node-%d", i);
		snprintf(path, sizeof(path), "%s/%s", o->out, name);
		if (demo_node_init(&nodes[i], o, path, name, i, o->seed, t0, uptime, offs[i],
				   drifts[i], "ingero-record demo multi-node", cmdline, &err) < 0) {
			fprintf(stderr, "ingero-record: %s\n",
				ingero_strerror(&err, ebuf, sizeof(ebuf)));
			opened = i + 1;
			goto out;
		}
		opened = i + 1;
		struct demo_node *n = &nodes[i];
		struct rank_state *r = &rs[i];
		r->pid = 3100 + 17 * (uint32_t)i;
		r->tid = r->pid;
		r->cpu = 2 + (uint32_t)i % 6;
		r->slow = i == slow;
		demo_add_process(n, r->pid, r->pid - 1, "python3",
				 "python3 train_ddp.py --backend nccl --batch-size 64", i, 0, N,
				 bt(n, t0) - 25 * NS_S);
		demo_add_thread(n, r->pid, r->pid, "python3");
		demo_add_thread(n, r->pid + 5, r->pid, "pt_autograd_0");
		demo_add_thread(n, r->pid + 6, r->pid, "pt_nccl_watchdg");
		demo_add_cudaproc(n, &r->cp, r->pid, "/workspace/train_ddp.py");
		demo_add_process(n, 87, 2, "kworker/2:1", "[kworker/2:1]", -1, -1, -1, 0);
		demo_set_phase(n, 0, r->slow ? 38 : 32, 3.0, 19000, r->slow ? 97 : 74, 52000);
		if (r->slow) {
			/* the straggler's GPU runs hot and clocks down */
			n->gpu_sm_mhz = 1410;
			n->gpu_throttle = 0x20 | 0x40; /* SW + HW thermal slowdown */
		}
		r->t = t0 + 50 * NS_MS + demo_rng_below(&n->rng, 2 * NS_MS);
	}

	for (;;) {
		double prog = o->events ? (double)ngen / (double)o->events
					: (double)(rs[0].t - t0) / dur_ns;
		for (int i = 0; i < N; i++)
			if (nodes[i].err)
				prog = 2; /* a writer failed: stop generating */
		if (prog >= 1.0)
			break;
		k++;
		uint64_t ready_max = 0;
		double job = 0.96 + 0.08 * demo_rng_unit(&nodes[0].rng); /* batch-dependent */
		for (int i = 0; i < N; i++) {
			struct demo_node *n = &nodes[i];
			struct rank_state *r = &rs[i];
			struct demo_rng *g = &n->rng;
			demo_flush_until(n, bt(n, r->t));
			/* compute: H2D batch copy, then forward/backward launches
			 * spread over the compute time */
			uint64_t d;
			/* noise: now and then the data loader makes this rank wait
			 * before its step (voluntary, like the single-node loop) */
			if (demo_rng_unit(g) < 0.04) {
				d = demo_lognorm(g, 1.5e6, 0.4);
				demo_offcpu(n, r->pid, r->tid, r->cpu, bt(n, r->t), d, 1, 0, 0);
				r->t += d + demo_lognorm(g, 15e3, 0.3);
			}
			double c = 25e6 * job * (r->slow ? 1.3 : 1.0) * (0.98 + 0.04 * demo_rng_unit(g));
			uint64_t end = r->t + (uint64_t)c;
			d = demo_lognorm(g, 500e3, 0.1);
			demo_call(n, &r->cp, r->tid, r->cpu, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY,
				  bt(n, r->t), d, SITE_MEMCPY_H2D, 12845056, INGERO_MEMCPY_H2D, 0);
			r->t += d;
			for (int j = 0; j < 8; j++) {
				uint64_t left = end > r->t ? end - r->t : 0;
				uint64_t step = left / (uint64_t)(8 - j);
				d = demo_lognorm(g, 5e3, 0.25);
				r->t += step > d ? demo_rng_below(g, step - d) : 0;
				demo_call(n, &r->cp, r->tid, r->cpu, INGERO_SRC_CUDA,
					  INGERO_CUDA_LAUNCH_KERNEL, bt(n, r->t), d,
					  j < 4 ? SITE_LAUNCH_FWD : SITE_LAUNCH_BWD,
					  r->cp.kernels[j], r->cp.stream, 0);
				r->t += d;
			}
			if (r->t < end)
				r->t = end;
			ready[i] = r->t;
			if (r->t > ready_max)
				ready_max = r->t;
		}
		/* ring all-reduce: done when the last rank joined plus the
		 * transfer; every rank returns at that instant (+- 3 us) */
		uint64_t e = ready_max + demo_lognorm(&nodes[0].rng, 4e6, 0.1);
		for (int i = 0; i < N; i++) {
			struct demo_node *n = &nodes[i];
			struct rank_state *r = &rs[i];
			struct demo_rng *g = &n->rng;
			uint64_t end = e - 3000 + demo_rng_below(g, 6001), d;
			if (!o->no_collectives) {
				struct ingero_event ev = { 0 };
				ev.ts = bt(n, ready[i]);
				ev.dur = end - ready[i];
				ev.pid = r->pid;
				ev.tid = r->tid;
				ev.source = INGERO_SRC_NCCL;
				ev.op = INGERO_NCCL_ALL_REDUCE;
				ev.cpu = r->cpu;
				ev.stack_id = r->cp.stack[SITE_NCCL];
				ev.arg[0] = comm;
				ev.arg[1] = 25557032;
				ev.arg[2] = k;
				ev.arg[3] = (uint64_t)i | ((uint64_t)N << 32);
				ev.arg[4] = NCCL_FLOAT32 | (NCCL_SUM << 8);
				ev.arg[5] = r->cp.stream + 0x400;
				demo_ev(n, &ev);
				/* noise: a short kworker preemption while waiting */
				if (ev.dur > 200000 && demo_rng_unit(g) < 0.02)
					demo_offcpu(n, r->pid, r->tid, r->cpu,
						    ev.ts + demo_rng_below(g, ev.dur - 200000),
						    demo_lognorm(g, 30e3, 0.3), 0, 87, 87);
			}
			r->t = end + demo_lognorm(g, 20e3, 0.3);
			d = demo_lognorm(g, 60e3, 0.2);
			demo_call(n, &r->cp, r->tid, r->cpu, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC,
				  bt(n, r->t), d, SITE_SYNC, r->cp.stream, 0, 0);
			r->t += d + demo_lognorm(g, 30e3, 0.3);
			d = demo_lognorm(g, 6e3, 0.25);
			demo_call(n, &r->cp, r->tid, r->cpu, INGERO_SRC_CUDA,
				  INGERO_CUDA_LAUNCH_KERNEL, bt(n, r->t), d, SITE_LAUNCH_OPT,
				  r->cp.kernels[7], r->cp.stream, 0);
			r->t += d + demo_lognorm(g, 250e3, 0.3);
		}
		ngen = 0;
		for (int i = 0; i < N; i++)
			ngen += nodes[i].ngen;
	}

	rc = 0;
	for (int i = 0; i < N; i++) {
		if (demo_node_finish(&nodes[i], &err) < 0) {
			fprintf(stderr, "ingero-record: %s\n",
				ingero_strerror(&err, ebuf, sizeof(ebuf)));
			rc = 1;
		}
	}
	snprintf(path, sizeof(path), "%s/truth.json", o->out);
	if (!rc) {
		if (slow >= 0)
			snprintf(name, sizeof(name), "node-%d", slow);
		if (write_truth(path, nodes, N, t0, slow >= 0 ? name : NULL, !o->no_collectives,
				o->no_collectives ? 0 : k) < 0) {
			fprintf(stderr, "ingero-record: %s: cannot write: %s\n", path,
				strerror(errno));
			rc = 1;
		}
	}
	if (!rc && !o->quiet)
		fprintf(stderr, "ingero-record demo: multi-node: %d nodes, %llu steps, %llu events"
				" -> %s\n", N, (unsigned long long)k, (unsigned long long)ngen, o->out);
out:
	for (int i = 0; i < opened; i++)
		demo_node_free(&nodes[i]);
	free(offs);
	free(drifts);
	free(nodes);
	free(rs);
	free(ready);
	return rc;
}
