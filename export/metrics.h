/*
 * metrics.h - ingero-metrics internals: the series engine (metrics_series.c),
 * the readers of the analysis DB (metrics.c) and the writers
 * (metrics_om.c: OpenMetrics / Prometheus text; metrics_otlp.c: OTLP).
 *
 * Model.  Time is cut into windows of --step ns, aligned to multiples of the
 * step in unix time: window w covers [t0 + w*step, t0 + (w+1)*step) and its
 * sample is dated at the window's END (t0 + (w+1)*step), as a scrape at that
 * instant would see it: counters hold everything that STARTED before it.
 * Every series has one record per window from the window it first appeared
 * in to the last window of the recording (gauges carry their last value
 * forward; percentile gauges write NaN for windows without observations,
 * which the writers leave out).
 *
 * Each reader is one PASS over one time-ordered query; a pass owns the
 * series it creates.  Records go to a spill file in window order; at the
 * end they are regrouped by series (one scatter over the spill into a file
 * laid out family, node, labels, time), so the writers stream each series'
 * points in time order.  Memory: the series table and one window's
 * observations per percentile series, never the recording length.
 */
#ifndef INGERO_METRICS_H
#define INGERO_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "common.h"

enum mt_kind {
	MT_COUNTER,   /* cumulative sum (1 value) */
	MT_GAUGE,     /* last value, carried forward (1 value) */
	MT_PCTL,      /* window p50/p95/p99 + cumulative histogram (count, sum, buckets) */
	MT_HIST,      /* cumulative histogram (count, sum, buckets) */
};

struct mt_family {
	const char *otel;       /* OTLP name, dotted */
	const char *prom;       /* Prometheus sample name (counters: with _total when the original has it) */
	const char *om_type;    /* OpenMetrics TYPE: counter, gauge, unknown, histogram */
	const char *unit;       /* OTLP unit (UCUM) */
	const char *help;
	int kind;
	int integer;            /* values are integers (OTLP as_int) */
	const double *bounds;   /* MT_PCTL / MT_HIST bucket upper bounds (in the family's unit) */
	int nb;
	double div;             /* integer input / div = value in the unit (0 = 1) */
};

enum mt_fam_id {
	F_OP_COUNT, F_OP_DUR, F_ANOMALY,
	F_CPU_UTIL, F_MEM_UTIL, F_MEM_AVAIL, F_LOAD1, F_SWAP,
	F_THR_POWER, F_THR_THERMAL, F_THR_SW, F_THR_HW,
	F_GPU_MEM_USED, F_GPU_MEM_FREE, F_GPU_MEM_TOTAL, F_GPU_UTIL,
	F_MEMCPY_BYTES, F_MEMCPY_DUR, F_NCCL_COUNT, F_NCCL_BYTES, F_NCCL_DUR, F_OFFCPU,
	F_STEP_DUR, F_STEP_OUTLIER, F_STEP_MEAN, F_STEP_P95,
	F_MAX
};
extern const struct mt_family mt_families[F_MAX];

#define MT_MAXLAB 8
#define MT_PCT_N 3          /* p50, p95, p99 */

struct mt_series {
	uint32_t fam;
	uint32_t node;          /* strtab id of the node (resource), 0 = none */
	int nlab;
	const char *lk[MT_MAXLAB];   /* static label names */
	char *lv[MT_MAXLAB];         /* owned values */
	char *key;              /* rendered labels, for sorting */
	int64_t first_w;
	/* state */
	double v;               /* gauge value */
	int64_t iv;             /* counter value, histogram sum, in input units (exact) */
	uint64_t count;
	uint64_t *bk;           /* MT_PCTL / MT_HIST: per-bucket counts (nb + 1), not cumulative */
	int64_t *obs;           /* MT_PCTL: this window's observations (ns) */
	size_t nobs, capobs;
	/* layout of the regrouped file */
	uint64_t off, cur;
};

struct mt_engine {
	int64_t t0, step, nw;   /* windows 0 .. nw-1 */
	struct mt_series *s;
	size_t n, cap;
	size_t pass_first;
	int64_t cur_w;
	struct ig_strtab *nodes;
	/* spill */
	char *spill_path;
	FILE *spill;
	uint64_t spill_bytes, points;
	/* regrouped */
	char *grp_path;
	int grp_fd;
	uint32_t *order;        /* series indexes in output order */
	/* lookup: hash of (fam, labels) -> index + 1 */
	struct ig_map idx;
	uint64_t events;
};

