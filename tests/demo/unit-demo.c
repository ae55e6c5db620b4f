/* unit-demo.c - the scenario generator: every scenario is generated in
 * process (cmd_demo), read back through the format reader, and the property
 * it was built for is checked numerically (docs/demo.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingero.h"
#include "record.h"
#include "unit.h"

static char out_root[1024];

struct loaded {
	struct ingero_event *ev;
	size_t nev, cap;
	struct ingero_clock clk;
	uint32_t pid[64];
	char comm[64][32];
	int32_t rank[64], world[64];
	int nproc;
	double cpu[4096];
	uint64_t sys_ts[4096];
	size_t nsys;
	size_t nanchor, nstack, ngpu, unresolved;
	uint64_t stack_id[256];
	int has_train_step, has_launch_sym;
	uint64_t sym_id[512];
	char sym_name[512][96];
	int nsym;
	char recorder[128], clock[32], node[64];
	int rank_hdr;
	int sorted;
	unsigned warnings;
	int ok;
};

static int gen(const char *dir, const char *const *args)
{
	char *argv[40];
	int argc = 0;
	argv[argc++] = "demo";
	for (; *args && argc < 36; args++)
		argv[argc++] = (char *)*args;
	argv[argc++] = "-o";
	argv[argc++] = (char *)dir;
	argv[argc++] = "-q";
	argv[argc] = NULL;
	return cmd_demo(argc, argv);
}

static void load(struct loaded *L, const char *path)
{
	struct ingero_reader *r = NULL;
	struct ingero_record rec;
	struct ingero_error err;
	int rc;
	uint64_t last_ts = 0;

	memset(L, 0, sizeof(*L));
	L->sorted = 1;
	ingero_clock_init(&L->clk);
	if (ingero_reader_open(&r, path, &err) < 0) {
		printf("# cannot open %s: %s\n", path, err.msg);
		return;
	}
	while ((rc = ingero_reader_next(r, &rec)) > 0) {
		switch (rec.kind) {
		case INGERO_REC_EVENT:
			if (L->nev == L->cap) {
				L->cap = L->cap ? 2 * L->cap : 4096;
				L->ev = realloc(L->ev, L->cap * sizeof(*L->ev));
			}
			L->ev[L->nev++] = rec.u.ev;
			if (rec.u.ev.ts < last_ts)
				L->sorted = 0;
			last_ts = rec.u.ev.ts;
			break;
		case INGERO_REC_PROCESS:
			if (L->nproc < 64) {
				L->pid[L->nproc] = rec.u.proc.pid;
				snprintf(L->comm[L->nproc], 32, "%s", rec.u.proc.comm);
				L->rank[L->nproc] = rec.u.proc.rank;
				L->world[L->nproc] = rec.u.proc.world_size;
				L->nproc++;
			}
			break;
		case INGERO_REC_SYS:
			if (L->nsys < 4096) {
				L->cpu[L->nsys] = rec.u.sys.cpu_pct;
				L->sys_ts[L->nsys] = rec.u.sys.ts;
				L->nsys++;
			}
			break;
		case INGERO_REC_GPU:
			L->ngpu++;
			break;
		case INGERO_REC_ANCHOR:
			L->nanchor++;
			ingero_clock_add(&L->clk, &rec.u.anchor);
			break;
		case INGERO_REC_SYMBOL:
			if (L->nsym < 512) {
				L->sym_id[L->nsym] = rec.u.sym.id;
				snprintf(L->sym_name[L->nsym], 96, "%s", rec.u.sym.name);
				L->nsym++;
			}
			break;
		case INGERO_REC_STACK: {
			const struct ingero_stack *st = rec.u.stack;
			if (L->nstack < 256)
				L->stack_id[L->nstack] = st->id;
			L->nstack++;
			for (uint32_t i = 0; i < st->depth; i++) {
				int found = 0;
				for (int s = 0; s < L->nsym; s++) {
					if (L->sym_id[s] != st->syms[i])
						continue;
					found = 1;
					if (!strcmp(L->sym_name[s], "train_step"))
						L->has_train_step = 1;
					if (i == 0 && !strcmp(L->sym_name[s], "cudaLaunchKernel"))
						L->has_launch_sym = 1;
				}
				L->unresolved += !found;
			}
			break;
		}
		default:
			break;
		}
	}
	const struct ingero_header *h = ingero_reader_header(r);
	if (h) {
		snprintf(L->recorder, sizeof(L->recorder), "%s", h->recorder ? h->recorder : "");
		snprintf(L->clock, sizeof(L->clock), "%s", h->clock ? h->clock : "");
		snprintf(L->node, sizeof(L->node), "%s", h->node ? h->node : "");
		L->rank_hdr = h->rank;
	}
	L->warnings = ingero_reader_warnings(r);
	L->ok = rc == 0;
	ingero_reader_close(r);
}

static void unload(struct loaded *L)
{
	free(L->ev);
	ingero_clock_release(&L->clk);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* q-quantile of a set of durations */
