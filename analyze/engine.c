/* engine.c - the causal engine: baselines, slow calls, time-aligned evidence,
 * incidents, chains (docs/engine.md is the manual).
 *
 * Passes:
 *  1. one full scan of events: exact per-(node,pid,source,op) duration arrays
 *     for GPU calls, per-node spans, GPU activity maps (contention), and the
 *     small evidence tables (block I/O, page allocs, legacy sched_switch,
 *     OOM, alloc/free balance) kept in memory with caps;
 *  2. slow calls per (source,op) through the (source,op,duration) index,
 *     largest first;
 *  3. evidence for each slow call that overlaps [ts, ts+dur];
 *  4. classification, patterns without a host cause, incidents, chains. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <math.h>
#include <json-c/json.h>
#include "engine.h"

#define NS_MS 1000000LL
#define NS_S 1000000000LL
#define EXPLAIN_MIN 0.15        /* evidence must cover >= 15% of the excess */
#define INCIDENT_GAP_NS NS_S    /* slow calls closer than this: one incident */
#define COLD_CALLS 10           /* cold start looks at the first 10 calls */
#define COLD_RATIO 10.0         /* first call >= 10 x p50 */
#define MAP_BUCKETS (1 << 20)   /* GPU activity map buckets per (node,pid) */
#define MAX_MAPS 32
#define MAX_EV_JSON 50

enum cause {
	C_NONE = 0, C_PREEMPT, C_IO, C_MEMORY, C_THROTTLE, C_CONTENTION,
	C_OFFCPU, C_BLOCKED, C_COLD, C_PERIODIC, C_NCAUSE
};
static const char *cause_kind[C_NCAUSE] = {
	"tail", "preemption", "io", "memory", "throttle", "gpu_contention",
	"offcpu", "blocked", "cold_start", "periodic",
};

/* ------------------------------------------------------------ helpers */

struct strtab { char **s; size_t n, cap; };

static int str_id(struct strtab *t, const char *s)
{
	if (!s)
		s = "";
	for (size_t i = t->n; i-- > 0;)
		if (strcmp(t->s[i], s) == 0)
			return (int)i;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->s, nc * sizeof(*p));
		if (!p)
			return -1;
		t->s = p;
		t->cap = nc;
	}
	t->s[t->n] = strdup(s);
	if (!t->s[t->n])
		return -1;
	return (int)t->n++;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

#define VEC_PUSH(arr, n, cap, val) do { \
	if ((n) == (cap)) { \
		size_t nc_ = (cap) ? (cap) * 2 : 64; \
		void *p_ = realloc((arr), nc_ * sizeof(*(arr))); \
		if (!p_) goto oom; \
		(arr) = p_; (cap) = nc_; \
	} \
	(arr)[(n)++] = (val); \
} while (0)

static const char *cuda_names[] = { NULL, "cudaMalloc", "cudaFree", "cudaLaunchKernel",
	"cudaMemcpy", "cudaStreamSync", "cudaDeviceSync", "cudaMemcpyAsync",
	"cudaMallocManaged", "cudaMemcpy2D", "cudaMemcpy2DAsync", "cudaMemcpyPeer",
	"cudaMemcpyPeerAsync" };
static const char *drv_names[] = { NULL, "cuLaunchKernel", "cuMemcpy", "cuMemcpyAsync",
	"cuCtxSynchronize", "cuMemAlloc", "cuMemAllocManaged" };
static const char *nccl_names[] = { NULL, "CommInitRank", "CommDestroy", "AllReduce",
	"AllGather", "ReduceScatter", "Bcast", "Send", "Recv" };

static const char *op_name(int src, int op, char *buf, size_t len)
{
	if (src == 1 && op > 0 && op <= 12)
		return cuda_names[op];
	if (src == 4 && op > 0 && op <= 6)
		return drv_names[op];
	if (src == 9 && op > 0 && op <= 8)
		return nccl_names[op];
	snprintf(buf, len, "op(%d:%d)", src, op);
	return buf;
}

static int is_memcpy(int src, int op)
{
	return (src == 1 && (op == 4 || op == 7 || (op >= 9 && op <= 12))) ||
	       (src == 4 && (op == 2 || op == 3));
}
static int is_sync(int src, int op)
{
	return (src == 1 && (op == 5 || op == 6)) || (src == 4 && op == 4);
}
static int is_alloc(int src, int op)
{
	return (src == 1 && (op == 1 || op == 8)) || (src == 4 && (op == 5 || op == 6));
}
const char *ingero_engine_fmt_dur(int64_t ns, char *buf, size_t len)
{
	const char *sign = "";
	if (ns < 0) {
		sign = "-";
		ns = ns == INT64_MIN ? INT64_MAX : -ns;
	}
	if (ns < 1000)
		snprintf(buf, len, "%s%" PRId64 "ns", sign, ns);
	else if (ns < NS_MS)
		snprintf(buf, len, "%s%.3gµs", sign, ns / 1e3);
	else if (ns < NS_S)
		snprintf(buf, len, "%s%.3gms", sign, ns / 1e6);
	else if (ns < 60 * NS_S)
		snprintf(buf, len, "%s%.3gs", sign, ns / 1e9);
	else {
		int64_t m = ns / (60 * NS_S);
		snprintf(buf, len, "%s%" PRId64 "m%.3gs", sign, m, (double)(ns - m * 60 * NS_S) / 1e9);
	}
	return buf;
}
#define FD(ns, b) ingero_engine_fmt_dur((ns), (b), sizeof(b))

