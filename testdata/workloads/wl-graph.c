/* wl-graph - CUDA graphs: on a new stream, cudaStreamBeginCapture (mode
 * relaxed), 3 cudaLaunchKernel (captured), cudaStreamEndCapture ->
 * graph, cudaGraphInstantiate -> exec, then --iters N of cudaGraphLaunch +
 * cudaStreamSynchronize.  Prints the stream, graph and exec handles. */
#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_graph(void) { __asm__ volatile(""); }

NOINL int capture(cudaStream_t s, cudaGraph_t *g)
{
	dim3 gd = { 8, 1, 1 }, bd = { 256, 1, 1 };
	int e = cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
	for (int i = 0; i < 3; i++)
		e |= cudaLaunchKernel((const void *)kernel_graph, gd, bd, NULL, 0, s);
	e |= cudaStreamEndCapture(s, g);
	return e;
}

NOINL int replay(cudaGraphExec_t x, cudaStream_t s, long iters)
{
	int e = 0;
	for (long i = 0; i < iters; i++) {
		e |= cudaGraphLaunch(x, s);
		e |= cudaStreamSynchronize(s);
	}
	return e;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--iters N]");
	long iters = wl_opt(argc, argv, "--iters", 20);
	cudaStream_t s = NULL;
	cudaGraph_t g = NULL;
	cudaGraphExec_t x = NULL;
	printf("tid %d main\n", wl_gettid());
	int e = cudaStreamCreate(&s);
	e |= capture(s, &g);
	e |= cudaGraphInstantiate(&x, g, 0);
	e |= replay(x, s, iters);
	e |= cudaGraphExecDestroy(x);
	e |= cudaGraphDestroy(g);
	printf("stream %p\ngraph %p\nexec %p\niters %ld\n", (void *)s, (void *)g, (void *)x,
	       iters);
	fakecudart_report(stdout);
	printf("done\n");
	return e ? 1 : 0;
}