static double quant(uint64_t *v, size_t n, double q)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t i = (size_t)(q * (double)(n - 1));
	return (double)v[i];
}

/* durations of (pid, source, op) events in [from, to) */
static size_t durs(const struct loaded *L, uint32_t pid, int src, int op, uint64_t from,
		   uint64_t to, uint64_t **out)
{
	size_t n = 0;
	*out = malloc((L->nev + 1) * sizeof(**out));
	for (size_t i = 0; i < L->nev; i++) {
		const struct ingero_event *e = &L->ev[i];
		if ((pid && e->pid != pid) || e->source != src || e->op != op)
			continue;
		if (e->ts < from || e->ts >= to)
			continue;
		(*out)[n++] = e->dur;
	}
	return n;
}

static double median_of(const struct loaded *L, uint32_t pid, int src, int op, uint64_t from,
			uint64_t to, size_t *count)
{
	uint64_t *v;
	size_t n = durs(L, pid, src, op, from, to, &v);
	double m = quant(v, n, 0.5);
	if (count)
		*count = n;
	free(v);
	return m;
}

static const char *comm_of(const struct loaded *L, uint32_t pid)
{
	for (int i = 0; i < L->nproc; i++)
		if (L->pid[i] == pid)
			return L->comm[i];
	return "";
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", out_root, name);
}

/* common invariants of every recording */
static void common_checks(const char *name, const struct loaded *L, const char *recorder)
{
	size_t bad_stack = 0, cuda = 0;
	T_CHECK(L->ok && L->warnings == 0, "%s: reads back cleanly (%zu events)", name, L->nev);
	T_CHECK(!strcmp(L->recorder, recorder) && !strcmp(L->clock, "boottime"),
		"%s: header recorder '%s', clock '%s'", name, L->recorder, L->clock);
	T_CHECK(L->sorted, "%s: events in start-time order", name);
	for (size_t i = 0; i < L->nev; i++) {
		const struct ingero_event *e = &L->ev[i];
		if (e->source != INGERO_SRC_CUDA && e->source != INGERO_SRC_NCCL)
			continue;
		cuda++;
		int found = 0;
		for (size_t s = 0; s < L->nstack && s < 256; s++)
			found |= L->stack_id[s] == e->stack_id;
		bad_stack += !found;
	}
	T_CHECK(cuda > 0 && bad_stack == 0 && L->unresolved == 0 && L->has_train_step &&
			L->has_launch_sym,
		"%s: every CUDA call has a resolved stack (%zu calls, %zu without)", name, cuda,
		bad_stack);
	if (L->nev) {
		double span = (double)(L->ev[L->nev - 1].ts - L->ev[0].ts) / 1e9;
		T_CHECK(fabs((double)L->nanchor - span) <= 3 && fabs((double)L->nsys - span) <= 3 &&
				L->ngpu >= span / 2 - 2,
			"%s: 1 Hz anchors/SYS (%zu, %zu over %.1f s), %zu GPU snapshots", name,
			L->nanchor, L->nsys, span, L->ngpu);
	}
}

