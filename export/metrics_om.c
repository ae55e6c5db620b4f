/*
 * metrics_om.c - OpenMetrics text with timestamps (Prometheus backfill:
 * promtool tsdb create-blocks-from openmetrics) and the Prometheus text
 * format 0.0.4 (the last sample of every series, no timestamps: the
 * original's /metrics page at the end of the recording; node_exporter's
 * textfile collector reads it).
 *
 * OpenMetrics layout: one block per family (HELP, TYPE), each series'
 * points consecutive and in time order, "# EOF" at the end.  Names are the
 * original's Prometheus names; those of its counters that do not end in
 * _total (gpu_cuda_operation_count, ingero_anomaly_count, ...) are declared
 * "unknown" so the sample keeps its name (an OpenMetrics counter's samples
 * must end in _total).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

void mt_fmt_double(char *buf, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(buf, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, n, "%.0f", v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* name{node="..",k="v",...[,extra="x"]} */
static void put_series(FILE *f, const struct mt_engine *e, const struct mt_series *s, const char *name,
		       const char *suffix, const char *xk, const char *xv)
{
	fputs(name, f);
	if (suffix)
		fputs(suffix, f);
	int n = 0;
	const char *node = ig_strtab_str(e->nodes, s->node);
	if (node) {
		fputs("{node=\"", f);
		put_escaped(f, node);
		fputc('"', f);
		n++;
	}
	for (int i = 0; i < s->nlab; i++) {
		fputs(n++ ? "," : "{", f);
		fputs(s->lk[i], f);
		fputs("=\"", f);
		put_escaped(f, s->lv[i]);
		fputc('"', f);
	}
	if (xk) {
		fputs(n++ ? "," : "{", f);
		fprintf(f, "%s=\"%s\"", xk, xv);
	}
	if (n)
		fputc('}', f);
}

static void put_val(FILE *f, double v, int64_t ts_ns, int with_ts)
{
	char b[40];
	mt_fmt_double(b, sizeof b, v);
	if (with_ts)
		fprintf(f, " %s %lld.%03lld\n", b, (long long)(ts_ns / 1000000000),
			(long long)(ts_ns % 1000000000 / 1000000));
	else
		fprintf(f, " %s\n", b);
}

static const char *const pct_names[MT_PCT_N] = { "p50", "p95", "p99" };

/* one series: every record (OpenMetrics) or the last one (text) */
static void write_series(FILE *f, const struct mt_engine *e, const struct mt_series *s, int text)
{
	const struct mt_family *fm = &mt_families[s->fam];
	struct mt_rec_reader r;
	int64_t w;
	const double *v;
	int passes = fm->kind == MT_PCTL ? MT_PCT_N : 1;
	for (int pass = 0; pass < passes; pass++) {
		mt_reader_open(&r, e, s);
		int64_t lastw = -1;
		double last[64];
		int nv = mt_nvals(fm);
		while (mt_reader_next(&r, &w, &v)) {
			if (text) {
				lastw = w;
				memcpy(last, v, sizeof(double) * (size_t)nv);
				continue;
			}
			int64_t ts = mt_ts(e, w);
			switch (fm->kind) {
			case MT_COUNTER:
			case MT_GAUGE:
				put_series(f, e, s, fm->prom, NULL, NULL, NULL);
				put_val(f, v[0], ts, 1);
				break;
			case MT_PCTL:
				if (isnan(v[pass]))
					break;
				put_series(f, e, s, fm->prom, NULL, "percentile", pct_names[pass]);
				put_val(f, v[pass], ts, 1);
				break;
			case MT_HIST: {
				double cum = 0;
				char le[40];
				for (int k = 0; k <= fm->nb; k++) {
					cum += v[2 + k];
					if (k < fm->nb)
						mt_fmt_double(le, sizeof le, fm->bounds[k]);
					else
						strcpy(le, "+Inf");
					put_series(f, e, s, fm->prom, "_bucket", "le", le);
					put_val(f, cum, ts, 1);
				}
				put_series(f, e, s, fm->prom, "_count", NULL, NULL);
				put_val(f, v[0], ts, 1);
				put_series(f, e, s, fm->prom, "_sum", NULL, NULL);
				put_val(f, v[1], ts, 1);
				break;
			}
			}
		}
		mt_reader_close(&r);
		if (text && lastw >= 0) {
			switch (fm->kind) {
			case MT_COUNTER:
			case MT_GAUGE:
				put_series(f, e, s, fm->prom, NULL, NULL, NULL);
				put_val(f, last[0], 0, 0);
				break;
			case MT_PCTL:
				if (!isnan(last[pass])) {
					put_series(f, e, s, fm->prom, NULL, "percentile", pct_names[pass]);
					put_val(f, last[pass], 0, 0);
				}
				break;
			case MT_HIST: {
				double cum = 0;
				char le[40];
				for (int k = 0; k <= fm->nb; k++) {
					cum += last[2 + k];
					if (k < fm->nb)
						mt_fmt_double(le, sizeof le, fm->bounds[k]);
					else
						strcpy(le, "+Inf");
					put_series(f, e, s, fm->prom, "_bucket", "le", le);
					put_val(f, cum, 0, 0);
				}
				put_series(f, e, s, fm->prom, "_count", NULL, NULL);
				put_val(f, last[0], 0, 0);
				put_series(f, e, s, fm->prom, "_sum", NULL, NULL);
				put_val(f, last[1], 0, 0);
				break;
			}
			}
		}
	}
}

int mt_write_openmetrics(const struct mt_engine *e, FILE *f, const struct mt_out_opts *o)
{
	int text = o->prom_text;
	size_t i = 0;
	while (i < e->n) {
		const struct mt_series *s0 = &e->s[e->order[i]];
		const struct mt_family *fm = &mt_families[s0->fam];
		/* family name: the sample name without _total for OpenMetrics counters */
		char fam[128];
		snprintf(fam, sizeof fam, "%s", fm->prom);
		const char *type = fm->om_type;
		if (text) {
			type = fm->kind == MT_COUNTER ? "counter" : !strcmp(type, "unknown") ? "untyped" : type;
		} else if (!strcmp(type, "counter")) {
			size_t l = strlen(fam);
			if (l > 6 && !strcmp(fam + l - 6, "_total"))
				fam[l - 6] = 0;
		}
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam, fm->help, fam, type);
		for (; i < e->n && e->s[e->order[i]].fam == s0->fam; i++)
			write_series(f, e, &e->s[e->order[i]], text);
	}
	if (!text)
		fputs("# EOF\n", f);
	return ferror(f) ? -1 : 0;
}
