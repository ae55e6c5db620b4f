/*
 * bench/format: write and read N million synthetic launch-heavy events
 * (per training step: 8 cudaLaunchKernel, 1 cudaMemcpy, 1 cudaStreamSync;
 * log-normal durations and gaps; fixed seed) and report events/s,
 * bytes/event, the stream's empirical entropy and peak RSS.  A baseline in the same run: plain msgpack rows
 * (all fields, ts delta from the previous start) + zstd level 1.
 * The event pattern is generated once (PATTERN events) and replayed with a
 * growing time offset, so RSS is not dominated by the input.
 * usage: bench-format [MILLION_EVENTS] [DIR] [ZSTD_LEVEL]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "ingero.h"
#include "../../formats/mp_int.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void)
{
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	return rng;
}
static double unif(void) { return ((next_u64() >> 11) + 0.5) / 9007199254740992.0; }
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()); }
static uint64_t lognormal(double median_ns, double sigma) { return (uint64_t)(median_ns * exp(sigma * gauss())); }

/* CPU time of this process: on a shared, loaded machine wall time mostly
 * measures the neighbours.  (Wall time is printed too.) */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Stream parameters: medians (ns) and log-normal sigmas, like a real
 * training loop on the host (cudaLaunchKernel ~5 us, a 4 MiB D2H cudaMemcpy
 * ~0.5 ms, cudaStreamSynchronize waiting for the step's kernels ~16 ms;
 * gaps between calls small and regular).  Overridable from the environment
 * (GAP_NS GAP_SIGMA LAUNCH_NS LAUNCH_SIGMA MEMCPY_NS MEMCPY_SIGMA SYNC_NS
 * SYNC_SIGMA) to check other shapes. */
static struct { const char *name; double med, sigma; } prm[4] = {
	{ "GAP", 1000, 0.2 }, { "LAUNCH", 5000, 0.4 }, { "MEMCPY", 500000, 0.3 }, { "SYNC", 16e6, 0.3 },
};

static void params(void)
{
	for (int i = 0; i < 4; i++) {
		char k[32];
		snprintf(k, sizeof(k), "%s_NS", prm[i].name);
		if (getenv(k)) prm[i].med = atof(getenv(k));
		snprintf(k, sizeof(k), "%s_SIGMA", prm[i].name);
		if (getenv(k)) prm[i].sigma = atof(getenv(k));
	}
}

