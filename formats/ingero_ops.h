/*
 * ingero_ops.h - source and op codes, op classes and flags, generated from
 * ops.def.  No includes and no declarations beyond enums, so bpf/ and
 * testdata/ can include it; the C API over the table (names, lookup,
 * classes, iteration) is in ingero.h.
 */
#ifndef INGERO_OPS_H
#define INGERO_OPS_H

/* what a call does: one class per op */
enum ingero_op_class {
	INGERO_OPC_NONE = 0,
	INGERO_OPC_LAUNCH,   /* enqueue a kernel or a graph */
	INGERO_OPC_MEMCPY,
	INGERO_OPC_SYNC,     /* wait for the GPU: stream, device, context */
	INGERO_OPC_ALLOC,
	INGERO_OPC_FREE,
	INGERO_OPC_GRAPH,    /* capture / instantiate (not launch) */
	INGERO_OPC_COLL,     /* NCCL collective */
	INGERO_OPC_P2P,      /* NCCL send / recv */
	INGERO_OPC_COMM,     /* NCCL communicator lifecycle */
	INGERO_OPC_SCHED,
	INGERO_OPC_MEM,
	INGERO_OPC_PROC,
	INGERO_OPC_IO,
	INGERO_OPC_NET,
	INGERO_OPC_MAX,
};

/* op flags */
#define INGERO_OPF_OPT 0x1     /* the probed symbol may be missing */
#define INGERO_OPF_SAMP 0x2    /* may be sampled 1-in-N under --overhead-budget */
#define INGERO_OPF_ASYNC 0x4   /* enqueues work on a stream and returns */
#define INGERO_OPF_LEGACY 0x8  /* only in the original tool's databases */

/* probed library */
enum ingero_op_lib { INGERO_LIB_NONE = 0, INGERO_LIB_CUDART = 1, INGERO_LIB_CUDA = 2,
		     INGERO_LIB_NCCL = 4 };

enum ingero_source {
#define INGERO_SOURCE(ID, CODE, NAME, DESC) INGERO_SRC_##ID = CODE,
#include "ops.def"
	INGERO_SRC_MAX = 10,
};

/* INGERO_CUDA_MALLOC, INGERO_HOST_SCHED_SWITCH, INGERO_NCCL_BCAST, ... */
enum ingero_op_code {
#define INGERO_OP(SRC, CODE, ID, NAME, LIB, SYM, CLASS, FLAGS, DESC) INGERO_##ID = CODE,
#include "ops.def"
};

/* Largest op code of any source, plus one. */
#define INGERO_OP_MAX 32

#endif
