/*
 * metrics_otlp.c - OTLP ExportMetricsServiceRequest batches, as the
 * Collector's file receivers read them:
 *   otlp-json   one request per line (OTLP/JSON: lowerCamelCase names,
 *               64-bit integers as strings, enums as numbers)
 *   otlp-proto  per request a 4-byte big-endian length, then the message
 *               (the Collector file exporter's length-delimited protobuf)
 * and, with --otlp-endpoint, each request POSTed to URL/v1/metrics.
 *
 * One ResourceMetrics per node (resource attributes service.name,
 * ingero.node.id, ingero.cluster.id), one Metric per (family, node) in a
 * request.  Counters are cumulative monotonic Sums, snapshot values Gauges,
 * durations cumulative explicit-bucket Histograms; one point per window.
 * Field numbers: ../shared/reference/otlp-proto (metrics.proto,
 * common.proto, resource.proto, metrics_service.proto).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "metrics.h"
#include "perfetto_pb.h"

#define BATCH_POINTS 10000

/* per-node part of the request being built */
struct node_part {
	struct pb_buf pb;       /* proto: Metric entries (ScopeMetrics field 2) */
	FILE *js;               /* json: Metric objects, comma separated */
	char *jsbuf;
	size_t jslen;
	unsigned nmetrics;
};

struct ow {
	const struct mt_engine *e;
	const struct mt_otlp_opts *o;
	int json;
	struct node_part *parts;    /* index: node strtab id (0 = none) */
	size_t nparts;
	/* the open Metric */
	int open;
	uint32_t fam, node;
	size_t m_pos, d_pos;        /* proto nesting positions */
	unsigned npoints_metric;
	uint64_t batch_points, requests;
	struct pb_buf req;
};

