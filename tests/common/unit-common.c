/* Unit tests of the helper layer (common/) and of the op table (ops.def). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "ingero.h"
#include "unit.h"

static void t_durations(void)
{
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "1", 1000000000 }, { "1.5", 1500000000 }, { "250ms", 250000000 }, { "20us", 20000 },
		{ "20\xc2\xb5s", 20000 }, { "850ns", 850 }, { "2m30s", 150000000000LL }, { "1h", 3600000000000LL },
		{ "1d", 86400000000000LL }, { "0", 0 }, { ".5s", 500000000 }, { "1s500ms", 1500000000 },
	};
	static const char *const bad[] = { "", "-1", "+1", "1x", "s", "1 s", "0x10", "inf", "nan", "1e400",
		"300y", "1.2.3s", "99999999999999999999" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t v = -7;
		T_CHECK(ig_parse_duration(ok[i].s, &v) == 0 && v == ok[i].ns, "duration '%s' = %" PRId64 " ns (got %" PRId64 ")",
			ok[i].s, ok[i].ns, v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = -7;
		T_CHECK(ig_parse_duration(bad[i], &v) == -1 && v == -7, "duration '%s' refused", bad[i]);
	}
	int64_t v = 0;
	T_CHECK(ig_parse_offset("-47ms", &v) == 0 && v == -47000000, "offset -47ms");
	T_CHECK(ig_parse_offset("+1.25ms", &v) == 0 && v == 1250000, "offset +1.25ms");
	T_CHECK(ig_parse_offset("3", &v) == 0 && v == 3000000000LL, "offset bare number is seconds");
	T_CHECK(ig_parse_offset("--3", &v) == -1, "offset --3 refused");

	int64_t start = 1000000000000000000LL, end = start + 60000000000LL, t = 0;
	T_CHECK(ig_parse_time("30s", start, end, &t) == 0 && t == start + 30000000000LL, "time 30s from start");
	T_CHECK(ig_parse_time("+2", start, end, &t) == 0 && t == start + 2000000000LL, "time +2 (seconds)");
	T_CHECK(ig_parse_time("-10s", start, end, &t) == 0 && t == end - 10000000000LL, "time -10s before end");
	T_CHECK(ig_parse_time("1700000000123456789", start, end, &t) == 0 && t == 1700000000123456789LL,
		"time unix ns");
	T_CHECK(ig_parse_time("2023-11-14 22:13:20.5Z", start, end, &t) == 0 && t == 1700000000500000000LL,
		"time UTC date with fraction");
	T_CHECK(ig_parse_time("2023-11-14T22:13:20", start, end, &t) == 0 && t == 1700000000000000000LL,
		"time ISO T form");
	T_CHECK(ig_parse_time("yesterday", start, end, &t) == -1, "time 'yesterday' refused");

	static const struct { int64_t ns; const char *s; } fmt[] = {
		{ 0, "0ns" }, { 850, "850ns" }, { 999, "999ns" }, { 1000, "1.00us" }, { 25300, "25.3us" },
		{ 999499, "999us" }, { 999500, "1.00ms" }, { 4560000, "4.56ms" }, { 165000000, "165ms" },
		{ 999600000, "1.00s" }, { 6640000000LL, "6.64s" }, { 59990000000LL, "60.0s" }, { 59996000000LL, "1m00s" },
		{ 200000000000LL, "3m20s" }, { 3720000000000LL, "1h02m" }, { 90000000000000LL, "1d01h" },
		{ -25300, "-25.3us" }, { INT64_MIN, "-106751d23h" },
	};
	for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
		char b[IG_DUR_BUF];
		ig_fmt_duration(fmt[i].ns, b, sizeof b);
		T_CHECK(!strcmp(b, fmt[i].s), "format %" PRId64 " ns = '%s' (got '%s')", fmt[i].ns, fmt[i].s, b);
	}
	/* the printer's output parses back within its 3-digit precision */
	for (int64_t ns = 1000; ns < 50000000000LL; ns = ns * 7 / 3 + 11) {
		char b[IG_DUR_BUF];
		int64_t back = -1;
		ig_fmt_duration(ns, b, sizeof b);
		if (ig_parse_duration(b, &back) || back < ns * 0.994 || back > ns * 1.006) {
			T_CHECK(0, "format/parse round trip of %" PRId64 " ns ('%s' -> %" PRId64 ")", ns, b, back);
			return;
		}
	}
	T_CHECK(1, "format/parse round trip within 0.6 %%");
}

