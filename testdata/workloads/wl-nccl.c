/* wl-nccl - NCCL collectives on a fake communicator.  One process per rank:
 *   wl-nccl --rank R --nranks N [--iters K] [--id STR] [--straggle-ms MS]
 * or let it start all ranks itself (each exec'd with RANK, LOCAL_RANK and
 * WORLD_SIZE in its environment, as torchrun does):
 *   wl-nccl --spawn N [--iters K] [--straggler R --straggle-ms MS]
 * The unique id is derived from --id (default "fake"), so every rank builds
 * the same id bytes.  Per iteration: ncclAllReduce (count 262144 float32 sum),
 * ncclAllGather (65536 bf16), ncclReduceScatter (65536 float32 max),
 * ncclBroadcast (1024 int8 root 0), and with N > 1 ncclSend + ncclRecv of
 * 4096 float32 with peer rank^1 (when it exists).  --straggle-ms sleeps
 * before every AllReduce (a slow rank); --linger-ms keeps each rank alive that
 * long after its last call. */
#include <sys/wait.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL int collectives(ncclComm_t c, cudaStream_t s, int rank, int nranks, long iters,
		      long straggle_ms)
{
	int e = 0;
	int peer = rank ^ 1;
	for (long i = 0; i < iters; i++) {
		if (straggle_ms > 0)
			wl_sleep_us((uint64_t)straggle_ms * 1000);
		e |= ncclAllReduce((void *)0x7e0000001000, (void *)0x7e0000001000, 262144,
				   ncclFloat32, ncclSum, c, s);
		e |= ncclAllGather((void *)0x7e0000002000, (void *)0x7e0000003000, 65536,
				   ncclBfloat16, c, s);
		e |= ncclReduceScatter((void *)0x7e0000004000, (void *)0x7e0000005000, 65536,
				       ncclFloat32, ncclMax, c, s);
		e |= ncclBroadcast((void *)0x7e0000006000, (void *)0x7e0000006000, 1024,
				   ncclInt8, 0, c, s);
		if (nranks > 1 && peer < nranks) {
			e |= ncclSend((void *)0x7e0000007000, 4096, ncclFloat32, peer, c, s);
			e |= ncclRecv((void *)0x7e0000008000, 4096, ncclFloat32, peer, c, s);
		}
		e |= cudaStreamSynchronize(s);
	}
	return e;
}

static int spawn(int argc, char **argv, long n)
{
	long iters = wl_opt(argc, argv, "--iters", 10);
	long strag = wl_opt(argc, argv, "--straggler", -1);
	long sms = wl_opt(argc, argv, "--straggle-ms", 0);
	long linger = wl_opt(argc, argv, "--linger-ms", 0);
	const char *id = wl_opt_str(argc, argv, "--id");
	for (long r = 0; r < n; r++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			char rs[24], ns[24], is[24], ss[24], ls[24];
			snprintf(rs, sizeof(rs), "%ld", r);
			snprintf(ns, sizeof(ns), "%ld", n);
			snprintf(is, sizeof(is), "%ld", iters);
			snprintf(ss, sizeof(ss), "%ld", r == strag ? sms : 0);
			snprintf(ls, sizeof(ls), "%ld", linger);
			setenv("RANK", rs, 1);
			setenv("LOCAL_RANK", rs, 1);
			setenv("WORLD_SIZE", ns, 1);
			char *av[] = { argv[0], "--rank", rs, "--nranks", ns, "--iters", is,
				       "--straggle-ms", ss, "--id", (char *)(id ? id : "fake"),
				       "--linger-ms", ls, NULL };
			execv("/proc/self/exe", av);
			_exit(127);
		}
		printf("rank %ld pid %d\n", r, (int)pid);
		fflush(stdout);
	}
	int st, err = 0;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			err = 1;
	printf("done\n");
	return err;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "(--rank R --nranks N | --spawn N) [--iters K] [--id STR] "
		 "[--straggle-ms MS] [--straggler R] [--linger-ms MS]");
	long n = wl_opt(argc, argv, "--spawn", 0);
	if (n > 0)
		return spawn(argc, argv, n);
	long rank = wl_opt(argc, argv, "--rank", 0);
	long nranks = wl_opt(argc, argv, "--nranks", 1);
	long iters = wl_opt(argc, argv, "--iters", 10);
	long sms = wl_opt(argc, argv, "--straggle-ms", 0);
	const char *id = wl_opt_str(argc, argv, "--id");
	if (!id)
		id = "fake";
	ncclUniqueId uid;
	memset(&uid, 0, sizeof(uid));
	strncpy(uid.internal, id, sizeof(uid.internal) - 1);
	ncclComm_t comm = NULL;
	cudaStream_t s = NULL;
	printf("tid %d rank%ld\n", wl_gettid(), rank);
	int e = cudaStreamCreate(&s);
	e |= ncclCommInitRank(&comm, (int)nranks, uid, (int)rank);
	if (e || !comm) {
		fprintf(stderr, "wl-nccl: ncclCommInitRank failed\n");
		return 1;
	}
	struct fakenccl_comm *fc = (struct fakenccl_comm *)comm;
	printf("comm %p hash %#llx rank %d nranks %d\n", (void *)comm,
	       (unsigned long long)fc->comm_hash, fc->rank, fc->nranks);
	e |= collectives(comm, s, (int)rank, (int)nranks, iters, sms);
	printf("seq %llu\niters %ld\n", (unsigned long long)fc->seq, iters);
	e |= ncclCommDestroy(comm);
	fakenccl_report(stdout);
	printf("done\n");
	fflush(stdout);
	long linger = wl_opt(argc, argv, "--linger-ms", 0);
	if (linger > 0)
		wl_sleep_us((uint64_t)linger * 1000);
	return e ? 1 : 0;
}
