/* select.c - k-th smallest and nearest-rank percentiles (see common.h). */
#include <math.h>

#include "common.h"

/* Quickselect with a median-of-three pivot (Hoare partition); O(n) on
 * average, reorders a so that a[0..k] <= a[k] <= a[k+1..n). */
#define IG_KTH(NAME, T)                                                         \
	T NAME(T *a, size_t n, size_t k)                                        \
	{                                                                       \
		size_t lo = 0, hi = n - 1;                                      \
		while (lo < hi) {                                               \
			size_t mid = lo + (hi - lo) / 2;                        \
			T x = a[lo], y = a[mid], z = a[hi];                     \
			T pv = x < y ? (y < z ? y : (x < z ? z : x))            \
				     : (x < z ? x : (y < z ? z : y));           \
			size_t i = lo, j = hi;                                  \
			while (i <= j) {                                        \
				while (a[i] < pv)                               \
					i++;                                    \
				while (a[j] > pv)                               \
					j--;                                    \
				if (i <= j) {                                   \
					T t = a[i];                             \
					a[i] = a[j];                            \
					a[j] = t;                               \
					i++;                                    \
					if (j == 0)                             \
						break;                          \
					j--;                                    \
				}                                               \
			}                                                       \
			if (k <= j)                                             \
				hi = j;                                         \
			else if (k >= i)                                        \
				lo = i;                                         \
			else                                                    \
				return a[k];                                    \
		}                                                               \
		return a[k];                                                    \
	}

IG_KTH(ig_kth_i64, int64_t)
IG_KTH(ig_kth_f64, double)

size_t ig_rank(size_t n, double p)
{
	if (!n)
		return 0;
	/* p * n is often an integer that floating point misses by an ulp
	   (0.95 * 20 = 19.000000000000004): ceil would then skip a rank */
	double r = ceil(p * (double)n - 1e-9) - 1;
	size_t i = r < 0 ? 0 : (size_t)r;
	return i >= n ? n - 1 : i;
}

int64_t ig_pctl_i64(int64_t *a, size_t n, double p)
{
	return n ? ig_kth_i64(a, n, ig_rank(n, p)) : 0;
}
