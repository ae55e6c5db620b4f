/* wl-hog - CPU hog for contention scenarios: --threads T spinning for
 * --seconds S (default 5).  Run it with `taskset -c 0` next to a workload
 * pinned to the same CPU.  With --off-ms M it is duty-cycled: spin
 * --on-ms N (default 5), sleep M, so that every wakeup preempts whatever
 * runs there (deterministic with `chrt -f 10`, even on a busy host). */
#include <pthread.h>

#include "wl.h"

static long opt_seconds, opt_on_ms, opt_off_ms;
static volatile unsigned long sink;

NOINL void *hog_spin(void *arg)
{
	(void)arg;
	printf("tid %d hog\n", wl_gettid());
	fflush(stdout);
	uint64_t end = wl_now_ns() + (uint64_t)opt_seconds * 1000000000ull;
	unsigned long x = 0;
	while (wl_now_ns() < end) {
		uint64_t burst = opt_off_ms > 0 ? wl_now_ns() + (uint64_t)opt_on_ms * 1000000 : end;
		while (wl_now_ns() < burst)
			for (int i = 0; i < 1000; i++)
				x = x * 6364136223846793005ul + 1;
		if (opt_off_ms > 0)
			wl_sleep_us((uint64_t)opt_off_ms * 1000);
	}
	sink = x;
	return NULL;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--seconds S] [--threads T] [--on-ms N --off-ms M]");
	opt_seconds = wl_opt(argc, argv, "--seconds", 5);
	opt_on_ms = wl_opt(argc, argv, "--on-ms", 5);
	opt_off_ms = wl_opt(argc, argv, "--off-ms", 0);
	long n = wl_opt(argc, argv, "--threads", 1);
	if (n < 1 || n > 64)
		return 2;
	pthread_t th[64];
	for (long i = 1; i < n; i++)
		pthread_create(&th[i], NULL, hog_spin, NULL);
	hog_spin(NULL);
	for (long i = 1; i < n; i++)
		pthread_join(th[i], NULL);
	printf("done\n");
	return 0;
}
