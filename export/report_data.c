/* report_data.c - the numbers behind ingero-report: one scan of the events
 * table (exact per-op percentiles, per-process totals, per-bin latency
 * percentiles of the top ops) and every plot's series as JSON.  Plots are
 * binned (REPORT_BINS over the span) or downsampled to REPORT_MAX_POINTS per
 * series, so the page stays small whatever the recording's size. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "db.h"
#include "report.h"

const char *rep_node(const struct rep *r, uint32_t id)
{
	const char *s = ig_strtab_str(&r->nodes, id);
	return s ? s : "";
}

static uint32_t bin_of(const struct rep *r, int64_t ts)
{
	if (ts <= r->t0 || r->t1 <= r->t0)
		return 0;
	uint64_t b = (uint64_t)((double)(ts - r->t0) / (double)(r->t1 - r->t0) * REPORT_BINS);
	return b >= REPORT_BINS ? REPORT_BINS - 1 : (uint32_t)b;
}

static struct rep_proc *proc_of(struct rep *r, struct ig_map *m, uint32_t node, int64_t pid)
{
	uint64_t key = ((uint64_t)node << 40) ^ (uint64_t)pid;
	uint64_t *v = ig_map_get(m, key);
	if (v)
		return &r->procs[*v];
	size_t cap = r->nprocs;
	ig_grow(&r->procs, &cap, r->nprocs + 1, sizeof *r->procs);
	struct rep_proc *p = &r->procs[r->nprocs];
	memset(p, 0, sizeof *p);
	p->node = node;
	p->pid = pid;
	ig_map_xput(m, key, r->nprocs++);
	return p;
}

static int cmp_op_total(const void *a, const void *b)
{
	const struct rep_op *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->source != y->source ? x->source - y->source : x->op - y->op;
}

/* One pass over events: durations per op (for exact percentiles and the
 * binned ones), per-process counts.  Host sched_switch rows are counted but
 * off-CPU time comes from the offcpu table. */
int rep_scan(struct rep *r)
{
	sqlite3_stmt *st;
	struct ig_map opidx = { 0 }, procidx = { 0 };
	size_t opcap = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT node, pid, source, op, timestamp, duration FROM events",
			       -1, &st, NULL) != SQLITE_OK)
		return ig_error("events: %s", sqlite3_errmsg(r->db));
	const unsigned char *lastnode = NULL;
	char lastbuf[256] = "";
	uint32_t nid = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *node = sqlite3_column_text(st, 0);
		if (!node)
			node = (const unsigned char *)"";
		if (!lastnode || strcmp((const char *)node, lastbuf)) {
			snprintf(lastbuf, sizeof lastbuf, "%s", node);
			nid = ig_strtab_id(&r->nodes, lastbuf);
			lastnode = node;
		}
		int64_t pid = sqlite3_column_int64(st, 1);
		int src = sqlite3_column_int(st, 2), op = sqlite3_column_int(st, 3);
		int64_t ts = sqlite3_column_int64(st, 4), dur = sqlite3_column_int64(st, 5);
		if (dur < 0)
			dur = 0;
		uint64_t key = ((uint64_t)(uint32_t)src << 32) | (uint32_t)op;
		uint64_t *ix = ig_map_get(&opidx, key);
		struct rep_op *o;
		if (ix) {
			o = &r->ops[*ix];
		} else {
			ig_grow(&r->ops, &opcap, r->nops + 1, sizeof *r->ops);
			o = &r->ops[r->nops];
			memset(o, 0, sizeof *o);
			o->source = src;
			o->op = op;
			const char *nm = ingero_op_name((uint8_t)src, (uint8_t)op);
			if (nm)
				snprintf(o->name, sizeof o->name, "%s", nm);
			else
				snprintf(o->name, sizeof o->name, "op %d/%d", src, op);
			ig_map_xput(&opidx, key, r->nops++);
		}
		if (o->n == o->cap) {
			size_t c = o->cap;
			ig_grow(&o->dur, &c, o->n + 1, sizeof *o->dur);
			o->bin = xrealloc(o->bin, c * sizeof *o->bin);
			o->cap = c;
		}
		o->dur[o->n] = dur;
		o->bin[o->n++] = (uint16_t)bin_of(r, ts);
		o->total += dur;
		if (dur > o->max)
			o->max = dur;
		struct rep_proc *p = proc_of(r, &procidx, nid, pid);
		if (src == INGERO_SRC_CUDA || src == INGERO_SRC_DRIVER) {
			p->cuda_calls++;
			p->cuda_ns += dur;
		} else {
			p->host_events++;
		}
	}
	sqlite3_finalize(st);
	ig_map_release(&opidx);
	if (rc != SQLITE_DONE) {
		ig_map_release(&procidx);
		return ig_error("events: %s", sqlite3_errmsg(r->db));
	}
	/* off-CPU time per process */
	if (sqlite3_prepare_v2(r->db, "SELECT node, pid, sum(CASE WHEN preempted THEN duration ELSE 0 END), "
			       "sum(CASE WHEN preempted THEN 0 ELSE duration END) FROM offcpu GROUP BY node, pid",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *node = (const char *)sqlite3_column_text(st, 0);
			struct rep_proc *p = proc_of(r, &procidx, ig_strtab_id(&r->nodes, node ? node : ""),
						     sqlite3_column_int64(st, 1));
			p->offcpu_pre_ns += sqlite3_column_int64(st, 2);
			p->offcpu_blk_ns += sqlite3_column_int64(st, 3);
		}
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(r->db, "SELECT node, pid, count(*) FROM causal_chains WHERE pid IS NOT NULL "
			       "GROUP BY node, pid", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *node = (const char *)sqlite3_column_text(st, 0);
			struct rep_proc *p = proc_of(r, &procidx, ig_strtab_id(&r->nodes, node ? node : ""),
						     sqlite3_column_int64(st, 1));
			p->chains += sqlite3_column_int(st, 2);
		}
		sqlite3_finalize(st);
	}
	ig_map_release(&procidx);
	qsort(r->ops, r->nops, sizeof *r->ops, cmp_op_total);
	return 0;
}