static struct ingero_event *gen(size_t n)
{
	struct ingero_event *ev = calloc(n, sizeof(*ev));
	static const uint64_t kern[8] = { 0x7f3a12001000, 0x7f3a12001400, 0x7f3a12002200,
		0x7f3a12003100, 0x7f3a12001000, 0x7f3a12004800, 0x7f3a12005000, 0x7f3a12002200 };
	uint64_t t = 1000000000000ull;
	for (size_t i = 0; i < n; i++) {
		struct ingero_event *e = &ev[i];
		int k = (int)(i % 10);
		e->pid = 48211; e->tid = 48211; e->source = INGERO_SRC_CUDA; e->cpu = 3;
		t += lognormal(prm[0].med, prm[0].sigma);   /* gap since the previous call ended */
		e->ts = t;
		if (k < 8) {
			e->op = INGERO_CUDA_LAUNCH_KERNEL; e->arg[0] = kern[k]; e->arg[1] = 0x55d0c0de7000;
			e->dur = lognormal(prm[1].med, prm[1].sigma);
		} else if (k == 8) {
			e->op = INGERO_CUDA_MEMCPY; e->arg[0] = 4 << 20; e->arg[1] = INGERO_MEMCPY_D2H;
			e->dur = lognormal(prm[2].med, prm[2].sigma);
		} else {
			e->op = INGERO_CUDA_STREAM_SYNC; e->arg[0] = 0x55d0c0de7000;
			e->dur = lognormal(prm[3].med, prm[3].sigma);
		}
		t += e->dur;
	}
	return ev;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Empirical entropy (bits per value) of v[0..n) at 1 ns resolution:
 * histogram estimate with Freedman-Diaconis bins of width h, plus log2(h). */
static double emp_bits(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	double iqr = (double)(v[n * 3 / 4] - v[n / 4]);
	double h = floor(2 * iqr / cbrt((double)n));
	if (h < 1)
		h = 1;
	double bits = 0;
	size_t run = 0;
	uint64_t bin = (uint64_t)((double)(v[0] - v[0]) / h);
	for (size_t i = 0; i <= n; i++) {
		uint64_t b = i < n ? (uint64_t)((double)(v[i] - v[0]) / h) : bin + 1;
		if (b != bin) {
			double p = (double)run / n;
			bits -= p * log2(p);
			run = 0;
			bin = b;
		}
		run++;
	}
	return bits + log2(h);
}

/* Entropy of the timing fields, bytes/event: empirical over the pattern, and
 * the model's (differential entropy of each log-normal at 1 ns,
 * log2(median * sigma * sqrt(2 pi e))).  Everything else in the stream (op
 * sequence, pid, args) is periodic and carries ~0 bits. */
static void entropy(const struct ingero_event *ev, size_t n, double *emp, double *model)
{
	uint64_t *v = malloc(n * sizeof(*v));
	double bits = 0;
	size_t m = 0;
	uint64_t prev_end = ev[0].ts;
	for (size_t i = 0; i < n; i++) {   /* gaps: start - previous end */
		v[m++] = ev[i].ts - prev_end;
		prev_end = ev[i].ts + ev[i].dur;
	}
	bits += emp_bits(v, m) * (double)m;
	for (int op = 0; op < 3; op++) {
		static const int ops[3] = { INGERO_CUDA_LAUNCH_KERNEL, INGERO_CUDA_MEMCPY, INGERO_CUDA_STREAM_SYNC };
		m = 0;
		for (size_t i = 0; i < n; i++)
			if (ev[i].op == ops[op])
				v[m++] = ev[i].dur;
		bits += emp_bits(v, m) * (double)m;
	}
	free(v);
	*emp = bits / n / 8;
#define H(i) log2(prm[i].med * prm[i].sigma * sqrt(2 * M_PI * M_E))
	*model = (H(0) + (8 * H(1) + H(2) + H(3)) / 10) / 8;
#undef H
}

static long rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* baseline: [src, op, pid, tid, ts - prev_ts, dur, cpu, arg0, arg1, arg2, ret] + zstd-1 */
static size_t baseline(const struct ingero_event *ev, size_t n, double *secs)
{
	size_t cap = n * 64, len = 0;
	uint8_t *buf = malloc(cap), *p = buf;
	double t0 = now();
	uint64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ingero_event *e = &ev[i];
		p = mp_put_array(p, 11);
		p = mp_put_uint(p, e->source); p = mp_put_uint(p, e->op);
		p = mp_put_uint(p, e->pid); p = mp_put_uint(p, e->tid);
		p = mp_put_int(p, (int64_t)(e->ts - prev)); prev = e->ts;
		p = mp_put_uint(p, e->dur); p = mp_put_uint(p, e->cpu);
		p = mp_put_uint(p, e->arg[0]); p = mp_put_uint(p, e->arg[1]); p = mp_put_uint(p, e->arg[2]);
		p = mp_put_int(p, e->ret);
	}
	len = (size_t)(p - buf);
	/* 4 MiB frames like the real writer */
	size_t out = 0, ob = ZSTD_compressBound(4 << 20);
	uint8_t *o = malloc(ob);
	for (size_t off = 0; off < len; off += 4 << 20) {
		size_t m = len - off < (4u << 20) ? len - off : 4u << 20;
		out += ZSTD_compress(o, ob, buf + off, m, 1);
	}
	*secs = now() - t0;
	free(o);
	free(buf);
	return out;
}

