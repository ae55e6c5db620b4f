/* unit-skew.c - the robust offset/drift fit and the collective table. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit.h"
#include "../../merge/merge.h"

static uint64_t s = 0x1234567;
static double urand(void)
{
	s ^= s << 13; s ^= s >> 7; s ^= s << 17;
	return (double)(s >> 11) / 9007199254740992.0;
}

int main(void)
{
	enum { N = 2000 };
	static double x[N], y[N];
	struct mrg_fit f;

	/* offset + 20 ppm drift, +-1 us noise, 5% outliers up to +500 us */
	for (int i = 0; i < N; i++) {
		x[i] = i * 30e6;                          /* 60 s span */
		y[i] = -3.2e6 + 20e-6 * x[i] + (urand() - 0.5) * 2000;
		if (i % 20 == 7)
			y[i] += 50000 + urand() * 450000;
	}
	T_CHECK(mrg_fit_robust(x, y, N, 1, &f) == 0, "skew fit runs");
	T_CHECK(fabs(f.a + 3.2e6) < 1000, "skew offset recovered with outliers (%.1f ns off)", f.a + 3.2e6);
	T_CHECK(fabs(f.b * 1e6 - 20) < 0.1, "skew drift recovered (%.4f ppm)", f.b * 1e6);
	T_CHECK(f.inliers <= N - N / 20 && f.inliers > N * 9 / 10, "skew outliers rejected (%zu inliers)", f.inliers);
	T_CHECK(f.drift == 1, "skew drift fitted");

	/* offset only when asked, or when the span is too short */
	T_CHECK(mrg_fit_robust(x, y, N, 0, &f) == 0 && f.b == 0 && f.drift == 0, "skew no drift when not wanted");
	for (int i = 0; i < 10; i++) { x[i] = i * 1e6; y[i] = 850000 + (i % 2 ? 300 : -300); }
	y[3] = 9e6;  /* one wild sample */
	T_CHECK(mrg_fit_robust(x, y, 10, 1, &f) == 0 && f.drift == 0 && fabs(f.a - 850000) < 100,
		"skew few samples: offset only, median-robust (%.1f)", f.a);
	T_CHECK(f.inliers == 9, "skew wild sample rejected (%zu inliers)", f.inliers);
	T_CHECK(mrg_fit_robust(x, y, 0, 1, &f) < 0, "skew empty input refused");
	double one = 5; double zero = 0;
	T_CHECK(mrg_fit_robust(&zero, &one, 1, 1, &f) == 0 && f.a == 5 && f.rms == 0, "skew single sample");

	/* median by selection agrees with sorting, odd and even, with ties */
	int med_ok = 1;
	for (int trial = 0; trial < 200; trial++) {
		size_t n = 1 + (size_t)(urand() * 300);
		double *v = malloc(n * sizeof(*v)), *w = malloc(n * sizeof(*w));
		for (size_t i = 0; i < n; i++)
			v[i] = w[i] = trial % 3 ? floor(urand() * 20) : urand();
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
				double t = w[j]; w[j] = w[j - 1]; w[j - 1] = t;
			}
		double want = n & 1 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
		if (mrg_median(v, n) != want)
			med_ok = 0;
		free(v); free(w);
	}
	T_CHECK(med_ok, "skew median by selection");

	/* collective table: averaging, thinning keeps the same keys everywhere */
	struct mrg_coll a, b;
	mrg_coll_init(&a); mrg_coll_init(&b);
	mrg_coll_add(&a, 7, 1, 1000);
	mrg_coll_add(&a, 7, 1, 1100);
	int found = 0;
	for (size_t i = 0; i < a.cap; i++)
		if (a.t[i].used && a.t[i].comm == 7 && a.t[i].seq == 1)
			found = a.t[i].first + a.t[i].dsum / (int64_t)a.t[i].cnt == 1050;
	T_CHECK(found, "coll mean of duplicate ends");
	for (uint64_t q = 0; q < 3 * MRG_COLL_CAP; q++)
		mrg_coll_add(&b, 9, q, (int64_t)q);
	T_CHECK(b.n <= MRG_COLL_CAP && b.level > 0, "coll bounded (%zu keys, level %u)", b.n, b.level);
	int agree = 1;
	for (size_t i = 0; i < b.cap; i++)
		if (b.t[i].used && !mrg_coll_keep(9, b.t[i].seq, b.level))
			agree = 0;
	T_CHECK(agree, "coll thinned keys follow the hash rule");
	mrg_coll_thin(&a, b.level);
	T_CHECK(a.level == b.level, "coll thin to common level");
	mrg_coll_release(&a); mrg_coll_release(&b);

	/* saturating time arithmetic (UBSan builds trap on any overflow here) */
	T_CHECK(mrg_u2i(UINT64_MAX) == INT64_MAX && mrg_u2i((uint64_t)INT64_MAX + 1) == INT64_MAX &&
		mrg_u2i(5) == 5, "time: uint64 above INT64_MAX clamps");
	T_CHECK(mrg_sadd(INT64_MAX - 10, 11) == INT64_MAX && mrg_sadd(INT64_MIN + 1, -2) == INT64_MIN &&
		mrg_sadd(-3, 5) == 2, "time: saturating add");
	T_CHECK(mrg_ssub(9223372036854774796, -1014) == INT64_MAX && mrg_ssub(INT64_MIN, 1) == INT64_MIN &&
		mrg_ssub(0, INT64_MIN) == INT64_MAX && mrg_ssub(10, 3) == 7, "time: saturating subtract");
	T_CHECK(mrg_round(1e30) == INT64_MAX && mrg_round(-1e30) == INT64_MIN &&
		mrg_round(9223372036854775808.0) == INT64_MAX && mrg_round(NAN) == 0 &&
		mrg_round(INFINITY) == INT64_MAX && mrg_round(2.5) == 3 && mrg_round(-2.5) == -3 &&
		mrg_round(-0.4) == 0, "time: saturating round");
	struct mrg_coll h;
	mrg_coll_init(&h);
	mrg_coll_add(&h, 1, 1, INT64_MIN);
	mrg_coll_add(&h, 1, 1, INT64_MAX);
	mrg_coll_add(&h, 1, 1, INT64_MAX);
	int sat = 0;
	for (size_t i = 0; i < h.cap; i++)
		if (h.t[i].used)
			sat = h.t[i].dsum == INT64_MAX && h.t[i].cnt == 3;
	T_CHECK(sat, "coll: end-time sum saturates");
	mrg_coll_release(&h);
	T_DONE();
}
