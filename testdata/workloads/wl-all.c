/* wl-all - calls EVERY probed runtime and driver function --iters N times
 * (default 3) with distinctive arguments, one op after the other on the main
 * thread, so an end-to-end test can check each op's arguments.  The
 * arguments are printed as "arg <symbol> key=value ..." (pointers in hex). */
#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_all(void) { __asm__ volatile(""); }

#define SZ_MALLOC 123456ul
#define SZ_MANAGED 654321ul
#define SZ_MEMCPY 4096ul
#define SZ_ASYNC 8192ul
#define W2D 256ul
#define H2D 16ul
#define W2DA 128ul
#define H2DA 8ul
#define SZ_PEER 65536ul
#define SZ_PEERA 32768ul
#define SZ_CU_ALLOC 222222ul
#define SZ_CU_MANAGED 333333ul
#define SZ_CU_MEMCPY 12288ul
#define SZ_CU_ASYNC 16384ul
#define SHARED 48ul
#define CU_FUNC 0xf00d0000ul

static char host[1 << 16];

NOINL int runtime_ops(cudaStream_t s, int print)
{
	void *p = NULL, *m = NULL;
	dim3 g = { 2, 3, 4 }, b = { 32, 1, 1 };
	int e = cudaMalloc(&p, SZ_MALLOC);
	e |= cudaMallocManaged(&m, SZ_MANAGED, 1);
	e |= cudaLaunchKernel((const void *)kernel_all, g, b, NULL, SHARED, s);
	e |= cudaMemcpy(p, host, SZ_MEMCPY, cudaMemcpyHostToDevice);
	e |= cudaMemcpyAsync(host, p, SZ_ASYNC, cudaMemcpyDeviceToHost, s);
	e |= cudaMemcpy2D(m, W2D, p, W2D, W2D, H2D, cudaMemcpyDeviceToDevice);
	e |= cudaMemcpy2DAsync(p, W2DA, host, W2DA, W2DA, H2DA, cudaMemcpyHostToDevice, s);
	e |= cudaMemcpyPeer(p, 1, m, 0, SZ_PEER);
	e |= cudaMemcpyPeerAsync(m, 0, p, 1, SZ_PEERA, s);
	e |= cudaStreamSynchronize(s);
	e |= cudaDeviceSynchronize();
	e |= cudaFree(m);
	e |= cudaFree(p);
	if (print) {
		printf("arg cudaMalloc size=%lu\n", SZ_MALLOC);
		printf("arg cudaMallocManaged size=%lu\n", SZ_MANAGED);
		printf("arg cudaLaunchKernel func=%p stream=%p grid=2,3,4 block=32,1,1 shared=%lu\n",
		       (void *)kernel_all, (void *)s, SHARED);
		printf("arg cudaMemcpy bytes=%lu kind=1\n", SZ_MEMCPY);
		printf("arg cudaMemcpyAsync bytes=%lu kind=2 stream=%p\n", SZ_ASYNC, (void *)s);
		printf("arg cudaMemcpy2D bytes=%lu kind=3\n", W2D * H2D);
		printf("arg cudaMemcpy2DAsync bytes=%lu kind=1 stream=%p\n", W2DA * H2DA, (void *)s);
		printf("arg cudaMemcpyPeer bytes=%lu\n", SZ_PEER);
		printf("arg cudaMemcpyPeerAsync bytes=%lu stream=%p\n", SZ_PEERA, (void *)s);
		printf("arg cudaStreamSynchronize stream=%p\n", (void *)s);
	}
	return e;
}

NOINL int graph_ops(cudaStream_t s, int print)
{
	cudaGraph_t g = NULL;
	cudaGraphExec_t x = NULL;
	int e = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
	e |= cudaStreamEndCapture(s, &g);
	e |= cudaGraphInstantiate(&x, g, 0);
	e |= cudaGraphLaunch(x, s);
	if (print)
		printf("arg cudaGraphLaunch stream=%p graph=%p exec=%p mode=1\n", (void *)s,
		       (void *)g, (void *)x);
	return e;
}

NOINL int driver_ops(CUstream s, int print)
{
	CUdeviceptr d = 0, m = 0;
	int e = cuMemAlloc_v2(&d, SZ_CU_ALLOC);
	e |= cuMemAllocManaged(&m, SZ_CU_MANAGED, 1);
	e |= cuLaunchKernel((CUfunction)CU_FUNC, 5, 6, 7, 64, 2, 1, 96, s, NULL, NULL);
	e |= cuMemcpy(d, m, SZ_CU_MEMCPY);
	e |= cuMemcpyAsync(m, d, SZ_CU_ASYNC, s);
	e |= cuCtxSynchronize();
	e |= cuMemFree_v2(m);
	e |= cuMemFree_v2(d);
	if (print) {
		printf("arg cuMemAlloc_v2 size=%lu\n", SZ_CU_ALLOC);
		printf("arg cuMemAllocManaged size=%lu\n", SZ_CU_MANAGED);
		printf("arg cuLaunchKernel func=%#lx stream=%p grid=5,6,7 block=64,2,1 shared=96\n",
		       CU_FUNC, (void *)s);
		printf("arg cuMemcpy bytes=%lu\n", SZ_CU_MEMCPY);
		printf("arg cuMemcpyAsync bytes=%lu stream=%p\n", SZ_CU_ASYNC, (void *)s);
	}
	return e;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--iters N] [--gap-ms MS]");
	long iters = wl_opt(argc, argv, "--iters", 3);
	long gap = wl_opt(argc, argv, "--gap-ms", 0);
	printf("tid %d main\n", wl_gettid());
	cudaStream_t s = NULL;
	int e = cuInit(0);
	e |= cudaStreamCreate(&s);
	for (long i = 0; i < iters; i++) {
		e |= runtime_ops(s, i == 0);
		e |= graph_ops(s, i == 0);
		e |= driver_ops((CUstream)s, i == 0);
		if (gap > 0)
			wl_sleep_us((uint64_t)gap * 1000);
	}
	printf("iters %ld\n", iters);
	fakecudart_report(stdout);
	fakecu_report(stdout);
	printf("done\n");
	return e ? 1 : 0;
}