/* qsort with n == 0 and base NULL is undefined behaviour */
static void xqsort(void *base, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

/* (declared in engine.h; the report's statistics use it too) */
int64_t ingero_engine_kth(int64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t x = a[lo], y = a[mid], z = a[hi], pv;
		pv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pv)
				i++;
			while (a[j] > pv)
				j--;
			if (i <= j) {
				int64_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

static size_t rank_of(size_t n, double p)
{
	double r = ceil(p * (double)n) - 1;
	size_t i = r < 0 ? 0 : (size_t)r;
	return i >= n ? n - 1 : i;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* odd input (corrupt or hand-made rows) is clamped so arithmetic on times
 * never overflows: timestamps to +-2^61 ns (+-73 years), durations to
 * [0, 2^40] ns (18 min); sums saturate */
#define TS_LIM (1LL << 61)
#define DUR_LIM (1LL << 40)
static int64_t cts(int64_t t) { return t > TS_LIM ? TS_LIM : t < -TS_LIM ? -TS_LIM : t; }
static int64_t cdur(int64_t d) { return d < 0 ? 0 : d > DUR_LIM ? DUR_LIM : d; }

static int64_t sadd(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t ovl(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

/* ------------------------------------------------------------- state */

struct grp {
	int node, src, op;
	int64_t pid;
	int64_t *d;
	size_t n, cap;
	int64_t sum, first_ts, last_end;
	int64_t p50, p95, p99, max;
	int64_t first_ts10[COLD_CALLS]; /* the 10 smallest start times */
	int nfirst;
	int eligible;                   /* passes the pid/op filters */
	int64_t nslow;
};

struct ivl { int node; int64_t pid, tid, ts, dur, seq, a0, a1; };

struct amap { int node; int64_t pid; uint32_t *busy, *cps; size_t nsec; int64_t total, first, last; };

struct slow {
	int g;
	int64_t seq, ts, dur, tid, excess;
	int64_t pre_ns, blk_ns, unk_ns, io_ns, io_n, io_bytes, pa_bytes, cont_ns, expl;
	int64_t cul_pid, cul_ns, cont_pid;
	int cul_comm;          /* comms id, -1 none */
	int npre;              /* preempted intervals overlapping */
	int mem, thr;
	int cause;
	int64_t off_rowid[3];
	int noff;
	int64_t ev_seq[4];
	int nev;
};

struct chain {
	int node, src, op;
	int64_t pid;
	const char *kind;
	char opname[40];
	int sev;                 /* 0 HIGH, 1 MEDIUM, 2 LOW */
	int64_t ws, we, impact, slow;
	double share, score, cover;
	int64_t p50, p99;
	int64_t culprit_pid;     /* -1 none */
	char *culprit_comm;
	char *summary, *root, *expl;
	json_object *timeline, *recs, *evidence;
	char id[160];
};

struct eng {
	sqlite3 *db;
	struct ingero_engine_opts o;
	struct strtab nodes, comms;
	struct grp *g;
	size_t ng, gcap;
	int *gh;                 /* hash: index+1 */
	size_t ghcap;
	int64_t *nfirst, *nlast; /* per node span */
	size_t nncap;
	int64_t events, t_min, t_max;
	struct ivl *io, *pa, *ss, *oom, *al;
	size_t nio, cio, npa, cpa, nss, css, noom, coom, nal, cal;
	int64_t maxio, maxpa, maxss, maxoff;
	int evt_truncated;
	struct amap maps[MAX_MAPS];
	int nmaps;
	int64_t bw, base;        /* activity map bucket width / base */
	int have_offcpu, have_snap, have_gpu;
	struct slow *s;
	size_t ns, cs;
	int slow_truncated;
	struct chain *c;
	size_t nc, cc;
	sqlite3_stmt *q_off, *q_snap, *q_gpu, *q_name, *q_kids;
	int cur_node, last_g, scan_err;   /* pass-1 scan state */
	struct amap *last_m;
};

#include <time.h>
/* INGERO_ENGINE_TIMING=1: phase timings on stderr (diagnostics only; never
 * part of any output or decision) */
static void phase(const char *name)
{
	static struct timespec t0;
	static int on = -1;
	if (on < 0)
		on = getenv("INGERO_ENGINE_TIMING") != NULL;
	if (!on)
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (name)
		fprintf(stderr, "engine: %-10s %.3f s\n", name, (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
	t0 = t;
}

static int set_err(char *err, size_t len, const char *fmt, const char *a)
{
	if (err && len)
		snprintf(err, len, fmt, a);
	return -1;
}

static int grp_find(struct eng *e, int node, int64_t pid, int src, int op, int create)
{
	uint64_t h = ((uint64_t)node * 1000003u) ^ ((uint64_t)pid * 2654435761u) ^
		     ((uint64_t)src << 40) ^ ((uint64_t)op << 48);
	h ^= h >> 29;
	if (!e->ghcap) {
		e->ghcap = 1024;
		e->gh = calloc(e->ghcap, sizeof(int));
		if (!e->gh)
			return -1;
	}
	size_t i = h & (e->ghcap - 1);
	for (;;) {
		int k = e->gh[i];
		if (!k)
			break;
		struct grp *g = &e->g[k - 1];
		if (g->node == node && g->pid == pid && g->src == src && g->op == op)
			return k - 1;
		i = (i + 1) & (e->ghcap - 1);
	}
	if (!create)
		return -1;
	if (e->ng * 2 >= e->ghcap) { /* grow and rehash */
		size_t nc = e->ghcap * 2;
		int *nh = calloc(nc, sizeof(int));
		if (!nh)
			return -1;
		free(e->gh);
		e->gh = nh;
		e->ghcap = nc;
		for (size_t k = 0; k < e->ng; k++) {
			struct grp *g = &e->g[k];
			uint64_t hh = ((uint64_t)g->node * 1000003u) ^ ((uint64_t)g->pid * 2654435761u) ^
				      ((uint64_t)g->src << 40) ^ ((uint64_t)g->op << 48);
			hh ^= hh >> 29;
			size_t j = hh & (nc - 1);
			while (nh[j])
				j = (j + 1) & (nc - 1);
			nh[j] = (int)k + 1;
		}
		return grp_find(e, node, pid, src, op, 1);
	}
	if (e->ng == e->gcap) {
		size_t nc = e->gcap ? e->gcap * 2 : 64;
		struct grp *p = realloc(e->g, nc * sizeof(*p));
		if (!p)
			return -1;
		e->g = p;
		e->gcap = nc;
	}
	struct grp *g = &e->g[e->ng];
	memset(g, 0, sizeof(*g));
	g->node = node;
	g->pid = pid;
	g->src = src;
	g->op = op;
	g->first_ts = INT64_MAX;
	g->last_end = INT64_MIN;
	char b[32];
	g->eligible = (e->o.pid < 0 || e->o.pid == pid) &&
		      (!e->o.op || strcasecmp(e->o.op, op_name(src, op, b, sizeof(b))) == 0);
	e->gh[i] = (int)e->ng + 1;
	return (int)e->ng++;
}

static struct amap *map_get(struct eng *e, int node, int64_t pid, int create)
{
	for (int i = 0; i < e->nmaps; i++)
		if (e->maps[i].node == node && e->maps[i].pid == pid)
			return &e->maps[i];
	if (!create || e->nmaps >= MAX_MAPS || e->bw <= 0)
		return NULL;
	struct amap *m = &e->maps[e->nmaps];
	m->busy = calloc(MAP_BUCKETS, sizeof(uint32_t));
	m->nsec = (size_t)((double)e->bw * MAP_BUCKETS / (double)NS_S) + 2;
	/* GPU calls started per second; none (no throughput-drop rule) for spans
	 * over ~48 days, e.g. a bogus timestamp 10^18 ns away (was an OOM) */
	if (m->nsec > ((size_t)1 << 22))
		m->nsec = 0;
	m->cps = m->nsec ? calloc(m->nsec, sizeof(uint32_t)) : NULL;
	if (!m->busy || (m->nsec && !m->cps)) {
		free(m->busy);
		free(m->cps);
		return NULL;
	}
	m->node = node;
	m->pid = pid;
	m->total = 0;
	m->first = INT64_MAX;
	m->last = INT64_MIN;
	e->nmaps++;
	return m;
}

static void map_add(struct eng *e, struct amap *m, int64_t ts, int64_t dur)
{
	if (ts < m->first)
		m->first = ts;
	if (ts + dur > m->last)
		m->last = ts + dur;
	m->total = sadd(m->total, dur);
	if (ts >= e->base && (size_t)((ts - e->base) / NS_S) < m->nsec)
		m->cps[(ts - e->base) / NS_S]++;
	int64_t a = ts - e->base, b = a + dur;
	if (a < 0)
		a = 0;
	if (b <= a)
		return;
	int64_t i0 = a / e->bw, i1 = (b - 1) / e->bw;
	if (i0 >= MAP_BUCKETS)
		return;
	if (i1 >= MAP_BUCKETS)
		i1 = MAP_BUCKETS - 1;
	if (i1 - i0 > 65536) /* calls over ~1 min do not mark activity (bounded work) */
		return;
	for (int64_t i = i0; i <= i1; i++) {
		int64_t o = ovl(a, b, i * e->bw, (i + 1) * e->bw);
		uint64_t v = (uint64_t)m->busy[i] + (uint64_t)o;
		m->busy[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
}

/* busy ns of map m inside [ts, ts+dur), buckets weighted by their overlap */
static int64_t map_busy(struct eng *e, struct amap *m, int64_t ts, int64_t dur)
{
	int64_t a = ts - e->base, b = a + dur, sum = 0;
	if (a < 0)
		a = 0;
	if (b <= a)
		return 0;
	int64_t i0 = a / e->bw, i1 = (b - 1) / e->bw;
	if (i0 >= MAP_BUCKETS)
		return 0;
	if (i1 >= MAP_BUCKETS)
		i1 = MAP_BUCKETS - 1;
	if (i1 - i0 > 65536) { /* long interval: sample every 64th bucket */
		for (int64_t i = i0; i <= i1; i += 64)
			sum += 64 * (int64_t)m->busy[i];
		return sum > dur ? dur : sum;
	}
	for (int64_t i = i0; i <= i1; i++) {
		int64_t o = ovl(a, b, i * e->bw, (i + 1) * e->bw);
		sum += (int64_t)((double)m->busy[i] * (double)o / (double)e->bw);
	}
	return sum > dur ? dur : sum;
}

/* ---------------------------------------------------------- queries */

static int prep(struct eng *e, sqlite3_stmt **st, const char *sql, char *err, size_t len)
{
	if (sqlite3_prepare_v2(e->db, sql, -1, st, NULL) != SQLITE_OK) {
		set_err(err, len, "engine: %s", sqlite3_errmsg(e->db));
		return -1;
	}
	return 0;
}

static int64_t q_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* WHERE fragment for the node/time filters; binds ?101 node, ?102 since, ?103 until */
static void filt_sql(struct eng *e, char *buf, size_t len, const char *tscol)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s",
		 e->o.node ? " AND node = ?101" : "",
		 e->o.since_ns ? " AND " : "", e->o.since_ns ? tscol : "", e->o.since_ns ? " >= ?102" : "",
		 e->o.until_ns ? " AND " : "", e->o.until_ns ? tscol : "", e->o.until_ns ? " < ?103" : "");
}
static void filt_bind(struct eng *e, sqlite3_stmt *st)
{
	if (e->o.node)
		sqlite3_bind_text(st, 101, e->o.node, -1, SQLITE_STATIC);
	if (e->o.since_ns)
		sqlite3_bind_int64(st, 102, e->o.since_ns);
	if (e->o.until_ns)
		sqlite3_bind_int64(st, 103, e->o.until_ns);
}

static int node_slot(struct eng *e, int node)
{
	if ((size_t)node >= e->nncap) {
		size_t nc = (size_t)node + 16;
		int64_t *a = realloc(e->nfirst, nc * sizeof(int64_t));
		if (!a)
			return -1;
		e->nfirst = a;
		int64_t *b = realloc(e->nlast, nc * sizeof(int64_t));
		if (!b)
			return -1;
		e->nlast = b;
		for (size_t i = e->nncap; i < nc; i++) {
			e->nfirst[i] = INT64_MAX;
			e->nlast[i] = INT64_MIN;
		}
		e->nncap = nc;
	}
	return 0;
}

static int cmp_ivl(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}
/* legacy sched_switch is matched per thread */
static int cmp_ivl_tid(const void *a, const void *b)
{
	const struct ivl *x = a, *y = b;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* one events row of pass 1; returns 0 or -1 (out of memory) */
static int row1(struct eng *e, const char *nd, int64_t pid, int64_t tid, int src, int op,
		int64_t ts, int64_t dur, int64_t seq, int64_t a0, int64_t a1)
{
	if (!nd)
		nd = "";
	if (e->cur_node < 0 || strcmp(nd, e->nodes.s[e->cur_node]) != 0) {
		e->cur_node = str_id(&e->nodes, nd);
		if (e->cur_node < 0 || node_slot(e, e->cur_node))
			return -1;
	}
	int node = e->cur_node;
	if (dur < 0)
		dur = 0;
	e->events++;
	if (ts < e->nfirst[node])
		e->nfirst[node] = ts;
	if (ts + dur > e->nlast[node])
		e->nlast[node] = ts + dur;
	if (ts < e->t_min)
		e->t_min = ts;
	if (ts + dur > e->t_max)
		e->t_max = ts + dur;
	if (src == 1 || src == 4) {
		int gi = e->last_g;
		struct grp *g = gi >= 0 ? &e->g[gi] : NULL;
		if (!g || g->node != node || g->pid != pid || g->src != src || g->op != op) {
			gi = grp_find(e, node, pid, src, op, 1);
			if (gi < 0)
				return -1;
			e->last_g = gi;
			g = &e->g[gi];
		}
		VEC_PUSH(g->d, g->n, g->cap, dur);
		g->sum = sadd(g->sum, dur);
		if (ts < g->first_ts)
			g->first_ts = ts;
		if (ts + dur > g->last_end)
			g->last_end = ts + dur;
		/* keep the COLD_CALLS smallest start times (insertion) */
		if (g->nfirst < COLD_CALLS || ts < g->first_ts10[g->nfirst - 1]) {
			int k = g->nfirst < COLD_CALLS ? g->nfirst++ : COLD_CALLS - 1;
			while (k > 0 && g->first_ts10[k - 1] > ts) {
				g->first_ts10[k] = g->first_ts10[k - 1];
				k--;
			}
			g->first_ts10[k] = ts;
		}
		struct amap *m = e->last_m;
		if (!m || m->node != node || m->pid != pid)
			m = e->last_m = map_get(e, node, pid, 1);
		if (m)
			map_add(e, m, ts, dur);
		if ((is_alloc(src, op) || (src == 1 && op == 2)) && e->nal < ENGINE_MAX_EVT) {
			struct ivl v = { node, pid, tid, ts, dur, seq, src * 100 + op, a0 };
			VEC_PUSH(e->al, e->nal, e->cal, v);
		}
		return 0;
	}
	struct ivl v = { node, pid, tid, ts, dur, seq, a0, a1 };
	if (src == 5) {
		if (e->nio >= ENGINE_MAX_EVT) { e->evt_truncated = 1; return 0; }
		VEC_PUSH(e->io, e->nio, e->cio, v);
		if (dur > e->maxio)
			e->maxio = dur;
	} else if (src == 3 && op == 3) {
		if (e->npa >= ENGINE_MAX_EVT) { e->evt_truncated = 1; return 0; }
		VEC_PUSH(e->pa, e->npa, e->cpa, v);
		if (dur > e->maxpa)
			e->maxpa = dur;
	} else if (src == 3 && op == 1 && !e->have_offcpu) {
		if (e->nss >= ENGINE_MAX_EVT) { e->evt_truncated = 1; return 0; }
		VEC_PUSH(e->ss, e->nss, e->css, v);
		if (dur > e->maxss)
			e->maxss = dur;
	} else if (src == 3 && op == 4) {
		if (e->noom < 1000)
			VEC_PUSH(e->oom, e->noom, e->coom, v);
	}
	return 0;
oom:
	return -1;
}

/* The scan runs as an SQL function inside one statement: no per-row
 * sqlite3_step / sqlite3_column_* calls (each takes the connection mutex). */
static void row1_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	struct eng *e = sqlite3_user_data(ctx);
	(void)argc;
	if (e->scan_err)
		return;
	if (row1(e, (const char *)sqlite3_value_text(v[0]), sqlite3_value_int64(v[1]),
		 sqlite3_value_int64(v[2]), sqlite3_value_int(v[3]), sqlite3_value_int(v[4]),
		 cts(sqlite3_value_int64(v[5])), cdur(sqlite3_value_int64(v[6])), sqlite3_value_int64(v[7]),
		 sqlite3_value_int64(v[8]), sqlite3_value_int64(v[9]))) {
		e->scan_err = 1;
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_int(ctx, 0);
}

static int pass1(struct eng *e, char *err, size_t len)
{
	char f[256], sql[512];
	sqlite3_stmt *st;
	filt_sql(e, f, sizeof(f), "timestamp");
	/* activity-map bucket base and width from the indexed time range */
	snprintf(sql, sizeof(sql), "SELECT min(timestamp), max(timestamp) FROM events WHERE 1%s", f);
	if (prep(e, &st, sql, err, len))
		return -1;
	filt_bind(e, st);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		e->base = cts(sqlite3_column_int64(st, 0));
		int64_t span = cts(sqlite3_column_int64(st, 1)) - e->base + 60 * NS_S;
		e->bw = span / MAP_BUCKETS + 1;
		if (e->bw < NS_MS)
			e->bw = NS_MS;
	}
	sqlite3_finalize(st);

	e->cur_node = -1;
	e->last_g = -1;
	e->last_m = NULL;
	e->t_min = INT64_MAX;
	e->t_max = INT64_MIN;
	if (sqlite3_create_function(e->db, "ingero_engine_row", 10, SQLITE_UTF8, e, row1_fn, NULL, NULL) != SQLITE_OK)
		return set_err(err, len, "engine: %s", sqlite3_errmsg(e->db));
	snprintf(sql, sizeof(sql), "SELECT count(ingero_engine_row(node, pid, tid, source, op, timestamp, duration, "
		 "seq, arg0, arg1)) FROM events WHERE 1%s", f);
	int rc = SQLITE_ERROR;
	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK) {
		filt_bind(e, st);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			set_err(err, len, "engine: reading events: %s", e->scan_err ? "out of memory" : sqlite3_errmsg(e->db));
		sqlite3_finalize(st);
	} else {
		set_err(err, len, "engine: %s", sqlite3_errmsg(e->db));
	}
	sqlite3_create_function(e->db, "ingero_engine_row", 10, SQLITE_UTF8, NULL, NULL, NULL, NULL);
	if (rc != SQLITE_ROW || e->scan_err)
		return -1;
	xqsort(e->io, e->nio, sizeof(struct ivl), cmp_ivl);
	xqsort(e->pa, e->npa, sizeof(struct ivl), cmp_ivl);
	xqsort(e->al, e->nal, sizeof(struct ivl), cmp_ivl);
	xqsort(e->ss, e->nss, sizeof(struct ivl), cmp_ivl_tid);
	/* exact percentiles over the whole population */
	for (size_t i = 0; i < e->ng; i++) {
		struct grp *g = &e->g[i];
		if (g->n) { /* exact nearest-rank percentiles by selection, O(n) */
			size_t k99 = rank_of(g->n, 0.99), k95 = rank_of(g->n, 0.95), k50 = rank_of(g->n, 0.50);
			int64_t mx = g->d[0];
			for (size_t k = 1; k < g->n; k++)
				if (g->d[k] > mx)
					mx = g->d[k];
			g->max = mx;
			g->p99 = ingero_engine_kth(g->d, g->n, k99);       /* now d[0..k99] <= p99 */
			g->p95 = ingero_engine_kth(g->d, k99 + 1, k95);
			g->p50 = ingero_engine_kth(g->d, k95 + 1, k50);
		}
		free(g->d);
		g->d = NULL;
		g->cap = 0;
	}
	return 0;
}

static int cmp_slow_dur(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->dur != y->dur)
		return (x->dur < y->dur) - (x->dur > y->dur);
	if (x->g != y->g)
		return x->g - y->g;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* pass 2: slow calls.  One scan of events (no index: building one over
 * (source, op, duration) cost more than the whole import); candidates are
 * ordered in C as the former per-(source, op) index walk returned them --
 * source, op, duration DESC, node, seq -- and the first ENGINE_MAX_SLOW of
 * that order are kept (bounded: sorted and cut whenever the buffer fills). */
struct cand { int64_t raw; int src, op; struct slow s; };
static struct eng *cand_eng;
static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->src != y->src)
		return x->src - y->src;
	if (x->op != y->op)
		return x->op - y->op;
	if (x->raw != y->raw)
		return (x->raw < y->raw) - (x->raw > y->raw);
	int c = strcmp(cand_eng->nodes.s[cand_eng->g[x->s.g].node], cand_eng->nodes.s[cand_eng->g[y->s.g].node]);
	if (c)
		return c;
	return (x->s.seq > y->s.seq) - (x->s.seq < y->s.seq);
}

static int pass2(struct eng *e, char *err, size_t len)
{
	char f[256], sql[512];
	int64_t thr[5][17];
	int64_t minthr = INT64_MAX;
	struct cand *cv = NULL;
	size_t nc = 0, cc = 0, lim = (size_t)ENGINE_MAX_SLOW * 2;
	int over = 0;
	/* per (src, op): the smallest threshold among eligible groups */
	for (int src = 1; src <= 4; src += 3) {
		for (int op = 1; op <= 16; op++) {
			int64_t t0 = INT64_MAX;
			for (size_t i = 0; i < e->ng; i++) {
				struct grp *g = &e->g[i];
				if (g->src != src || g->op != op || !g->eligible || g->n < 3)
					continue;
				int64_t t = (int64_t)(ENGINE_K_SLOW * (double)g->p50);
				if (t < t0)
					t0 = t;
			}
			thr[src][op] = t0;
			if (t0 < minthr)
				minthr = t0;
		}
	}
	if (minthr == INT64_MAX)
		return 0;
	filt_sql(e, f, sizeof(f), "timestamp");
	snprintf(sql, sizeof(sql), "SELECT node, pid, tid, timestamp, duration, seq, source, op FROM events "
		 "WHERE source IN (1, 4) AND op BETWEEN 1 AND 16 AND duration > ?1%s", f);
	sqlite3_stmt *st;
	if (prep(e, &st, sql, err, len))
		return -1;
	sqlite3_bind_int64(st, 1, minthr);
	filt_bind(e, st);
	cand_eng = e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int src = sqlite3_column_int(st, 6), op = sqlite3_column_int(st, 7);
		if ((src != 1 && src != 4) || op < 1 || op > 16)
			continue;
		int64_t raw = sqlite3_column_int64(st, 4);
		if (thr[src][op] == INT64_MAX || raw <= thr[src][op])
			continue;
		const char *nd = (const char *)sqlite3_column_text(st, 0);
		int node = str_id(&e->nodes, nd);
		int64_t pid = sqlite3_column_int64(st, 1);
		int gi = grp_find(e, node, pid, src, op, 0);
		if (gi < 0)
			continue;
		struct grp *g = &e->g[gi];
		int64_t dur = cdur(raw);
		int mincalls = g->n >= ENGINE_MIN_CALLS;
		int cold_ok = g->n >= COLD_CALLS; /* cold start checked later */
		if (!g->eligible || !(mincalls || cold_ok) || g->p50 <= 0 ||
		    (double)dur <= ENGINE_K_SLOW * (double)g->p50)
			continue;
		struct cand c;
		memset(&c, 0, sizeof(c));
		c.raw = raw;
		c.src = src;
		c.op = op;
		c.s.g = gi;
		c.s.tid = sqlite3_column_int64(st, 2);
		c.s.ts = cts(sqlite3_column_int64(st, 3));
		c.s.dur = dur;
		c.s.seq = sqlite3_column_int64(st, 5);
		c.s.excess = dur - g->p50;
		c.s.cul_pid = -1;
		c.s.cul_comm = -1;
		c.s.cont_pid = -1;
		if (nc == lim) { /* keep the first ENGINE_MAX_SLOW of the order */
			xqsort(cv, nc, sizeof(struct cand), cmp_cand);
			nc = ENGINE_MAX_SLOW;
			over = 1;
		}
		VEC_PUSH(cv, nc, cc, c);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		free(cv);
		return set_err(err, len, "engine: reading events: %s", sqlite3_errmsg(e->db));
	}
	xqsort(cv, nc, sizeof(struct cand), cmp_cand);
	if (nc > ENGINE_MAX_SLOW || over) {
		e->slow_truncated = 1;
		if (nc > ENGINE_MAX_SLOW)
			nc = ENGINE_MAX_SLOW;
	}
	for (size_t i = 0; i < nc; i++) {
		VEC_PUSH(e->s, e->ns, e->cs, cv[i].s);
		e->g[cv[i].s.g].nslow++;
	}
	free(cv);
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_dur);
	return 0;
oom:
	sqlite3_finalize(st);
	free(cv);
	return set_err(err, len, "engine: %s", "out of memory");
}

/* first index in a sorted (node,pid|tid,ts) array with key >= (node,id,ts) */
static size_t lower(const struct ivl *a, size_t n, int node, int64_t id, int64_t ts, int bytid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct ivl *v = &a[mid];
		int64_t vid = bytid ? v->tid : v->pid;
		int less = v->node < node || (v->node == node && (vid < id || (vid == id && v->ts < ts)));
		if (less)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct culp { int64_t pid, ns; int comm; };

/* child processes of (node, pid), from the processes table; up to max */
static int children(struct eng *e, int node, int64_t pid, int64_t *out, int max)
{
	if (!e->q_kids)
		return 0;
	sqlite3_reset(e->q_kids);
	sqlite3_bind_text(e->q_kids, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(e->q_kids, 2, pid);
	int n = 0;
	while (n < max && sqlite3_step(e->q_kids) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(e->q_kids, 0);
	return n;
}

static void evidence(struct eng *e, struct slow *s)
{
	struct grp *g = &e->g[s->g];
	int64_t t0 = s->ts, t1 = s->ts + s->dur;
	struct culp cu[16];
	int ncu = 0;
	/* off-CPU intervals of the same thread */
	if (e->have_offcpu && e->q_off) {
		sqlite3_stmt *q = e->q_off;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, s->tid);
		sqlite3_bind_int64(q, 3, t1);
		sqlite3_bind_int64(q, 4, t0 - e->maxoff);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int64_t st = cts(sqlite3_column_int64(q, 1)), d = cdur(sqlite3_column_int64(q, 2));
			int64_t o = ovl(t0, t1, st, st + d);
			if (o <= 0)
				continue;
			int pre = sqlite3_column_int(q, 3);
			if (pre) {
				s->pre_ns = sadd(s->pre_ns, o);
				s->npre++;
				int64_t cp = sqlite3_column_type(q, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 4);
				int k;
				for (k = 0; k < ncu; k++)
					if (cu[k].pid == cp)
						break;
				if (k == ncu && ncu < 16) {
					cu[ncu].pid = cp;
					cu[ncu].ns = 0;
					cu[ncu].comm = str_id(&e->comms, (const char *)sqlite3_column_text(q, 5));
					ncu++;
				}
				if (k < ncu)
					cu[k].ns += o;
			} else if (sqlite3_column_int64(q, 6) < 0) {
				s->unk_ns = sadd(s->unk_ns, o); /* legacy rows: preempted vs blocked unknown */
			} else {
				s->blk_ns = sadd(s->blk_ns, o);
			}
			if (s->noff < 3)
				s->off_rowid[s->noff++] = sqlite3_column_int64(q, 0);
		}
	} else if (e->nss) {
		/* legacy: sched_switch rows are off-CPU intervals, state unknown */
		int64_t from = t0 - e->maxss;
		for (size_t i = lower(e->ss, e->nss, g->node, s->tid, from, 1); i < e->nss; i++) {
			struct ivl *v = &e->ss[i];
			if (v->node != g->node || v->tid != s->tid || v->ts >= t1)
				break;
			int64_t o = ovl(t0, t1, v->ts, v->ts + v->dur);
			if (o <= 0)
				continue;
			s->unk_ns = sadd(s->unk_ns, o);
			if (s->nev < 4)
				s->ev_seq[s->nev++] = v->seq;
		}
	}
	for (int k = 0; k < ncu; k++)
		if (k == 0 || cu[k].ns > s->cul_ns || (cu[k].ns == s->cul_ns && cu[k].pid < s->cul_pid)) {
			s->cul_ns = cu[k].ns;
			s->cul_pid = cu[k].pid;
			s->cul_comm = cu[k].comm;
		}
	/* block I/O issued by the process or its children (DataLoader workers) */
	int64_t kids[17];
	int nk = e->nio ? children(e, g->node, g->pid, kids, 16) : 0;
	kids[nk++] = g->pid;
	for (int k = 0; k < nk; k++) {
		for (size_t i = lower(e->io, e->nio, g->node, kids[k], t0 - e->maxio, 0); i < e->nio; i++) {
			struct ivl *v = &e->io[i];
			if (v->node != g->node || v->pid != kids[k] || v->ts >= t1)
				break;
			int64_t o = ovl(t0, t1, v->ts, v->ts + v->dur);
			if (o <= 0)
				continue;
			s->io_ns = sadd(s->io_ns, o);
			s->io_n++;
			s->io_bytes += v->a0;
			if (s->nev < 4)
				s->ev_seq[s->nev++] = v->seq;
		}
	}
	if (s->io_ns > s->dur)
		s->io_ns = s->dur;
	/* page-allocation bursts of the process */
	for (size_t i = lower(e->pa, e->npa, g->node, g->pid, t0 - e->maxpa, 0); i < e->npa; i++) {
		struct ivl *v = &e->pa[i];
		if (v->node != g->node || v->pid != g->pid || v->ts >= t1)
			break;
		int64_t o = v->dur > 0 ? ovl(t0, t1, v->ts, v->ts + v->dur) : (v->ts >= t0 ? 1 : 0);
		if (o <= 0)
			continue;
		s->pa_bytes += v->dur > 0 ? (int64_t)((double)v->a0 * (double)o / (double)v->dur) : v->a0;
		if (s->nev < 4)
			s->ev_seq[s->nev++] = v->seq;
	}
	/* memory pressure / swap from the snapshots around the call */
	if (e->have_snap) {
		sqlite3_stmt *q = e->q_snap;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, t0 - NS_S);
		sqlite3_bind_int64(q, 3, t1 + NS_S);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 3) > 0) {
			double mem = sqlite3_column_double(q, 0);
			int64_t swap_grow = sqlite3_column_int64(q, 1);
			if (mem >= 95.0 || swap_grow > 0)
				s->mem = 1;
		}
	}
	/* GPU throttling (power / thermal / HW slowdown bits) */
	if (e->have_gpu) {
		sqlite3_stmt *q = e->q_gpu;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, t0 - NS_S);
		sqlite3_bind_int64(q, 3, t1 + NS_S);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
			s->thr = (int)sqlite3_column_int64(q, 0);
	}
	/* other processes' GPU calls on the same node */
	for (int i = 0; i < e->nmaps; i++) {
		struct amap *m = &e->maps[i];
		if (m->node != g->node || m->pid == g->pid)
			continue;
		int64_t b = map_busy(e, m, t0, s->dur);
		double span = (double)(m->last - m->first);
		double duty = span > 0 ? (double)m->total / span : 1.0;
		double frac = s->dur > 0 ? (double)b / (double)s->dur : 0;
		if (frac >= 0.5 || (frac >= 0.25 && frac >= 1.5 * duty)) {
			if (b > s->cont_ns) {
				s->cont_ns = b;
				s->cont_pid = m->pid;
			}
		}
	}
}

