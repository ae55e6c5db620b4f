/* wl-threads - --threads T (default 4) threads, each on its own stream,
 * each doing --iters N of: cudaLaunchKernel, cudaMemcpyAsync (D2H, 4096 B),
 * cudaStreamSynchronize.  Prints every thread's tid and stream, and its
 * context switches (the kernel's count, getrusage RUSAGE_THREAD) with the
 * CLOCK_BOOTTIME ns they were read at: the recorder must have one off-CPU
 * interval ending before that time for each of them. */
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

static long opt_iters;

NOINL void kernel_thread(void) { __asm__ volatile(""); }

struct th {
	pthread_t th;
	int tid;
	cudaStream_t stream;
	int err;
	long csw;                /* voluntary + involuntary context switches */
	unsigned long long csw_ts;
};

NOINL int thread_iter(struct th *t, void *dev, void *host)
{
	dim3 g = { 1, 1, 1 }, b = { 32, 1, 1 };
	int e = cudaLaunchKernel((const void *)kernel_thread, g, b, NULL, 0, t->stream);
	e |= cudaMemcpyAsync(host, dev, 4096, cudaMemcpyDeviceToHost, t->stream);
	e |= cudaStreamSynchronize(t->stream);
	return e;
}

NOINL void *thread_main(void *arg)
{
	struct th *t = arg;
	char host[4096];
	void *dev = NULL;
	t->tid = wl_gettid();
	t->err |= cudaStreamCreate(&t->stream);
	t->err |= cudaMalloc(&dev, 4096);
	for (long i = 0; i < opt_iters; i++)
		t->err |= thread_iter(t, dev, host);
	t->err |= cudaFree(dev);
	struct rusage ru;
	struct timespec ts;
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		t->csw = ru.ru_nvcsw + ru.ru_nivcsw;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		t->csw_ts = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--threads T] [--iters N]");
	opt_iters = wl_opt(argc, argv, "--iters", 100);
	long n = wl_opt(argc, argv, "--threads", 4);
	if (n < 1 || n > 256)
		return 2;
	struct th *t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i].th, NULL, thread_main, &t[i]))
			return 1;
	int err = 0;
	for (long i = 0; i < n; i++) {
		pthread_join(t[i].th, NULL);
		err |= t[i].err;
	}
	for (long i = 0; i < n; i++)
		printf("tid %d worker\nstream %d %p\nctxsw %d %ld %llu\n", t[i].tid, t[i].tid,
		       (void *)t[i].stream, t[i].tid, t[i].csw, t[i].csw_ts);
	printf("iters %ld\n", opt_iters);
	fakecudart_report(stdout);
	printf("done\n");
	free(t);
	return err ? 1 : 0;
}