/* exact percentiles per op (nearest rank); reorders dur, so after the plots */
void rep_op_pcts(struct rep *r)
{
	for (size_t i = 0; i < r->nops; i++) {
		struct rep_op *o = &r->ops[i];
		o->p50 = ig_pctl_i64(o->dur, o->n, 0.50);
		o->p95 = ig_pctl_i64(o->dur, o->n, 0.95);
		o->p99 = ig_pctl_i64(o->dur, o->n, 0.99);
	}
}

void rep_free(struct rep *r)
{
	for (size_t i = 0; i < r->nops; i++) {
		free(r->ops[i].dur);
		free(r->ops[i].bin);
	}
	free(r->ops);
	free(r->procs);
	free(r->json);
	ig_strtab_release(&r->nodes);
}

/* ----------------------------------------------------------------- JSON */

static double rel_s(const struct rep *r, int64_t ts)
{
	return (double)(ts - r->t0) / 1e9;
}

static double bin_mid_s(const struct rep *r, uint32_t b)
{
	return ((double)b + 0.5) / REPORT_BINS * (double)(r->t1 - r->t0) / 1e9;
}

struct series {
	FILE *j;
	int tdec;       /* decimals of times (s): about span / 100 000 resolution */
	int n;          /* series in the current plot */
	int npts;       /* points in the current series */
};

static void plot_begin(struct rep *r, struct series *s, const char *id, const char *title,
		       const char *unit, int logy)
{
	fprintf(s->j, "%s{\"id\":", r->nplots++ ? "," : "");
	ig_json_str(s->j, id);
	fputs(",\"title\":", s->j);
	ig_json_str(s->j, title);
	fputs(",\"unit\":", s->j);
	ig_json_str(s->j, unit);
	fprintf(s->j, ",\"log\":%d,\"series\":[", logy);
	s->n = 0;
}

static void plot_end(struct series *s)
{
	fputs("]}", s->j);
}

/* style: line, dots, area */
static void ser_begin(struct series *s, const char *name, const char *style)
{
	fprintf(s->j, "%s{\"name\":", s->n++ ? "," : "");
	ig_json_str(s->j, name);
	fputs(",\"style\":", s->j);
	ig_json_str(s->j, style);
	fputs(",\"pts\":[", s->j);
	s->npts = 0;
}

static void ser_pt(struct series *s, double t, double v)
{
	fprintf(s->j, "%s%.*f,%.4g", s->npts++ ? "," : "", s->tdec, t, v);
}

static void ser_end(struct series *s)
{
	fputs("]}", s->j);
}

/* series marks: points drawn as red diamonds (outliers, throttling) */
static void ser_end_marks(struct series *s, const double *tv, size_t n)
{
	fputs("],\"marks\":[", s->j);
	for (size_t i = 0; i < n; i++)
		fprintf(s->j, "%s%.*f,%.4g", i ? "," : "", s->tdec, tv[2 * i], tv[2 * i + 1]);
	fputs("]}", s->j);
}

