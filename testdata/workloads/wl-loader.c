/* wl-loader - a training loop starved by its input pipeline (issue 12):
 * forks --workers W processes named pt_data_worker that each burn
 * --burn-ms of CPU per batch and write it into a pipe; the main thread reads
 * one batch per step (blocking until a worker writes), then cudaMemcpy H2D,
 * 4 cudaLaunchKernel and cudaStreamSynchronize(0), --iters times.  Prints
 * "worker <pid>" for each worker.  --rename-ms MS: a worker names itself
 * MS after the fork (a recorder has seen it under its parent's name). */
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>

#include "../fakecuda/fakecuda.h"
#include "wl.h"

NOINL void kernel_step(void) { __asm__ volatile(""); }

static void burn_ms(long ms)
{
	uint64_t end = wl_now_ns() + (uint64_t)ms * 1000000ull;
	volatile uint64_t x = 0;
	while (wl_now_ns() < end)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i * 2654435761u;
}

int main(int argc, char **argv)
{
	wl_start(argc, argv, "[--workers W] [--iters N] [--burn-ms MS] [--rename-ms MS]");
	long nw = wl_opt(argc, argv, "--workers", 4);
	long iters = wl_opt(argc, argv, "--iters", 60);
	long burn = wl_opt(argc, argv, "--burn-ms", 60);
	long rename_ms = wl_opt(argc, argv, "--rename-ms", 0);
	static char batch[4096];
	void *dev = NULL;
	int err = cudaMalloc(&dev, sizeof(batch));
	int fd[2];
	if (pipe(fd)) {
		perror("wl-loader: pipe");
		return 1;
	}
	pid_t kids[64];
	if (nw > 64)
		nw = 64;
	for (long w = 0; w < nw; w++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("wl-loader: fork");
			return 1;
		}
		if (pid == 0) {
			if (rename_ms > 0)
				usleep((useconds_t)rename_ms * 1000);
			prctl(PR_SET_NAME, "pt_data_worker", 0, 0, 0);
			close(fd[0]);
			for (;;) {
				burn_ms(burn);
				if (write(fd[1], batch, sizeof(batch)) != (ssize_t)sizeof(batch))
					_exit(0);
			}
		}
		kids[w] = pid;
		printf("worker %d\n", (int)pid);
		fflush(stdout);
	}
	close(fd[1]);
	dim3 g = { 4, 1, 1 }, b = { 64, 1, 1 };
	for (long i = 0; i < iters; i++) {
		size_t got = 0;
		while (got < sizeof(batch)) {
			ssize_t r = read(fd[0], batch + got, sizeof(batch) - got);
			if (r <= 0) {
				perror("wl-loader: read");
				return 1;
			}
			got += (size_t)r;
		}
		err |= cudaMemcpy(dev, batch, sizeof(batch), cudaMemcpyHostToDevice);
		for (int k = 0; k < 4; k++)
			err |= cudaLaunchKernel((const void *)kernel_step, g, b, NULL, 0, NULL);
		err |= cudaStreamSynchronize(NULL);
	}
	close(fd[0]);
	for (long w = 0; w < nw; w++)
		kill(kids[w], SIGTERM);
	while (wait(NULL) > 0)
		;
	err |= cudaFree(dev);
	printf("done\n");
	return err ? 1 : 0;
}
