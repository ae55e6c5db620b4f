/* unit-series: the series engine of ingero-metrics (export/metrics_series.c):
 * windows and carry-forward, nearest-rank percentiles against a sort,
 * upper-inclusive buckets, the regrouped order, value printing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../unit.h"
#include "metrics.h"

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

#define S 1000000000LL

int main(void)
{
	ig_set_prog("unit-series");
	char b[40];
	double vals[] = { 0, 1, 0.1, 2.5e-7, 1773532589.123, 1.0 / 3, 1e300, 9007199254740993.0 };
	int rt = 1;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		mt_fmt_double(b, sizeof b, vals[i]);
		rt &= strtod(b, NULL) == vals[i];
	}
	T_CHECK(rt, "mt_fmt_double reads back exactly");
	mt_fmt_double(b, sizeof b, 42);
	T_CHECK(!strcmp(b, "42"), "integers print without a fraction (%s)", b);
	mt_fmt_double(b, sizeof b, NAN);
	T_CHECK(!strcmp(b, "NaN"), "NaN prints as NaN");

	/* windows: t0 aligned down to the step; 5 windows */
	struct mt_engine e;
	int64_t base = 1773532589LL * S;
	mt_init(&e, base + S / 2, base + 4 * S + 1, S, NULL);
	T_CHECK(e.t0 == base && e.nw == 5, "span aligned to the step: t0 %lld, %lld windows",
		(long long)(e.t0 - base), (long long)e.nw);
	const char *lk[] = { "pid", "operation", "comm" }, *lv[] = { "1", "op", "" };
	mt_pass_begin(&e);
	uint32_t c = mt_series(&e, F_OP_COUNT, "n1", 3, lk, lv);
	uint32_t d = mt_series(&e, F_OP_DUR, "n1", 3, lk, lv);
	T_CHECK(e.s[c].nlab == 2, "labels with empty values are left out");
	T_CHECK(mt_series(&e, F_OP_COUNT, "n1", 3, lk, lv) == c, "same family and labels: same series");
	T_CHECK(mt_series(&e, F_OP_COUNT, "n2", 3, lk, lv) != c, "another node: another series");
	/* window 0: 100 durations 1..100 us; window 2: one; windows 1, 3, 4: none */
	int64_t sorted[100];
	for (int i = 0; i < 100; i++) {
		int64_t ns = (int64_t)((i * 37) % 100 + 1) * 1000;
		sorted[i] = ns;
		mt_at(&e, base + i * 1000);
		mt_add(&e, c, 1);
		mt_obs(&e, d, ns);
	}
	qsort(sorted, 100, sizeof *sorted, cmp64);
	mt_at(&e, base + 2 * S + 5);
	mt_add(&e, c, 1);
	mt_obs(&e, d, 2000);   /* exactly the 2 us bound */
	mt_pass_end(&e);
	T_CHECK(mt_finish(&e) == 0, "regroup");
	/* order: families in table order, then node, then labels */
	int ordered = 1;
	for (size_t i = 1; i < e.n; i++) {
		const struct mt_series *x = &e.s[e.order[i - 1]], *y = &e.s[e.order[i]];
		ordered &= x->fam < y->fam || (x->fam == y->fam && strcmp(x->key, y->key) < 0);
	}
	T_CHECK(ordered, "regrouped series in (family, node, labels) order");
	struct mt_rec_reader r;
	int64_t w;
	const double *v;
	double cnt[5] = { 0 }, p[5][3], hc[5] = { 0 }, b2[5] = { 0 };
	int n = 0;
	mt_reader_open(&r, &e, &e.s[c]);
	while (mt_reader_next(&r, &w, &v) && n < 5)
		cnt[n++] = v[0];
	mt_reader_close(&r);
	T_CHECK(n == 5 && cnt[0] == 100 && cnt[1] == 100 && cnt[2] == 101 && cnt[4] == 101,
		"counter: one point per window, cumulative, carried forward (%g %g %g %g %g)", cnt[0], cnt[1], cnt[2],
		cnt[3], cnt[4]);
	n = 0;
	mt_reader_open(&r, &e, &e.s[d]);
	while (mt_reader_next(&r, &w, &v) && n < 5) {
		memcpy(p[n], v, sizeof p[n]);
		hc[n] = v[MT_PCT_N];
		b2[n] = v[MT_PCT_N + 2] + v[MT_PCT_N + 3];   /* buckets le=1 and le=2 (us) */
		n++;
	}
	mt_reader_close(&r);
	T_CHECK(p[0][0] == sorted[49] / 1000.0 && p[0][1] == sorted[94] / 1000.0 && p[0][2] == sorted[98] / 1000.0,
		"p50/p95/p99 = nearest rank ceil(p*n) of the window (%g %g %g)", p[0][0], p[0][1], p[0][2]);
	T_CHECK(isnan(p[1][0]) && isnan(p[3][2]) && p[2][0] == 2, "windows without calls have no percentiles");
	T_CHECK(hc[0] == 100 && hc[4] == 101, "histogram count cumulative");
	T_CHECK(b2[0] == 2 && b2[2] == 3, "buckets are upper-inclusive (2 us lands in le=2)");
	mt_release(&e);

	/* nearest rank on random arrays of every small size */
	int ok = 1;
	srand(7);
	for (int trial = 0; trial < 200 && ok; trial++) {
		struct mt_engine f;
		mt_init(&f, base, base, S, NULL);
		mt_pass_begin(&f);
		uint32_t s = mt_series(&f, F_OP_DUR, "n", 0, NULL, NULL);
		int m = 1 + trial % 97;
		int64_t a[128];
		for (int i = 0; i < m; i++) {
			a[i] = 1 + rand() % (trial % 5 ? 1000000 : 3);   /* some with many ties */
			mt_obs(&f, s, a[i]);
		}
		mt_pass_end(&f);
		mt_finish(&f);
		qsort(a, (size_t)m, sizeof *a, cmp64);
		mt_reader_open(&r, &f, &f.s[s]);
		mt_reader_next(&r, &w, &v);
		static const int pm[3] = { 500, 950, 990 };
		for (int k = 0; k < 3; k++) {
			int idx = (m * pm[k] + 999) / 1000 - 1;
			ok &= v[k] == a[idx] / 1000.0;
		}
		mt_reader_close(&r);
		mt_release(&f);
	}
	T_CHECK(ok, "quickselect percentiles = sorted nearest rank, 200 random windows of 1..97 values");
	T_DONE();
}
