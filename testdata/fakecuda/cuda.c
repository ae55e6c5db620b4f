/* cuda.c - fake libcuda.so.1, the driver API (see fakecuda.h). */
#define FAKECUDA_INTERNAL
#include "fakecuda.h"

enum { F_INIT, F_LAUNCH, F_MEMCPY, F_MEMCPY_ASYNC, F_CTX_SYNC, F_ALLOC,
       F_ALLOC_MANAGED, F_FREE, F_N };

static struct fc_fn tab[F_N + 1] = {
	[F_INIT] = { "cuInit", FC_SLEEP, 10, 0, 0, 0 },
	[F_LAUNCH] = { "cuLaunchKernel", FC_SPIN, 2, 0, 0, 0 },
	[F_MEMCPY] = { "cuMemcpy", FC_SLEEP, 20, 0, 0, 0 },
	[F_MEMCPY_ASYNC] = { "cuMemcpyAsync", FC_SPIN, 2, 0, 0, 0 },
	[F_CTX_SYNC] = { "cuCtxSynchronize", FC_SLEEP, 50, 0, 0, 0 },
	[F_ALLOC] = { "cuMemAlloc_v2", FC_SLEEP, 20, 0, 0, 0 },
	[F_ALLOC_MANAGED] = { "cuMemAllocManaged", FC_SLEEP, 20, 0, 0, 0 },
	[F_FREE] = { "cuMemFree_v2", FC_SLEEP, 5, 0, 0, 0 },
	[F_N] = { 0 },
};

__attribute__((constructor)) static void fakecu_init(void)
{
	fc_init(tab);
}

CUresult cuInit(unsigned int flags)
{
	(void)flags;
	fc_call(&tab[F_INIT]);
	return 0;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
			unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
			unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
			void **kernelParams, void **extra)
{
	(void)f; (void)gridDimX; (void)gridDimY; (void)gridDimZ; (void)blockDimX;
	(void)blockDimY; (void)blockDimZ; (void)sharedMemBytes; (void)hStream;
	(void)kernelParams; (void)extra;
	fc_call(&tab[F_LAUNCH]);
	return 0;
}

CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount)
{
	(void)dst; (void)src; (void)ByteCount;
	fc_call(&tab[F_MEMCPY]);
	return 0;
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount, CUstream hStream)
{
	(void)dst; (void)src; (void)ByteCount; (void)hStream;
	fc_call(&tab[F_MEMCPY_ASYNC]);
	return 0;
}

CUresult cuCtxSynchronize(void)
{
	fc_call(&tab[F_CTX_SYNC]);
	return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	fc_call(&tab[F_ALLOC]);
	if (!dptr)
		return 1;
	*dptr = fc_next_devptr(bytesize);
	return 0;
}

CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	(void)flags;
	fc_call(&tab[F_ALLOC_MANAGED]);
	if (!dptr)
		return 1;
	*dptr = fc_next_devptr(bytesize);
	return 0;
}

CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	(void)dptr;
	fc_call(&tab[F_FREE]);
	return 0;
}

void fakecu_report(FILE *f)
{
	fc_report(tab, f);
}
