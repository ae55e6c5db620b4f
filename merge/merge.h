/* merge.h - ingero-merge internals shared by main.c and skew.c (and the unit
 * tests).  Not a public API. */
#ifndef INGERO_MERGE_H
#define INGERO_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------- saturating time arithmetic */

/*
 * Timestamps are int64 ns inside the merge; record fields are uint64.  A value
 * above INT64_MAX (past the year 2262) cannot be represented: it is clamped
 * to INT64_MAX (mrg_u2i) and the caller counts it for a warning.  Sums and
 * differences of timestamps (ts + dur, runmax - ts, offset + drift terms)
 * saturate at the int64 limits instead of overflowing.
 */
static inline int64_t mrg_u2i(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static inline int64_t mrg_sadd(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline int64_t mrg_ssub(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* nearest int64 (halves away from zero), saturating; NaN gives 0 */
static inline int64_t mrg_round(double x)
{
	if (x != x)
		return 0;
	if (x >= 9223372036854775808.0)      /* 2^63 */
		return INT64_MAX;
	if (x <= -9223372036854775808.0)
		return INT64_MIN;
	/* |x| < 2^63 here; adding 0.5 cannot reach 2^63 (ulp there is 1024) */
	return (int64_t)(x >= 0 ? x + 0.5 : x - 0.5);
}

/* ------------------------------------------------ robust line fitting */

/*
 * y = a + b * x, fitted robustly over n samples (x centered by the caller so
 * that doubles keep ns precision).  With want_drift == 0, or when the samples
 * cannot support a slope (fewer than MRG_FIT_MIN_DRIFT samples, or x spans
 * less than MRG_FIT_MIN_SPAN_NS), b = 0.  Outliers are rejected by a
 * median/MAD rule around a resistant (Tukey three-group) initial line, then
 * least squares is run on the inliers (twice).
 */
#define MRG_FIT_MIN_DRIFT 16
#define MRG_FIT_MIN_SPAN_NS 2e9
#define MRG_FIT_FLOOR_NS 200.0   /* outlier threshold never below this */

struct mrg_fit {
	double a, b;         /* offset at x = 0 (ns), slope (ns/ns) */
	double rms;          /* RMS residual of the inliers, ns */
	double mad;          /* median absolute deviation of all residuals */
	size_t n, inliers;
	int drift;           /* 1 if b was fitted */
};

/* Returns 0, or -1 when n == 0 or memory runs out. */
int mrg_fit_robust(const double *x, const double *y, size_t n, int want_drift,
		   struct mrg_fit *f);
double mrg_median(double *v, size_t n);   /* reorders v */

/* ------------------------------------------- collective end-time table */

/*
 * (comm hash, sequence) -> mean end time of the collective in one clock
 * domain.  Memory is bounded: when the table holds more than MRG_COLL_CAP
 * keys, it keeps only keys whose hash has `level` low zero bits and raises
 * the level.  Because the hash depends only on the key, every domain keeps
 * the same keys at the same level, so matching still works after thinning.
 */
#define MRG_COLL_CAP (1u << 14)

struct mrg_coll_ent {
	uint64_t comm, seq;
	int64_t first;       /* first end time seen */
	int64_t dsum;        /* sum of (end - first) over cnt ends */
	uint32_t cnt;
	uint32_t used;
};

struct mrg_coll {
	struct mrg_coll_ent *t;
	size_t cap, n;
	struct mrg_coll_ent *spare;   /* the previous table, reused by the next rebuild */
	size_t spare_cap;
	unsigned level;
};

void mrg_coll_init(struct mrg_coll *c);
void mrg_coll_release(struct mrg_coll *c);
int mrg_coll_add(struct mrg_coll *c, uint64_t comm, uint64_t seq, int64_t end);
/* Drop keys not kept at `level` (>= c->level). */
void mrg_coll_thin(struct mrg_coll *c, unsigned level);
int mrg_coll_keep(uint64_t comm, uint64_t seq, unsigned level);

/* A sorted, flat copy of the table (by comm, seq) with mean end times. */
struct mrg_coll_pt {
	uint64_t comm, seq;
	int64_t end;
};

#endif