static void t_map(void)
{
	struct ig_map m = { 0 };
	for (uint64_t k = 0; k < 5000; k++)
		ig_map_xput(&m, k * 7919, k);
	int good = m.n == 5000;
	for (uint64_t k = 0; k < 5000; k++) {
		uint64_t *v = ig_map_get(&m, k * 7919);
		good &= v && *v == k;
	}
	T_CHECK(good, "map: 5000 keys in, all found");
	for (uint64_t k = 0; k < 5000; k += 2)
		ig_map_del(&m, k * 7919);
	good = m.n == 2500;
	for (uint64_t k = 0; k < 5000; k++)
		good &= (ig_map_get(&m, k * 7919) != NULL) == (k % 2 == 1);
	T_CHECK(good, "map: deleting every other key keeps the rest reachable");
	ig_map_release(&m);

	struct ig_strtab t = { 0 };
	uint32_t a = ig_strtab_id(&t, "alpha"), b = ig_strtab_id(&t, "beta"), a2 = ig_strtab_id(&t, "alpha");
	T_CHECK(a == 1 && b == 2 && a2 == 1, "strtab: dense ids in first-seen order");
	T_CHECK(ig_strtab_find(&t, "gamma") == 0 && !strcmp(ig_strtab_str(&t, 2), "beta"), "strtab: find/str");
	t.max = 2;
	T_CHECK(ig_strtab_id(&t, "gamma") == 0 && ig_strtab_id(&t, "beta") == 2, "strtab: full table refuses new strings");
	ig_strtab_release(&t);
}

static void t_cli(void)
{
	static const char *const c[] = { "json", "since", "until", "per-process", "node", NULL };
	const char *m = ig_did_you_mean("jsno", c);
	T_CHECK(m && !strcmp(m, "json"), "did you mean: jsno -> json");
	m = ig_did_you_mean("per", c);
	T_CHECK(m && !strcmp(m, "per-process"), "did you mean: unique prefix");
	T_CHECK(ig_did_you_mean("frobnicate", c) == NULL, "did you mean: nothing close");
	uint64_t v = 0;
	T_CHECK(ig_parse_u64("42", 1, 100, &v) == 0 && v == 42, "u64: 42");
	T_CHECK(ig_parse_u64("-1", 0, 100, &v) == -1 && ig_parse_u64("101", 0, 100, &v) == -1 &&
		ig_parse_u64("4x", 0, 100, &v) == -1, "u64: refuses -1, out of range, junk");
}

