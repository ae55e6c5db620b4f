/* wl-train - imitation of a training loop on the fake CUDA runtime.
 * Per step: data_load() = 1 H2D cudaMemcpy of --bytes, forward() = 4
 * cudaLaunchKernel, backward() = 4 cudaLaunchKernel, then 1
 * cudaStreamSynchronize on the thread's stream.  Functions are kept out of
 * line so they appear in user stacks (train_step, forward, backward,
 * data_load, worker_main).  Also built as wl-venv against the venv copy.
 * Scenario knobs: --alloc-every N makes every N-th step also allocate and
 * free --alloc-bytes (periodic allocation spikes with
 * FAKECUDA_LAT=cudaMalloc=...); FAKECUDA_COLD gives a cold start. */
#include <pthread.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

static long opt_steps, opt_rate, opt_bytes, opt_seconds, opt_alloc_every, opt_alloc_bytes;
static char *host_buf;

/* host stubs of the "kernels": cudaLaunchKernel's func argument */
NOINL void kernel_fwd_0(void) { __asm__ volatile(""); }
NOINL void kernel_fwd_1(void) { __asm__ volatile(""); }
NOINL void kernel_bwd_0(void) { __asm__ volatile(""); }
NOINL void kernel_bwd_1(void) { __asm__ volatile(""); }

struct worker {
	pthread_t th;
	int tid;
	cudaStream_t stream;
	void *weights, *batch;
	long steps;
	int err;
};

NOINL int launch(const void *fn, cudaStream_t s)
{
	dim3 grid = { 128, 1, 1 }, block = { 256, 1, 1 };
	return cudaLaunchKernel(fn, grid, block, NULL, 0, s);
}

NOINL int forward(struct worker *w)
{
	int e = 0;
	for (int i = 0; i < 4; i++)
		e |= launch(i & 1 ? (const void *)kernel_fwd_1 : (const void *)kernel_fwd_0,
			    w->stream);
	return e;
}

NOINL int backward(struct worker *w)
{
	int e = 0;
	for (int i = 0; i < 4; i++)
		e |= launch(i & 1 ? (const void *)kernel_bwd_1 : (const void *)kernel_bwd_0,
			    w->stream);
	return e;
}

NOINL int data_load(struct worker *w)
{
	return cudaMemcpy(w->batch, host_buf, (size_t)opt_bytes, cudaMemcpyHostToDevice);
}

NOINL int grow_cache(void)
{
	void *p = NULL;
	int e = cudaMalloc(&p, (size_t)opt_alloc_bytes);
	e |= cudaFree(p);
	return e;
}

NOINL int train_step(struct worker *w)
{
	int e = 0;
	if (opt_alloc_every > 0 && w->steps % opt_alloc_every == opt_alloc_every - 1)
		e |= grow_cache();
	e |= data_load(w);
	e |= forward(w);
	e |= backward(w);
	e |= cudaStreamSynchronize(w->stream);
	return e;
}

NOINL void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->tid = wl_gettid();
	w->err |= cudaStreamCreate(&w->stream);
	w->err |= cudaMalloc(&w->weights, 64 << 20);
	w->err |= cudaMalloc(&w->batch, (size_t)opt_bytes);
	uint64_t t0 = wl_now_ns(), end = t0 + (uint64_t)opt_seconds * 1000000000ull;
	for (long i = 0; opt_seconds > 0 ? wl_now_ns() < end : i < opt_steps; i++) {
		wl_pace(opt_rate, i, t0);
		w->err |= train_step(w);
		w->steps++;
	}
	w->err |= cudaFree(w->batch);
	w->err |= cudaFree(w->weights);
	return NULL;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--steps N] [--threads T] [--rate STEPS_PER_S] "
		 "[--bytes B] [--seconds S] [--alloc-every N [--alloc-bytes B]]");
	opt_steps = wl_opt(argc, argv, "--steps", 100);
	opt_rate = wl_opt(argc, argv, "--rate", 0);
	opt_bytes = wl_opt(argc, argv, "--bytes", 1 << 20);
	opt_seconds = wl_opt(argc, argv, "--seconds", 0);
	opt_alloc_every = wl_opt(argc, argv, "--alloc-every", 0);
	opt_alloc_bytes = wl_opt(argc, argv, "--alloc-bytes", 256 << 20);
	long nthreads = wl_opt(argc, argv, "--threads", 1);
	if (nthreads < 1 || nthreads > 256 || opt_bytes < 1) {
		fprintf(stderr, "wl-train: bad --threads or --bytes\n");
		return 2;
	}
	host_buf = calloc(1, (size_t)opt_bytes);
	struct worker *w = calloc((size_t)nthreads, sizeof(*w));
	if (!host_buf || !w)
		return 1;
	printf("func kernel_fwd_0 %p\nfunc kernel_fwd_1 %p\nfunc kernel_bwd_0 %p\n"
	       "func kernel_bwd_1 %p\n", (void *)kernel_fwd_0, (void *)kernel_fwd_1,
	       (void *)kernel_bwd_0, (void *)kernel_bwd_1);
	uint64_t t0 = wl_now_ns();
	if (nthreads == 1) {
		worker_main(&w[0]);
	} else {
		for (long i = 0; i < nthreads; i++)
			if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
				fprintf(stderr, "wl-train: pthread_create failed\n");
				return 1;
			}
		for (long i = 0; i < nthreads; i++)
			pthread_join(w[i].th, NULL);
	}
	double secs = (double)(wl_now_ns() - t0) / 1e9;
	long total = 0;
	int err = 0;
	for (long i = 0; i < nthreads; i++) {
		printf("tid %d worker\nstream %d %p\nthread %d steps %ld\n", w[i].tid,
		       w[i].tid, (void *)w[i].stream, w[i].tid, w[i].steps);
		total += w[i].steps;
		err |= w[i].err;
	}
	printf("bytes %ld\nsteps %ld\nseconds %.6f\ncalls_per_s %.1f\n", opt_bytes, total,
	       secs, secs > 0 ? (double)total * 10 / secs : 0.0);
	fakecudart_report(stdout);
	printf("done\n");
	free(w);
	free(host_buf);
	return err ? 1 : 0;
}
