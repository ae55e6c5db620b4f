/* nccl.c - fake libnccl.so.2 (see fakecuda.h).  One process per rank; the
 * collectives do not talk to other ranks, they only wait their latency. */
#define FAKECUDA_INTERNAL
#include "fakecuda.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { F_UNIQUE_ID, F_INIT_RANK, F_DESTROY, F_ALL_REDUCE, F_ALL_GATHER,
       F_REDUCE_SCATTER, F_BCAST, F_SEND, F_RECV, F_BCAST_LEGACY, F_N };

static struct fc_fn tab[F_N + 1] = {
	[F_UNIQUE_ID] = { "ncclGetUniqueId", FC_SPIN, 0, 0, 0, 0 },
	[F_INIT_RANK] = { "ncclCommInitRank", FC_SLEEP, 100, 0, 0, 0 },
	[F_DESTROY] = { "ncclCommDestroy", FC_SLEEP, 10, 0, 0, 0 },
	[F_ALL_REDUCE] = { "ncclAllReduce", FC_SLEEP, 50, 0, 0, 0 },
	[F_ALL_GATHER] = { "ncclAllGather", FC_SLEEP, 50, 0, 0, 0 },
	[F_REDUCE_SCATTER] = { "ncclReduceScatter", FC_SLEEP, 50, 0, 0, 0 },
	[F_BCAST] = { "ncclBroadcast", FC_SLEEP, 50, 0, 0, 0 },
	[F_SEND] = { "ncclSend", FC_SLEEP, 20, 0, 0, 0 },
	[F_RECV] = { "ncclRecv", FC_SLEEP, 20, 0, 0, 0 },
	[F_BCAST_LEGACY] = { "ncclBcast", FC_SLEEP, 50, 0, 0, 0 },
	[F_N] = { 0 },
};

__attribute__((constructor)) static void fakenccl_init(void)
{
	fc_init(tab);
}

#define COMM_MAGIC 0x4e43434c46414b45ull

static int bad(ncclComm_t comm)
{
	struct fakenccl_comm *c = (struct fakenccl_comm *)comm;
	return !c || c->magic != COMM_MAGIC;
}

static void bump(ncclComm_t comm)
{
	__atomic_fetch_add(&((struct fakenccl_comm *)comm)->seq, 1, __ATOMIC_RELAXED);
}

ncclResult_t ncclGetUniqueId(ncclUniqueId *uniqueId)
{
	fc_call(&tab[F_UNIQUE_ID]);
	if (!uniqueId)
		return ncclInvalidArgument;
	memset(uniqueId, 0, sizeof(*uniqueId));
	/* like real NCCL: derived from the creator's identity and a nonce */
	unsigned long v[2] = { (unsigned long)getpid(), (unsigned long)(uintptr_t)uniqueId };
	memcpy(uniqueId->internal, v, sizeof(v));
	return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId commId, int rank)
{
	fc_call(&tab[F_INIT_RANK]);
	if (!comm || nranks < 1 || rank < 0 || rank >= nranks)
		return ncclInvalidArgument;
	struct fakenccl_comm *c = calloc(1, sizeof(*c));
	if (!c)
		return ncclInvalidArgument;
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < NCCL_UNIQUE_ID_BYTES; i++) {
		h ^= (unsigned char)commId.internal[i];
		h *= 0x100000001b3ull;
	}
	c->magic = COMM_MAGIC;
	c->comm_hash = h;
	c->rank = rank;
	c->nranks = nranks;
	*comm = (ncclComm_t)c;
	return ncclSuccess;
}

ncclResult_t ncclCommDestroy(ncclComm_t comm)
{
	fc_call(&tab[F_DESTROY]);
	if (bad(comm))
		return ncclInvalidArgument;
	((struct fakenccl_comm *)comm)->magic = 0;
	free(comm);
	return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void *sendbuff, void *recvbuff, size_t count,
			   ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
			   cudaStream_t stream)
{
	(void)sendbuff; (void)recvbuff; (void)count; (void)datatype; (void)op; (void)stream;
	fc_call(&tab[F_ALL_REDUCE]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclAllGather(const void *sendbuff, void *recvbuff, size_t sendcount,
			   ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream)
{
	(void)sendbuff; (void)recvbuff; (void)sendcount; (void)datatype; (void)stream;
	fc_call(&tab[F_ALL_GATHER]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclReduceScatter(const void *sendbuff, void *recvbuff, size_t recvcount,
			       ncclDataType_t datatype, ncclRedOp_t op, ncclComm_t comm,
			       cudaStream_t stream)
{
	(void)sendbuff; (void)recvbuff; (void)recvcount; (void)datatype; (void)op; (void)stream;
	fc_call(&tab[F_REDUCE_SCATTER]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclBroadcast(const void *sendbuff, void *recvbuff, size_t count,
			   ncclDataType_t datatype, int root, ncclComm_t comm,
			   cudaStream_t stream)
{
	(void)sendbuff; (void)recvbuff; (void)count; (void)datatype; (void)root; (void)stream;
	fc_call(&tab[F_BCAST]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

/* the in-place broadcast of NCCL < 2.2, still exported by every NCCL */
ncclResult_t ncclBcast(void *buff, size_t count, ncclDataType_t datatype, int root,
		       ncclComm_t comm, cudaStream_t stream)
{
	(void)buff; (void)count; (void)datatype; (void)root; (void)stream;
	fc_call(&tab[F_BCAST_LEGACY]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclSend(const void *sendbuff, size_t count, ncclDataType_t datatype, int peer,
		      ncclComm_t comm, cudaStream_t stream)
{
	(void)sendbuff; (void)count; (void)datatype; (void)peer; (void)stream;
	fc_call(&tab[F_SEND]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclRecv(void *recvbuff, size_t count, ncclDataType_t datatype, int peer,
		      ncclComm_t comm, cudaStream_t stream)
{
	(void)recvbuff; (void)count; (void)datatype; (void)peer; (void)stream;
	fc_call(&tab[F_RECV]);
	if (bad(comm))
		return ncclInvalidArgument;
	bump(comm);
	return ncclSuccess;
}

ncclResult_t ncclCommCount(const ncclComm_t comm, int *count)
{
	if (bad(comm) || !count)
		return ncclInvalidArgument;
	*count = ((struct fakenccl_comm *)comm)->nranks;
	return ncclSuccess;
}

ncclResult_t ncclCommUserRank(const ncclComm_t comm, int *rank)
{
	if (bad(comm) || !rank)
		return ncclInvalidArgument;
	*rank = ((struct fakenccl_comm *)comm)->rank;
	return ncclSuccess;
}

const char *ncclGetErrorString(ncclResult_t result)
{
	return result == ncclSuccess ? "no error" : "invalid argument";
}

void fakenccl_report(FILE *f)
{
	fc_report(tab, f);
}
