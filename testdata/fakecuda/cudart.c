/* cudart.c - fake libcudart.so.12 (see fakecuda.h). */
#define FAKECUDA_INTERNAL
#include "fakecuda.h"

enum {
	F_MALLOC, F_FREE, F_LAUNCH, F_MEMCPY, F_MEMCPY_ASYNC, F_STREAM_SYNC,
	F_DEVICE_SYNC, F_MALLOC_MANAGED, F_MEMCPY2D, F_MEMCPY2D_ASYNC, F_PEER,
	F_PEER_ASYNC, F_BEGIN_CAPTURE, F_END_CAPTURE, F_INSTANTIATE, F_GRAPH_LAUNCH,
	F_STREAM_CREATE, F_N,
};

static struct fc_fn tab[F_N + 1] = {
	[F_MALLOC] = { "cudaMalloc", FC_SLEEP, 20, 0, 0, 0 },
	[F_FREE] = { "cudaFree", FC_SLEEP, 5, 0, 0, 0 },
	[F_LAUNCH] = { "cudaLaunchKernel", FC_SPIN, 2, 0, 0, 0 },
	[F_MEMCPY] = { "cudaMemcpy", FC_SLEEP, 20, 0, 0, 0 },
	[F_MEMCPY_ASYNC] = { "cudaMemcpyAsync", FC_SPIN, 2, 0, 0, 0 },
	[F_STREAM_SYNC] = { "cudaStreamSynchronize", FC_SLEEP, 50, 0, 0, 0 },
	[F_DEVICE_SYNC] = { "cudaDeviceSynchronize", FC_SLEEP, 50, 0, 0, 0 },
	[F_MALLOC_MANAGED] = { "cudaMallocManaged", FC_SLEEP, 20, 0, 0, 0 },
	[F_MEMCPY2D] = { "cudaMemcpy2D", FC_SLEEP, 20, 0, 0, 0 },
	[F_MEMCPY2D_ASYNC] = { "cudaMemcpy2DAsync", FC_SPIN, 2, 0, 0, 0 },
	[F_PEER] = { "cudaMemcpyPeer", FC_SLEEP, 20, 0, 0, 0 },
	[F_PEER_ASYNC] = { "cudaMemcpyPeerAsync", FC_SPIN, 2, 0, 0, 0 },
	[F_BEGIN_CAPTURE] = { "cudaStreamBeginCapture", FC_SPIN, 1, 0, 0, 0 },
	[F_END_CAPTURE] = { "cudaStreamEndCapture", FC_SPIN, 5, 0, 0, 0 },
	[F_INSTANTIATE] = { "cudaGraphInstantiate", FC_SLEEP, 20, 0, 0, 0 },
	[F_GRAPH_LAUNCH] = { "cudaGraphLaunch", FC_SPIN, 3, 0, 0, 0 },
	[F_STREAM_CREATE] = { "cudaStreamCreate", FC_SPIN, 0, 0, 0, 0 },
	[F_N] = { 0 },
};

__attribute__((constructor)) static void fakecudart_init(void)
{
	fc_init(tab);
}

static __thread cudaError_t last_error;
static unsigned long n_streams;

cudaError_t cudaMalloc(void **devPtr, size_t size)
{
	fc_call(&tab[F_MALLOC]);
	if (!devPtr)
		return last_error = cudaErrorInvalidValue;
	*devPtr = (void *)(uintptr_t)fc_next_devptr(size);
	return cudaSuccess;
}

cudaError_t cudaFree(void *devPtr)
{
	(void)devPtr;
	fc_call(&tab[F_FREE]);
	return cudaSuccess;
}

cudaError_t cudaLaunchKernel(const void *func, dim3 gridDim, dim3 blockDim,
			     void **args, size_t sharedMem, cudaStream_t stream)
{
	(void)func; (void)gridDim; (void)blockDim; (void)args; (void)sharedMem; (void)stream;
	fc_call(&tab[F_LAUNCH]);
	return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
	(void)dst; (void)src; (void)count; (void)kind;
	fc_call(&tab[F_MEMCPY]);
	return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
			    enum cudaMemcpyKind kind, cudaStream_t stream)
{
	(void)dst; (void)src; (void)count; (void)kind; (void)stream;
	fc_call(&tab[F_MEMCPY_ASYNC]);
	return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream)
{
	(void)stream;
	fc_call(&tab[F_STREAM_SYNC]);
	return cudaSuccess;
}

#ifndef FAKECUDA_PARTIAL
cudaError_t cudaDeviceSynchronize(void)
{
	fc_call(&tab[F_DEVICE_SYNC]);
	return cudaSuccess;
}