/* explained ns per cause; the cause is the best-covered one */
static void classify(struct eng *e, struct slow *s)
{
	struct grp *g = &e->g[s->g];
	int64_t ex[C_NCAUSE] = { 0 };
	int64_t excess = s->excess > 0 ? s->excess : 1;
	ex[C_PREEMPT] = s->pre_ns;
	ex[C_IO] = s->io_ns;
	if (s->mem)
		ex[C_MEMORY] = excess;
	else if (s->pa_bytes >= (256LL << 20))
		ex[C_MEMORY] = excess;
	else if (s->pa_bytes >= (32LL << 20))
		ex[C_MEMORY] = excess / 2;
	if (s->thr)
		ex[C_THROTTLE] = s->dur / 2;
	ex[C_CONTENTION] = s->cont_ns;
	ex[C_OFFCPU] = s->unk_ns;
	/* a sync call waits for the GPU asleep: blocking is its normal state */
	if (!is_sync(g->src, g->op))
		ex[C_BLOCKED] = s->blk_ns;
	int best = C_NONE;
	int64_t bv = 0;
	for (int c = C_PREEMPT; c <= C_BLOCKED; c++)
		if (ex[c] > bv) {
			bv = ex[c];
			best = c;
		}
	if (best != C_NONE && (double)bv < EXPLAIN_MIN * (double)excess)
		best = C_NONE;
	s->cause = best;
	s->expl = best == C_NONE ? 0 : (bv > excess ? excess : bv);
}

static int cmp_slow_grp_ts(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->g != y->g)
		return x->g - y->g;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

struct period { double sec, calls, iters; int bursts; };

/* cold start and periodic spikes among the unexplained slow calls of a group
 * (slow calls sorted by group, ts; [lo, hi) is one group) */
static void patterns(struct eng *e, size_t lo, size_t hi, struct period *pr)
{
	struct grp *g = &e->g[e->s[lo].g];
	memset(pr, 0, sizeof(*pr));
	/* cold start: the very first call is slow by >= COLD_RATIO; every slow
	 * call among the first COLD_CALLS calls belongs to it */
	if (g->nfirst > 0 && e->s[lo].ts == g->first_ts &&
	    (double)e->s[lo].dur >= COLD_RATIO * (double)g->p50) {
		int64_t lim = g->first_ts10[g->nfirst - 1];
		for (size_t i = lo; i < hi && e->s[i].ts <= lim; i++) {
			struct slow *s = &e->s[i];
			if (s->cause != C_NONE && s->expl * 2 >= s->excess)
				continue; /* a host cause explains it better */
			s->cause = C_COLD;
			s->expl = s->excess;
		}
	}
	if (g->n < ENGINE_MIN_CALLS) { /* only cold start for small groups */
		for (size_t i = lo; i < hi; i++)
			if (e->s[i].cause != C_COLD)
				e->s[i].cause = -1;
		return;
	}
	/* periodic: bursts of unexplained slow calls at a regular spacing */
	size_t n = 0;
	for (size_t i = lo; i < hi; i++)
		n += e->s[i].cause == C_NONE;
	if (n < 4)
		return;
	double spacing = g->n > 1 ? (double)(g->last_end - g->first_ts) / (double)g->n : 0;
	int64_t *starts = malloc(n * sizeof(int64_t));
	if (!starts)
		return;
	size_t nb = 0;
	int64_t prev = INT64_MIN;
	for (size_t i = lo; i < hi; i++) {
		struct slow *s = &e->s[i];
		if (s->cause != C_NONE)
			continue;
		if (prev == INT64_MIN || (double)(s->ts - prev) > 10.0 * spacing)
			starts[nb++] = s->ts;
		prev = s->ts;
	}
	if (nb >= 4) {
		size_t ni = nb - 1;
		int64_t *iv = malloc(ni * sizeof(int64_t));
		if (iv) {
			for (size_t i = 0; i < ni; i++)
				iv[i] = starts[i + 1] - starts[i];
			xqsort(iv, ni, sizeof(int64_t), cmp_i64);
			int64_t med = iv[(ni - 1) / 2];
			size_t reg = 0;
			for (size_t i = 0; i < ni; i++)
				if (fabs((double)(iv[i] - med)) <= 0.25 * (double)med)
					reg++;
			double cover = (double)(starts[nb - 1] - starts[0]);
			double gspan0 = (double)(g->last_end - g->first_ts);
			/* and they recur over that span (not one dense cluster) */
			int recur = med > 0 && (double)nb >= 0.5 * cover / (double)med;
			if (med > 0 && recur && (double)reg >= 0.6 * (double)ni && cover >= 0.5 * gspan0) {
				pr->sec = (double)med / 1e9;
				pr->bursts = (int)nb;
				double gspan = (double)(g->last_end - g->first_ts);
				pr->calls = gspan > 0 ? (double)med * (double)g->n / gspan : 0;
				/* iterations: sync calls of the process (one per step), else launches */
				struct grp *it = NULL;
				for (size_t k = 0; k < e->ng; k++) {
					struct grp *h = &e->g[k];
					if (h->node != g->node || h->pid != g->pid || h->n < 10)
						continue;
					if (is_sync(h->src, h->op) && (!it || !is_sync(it->src, it->op) || h->n > it->n))
						it = h;
					else if (!it || (!is_sync(it->src, it->op) && h->n > it->n))
						it = h;
				}
				if (it) {
					double ispan = (double)(it->last_end - it->first_ts);
					pr->iters = ispan > 0 ? (double)med * (double)it->n / ispan : 0;
				}
				for (size_t i = lo; i < hi; i++)
					if (e->s[i].cause == C_NONE) {
						e->s[i].cause = C_PERIODIC;
						e->s[i].expl = e->s[i].excess;
					}
			}
			free(iv);
		}
	}
	free(starts);
}

/* ----------------------------------------------------------- chains */

static char *xstrdup(const char *s) { return strdup(s ? s : ""); }

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = NULL;
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

static void tl_add(json_object *tl, const char *layer, const char *op, const char *detail, int64_t dur_ns)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "layer", json_object_new_string(layer));
	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (dur_ns / 1000 > 0)
		json_object_object_add(o, "dur_us", json_object_new_int64(dur_ns / 1000));
	json_object_array_add(tl, o);
}

static void rec_add(json_object *r, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(r); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(r, i)), s) == 0)
			return;
	json_object_array_add(r, json_object_new_string(s));
}