static char *slurp(const char *p)
{
	static char buf[256];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static int count_dir(const char *d)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", d);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void t_out(void)
{
	char dir[] = "/tmp/ig-unit-out.XXXXXX";
	if (!mkdtemp(dir)) {
		T_SKIP("out: no temporary directory");
		return;
	}
	char p[512], q[512];
	struct ig_out o;
	ig_quiet = 2;
	snprintf(p, sizeof p, "%s/new.txt", dir);
	T_CHECK(ig_out_open(&o, p, 0) == 0 && o.f && o.tmp, "out: new file opens a temporary");
	fputs("one", o.f);
	T_CHECK(!ig_exists(p), "out: target absent until commit");
	T_CHECK(ig_out_commit(&o) == 0 && !strcmp(slurp(p), "one"), "out: commit renames into place");
	T_CHECK(ig_out_open(&o, p, 0) == -1, "out: existing file refused without force");
	T_CHECK(ig_out_open(&o, p, IG_OUT_FORCE) == 0, "out: existing file opened with force");
	fputs("two", o.f);
	ig_out_abort(&o);
	T_CHECK(!strcmp(slurp(p), "one") && count_dir(dir) == 1, "out: abort keeps the old file, no temporary left");
	T_CHECK(ig_out_open(&o, p, IG_OUT_FORCE) == 0, "out: reopen with force");
	fputs("three", o.f);
	T_CHECK(ig_out_commit(&o) == 0 && !strcmp(slurp(p), "three"), "out: forced commit replaces");
	snprintf(q, sizeof q, "%s/link", dir);
	T_CHECK(symlink(p, q) == 0 && ig_out_open(&o, q, IG_OUT_FORCE) == -1 && !strcmp(slurp(p), "three"),
		"out: symbolic link refused even with force");
	T_CHECK(ig_out_open(&o, dir, IG_OUT_FORCE) == -1, "out: directory refused");
	T_CHECK(ig_out_open(&o, "/dev/null", IG_OUT_FORCE) == -1, "out: device refused");
	snprintf(q, sizeof q, "%s/fifo", dir);
	T_CHECK(mkfifo(q, 0600) == 0 && ig_out_open(&o, q, IG_OUT_FORCE) == -1, "out: FIFO refused");
	T_CHECK(ig_out_open(&o, "-", 0) == 0 && o.is_stdout && o.f == stdout, "out: '-' is stdout");
	T_CHECK(ig_out_open(&o, "-", IG_OUT_NOSTDOUT) == -1, "out: '-' refused when stdout is not allowed");
	snprintf(q, sizeof q, "%s/db", dir);
	T_CHECK(ig_out_open(&o, q, IG_OUT_NOFILE) == 0 && !o.f && o.tmp && ig_exists(o.tmp), "out: NOFILE gives a path");
	ig_out_abort(&o);
	T_CHECK(count_dir(dir) == 3, "out: nothing left behind (file, link, fifo)");
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {}
	ig_quiet = 0;
}

static void t_ops(void)
{
	size_t n;
	const struct ingero_op_info *ops = ingero_ops(&n);
	int sorted = n > 40, named = 1, syms = 1;
	for (size_t i = 0; i < n; i++) {
		if (i && ops[i - 1].source * 64 + ops[i - 1].op >= ops[i].source * 64 + ops[i].op)
			sorted = 0;
		if (!ops[i].name || !ops[i].desc || !*ops[i].desc || !ingero_source_name(ops[i].source))
			named = 0;
		/* probed ops name a symbol and a library; kernel events neither */
		if ((ops[i].lib != INGERO_LIB_NONE) != (ops[i].sym != NULL))
			syms = 0;
		if (ingero_op_info(ops[i].source, ops[i].op) != &ops[i])
			sorted = 0;
	}
	T_CHECK(sorted, "ops.def: rows in (source, op) order, each found by ingero_op_info");
	T_CHECK(named, "ops.def: every row has a name, a description and a known source");
	T_CHECK(syms, "ops.def: a symbol exactly for probed ops");
	int s, o;
	T_CHECK(ingero_op_lookup("cudaStreamSynchronize", &s, &o) == 0 && s == INGERO_SRC_CUDA &&
		o == INGERO_CUDA_STREAM_SYNC, "lookup: API symbol spelling");
	T_CHECK(ingero_op_lookup("CUDASTREAMSYNC", &s, &o) == 0 && o == 5, "lookup: case-insensitive");
	T_CHECK(ingero_op_lookup("cudaStreamSink", &s, &o) == -1, "lookup: unknown name");
	T_CHECK(ingero_op_class(INGERO_SRC_DRIVER, INGERO_DRV_CTX_SYNC) == INGERO_OPC_SYNC &&
		ingero_op_class(INGERO_SRC_GRAPH, INGERO_GRAPH_LAUNCH) == INGERO_OPC_LAUNCH &&
		ingero_op_class(INGERO_SRC_CUDA, INGERO_CUDA_MALLOC_MANAGED) == INGERO_OPC_ALLOC &&
		ingero_op_class(INGERO_SRC_CUDA, 99) == INGERO_OPC_NONE, "classes: sync, graph launch, alloc, unknown");
	size_t na;
	const struct ingero_op_alias *al = ingero_op_aliases(&na);
	int aok = na > 0;
	for (size_t i = 0; i < na; i++)
		if (!ingero_op_info(al[i].source, al[i].op))
			aok = 0;
	T_CHECK(aok, "aliases: every alias names an existing op");
}

static void t_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ig_json_str(f, "a\"b\\c\n\x01\xff\xc3\xa9\xed\xa0\x80z");
	fclose(f);
	T_CHECK(!strcmp(buf, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffdz\""),
		"json: escapes, invalid bytes and surrogates become U+FFFD (got %s)", buf);
	free(buf);
	char *s = ig_utf8_sanitize("ok\xc3\xa9\xc0\xaf");
	T_CHECK(!strcmp(s, "ok\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd") && ig_utf8_valid(s) && !ig_utf8_valid("\xc0\xaf"),
		"utf8: overlong sequence replaced, result valid");
	free(s);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void t_select(void)
{
	/* against qsort on arrays with duplicates, sorted, reversed, random */
	uint64_t seed = 88172645463325252ull;
	int bad = 0, runs = 0;
	for (size_t n = 1; n <= 300; n += 7) {
		for (int kind = 0; kind < 4; kind++) {
			int64_t *a = xcalloc(n, sizeof *a), *s = xcalloc(n, sizeof *s);
			double *d = xcalloc(n, sizeof *d);
			for (size_t i = 0; i < n; i++) {
				seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
				a[i] = kind == 0 ? (int64_t)(seed % 1000) - 500 : kind == 1 ? (int64_t)i :
				       kind == 2 ? (int64_t)(n - i) : (int64_t)(seed % 3);
			}
			memcpy(s, a, n * sizeof *a);
			qsort(s, n, sizeof *s, cmp_i64);
			for (size_t k = 0; k < n; k += 1 + n / 9) {
				for (size_t i = 0; i < n; i++)
					d[i] = (double)a[i] / 4;
				int64_t *c = xcalloc(n, sizeof *c);
				memcpy(c, a, n * sizeof *a);
				runs++;
				if (ig_kth_i64(c, n, k) != s[k] || ig_kth_f64(d, n, k) != (double)s[k] / 4)
					bad++;
				for (size_t i = 0; i <= k && !bad; i++)
					if (c[i] > s[k])
						bad++;
				free(c);
			}
			free(a);
			free(s);
			free(d);
		}
	}
	T_CHECK(!bad, "select: k-th smallest equals qsort's in %d runs (int64 and double)", runs);
	T_CHECK(ig_rank(100, 0.99) == 98 && ig_rank(100, 0.5) == 49 && ig_rank(1, 0.99) == 0 &&
		ig_rank(3, 1.0) == 2 && ig_rank(0, 0.5) == 0, "select: nearest rank ceil(p*n)-1");
	int64_t v[] = { 50, 10, 40, 20, 30 };
	T_CHECK(ig_pctl_i64(v, 5, 0.5) == 30 && ig_pctl_i64(v, 0, 0.5) == 0, "select: p50 of 5 values, empty = 0");
}

int main(void)
{
	t_select();
	ig_set_prog("unit-common");
	t_durations();
	t_map();
	t_cli();
	t_out();
	t_ops();
	t_json();
	T_DONE();
}
