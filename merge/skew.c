/* skew.c - robust offset/drift fitting and the collective end-time table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "merge.h"

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double mrg_median(double *v, size_t n)
{
	if (!n)
		return 0;
	if (n < 64) {
		qsort(v, n, sizeof(*v), cmp_dbl);
		return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	double hi = ig_kth_f64(v, n, n / 2);
	if (n & 1)
		return hi;
	/* the lower middle is the largest of v[0 .. n/2-1] after selection */
	double lo = v[0];
	for (size_t i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2;
}

struct xy { double x, y; };

static int cmp_x(const void *a, const void *b)
{
	const struct xy *p = a, *q = b;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->y < q->y ? -1 : p->y > q->y;
}

/* least squares over points with |residual| <= thr (thr < 0: all) */
static size_t lsq(const struct xy *p, size_t n, double a0, double b0, double thr,
		  int drift, double *a, double *b)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double r = p[i].y - a0 - b0 * p[i].x;
		if (thr >= 0 && fabs(r) > thr)
			continue;
		sx += p[i].x; sy += p[i].y;
		k++;
	}
	if (!k)
		return 0;
	double mx = sx / (double)k, my = sy / (double)k;
	for (size_t i = 0; i < n; i++) {
		double r = p[i].y - a0 - b0 * p[i].x;
		if (thr >= 0 && fabs(r) > thr)
			continue;
		double dx = p[i].x - mx;
		sxx += dx * dx;
		sxy += dx * (p[i].y - my);
	}
	if (drift && sxx > 0) {
		*b = sxy / sxx;
		*a = my - *b * mx;
	} else {
		*b = 0;
		*a = my;
	}
	return k;
}

int mrg_fit_robust(const double *x, const double *y, size_t n, int want_drift,
		   struct mrg_fit *f)
{
	memset(f, 0, sizeof(*f));
	if (!n)
		return -1;
	struct xy *p = malloc(n * sizeof(*p));
	double *tmp = malloc(n * sizeof(*tmp));
	if (!p || !tmp) {
		free(p); free(tmp);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (struct xy){ x[i], y[i] };
	qsort(p, n, sizeof(*p), cmp_x);
	int drift = want_drift && n >= MRG_FIT_MIN_DRIFT &&
		    p[n - 1].x - p[0].x >= MRG_FIT_MIN_SPAN_NS;
	double a, b = 0;
	if (drift) {
		/* Tukey's resistant line: medians of the outer thirds */
		size_t t = n / 3;
		for (size_t i = 0; i < t; i++) tmp[i] = p[i].x;
		double xl = mrg_median(tmp, t);
		for (size_t i = 0; i < t; i++) tmp[i] = p[i].y;
		double yl = mrg_median(tmp, t);
		for (size_t i = 0; i < t; i++) tmp[i] = p[n - t + i].x;
		double xr = mrg_median(tmp, t);
		for (size_t i = 0; i < t; i++) tmp[i] = p[n - t + i].y;
		double yr = mrg_median(tmp, t);
		b = xr > xl ? (yr - yl) / (xr - xl) : 0;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = p[i].y - b * p[i].x;
	a = mrg_median(tmp, n);
	double thr = 0;
	for (int it = 0; it < 3; it++) {
		for (size_t i = 0; i < n; i++)
			tmp[i] = fabs(p[i].y - a - b * p[i].x);
		double mad = mrg_median(tmp, n);
		if (it == 0)
			f->mad = mad;
		thr = 5.0 * 1.4826 * mad;
		if (thr < MRG_FIT_FLOOR_NS)
			thr = MRG_FIT_FLOOR_NS;
		double na, nb;
		if (!lsq(p, n, a, b, thr, drift, &na, &nb))
			break;
		a = na; b = nb;
	}
	double ss = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double r = p[i].y - a - b * p[i].x;
		if (fabs(r) > thr)
			continue;
		ss += r * r;
		k++;
	}
	f->a = a;
	f->b = b;
	f->n = n;
	f->inliers = k;
	f->rms = k ? sqrt(ss / (double)k) : 0;
	f->drift = drift;
	free(p);
	free(tmp);
	return 0;
}

/* ------------------------------------------------------ collectives */

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t key_hash(uint64_t comm, uint64_t seq)
{
	return mix64(comm ^ mix64(seq));
}

int mrg_coll_keep(uint64_t comm, uint64_t seq, unsigned level)
{
	if (!level)
		return 1;
	uint64_t h = key_hash(comm, seq) >> 32;  /* table uses the low bits */
	return (h & ((1ull << level) - 1)) == 0;
}

void mrg_coll_init(struct mrg_coll *c)
{
	memset(c, 0, sizeof(*c));
}

void mrg_coll_release(struct mrg_coll *c)
{
	free(c->t);
	free(c->spare);
	memset(c, 0, sizeof(*c));
}

static struct mrg_coll_ent *slot(struct mrg_coll_ent *t, size_t cap, uint64_t comm, uint64_t seq)
{
	size_t i = key_hash(comm, seq) & (cap - 1);
	while (t[i].used && (t[i].comm != comm || t[i].seq != seq))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* Into a new table of cap entries.  Thinning rebuilds at the same size,
 * into the table the previous rebuild left (already faulted in: a fresh
 * calloc of it page-faulted on every thinning). */
static int rebuild(struct mrg_coll *c, size_t cap)
{
	struct mrg_coll_ent *t;
	if (c->spare && c->spare_cap == cap) {
		t = c->spare;
		memset(t, 0, cap * sizeof(*t));
		c->spare = NULL;
	} else if (!(t = calloc(cap, sizeof(*t)))) {
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < c->cap; i++) {
		struct mrg_coll_ent *e = &c->t[i];
		if (!e->used || !mrg_coll_keep(e->comm, e->seq, c->level))
			continue;
		*slot(t, cap, e->comm, e->seq) = *e;
		n++;
	}
	free(c->spare);
	c->spare = c->t;
	c->spare_cap = c->cap;
	c->t = t;
	c->cap = cap;
	c->n = n;
	return 0;
}

void mrg_coll_thin(struct mrg_coll *c, unsigned level)
{
	if (level <= c->level)
		return;
	c->level = level;
	if (c->cap)
		rebuild(c, c->cap);   /* same size: cannot fail to fit */
}

int mrg_coll_add(struct mrg_coll *c, uint64_t comm, uint64_t seq, int64_t end)
{
	if (!mrg_coll_keep(comm, seq, c->level))
		return 0;
	if (!c->cap && rebuild(c, 1024))
		return -1;
	struct mrg_coll_ent *e = slot(c->t, c->cap, comm, seq);
	if (e->used) {
		/* saturating: hostile end times near the int64 limits */
		e->dsum = mrg_sadd(e->dsum, mrg_ssub(end, e->first));
		e->cnt++;
		return 0;
	}
	*e = (struct mrg_coll_ent){ comm, seq, end, 0, 1, 1 };
	c->n++;
	while (c->n > MRG_COLL_CAP) {
		c->level++;
		if (rebuild(c, c->cap))
			return -1;
	}
	if (c->n * 2 > c->cap && rebuild(c, c->cap * 2))
		return -1;
	return 0;
}