static const char *proc_name(struct eng *e, int node, int64_t pid, char *buf, size_t len)
{
	buf[0] = 0;
	if (!e->q_name)
		return buf;
	sqlite3_reset(e->q_name);
	sqlite3_bind_text(e->q_name, 1, e->nodes.s[node], -1, SQLITE_STATIC);
	sqlite3_bind_int64(e->q_name, 2, pid);
	if (sqlite3_step(e->q_name) == SQLITE_ROW && sqlite3_column_text(e->q_name, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(e->q_name, 0));
	return buf;
}

static struct chain *chain_new(struct eng *e)
{
	if (e->nc == e->cc) {
		size_t nc = e->cc ? e->cc * 2 : 32;
		struct chain *p = realloc(e->c, nc * sizeof(*p));
		if (!p)
			return NULL;
		e->c = p;
		e->cc = nc;
	}
	struct chain *c = &e->c[e->nc++];
	memset(c, 0, sizeof(*c));
	c->culprit_pid = -1;
	c->timeline = json_object_new_array();
	c->recs = json_object_new_array();
	c->evidence = json_object_new_object();
	return c;
}

static int64_t node_span(struct eng *e, int node)
{
	int64_t s = e->nlast[node] - e->nfirst[node];
	return s > 0 ? s : 1;
}

static void severity(struct chain *c, int cap_medium)
{
	double w = 0.5 + 0.5 * c->cover;
	int64_t win = c->we - c->ws;
	double local = win > 0 ? (double)c->impact / (double)win * w : 0;
	c->score = c->share * w;
	c->sev = c->score >= 0.05 ? 0 : c->score >= 0.01 ? 1 : 2;
	/* an intense incident in a long recording: most of its own window lost */
	if (local >= 0.5 && win >= 5 * NS_S && c->slow >= 10)
		c->sev = 0;
	else if (local >= 0.2 && win >= NS_S && c->slow >= 5 && c->sev > 1)
		c->sev = 1;
	if (c->sev == 0 && (cap_medium || c->slow < 3))
		c->sev = 1;
	if (c->sev == 1 && c->slow < 2 && c->impact < NS_S)
		c->sev = 2;
}

/* one chain from the slow calls [lo, hi) of a group with the same cause */
static int chain_from(struct eng *e, struct slow *v, size_t n, const struct period *pr)
{
	struct grp *g = &e->g[v[0].g];
	int cause = v[0].cause;
	char b1[32], b2[32], b3[32], b4[32], nm[64], nm2[64], tmp[512];
	struct chain *c = chain_new(e);
	if (!c)
		return -1;
	c->node = g->node;
	c->src = g->src;
	c->op = g->op;
	c->pid = g->pid;
	c->kind = cause_kind[cause];
	snprintf(c->opname, sizeof(c->opname), "%s", op_name(g->src, g->op, b1, sizeof(b1)));
	c->p50 = g->p50;
	c->p99 = g->p99;
	c->ws = INT64_MAX;
	c->we = INT64_MIN;
	int64_t expl = 0, sdur = 0, pre = 0, blk = 0, unk = 0, io = 0, ion = 0, iob = 0, pab = 0, cont = 0;
	int npre = 0, nmem = 0, nthr = 0, thr_bits = 0;
	struct culp cu[16];
	int ncu = 0;
	int64_t cont_pid = -1, cont_best = 0;
	for (size_t i = 0; i < n; i++) {
		struct slow *s = &v[i];
		if (s->ts < c->ws)
			c->ws = s->ts;
		if (s->ts + s->dur > c->we)
			c->we = s->ts + s->dur;
		c->impact = sadd(c->impact, s->excess);
		expl = sadd(expl, s->expl);
		sdur = sadd(sdur, s->dur);
		pre += s->pre_ns;
		npre += s->npre;
		blk += s->blk_ns;
		unk += s->unk_ns;
		io += s->io_ns;
		ion += s->io_n;
		iob += s->io_bytes;
		pab += s->pa_bytes;
		cont += s->cont_ns;
		nmem += s->mem;
		nthr += s->thr != 0;
		thr_bits |= s->thr;
		if (s->cul_pid >= 0) {
			int k;
			for (k = 0; k < ncu; k++)
				if (cu[k].pid == s->cul_pid)
					break;
			if (k == ncu && ncu < 16) {
				cu[ncu].pid = s->cul_pid;
				cu[ncu].ns = 0;
				cu[ncu].comm = s->cul_comm;
				ncu++;
			}
			if (k < ncu)
				cu[k].ns += s->cul_ns;
		}
		if (s->cont_pid >= 0 && s->cont_ns > 0) {
			/* accumulate per pid via a tiny scan (few GPU processes per node) */
			int64_t tot = 0;
			for (size_t j = 0; j < n; j++)
				if (v[j].cont_pid == s->cont_pid)
					tot += v[j].cont_ns;
			if (tot > cont_best || (tot == cont_best && s->cont_pid < cont_pid)) {
				cont_best = tot;
				cont_pid = s->cont_pid;
			}
		}
	}
	c->slow = (int64_t)n;
	c->share = (double)c->impact / (double)node_span(e, g->node);
	c->cover = c->impact > 0 ? (double)expl / (double)c->impact : 0;
	if (c->cover > 1)
		c->cover = 1;
	if (cause == C_NONE)
		c->cover = 0;
	proc_name(e, g->node, g->pid, nm, sizeof(nm));
	char who[128];
	if (nm[0])
		snprintf(who, sizeof(who), "%s (pid %" PRId64 ")", nm, g->pid);
	else
		snprintf(who, sizeof(who), "pid %" PRId64, g->pid);
	double ratio = g->p50 > 0 ? (double)g->p99 / (double)g->p50 : 0;
	const char *layer = g->src == 4 ? "DRIVER" : "CUDA";
	int64_t med_slow = v[n / 2].dur; /* v sorted by ts: use a copy for the median */
	{
		int64_t *d = malloc(n * sizeof(int64_t));
		if (d) {
			for (size_t i = 0; i < n; i++)
				d[i] = v[i].dur;
			xqsort(d, n, sizeof(int64_t), cmp_i64);
			med_slow = d[(n - 1) / 2];
			free(d);
		}
	}
	char sym[512];
	snprintf(sym, sizeof(sym), "p99=%s (%.1fx p50=%s); %" PRId64 " of %zu calls slow (>%.0fx p50), median %s, excess %s",
		 FD(g->p99, b1), ratio, FD(g->p50, b2), c->slow, g->n, ENGINE_K_SLOW, FD(med_slow, b3), FD(c->impact, b4));
	char head[160];
	if ((double)g->p99 > ENGINE_K_SLOW * (double)g->p50)
		snprintf(head, sizeof(head), "%s p99=%s (%.1fx p50)", c->opname, FD(g->p99, b1), ratio);
	else /* the slow calls are rarer than 1%: p99 hides them */
		snprintf(head, sizeof(head), "%s max=%s (%.1fx p50)", c->opname, FD(g->max, b1),
			 g->p50 > 0 ? (double)g->max / (double)g->p50 : 0.0);
	/* top culprit */
	int top = -1;
	for (int k = 0; k < ncu; k++)
		if (top < 0 || cu[k].ns > cu[top].ns || (cu[k].ns == cu[top].ns && cu[k].pid < cu[top].pid))
			top = k;
	int cap_medium = 0;
	switch (cause) {
	case C_PREEMPT: {
		/* the chain holds one culprit comm (possibly several pids) */
		const char *cc = top >= 0 && cu[top].comm >= 0 ? e->comms.s[cu[top].comm] : "";
		if (top >= 0 && !cc[0])
			cc = proc_name(e, g->node, cu[top].pid, nm2, sizeof(nm2));
		if (top >= 0) {
			c->culprit_pid = cu[top].pid;
			c->culprit_comm = xstrdup(cc[0] ? cc : "?");
		}
		int bycomm = top >= 0 && cu[top].comm >= 0 && e->comms.s[cu[top].comm][0];
		/* how often the culprit preempted this process in the chain window */
		int64_t cnt = 0, tot = 0, npids = ncu;
		if (top >= 0) {
			sqlite3_stmt *q;
			if (sqlite3_prepare_v2(e->db, bycomm ?
					       "SELECT count(*), coalesce(sum(duration),0), count(DISTINCT culprit_pid) FROM offcpu "
					       "WHERE node = ?1 AND pid = ?2 AND preempted = 1 AND culprit_comm = ?6 "
					       "AND start < ?5 AND start + duration > ?4" :
					       "SELECT count(*), coalesce(sum(duration),0), 1 FROM offcpu "
					       "WHERE node = ?1 AND pid = ?2 AND preempted = 1 AND culprit_pid = ?3 "
					       "AND start < ?5 AND start + duration > ?4", -1, &q, NULL) == SQLITE_OK) {
				sqlite3_bind_text(q, 1, e->nodes.s[g->node], -1, SQLITE_STATIC);
				sqlite3_bind_int64(q, 2, g->pid);
				sqlite3_bind_int64(q, 3, cu[top].pid);
				sqlite3_bind_int64(q, 4, c->ws);
				sqlite3_bind_int64(q, 5, c->we);
				if (bycomm)
					sqlite3_bind_text(q, 6, e->comms.s[cu[top].comm], -1, SQLITE_STATIC);
				if (sqlite3_step(q) == SQLITE_ROW) {
					cnt = sqlite3_column_int64(q, 0);
					tot = cdur(sqlite3_column_int64(q, 1));
					if (sqlite3_column_int64(q, 2) > npids)
						npids = sqlite3_column_int64(q, 2);
				}
				sqlite3_finalize(q);
			}
		}
		const char *cn = c->culprit_comm ? c->culprit_comm : "another task";
		char cwho[160];
		if (npids > 1)
			snprintf(cwho, sizeof(cwho), "%s (%" PRId64 " processes, e.g. pid %" PRId64 ")", cn, npids, c->culprit_pid);
		else
			snprintf(cwho, sizeof(cwho), "%s (pid %" PRId64 ")", cn, c->culprit_pid);
		snprintf(tmp, sizeof(tmp), "%s preempted %s %" PRId64 " times for %s total; "
			 "%d preemptions overlap the slow calls (%s off-CPU inside them)",
			 cwho, who, cnt, FD(tot, b1), npre, FD(pre, b2));
		tl_add(c->timeline, "HOST", "sched_switch", tmp, pre);
		c->summary = xprintf("%s — preempted by %s", head, cwho);
		c->root = xprintf("%s preempted the thread(s) of %s %" PRId64 " times for %s total "
				  "while %s was slow; involuntary off-CPU time covers %.0f%% of the excess latency",
				  cwho, who, cnt, FD(tot, b1), c->opname, 100.0 * c->cover);
		snprintf(tmp, sizeof(tmp), "taskset -c N %s (pin the training process to dedicated cores, keep %s off them)",
			 nm[0] ? nm : "<training>", cn);
		rec_add(c->recs, tmp);
		if (npids > 1)
			snprintf(tmp, sizeof(tmp), "nice -n 19 %s (or renice -n 19 each of its %" PRId64 " processes)", cn, npids);
		else
			snprintf(tmp, sizeof(tmp), "nice -n 19 %s (or renice -n 19 -p %" PRId64 ")", cn, c->culprit_pid);
		rec_add(c->recs, tmp);
		rec_add(c->recs, "move background jobs (cron, logrotate, backups) off the GPU nodes' training cores");
		break;
	}
	case C_BLOCKED:
		snprintf(tmp, sizeof(tmp), "thread blocked (voluntary off-CPU, not preempted) for %s inside the slow calls", FD(blk, b1));
		tl_add(c->timeline, "HOST", "sched_switch", tmp, blk);
		c->summary = xprintf("%s — thread blocked off-CPU during the calls", head);
		c->root = xprintf("the calling thread of %s slept (blocked, not preempted) during slow %s calls: "
				  "%.0f%% of the excess; likely lock contention, page faults or synchronous host work",
				  who, c->opname, 100.0 * c->cover);
		rec_add(c->recs, "profile the host side of the call (perf record -g / off-CPU stacks) for locks or page faults");
		rec_add(c->recs, "pre-fault and pin host buffers (pin_memory=True) to avoid page faults inside CUDA calls");
		break;
	case C_OFFCPU:
		snprintf(tmp, sizeof(tmp), "thread off-CPU for %s inside the slow calls (legacy recording: preempted vs blocked unknown)",
			 FD(unk, b1));
		tl_add(c->timeline, "HOST", "sched_switch", tmp, unk);
		c->summary = xprintf("%s — thread off-CPU during the calls", head);
		c->root = xprintf("the calling thread of %s was off-CPU during slow %s calls (%.0f%% of the excess); "
				  "the recording does not say whether it was preempted or blocked, nor by whom",
				  who, c->opname, 100.0 * c->cover);
		rec_add(c->recs, "re-record with ingero-record to see preempted vs blocked and the preempting process");
		rec_add(c->recs, "taskset -c N <training> (dedicated cores) if other tasks compete for the CPU");
		break;
	case C_IO:
		snprintf(tmp, sizeof(tmp), "%" PRId64 " block I/O requests of %s or its child processes overlap the slow calls (%.1f MB, %s in flight)",
			 ion, who, (double)iob / 1e6, FD(io, b1));
		tl_add(c->timeline, "IO", "block_io", tmp, io);
		c->summary = xprintf("%s — waiting on block I/O", head);
		c->root = xprintf("%s had block I/O in flight during slow %s calls (%.0f%% of the excess covered): "
				  "the step waits for storage", who, c->opname, 100.0 * c->cover);
		rec_add(c->recs, "faster storage (local NVMe, /dev/shm or page cache for the dataset)");
		rec_add(c->recs, "more DataLoader workers (num_workers) and prefetch_factor so I/O overlaps compute");
		rec_add(c->recs, "asynchronous checkpointing if the I/O is writes");
		break;
	case C_MEMORY:
		snprintf(tmp, sizeof(tmp), "%.1f MB of page allocations by %s inside the slow calls; %d calls under memory pressure/swap",
			 (double)pab / 1e6, who, nmem);
		tl_add(c->timeline, nmem ? "SYSTEM" : "HOST", nmem ? "memory" : "mm_page_alloc", tmp, 0);
		c->summary = xprintf("%s — host memory pressure", head);
		c->root = xprintf("slow %s calls of %s coincide with page-allocation bursts%s", c->opname, who,
				  nmem ? " and memory pressure / swap-in" : "");
		rec_add(c->recs, "reduce host memory use (smaller prefetch, fewer workers) or add RAM; avoid swap on GPU nodes");
		rec_add(c->recs, "pre-allocate and reuse pinned host buffers instead of allocating per step");
		break;
	case C_THROTTLE:
		snprintf(tmp, sizeof(tmp), "GPU throttled (reasons 0x%x) during %d slow calls", thr_bits, nthr);
		tl_add(c->timeline, "GPU", "throttle", tmp, 0);
		c->summary = xprintf("%s — GPU clock throttling", head);
		c->root = xprintf("the GPU was throttling (NVML reasons 0x%x: power/thermal/HW slowdown) while %s was slow",
				  thr_bits, c->opname);
		rec_add(c->recs, "check cooling and power limits (nvidia-smi -q -d PERFORMANCE,POWER,TEMPERATURE)");
		break;
	case C_CONTENTION: {
		const char *on = proc_name(e, g->node, cont_pid, nm2, sizeof(nm2));
		double slowfrac = g->n ? (double)c->slow / (double)g->n : 0;
		snprintf(tmp, sizeof(tmp), "%s (pid %" PRId64 ") had GPU calls in flight for %s of the %s slow-call time",
			 on[0] ? on : "?", cont_pid, FD(cont, b1), FD(sdur, b2));
		tl_add(c->timeline, "CUDA", "gpu_share", tmp, cont);
		c->culprit_pid = cont_pid;
		c->culprit_comm = xstrdup(on[0] ? on : "?");
		c->summary = xprintf("%s — bimodal: GPU time-sliced between %s and %s (pid %" PRId64 ")",
				     head, who, on[0] ? on : "?", cont_pid);
		c->root = xprintf("%s latency of %s is bimodal (%.0f%% of calls ~%s vs p50 %s): the GPU is time-sliced "
				  "with %s (pid %" PRId64 "), whose GPU calls overlap the slow calls",
				  c->opname, who, 100.0 * slowfrac, FD(med_slow, b1), FD(g->p50, b2),
				  on[0] ? on : "?", cont_pid);
		rec_add(c->recs, "run the processes on separate GPUs (CUDA_VISIBLE_DEVICES)");
		rec_add(c->recs, "or enable MPS (nvidia-cuda-mps-control -d) so kernels share the GPU concurrently");
		break;
	}
	case C_COLD:
		snprintf(tmp, sizeof(tmp), "first calls: %" PRId64 " slow calls within the first %d, first one %s vs steady p50 %s",
			 c->slow, COLD_CALLS, FD(v[0].dur, b1), FD(g->p50, b2));
		tl_add(c->timeline, layer, c->opname, tmp, c->impact);
		c->summary = xprintf("%s — cold start: first call %s (%.0fx steady state)", head, FD(v[0].dur, b1),
				     g->p50 ? (double)v[0].dur / (double)g->p50 : 0.0);
		c->root = xprintf("cold start of %s: the first %s calls pay one-time initialisation (context creation, "
				  "module loading, allocator growth) of %s in total", who, c->opname, FD(c->impact, b1));
		rec_add(c->recs, "run warm-up iterations before timing or serving (exclude them from measurements)");
		rec_add(c->recs, "CUDA_MODULE_LOADING=LAZY and pre-allocate memory once at start-up");
		cap_medium = 1;
		break;
	case C_PERIODIC: {
		snprintf(tmp, sizeof(tmp), "spikes every ~%.0f iterations (~%.0f %s calls, %.3gs), %d bursts",
			 pr->iters, pr->calls, c->opname, pr->sec, pr->bursts);
		tl_add(c->timeline, layer, c->opname, tmp, c->impact);
		c->summary = xprintf("%s — periodic spikes every ~%.0f iterations (%.3gs)", head, pr->iters, pr->sec);
		int alloc = is_alloc(g->src, g->op) || (g->src == 1 && g->op == 2);
		c->root = xprintf("%s of %s spikes periodically: every ~%.0f iterations (~%.0f calls, %.3g s) — %s",
				  c->opname, who, pr->iters, pr->calls, pr->sec,
				  alloc ? "the caching allocator releases and re-allocates memory (torch.cuda.empty_cache() "
					  "or fragmentation)" : "periodic work in the loop (checkpoint, logging, evaluation)");
		if (alloc) {
			rec_add(c->recs, "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True");
			rec_add(c->recs, "avoid torch.cuda.empty_cache() in the training loop");
		} else {
			rec_add(c->recs, "find the periodic work (every ~N iterations) and make it asynchronous");
		}
		cap_medium = 1;
		break;
	}
	default: {
		int64_t offn = pre + blk + unk;
		snprintf(tmp, sizeof(tmp), "no overlapping host evidence: off-CPU %s, block I/O %s, contention %s inside the slow calls",
			 FD(offn, b1), FD(io, b2), FD(cont, b3));
		tl_add(c->timeline, "HOST", "none", tmp, 0);
		c->summary = xprintf("%s — tail without host cause", head);
		const char *why = is_sync(g->src, g->op) ? "the sync waits for GPU work that took longer (kernel time, not the host)"
			: is_memcpy(g->src, g->op) ? "the copy itself waits: pageable host memory or copies queued behind kernels on the stream"
			: (is_alloc(g->src, g->op) || (g->src == 1 && g->op == 2)) ?
				"the driver allocation/free is slow (cudaFree synchronises the device; the caching allocator grows or is emptied)"
			: "the driver call itself is slow (launch queue full or implicit synchronisation)";
		c->root = xprintf("%" PRId64 " slow %s calls of %s have no overlapping host evidence (off-CPU, I/O, memory, "
				  "throttling, other GPU processes): %s", c->slow, c->opname, who, why);
		if (is_sync(g->src, g->op))
			rec_add(c->recs, "profile the kernels waited on (nsys / ncu): the sync waits for GPU work");
		else if (is_memcpy(g->src, g->op))
			rec_add(c->recs, "use pinned host memory (pin_memory=True) so copies do not stage through pageable memory");
		else if (is_alloc(g->src, g->op) || (g->src == 1 && g->op == 2))
			rec_add(c->recs, "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True; avoid torch.cuda.empty_cache()");
		else
			rec_add(c->recs, "profile the driver side (nsys) for implicit synchronisation");
		cap_medium = 1;
		break;
	}
	}
	tl_add(c->timeline, layer, c->opname, sym, sdur);
	/* incidents */
	int ninc = 0;
	size_t maxinc = 0;
	int64_t *istart = malloc(n * sizeof(int64_t));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		int64_t end = v[i].ts + v[i].dur;
		while (j < n && v[j].ts - end <= INCIDENT_GAP_NS) {
			if (v[j].ts + v[j].dur > end)
				end = v[j].ts + v[j].dur;
			j++;
		}
		if (istart)
			istart[ninc] = v[i].ts;
		ninc++;
		if (j - i > maxinc)
			maxinc = j - i;
		i = j;
	}
	/* a host cause that comes back at a regular interval (cron, logrotate) */
	if (istart && ninc >= 4 && cause != C_PERIODIC && cause != C_COLD) {
		size_t ni = (size_t)ninc - 1;
		for (size_t i = 0; i < ni; i++)
			istart[i] = istart[i + 1] - istart[i];
		int64_t *iv = istart;
		xqsort(iv, ni, sizeof(int64_t), cmp_i64);
		int64_t med = iv[(ni - 1) / 2];
		size_t reg = 0;
		for (size_t i = 0; i < ni; i++)
			reg += fabs((double)(iv[i] - med)) <= 0.25 * (double)med;
		if (med > 0 && (double)reg >= 0.6 * (double)ni) {
			json_object *last = json_object_get(json_object_array_get_idx(c->timeline,
				json_object_array_length(c->timeline) - 1));
			json_object_array_del_idx(c->timeline, json_object_array_length(c->timeline) - 1, 1);
			snprintf(tmp, sizeof(tmp), "%d incidents recurring every ~%s", ninc, FD(med, b1));
			tl_add(c->timeline, "HOST", "recurrence", tmp, 0);
			json_object_array_add(c->timeline, last);
			char *r = xprintf("%s; it recurs every ~%s (%d incidents): look for a periodic job (cron, systemd timer)",
					  c->root ? c->root : "", FD(med, b1), ninc);
			free(c->root);
			c->root = r;
		}
	}
	free(istart);
	c->expl = xprintf("%s: %" PRId64 " slow calls in %d incident(s) between +%s and +%s of the recording; "
			  "excess %s = %.2f%% of the node's %s; evidence covers %.0f%% of the excess",
			  c->opname, c->slow, ninc, FD(c->ws - e->nfirst[g->node], b1), FD(c->we - e->nfirst[g->node], b2),
			  FD(c->impact, b3), 100.0 * c->share, FD(node_span(e, g->node), b4), 100.0 * c->cover);
	/* evidence JSON */
	json_object *sy = json_object_new_array(), *oc = json_object_new_array(), *ev = json_object_new_array();
	sqlite3_stmt *q = NULL;
	if (e->have_offcpu)
		sqlite3_prepare_v2(e->db, "SELECT tid, start, duration, preempted, culprit_pid, culprit_comm FROM offcpu WHERE rowid = ?1",
				   -1, &q, NULL);
	for (size_t i = 0; i < n; i++) {
		struct slow *s = &v[i];
		if (json_object_array_length(sy) < MAX_EV_JSON) {
			snprintf(tmp, sizeof(tmp), "%s:%" PRId64, e->nodes.s[g->node], s->seq);
			json_object_array_add(sy, json_object_new_string(tmp));
		}
		for (int k = 0; k < s->nev && json_object_array_length(ev) < MAX_EV_JSON; k++) {
			snprintf(tmp, sizeof(tmp), "%s:%" PRId64, e->nodes.s[g->node], s->ev_seq[k]);
			json_object_array_add(ev, json_object_new_string(tmp));
		}
		for (int k = 0; q && k < s->noff && json_object_array_length(oc) < MAX_EV_JSON; k++) {
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, s->off_rowid[k]);
			if (sqlite3_step(q) != SQLITE_ROW)
				continue;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "tid", json_object_new_int64(sqlite3_column_int64(q, 0)));
			json_object_object_add(o, "start", json_object_new_int64(sqlite3_column_int64(q, 1)));
			json_object_object_add(o, "dur", json_object_new_int64(sqlite3_column_int64(q, 2)));
			json_object_object_add(o, "preempted", json_object_new_int(sqlite3_column_int(q, 3)));
			if (sqlite3_column_type(q, 4) != SQLITE_NULL)
				json_object_object_add(o, "culprit_pid", json_object_new_int64(sqlite3_column_int64(q, 4)));
			if (sqlite3_column_text(q, 5))
				json_object_object_add(o, "culprit_comm",
						       json_object_new_string((const char *)sqlite3_column_text(q, 5)));
			json_object_object_add(o, "symptom", json_object_new_string(json_object_get_string(
				json_object_array_get_idx(sy, json_object_array_length(sy) - 1))));
			json_object_array_add(oc, o);
		}
	}
	if (q)
		sqlite3_finalize(q);
	json_object_object_add(c->evidence, "symptoms", sy);
	json_object_object_add(c->evidence, "offcpu", oc);
	json_object_object_add(c->evidence, "events", ev);
	json_object_object_add(c->evidence, "truncated", json_object_new_boolean(n > MAX_EV_JSON));
	severity(c, cap_medium);
	/* sporadic: no incident with 3 slow calls close together => LOW
	 * (isolated hits such as a kworker now and then) */
	if (maxinc < 3 && cause != C_PERIODIC && cause != C_COLD)
		c->sev = 2;
	return 0;
}