static int file_eq(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int eq = fa && fb;
	while (eq) {
		int ca = fgetc(fa), cb = fgetc(fb);
		if (ca != cb)
			eq = 0;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return eq;
}

/* ---------------------------------------------------------- scenarios */

static void t_incident(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "incident", NULL };
	path_of(p, sizeof(p), "incident");
	T_CHECK(gen(p, a) == 0, "incident: generates");
	load(&L, p);
	common_checks("incident", &L, "ingero-record demo incident");

	size_t pre = 0, inside = 0, vol = 0;
	uint64_t b0 = UINT64_MAX, b1 = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->source != INGERO_SRC_HOST || e->op != INGERO_HOST_SCHED_SWITCH ||
		    e->tid != 4242)
			continue;
		if (e->arg[0] != 0) {
			vol++;
			continue;
		}
		if (e->arg[1] != 31337 || e->arg[2] != 31337)
			continue;
		pre++;
		if (e->ts < b0)
			b0 = e->ts;
		if (e->ts + e->dur > b1)
			b1 = e->ts + e->dur;
		/* it must lie inside a CUDA call of the same thread */
		for (size_t j = i; j-- > 0;) {
			const struct ingero_event *c = &L.ev[j];
			if (c->source == INGERO_SRC_CUDA && c->tid == 4242) {
				inside += c->ts <= e->ts && e->ts + e->dur <= c->ts + c->dur;
				break;
			}
		}
	}
	T_CHECK(pre >= 800 && pre <= 900, "incident: %zu preemptions of tid 4242 by pid 31337",
		pre);
	T_CHECK(inside == pre, "incident: all %zu preemptions inside a CUDA call (%zu)", pre,
		inside);
	T_CHECK(!strcmp(comm_of(&L, 31337), "logrotate"), "incident: PROCESS 31337 is logrotate");
	T_CHECK(vol >= 3, "incident: %zu voluntary off-CPU intervals of tid 4242", vol);
	double burst_s = (double)(b1 - b0) / 1e9;
	T_CHECK(burst_s >= 2 && burst_s <= 12, "incident: burst lasts %.1f s", burst_s);

	uint64_t t_begin = L.ev[0].ts, t_end = UINT64_MAX;
	double sync_all = median_of(&L, 4242, 1, INGERO_CUDA_STREAM_SYNC, t_begin, t_end, NULL);
	double sync_b = median_of(&L, 4242, 1, INGERO_CUDA_STREAM_SYNC, b0, b1,
				  NULL);
	T_CHECK(sync_all > 14e6 && sync_all < 18.5e6, "incident: sync p50 %.1f ms (~16)",
		sync_all / 1e6);
	T_CHECK(sync_b > 130e6 && sync_b < 155e6, "incident: burst sync p50 %.1f ms (~142)",
		sync_b / 1e6);
	double mc = median_of(&L, 4242, 1, INGERO_CUDA_MEMCPY, t_begin, b0, NULL);
	double mcb = median_of(&L, 4242, 1, INGERO_CUDA_MEMCPY, b0, b1, NULL);
	double la = median_of(&L, 4242, 1, INGERO_CUDA_LAUNCH_KERNEL, t_begin, b0, NULL);
	double lab = median_of(&L, 4242, 1, INGERO_CUDA_LAUNCH_KERNEL, b0, b1, NULL);
	T_CHECK(mcb > 3 * mc && lab > 1.8 * la,
		"incident: memcpy %.2f -> %.2f ms, launch %.1f -> %.1f us in the burst", mc / 1e6,
		mcb / 1e6, la / 1e3, lab / 1e3);
	double cpu_b = 0, cpu_q = 0;
	int nb = 0, nq = 0;
	for (size_t i = 0; i < L.nsys; i++) {
		if (L.sys_ts[i] >= b0 + 1000000000ULL && L.sys_ts[i] + 1000000000ULL <= b1) {
			cpu_b += L.cpu[i];
			nb++;
		} else if (L.sys_ts[i] + 2000000000ULL < b0) {
			cpu_q += L.cpu[i];
			nq++;
		}
	}
	T_CHECK(nb > 0 && nq > 0 && cpu_b / nb > 95 && cpu_q / nq < 50,
		"incident: SYS cpu %.0f%% in the burst, %.0f%% before", nb ? cpu_b / nb : 0,
		nq ? cpu_q / nq : 0);
	unload(&L);
}