/* p50 / p99 per bin of one op (counting sort of its durations by bin) */
static void op_binned(struct rep *r, struct series *s, struct rep_op *o)
{
	size_t cnt[REPORT_BINS + 1] = { 0 };
	for (size_t i = 0; i < o->n; i++)
		cnt[o->bin[i] + 1]++;
	for (int b = 0; b < REPORT_BINS; b++)
		cnt[b + 1] += cnt[b];
	int64_t *sorted = xmalloc((o->n ? o->n : 1) * sizeof *sorted);
	size_t pos[REPORT_BINS];
	memcpy(pos, cnt, sizeof pos);
	for (size_t i = 0; i < o->n; i++)
		sorted[pos[o->bin[i]]++] = o->dur[i];
	char nm[96];
	for (int k = 0; k < 2; k++) {
		double p = k ? 0.99 : 0.50;
		snprintf(nm, sizeof nm, "%s %s", o->name, k ? "p99" : "p50");
		ser_begin(s, nm, k ? "line" : "dash");
		for (int b = 0; b < REPORT_BINS; b++) {
			size_t n = cnt[b + 1] - cnt[b];
			if (n)
				ser_pt(s, bin_mid_s(r, (uint32_t)b), (double)ig_pctl_i64(sorted + cnt[b], n, p) / 1e6);
		}
		ser_end(s);
	}
	free(sorted);
}

static void plot_latency(struct rep *r, struct series *s)
{
	int shown = 0;
	for (size_t i = 0; i < r->nops && shown < REPORT_TOP_OPS; i++) {
		struct rep_op *o = &r->ops[i];
		if (o->source != INGERO_SRC_CUDA && o->source != INGERO_SRC_DRIVER && o->source != INGERO_SRC_NCCL)
			continue;
		if (!shown++)
			plot_begin(r, s, "latency", "CUDA call latency of the top ops (p50 dashed, p99 solid, per bin)",
				   "ms", 1);
		op_binned(r, s, o);
	}
	if (shown)
		plot_end(s);
}

/* a query whose rows are (series key text, t ns, value[, style]): one series per key,
 * downsampled to REPORT_MAX_POINTS by keeping each bucket's largest value */
static void plot_query(struct rep *r, struct series *s, const char *sql, const char *style, double scale)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	char key[160] = "", sty[16];
	double *buf = NULL;
	size_t n = 0, cap = 0;
	int have = 0;
	snprintf(sty, sizeof sty, "%s", style);
	for (;;) {
		int rc = sqlite3_step(st);
		const char *k = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (rc != SQLITE_ROW || strcmp(k ? k : "", key)) {
			if (have && n) {   /* a series without a value is left out */
				ser_begin(s, key, sty);
				size_t stride = n / REPORT_MAX_POINTS + 1;
				for (size_t i = 0; i < n; i += stride) {
					size_t best = i;
					for (size_t j = i; j < i + stride && j < n; j++)
						if (buf[2 * j + 1] > buf[2 * best + 1])
							best = j;
					ser_pt(s, buf[2 * best], buf[2 * best + 1]);
				}
				ser_end(s);
			}
			if (rc != SQLITE_ROW)
				break;
			snprintf(key, sizeof key, "%s", k ? k : "");
			snprintf(sty, sizeof sty, "%s", sqlite3_column_count(st) > 3 && sqlite3_column_text(st, 3) ?
				 (const char *)sqlite3_column_text(st, 3) : style);
			n = 0;
			have = 1;
		}
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue;
		ig_grow(&buf, &cap, 2 * (n + 1), sizeof *buf);
		buf[2 * n] = rel_s(r, sqlite3_column_int64(st, 1));
		buf[2 * n + 1] = sqlite3_column_double(st, 2) * scale;
		n++;
	}
	sqlite3_finalize(st);
	free(buf);
}