/* record size in doubles after the 16-byte header */
int mt_nvals(const struct mt_family *f);

void mt_init(struct mt_engine *e, int64_t tmin, int64_t tmax, int64_t step, const char *tmpnear);
void mt_release(struct mt_engine *e);
/* Series of family fam with nlab labels (node first when node != NULL;
 * labels with empty values are left out); created on first use in the
 * current window. */
uint32_t mt_series(struct mt_engine *e, int fam, const char *node, int nlab,
		   const char *const *keys, const char *const *vals);
void mt_pass_begin(struct mt_engine *e);
/* Move to the window of ts (flushing the windows before it).  Input of a
 * pass must come in ts order; ts outside the span is clamped. */
void mt_at(struct mt_engine *e, int64_t ts);
void mt_pass_end(struct mt_engine *e);
/* window of ts (clamped to the span) */
static inline int64_t mt_window(const struct mt_engine *e, int64_t ts)
{
	int64_t w = ts < e->t0 ? 0 : (ts - e->t0) / e->step;
	return w >= e->nw ? e->nw - 1 : w;
}
static inline void mt_add(struct mt_engine *e, uint32_t s, int64_t v) { e->s[s].iv += v; }
static inline void mt_set(struct mt_engine *e, uint32_t s, double v) { e->s[s].v = v; }
void mt_obs(struct mt_engine *e, uint32_t s, int64_t ns);   /* MT_PCTL */
void mt_hist(struct mt_engine *e, uint32_t s, int64_t v);   /* MT_HIST */
/* Regroup the spill by series.  0 or -1 after an error. */
int mt_finish(struct mt_engine *e);

/* Reading one series' records back (after mt_finish). */
struct mt_rec_reader {
	int fd;
	uint64_t off, end;
	size_t recsz;
	unsigned char *buf;
	size_t bufn, bufpos;
};
void mt_reader_open(struct mt_rec_reader *r, const struct mt_engine *e, const struct mt_series *s);
/* Next record: window index and values; 0 at the end. */
int mt_reader_next(struct mt_rec_reader *r, int64_t *w, const double **vals);
void mt_reader_close(struct mt_rec_reader *r);
static inline int64_t mt_ts(const struct mt_engine *e, int64_t w) { return e->t0 + (w + 1) * e->step; }

/* Writers. */
struct mt_out_opts {
	const char *cluster;
	int prom_text;          /* --format prometheus: the last sample of every series, text 0.0.4 */
};
int mt_write_openmetrics(const struct mt_engine *e, FILE *f, const struct mt_out_opts *o);
/* --node, --since, --until */
struct mt_filter {
	const char *node;       /* NULL = every node */
	int64_t since, until;   /* unix ns, inclusive; INT64_MIN / INT64_MAX = open */
};
/* " WHERE <node> = '..' AND <t> BETWEEN .. AND (extra)" for the filter, or
 * "" (malloc'ed either way); any of nodecol, tcol, extra may be NULL. */
char *mt_where(const struct mt_filter *f, const char *nodecol, const char *tcol, const char *extra);
struct mt_otlp_opts {
	int json;               /* otlp-json, else otlp-proto */
	const char *cluster;    /* resource attribute ingero.cluster.id ("" = none) */
	const char *endpoint;   /* POST each request to ENDPOINT/v1/metrics (NULL = no) */
	const struct mt_filter *flt;   /* spans: node and start time */
};
/* ExportMetricsServiceRequest batches to out (NULL = POST only). */
int mt_write_otlp(const struct mt_engine *e, FILE *out, const struct mt_otlp_opts *o);
/* OTLP attribute key of a series label (the original's wire keys). */
const char *mt_otel_key(const char *label);
/* Spans (ExportTraceServiceRequest batches) from the DB's causal chains and
 * step findings; returns the number of spans or -1. */
struct sqlite3;
int mt_write_traces(struct sqlite3 *db, const char *dbpath, FILE *out, const struct mt_otlp_opts *o);
/* POST body to an http:// URL (path appended unless the URL has one).
 * 0 on a 2xx answer, else -1 after printing why. */
int mt_http_post(const char *url, const char *path, const char *ctype, const void *body, size_t len);
/* shortest text that reads back as v */
void mt_fmt_double(char *buf, size_t n, double v);

#endif
