/*
 * fakecuda.h - types and prototypes of the fake CUDA runtime (libcudart.so.12),
 * CUDA driver (libcuda.so.1) and NCCL (libnccl.so.2) used by the recorder
 * tests.  The exported symbols have the REAL names and the REAL C signatures
 * (CUDA 12 / NCCL 2.x headers), so a uprobe that reads an argument here reads
 * it exactly where it would find it in NVIDIA's libraries.
 *
 * Behaviour: every call waits a configurable time, then succeeds (returns 0).
 *   FAKECUDA_LAT="cudaMalloc=200,cudaStreamSynchronize=16000,*=0"
 * sets the latency in microseconds per function name ("*" = every function;
 * later entries win).  Read once, at library load.  Calls that wait on the
 * "GPU" (memcpy, synchronize, malloc/free, NCCL collectives, init) SLEEP
 * (nanosleep: the thread goes off CPU, as in a real GPU wait); calls that only
 * enqueue work (launches, async copies, graph launch, capture) SPIN on the CPU.
 * Default latencies are small (the tables in cudart.c, cuda.c, nccl.c: 0-100 us).
 *   FAKECUDA_COLD="cudaMalloc=300000,cudaLaunchKernel=80000"
 * (same syntax) replaces the latency of the FIRST call of a symbol in the
 * process: a cold start (context creation, module loading).
 *   FAKECUDA_GPU_LOCK=/tmp/gpu0.lock
 * makes every process using that path share one "GPU": sleeping calls hold
 * an exclusive flock on it while they wait, so their GPU work serializes.
 *
 * Fake values: cudaMalloc, cudaMallocManaged, cuMemAlloc_v2 and cuMemAllocManaged write distinct device
 * pointers (0x7e00_0000_0000 upwards, 4 KiB aligned); cudaStreamCreate writes
 * 0x5710_0000 + 0x100*n; cudaStreamEndCapture writes graph handles
 * 0x6a10_0000 + 0x100*n, cudaGraphInstantiate exec handles 0x6e10_0000 +
 * 0x100*n; ncclCommInitRank writes a pointer to a heap struct fakenccl_comm.
 *
 * Every library also exports a report function (distinct names, so the three
 * libraries loaded together do not interpose each other):
 *   fakecudart_report(FILE *), fakecu_report(FILE *), fakenccl_report(FILE *)
 * printing "calls <symbol> <count>" for every symbol called at least once.
 *
 * Build: -O1 -fno-omit-frame-pointer -fcf-protection=none, so each probed
 * function starts with `push %rbp` (55), which the kernel's uprobe code
 * EMULATES (~5.5 us per hit on this VM) instead of `endbr64`, which it has to
 * single-step (~19 us).  testdata/build.mk verifies this with objdump after
 * linking (the build fails if a probed symbol starts with anything else).
 *
 * ---------------------------------------------------------------------------
 * WHERE THE PROBED ARGUMENTS ARE at the uprobe (function entry, x86-64 SysV).
 * At entry %rsp points to the return address, so the first stack-passed
 * argument is at [rsp+8], the next at [rsp+16], ...  Return value: %rax (int,
 * 0 = success).  Out-pointer results (device pointer, graph handle) must be
 * read at the uretprobe from the out-pointer saved at entry.
 * dim3 is a 12-byte struct {x,y,z} passed BY VALUE: class INTEGER, two
 * eightbytes: first register holds x | y<<32, second holds z.
 * A struct larger than 16 bytes (ncclUniqueId, 128 bytes) is passed in memory
 * on the stack and does NOT consume a register: the next int arg takes the
 * next free register.
 *
 * function              | arguments (register / stack slot at entry)
 * ----------------------+---------------------------------------------------------
 * cudaMalloc            | devPtr** rdi, size rsi             -> *devPtr at return
 * cudaFree              | devPtr rdi
 * cudaLaunchKernel      | func rdi, gridDim rsi(x|y<<32) rdx(z), blockDim rcx(x|y<<32)
 *                       |   r8(z), args r9, sharedMem [rsp+8], stream [rsp+16]
 * cudaMemcpy            | dst rdi, src rsi, count rdx, kind ecx
 * cudaMemcpyAsync       | dst rdi, src rsi, count rdx, kind ecx, stream r8
 * cudaStreamSynchronize | stream rdi
 * cudaDeviceSynchronize | (none)
 * cudaMallocManaged     | devPtr** rdi, size rsi, flags edx  -> *devPtr at return
 * cudaMemcpy2D          | dst rdi, dpitch rsi, src rdx, spitch rcx, width r8,
 *                       |   height r9, kind [rsp+8]           (bytes = width*height)
 * cudaMemcpy2DAsync     | dst rdi, dpitch rsi, src rdx, spitch rcx, width r8,
 *                       |   height r9, kind [rsp+8], stream [rsp+16]
 * cudaMemcpyPeer        | dst rdi, dstDevice esi, src rdx, srcDevice ecx, count r8
 * cudaMemcpyPeerAsync   | dst rdi, dstDevice esi, src rdx, srcDevice ecx, count r8,
 *                       |   stream r9
 * cudaStreamBeginCapture| stream rdi, mode esi
 * cudaStreamEndCapture  | stream rdi, pGraph** rsi            -> *pGraph at return
 * cudaGraphInstantiate  | pGraphExec** rdi, graph rsi, flags rdx -> *pGraphExec at return
 * cudaGraphLaunch       | graphExec rdi, stream rsi
 * ----------------------+---------------------------------------------------------
 * cuInit                | flags edi
 * cuLaunchKernel        | f rdi, gridX esi, gridY edx, gridZ ecx, blockX r8d,
 *                       |   blockY r9d, blockZ [rsp+8], sharedMemBytes [rsp+16],
 *                       |   hStream [rsp+24], kernelParams [rsp+32], extra [rsp+40]
 * cuMemcpy              | dst rdi, src rsi, ByteCount rdx     (kind unknown: 4 default)
 * cuMemcpyAsync         | dst rdi, src rsi, ByteCount rdx, hStream rcx
 * cuCtxSynchronize      | (none)
 * cuMemAlloc_v2         | dptr* rdi, bytesize rsi             -> *dptr at return
 * cuMemAllocManaged     | dptr* rdi, bytesize rsi, flags edx  -> *dptr at return
 * ----------------------+---------------------------------------------------------
 * ncclGetUniqueId       | uniqueId* rdi
 * ncclCommInitRank      | comm** rdi, nranks esi, commId (128 B) [rsp+8..rsp+135],
 *                       |   rank edx                          -> *comm at return
 * ncclCommDestroy       | comm rdi
 * ncclAllReduce         | sendbuff rdi, recvbuff rsi, count rdx, datatype ecx,
 *                       |   op r8d, comm r9, stream [rsp+8]
 * ncclAllGather         | sendbuff rdi, recvbuff rsi, sendcount rdx, datatype ecx,
 *                       |   comm r8, stream r9
 * ncclReduceScatter     | sendbuff rdi, recvbuff rsi, recvcount rdx, datatype ecx,
 *                       |   op r8d, comm r9, stream [rsp+8]
 * ncclBroadcast         | sendbuff rdi, recvbuff rsi, count rdx, datatype ecx,
 *                       |   root r8d, comm r9, stream [rsp+8]
 * ncclBcast (legacy)    | buff rdi, count rsi, datatype edx, root ecx, comm r8,
 *                       |   stream r9
 * ncclSend              | sendbuff rdi, count rsi, datatype edx, peer ecx, comm r8,
 *                       |   stream r9
 * ncclRecv              | recvbuff rdi, count rsi, datatype edx, peer ecx, comm r8,
 *                       |   stream r9
 *
 * NCCL communicator: real NCCL's ncclComm is opaque and version dependent;
 * the recorder should learn rank/nranks from ncclCommInitRank (esi, edx) and
 * key on the comm pointer.  The fake's struct fakenccl_comm (below) is a test
 * aid only, not something to read from BPF.  commHash: real NCCL derives it
 * from the ncclUniqueId bytes; a recorder can hash the 128 id bytes at
 * [rsp+8] so all ranks of one communicator agree.
 *
 * Stacks: at the uprobe the callee has not pushed %rbp yet, so a frame-pointer
 * walk starting from %rbp skips the immediate caller; its return address is
 * at [rsp].  The workloads are built with frame pointers and not stripped.
 */