#endif

#ifndef FAKECUDA_PARTIAL
cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
	(void)flags;
	fc_call(&tab[F_MALLOC_MANAGED]);
	if (!devPtr)
		return last_error = cudaErrorInvalidValue;
	*devPtr = (void *)(uintptr_t)fc_next_devptr(size);
	return cudaSuccess;
}

cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
			 size_t width, size_t height, enum cudaMemcpyKind kind)
{
	(void)dst; (void)dpitch; (void)src; (void)spitch; (void)width; (void)height; (void)kind;
	fc_call(&tab[F_MEMCPY2D]);
	return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
			      size_t width, size_t height, enum cudaMemcpyKind kind,
			      cudaStream_t stream)
{
	(void)dst; (void)dpitch; (void)src; (void)spitch; (void)width; (void)height;
	(void)kind; (void)stream;
	fc_call(&tab[F_MEMCPY2D_ASYNC]);
	return cudaSuccess;
}

#endif /* FAKECUDA_PARTIAL */

/* FAKECUDA_PARTIAL builds a stripped-down runtime without
 * cudaDeviceSynchronize, cudaMallocManaged, the 2D and peer copies and the
 * graph entry points: the recorder must skip missing symbols (with a note),
 * not fail. */
#ifndef FAKECUDA_PARTIAL
static unsigned long n_graphs, n_execs;

cudaError_t cudaMemcpyPeer(void *dst, int dstDevice, const void *src, int srcDevice,
			   size_t count)
{
	(void)dst; (void)dstDevice; (void)src; (void)srcDevice; (void)count;
	fc_call(&tab[F_PEER]);
	return cudaSuccess;
}

cudaError_t cudaMemcpyPeerAsync(void *dst, int dstDevice, const void *src, int srcDevice,
				size_t count, cudaStream_t stream)
{
	(void)dst; (void)dstDevice; (void)src; (void)srcDevice; (void)count; (void)stream;
	fc_call(&tab[F_PEER_ASYNC]);
	return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode)
{
	(void)stream; (void)mode;
	fc_call(&tab[F_BEGIN_CAPTURE]);
	return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *pGraph)
{
	(void)stream;
	fc_call(&tab[F_END_CAPTURE]);
	if (!pGraph)
		return last_error = cudaErrorInvalidValue;
	unsigned long n = __atomic_fetch_add(&n_graphs, 1, __ATOMIC_RELAXED);
	*pGraph = (cudaGraph_t)(uintptr_t)(0x6a100000ul + 0x100ul * n);
	return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
				 unsigned long long flags)
{
	(void)graph; (void)flags;
	fc_call(&tab[F_INSTANTIATE]);
	if (!pGraphExec)
		return last_error = cudaErrorInvalidValue;
	unsigned long n = __atomic_fetch_add(&n_execs, 1, __ATOMIC_RELAXED);
	*pGraphExec = (cudaGraphExec_t)(uintptr_t)(0x6e100000ul + 0x100ul * n);
	return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream)
{
	(void)graphExec; (void)stream;
	fc_call(&tab[F_GRAPH_LAUNCH]);
	return cudaSuccess;
}

#endif /* FAKECUDA_PARTIAL */

cudaError_t cudaStreamCreate(cudaStream_t *pStream)
{
	fc_call(&tab[F_STREAM_CREATE]);
	if (!pStream)
		return last_error = cudaErrorInvalidValue;
	unsigned long n = __atomic_add_fetch(&n_streams, 1, __ATOMIC_RELAXED);
	*pStream = (cudaStream_t)(uintptr_t)(0x57100000ul + 0x100ul * n);
	return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) { (void)stream; return cudaSuccess; }
cudaError_t cudaGetDeviceCount(int *count) { if (count) *count = 1; return cudaSuccess; }
cudaError_t cudaSetDevice(int device) { (void)device; return cudaSuccess; }
cudaError_t cudaGetDevice(int *device) { if (device) *device = 0; return cudaSuccess; }
cudaError_t cudaGetLastError(void) { cudaError_t e = last_error; last_error = 0; return e; }
cudaError_t cudaPeekAtLastError(void) { return last_error; }
const char *cudaGetErrorString(cudaError_t error)
{
	return error == cudaSuccess ? "no error" : "fake error";
}
#ifndef FAKECUDA_PARTIAL
cudaError_t cudaGraphDestroy(cudaGraph_t graph) { (void)graph; return cudaSuccess; }
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { (void)e; return cudaSuccess; }

#endif

void fakecudart_report(FILE *f)
{
	fc_report(tab, f);
}
