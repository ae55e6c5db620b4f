/*
 * metrics_trace.c - --traces: the analysis DB's causal chains, step findings
 * and slow / outlier steps as OTLP spans (ExportTraceServiceRequest batches,
 * same framing as the metrics: JSON lines or length-delimited protobuf), for
 * Tempo/Jaeger-style viewers.  A span covers the slow interval (a chain's
 * window, a step); outlier steps carry the original's outlier span
 * attributes (ingero.infer.step_duration_ns, baseline_p95_ns,
 * baseline_mean_ns, outlier_bucket, phase, stream_handle, pid).
 * One trace per span (ids: FNV-1a of node, kind and row id, never zero);
 * one ResourceSpans per node.  Field numbers: trace.proto, common.proto,
 * resource.proto, trace_service.proto of ../shared/reference/otlp-proto.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ingero.h"
#include "metrics.h"
#include "perfetto_pb.h"

#define BATCH_SPANS 1000
#define MAXATTR 16

struct span {
	uint8_t tid[16], sid[8];
	char name[64];
	int64_t start, end;
	int nattr;
	const char *k[MAXATTR];
	char *v[MAXATTR];        /* string value, or NULL for an int */
	int64_t iv[MAXATTR];
	const char *status;      /* error message, NULL = unset */
};

struct tw {
	const struct mt_otlp_opts *o;
	struct ig_strtab nodes;
	struct tpart {           /* per node (strtab id): its spans so far */
		struct pb_buf pb;
		FILE *js;
		char *jsb;
		size_t jsl;
		unsigned nsp;
	} *p;
	size_t cap;
	FILE *out;
	unsigned batch;
	int spans, err;
	struct pb_buf req;
};

/* a query that cannot run is an error, never an export with spans missing */
static void q_fail(struct tw *w, sqlite3 *db, const char *table)
{
	ig_error("reading %s: %s", table, sqlite3_errmsg(db));
	w->err = 1;
}

static void attr_s(struct span *s, const char *k, const char *v)
{
	if (s->nattr < MAXATTR && v && *v) {
		s->k[s->nattr] = k;
		s->v[s->nattr++] = xstrdup(v);
	}
}

static void attr_i(struct span *s, const char *k, int64_t v)
{
	if (s->nattr < MAXATTR) {
		s->k[s->nattr] = k;
		s->v[s->nattr] = NULL;
		s->iv[s->nattr++] = v;
	}
}

static void ids(struct span *s, const char *node, const char *kind, const char *id)
{
	uint64_t h = ig_fnv64a(IG_FNV64_OFFSET, node, strlen(node) + 1);
	h = ig_fnv64a(h, kind, strlen(kind) + 1);
	h = ig_fnv64a(h, id, strlen(id));
	uint64_t a = h | 1, b = ig_hash64(h) | 1, c = ig_hash64(h ^ 0x5bd1e995) | 1;
	memcpy(s->tid, &a, 8);
	memcpy(s->tid + 8, &b, 8);
	memcpy(s->sid, &c, 8);
}

static void kv_pb(struct pb_buf *b, unsigned field, const char *k, const char *v, int64_t iv)
{
	size_t kv = pb_begin(b, field);
	pb_str(b, 1, k);
	size_t av = pb_begin(b, 2);
	if (v)
		pb_str(b, 1, v);
	else
		pb_int(b, 3, iv);
	pb_end(b, av);
	pb_end(b, kv);
}