/* memcpy share of the process's wall time */
static int rule_memcpy(struct eng *e)
{
	char b1[32], b2[32], nm[64], tmp[256];
	for (size_t i = 0; i < e->ng; i++) {
		struct grp *g = &e->g[i];
		if (!g->eligible || !is_memcpy(g->src, g->op) || g->n < 10)
			continue;
		int64_t pf = INT64_MAX, pl = INT64_MIN;
		for (size_t k = 0; k < e->ng; k++) {
			struct grp *h = &e->g[k];
			if (h->node == g->node && h->pid == g->pid) {
				if (h->first_ts < pf)
					pf = h->first_ts;
				if (h->last_end > pl)
					pl = h->last_end;
			}
		}
		double span = (double)(pl - pf);
		if (span <= 0)
			continue;
		double share = (double)g->sum / span;
		if (share < 0.25)
			continue;
		struct chain *c = chain_new(e);
		if (!c)
			return -1;
		c->node = g->node; c->src = g->src; c->op = g->op; c->pid = g->pid;
		c->kind = "memcpy_bound";
		snprintf(c->opname, sizeof(c->opname), "%s", op_name(g->src, g->op, b1, sizeof(b1)));
		c->p50 = g->p50; c->p99 = g->p99;
		c->ws = pf; c->we = pl; c->impact = g->sum; c->slow = (int64_t)g->n;
		c->share = share > 1 ? 1 : share;
		c->cover = 1;
		c->sev = share >= 0.5 ? 0 : 1;
		c->score = share;
		proc_name(e, g->node, g->pid, nm, sizeof(nm));
		int pct = (int)lround(100.0 * (share > 1 ? 1 : share));
		c->summary = xprintf("%s takes %d%% of wall time — memcpy-bound loop", c->opname, pct);
		c->root = xprintf("%s%s%" PRId64 "%s spends %d%% of its %s wall time in %zu %s calls (p50 %s): "
				  "synchronous copies stall the GPU pipeline", nm, nm[0] ? " (pid " : "pid ", g->pid, nm[0] ? ")" : "", pct,
				  FD((int64_t)span, b1), g->n, c->opname, FD(g->p50, b2));
		c->expl = xprintf("time fraction = sum of %s durations / process wall span (first to last GPU call)", c->opname);
		snprintf(tmp, sizeof(tmp), "%zu calls, %s total = %d%% of %s", g->n, FD(g->sum, b1), pct, FD((int64_t)span, b2));
		tl_add(c->timeline, g->src == 4 ? "DRIVER" : "CUDA", c->opname, tmp, g->sum);
		rec_add(c->recs, "use pinned host memory (pin_memory=True / cudaHostAlloc) and cudaMemcpyAsync on a side stream to overlap copies with compute");
		rec_add(c->recs, "batch small copies and keep data resident on the GPU between steps");
		json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	}
	return 0;
}

/* CPU contention over a time window: involuntary off-CPU time of a GPU
 * process that falls inside its own CUDA calls, per second.  Catches
 * contention that slows every call a little (below K x p50). */
struct ccul { int comm; int64_t n, tot, incall, pids[64]; int npids; };

#define HOT_SHARE 0.10  /* >= 10% of a second lost inside calls */

