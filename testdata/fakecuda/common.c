/* common.c - latency table and call counting shared by the fake libraries
 * (compiled into each one; hidden visibility, so each library has its own). */
#define FAKECUDA_INTERNAL
#include "fakecuda.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* FAKECUDA_GPU_LOCK=PATH: one "GPU" shared by every process using the same
 * path; sleeping calls hold an exclusive flock while they wait, so two
 * processes' GPU work serializes like kernels time-slicing one device. */
static int gpu_lock_fd = -1;

static int parse_entry(struct fc_fn *tab, const char *name, size_t nlen, unsigned us,
		       int cold)
{
	for (struct fc_fn *f = tab; f->name; f++)
		if ((nlen == 1 && name[0] == '*') ||
		    (strlen(f->name) == nlen && !memcmp(f->name, name, nlen))) {
			if (cold)
				f->cold_us = us;
			else
				f->lat_us = us;
		}
	return 0;
}

static void parse_env(struct fc_fn *tab, const char *var, int cold)
{
	const char *env = getenv(var);
	if (!env)
		return;
	const char *p = env;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq && eq > p) {
			char num[32];
			size_t nl = len - (size_t)(eq + 1 - p);
			if (nl > 0 && nl < sizeof(num)) {
				memcpy(num, eq + 1, nl);
				num[nl] = 0;
				char *e;
				unsigned long v = strtoul(num, &e, 10);
				if (*e == 0)
					parse_entry(tab, p, (size_t)(eq - p), (unsigned)v, cold);
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

void fc_init(struct fc_fn *tab)
{
	for (struct fc_fn *f = tab; f->name; f++) {
		f->lat_us = f->default_us;
		f->cold_us = 0;
	}
	parse_env(tab, "FAKECUDA_LAT", 0);
	parse_env(tab, "FAKECUDA_COLD", 1);
	const char *lock = getenv("FAKECUDA_GPU_LOCK");
	if (lock && *lock && gpu_lock_fd < 0)
		gpu_lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fc_call(struct fc_fn *fn)
{
	unsigned long n = __atomic_fetch_add(&fn->calls, 1, __ATOMIC_RELAXED);
	unsigned us = n == 0 && fn->cold_us ? fn->cold_us : fn->lat_us;
	if (!us)
		return;
	if (fn->how == FC_SPIN) {
		uint64_t end = now_ns() + (uint64_t)us * 1000;
		while (now_ns() < end)
			;
		return;
	}
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	if (gpu_lock_fd >= 0)
		while (flock(gpu_lock_fd, LOCK_EX) != 0)
			;
	while (nanosleep(&ts, &ts) != 0)
		;
	if (gpu_lock_fd >= 0)
		flock(gpu_lock_fd, LOCK_UN);
}

void fc_report(const struct fc_fn *tab, FILE *f)
{
	for (const struct fc_fn *t = tab; t->name; t++) {
		unsigned long n = __atomic_load_n(&t->calls, __ATOMIC_RELAXED);
		if (n)
			fprintf(f, "calls %s %lu\n", t->name, n);
	}
	fflush(f);
}

uint64_t fc_next_devptr(size_t size)
{
	static uint64_t next = 0x7e0000000000ull;
	uint64_t sz = ((uint64_t)size + 4095) & ~4095ull;
	if (!sz)
		sz = 4096;
	return __atomic_fetch_add(&next, sz, __ATOMIC_RELAXED);
}
