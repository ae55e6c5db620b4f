/* wl-dlopen - starts WITHOUT libcudart mapped; after --delay (handled by
 * wl_start) and --load-delay MS (default 1000) it dlopen()s libcudart.so.12
 * (--lib PATH, default: next to this executable) and calls it through
 * dlsym'd pointers: --iters N of cudaLaunchKernel + cudaMemcpy (H2D,
 * 4096 B) + cudaStreamSynchronize, plus one cudaMalloc/cudaFree. */
#include <dlfcn.h>
#include <limits.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_late(void) { __asm__ volatile(""); }

typedef cudaError_t (*malloc_fn)(void **, size_t);
typedef cudaError_t (*free_fn)(void *);
typedef cudaError_t (*launch_fn)(const void *, dim3, dim3, void **, size_t, cudaStream_t);
typedef cudaError_t (*memcpy_fn)(void *, const void *, size_t, enum cudaMemcpyKind);
typedef cudaError_t (*sync_fn)(cudaStream_t);
typedef void (*report_fn)(FILE *);

NOINL int late_loop(void *h, long iters)
{
	malloc_fn m = (malloc_fn)dlsym(h, "cudaMalloc");
	free_fn f = (free_fn)dlsym(h, "cudaFree");
	launch_fn l = (launch_fn)dlsym(h, "cudaLaunchKernel");
	memcpy_fn c = (memcpy_fn)dlsym(h, "cudaMemcpy");
	sync_fn s = (sync_fn)dlsym(h, "cudaStreamSynchronize");
	report_fn r = (report_fn)dlsym(h, "fakecudart_report");
	if (!m || !f || !l || !c || !s || !r) {
		fprintf(stderr, "wl-dlopen: missing symbol: %s\n", dlerror());
		return 1;
	}
	static char host[4096];
	void *dev = NULL;
	dim3 g = { 1, 1, 1 }, b = { 128, 1, 1 };
	int e = m(&dev, sizeof(host));
	for (long i = 0; i < iters; i++) {
		e |= l((const void *)kernel_late, g, b, NULL, 0, NULL);
		e |= c(dev, host, sizeof(host), cudaMemcpyHostToDevice);
		e |= s(NULL);
	}
	e |= f(dev);
	r(stdout);
	return e;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--load-delay MS] [--lib PATH] [--iters N]");
	long iters = wl_opt(argc, argv, "--iters", 50);
	long ld = wl_opt(argc, argv, "--load-delay", 1000);
	const char *lib = wl_opt_str(argc, argv, "--lib");
	char path[PATH_MAX];
	if (!lib) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
		if (n <= 0)
			return 1;
		path[n] = 0;
		char *slash = strrchr(path, '/');
		strcpy(slash ? slash + 1 : path, "libcudart.so.12");
		lib = path;
	}
	printf("tid %d main\n", wl_gettid());
	fflush(stdout);
	if (ld > 0)
		wl_sleep_us((uint64_t)ld * 1000);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "wl-dlopen: %s\n", dlerror());
		return 1;
	}
	printf("loaded %s\n", lib);
	fflush(stdout);
	int e = late_loop(h, iters);
	printf("iters %ld\ndone\n", iters);
	return e ? 1 : 0;
}