static void t_cold_start(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "cold-start", NULL };
	path_of(p, sizeof(p), "cold-start");
	T_CHECK(gen(p, a) == 0, "cold-start: generates");
	load(&L, p);
	common_checks("cold-start", &L, "ingero-record demo cold-start");
	uint64_t first_m[8], first_l[8];
	int nm = 0, nl = 0;
	for (size_t i = 0; i < L.nev && (nm < 5 || nl < 4); i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->source != 1)
			continue;
		if (e->op == INGERO_CUDA_MALLOC && nm < 5)
			first_m[nm++] = e->dur;
		if (e->op == INGERO_CUDA_LAUNCH_KERNEL && nl < 4)
			first_l[nl++] = e->dur;
	}
	size_t cm, cl;
	double m50 = median_of(&L, 4242, 1, INGERO_CUDA_MALLOC, 0, UINT64_MAX, &cm);
	double l50 = median_of(&L, 4242, 1, INGERO_CUDA_LAUNCH_KERNEL, 0, UINT64_MAX, &cl);
	int ok = nm == 5 && nl == 4 && cm >= 50;
	double lo = 1e9, hi = 0;
	for (int i = 0; i < 5 && ok; i++) {
		double r = (double)first_m[i] / m50;
		lo = fmin(lo, r);
		hi = fmax(hi, r);
	}
	T_CHECK(ok && lo >= 40 && hi <= 250, "cold-start: first 5 cudaMalloc %.0fx..%.0fx p50 "
		"(%zu mallocs)", lo, hi, cm);
	lo = 1e9, hi = 0;
	for (int i = 0; i < 4 && ok; i++) {
		double r = (double)first_l[i] / l50;
		lo = fmin(lo, r);
		hi = fmax(hi, r);
	}
	T_CHECK(ok && lo >= 40 && hi <= 250, "cold-start: first 4 cudaLaunchKernel %.0fx..%.0fx p50",
		lo, hi);
	unload(&L);
}

static void t_memcpy(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "memcpy-bottleneck", NULL };
	path_of(p, sizeof(p), "memcpy");
	T_CHECK(gen(p, a) == 0, "memcpy-bottleneck: generates");
	load(&L, p);
	common_checks("memcpy-bottleneck", &L, "ingero-record demo memcpy-bottleneck");
	uint64_t lo = UINT64_MAX, hi = 0;
	double sum = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		lo = e->ts < lo ? e->ts : lo;
		hi = e->ts + e->dur > hi ? e->ts + e->dur : hi;
		if (e->source == 1 && e->op == INGERO_CUDA_MEMCPY)
			sum += (double)e->dur;
	}
	double share = 100 * sum / (double)(hi - lo);
	T_CHECK(share > 35 && share < 41, "memcpy-bottleneck: cudaMemcpy %.1f%% of wall time (~38)",
		share);
	unload(&L);
}

static void t_periodic(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "periodic-spike", NULL };
	path_of(p, sizeof(p), "periodic");
	T_CHECK(gen(p, a) == 0, "periodic-spike: generates");
	load(&L, p);
	common_checks("periodic-spike", &L, "ingero-record demo periodic-spike");
	size_t nm;
	double m50 = median_of(&L, 4242, 1, INGERO_CUDA_MALLOC, 0, UINT64_MAX, &nm);
	size_t idx = 0, nspike = 0, last = 0, bad_gap = 0;
	double ratio = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->source != 1 || e->op != INGERO_CUDA_MALLOC)
			continue;
		idx++;
		if ((double)e->dur > 10 * m50) {
			if (nspike && (idx - last < 195 || idx - last > 205))
				bad_gap++;
			last = idx;
			nspike++;
			ratio += (double)e->dur / m50;
		}
	}
	T_CHECK(nspike >= 5 && bad_gap == 0, "periodic-spike: %zu spikes every ~200 mallocs "
		"(%zu bad gaps, %zu mallocs)", nspike, bad_gap, nm);
	ratio = nspike ? ratio / (double)nspike : 0;
	T_CHECK(ratio > 35 && ratio < 70, "periodic-spike: spikes %.0fx the median", ratio);
	unload(&L);
}

