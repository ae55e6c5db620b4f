/* clock.c - piecewise-linear CLOCK_BOOTTIME -> unix ns from clock anchors. */
#include <stdlib.h>
#include <string.h>

#include "ingero.h"

void ingero_clock_init(struct ingero_clock *c)
{
	memset(c, 0, sizeof(*c));
}

void ingero_clock_release(struct ingero_clock *c)
{
	if (!c)
		return;
	free(c->a);
	memset(c, 0, sizeof(*c));
}

/* Anchors are kept sorted by boottime; an anchor with the boottime of an
 * existing one replaces it only if its error estimate is smaller. */
int ingero_clock_add(struct ingero_clock *c, const struct ingero_anchor *a)
{
	if (!c || !a)
		return INGERO_EINVAL;
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->a[mid].boottime < a->boottime) lo = mid + 1; else hi = mid;
	}
	if (lo < c->n && c->a[lo].boottime == a->boottime) {
		if (a->error_ns < c->a[lo].error_ns)
			c->a[lo] = *a;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct ingero_anchor *na = realloc(c->a, cap * sizeof(*na));
		if (!na)
			return INGERO_ENOMEM;
		c->a = na;
		c->cap = cap;
	}
	memmove(c->a + lo + 1, c->a + lo, (c->n - lo) * sizeof(*c->a));
	c->a[lo] = *a;
	c->n++;
	return 0;
}

/* wall = r0 + (t - b0) * (r1 - r0) / (b1 - b0), in 128-bit arithmetic. */
static int64_t interp(const struct ingero_anchor *p, const struct ingero_anchor *q, uint64_t t)
{
	__int128 db = (__int128)q->boottime - p->boottime;
	__int128 dr = (__int128)q->realtime - p->realtime;
	__int128 dt = (__int128)t - p->boottime;
	if (db <= 0)
		return (int64_t)((__int128)p->realtime + dt);
	__int128 num = dt * dr;
	/* round to nearest, symmetric */
	__int128 off = num >= 0 ? (num + db / 2) / db : -((-num + db / 2) / db);
	return (int64_t)((__int128)p->realtime + off);
}

int64_t ingero_clock_to_wall(const struct ingero_clock *c, uint64_t t)
{
	if (!c || c->identity || c->n == 0)
		return (int64_t)t;
	if (c->n == 1)
		return (int64_t)((__int128)c->a[0].realtime + ((__int128)t - c->a[0].boottime));
	size_t lo = 0, hi = c->n;   /* first anchor with boottime > t */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->a[mid].boottime <= t) lo = mid + 1; else hi = mid;
	}
	size_t i = lo == 0 ? 0 : lo >= c->n ? c->n - 2 : lo - 1;
	return interp(&c->a[i], &c->a[i + 1], t);
}
