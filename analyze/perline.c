/* perline.c - --per-line: GPU calls grouped by the Python line that issued
 * them (the innermost frame in python_frames of the call's stack), per op,
 * with exact percentiles.  Calls without Python frames are counted, not
 * grouped.  One ordered scan of the join; memory: one duration per call
 * with Python frames. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "analyze.h"
#include "common.h"
#include "db.h"
#include "engine.h"
#include "ingero.h"

struct pl {
	char *file, *func;
	int64_t line;
	int src, op;
	int64_t *d;
	size_t n;
	int64_t total, p50, p99, max;
};

struct pls {
	struct pl *v;
	size_t n;
	int64_t calls;       /* GPU calls matching the filter */
	int64_t with_py;     /* ... of which have Python frames */
};

/* GPU calls: the runtime, the driver and CUDA graphs */
#define GPU_SRC "source IN (1, 4, 8)"

static int cmp_pl(const void *a, const void *b)
{
	const struct pl *x = a, *y = b;
	int c;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	if ((c = strcmp(x->file, y->file)) || (c = strcmp(x->func, y->func)))
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->src != y->src)
		return x->src - y->src;
	return x->op - y->op;
}

static void finish(struct pl *p)
{
	for (size_t i = 0; i < p->n; i++) {
		p->total += p->d[i];
		if (p->d[i] > p->max)
			p->max = p->d[i];
	}
	p->p50 = ig_pctl_i64(p->d, p->n, 0.50);
	p->p99 = ig_pctl_i64(p->d, p->n, 0.99);
	free(p->d);
	p->d = NULL;
}

static void pls_free(struct pls *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].func);
		free(s->v[i].d);
	}
	free(s->v);
}

static int load(sqlite3 *db, const struct afilter *f, struct pls *s)
{
	size_t cap = 0, dcap = 0;
	char *w = stats_where(f);
	int rc;

	memset(s, 0, sizeof(*s));
	char *cq = sqlite3_mprintf("SELECT count(*) FROM events WHERE " GPU_SRC " AND %s", w);
	s->calls = ig_db_int(db, cq, 0);
	sqlite3_free(cq);
	if (!ig_db_has_table(db, "main", "python_frames")) {
		sqlite3_free(w);
		return 0;
	}
	char *q = sqlite3_mprintf("SELECT p.file, p.function, p.line, e.source, e.op, e.duration "
				  "FROM events e JOIN python_frames p ON p.stack_hash = e.stack_hash AND p.depth = 0 "
				  "WHERE e.stack_hash != 0 AND e." GPU_SRC " AND %s "
				  "ORDER BY p.file, p.function, p.line, e.source, e.op", w);
	sqlite3_free(w);
	sqlite3_stmt *st = adb_prepare(db, q);
	sqlite3_free(q);
	if (!st)
		return ig_error("per-line: %s", sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *file = (const char *)sqlite3_column_text(st, 0);
		const char *func = (const char *)sqlite3_column_text(st, 1);
		int64_t line = sqlite3_column_int64(st, 2);
		int src = sqlite3_column_int(st, 3), op = sqlite3_column_int(st, 4);
		struct pl *p = s->n ? &s->v[s->n - 1] : NULL;

		file = file ? file : "";
		func = func ? func : "";
		if (!p || p->line != line || p->src != src || p->op != op || strcmp(p->file, file) ||
		    strcmp(p->func, func)) {
			if (p)
				finish(p);
			ig_grow(&s->v, &cap, s->n + 1, sizeof(*s->v));
			p = &s->v[s->n++];
			*p = (struct pl){ xstrdup(file), xstrdup(func), line, src, op, NULL, 0, 0, 0, 0, 0 };
			dcap = 0;
		}
		ig_grow(&p->d, &dcap, p->n + 1, sizeof(*p->d));
		int64_t d = sqlite3_column_int64(st, 5);
		p->d[p->n++] = d < 0 ? 0 : d;
		s->with_py++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ig_error("per-line: %s", sqlite3_errmsg(db));
	if (s->n)
		finish(&s->v[s->n - 1]);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_pl);
	return 0;
}


int perline_print(sqlite3 *db, const struct afilter *f, FILE *out)
{
	struct pls s;
	char on[32], b1[32], b2[32], b3[32], b4[32], loc[1024];

	if (load(db, f, &s)) {
		pls_free(&s);
		return -1;
	}
	fprintf(out, "PER PYTHON LINE: %" PRId64 " of %" PRId64 " GPU calls carry Python frames; grouped by the "
		"innermost line and op, exact percentiles (nearest rank)\n", s.with_py, s.calls);
	if (!s.n)
		fprintf(out, "  (no Python frames in this recording: ingero-record walks CPython 3.10-3.12 "
			"frames of calls that get a user stack)\n");
	else
		fprintf(out, "  %8s %10s %10s %10s %10s  %-18s %s\n", "count", "total", "p50", "p99", "max", "op",
			"line");
	for (size_t i = 0; i < s.n; i++) {
		const struct pl *p = &s.v[i];

		snprintf(loc, sizeof(loc), "%s:%" PRId64 " in %s", p->file, p->line, p->func);
		fprintf(out, "  %8zu %10s %10s %10s %10s  %-18s %s\n", p->n, ig_fmt_duration(p->total, b1, sizeof(b1)),
			ig_fmt_duration(p->p50, b2, sizeof(b2)), ig_fmt_duration(p->p99, b3, sizeof(b3)),
			ig_fmt_duration(p->max, b4, sizeof(b4)), eng_op_name(p->src, p->op, on, sizeof(on)), loc);
	}
	pls_free(&s);
	return 0;
}

json_object *perline_json(sqlite3 *db, const struct afilter *f)
{
	struct pls s;
	char on[32];

	if (load(db, f, &s)) {
		pls_free(&s);
		return NULL;
	}
	json_object *root = json_object_new_object(), *a = json_object_new_array();
	json_object_object_add(root, "gpu_calls", json_object_new_int64(s.calls));
	json_object_object_add(root, "with_python", json_object_new_int64(s.with_py));
	for (size_t i = 0; i < s.n; i++) {
		const struct pl *p = &s.v[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(p->file));
		json_object_object_add(o, "function", json_object_new_string(p->func));
		json_object_object_add(o, "line", json_object_new_int64(p->line));
		json_object_object_add(o, "op", json_object_new_string(eng_op_name(p->src, p->op, on, sizeof(on))));
		json_object_object_add(o, "source", json_object_new_string(ingero_source_name(p->src) ?
									 ingero_source_name(p->src) : "?"));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)p->n));
		json_object_object_add(o, "total_ns", json_object_new_int64(p->total));
		json_object_object_add(o, "p50_ns", json_object_new_int64(p->p50));
		json_object_object_add(o, "p99_ns", json_object_new_int64(p->p99));
		json_object_object_add(o, "max_ns", json_object_new_int64(p->max));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "lines", a);
	pls_free(&s);
	return root;
}