static int rule_cpu_contention(struct eng *e)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], nm[64], tmp[512];
	if (!e->have_offcpu)
		return 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(e->db, "SELECT start, duration, coalesce(culprit_comm, ''), coalesce(culprit_pid, -1) "
			       "FROM offcpu WHERE node = ?1 AND pid = ?2 AND preempted = 1 ORDER BY start, rowid",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	for (int mi = 0; mi < e->nmaps; mi++) {
		struct amap *m = &e->maps[mi];
		if (e->o.pid >= 0 && e->o.pid != m->pid)
			continue;
		int64_t base = e->nfirst[m->node], span = node_span(e, m->node);
		size_t nb = (size_t)(span / NS_S) + 1;
		if (nb > (1u << 20))
			continue;
		int64_t *inb = calloc(nb, sizeof(int64_t));
		if (!inb)
			goto oom;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, e->nodes.s[m->node], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, m->pid);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int64_t st = cts(sqlite3_column_int64(q, 0)), d = cdur(sqlite3_column_int64(q, 1));
			if (st < base || st >= base + span)
				continue;
			inb[(st - base) / NS_S] += map_busy(e, m, st, d);
		}
		/* longest run of hot seconds, one cold second tolerated inside */
		size_t bs = 0, be = 0, cs = 0;
		int in = 0, gap = 0;
		for (size_t b = 0; b <= nb; b++) {
			int hot = b < nb && (double)inb[b] >= HOT_SHARE * (double)NS_S;
			if (hot) {
				if (!in) {
					in = 1;
					cs = b;
				}
				gap = 0;
				if (b + 1 - cs > be - bs) {
					bs = cs;
					be = b + 1;
				}
			} else if (in && ++gap > 1) {
				in = 0;
			}
		}
		free(inb);
		if (be - bs < 2)
			continue;
		int64_t ws = base + (int64_t)bs * NS_S, we = base + (int64_t)be * NS_S;
		struct ccul *cu = NULL;
		size_t ncu = 0, ccu = 0;
		int64_t impact = 0, cnt = 0;
		sqlite3_reset(q);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int64_t st = cts(sqlite3_column_int64(q, 0)), d = cdur(sqlite3_column_int64(q, 1));
			if (st < ws || st >= we)
				continue;
			int64_t ic = map_busy(e, m, st, d);
			int comm = str_id(&e->comms, (const char *)sqlite3_column_text(q, 2));
			int64_t cp = sqlite3_column_int64(q, 3);
			size_t k;
			for (k = 0; k < ncu; k++)
				if (cu[k].comm == comm)
					break;
			if (k == ncu) {
				struct ccul z;
				memset(&z, 0, sizeof(z));
				z.comm = comm;
				VEC_PUSH(cu, ncu, ccu, z);
			}
			cu[k].n++;
			cu[k].tot = sadd(cu[k].tot, d);
			cu[k].incall = sadd(cu[k].incall, ic);
			int f = 0;
			for (int x = 0; x < cu[k].npids; x++)
				f |= cu[k].pids[x] == cp;
			if (!f && cu[k].npids < 64)
				cu[k].pids[cu[k].npids++] = cp;
			impact = sadd(impact, ic);
			cnt++;
		}
		size_t top = 0;
		for (size_t k = 1; k < ncu; k++)
			if (cu[k].incall > cu[top].incall)
				top = k;
		if (!ncu || impact <= 0) {
			free(cu);
			continue;
		}
		const char *cn = cu[top].comm >= 0 && e->comms.s[cu[top].comm][0] ? e->comms.s[cu[top].comm] : "?";
		/* already told by a slow-call preemption chain of the same culprit? */
		int dup = 0;
		for (size_t k = 0; k < e->nc; k++) {
			struct chain *c = &e->c[k];
			if (c->node == m->node && c->pid == m->pid && !strcmp(c->kind, "preemption") &&
			    c->sev <= 1 && c->culprit_comm && !strcmp(c->culprit_comm, cn))
				dup = 1;
		}
		/* the op that holds most of the process's GPU time names the chain */
		struct grp *tg = NULL;
		for (size_t k = 0; k < e->ng; k++) {
			struct grp *h = &e->g[k];
			if (h->node == m->node && h->pid == m->pid && (!tg || h->sum > tg->sum))
				tg = h;
		}
		if (dup || !tg) {
			free(cu);
			continue;
		}
		struct chain *c = chain_new(e);
		if (!c) {
			free(cu);
			goto oom;
		}
		c->node = m->node; c->pid = m->pid; c->src = tg->src; c->op = tg->op;
		c->kind = "cpu_contention";
		snprintf(c->opname, sizeof(c->opname), "%s", op_name(tg->src, tg->op, b1, sizeof(b1)));
		c->p50 = tg->p50; c->p99 = tg->p99;
		c->ws = ws; c->we = we; c->impact = impact; c->slow = cnt; c->cover = 1;
		c->share = (double)impact / (double)span;
		severity(c, 0);
		int64_t minpid = cu[top].pids[0];
		for (int x = 1; x < cu[top].npids; x++)
			if (cu[top].pids[x] < minpid)
				minpid = cu[top].pids[x];
		c->culprit_pid = minpid;
		c->culprit_comm = xstrdup(cn);
		proc_name(e, m->node, m->pid, nm, sizeof(nm));
		char who[128], cwho[160];
		if (nm[0])
			snprintf(who, sizeof(who), "%s (pid %" PRId64 ")", nm, m->pid);
		else
			snprintf(who, sizeof(who), "pid %" PRId64, m->pid);
		if (cu[top].npids > 1)
			snprintf(cwho, sizeof(cwho), "%s (%d processes, e.g. pid %" PRId64 ")", cn, cu[top].npids, minpid);
		else
			snprintf(cwho, sizeof(cwho), "%s (pid %" PRId64 ")", cn, minpid);
		double winshare = (double)impact / (double)(we - ws);
		c->summary = xprintf("CPU contention — %s preempted %s %" PRId64 " times, %s lost inside its CUDA calls",
				     cwho, who, cu[top].n, FD(cu[top].incall, b1));
		c->root = xprintf("for %s (+%s..+%s) %s preempted the training thread(s) of %s %" PRId64 " times for %s "
				  "total; %s of it inside CUDA calls (%.0f%% of that window), slowing every step",
				  FD(we - ws, b1), FD(ws - base, b2), FD(we - base, b3), cwho, who, cu[top].n,
				  FD(cu[top].tot, b4), FD(cu[top].incall, b5), 100.0 * winshare);
		c->expl = xprintf("window = the longest run of seconds in which involuntary off-CPU time inside the "
				  "process's CUDA calls is >= %.0f%% of the second", 100.0 * HOT_SHARE);
		snprintf(tmp, sizeof(tmp), "%s preempted %s %" PRId64 " times (%s off-CPU, %s inside CUDA calls)",
			 cwho, who, cu[top].n, FD(cu[top].tot, b1), FD(cu[top].incall, b2));
		tl_add(c->timeline, "HOST", "sched_switch", tmp, cu[top].incall);
		for (size_t k = 0, shown = 0; k < ncu && shown < 3; k++) {
			if (k == top)
				continue;
			snprintf(tmp, sizeof(tmp), "also %s: %" PRId64 " preemptions, %s inside CUDA calls",
				 e->comms.s[cu[k].comm][0] ? e->comms.s[cu[k].comm] : "?", cu[k].n, FD(cu[k].incall, b1));
			tl_add(c->timeline, "HOST", "sched_switch", tmp, cu[k].incall);
			shown++;
		}
		snprintf(tmp, sizeof(tmp), "%s p50=%s p99=%s over the whole run; %.0f%% of the window lost to preemption",
			 c->opname, FD(tg->p50, b1), FD(tg->p99, b2), 100.0 * winshare);
		tl_add(c->timeline, tg->src == 4 ? "DRIVER" : "CUDA", c->opname, tmp, impact);
		snprintf(tmp, sizeof(tmp), "taskset -c N %s (dedicated cores for the training process)", nm[0] ? nm : "<training>");
		rec_add(c->recs, tmp);
		snprintf(tmp, sizeof(tmp), "nice -n 19 %s, or confine it with a cgroup cpuset/cpu.max", cn);
		rec_add(c->recs, tmp);
		json_object *sy = json_object_new_array();
		json_object_object_add(c->evidence, "symptoms", sy);
		json_object *w = json_object_new_object();
		json_object_object_add(w, "pid", json_object_new_int64(m->pid));
		json_object_object_add(w, "start", json_object_new_int64(ws));
		json_object_object_add(w, "end", json_object_new_int64(we));
		json_object_object_add(w, "culprit_comm", json_object_new_string(cn));
		json_object_object_add(c->evidence, "offcpu_window", w);
		free(cu);
	}
	sqlite3_finalize(q);
	return 0;
oom:
	sqlite3_finalize(q);
	return -1;
}

/* throughput drop: a GPU process's call rate falls below half its median
 * for >= 2 s with no other chain of that process explaining the window */
static int rule_drop(struct eng *e)
{
	char b1[32], b2[32], nm[64], tmp[512];
	for (int mi = 0; mi < e->nmaps; mi++) {
		struct amap *m = &e->maps[mi];
		if ((e->o.pid >= 0 && e->o.pid != m->pid) || m->first >= m->last || !m->nsec)
			continue;
		size_t s0 = (size_t)((m->first - e->base) / NS_S), s1 = (size_t)((m->last - e->base) / NS_S);
		if (s1 >= m->nsec)
			s1 = m->nsec - 1;
		if (s1 < s0 + 10)
			continue;
		/* full seconds only: drop the partial first and last */
		size_t a = s0 + 1, b = s1; /* [a, b) */
		size_t n = b - a;
		int64_t *tmpv = malloc(n * sizeof(int64_t));
		if (!tmpv)
			return -1;
		for (size_t k = 0; k < n; k++)
			tmpv[k] = m->cps[a + k];
		int64_t med = ingero_engine_kth(tmpv, n, (n - 1) / 2);
		free(tmpv);
		if (med < 10)
			continue;
		size_t bs = 0, be = 0, cs = 0;
		int in = 0, gap = 0;
		for (size_t k = a; k <= b; k++) {
			int low = k < b && 2 * (int64_t)m->cps[k] < med;
			if (low) {
				if (!in) {
					in = 1;
					cs = k;
				}
				gap = 0;
				if (k + 1 - cs > be - bs) {
					bs = cs;
					be = k + 1;
				}
			} else if (in && ++gap > 1) {
				in = 0;
			}
		}
		if (be - bs < 2)
			continue;
		int64_t ws = e->base + (int64_t)bs * NS_S, we = e->base + (int64_t)be * NS_S;
		double lost = 0, rate = 0;
		for (size_t k = bs; k < be; k++) {
			double r = (double)m->cps[k] / (double)med;
			lost += r < 1 ? 1 - r : 0;
			rate += (double)m->cps[k];
		}
		rate /= (double)(be - bs);
		int64_t impact = (int64_t)(lost * (double)NS_S);
		/* another chain of the process already covers most of the window? */
		int dup = 0;
		for (size_t k = 0; k < e->nc; k++) {
			struct chain *c = &e->c[k];
			if (c->node == m->node && c->pid == m->pid && ovl(c->ws, c->we, ws, we) * 2 >= we - ws)
				dup = 1;
		}
		if (dup)
			continue;
		/* evidence in the window */
		int64_t pre = 0, blk = 0, io = 0;
		sqlite3_stmt *q;
		if (e->have_offcpu && sqlite3_prepare_v2(e->db, "SELECT preempted, coalesce(sum(duration), 0) FROM offcpu "
				       "WHERE node = ?1 AND pid = ?2 AND start >= ?3 AND start < ?4 GROUP BY 1 ORDER BY 1",
				       -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, e->nodes.s[m->node], -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, m->pid);
			sqlite3_bind_int64(q, 3, ws);
			sqlite3_bind_int64(q, 4, we);
			while (sqlite3_step(q) == SQLITE_ROW) {
				if (sqlite3_column_int(q, 0))
					pre += cdur(sqlite3_column_int64(q, 1));
				else
					blk += cdur(sqlite3_column_int64(q, 1));
			}
			sqlite3_finalize(q);
		}
		for (size_t i = lower(e->io, e->nio, m->node, m->pid, ws - e->maxio, 0); i < e->nio; i++) {
			struct ivl *v = &e->io[i];
			if (v->node != m->node || v->pid != m->pid || v->ts >= we)
				break;
			io += ovl(ws, we, v->ts, v->ts + v->dur);
		}
		int64_t busy = 0;
		for (int64_t t = ws; t < we; t += NS_S)
			busy += map_busy(e, m, t, NS_S);
		struct grp *tg = NULL;
		for (size_t k = 0; k < e->ng; k++) {
			struct grp *h = &e->g[k];
			if (h->node == m->node && h->pid == m->pid && (!tg || h->n > tg->n))
				tg = h;
		}
		if (!tg)
			continue;
		struct chain *c = chain_new(e);
		if (!c)
			return -1;
		c->node = m->node; c->pid = m->pid; c->src = tg->src; c->op = tg->op;
		c->kind = "throughput_drop";
		snprintf(c->opname, sizeof(c->opname), "%s", op_name(tg->src, tg->op, b1, sizeof(b1)));
		c->p50 = tg->p50; c->p99 = tg->p99;
		c->ws = ws; c->we = we; c->impact = impact; c->slow = (int64_t)(be - bs);
		c->share = (double)impact / (double)node_span(e, m->node);
		int64_t best = blk > pre ? blk : pre;
		if (io > best)
			best = io;
		c->cover = impact > 0 ? (double)best / (double)impact : 0;
		if (c->cover > 1)
			c->cover = 1;
		if ((double)best < 0.2 * (double)impact)
			c->cover = 0;
		severity(c, c->cover == 0);
		proc_name(e, m->node, m->pid, nm, sizeof(nm));
		char who[128];
		if (nm[0])
			snprintf(who, sizeof(who), "%s (pid %" PRId64 ")", nm, m->pid);
		else
			snprintf(who, sizeof(who), "pid %" PRId64, m->pid);
		int pct = (int)lround(100.0 * (1.0 - rate / (double)med));
		const char *why;
		if (c->cover == 0)
			why = "no host evidence (the GPU work itself got slower, or the process waits on something untraced)";
		else if (best == io)
			why = "waiting on block I/O";
		else if (best == blk)
			why = "the thread sleeps (blocked): waiting for input data (DataLoader), a lock or the network";
		else
			why = "the thread is preempted (CPU contention)";
		c->summary = xprintf("%s throughput dropped %d%% for %s — %s", c->opname, pct, FD(we - ws, b1),
				     c->cover == 0 ? "no host cause" : best == io ? "block I/O" : best == blk ? "thread blocked" : "preempted");
		c->root = xprintf("the GPU call rate of %s fell from a median %" PRId64 "/s to %.0f/s between +%s and +%s: %s",
				  who, med, rate, FD(ws - e->nfirst[m->node], b1), FD(we - e->nfirst[m->node], b2), why);
		c->expl = xprintf("drop window = longest run of seconds below half the median call rate; impact = "
				  "seconds x (1 - rate/median)");
		snprintf(tmp, sizeof(tmp), "in the window: blocked %.0f%%, preempted %.0f%%, block I/O %.0f%%, in GPU calls %.0f%% of the time",
			 100.0 * (double)blk / (double)(we - ws), 100.0 * (double)pre / (double)(we - ws),
			 100.0 * (double)io / (double)(we - ws), 100.0 * (double)busy / (double)(we - ws));
		tl_add(c->timeline, "HOST", "offcpu", tmp, blk + pre);
		snprintf(tmp, sizeof(tmp), "%" PRId64 " calls/s median, %.0f/s in the window (-%d%%)", med, rate, pct);
		tl_add(c->timeline, tg->src == 4 ? "DRIVER" : "CUDA", c->opname, tmp, impact);
		if (c->cover > 0 && best == blk) {
			rec_add(c->recs, "more DataLoader workers (num_workers), prefetch_factor and pin_memory=True so input is ready");
			rec_add(c->recs, "profile what the thread waits on (off-CPU stacks: perf sched / offcputime)");
		} else if (c->cover > 0 && best == io) {
			rec_add(c->recs, "faster storage (local NVMe, /dev/shm or page cache for the dataset)");
		} else if (c->cover > 0) {
			rec_add(c->recs, "taskset -c N for the training process; nice -n 19 the competing jobs");
		} else {
			rec_add(c->recs, "profile the window with nsys to see what the GPU or the process waits on");
		}
		json_object *w = json_object_new_object();
		json_object_object_add(w, "pid", json_object_new_int64(m->pid));
		json_object_object_add(w, "start", json_object_new_int64(ws));
		json_object_object_add(w, "end", json_object_new_int64(we));
		json_object_object_add(c->evidence, "symptoms", json_object_new_array());
		json_object_object_add(c->evidence, "offcpu_window", w);
	}
	return 0;
}