#ifndef FAKECUDA_H
#define FAKECUDA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FC_API __attribute__((visibility("default")))

/* ------------------------------------------------------------ runtime types */
typedef enum cudaError { cudaSuccess = 0, cudaErrorInvalidValue = 1,
			 cudaErrorMemoryAllocation = 2 } cudaError_t;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;
typedef struct dim3 { unsigned int x, y, z; } dim3;
enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};
enum cudaStreamCaptureMode {
	cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1,
	cudaStreamCaptureModeRelaxed = 2,
};

FC_API cudaError_t cudaMalloc(void **devPtr, size_t size);
FC_API cudaError_t cudaFree(void *devPtr);
FC_API cudaError_t cudaLaunchKernel(const void *func, dim3 gridDim, dim3 blockDim,
				    void **args, size_t sharedMem, cudaStream_t stream);
FC_API cudaError_t cudaMemcpy(void *dst, const void *src, size_t count,
			      enum cudaMemcpyKind kind);
FC_API cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
				   enum cudaMemcpyKind kind, cudaStream_t stream);
FC_API cudaError_t cudaStreamSynchronize(cudaStream_t stream);
FC_API cudaError_t cudaDeviceSynchronize(void);
FC_API cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags);
FC_API cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch,
				size_t width, size_t height, enum cudaMemcpyKind kind);