static void t_cpu(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "cpu-contention", NULL };
	path_of(p, sizeof(p), "cpu");
	T_CHECK(gen(p, a) == 0, "cpu-contention: generates");
	load(&L, p);
	common_checks("cpu-contention", &L, "ingero-record demo cpu-contention");
	size_t pre = 0;
	uint64_t c0 = UINT64_MAX, c1 = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->source == 3 && e->op == 1 && e->arg[0] == 0 &&
		    !strcmp(comm_of(&L, (uint32_t)e->arg[1]), "stress-ng-cpu")) {
			pre++;
			c0 = e->ts < c0 ? e->ts : c0;
			c1 = e->ts > c1 ? e->ts : c1;
		}
	}
	T_CHECK(pre > 1000, "cpu-contention: %zu preemptions by stress-ng-cpu", pre);
	double s_hot = median_of(&L, 4242, 1, INGERO_CUDA_STREAM_SYNC, c0, c1, NULL);
	double s_cold = median_of(&L, 4242, 1, INGERO_CUDA_STREAM_SYNC, 0, c0 - 100000000ULL, NULL);
	T_CHECK(s_hot > 1.6 * s_cold, "cpu-contention: sync p50 %.1f ms vs %.1f ms before",
		s_hot / 1e6, s_cold / 1e6);
	double cpu = 0;
	int nc = 0;
	for (size_t i = 0; i < L.nsys; i++)
		if (L.sys_ts[i] > c0 + 1000000000ULL && L.sys_ts[i] + 1000000000ULL < c1) {
			cpu += L.cpu[i];
			nc++;
		}
	T_CHECK(nc > 0 && cpu / nc > 90, "cpu-contention: SYS cpu %.0f%% during contention",
		nc ? cpu / nc : 0);
	unload(&L);
}

static void t_gpu_steal(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "gpu-steal", NULL };
	path_of(p, sizeof(p), "gpu-steal");
	T_CHECK(gen(p, a) == 0, "gpu-steal: generates");
	load(&L, p);
	common_checks("gpu-steal", &L, "ingero-record demo gpu-steal");
	T_CHECK(!strcmp(comm_of(&L, 5001), "trainer") && !strcmp(comm_of(&L, 5002), "inference"),
		"gpu-steal: processes trainer (5001) and inference (5002)");
	/* trainer launches: slow ones must overlap inference activity */
	size_t slow = 0, slow_ov = 0, fast = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->pid != 5001 || e->source != 1 || e->op != INGERO_CUDA_LAUNCH_KERNEL)
			continue;
		if (e->dur < 50000) {
			fast++;
			continue;
		}
		slow++;
		/* any inference call within 50 ms */
		for (size_t j = i; j-- > 0 && L.ev[j].ts + 50000000ULL > e->ts;)
			if (L.ev[j].pid == 5002) {
				slow_ov++;
				break;
			}
	}
	T_CHECK(slow > 50 && fast > 4 * slow && slow_ov == slow,
		"gpu-steal: %zu slow trainer launches (all %zu near inference calls), %zu fast",
		slow, slow_ov, fast);
	uint64_t *v;
	size_t n = durs(&L, 5001, 1, INGERO_CUDA_LAUNCH_KERNEL, 0, UINT64_MAX, &v);
	double p50 = quant(v, n, 0.5), p99 = quant(v, n, 0.99);
	free(v);
	T_CHECK(p99 > 50 * p50, "gpu-steal: trainer launch p99 %.0f us vs p50 %.1f us", p99 / 1e3,
		p50 / 1e3);
	unload(&L);
}

