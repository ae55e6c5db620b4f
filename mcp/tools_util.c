/*
 * tools_util.c - what every MCP tool shares: JSON values, compact-text
 * results and errors (tp, terr), argument parsing against the input schema
 * (a_int, a_num, a_bool, a_str, a_op, a_node), names of ops, nodes and
 * processes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "tools.h"

/* ------------------------------------------------------------ helpers */

json_object *mcp_str(const char *s)
{
	if (!s) return NULL;
	if (ig_utf8_valid(s)) return json_object_new_string(s);
	char *t = ig_utf8_sanitize(s);
	json_object *o = json_object_new_string(t);
	free(t);
	return o;
}

json_object *mcp_i64str(int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)v);
	return json_object_new_string(b);
}

const char *mcp_op_name(int source, int op, char *buf, size_t len)
{
	const char *n = ingero_op_name(source, op);
	if (n) return n;
	snprintf(buf, len, "op%d:%d", source, op);
	return buf;
}

const char *mcp_node_name(int node)
{
	return node >= 0 && node < S.ix.nnodes ? S.ix.nodes[node] : "";
}

const char *mcp_fmt_rel(int64_t ts, char *buf, size_t len)
{
	int64_t d = ts - S.ix.start;
	snprintf(buf, len, "%s%lld.%06llds", d < 0 ? "-" : "+", (long long)(llabs(d) / 1000000000),
		 (long long)(llabs(d) % 1000000000 / 1000));
	return buf;
}

const char *dur(int64_t ns, char *buf)
{
	return ig_fmt_duration(ns, buf, IG_DUR_BUF);
}

void tp(struct res *r, const char *fmt, ...)
{
	va_list ap;
	if (r->cut) return;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	if (r->len + n > TEXT_MAX) {
		r->cut = 1;
		n = 0;
	}
	ig_grow(&r->txt, &r->cap, r->len + n + 1, 1);
	memcpy(r->txt + r->len, s, n);
	r->len += n;
	r->txt[r->len] = 0;
	free(s);
}

int terr(struct res *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	r->len = 0;
	r->cut = 0;
	tp(r, "%s", s);
	free(s);
	r->is_error = 1;
	return -1;
}

static json_object *aget(struct args *a, const char *k)
{
	json_object *v = NULL;
	if (a->o && json_object_object_get_ex(a->o, k, &v) && v && !json_object_is_type(v, json_type_null))
		return v;
	return NULL;
}

int a_int(struct res *r, struct args *a, const char *k, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	json_object *v = aget(a, k);
	*out = def;
	if (!v) return 0;
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d != floor(d)) return terr(r, "argument '%s' must be an integer", k);
		if (d < (double)min || d > (double)max)
			return terr(r, "argument '%s' must be between %lld and %lld", k, (long long)min, (long long)max);
		*out = (int64_t)d;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int)) return terr(r, "argument '%s' must be an integer", k);
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max)
		return terr(r, "argument '%s' must be between %lld and %lld", k, (long long)min, (long long)max);
	*out = x;
	return 0;
}

int a_num(struct res *r, struct args *a, const char *k, double def, double min, double max, double *out)
{
	json_object *v = aget(a, k);
	*out = def;
	if (!v) return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return terr(r, "argument '%s' must be a number", k);
	double d = json_object_get_double(v);
	if (!(d >= min && d <= max)) return terr(r, "argument '%s' must be between %g and %g", k, min, max);
	*out = d;
	return 0;
}

int a_bool(struct res *r, struct args *a, const char *k, int def, int *out)
{
	json_object *v = aget(a, k);
	*out = def;
	if (!v) return 0;
	if (!json_object_is_type(v, json_type_boolean)) return terr(r, "argument '%s' must be true or false", k);
	*out = json_object_get_boolean(v);
	return 0;
}

int a_str(struct res *r, struct args *a, const char *k, const char **out)
{
	json_object *v = aget(a, k);
	*out = NULL;
	if (!v) return 0;
	if (!json_object_is_type(v, json_type_string)) return terr(r, "argument '%s' must be a string", k);
	*out = json_object_get_string(v);
	return 0;
}

int a_op(struct res *r, const char *name, int *source, int *op)
{
	if (!ingero_op_lookup(name, source, op)) return 0;
	const char *cand[64];
	int n = 0;
	char b[32];
	for (size_t i = 0; i < S.ix.nops && n < 63; i++)
		cand[n++] = mcp_op_name(S.ix.ops[i].source, S.ix.ops[i].op, b, sizeof b);
	cand[n] = NULL;
	const char *dym = ig_did_you_mean(name, cand);
	char *known = xstrdup("");
	for (int i = 0; i < n && i < 20; i++) {
		char *t = xasprintf("%s%s%s", known, i ? ", " : "", cand[i]);
		free(known);
		known = t;
	}
	terr(r, "unknown op '%s'%s%s%s; ops in this trace: %s", name, dym ? " (did you mean '" : "", dym ? dym : "",
	     dym ? "'?)" : "", n ? known : "none");
	free(known);
	return -1;
}

int a_node(struct res *r, const char *name, int *node)
{
	for (int i = 0; i < S.ix.nnodes; i++)
		if (!strcmp(S.ix.nodes[i], name)) { *node = i; return 0; }
	const char *dym = ig_did_you_mean(name, (const char *const *)S.ix.nodes);
	char *known = xstrdup("");
	for (int i = 0; i < S.ix.nnodes && i < 32; i++) {
		char *t = xasprintf("%s%s\"%s\"", known, i ? ", " : "", S.ix.nodes[i]);
		free(known);
		known = t;
	}
	terr(r, "unknown node \"%s\"%s%s%s; known nodes: %s", name, dym ? " (did you mean \"" : "", dym ? dym : "",
	     dym ? "\"?)" : "", S.ix.nnodes ? known : "none");
	free(known);
	return -1;
}

int sev_rank(const char *s)
{
	if (!s) return 3;
	if (!strcmp(s, "HIGH")) return 0;
	if (!strcmp(s, "MEDIUM")) return 1;
	if (!strcmp(s, "LOW")) return 2;
	return 3;
}

int has_rows(const char *table)
{
	if (!ig_db_has_table(S.db, "main", table)) return 0;
	char *q = sqlite3_mprintf("SELECT EXISTS (SELECT 1 FROM \"%w\")", table);
	int r = (int)ig_db_int(S.db, q, 0);
	sqlite3_free(q);
	return r;
}

const char *comm_of(const char *node, int64_t pid)
{
	static char buf[256];
	sqlite3_stmt *st = NULL;
	buf[0] = 0;
	if (ig_db_has_table(S.db, "main", "processes"))
		sqlite3_prepare_v2(S.db, "SELECT comm FROM processes WHERE node = ?1 AND pid = ?2 "
				   "UNION ALL SELECT name FROM threads WHERE node = ?1 AND tid = ?2 LIMIT 1", -1, &st, NULL);
	else if (ig_db_has_table(S.db, "main", "process_names"))
		sqlite3_prepare_v2(S.db, ig_db_has_col(S.db, "main", "process_names", "node") ?
				   "SELECT name FROM process_names WHERE pid = ?2 ORDER BY node = ?1 DESC LIMIT 1" :
				   "SELECT name FROM process_names WHERE pid = ?2 LIMIT 1", -1, &st, NULL);
	if (!st) return buf;
	sqlite3_bind_text(st, 1, node ? node : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pid);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}