static void kv_json(FILE *f, int first, const char *k, const char *v, int64_t iv)
{
	fputs(first ? "{\"key\":" : ",{\"key\":", f);
	ig_json_str(f, k);
	if (v) {
		fputs(",\"value\":{\"stringValue\":", f);
		ig_json_str(f, v);
		fputs("}}", f);
	} else {
		fprintf(f, ",\"value\":{\"intValue\":\"%lld\"}}", (long long)iv);
	}
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int flush(struct tw *w)
{
	if (!w->batch)
		return 0;
	int json = w->o->json;
	char *jb = NULL;
	size_t jl = 0;
	FILE *j = NULL;
	pb_clear(&w->req);
	if (json) {
		if (!(j = open_memstream(&jb, &jl)))
			ig_die("out of memory");
		fputs("{\"resourceSpans\":[", j);
	}
	int nres = 0;
	for (uint32_t n = 1; n <= w->nodes.n; n++) {
		struct tpart *tp = &w->p[n];
		if (!tp->nsp)
			continue;
		const char *node = ig_strtab_str(&w->nodes, n);
		const char *cl = w->o->cluster && *w->o->cluster ? w->o->cluster : NULL;
		if (json) {
			fflush(tp->js);
			fputs(nres ? ",{\"resource\":{\"attributes\":[" : "{\"resource\":{\"attributes\":[", j);
			kv_json(j, 1, "service.name", "ingero", 0);
			if (*node)
				kv_json(j, 0, "ingero.node.id", node, 0);
			if (cl)
				kv_json(j, 0, "ingero.cluster.id", cl, 0);
			fputs("]},\"scopeSpans\":[{\"scope\":{\"name\":\"ingero-metrics\",\"version\":\"" INGERO_VERSION
			      "\"},\"spans\":[", j);
			fwrite(tp->jsb, 1, tp->jsl, j);
			fputs("]}]}", j);
			fclose(tp->js);
			free(tp->jsb);
			tp->js = NULL;
			tp->jsb = NULL;
		} else {
			struct pb_buf *r = &w->req;
			size_t rs = pb_begin(r, 1), res = pb_begin(r, 1);
			kv_pb(r, 1, "service.name", "ingero", 0);
			if (*node)
				kv_pb(r, 1, "ingero.node.id", node, 0);
			if (cl)
				kv_pb(r, 1, "ingero.cluster.id", cl, 0);
			pb_end(r, res);
			size_t ss = pb_begin(r, 2), sc = pb_begin(r, 1);
			pb_str(r, 1, "ingero-metrics");
			pb_str(r, 2, INGERO_VERSION);
			pb_end(r, sc);
			if (!pb_reserve(r, tp->pb.len)) {
				memcpy(r->p + r->len, tp->pb.p, tp->pb.len);
				r->len += tp->pb.len;
			}
			pb_end(r, ss);
			pb_end(r, rs);
			pb_clear(&tp->pb);
		}
		tp->nsp = 0;
		nres++;
	}
	const void *body;
	size_t blen;
	if (json) {
		fputs("]}", j);
		fclose(j);
		body = jb;
		blen = jl;
	} else {
		if (w->req.oom)
			ig_die("out of memory");
		body = w->req.p;
		blen = w->req.len;
	}
	if (w->out) {
		if (json) {
			fwrite(body, 1, blen, w->out);
			fputc('\n', w->out);
		} else {
			unsigned char be[4] = { (unsigned char)(blen >> 24), (unsigned char)(blen >> 16),
						(unsigned char)(blen >> 8), (unsigned char)blen };
			fwrite(be, 1, 4, w->out);
			fwrite(body, 1, blen, w->out);
		}
	}
	int rc = 0;
	if (w->o->endpoint && mt_http_post(w->o->endpoint, "/v1/traces",
					   json ? "application/json" : "application/x-protobuf", body, blen))
		rc = -1;
	free(jb);
	w->batch = 0;
	return rc;
}

static void emit(struct tw *w, struct span *s, const char *node)
{
	uint32_t n = ig_strtab_id(&w->nodes, node);
	if (n >= w->cap) {
		size_t old = w->cap;
		ig_grow(&w->p, &w->cap, n + 1, sizeof *w->p);
		memset(w->p + old, 0, (w->cap - old) * sizeof *w->p);
	}
	struct tpart *tp = &w->p[n];
	if (s->end < s->start)
		s->end = s->start;
	if (w->o->json) {
		if (!tp->js && !(tp->js = open_memstream(&tp->jsb, &tp->jsl)))
			ig_die("out of memory");
		FILE *j = tp->js;
		fputs(tp->nsp ? ",{\"traceId\":\"" : "{\"traceId\":\"", j);
		hex(j, s->tid, 16);
		fputs("\",\"spanId\":\"", j);
		hex(j, s->sid, 8);
		fputs("\",\"name\":", j);
		ig_json_str(j, s->name);
		fprintf(j, ",\"kind\":1,\"startTimeUnixNano\":\"%lld\",\"endTimeUnixNano\":\"%lld\",\"attributes\":[",
			(long long)s->start, (long long)s->end);
		for (int i = 0; i < s->nattr; i++)
			kv_json(j, i == 0, s->k[i], s->v[i], s->iv[i]);
		fputs("]", j);
		if (s->status) {
			fputs(",\"status\":{\"message\":", j);
			ig_json_str(j, s->status);
			fputs(",\"code\":2}", j);
		}
		fputs("}", j);
	} else {
		struct pb_buf *b = &tp->pb;
		size_t sp = pb_begin(b, 2);            /* ScopeSpans.spans */
		pb_bytes(b, 1, s->tid, 16);
		pb_bytes(b, 2, s->sid, 8);
		pb_str(b, 5, s->name);
		pb_uint(b, 6, 1);                      /* SPAN_KIND_INTERNAL */
		pb_fixed64(b, 7, (uint64_t)s->start);
		pb_fixed64(b, 8, (uint64_t)s->end);
		for (int i = 0; i < s->nattr; i++)
			kv_pb(b, 9, s->k[i], s->v[i], s->iv[i]);
		if (s->status) {
			size_t st = pb_begin(b, 15);
			pb_str(b, 2, s->status);
			pb_uint(b, 3, 2);              /* STATUS_CODE_ERROR */
			pb_end(b, st);
		}
		pb_end(b, sp);
	}
	for (int i = 0; i < s->nattr; i++)
		free(s->v[i]);
	tp->nsp++;
	w->spans++;
	if (++w->batch >= BATCH_SPANS && flush(w))
		w->err = 1;
}

static const char *txt(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static int has_cols(sqlite3 *db, const char *t, const char *const *cols)
{
	if (!ig_db_has_table(db, "main", t))
		return 0;
	for (; *cols; cols++)
		if (!ig_db_has_col(db, "main", t, *cols))
			return 0;
	return 1;
}

static void chains(struct tw *w, sqlite3 *db)
{
	static const char *const cols[] = { "window_start", "window_end", "kind", "impact_ns", "culprit_pid", NULL };
	if (!has_cols(db, "causal_chains", cols))
		return;
	sqlite3_stmt *st = NULL;
	char *wh = mt_where(w->o->flt, "node", "COALESCE(window_start, detected_at)", NULL);
	char *q = xasprintf("SELECT id, COALESCE(node, ''), severity, summary, root_cause, kind, "
			    "COALESCE(window_start, detected_at), COALESCE(window_end, detected_at), impact_ns, "
			    "pid, culprit_pid, culprit_comm, cuda_op, tail_ratio FROM causal_chains%s "
			    "ORDER BY COALESCE(window_start, detected_at), id", wh);
	int rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
	free(q);
	free(wh);
	if (rc != SQLITE_OK) {
		q_fail(w, db, "causal_chains");
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct span s = { 0 };
		const char *node = txt(st, 1);
		ids(&s, node, "chain", txt(st, 0));
		snprintf(s.name, sizeof s.name, "ingero.chain %s", *txt(st, 5) ? txt(st, 5) : "incident");
		s.start = sqlite3_column_int64(st, 6);
		s.end = sqlite3_column_int64(st, 7);
		attr_s(&s, "ingero.chain.id", txt(st, 0));
		attr_s(&s, "ingero.severity", txt(st, 2));
		attr_s(&s, "ingero.summary", txt(st, 3));
		attr_s(&s, "ingero.root_cause", txt(st, 4));
		attr_s(&s, "ingero.chain.kind", txt(st, 5));
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			attr_i(&s, "ingero.impact_ns", sqlite3_column_int64(st, 8));
		if (sqlite3_column_type(st, 9) != SQLITE_NULL)
			attr_i(&s, "pid", sqlite3_column_int64(st, 9));
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			attr_i(&s, "ingero.culprit.pid", sqlite3_column_int64(st, 10));
		attr_s(&s, "ingero.culprit.comm", txt(st, 11));
		attr_s(&s, "operation", txt(st, 12));
		if (!strcmp(txt(st, 2), "HIGH"))
			s.status = txt(st, 3);
		emit(w, &s, node);
	}
	if (rc != SQLITE_DONE)
		q_fail(w, db, "causal_chains");
	sqlite3_finalize(st);
}

static void findings(struct tw *w, sqlite3 *db)
{
	if (!ig_db_has_table(db, "main", "step_findings"))
		return;
	sqlite3_stmt *st = NULL;
	char *wh = mt_where(w->o->flt, "node", "start", NULL);
	char *q = xasprintf("SELECT id, node, kind, severity, pid, stream, start, duration, lost_ns, summary, "
			    "root_cause, culprit_pid, culprit_comm FROM step_findings%s ORDER BY start, id", wh);
	int rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
	free(q);
	free(wh);
	if (rc != SQLITE_OK) {
		q_fail(w, db, "step_findings");
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct span s = { 0 };
		const char *node = txt(st, 1);
		ids(&s, node, "finding", txt(st, 0));
		snprintf(s.name, sizeof s.name, "ingero.step %s", txt(st, 2));
		s.start = sqlite3_column_int64(st, 6);
		s.end = s.start + sqlite3_column_int64(st, 7);
		attr_s(&s, "ingero.finding.id", txt(st, 0));
		attr_s(&s, "ingero.finding.kind", txt(st, 2));
		attr_s(&s, "ingero.severity", txt(st, 3));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			attr_i(&s, "pid", sqlite3_column_int64(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			char b[24];
			snprintf(b, sizeof b, "%llu", (unsigned long long)sqlite3_column_int64(st, 5));
			attr_s(&s, "ingero.infer.stream_handle", b);
		}
		attr_i(&s, "ingero.lost_ns", sqlite3_column_int64(st, 8));
		attr_s(&s, "ingero.summary", txt(st, 9));
		attr_s(&s, "ingero.root_cause", txt(st, 10));
		if (sqlite3_column_type(st, 11) != SQLITE_NULL)
			attr_i(&s, "ingero.culprit.pid", sqlite3_column_int64(st, 11));
		attr_s(&s, "ingero.culprit.comm", txt(st, 12));
		emit(w, &s, node);
	}
	if (rc != SQLITE_DONE)
		q_fail(w, db, "step_findings");
	sqlite3_finalize(st);
}

static void steps(struct tw *w, sqlite3 *db)
{
	if (!ig_db_has_table(db, "main", "steps"))
		return;
	int bl = ig_db_has_table(db, "main", "step_baselines");
	char *wh = mt_where(w->o->flt, "s.node", "s.start", "s.slow != 0 OR s.outlier != ''");
	char *q = xasprintf("SELECT s.id, s.node, s.pid, s.stream, s.step, s.start, s.duration, s.phase, s.outlier, "
			    "s.slow, %s FROM steps s %s%s ORDER BY s.start, s.id",
			    bl ? "b.p95, b.mean" : "NULL, NULL",
			    bl ? "LEFT JOIN step_baselines b ON b.node = s.node AND b.pid = s.pid AND "
				 "b.stream = s.stream AND b.phase = s.phase" : "", wh);
	free(wh);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
	free(q);
	if (rc != SQLITE_OK) {
		q_fail(w, db, "steps");
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct span s = { 0 };
		const char *node = txt(st, 1);
		ids(&s, node, "step", txt(st, 0));
		const char *outl = txt(st, 8);
		snprintf(s.name, sizeof s.name, *outl ? "ingero.infer.outlier" : "ingero.step slow");
		s.start = sqlite3_column_int64(st, 5);
		s.end = s.start + sqlite3_column_int64(st, 6);
		attr_i(&s, "pid", sqlite3_column_int64(st, 2));
		char b[24];
		snprintf(b, sizeof b, "%llu", (unsigned long long)sqlite3_column_int64(st, 3));
		attr_s(&s, "ingero.infer.stream_handle", b);
		attr_i(&s, "ingero.step", sqlite3_column_int64(st, 4));
		attr_i(&s, "ingero.infer.step_duration_ns", sqlite3_column_int64(st, 6));
		attr_s(&s, "ingero.infer.phase", txt(st, 7));
		attr_s(&s, "ingero.infer.outlier_bucket", outl);
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			attr_i(&s, "ingero.infer.baseline_p95_ns", sqlite3_column_int64(st, 10));
		if (sqlite3_column_type(st, 11) != SQLITE_NULL)
			attr_i(&s, "ingero.infer.baseline_mean_ns", sqlite3_column_int64(st, 11));
		emit(w, &s, node);
	}
	if (rc != SQLITE_DONE)
		q_fail(w, db, "steps");
	sqlite3_finalize(st);
}

int mt_write_traces(struct sqlite3 *db, const char *dbpath, FILE *out, const struct mt_otlp_opts *o)
{
	struct tw w = { .o = o, .out = out };
	chains(&w, db);
	findings(&w, db);
	steps(&w, db);
	if (!w.err && flush(&w))
		w.err = 1;
	for (size_t i = 0; i < w.cap; i++) {
		pb_free(&w.p[i].pb);
		if (w.p[i].js) {
			fclose(w.p[i].js);
			free(w.p[i].jsb);
		}
	}
	free(w.p);
	pb_free(&w.req);
	ig_strtab_release(&w.nodes);
	if (w.err || (out && ferror(out)))
		return -1;
	if (ig_verbose)
		fprintf(stderr, "%s: %s: %d spans\n", ig_prog(), dbpath, w.spans);
	return w.spans;
}