/* steps: one series per (node, pid, stream[, phase]), outliers / slow steps marked */
static void plot_steps(struct rep *r, struct series *s)
{
	sqlite3_stmt *st;
	/* inference: prefill and decode steps are separate series */
	if (sqlite3_prepare_v2(r->db, "SELECT node || ' pid ' || pid || ' stream ' || printf('0x%x', stream) || "
			       "CASE WHEN phase IN ('step', 'unknown', '') THEN '' ELSE ' ' || phase END, start, "
			       "duration, (slow != 0 OR outlier != '') FROM steps "
			       "ORDER BY node, pid, stream, phase IN ('step', 'unknown', ''), phase, start",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	plot_begin(r, s, "steps", "Step time per stream (outliers and slow steps marked)", "ms", 0);
	char key[160] = "";
	double *buf = NULL, *mk = NULL;
	size_t n = 0, cap = 0, nm = 0, mcap = 0;
	int have = 0, nser = 0;
	for (;;) {
		int rc = sqlite3_step(st);
		const char *k = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (rc != SQLITE_ROW || strcmp(k ? k : "", key)) {
			if (have && nser++ < 12) {
				ser_begin(s, key, "line");
				size_t stride = n / REPORT_MAX_POINTS + 1;
				for (size_t i = 0; i < n; i += stride) {
					size_t best = i;
					for (size_t j = i; j < i + stride && j < n; j++)
						if (buf[2 * j + 1] > buf[2 * best + 1])
							best = j;
					ser_pt(s, buf[2 * best], buf[2 * best + 1]);
				}
				ser_end_marks(s, mk, nm > REPORT_MAX_POINTS ? REPORT_MAX_POINTS : nm);
			}
			if (rc != SQLITE_ROW)
				break;
			snprintf(key, sizeof key, "%s", k ? k : "");
			n = nm = 0;
			have = 1;
		}
		double t = rel_s(r, sqlite3_column_int64(st, 1)), v = (double)sqlite3_column_int64(st, 2) / 1e6;
		ig_grow(&buf, &cap, 2 * (n + 1), sizeof *buf);
		buf[2 * n] = t;
		buf[2 * n++ + 1] = v;
		if (sqlite3_column_int(st, 3)) {
			ig_grow(&mk, &mcap, 2 * (nm + 1), sizeof *mk);
			mk[2 * nm] = t;
			mk[2 * nm++ + 1] = v;
		}
	}
	sqlite3_finalize(st);
	free(buf);
	free(mk);
	plot_end(s);
}

/* where the step time of the busiest stream goes: the mean of each
 * breakdown column (steps-contract) per bin, the columns that are ever
 * non-zero */
static const char *const step_parts[] = {
	"sync_ns", "launch_ns", "memcpy_ns", "alloc_ns", "other_cuda_ns", "nccl_ns", "host_ns",
	"preempted_ns", "blocked_ns", "io_ns", "mem_ns", "gpu_idle_ns",
};
#define NPARTS (sizeof step_parts / sizeof step_parts[0])

static void plot_step_parts(struct rep *r, struct series *s)
{
	char *q = xasprintf("SELECT start");
	for (size_t k = 0; k < NPARTS; k++) {
		char *q2 = xasprintf("%s, %s", q, step_parts[k]);
		free(q);
		q = q2;
	}
	char *q2 = xasprintf("%s FROM steps WHERE (node, pid, stream) = (SELECT node, pid, stream FROM steps "
			     "GROUP BY node, pid, stream ORDER BY count(*) DESC, node, pid, stream LIMIT 1)", q);
	free(q);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(r->db, q2, -1, &st, NULL);
	free(q2);
	if (rc != SQLITE_OK)
		return;
	double (*sum)[NPARTS] = xcalloc(REPORT_BINS, sizeof *sum);
	uint32_t *cnt = xcalloc(REPORT_BINS, sizeof *cnt);
	double tot[NPARTS] = { 0 };
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t b = bin_of(r, sqlite3_column_int64(st, 0));
		cnt[b]++;
		for (size_t k = 0; k < NPARTS; k++) {
			double v = (double)sqlite3_column_int64(st, (int)k + 1);
			sum[b][k] += v;
			tot[k] += v;
		}
	}
	sqlite3_finalize(st);
	plot_begin(r, s, "stepparts", "Where the busiest stream's step time goes (mean per step, per bin)", "ms", 0);
	for (size_t k = 0; k < NPARTS; k++) {
		if (tot[k] <= 0)
			continue;
		char nm[32];
		snprintf(nm, sizeof nm, "%.*s", (int)(strlen(step_parts[k]) - 3), step_parts[k]);
		ser_begin(s, nm, "line");
		for (uint32_t b = 0; b < REPORT_BINS; b++)
			if (cnt[b])
				ser_pt(s, bin_mid_s(r, b), sum[b][k] / cnt[b] / 1e6);
		ser_end(s);
	}
	plot_end(s);
	free(sum);
	free(cnt);
}

/* off-CPU time of the traced threads per bin, split over the bins it covers */
static void plot_offcpu(struct rep *r, struct series *s)
{
	if (!ig_db_int(r->db, "SELECT count(*) FROM (SELECT 1 FROM offcpu LIMIT 1)", 0) || r->t1 <= r->t0)
		return;
	double pre[REPORT_BINS] = { 0 }, blk[REPORT_BINS] = { 0 };
	double binw = (double)(r->t1 - r->t0) / REPORT_BINS;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT start, duration, preempted FROM offcpu", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		double a = (double)(sqlite3_column_int64(st, 0) - r->t0);
		double b = a + (double)sqlite3_column_int64(st, 1);
		double *acc = sqlite3_column_int(st, 2) ? pre : blk;
		if (a < 0)
			a = 0;
		for (long k = (long)(a / binw); k < REPORT_BINS && (double)k * binw < b; k++) {
			double lo = fmax(a, (double)k * binw), hi = fmin(b, (double)(k + 1) * binw);
			if (hi > lo)
				acc[k] += hi - lo;
		}
	}
	sqlite3_finalize(st);
	plot_begin(r, s, "offcpu", "Off-CPU time of the traced threads (ms off-CPU per second of wall time)",
		   "ms/s", 0);
	for (int k = 0; k < 2; k++) {
		double *acc = k ? blk : pre;
		ser_begin(s, k ? "blocked (sleep, I/O, locks)" : "preempted (runnable, CPU taken)", "area");
		for (int b = 0; b < REPORT_BINS; b++)
			ser_pt(s, bin_mid_s(r, (uint32_t)b), acc[b] / binw * 1e3);
		ser_end(s);
	}
	plot_end(s);
}