/* alloc/free imbalance that keeps growing: leak */
static int rule_leak(struct eng *e)
{
	char b1[32], nm[64], tmp[256];
	for (size_t i = 0; i < e->nal;) {
		size_t j = i;
		int64_t na = 0, nf = 0, bytes = 0, late = 0, f = e->al[i].ts, l = e->al[i].ts;
		int rt = 0;
		while (j < e->nal && e->al[j].node == e->al[i].node && e->al[j].pid == e->al[i].pid) {
			if (e->al[j].a0 / 100 == 1)
				rt = 1;
			l = e->al[j].ts;
			j++;
		}
		int64_t third = l - (l - f) / 3, late_bytes = 0;
		for (size_t k = i; k < j; k++) {
			struct ivl *v = &e->al[k];
			int src = (int)(v->a0 / 100), op = (int)(v->a0 % 100);
			if (rt && src != 1)
				continue; /* runtime calls contain the driver's */
			if (is_alloc(src, op)) {
				na++;
				bytes += v->a1 > 0 ? v->a1 : 0;
				if (v->ts >= third) {
					late++;
					late_bytes += v->a1 > 0 ? v->a1 : 0;
				}
			} else if (src == 1 && op == 2) {
				nf++;
			}
		}
		int node = e->al[i].node;
		int64_t pid = e->al[i].pid;
		/* a caching allocator grows early and stops: a leak keeps allocating late */
		/* periodic release (empty_cache) already explains the frees pattern */
		int periodic = 0;
		for (size_t k = 0; k < e->nc; k++)
			if (e->c[k].node == e->al[i].node && e->c[k].pid == e->al[i].pid &&
			    !strcmp(e->c[k].kind, "periodic") && is_alloc(e->c[k].src, e->c[k].op))
				periodic = 1;
		if (!periodic && na >= 20 && nf * 2 < na && late * 5 >= na && late_bytes * 4 >= bytes &&
		    bytes >= (1LL << 30) && (e->o.pid < 0 || e->o.pid == pid)) {
			struct chain *c = chain_new(e);
			if (!c)
				return -1;
			c->node = node; c->pid = pid; c->src = 1; c->op = 1;
			c->kind = "leak";
			snprintf(c->opname, sizeof(c->opname), "cudaMalloc");
			c->ws = f; c->we = l; c->slow = na - nf;
			c->sev = 2;
			proc_name(e, node, pid, nm, sizeof(nm));
			c->summary = xprintf("cudaMalloc/cudaFree imbalance — %" PRId64 " allocations (%.1f GB), %" PRId64 " frees (possible leak)",
					     na, (double)bytes / 1e9, nf);
			c->root = xprintf("%s%s%" PRId64 "%s allocates device memory without freeing it: %" PRId64 " of %" PRId64
					  " allocations are never freed and %" PRId64 " happen in the last third of the run",
					  nm, nm[0] ? " (pid " : "pid ", pid, nm[0] ? ")" : "", na - nf, na, late);
			c->expl = xprintf("allocation calls minus free calls over %s", FD(l - f, b1));
			snprintf(tmp, sizeof(tmp), "%" PRId64 " allocations, %" PRId64 " frees", na, nf);
			tl_add(c->timeline, "CUDA", "cudaMalloc", tmp, 0);
			rec_add(c->recs, "check for tensors kept alive across iterations (lists of losses, cached activations)");
			rec_add(c->recs, "watch torch.cuda.memory_allocated() per step; free or reuse buffers");
			json_object_object_add(c->evidence, "symptoms", json_object_new_array());
		}
		i = j;
	}
	return 0;
}

static int rule_oom(struct eng *e)
{
	char nm[64];
	for (size_t i = 0; i < e->noom; i++) {
		struct ivl *v = &e->oom[i];
		struct chain *c = chain_new(e);
		if (!c)
			return -1;
		int64_t victim = v->a0 ? v->a0 : v->pid;
		c->node = v->node; c->pid = victim; c->src = 3; c->op = 4;
		c->kind = "oom";
		snprintf(c->opname, sizeof(c->opname), "oom_kill");
		c->ws = v->ts; c->we = v->ts + v->dur; c->slow = 1; c->sev = 0; c->cover = 1;
		proc_name(e, v->node, victim, nm, sizeof(nm));
		c->culprit_pid = victim;
		c->culprit_comm = xstrdup(nm[0] ? nm : "?");
		c->summary = xprintf("OOM killer killed %s (pid %" PRId64 ")", nm[0] ? nm : "?", victim);
		c->root = xprintf("the kernel OOM killer killed pid %" PRId64 ": host memory exhausted", victim);
		c->expl = xstrdup("oom_kill event");
		tl_add(c->timeline, "HOST", "oom_kill", c->summary, 0);
		rec_add(c->recs, "reduce host memory (DataLoader workers, pinned buffers) or add RAM / swap limits per cgroup");
		json_object *sy = json_object_new_array();
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "%s:%" PRId64, e->nodes.s[v->node], v->seq);
		json_object_array_add(sy, json_object_new_string(tmp));
		json_object_object_add(c->evidence, "symptoms", sy);
	}
	return 0;
}

/* CUDA-graph re-capture: the same stream captured and instantiated again and again */
static int rule_graph(struct eng *e)
{
	sqlite3_stmt *st;
	char f[256], sql[640], b1[32], nm[64], tmp[256];
	filt_sql(e, f, sizeof(f), "start");
	snprintf(sql, sizeof(sql), "SELECT node, pid, coalesce(stream,0), sum(op = 1), sum(op = 3), "
		 "sum(CASE WHEN op IN (1,2,3) THEN duration ELSE 0 END), min(start), max(start + duration), "
		 "count(DISTINCT CASE WHEN op = 3 THEN exec END), sum(op = 4) FROM graph_events WHERE 1%s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", f);
	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	filt_bind(e, st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t caps = sqlite3_column_int64(st, 3), inst = sqlite3_column_int64(st, 4);
		int64_t cost = cdur(sqlite3_column_int64(st, 5)), launches = sqlite3_column_int64(st, 9);
		int64_t pid = sqlite3_column_int64(st, 1);
		int64_t n = caps > inst ? caps : inst;
		if (n < 3 || (e->o.pid >= 0 && e->o.pid != pid))
			continue;
		int node = str_id(&e->nodes, (const char *)sqlite3_column_text(st, 0));
		if (node < 0 || node_slot(e, node))
			break;
		struct chain *c = chain_new(e);
		if (!c)
			break;
		c->node = node; c->pid = pid; c->src = 8; c->op = 1;
		c->kind = "graph_recapture";
		snprintf(c->opname, sizeof(c->opname), "graphBeginCapture");
		c->ws = cts(sqlite3_column_int64(st, 6)); c->we = cts(sqlite3_column_int64(st, 7));
		c->impact = cost - cost / n; c->slow = n - 1; c->cover = 1;
		if (e->nfirst[node] == INT64_MAX) {
			e->nfirst[node] = c->ws;
			e->nlast[node] = c->we;
		}
		c->share = (double)c->impact / (double)node_span(e, node);
		severity(c, 0);
		proc_name(e, node, pid, nm, sizeof(nm));
		c->summary = xprintf("CUDA graph re-captured %" PRId64 " times on stream 0x%" PRIx64 " — %s spent capturing/instantiating",
				     n, (uint64_t)sqlite3_column_int64(st, 2), FD(cost, b1));
		c->root = xprintf("%s%s%" PRId64 "%s captures and instantiates its CUDA graph %" PRId64 " times (%" PRId64
				  " distinct executables, %" PRId64 " launches): the graph is invalidated (dynamic shapes, "
				  "changed pointers) instead of being replayed", nm, nm[0] ? " (pid " : "pid ", pid, nm[0] ? ")" : "", n,
				  (int64_t)sqlite3_column_int64(st, 8), launches);
		c->expl = xprintf("impact = capture+instantiate time beyond the first capture");
		snprintf(tmp, sizeof(tmp), "%" PRId64 " captures, %" PRId64 " instantiations, %" PRId64 " launches", caps, inst, launches);
		tl_add(c->timeline, "CUDA_GRAPH", "graphInstantiate", tmp, cost);
		rec_add(c->recs, "keep shapes and buffer addresses static so the captured graph is replayed (pad batches, static inputs)");
		rec_add(c->recs, "torch.compile(mode=\"reduce-overhead\") with fixed shapes / mark_dynamic only where needed");
		json_object_object_add(c->evidence, "symptoms", json_object_new_array());
	}
	sqlite3_finalize(st);
	return 0;
}

/* NCCL straggler: per (comm, seq) the rank that starts last makes the others wait */
struct strag { int node; int64_t comm, pid, rank; int64_t last, n, late_sum, wait_sum; int op; int64_t lates[64]; int nl; };