FC_API cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src,
				     size_t spitch, size_t width, size_t height,
				     enum cudaMemcpyKind kind, cudaStream_t stream);
FC_API cudaError_t cudaMemcpyPeer(void *dst, int dstDevice, const void *src,
				  int srcDevice, size_t count);
FC_API cudaError_t cudaMemcpyPeerAsync(void *dst, int dstDevice, const void *src,
				       int srcDevice, size_t count, cudaStream_t stream);
FC_API cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode);
FC_API cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *pGraph);
FC_API cudaError_t cudaGraphInstantiate(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
					unsigned long long flags);
FC_API cudaError_t cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream);
/* not probed: helpers the workloads use */
FC_API cudaError_t cudaStreamCreate(cudaStream_t *pStream);
FC_API cudaError_t cudaStreamDestroy(cudaStream_t stream);
FC_API cudaError_t cudaGetDeviceCount(int *count);
FC_API cudaError_t cudaSetDevice(int device);
FC_API cudaError_t cudaGetDevice(int *device);
FC_API cudaError_t cudaGetLastError(void);
FC_API cudaError_t cudaPeekAtLastError(void);
FC_API const char *cudaGetErrorString(cudaError_t error);
FC_API cudaError_t cudaGraphDestroy(cudaGraph_t graph);
FC_API cudaError_t cudaGraphExecDestroy(cudaGraphExec_t graphExec);
FC_API void fakecudart_report(FILE *f);

/* ------------------------------------------------------------- driver types */
typedef int CUresult;          /* CUDA_SUCCESS = 0 */
typedef unsigned long long CUdeviceptr;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;

FC_API CUresult cuInit(unsigned int flags);
FC_API CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
			       unsigned int gridDimZ, unsigned int blockDimX,
			       unsigned int blockDimY, unsigned int blockDimZ,
			       unsigned int sharedMemBytes, CUstream hStream,
			       void **kernelParams, void **extra);
FC_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount);
FC_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
			      CUstream hStream);