static void plot_nccl(struct rep *r, struct series *s)
{
	if (!ig_db_int(r->db, "SELECT count(*) FROM (SELECT 1 FROM nccl_collectives LIMIT 1)", 0))
		return;
	plot_begin(r, s, "nccl", "NCCL arrival lateness per rank (start minus the first rank's start)", "ms", 0);
	plot_query(r, s,
		   "WITH c AS (SELECT node, rank, start, start - min(start) OVER (PARTITION BY comm_hash, seq) AS late "
		   "FROM nccl_collectives) SELECT 'rank ' || coalesce(rank, '?') || ' (' || node || ')', start, late "
		   "FROM c ORDER BY rank, node, start", "line", 1e-6);
	plot_end(s);
}

static int has_rows(struct rep *r, const char *table)
{
	char *q = xasprintf("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1)", table);
	int n = ig_db_has_table(r->db, "main", table) ? (int)ig_db_int(r->db, q, 0) : 0;
	free(q);
	return n;
}

static void windows_json(struct rep *r, FILE *j)
{
	sqlite3_stmt *st;
	int n = 0;
	fputs(",\"windows\":[", j);
	const char *q[2] = {
		"SELECT id, severity, summary, window_start, window_end FROM causal_chains "
		"WHERE window_end > window_start ORDER BY window_start, id",
		"SELECT id, severity, summary, start, start + duration FROM step_findings ORDER BY start, id",
	};
	for (int k = 0; k < 2; k++) {
		if (k && !has_rows(r, "step_findings"))
			continue;
		if (sqlite3_prepare_v2(r->db, q[k], -1, &st, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW) {
			fprintf(j, "%s{\"id\":", n++ ? "," : "");
			ig_json_str(j, (const char *)sqlite3_column_text(st, 0));
			fputs(",\"sev\":", j);
			ig_json_str(j, (const char *)sqlite3_column_text(st, 1));
			fputs(",\"label\":", j);
			ig_json_str(j, (const char *)sqlite3_column_text(st, 2));
			fprintf(j, ",\"a\":%.4f,\"b\":%.4f}", rel_s(r, sqlite3_column_int64(st, 3)),
				rel_s(r, sqlite3_column_int64(st, 4)));
		}
		sqlite3_finalize(st);
	}
	fputs("]", j);
}

int rep_plots_json(struct rep *r)
{
	struct series s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	s.j = open_memstream(&buf, &len);
	if (!s.j)
		return ig_error("out of memory");
	s.tdec = (int)ceil(5 - log10(fmax(rel_s(r, r->t1), 1e-6)));
	s.tdec = s.tdec < 0 ? 0 : s.tdec > 6 ? 6 : s.tdec;
	fprintf(s.j, "{\"t0_ns\":\"%" PRId64 "\",\"span_s\":%.6f,\"plots\":[", r->t0, rel_s(r, r->t1));
	if (r->has_steps && has_rows(r, "steps")) {
		plot_steps(r, &s);
		plot_step_parts(r, &s);
	}
	plot_latency(r, &s);
	if (has_rows(r, "system_snapshots")) {
		plot_begin(r, &s, "cpu", "CPU, memory and I/O wait (%)", "%", 0);
		plot_query(r, &s, "SELECT node || ' cpu', timestamp, cpu_pct FROM system_snapshots "
			   "UNION ALL SELECT node || ' mem', timestamp, mem_pct FROM system_snapshots "
			   "UNION ALL SELECT node || ' iowait', timestamp, iowait_pct FROM system_snapshots "
			   "ORDER BY 1, 2", "line", 1);
		plot_end(&s);
		plot_begin(r, &s, "load", "Load average and swap used (MB)", "", 0);
		plot_query(r, &s, "SELECT node || ' load', timestamp, load_avg FROM system_snapshots "
			   "UNION ALL SELECT node || ' swap MB', timestamp, swap_mb FROM system_snapshots "
			   "ORDER BY 1, 2", "line", 1);
		plot_end(&s);
	}
	if (has_rows(r, "gpu_snapshots")) {
		plot_begin(r, &s, "gpu", "GPU utilization (%) and memory used (%)", "%", 0);
		plot_query(r, &s, "SELECT node || ' gpu' || gpu || ' util', timestamp, util_pct FROM gpu_snapshots "
			   "UNION ALL SELECT node || ' gpu' || gpu || ' mem', timestamp, "
			   "100.0 * mem_used_mb / nullif(mem_total_mb, 0) FROM gpu_snapshots ORDER BY 1, 2", "line", 1);
		plot_end(&s);
		plot_begin(r, &s, "gpuclk", "GPU SM clock (MHz), throttling marked", "MHz", 0);
		plot_query(r, &s, "SELECT node || ' gpu' || gpu || ' SM clock', timestamp, sm_clock_mhz, 'line' FROM gpu_snapshots "
			   "UNION ALL SELECT node || ' gpu' || gpu || ' throttled', timestamp, "
			   "CASE WHEN throttle_reasons THEN sm_clock_mhz END, 'dots' FROM gpu_snapshots ORDER BY 1, 2", "line", 1);
		plot_end(&s);
	}
	plot_offcpu(r, &s);
	plot_nccl(r, &s);
	fputs("]", s.j);
	windows_json(r, s.j);
	fputs("}", s.j);
	if (fclose(s.j))
		return ig_error("out of memory");
	r->json = buf;
	r->json_len = len;
	return 0;
}

static int cmp_late(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int rep_nccl_ranks(struct rep *r, struct rep_rank **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db,
			       "WITH c AS (SELECT node, rank, start - min(start) OVER (PARTITION BY comm_hash, seq) AS late, "
			       "max(start) OVER (PARTITION BY comm_hash, seq) = start AS last FROM nccl_collectives) "
			       "SELECT node, coalesce(rank, -1), late, last FROM c ORDER BY rank, node, late",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	size_t cap = 0;
	int64_t *lat = NULL;
	size_t nl = 0, lcap = 0;
	struct rep_rank *cur = NULL;
	for (;;) {
		int rc = sqlite3_step(st);
		const char *node = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		int64_t rank = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
		if (rc != SQLITE_ROW || !cur || cur->rank != rank || strcmp(cur->node, node ? node : "")) {
			if (cur && nl) {
				qsort(lat, nl, sizeof *lat, cmp_late);
				cur->p50 = lat[(size_t)ceil(0.5 * (double)nl) - 1];
				cur->p99 = lat[(size_t)ceil(0.99 * (double)nl) - 1];
				cur->max = lat[nl - 1];
			}
			if (rc != SQLITE_ROW)
				break;
			ig_grow(out, &cap, *n + 1, sizeof **out);
			cur = &(*out)[(*n)++];
			memset(cur, 0, sizeof *cur);
			snprintf(cur->node, sizeof cur->node, "%s", node ? node : "");
			cur->rank = rank;
			nl = 0;
		}
		ig_grow(&lat, &lcap, nl + 1, sizeof *lat);
		lat[nl++] = sqlite3_column_int64(st, 2);
		cur->colls++;
		cur->last += sqlite3_column_int(st, 3) != 0;
	}
	sqlite3_finalize(st);
	free(lat);
	return 0;
}