static int rule_straggler(struct eng *e)
{
	sqlite3_stmt *st;
	char f[256], sql[512], b1[32], b2[32], tmp[512];
	filt_sql(e, f, sizeof(f), "start");
	/* the node filter must not hide the straggler: ignore it here */
	snprintf(sql, sizeof(sql), "SELECT comm_hash, seq, node, pid, start, duration, coalesce(rank,-1), op "
		 "FROM nccl_collectives WHERE 1%s ORDER BY comm_hash, seq, start, node, pid", e->o.since_ns || e->o.until_ns ?
		 (e->o.since_ns && e->o.until_ns ? " AND start >= ?102 AND start < ?103" : e->o.since_ns ? " AND start >= ?102" : " AND start < ?103") : "");
	(void)f;
	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (e->o.since_ns)
		sqlite3_bind_int64(st, 102, e->o.since_ns);
	if (e->o.until_ns)
		sqlite3_bind_int64(st, 103, e->o.until_ns);
	struct strag *sg = NULL;
	size_t nsg = 0, csg = 0;
	int64_t ncoll = 0;
	struct row { int node; int64_t pid, start, dur, rank; int op; } rows[256];
	int nr = 0;
	int64_t cur_comm = 0, cur_seq = -1;
	int rc = SQLITE_ROW;
	for (;;) {
		rc = sqlite3_step(st);
		int64_t comm = 0, seq = 0;
		if (rc == SQLITE_ROW) {
			comm = sqlite3_column_int64(st, 0);
			seq = sqlite3_column_int64(st, 1);
		}
		if (nr > 0 && (rc != SQLITE_ROW || comm != cur_comm || seq != cur_seq)) {
			/* close the group: rows are ordered by start; the last one is late */
			if (nr >= 2) {
				struct row *L = &rows[nr - 1];
				int64_t late = L->start - rows[nr - 2].start, wait = 0;
				for (int k = 0; k < nr - 1; k++)
					wait = sadd(wait, L->start - rows[k].start);
				size_t k;
				for (k = 0; k < nsg; k++)
					if (sg[k].comm == cur_comm && sg[k].node == L->node && sg[k].pid == L->pid)
						break;
				if (k == nsg) {
					struct strag z;
					memset(&z, 0, sizeof(z));
					z.node = L->node; z.comm = cur_comm; z.pid = L->pid; z.rank = L->rank; z.op = L->op;
					VEC_PUSH(sg, nsg, csg, z);
				}
				sg[k].last++;
				sg[k].late_sum = sadd(sg[k].late_sum, late);
				sg[k].wait_sum = sadd(sg[k].wait_sum, wait / (nr - 1));
				if (sg[k].nl < 64)
					sg[k].lates[sg[k].nl++] = late;
				/* count collectives per comm on the straggler entry of every node */
				for (int r = 0; r < nr; r++) {
					size_t m;
					for (m = 0; m < nsg; m++)
						if (sg[m].comm == cur_comm && sg[m].node == rows[r].node && sg[m].pid == rows[r].pid)
							break;
					if (m == nsg) {
						struct strag z;
						memset(&z, 0, sizeof(z));
						z.node = rows[r].node; z.comm = cur_comm; z.pid = rows[r].pid;
						z.rank = rows[r].rank; z.op = rows[r].op;
						VEC_PUSH(sg, nsg, csg, z);
					}
					sg[m].n++;
				}
				ncoll++;
			}
			nr = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		cur_comm = comm;
		cur_seq = seq;
		if (nr < 256) {
			const char *nd = (const char *)sqlite3_column_text(st, 2);
			int node = str_id(&e->nodes, nd);
			if (node < 0 || node_slot(e, node))
				goto oom;
			rows[nr].node = node;
			rows[nr].pid = sqlite3_column_int64(st, 3);
			rows[nr].start = cts(sqlite3_column_int64(st, 4));
			rows[nr].dur = cdur(sqlite3_column_int64(st, 5));
			rows[nr].rank = sqlite3_column_int64(st, 6);
			rows[nr].op = sqlite3_column_int(st, 7);
			nr++;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t k = 0; k < nsg; k++) {
		struct strag *s = &sg[k];
		if (s->n < 5 || s->last * 2 < s->n || s->nl == 0)
			continue;
		xqsort(s->lates, (size_t)s->nl, sizeof(int64_t), cmp_i64);
		int64_t med = s->lates[(s->nl - 1) / 2];
		if (med < NS_MS)
			continue;
		if (e->o.node && strcmp(e->o.node, e->nodes.s[s->node]) != 0)
			continue;
		struct chain *c = chain_new(e);
		if (!c)
			goto oom;
		char opn[32];
		c->node = s->node; c->pid = s->pid; c->src = 9; c->op = s->op;
		c->kind = "straggler";
		snprintf(c->opname, sizeof(c->opname), "%s", op_name(9, s->op, opn, sizeof(opn)));
		c->impact = s->late_sum; /* every other rank waits at least this */ c->slow = s->last; c->cover = (double)s->last / (double)s->n;
		c->culprit_pid = s->pid;
		const char *nn = e->nodes.s[s->node];
		c->culprit_comm = xstrdup(nn);
		/* window: all collectives of this comm */
		sqlite3_stmt *q;
		c->ws = c->we = 0;
		if (sqlite3_prepare_v2(e->db, "SELECT min(start), max(start + duration) FROM nccl_collectives WHERE comm_hash = ?1",
				       -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(q, 1, s->comm);
			if (sqlite3_step(q) == SQLITE_ROW) {
				c->ws = cts(sqlite3_column_int64(q, 0));
				c->we = cts(sqlite3_column_int64(q, 1));
			}
			sqlite3_finalize(q);
		}
		int64_t span = c->we - c->ws > 0 ? c->we - c->ws : 1;
		c->share = (double)c->impact / (double)span;
		severity(c, 0);
		char rk[32] = "";
		if (s->rank >= 0)
			snprintf(rk, sizeof(rk), " (rank %" PRId64 ")", s->rank);
		/* what the straggler node's own telemetry says */
		char why[256] = "";
		if (sqlite3_prepare_v2(e->db, "SELECT max(throttle_reasons & 236), min(sm_clock_mhz), max(temp_c), "
				       "(SELECT max(sm_clock_mhz) FROM gpu_snapshots WHERE node != ?1) "
				       "FROM gpu_snapshots WHERE node = ?1", -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, nn, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
				snprintf(why, sizeof(why), "its GPU is throttled (NVML reasons 0x%" PRIx64 "%s), SM clock %" PRId64
					 " MHz vs %" PRId64 " MHz on the other nodes, %" PRId64 " C",
					 (uint64_t)sqlite3_column_int64(q, 0),
					 sqlite3_column_int64(q, 0) & 0x60 ? ": thermal" : "",
					 (int64_t)sqlite3_column_int64(q, 1), (int64_t)sqlite3_column_int64(q, 3),
					 (int64_t)sqlite3_column_int64(q, 2));
			sqlite3_finalize(q);
		}
		c->summary = xprintf("%s waits for straggler %s%s — last to arrive in %" PRId64 "/%" PRId64 " collectives, median %s late",
				     c->opname, nn, rk, s->last, s->n, FD(med, b1));
		c->root = xprintf("node %s%s (pid %" PRId64 ") reaches the %s collectives last in %" PRId64 " of %" PRId64
				  " cases, median %s after the next-latest rank; every other rank waits at least %s in total%s%s",
				  nn, rk, s->pid, c->opname, s->last, s->n, FD(med, b1), FD(s->late_sum, b2),
				  why[0] ? "; " : "", why);
		c->expl = xprintf("collectives matched across nodes by communicator hash and sequence number");
		snprintf(tmp, sizeof(tmp), "%s%s arrives last in %" PRId64 "/%" PRId64 " %s (median %s late)", nn, rk, s->last, s->n,
			 c->opname, FD(med, b1));
		tl_add(c->timeline, "NCCL", c->opname, tmp, s->late_sum);
		if (why[0]) {
			tl_add(c->timeline, "GPU", "throttle", why, 0);
			rec_add(c->recs, "fix the straggler's cooling / power (nvidia-smi -q -d PERFORMANCE,TEMPERATURE) or replace its GPU");
		}
		rec_add(c->recs, "investigate the straggler node (ingero-analyze --node <it>): CPU contention, I/O, thermal throttling, slower GPU");
		rec_add(c->recs, "balance the per-rank work (uneven batches / data loading on that rank)");
		json_object *sy = json_object_new_array();
		json_object_object_add(c->evidence, "symptoms", sy);
		snprintf(tmp, sizeof(tmp), "0x%" PRIx64, (uint64_t)s->comm);
		json_object_object_add(c->evidence, "comm_hash", json_object_new_string(tmp));
		json_object_object_add(c->evidence, "straggler_node", json_object_new_string(nn));
	}
	free(sg);
	return 0;
oom:
	if (st)
		sqlite3_finalize(st);
	free(sg);
	return -1;
}

static int cmp_slow_chain(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;
	if (x->g != y->g)
		return x->g - y->g;
	if (x->cause != y->cause)
		return x->cause - y->cause;
	if (x->cause == C_PREEMPT && x->cul_comm != y->cul_comm)
		return x->cul_comm - y->cul_comm;
	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_chain_id(const void *a, const void *b)
{
	const struct chain *x = a, *y = b;
	int r = strcmp(x->kind, y->kind);
	if (r)
		return r;
	if ((r = strcmp(x->opname, y->opname)))
		return r;
	if (x->node != y->node)
		return x->node - y->node;
	if (x->ws != y->ws)
		return (x->ws > y->ws) - (x->ws < y->ws);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	if ((r = strcmp(x->culprit_comm ? x->culprit_comm : "", y->culprit_comm ? y->culprit_comm : "")))
		return r;
	if (x->impact != y->impact)
		return (x->impact < y->impact) - (x->impact > y->impact);
	return strcmp(x->summary ? x->summary : "", y->summary ? y->summary : "");
}

static void chain_free(struct chain *c)
{
	free(c->culprit_comm);
	free(c->summary);
	free(c->root);
	free(c->expl);
	json_object_put(c->timeline);
	json_object_put(c->recs);
	json_object_put(c->evidence);
}

static int write_chains(struct eng *e, char *err, size_t len)
{
	xqsort(e->c, e->nc, sizeof(struct chain), cmp_chain_id);
	sqlite3_stmt *st;
	if (sqlite3_exec(e->db, "DELETE FROM causal_chains", NULL, NULL, NULL) != SQLITE_OK)
		return set_err(err, len, "engine: %s", sqlite3_errmsg(e->db));
	if (prep(e, &st, "INSERT INTO causal_chains (id, detected_at, severity, summary, root_cause, explanation, "
		 "recommendations, cuda_op, cuda_p99_us, cuda_p50_us, tail_ratio, timeline, node, kind, window_start, "
		 "window_end, impact_ns, impact_share, slow_calls, culprit_pid, culprit_comm, pid, evidence) "
		 "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)", err, len))
		return -1;
	static const char *sevs[] = { "HIGH", "MEDIUM", "LOW" };
	for (size_t i = 0; i < e->nc; i++) {
		struct chain *c = &e->c[i];
		int k = 1;
		for (size_t j = i; j-- > 0;) {
			if (e->c[j].node == c->node && strcmp(e->c[j].kind, c->kind) == 0 &&
			    strcmp(e->c[j].opname, c->opname) == 0)
				k++;
		}
		const char *nd = e->nodes.s[c->node];
		if (nd[0])
			snprintf(c->id, sizeof(c->id), "%s:%s-%s-%d", nd, c->kind, c->opname, k);
		else
			snprintf(c->id, sizeof(c->id), "%s-%s-%d", c->kind, c->opname, k);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, c->ws);
		sqlite3_bind_text(st, 3, sevs[c->sev], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, c->summary ? c->summary : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->root ? c->root : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, c->expl ? c->expl : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, json_object_to_json_string_ext(c->recs, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, c->opname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, c->p99 / 1000);
		sqlite3_bind_int64(st, 10, c->p50 / 1000);
		sqlite3_bind_double(st, 11, c->p50 > 0 ? round(10.0 * (double)c->p99 / (double)c->p50) / 10.0 : 0);
		sqlite3_bind_text(st, 12, json_object_to_json_string_ext(c->timeline, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 13, nd, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, c->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 15, c->ws);
		sqlite3_bind_int64(st, 16, c->we);
		sqlite3_bind_int64(st, 17, c->impact);
		sqlite3_bind_double(st, 18, round(c->share * 1e6) / 1e6);
		sqlite3_bind_int64(st, 19, c->slow);
		if (c->culprit_pid >= 0) {
			sqlite3_bind_int64(st, 20, c->culprit_pid);
			sqlite3_bind_text(st, 21, c->culprit_comm ? c->culprit_comm : "", -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, 22, c->pid);
		sqlite3_bind_text(st, 23, json_object_to_json_string_ext(c->evidence, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			set_err(err, len, "engine: writing causal_chains: %s", sqlite3_errmsg(e->db));
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static void put_info(sqlite3 *db, const char *k, int64_t v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO schema_info (key, value) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return;
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, v);
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static int table_has_rows(sqlite3 *db, const char *t)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM %s)", t);
	return q_int(db, sql, 0) > 0;
}

int ingero_engine_run(sqlite3 *db, const struct ingero_engine_opts *o, char *err, size_t errlen)
{
	struct eng *e = calloc(1, sizeof(*e));
	int ret = -1;
	if (!e)
		return set_err(err, errlen, "engine: %s", "out of memory");
	e->db = db;
	if (o)
		e->o = *o;
	else
		e->o.pid = -1;
	if (err && errlen)
		err[0] = 0;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	/* indexes the evidence queries rely on (imp builds the same after load) */
	sqlite3_exec(db, "CREATE INDEX IF NOT EXISTS idx_offcpu_tid ON offcpu(node, tid, start);"
		     "CREATE INDEX IF NOT EXISTS idx_snapshots_time ON system_snapshots(node, timestamp);"
		     "CREATE INDEX IF NOT EXISTS idx_gpu_time ON gpu_snapshots(node, timestamp);", NULL, NULL, NULL);
	e->have_offcpu = table_has_rows(db, "offcpu");
	e->have_snap = table_has_rows(db, "system_snapshots");
	e->have_gpu = table_has_rows(db, "gpu_snapshots");
	e->maxoff = cdur(q_int(db, "SELECT max(duration) FROM offcpu", 0));
	phase(NULL);
	if (pass1(e, err, errlen))
		goto out;
	phase("pass1");
	if (pass2(e, err, errlen))
		goto out;
	phase("pass2");
	if (e->have_offcpu && prep(e, &e->q_off, "SELECT rowid, start, duration, preempted, culprit_pid, culprit_comm, prev_state "
				   "FROM offcpu WHERE node = ?1 AND tid = ?2 AND start < ?3 AND start >= ?4 "
				   "ORDER BY start, rowid", err, errlen))
		goto out;
	if (e->have_snap && prep(e, &e->q_snap, "SELECT max(mem_pct), max(swap_mb) - min(swap_mb), max(cpu_pct), count(*) "
				 "FROM system_snapshots WHERE node = ?1 AND timestamp BETWEEN ?2 AND ?3", err, errlen))
		goto out;
	if (e->have_gpu && prep(e, &e->q_gpu, "SELECT max(throttle_reasons & 236) FROM gpu_snapshots "
				"WHERE node = ?1 AND timestamp BETWEEN ?2 AND ?3", err, errlen))
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT name FROM (SELECT comm AS name, 0 AS pri FROM processes WHERE node = ?1 AND pid = ?2 "
			       "AND comm != '' UNION ALL SELECT name, 1 FROM process_names WHERE node = ?1 AND pid = ?2 AND name != '' "
			       "UNION ALL SELECT name, 2 FROM process_names WHERE pid = ?2 AND name != '') ORDER BY pri, name LIMIT 1",
			       -1, &e->q_name, NULL) != SQLITE_OK)
		e->q_name = NULL;
	if (sqlite3_prepare_v2(db, "SELECT pid FROM processes WHERE node = ?1 AND ppid = ?2 AND pid != ?2 ORDER BY pid",
			       -1, &e->q_kids, NULL) != SQLITE_OK)
		e->q_kids = NULL;
	for (size_t i = 0; i < e->ns; i++) {
		evidence(e, &e->s[i]);
		classify(e, &e->s[i]);
	}
	phase("evidence");
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_grp_ts);
	/* per group: patterns; remember periods for the chain text */
	struct period *pr = calloc(e->ng ? e->ng : 1, sizeof(*pr));
	if (!pr) {
		set_err(err, errlen, "engine: %s", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < e->ns;) {
		size_t j = i;
		while (j < e->ns && e->s[j].g == e->s[i].g)
			j++;
		patterns(e, i, j, &pr[e->s[i].g]);
		i = j;
	}
	xqsort(e->s, e->ns, sizeof(struct slow), cmp_slow_chain);
	for (size_t i = 0; i < e->ns;) {
		size_t j = i;
		while (j < e->ns && e->s[j].g == e->s[i].g && e->s[j].cause == e->s[i].cause &&
		       (e->s[i].cause != C_PREEMPT || e->s[j].cul_comm == e->s[i].cul_comm))
			j++;
		struct slow *s = &e->s[i];
		struct grp *g = &e->g[s->g];
		int keep = s->cause >= 0;
		if (s->cause == C_NONE) {
			/* unexplained tail: the original's gate (p99/p50 >= 3) or >= 3 slow calls */
			keep = g->n >= ENGINE_MIN_CALLS && (j - i >= 3 || (g->p50 > 0 && g->p99 >= 3 * g->p50));
		} else if (s->cause != C_COLD && s->cause != C_PERIODIC && g->n < ENGINE_MIN_CALLS) {
			keep = 0;
		}
		if (keep && chain_from(e, s, j - i, &pr[s->g])) {
			free(pr);
			set_err(err, errlen, "engine: %s", "out of memory");
			goto out;
		}
		i = j;
	}
	free(pr);
	if (rule_cpu_contention(e) || rule_memcpy(e) || rule_leak(e) || rule_oom(e) || rule_graph(e) || rule_straggler(e) || rule_drop(e)) {
		set_err(err, errlen, "engine: %s", "out of memory");
		goto out;
	}
	if (e->o.op) { /* --op: rule chains too (slow-call chains are filtered already) */
		size_t k = 0;
		for (size_t i = 0; i < e->nc; i++) {
			if (strcasecmp(e->c[i].opname, e->o.op) == 0)
				e->c[k++] = e->c[i];
			else
				chain_free(&e->c[i]);
		}
		e->nc = k;
	}
	phase("rules");
	if (write_chains(e, err, errlen))
		goto out;
	phase("write");
	put_info(db, "engine.events", e->events);
	put_info(db, "engine.span_ns", e->events ? e->t_max - e->t_min : 0);
	put_info(db, "engine.slow_calls", (int64_t)e->ns);
	put_info(db, "engine.truncated", e->slow_truncated | (e->evt_truncated << 1));
	ret = (int)e->nc;
out:
	sqlite3_exec(db, ret >= 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(e->q_off);
	sqlite3_finalize(e->q_snap);
	sqlite3_finalize(e->q_gpu);
	sqlite3_finalize(e->q_name);
	sqlite3_finalize(e->q_kids);
	for (size_t i = 0; i < e->ng; i++)
		free(e->g[i].d);
	free(e->g);
	free(e->gh);
	free(e->nfirst);
	free(e->nlast);
	free(e->io);
	free(e->pa);
	free(e->ss);
	free(e->oom);
	free(e->al);
	for (int i = 0; i < e->nmaps; i++) {
		free(e->maps[i].busy);
		free(e->maps[i].cps);
	}
	free(e->s);
	for (size_t i = 0; i < e->nc; i++)
		chain_free(&e->c[i]);
	free(e->c);
	strtab_free(&e->nodes);
	strtab_free(&e->comms);
	free(e);
	return ret;
}