static void t_control(void)
{
	struct loaded L;
	char p[1200];
	static const char *const a[] = { "control", NULL };
	path_of(p, sizeof(p), "control");
	T_CHECK(gen(p, a) == 0, "control: generates");
	load(&L, p);
	common_checks("control", &L, "ingero-record demo control");
	size_t long_pre = 0;
	for (size_t i = 0; i < L.nev; i++) {
		const struct ingero_event *e = &L.ev[i];
		if (e->source == 3 && e->op == 1 && e->arg[0] == 0 && e->dur > 1000000)
			long_pre++;
	}
	T_CHECK(long_pre == 0, "control: no preemption over 1 ms (%zu)", long_pre);
	static const int ops[] = { INGERO_CUDA_LAUNCH_KERNEL, INGERO_CUDA_MEMCPY,
				   INGERO_CUDA_STREAM_SYNC };
	for (int k = 0; k < 3; k++) {
		uint64_t *v;
		size_t n = durs(&L, 4242, 1, ops[k], 0, UINT64_MAX, &v);
		double p50 = quant(v, n, 0.5), p99 = quant(v, n, 0.99), mx = quant(v, n, 1.0);
		free(v);
		T_CHECK(n > 100 && p99 < 2.5 * p50 && mx < 4 * p50,
			"control: op %d p99/p50 %.2f, max/p50 %.2f", ops[k], p99 / p50, mx / p50);
	}
	unload(&L);
}

/* --------------------------------------------------------- multi-node */

static int64_t json_int(const char *js, const char *node, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"name\": \"%s\"", node);
	const char *p = strstr(js, pat);
	if (!p)
		return INT64_MIN;
	const char *q = strstr(p, key);
	if (!q)
		return INT64_MIN;
	return strtoll(q + strlen(key) + 2, NULL, 10);
}

