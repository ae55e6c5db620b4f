/* wl-fork - the parent calls cudaMalloc once, then forks --children C
 * (default 1); each child does --iters N of cudaLaunchKernel + cudaMemcpy
 * (H2D, 8192 B) + cudaStreamSynchronize(0) and exits.  Prints
 * "child <pid>" for each child, and each child's own call counts as
 * "child <pid> calls <symbol> <n>".  --linger-ms keeps each child alive
 * that long after its calls (short-lived processes vanish from /proc before
 * a recorder may read their metadata). */
#include <sys/wait.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_child(void) { __asm__ volatile(""); }

NOINL int child_work(long iters)
{
	static char host[8192];
	void *dev = NULL;
	int e = cudaMalloc(&dev, sizeof(host));
	dim3 g = { 4, 1, 1 }, b = { 64, 1, 1 };
	for (long i = 0; i < iters; i++) {
		e |= cudaLaunchKernel((const void *)kernel_child, g, b, NULL, 0, NULL);
		e |= cudaMemcpy(dev, host, sizeof(host), cudaMemcpyHostToDevice);
		e |= cudaStreamSynchronize(NULL);
	}
	e |= cudaFree(dev);
	return e;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--children C] [--iters N] [--child-delay MS] [--linger-ms MS]");
	long iters = wl_opt(argc, argv, "--iters", 50);
	long nchild = wl_opt(argc, argv, "--children", 1);
	long cdelay = wl_opt(argc, argv, "--child-delay", 0);
	long linger = wl_opt(argc, argv, "--linger-ms", 0);
	void *p = NULL;
	int err = cudaMalloc(&p, 1 << 20);
	printf("tid %d parent\n", wl_gettid());
	fflush(stdout);
	for (long c = 0; c < nchild; c++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("wl-fork: fork");
			return 1;
		}
		if (pid == 0) {
			if (cdelay > 0)
				wl_sleep_us((uint64_t)cdelay * 1000);
			int e = child_work(iters);
			/* the fake's counters were inherited: print the child's own */
			int me = (int)getpid();
			printf("child %d tid %d\nchild %d calls cudaMalloc 1\n"
			       "child %d calls cudaLaunchKernel %ld\nchild %d calls cudaMemcpy %ld\n"
			       "child %d calls cudaStreamSynchronize %ld\nchild %d calls cudaFree 1\n",
			       me, wl_gettid(), me, me, iters, me, iters, me, iters, me);
			fflush(stdout);
			if (linger > 0)
				wl_sleep_us((uint64_t)linger * 1000);
			_exit(e ? 1 : 0);
		}
		printf("child %d\n", (int)pid);
		fflush(stdout);
	}
	int st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			err = 1;
	err |= cudaFree(p);
	printf("parent calls cudaMalloc 1\nparent calls cudaFree 1\n");
	printf("done\n");
	return err ? 1 : 0;
}
