/*
 * bench/metrics/bench.c - the series engine of ingero-metrics alone:
 * synthetic events (one counter and one percentile/histogram series per
 * (pid, op) key, like gpu.cuda.operation.*) fed in time order at a given
 * event rate, then regrouped and written as OpenMetrics to /dev/null.
 * Prints events/s into series, the regroup+write time and peak RSS.
 * usage: bench-metrics EVENTS [KEYS] [EVENTS_PER_RECORDED_SECOND]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "metrics.h"

int main(int argc, char **argv)
{
	ig_set_prog("bench-metrics");
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	unsigned keys = argc > 2 ? (unsigned)atoi(argv[2]) : 64;
	uint64_t rate = argc > 3 ? strtoull(argv[3], NULL, 10) : 200000;
	if (!n || !keys || keys > 100000 || !rate)
		return 2;
	const int64_t t0 = 1773532589000000000LL, dt = 1000000000LL / (int64_t)rate;
	struct mt_engine e;
	mt_init(&e, t0, t0 + (int64_t)n * dt, 1000000000LL, NULL);
	uint32_t *cnt = xmalloc(keys * sizeof *cnt), *dur = xmalloc(keys * sizeof *dur);
	mt_pass_begin(&e);
	for (unsigned k = 0; k < keys; k++) {
		char pid[16], op[16];
		snprintf(pid, sizeof pid, "%u", 1000 + k / 8);
		snprintf(op, sizeof op, "op%u", k % 8);
		const char *lk[] = { "pid", "operation" }, *lv[] = { pid, op };
		cnt[k] = mt_series(&e, F_OP_COUNT, "bench-node", 2, lk, lv);
		dur[k] = mt_series(&e, F_OP_DUR, "bench-node", 2, lk, lv);
	}
	uint64_t x = 88172645463325252ULL;
	double a = ig_now();
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned k = (unsigned)(x % keys);
		mt_at(&e, t0 + (int64_t)i * dt);
		mt_add(&e, cnt[k], 1);
		mt_obs(&e, dur[k], 1000 + (int64_t)(x >> 40) % 200000);
	}
	mt_pass_end(&e);
	double b = ig_now();
	FILE *devnull = fopen("/dev/null", "w");
	struct mt_out_opts oo = { .cluster = "" };
	if (mt_finish(&e) || !devnull || mt_write_openmetrics(&e, devnull, &oo))
		return 1;
	double c = ig_now();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%10llu events %6u keys %6lld windows  into series %6.2f M ev/s (%.2f s)  regroup+write %.2f s "
	       "(%llu points)  peak RSS %.1f MB\n",
	       (unsigned long long)n, keys, (long long)e.nw, (double)n / (b - a) / 1e6, b - a, c - b,
	       (unsigned long long)e.points, ru.ru_maxrss / 1024.0);
	fclose(devnull);
	mt_release(&e);
	free(cnt);
	free(dur);
	return 0;
}
