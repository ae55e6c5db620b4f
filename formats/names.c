/* names.c - source / op names (the original Ingero's table), error text. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingero.h"

static const char *const src_names[INGERO_SRC_MAX] = {
	[INGERO_SRC_CUDA] = "cuda", [INGERO_SRC_HOST] = "host",
	[INGERO_SRC_DRIVER] = "driver", [INGERO_SRC_IO] = "io",
	[INGERO_SRC_TCP] = "tcp", [INGERO_SRC_NET] = "net",
	[INGERO_SRC_GRAPH] = "cuda_graph", [INGERO_SRC_NCCL] = "nccl",
};

#define OPS_MAX 22
static const char *const op_names[INGERO_SRC_MAX][OPS_MAX] = {
	[INGERO_SRC_CUDA] = { NULL, "cudaMalloc", "cudaFree", "cudaLaunchKernel", "cudaMemcpy",
		"cudaStreamSync", "cudaDeviceSync", "cudaMemcpyAsync", "cudaMallocManaged",
		"cudaMemcpy2D", "cudaMemcpy2DAsync", "cudaMemcpyPeer", "cudaMemcpyPeerAsync" },
	/* 10-12 and 20-21 exist in the original's tables (pod events, summaries) */
	[INGERO_SRC_HOST] = { NULL, "sched_switch", "sched_wakeup", "mm_page_alloc", "oom_kill",
		"process_exec", "process_exit", "process_fork", NULL, NULL, "pod_restart",
		"pod_eviction", "pod_oom_kill", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		"mm_page_alloc_summary", "sched_switch_summary" },
	[INGERO_SRC_DRIVER] = { NULL, "cuLaunchKernel", "cuMemcpy", "cuMemcpyAsync",
		"cuCtxSynchronize", "cuMemAlloc", "cuMemAllocManaged" },
	[INGERO_SRC_IO] = { NULL, "block_read", "block_write", "block_discard" },
	[INGERO_SRC_TCP] = { NULL, "tcp_retransmit" },
	[INGERO_SRC_NET] = { NULL, "net_send", "net_recv" },
	[INGERO_SRC_GRAPH] = { NULL, "graphBeginCapture", "graphEndCapture",
		"graphInstantiate", "graphLaunch" },
	[INGERO_SRC_NCCL] = { NULL, "CommInitRank", "CommDestroy", "AllReduce", "AllGather",
		"ReduceScatter", "Bcast", "Send", "Recv", "CommInitAll" },
};

/* API symbol spellings accepted by ingero_op_lookup(). */
static const struct { const char *name; int src, op; } aliases[] = {
	{ "cudaStreamSynchronize", INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC },
	{ "cudaDeviceSynchronize", INGERO_SRC_CUDA, INGERO_CUDA_DEVICE_SYNC },
	{ "cuMemAlloc_v2", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC },
	{ "cuMemAllocV2", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC },
	{ "cuMemAllocManaged_v2", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC_MANAGED },
	{ "cuMemAllocManagedV2", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC_MANAGED },
	{ "cuMemcpy_v2", INGERO_SRC_DRIVER, INGERO_DRV_MEMCPY },
	{ "cuMemcpyAsync_v2", INGERO_SRC_DRIVER, INGERO_DRV_MEMCPY_ASYNC },
	{ "cudaStreamBeginCapture", INGERO_SRC_GRAPH, INGERO_GRAPH_BEGIN_CAPTURE },
	{ "cudaStreamEndCapture", INGERO_SRC_GRAPH, INGERO_GRAPH_END_CAPTURE },
	{ "cudaGraphInstantiate", INGERO_SRC_GRAPH, INGERO_GRAPH_INSTANTIATE },
	{ "cudaGraphLaunch", INGERO_SRC_GRAPH, INGERO_GRAPH_LAUNCH },
	{ "ncclCommInitRank", INGERO_SRC_NCCL, INGERO_NCCL_COMM_INIT_RANK },
	{ "ncclCommDestroy", INGERO_SRC_NCCL, INGERO_NCCL_COMM_DESTROY },
	{ "ncclAllReduce", INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE },
	{ "ncclAllGather", INGERO_SRC_NCCL, INGERO_NCCL_ALL_GATHER },
	{ "ncclReduceScatter", INGERO_SRC_NCCL, INGERO_NCCL_REDUCE_SCATTER },
	{ "ncclBcast", INGERO_SRC_NCCL, INGERO_NCCL_BCAST },
	{ "ncclSend", INGERO_SRC_NCCL, INGERO_NCCL_SEND },
	{ "ncclRecv", INGERO_SRC_NCCL, INGERO_NCCL_RECV },
	{ "ncclCommInitAll", INGERO_SRC_NCCL, 9 },
	{ "page_alloc", INGERO_SRC_HOST, INGERO_HOST_PAGE_ALLOC },
	{ "exec", INGERO_SRC_HOST, INGERO_HOST_EXEC },
	{ "exit", INGERO_SRC_HOST, INGERO_HOST_EXIT },
	{ "fork", INGERO_SRC_HOST, INGERO_HOST_FORK },
};

const char *ingero_source_name(int source)
{
	if (source <= 0 || source >= INGERO_SRC_MAX)
		return NULL;
	return src_names[source];
}

const char *ingero_op_name(int source, int op)
{
	if (source <= 0 || source >= INGERO_SRC_MAX || op <= 0 || op >= OPS_MAX)
		return NULL;
	return op_names[source][op];
}

int ingero_op_lookup(const char *name, int *source, int *op)
{
	if (!name)
		return -1;
	for (int s = 1; s < INGERO_SRC_MAX; s++)
		for (int o = 1; o < OPS_MAX; o++)
			if (op_names[s][o] && !strcasecmp(op_names[s][o], name)) {
				if (source) *source = s;
				if (op) *op = o;
				return 0;
			}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(aliases[i].name, name)) {
			if (source) *source = aliases[i].src;
			if (op) *op = aliases[i].op;
			return 0;
		}
	return -1;
}

const char *ingero_strerror(const struct ingero_error *e, char *buf, size_t len)
{
	if (!buf || !len)
		return "";
	if (!e || (!e->code && !e->msg[0]))
		snprintf(buf, len, "no error");
	else if (e->file[0])
		snprintf(buf, len, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}
