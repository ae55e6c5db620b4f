/* common.c - latency table and call counting shared by the fake libraries
 * (compiled into each one; hidden visibility, so each library has its own). */
#define FAKECUDA_INTERNAL
#include "fakecuda.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_entry(struct fc_fn *tab, const char *name, size_t nlen, unsigned us)
{
	for (struct fc_fn *f = tab; f->name; f++)
		if ((nlen == 1 && name[0] == '*') ||
		    (strlen(f->name) == nlen && !memcmp(f->name, name, nlen)))
			f->lat_us = us;
	return 0;
}

void fc_init(struct fc_fn *tab)
{
	for (struct fc_fn *f = tab; f->name; f++)
		f->lat_us = f->default_us;
	const char *env = getenv("FAKECUDA_LAT");
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
					parse_entry(tab, p, (size_t)(eq - p), (unsigned)v);
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fc_call(struct fc_fn *fn)
{
	__atomic_fetch_add(&fn->calls, 1, __ATOMIC_RELAXED);
	unsigned us = fn->lat_us;
	if (!us)
		return;
	if (fn->how == FC_SPIN) {
		uint64_t end = now_ns() + (uint64_t)us * 1000;
		while (now_ns() < end)
			;
		return;
	}
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0)
		;
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
