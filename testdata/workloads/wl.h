/* wl.h - small helpers shared by the fake-CUDA workloads (header-only).
 *
 * Every workload prints, one per line on stdout (flushed at once):
 *   pid <pid>                     first line, before any CUDA call
 *   tid <tid> <role>              each thread that calls CUDA
 *   ... workload-specific lines ("arg ...", "stream 0x...", "func NAME 0x...")
 *   calls <symbol> <count>        at the end, from the fake libraries' counters
 *   done                          last line
 * Common options:
 *   --delay MS     sleep MS ms after printing the pid, before any CUDA call
 *   --wait-usr1    block until SIGUSR1 after printing the pid (tests send it
 *                  once the recorder has attached)
 */
#ifndef WL_H
#define WL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINL __attribute__((noinline))

static inline int wl_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

/* "--name V" or "--name=V"; returns the value string or NULL. */
static inline const char *wl_opt_str(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n))
			continue;
		if (argv[i][n] == '=')
			return argv[i] + n + 1;
		if (argv[i][n] == 0 && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

static inline long wl_opt(int argc, char **argv, const char *name, long def)
{
	const char *v = wl_opt_str(argc, argv, name);
	if (!v)
		return def;
	char *e;
	long x = strtol(v, &e, 0);
	if (*e || e == v) {
		fprintf(stderr, "%s: bad value for %s: '%s'\n", argv[0], name, v);
		exit(2);
	}
	return x;
}

static inline int wl_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

static inline void wl_sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Print usage if --help, the pid line, then honour --delay / --wait-usr1. */
static inline void wl_start(int argc, char **argv, const char *usage)
{
	if (wl_flag(argc, argv, "--help") || wl_flag(argc, argv, "-h")) {
		printf("usage: %s [--delay MS] [--wait-usr1] %s\n", argv[0], usage);
		exit(0);
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	int wait_usr1 = wl_flag(argc, argv, "--wait-usr1");
	if (wait_usr1)
		sigprocmask(SIG_BLOCK, &set, NULL);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	long delay = wl_opt(argc, argv, "--delay", 0);
	if (delay > 0)
		wl_sleep_us((uint64_t)delay * 1000);
	if (wait_usr1) {
		int sig;
		sigwait(&set, &sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
}

/* Pace iteration i of a loop started at t0 to `rate` per second (0 = free). */
static inline void wl_pace(long rate, long i, uint64_t t0)
{
	if (rate <= 0)
		return;
	uint64_t due = t0 + (uint64_t)i * 1000000000ull / (uint64_t)rate;
	uint64_t now = wl_now_ns();
	if (due > now)
		wl_sleep_us((due - now) / 1000);
}

#endif
