/*
 * bench/format: write and read N million synthetic launch-heavy events
 * (per training step: 8 cudaLaunchKernel, 1 cudaMemcpy, 1 cudaStreamSync;
 * log-normal durations and gaps; fixed seed) and report events/s,
 * bytes/event and peak RSS.  A baseline in the same run: plain msgpack rows
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
		t += lognormal(1000, 0.1);   /* gap since the previous call ended: small, regular */
		e->ts = t;
		if (k < 8) {
			e->op = INGERO_CUDA_LAUNCH_KERNEL; e->arg[0] = kern[k]; e->arg[1] = 0x55d0c0de7000;
			e->dur = lognormal(4500, 0.25);
		} else if (k == 8) {
			e->op = INGERO_CUDA_MEMCPY; e->arg[0] = 4 << 20; e->arg[1] = INGERO_MEMCPY_D2H;
			e->dur = lognormal(90000, 0.25);
		} else {
			e->op = INGERO_CUDA_STREAM_SYNC; e->arg[0] = 0x55d0c0de7000;
			e->dur = lognormal(2500000, 0.3);
		}
		t += e->dur;
	}
	return ev;
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
	const size_t pat = 200000;
	struct ingero_event *ev = gen(pat);
	const uint64_t span = ev[pat - 1].ts + ev[pat - 1].dur + 1000 - ev[0].ts;
	char path[512];
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/bench.igz", dir);

	struct ingero_writer_opts o;
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.zstd_level = level;
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
	size_t got = 0, bad = 0;
	t0 = now();
	w0 = wall();
	if (ingero_reader_open(&r, path, &err)) { fprintf(stderr, "read open failed\n"); return 1; }
	int k;
	size_t pj = 0;
	uint64_t off = 0;
	while ((k = ingero_reader_next(r, &rec)) == 1)
		if (rec.kind == INGERO_REC_EVENT) {
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
	printf("baseline bytes/ev:  %.3f (msgpack rows, delta ts from previous start, zstd-1, %.1f ns/event)\n",
	       (double)bb / n, tb / pat * 1e9);
	printf("ratio vs baseline:  %.2fx smaller\n", (double)bb / st.st_size);
	/* information in the timing fields alone: differential entropy of a
	 * log-normal at 1 ns resolution, log2(median * sigma * sqrt(2 pi e)) */
#define H(m, sg) log2((m) * (sg) * sqrt(2 * M_PI * M_E))
	double bits = H(1000, 0.1) + (8 * H(4500, 0.25) + H(90000, 0.25) + H(2500000, 0.3)) / 10;
#undef H
	printf("timing entropy:     %.2f bytes/event (gap + duration at ns resolution: no lossless\n"
	       "                    coder of these fields can go below it)\n", bits / 8);
	printf("peak RSS:           %ld KiB (includes the %zu MiB event pattern)\n", rss_kb(),
	       pat * sizeof(*ev) >> 20);
	if (!getenv("KEEP")) { unlink(path); rmdir(dir); }
	free(ev);
	return got == n && !bad ? 0 : 1;
}