static double json_dbl(const char *js, const char *node, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"name\": \"%s\"", node);
	const char *p = strstr(js, pat);
	const char *q = p ? strstr(p, key) : NULL;
	return q ? strtod(q + strlen(key) + 2, NULL) : NAN;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = calloc(1, 1 << 16);
	size_t n = fread(b, 1, (1 << 16) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static void t_multi(const char *label, const char *const *a, int N, const int64_t *offs,
		    const double *drift, int collectives, int straggler)
{
	char p[1200], q[1300];
	snprintf(p, sizeof(p), "%s/%s", out_root, label);
	T_CHECK(gen(p, a) == 0, "%s: generates", label);
	snprintf(q, sizeof(q), "%s/truth.json", p);
	char *js = slurp(q);
	T_CHECK(js != NULL, "%s: truth.json written", label);
	if (!js)
		return;
	int64_t t0 = 0;
	const char *t0s = strstr(js, "\"t0_unix_ns\": ");
	if (t0s)
		t0 = strtoll(t0s + 14, NULL, 10);
	int truth_ok = 1;
	char nm[32];
	for (int i = 0; i < N; i++) {
		snprintf(nm, sizeof(nm), "node-%d", i);
		truth_ok &= json_int(js, nm, "\"offset_ns\"") == offs[i];
		truth_ok &= fabs(json_dbl(js, nm, "\"drift_ppm\"") - drift[i]) < 1e-6;
	}
	T_CHECK(truth_ok && t0 > 0, "%s: truth.json offsets/drifts match the flags", label);

	struct loaded *L = calloc((size_t)N, sizeof(*L));
	size_t nar[64] = { 0 };
	double mean_ar[64] = { 0 };
	int hdr_ok = 1, seq_ok = 1;
	uint64_t comm = 0;
	for (int i = 0; i < N; i++) {
		snprintf(q, sizeof(q), "%s/node-%d", p, i);
		snprintf(nm, sizeof(nm), "node-%d", i);
		load(&L[i], q);
		char lab[96];
		snprintf(lab, sizeof(lab), "%s/%s", label, nm);
		common_checks(lab, &L[i], "ingero-record demo multi-node");
		hdr_ok &= !strcmp(L[i].node, nm) && L[i].rank_hdr == i && L[i].nproc >= 1 &&
			  L[i].rank[0] == i && L[i].world[0] == N;
		for (size_t j = 0; j < L[i].nev; j++) {
			const struct ingero_event *e = &L[i].ev[j];
			if (e->source != INGERO_SRC_NCCL)
				continue;
			nar[i]++;
			mean_ar[i] += (double)e->dur;
			if (!comm)
				comm = e->arg[0];
			seq_ok &= e->op == INGERO_NCCL_ALL_REDUCE && e->arg[2] == nar[i] &&
				  e->arg[3] == ((uint64_t)i | ((uint64_t)N << 32)) &&
				  e->arg[0] == comm;
		}
		if (nar[i])
			mean_ar[i] /= (double)nar[i];
	}
	T_CHECK(hdr_ok, "%s: headers and PROCESS records carry node, rank and world size", label);
	if (!collectives) {
		size_t tot = 0;
		for (int i = 0; i < N; i++)
			tot += nar[i];
		T_CHECK(tot == 0, "%s: no NCCL events (%zu)", label, tot);
	} else {
		int same = 1;
		for (int i = 1; i < N; i++)
			same &= nar[i] == nar[0];
		T_CHECK(same && nar[0] > 100 && seq_ok,
			"%s: %zu all-reduces per node, same comm, sequence numbers 1.., rank args", label,
			nar[0]);
		/* k-th all-reduce ends at the same true instant: node wall via
		 * its anchors, minus its true clock error */
		double worst = 0;
		size_t *pos = calloc((size_t)N, sizeof(*pos));
		for (size_t k = 0; k < nar[0]; k++) {
			double lo = 1e300, hi = -1e300;
			for (int i = 0; i < N; i++) {
				while (L[i].ev[pos[i]].source != INGERO_SRC_NCCL)
					pos[i]++;
				const struct ingero_event *e = &L[i].ev[pos[i]++];
				double wall = (double)ingero_clock_to_wall(&L[i].clk, e->ts + e->dur);
				double err = (double)offs[i] + drift[i] * 1e-6 * (wall - (double)t0);
				double tru = wall - err;
				lo = fmin(lo, tru);
				hi = fmax(hi, tru);
			}
			worst = fmax(worst, hi - lo);
		}
		free(pos);
		T_CHECK(worst < 20000, "%s: k-th all-reduce ends align in true time (worst spread "
			"%.1f us)", label, worst / 1e3);
		/* and without correction they do not (when offsets differ) */
		int fast_wait = 1;
		for (int i = 0; i < N && straggler >= 0; i++)
			if (i != straggler)
				fast_wait &= mean_ar[i] > 1.8 * mean_ar[straggler];
		T_CHECK(fast_wait, "%s: non-stragglers wait longer in all-reduce (%.1f ms vs %.1f ms "
			"on the straggler)", label, mean_ar[0] / 1e6,
			straggler >= 0 ? mean_ar[straggler] / 1e6 : 0.0);
	}
	for (int i = 0; i < N; i++)
		unload(&L[i]);
	free(L);
	free(js);
}

static void t_determinism(void)
{
	char a[1200], b[1200], c[1200], fa[1300], fb[1300];
	static const char *const s7[] = { "incident", "--seed", "7", NULL };
	static const char *const s8[] = { "incident", "--seed", "8", NULL };
	static const char *const m7[] = { "multi-node", "--seed", "7", "--duration", "5", NULL };
	path_of(a, sizeof(a), "det-a");
	path_of(b, sizeof(b), "det-b");
	path_of(c, sizeof(c), "det-c");
	gen(a, s7);
	gen(b, s7);
	gen(c, s8);
	snprintf(fa, sizeof(fa), "%s/seg-000001.igz", a);
	snprintf(fb, sizeof(fb), "%s/seg-000001.igz", b);
	T_CHECK(file_eq(fa, fb), "determinism: same seed gives identical bytes");
	snprintf(fb, sizeof(fb), "%s/seg-000001.igz", c);
	T_CHECK(!file_eq(fa, fb), "determinism: another seed gives other bytes");
	path_of(a, sizeof(a), "detm-a");
	path_of(b, sizeof(b), "detm-b");
	gen(a, m7);
	gen(b, m7);
	int eq = 1;
	for (int i = 0; i < 4; i++) {
		snprintf(fa, sizeof(fa), "%s/node-%d/seg-000001.igz", a, i);
		snprintf(fb, sizeof(fb), "%s/node-%d/seg-000001.igz", b, i);
		eq &= file_eq(fa, fb);
	}
	snprintf(fa, sizeof(fa), "%s/truth.json", a);
	snprintf(fb, sizeof(fb), "%s/truth.json", b);
	eq &= file_eq(fa, fb);
	T_CHECK(eq, "determinism: multi-node recordings and truth.json identical");
}

static void t_events(void)
{
	char p[1200];
	struct loaded L;
	static const char *const a[] = { "control", "--events", "60000", NULL };
	path_of(p, sizeof(p), "events");
	T_CHECK(gen(p, a) == 0, "--events: generates");
	load(&L, p);
	T_CHECK(L.nev >= 57000 && L.nev <= 63000, "--events 60000 gives %zu events", L.nev);
	unload(&L);
	static const char *const m[] = { "multi-node", "--events", "40000", "--nodes", "2", NULL };
	path_of(p, sizeof(p), "events-mn");
	T_CHECK(gen(p, m) == 0, "--events multi-node: generates");
	size_t tot = 0;
	for (int i = 0; i < 2; i++) {
		char q[1300];
		snprintf(q, sizeof(q), "%s/node-%d", p, i);
		load(&L, q);
		tot += L.nev;
		unload(&L);
	}
	T_CHECK(tot >= 38000 && tot <= 42000, "--events 40000 over 2 nodes gives %zu", tot);
}

static void t_usage(void)
{
	char p[1200];
	path_of(p, sizeof(p), "usage");
	static const char *const bad1[] = { "nosuch", NULL };
	static const char *const bad2[] = { "incident", "--seed", "x", NULL };
	static const char *const bad3[] = { "incident", "--nodes", "3", NULL };
	static const char *const bad4[] = { "multi-node", "--offsets", "1,2,3,4,5", NULL };
	static const char *const bad5[] = { "multi-node", "--straggler", "node-9", NULL };
	static const char *const bad6[] = { "multi-node", "--drift", "0,fast", NULL };
	static const char *const bad7[] = { "control", "--duration", "-1", NULL };
	T_CHECK(gen(p, bad1) == 2, "usage: unknown scenario -> 2");
	T_CHECK(gen(p, bad2) == 2, "usage: bad --seed -> 2");
	T_CHECK(gen(p, bad3) == 2, "usage: --nodes on a single-node scenario -> 2");
	T_CHECK(gen(p, bad4) == 2, "usage: too many --offsets -> 2");
	T_CHECK(gen(p, bad5) == 2, "usage: unknown --straggler -> 2");
	T_CHECK(gen(p, bad6) == 2, "usage: bad --drift -> 2");
	T_CHECK(gen(p, bad7) == 2, "usage: bad --duration -> 2");
	static const char *const io[] = { "control", "--duration", "1", NULL };
	T_CHECK(gen("/proc/nonexistent/x", io) == 1, "unwritable output -> 1");
}

int main(void)
{
	const char *t = getenv("T_OUT");
	snprintf(out_root, sizeof(out_root), "%s/unit-demo", t && *t ? t : "/tmp");
	mkdir(out_root, 0755);

	t_usage();
	t_determinism();
	t_incident();
	t_cold_start();
	t_memcpy();
	t_periodic();
	t_cpu();
	t_gpu_steal();
	t_control();
	{
		static const char *const a[] = { "multi-node", NULL };
		static const int64_t offs[] = { 0, 3200000, -47000000, 850000 };
		static const double dr[] = { 0, 0, 0, 0 };
		t_multi("multi-node", a, 4, offs, dr, 1, 3);
	}
	{
		static const char *const a[] = { "multi-node", "--nodes", "3", "--offsets",
						  "+1ms,-2.5ms,+850us", "--drift", "0,20ppm,-5ppm",
						  "--straggler", "node-1", "--duration", "60", NULL };
		static const int64_t offs[] = { 1000000, -2500000, 850000 };
		static const double dr[] = { 0, 20, -5 };
		t_multi("multi-node-drift", a, 3, offs, dr, 1, 1);
	}
	{
		static const char *const a[] = { "multi-node", "--nodes", "2", "--no-collectives",
						  "--duration", "5", NULL };
		static const int64_t offs[] = { 0, 3200000 };
		static const double dr[] = { 0, 0 };
		t_multi("multi-node-nocoll", a, 2, offs, dr, 0, -1);
	}
	t_events();
	T_DONE();
}