FC_API CUresult cuCtxSynchronize(void);
FC_API CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
FC_API CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags);
FC_API CUresult cuMemFree_v2(CUdeviceptr dptr);
FC_API void fakecu_report(FILE *f);

/* --------------------------------------------------------------- NCCL types */
typedef enum { ncclSuccess = 0, ncclInvalidArgument = 4 } ncclResult_t;
typedef struct ncclComm *ncclComm_t;
#define NCCL_UNIQUE_ID_BYTES 128
typedef struct { char internal[NCCL_UNIQUE_ID_BYTES]; } ncclUniqueId;
typedef enum { ncclInt8 = 0, ncclUint8 = 1, ncclInt32 = 2, ncclUint32 = 3,
	       ncclInt64 = 4, ncclUint64 = 5, ncclFloat16 = 6, ncclFloat32 = 7,
	       ncclFloat64 = 8, ncclBfloat16 = 9 } ncclDataType_t;
typedef enum { ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3,
	       ncclAvg = 4 } ncclRedOp_t;

/* test aid only (see above) */
struct fakenccl_comm {
	uint64_t magic;        /* 0x4e43434c46414b45 "NCCLFAKE" */
	uint64_t comm_hash;    /* FNV-1a of the unique id bytes */
	int rank, nranks;
	uint64_t seq;          /* collectives issued so far */
};

FC_API ncclResult_t ncclGetUniqueId(ncclUniqueId *uniqueId);
FC_API ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId commId,
				     int rank);
FC_API ncclResult_t ncclCommDestroy(ncclComm_t comm);
FC_API ncclResult_t ncclAllReduce(const void *sendbuff, void *recvbuff, size_t count,
				  ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
				  cudaStream_t stream);
FC_API ncclResult_t ncclAllGather(const void *sendbuff, void *recvbuff, size_t sendcount,
				  ncclDataType_t datatype, ncclComm_t comm,
				  cudaStream_t stream);
FC_API ncclResult_t ncclReduceScatter(const void *sendbuff, void *recvbuff,
				      size_t recvcount, ncclDataType_t datatype,
				      ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream);
FC_API ncclResult_t ncclBroadcast(const void *sendbuff, void *recvbuff, size_t count,
				  ncclDataType_t datatype, int root, ncclComm_t comm,
				  cudaStream_t stream);
FC_API ncclResult_t ncclBcast(void *buff, size_t count, ncclDataType_t datatype, int root,
			      ncclComm_t comm, cudaStream_t stream);
FC_API ncclResult_t ncclSend(const void *sendbuff, size_t count, ncclDataType_t datatype,
			     int peer, ncclComm_t comm, cudaStream_t stream);
FC_API ncclResult_t ncclRecv(void *recvbuff, size_t count, ncclDataType_t datatype,
			     int peer, ncclComm_t comm, cudaStream_t stream);
FC_API ncclResult_t ncclCommCount(const ncclComm_t comm, int *count);
FC_API ncclResult_t ncclCommUserRank(const ncclComm_t comm, int *rank);
FC_API const char *ncclGetErrorString(ncclResult_t result);
FC_API void fakenccl_report(FILE *f);

/* ----------------------------------------- internal (common.c, hidden) */
#ifdef FAKECUDA_INTERNAL
enum fc_wait { FC_SLEEP, FC_SPIN };
struct fc_fn {
	const char *name;
	enum fc_wait how;
	unsigned default_us;
	unsigned lat_us;        /* after FAKECUDA_LAT */
	unsigned cold_us;       /* first call, FAKECUDA_COLD (0 = lat_us) */
	unsigned long calls;    /* atomic */
};
/* Apply FAKECUDA_LAT to a table (NULL-name terminated). */
void fc_init(struct fc_fn *tab);
/* Count one call of tab[i] and wait its latency. */
void fc_call(struct fc_fn *fn);
void fc_report(const struct fc_fn *tab, FILE *f);
uint64_t fc_next_devptr(size_t size);
#endif

#endif