const char *mt_otel_key(const char *label)
{
	static const char *const map[][2] = {
		{ "op_type", "nccl.op_type" }, { "rank", "rank" },
		{ "stream_handle", "ingero.infer.stream_handle" }, { "phase", "ingero.infer.phase" },
		{ "bucket", "ingero.infer.outlier_bucket" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(label, map[i][0]))
			return map[i][1];
	return label;
}

static struct node_part *part(struct ow *w, uint32_t node)
{
	struct node_part *p = &w->parts[node];
	if (w->json && !p->js) {
		p->js = open_memstream(&p->jsbuf, &p->jslen);
		if (!p->js)
			ig_die("out of memory");
	}
	return p;
}

/* ------------------------------------------------------------ proto */

static void pb_kv(struct pb_buf *b, unsigned field, const char *k, const char *v)
{
	size_t kv = pb_begin(b, field);
	pb_str(b, 1, k);
	size_t av = pb_begin(b, 2);
	pb_str(b, 1, v);
	pb_end(b, av);
	pb_end(b, kv);
}

static void json_kv(FILE *f, int first, const char *k, const char *v)
{
	fputs(first ? "{\"key\":" : ",{\"key\":", f);
	ig_json_str(f, k);
	fputs(",\"value\":{\"stringValue\":", f);
	ig_json_str(f, v);
	fputs("}}", f);
}

static void open_metric(struct ow *w, const struct mt_series *s)
{
	const struct mt_family *f = &mt_families[s->fam];
	struct node_part *p = part(w, s->node);
	w->open = 1;
	w->fam = s->fam;
	w->node = s->node;
	w->npoints_metric = 0;
	if (w->json) {
		FILE *j = p->js;
		if (p->nmetrics)
			fputc(',', j);
		fputs("{\"name\":", j);
		ig_json_str(j, f->otel);
		fputs(",\"description\":", j);
		ig_json_str(j, f->help);
		fputs(",\"unit\":", j);
		ig_json_str(j, f->unit);
		if (f->kind == MT_COUNTER)
			fputs(",\"sum\":{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":[", j);
		else if (f->kind == MT_GAUGE)
			fputs(",\"gauge\":{\"dataPoints\":[", j);
		else
			fputs(",\"histogram\":{\"aggregationTemporality\":2,\"dataPoints\":[", j);
	} else {
		w->m_pos = pb_begin(&p->pb, 2);       /* ScopeMetrics.metrics */
		pb_str(&p->pb, 1, f->otel);
		pb_str(&p->pb, 2, f->help);
		pb_str(&p->pb, 3, f->unit);
		w->d_pos = pb_begin(&p->pb, f->kind == MT_COUNTER ? 7 : f->kind == MT_GAUGE ? 5 : 9);
	}
	p->nmetrics++;
}

static void close_metric(struct ow *w)
{
	if (!w->open)
		return;
	const struct mt_family *f = &mt_families[w->fam];
	struct node_part *p = &w->parts[w->node];
	if (w->json) {
		fputs("]}}", p->js);
	} else {
		if (f->kind != MT_GAUGE)
			pb_uint(&p->pb, 2, 2);                /* AGGREGATION_TEMPORALITY_CUMULATIVE */
		if (f->kind == MT_COUNTER)
			pb_uint(&p->pb, 3, 1);                /* is_monotonic */
		pb_end(&p->pb, w->d_pos);
		pb_end(&p->pb, w->m_pos);
	}
	w->open = 0;
}

static void write_point(struct ow *w, const struct mt_series *s, int64_t win, const double *v)
{
	const struct mt_engine *e = w->e;
	const struct mt_family *f = &mt_families[s->fam];
	struct node_part *p = &w->parts[s->node];
	uint64_t start = (uint64_t)(e->t0 + s->first_w * e->step), t = (uint64_t)mt_ts(e, win);
	int hist = f->kind == MT_PCTL || f->kind == MT_HIST;
	const double *hv = f->kind == MT_PCTL ? v + MT_PCT_N : v;   /* count, sum, buckets */
	if (w->json) {
		FILE *j = p->js;
		if (w->npoints_metric)
			fputc(',', j);
		fputs("{\"attributes\":[", j);
		for (int i = 0; i < s->nlab; i++)
			json_kv(j, i == 0, mt_otel_key(s->lk[i]), s->lv[i]);
		fputs("]", j);
		if (f->kind != MT_GAUGE)
			fprintf(j, ",\"startTimeUnixNano\":\"%llu\"", (unsigned long long)start);
		fprintf(j, ",\"timeUnixNano\":\"%llu\"", (unsigned long long)t);
		char b[40];
		if (hist) {
			mt_fmt_double(b, sizeof b, hv[1]);
			fprintf(j, ",\"count\":\"%.0f\",\"sum\":%s,\"bucketCounts\":[", hv[0], b);
			for (int k = 0; k <= f->nb; k++)
				fprintf(j, "%s\"%.0f\"", k ? "," : "", hv[2 + k]);
			fputs("],\"explicitBounds\":[", j);
			for (int k = 0; k < f->nb; k++) {
				mt_fmt_double(b, sizeof b, f->bounds[k]);
				fprintf(j, "%s%s", k ? "," : "", b);
			}
			fputs("]}", j);
		} else if (f->integer) {
			fprintf(j, ",\"asInt\":\"%.0f\"}", v[0]);
		} else {
			mt_fmt_double(b, sizeof b, v[0]);
			fprintf(j, ",\"asDouble\":%s}", b);
		}
	} else {
		struct pb_buf *pb = &p->pb;
		size_t dp = pb_begin(pb, 1);
		for (int i = 0; i < s->nlab; i++)
			pb_kv(pb, hist ? 9 : 7, mt_otel_key(s->lk[i]), s->lv[i]);
		if (f->kind != MT_GAUGE)
			pb_fixed64(pb, 2, start);
		pb_fixed64(pb, 3, t);
		if (hist) {
			pb_fixed64(pb, 4, (uint64_t)hv[0]);
			pb_double(pb, 5, hv[1]);
			uint64_t words[64];
			for (int k = 0; k <= f->nb; k++)
				words[k] = (uint64_t)hv[2 + k];
			/* packed repeated fixed64 / double */
			pb_bytes(pb, 6, words, 8 * (size_t)(f->nb + 1));
			for (int k = 0; k < f->nb; k++)
				memcpy(&words[k], &f->bounds[k], 8);
			pb_bytes(pb, 7, words, 8 * (size_t)f->nb);
		} else if (f->integer) {
			pb_fixed64(pb, 6, (uint64_t)(int64_t)v[0]);
		} else {
			pb_double(pb, 4, v[0]);
		}
		pb_end(pb, dp);
	}
	w->npoints_metric++;
	w->batch_points++;
}

static void resource_attrs_json(struct ow *w, FILE *f, uint32_t node)
{
	const char *nd = ig_strtab_str(w->e->nodes, node);
	fputs("{\"resource\":{\"attributes\":[", f);
	json_kv(f, 1, "service.name", "ingero");
	if (nd)
		json_kv(f, 0, "ingero.node.id", nd);
	if (w->o->cluster && *w->o->cluster)
		json_kv(f, 0, "ingero.cluster.id", w->o->cluster);
	fputs("]},\"scopeMetrics\":[{\"scope\":{\"name\":\"ingero-metrics\",\"version\":\"" INGERO_VERSION "\"},\"metrics\":[", f);
}

static int flush_request(struct ow *w, FILE *out)
{
	close_metric(w);
	if (!w->batch_points)
		return 0;
	struct pb_buf *r = &w->req;
	pb_clear(r);
	char *jbuf = NULL;
	size_t jlen = 0;
	FILE *j = NULL;
	if (w->json) {
		if (!(j = open_memstream(&jbuf, &jlen)))
			ig_die("out of memory");
		fputs("{\"resourceMetrics\":[", j);
	}
	int nres = 0;
	for (size_t n = 0; n < w->nparts; n++) {
		struct node_part *p = &w->parts[n];
		if (!p->nmetrics)
			continue;
		if (w->json) {
			fflush(p->js);
			if (nres)
				fputc(',', j);
			resource_attrs_json(w, j, (uint32_t)n);
			fwrite(p->jsbuf, 1, p->jslen, j);
			fputs("]}]}", j);
			fclose(p->js);
			free(p->jsbuf);
			p->js = NULL;
			p->jsbuf = NULL;
			p->jslen = 0;
		} else {
			size_t rm = pb_begin(r, 1);           /* ResourceMetrics */
			size_t res = pb_begin(r, 1);          /* Resource */
			const char *nd = ig_strtab_str(w->e->nodes, (uint32_t)n);
			pb_kv(r, 1, "service.name", "ingero");
			if (nd)
				pb_kv(r, 1, "ingero.node.id", nd);
			if (w->o->cluster && *w->o->cluster)
				pb_kv(r, 1, "ingero.cluster.id", w->o->cluster);
			pb_end(r, res);
			size_t sm = pb_begin(r, 2);           /* ScopeMetrics */
			size_t sc = pb_begin(r, 1);           /* InstrumentationScope */
			pb_str(r, 1, "ingero-metrics");
			pb_str(r, 2, INGERO_VERSION);
			pb_end(r, sc);
			if (!pb_reserve(r, p->pb.len)) {
				memcpy(r->p + r->len, p->pb.p, p->pb.len);
				r->len += p->pb.len;
			}
			pb_end(r, sm);
			pb_end(r, rm);
			pb_clear(&p->pb);
		}
		p->nmetrics = 0;
		nres++;
	}
	const void *body;
	size_t blen;
	if (w->json) {
		fputs("]}", j);
		fclose(j);
		body = jbuf;
		blen = jlen;
	} else {
		if (r->oom)
			ig_die("out of memory");
		body = r->p;
		blen = r->len;
	}
	int rc = 0;
	if (out) {
		if (w->json) {
			fwrite(body, 1, blen, out);
			fputc('\n', out);
		} else {
			unsigned char be[4] = { (unsigned char)(blen >> 24), (unsigned char)(blen >> 16),
						(unsigned char)(blen >> 8), (unsigned char)blen };
			fwrite(be, 1, 4, out);
			fwrite(body, 1, blen, out);
		}
	}
	if (w->o->endpoint && mt_http_post(w->o->endpoint, "/v1/metrics",
					   w->json ? "application/json" : "application/x-protobuf", body, blen))
		rc = -1;
	free(jbuf);
	w->batch_points = 0;
	w->requests++;
	return rc;
}

int mt_write_otlp(const struct mt_engine *e, FILE *out, const struct mt_otlp_opts *o)
{
	struct ow w = { .e = e, .o = o, .json = o->json };
	w.nparts = (size_t)e->nodes->n + 1;
	w.parts = xcalloc(w.nparts, sizeof *w.parts);
	int rc = 0;
	for (size_t i = 0; i < e->n && rc == 0; i++) {
		const struct mt_series *s = &e->s[e->order[i]];
		if (w.open && (w.fam != s->fam || w.node != s->node))
			close_metric(&w);
		if (!w.open)
			open_metric(&w, s);
		struct mt_rec_reader r;
		int64_t win;
		const double *v;
		mt_reader_open(&r, e, s);
		while (rc == 0 && mt_reader_next(&r, &win, &v)) {
			if (!w.open)
				open_metric(&w, s);   /* a long series continues in the next request */
			write_point(&w, s, win, v);
			if (w.batch_points >= BATCH_POINTS)
				rc = flush_request(&w, out);
		}
		mt_reader_close(&r);
	}
	if (rc == 0)
		rc = flush_request(&w, out);
	for (size_t n = 0; n < w.nparts; n++) {
		pb_free(&w.parts[n].pb);
		if (w.parts[n].js) {
			fclose(w.parts[n].js);
			free(w.parts[n].jsbuf);
		}
	}
	free(w.parts);
	pb_free(&w.req);
	if (ig_verbose)
		fprintf(stderr, "%s: %llu OTLP metrics requests\n", ig_prog(), (unsigned long long)w.requests);
	return rc || (out && ferror(out)) ? -1 : 0;
}