int main(int argc, char **argv)
{
	double mil = argc > 1 ? atof(argv[1]) : 10;
	const char *dir = argc > 2 ? argv[2] : "/tmp/ingero-bench-format";
	int level = argc > 3 ? atoi(argv[3]) : 0;
	size_t n = (size_t)(mil * 1e6);
	/* 200000 events replayed: ~6 MiB of msgpack, more than a frame (4 MiB)
	 * and far more than zstd-1's window (512 KiB), so no frame can match a
	 * replayed copy of itself */
	const size_t pat = 200000;
	params();
	struct ingero_event *ev = gen(pat);
	const uint64_t span = ev[pat - 1].ts + ev[pat - 1].dur + 1000 - ev[0].ts;
	char path[512];
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/bench.igz", dir);

	struct ingero_writer_opts o;
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.zstd_level = level;
	if (getenv("FRAME_MS"))   /* the recorder flushes every second: 1000 is real */
		o.frame_max_ns = (uint64_t)atoi(getenv("FRAME_MS")) * 1000000;
	if (getenv("FRAME_KB"))
		o.frame_max_bytes = (uint32_t)atoi(getenv("FRAME_KB")) << 10;
	o.hdr.node = "bench"; o.hdr.host = "bench"; o.hdr.start_ts = ev[0].ts;
	struct ingero_writer *w;
	struct ingero_error err;
	double t0 = now(), w0 = wall();
	if (ingero_writer_open(&w, &o, &err)) { fprintf(stderr, "open failed: %s\n", err.msg); return 1; }
	struct ingero_event cur;
	for (size_t i = 0, j = 0, rep = 0; i < n; i++) {
		cur = ev[j];
		cur.ts += rep * span;
		if (ingero_writer_event(w, &cur)) { fprintf(stderr, "write failed\n"); return 1; }
		if (++j == pat) { j = 0; rep++; }
	}
	if (ingero_writer_close(w)) { fprintf(stderr, "close failed\n"); return 1; }
	double tw = now() - t0, ww = wall() - w0;
	struct stat st;
	stat(path, &st);

	struct ingero_reader *r;
	struct ingero_record rec;
	size_t got = 0, bad = 0, frames = 0;
	t0 = now();
	w0 = wall();
	if (ingero_reader_open(&r, path, &err)) { fprintf(stderr, "read open failed\n"); return 1; }
	int k;
	size_t pj = 0;
	uint64_t off = 0;
	while ((k = ingero_reader_next(r, &rec)) == 1)
		if (rec.kind == INGERO_REC_FRAME) {
			frames++;
		} else if (rec.kind == INGERO_REC_EVENT) {
			const struct ingero_event *x = &ev[pj];
			bad += rec.u.ev.ts != x->ts + off || rec.u.ev.dur != x->dur ||
			       rec.u.ev.arg[0] != x->arg[0];
			got++;
			if (++pj == pat) { pj = 0; off += span; }
		}
	ingero_reader_close(r);
	double tr = now() - t0, wr = wall() - w0;
	double tb;
	size_t bb = baseline(ev, pat, &tb) * (n / (double)pat);

	printf("events:             %zu (launch-heavy: 8 launch + 1 memcpy + 1 sync per step)\n", n);
	printf("zstd level:         %d%s\n", level ? level : 1, level ? "" : " (writer default)");
	printf("write:              %.2f M events/s (%.1f ns/event CPU; wall %.2f M/s)\n", n / tw / 1e6,
	       tw / n * 1e9, n / ww / 1e6);
	printf("read:               %.2f M events/s (%.1f ns/event CPU; wall %.2f M/s)%s\n", n / tr / 1e6,
	       tr / n * 1e9, n / wr / 1e6, got == n && !bad ? "" : "  MISMATCH");
	printf("bytes/event:        %.3f (%lld bytes)\n", (double)st.st_size / n, (long long)st.st_size);
	printf("frames:             %zu, %.0f events each (%.0f events per second of trace; frames close\n"
	       "                    at 1 s of trace like the recorder's flush, or at 4 MiB)\n",
	       frames, (double)n / (frames ? frames : 1), pat / (span / 1e9));
	printf("baseline bytes/ev:  %.3f (msgpack rows, delta ts from previous start, zstd-1, %.1f ns/event)\n",
	       (double)bb / n, tb / pat * 1e9);
	printf("ratio vs baseline:  %.2fx smaller\n", (double)bb / st.st_size);
	double emp, model;
	entropy(ev, pat, &emp, &model);
	printf("stream entropy:     %.3f bytes/event empirical (gap + duration at 1 ns; model %.3f):\n"
	       "                    no lossless coder of this stream goes below it\n", emp, model);
	printf("overhead:           %.3f bytes/event above the entropy (baseline %.3f)\n",
	       (double)st.st_size / n - emp, (double)bb / n - emp);
	printf("stream:             gap %.0f ns s%.2f, launch %.0f ns s%.2f, memcpy %.0f ns s%.2f, sync %.0f ns s%.2f\n",
	       prm[0].med, prm[0].sigma, prm[1].med, prm[1].sigma, prm[2].med, prm[2].sigma,
	       prm[3].med, prm[3].sigma);
	printf("peak RSS:           %ld KiB (includes the %zu MiB event pattern)\n", rss_kb(),
	       pat * sizeof(*ev) >> 20);
	if (!getenv("KEEP")) { unlink(path); rmdir(dir); }
	free(ev);
	return got == n && !bad ? 0 : 1;
}
