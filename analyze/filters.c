/* filters.c - --node/--pid/--op/--since/--until against what was imported.
 *
 * A request that matches nothing is an error, not an empty report
 * (docs/cli.md): each filter that selects no event says so with what exists
 * ("--node 'nod-1': 0 events; known nodes: node-0, node-1 (did you mean
 * 'node-1'?)"), a window that is reversed or outside the recording prints
 * the recording's span, and an empty recording is an error too.  The checks
 * that scan events run only when the answer is already "nothing" (or once,
 * with LIMIT 1, for a combination of filters). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingero.h"
#include "analyze.h"

/* "2026-03-15 00:36:29.010 UTC" */
static const char *fmt_utc(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	if (ns < 0 || !gmtime_r(&s, &tm)) {
		snprintf(buf, len, "%lld ns", (long long)ns);
		return buf;
	}
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03d UTC", (int)(ns % 1000000000 / 1000000));
	return buf;
}

/* growing text: the list of what exists */
struct list { char *s; size_t len, cap; int n; };
static void list_add(struct list *l, const char *item)
{
	size_t n = strlen(item) + 3;
	ig_grow(&l->s, &l->cap, l->len + n, 1);
	l->len += (size_t)snprintf(l->s + l->len, l->cap - l->len, "%s%s", l->n++ ? ", " : "", item);
}

/* the column-0 texts of sql (at most max, then "..."), into l and cand */
static void collect(sqlite3 *db, const char *sql, int max, struct list *l, const char ***cand, size_t *nc)
{
	sqlite3_stmt *st = adb_prepare(db, sql);
	size_t cap = 0;
	int n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!t)
			continue;
		if (n++ == max) {
			list_add(l, "...");
			continue;
		}
		if (n > max)
			continue;
		list_add(l, t);
		if (cand) {
			ig_grow(cand, &cap, *nc + 2, sizeof **cand);
			(*cand)[(*nc)++] = xstrdup(t);
			(*cand)[*nc] = NULL;
		}
	}
	sqlite3_finalize(st);
}

static void free_cand(const char **cand, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)cand[i]);
	free(cand);
}

static int64_t exists(sqlite3 *db, const char *where)
{
	char *sql = sqlite3_mprintf("SELECT EXISTS (SELECT 1 FROM events WHERE %s)", where);
	if (!sql)
		ig_die("out of memory");
	int64_t v = ig_db_int(db, sql, -1);
	sqlite3_free(sql);
	return v;
}

static int check_node(sqlite3 *db, const char *node)
{
	char *q = sqlite3_mprintf("SELECT coalesce((SELECT events FROM nodes WHERE name = %Q), 0)", node);
	int64_t n = q ? ig_db_int(db, q, 0) : 0;
	sqlite3_free(q);
	if (n > 0)
		return 0;
	struct list l = { 0 };
	const char **cand = NULL;
	size_t nc = 0;
	collect(db, "SELECT name FROM nodes WHERE events > 0 ORDER BY name", 1000, &l, &cand, &nc);
	const char *m = cand ? ig_did_you_mean(node, cand) : NULL;
	ig_error("--node '%s': 0 events; known nodes: %s%s%s%s", node, l.s ? l.s : "none",
		 m ? " (did you mean '" : "", m ? m : "", m ? "'?)" : "");
	free_cand(cand, nc);
	free(l.s);
	return -1;
}

static int check_pid(sqlite3 *db, int64_t pid)
{
	char w[64];
	snprintf(w, sizeof w, "pid = %lld", (long long)pid);
	if (exists(db, w) != 0)
		return 0;
	struct list l = { 0 };
	collect(db, "SELECT pid || CASE WHEN max(comm) != '' THEN ' (' || max(comm) || ')' ELSE '' END "
		"FROM events GROUP BY pid ORDER BY count(*) DESC, pid", 12, &l, NULL, NULL);
	ig_error("--pid %lld: 0 events; processes recorded (most events first): %s", (long long)pid,
		 l.s ? l.s : "none");
	free(l.s);
	return -1;
}

static int check_op(sqlite3 *db, const char *name, struct afilter *f)
{
	if (ingero_op_lookup(name, &f->source, &f->op) == 0) {
		f->op_name = ingero_op_name(f->source, f->op);
		char w[64];
		snprintf(w, sizeof w, "source = %d AND op = %d", f->source, f->op);
		if (exists(db, w) != 0)
			return 0;
	}
	/* the ops recorded, by name, and a suggestion from every op name */
	struct list l = { 0 };
	sqlite3_stmt *st = adb_prepare(db, "SELECT source, op FROM events GROUP BY source, op ORDER BY count(*) DESC");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *n = ingero_op_name(sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
		if (n)
			list_add(&l, n);
	}
	sqlite3_finalize(st);
	size_t nops, nal;
	const struct ingero_op_info *ops = ingero_ops(&nops);
	const struct ingero_op_alias *al = ingero_op_aliases(&nal);
	const char **cand = xcalloc(nops + nal + 1, sizeof *cand);
	for (size_t i = 0; i < nops; i++)
		cand[i] = ops[i].name;
	for (size_t i = 0; i < nal; i++)
		cand[nops + i] = al[i].name;
	const char *m = ingero_op_lookup(name, &f->source, &f->op) ? ig_did_you_mean(name, cand) : NULL;
	ig_error("--op '%s': 0 events; ops recorded: %s%s%s%s", name, l.s ? l.s : "none",
		 m ? " (did you mean '" : "", m ? m : "", m ? "'?)" : "");
	free(cand);
	free(l.s);
	return -1;
}

/* --since/--until against the recording's span: reversed or outside it is
 * an error that prints the span */
static int window(const struct span *sp, const char *since_s, const char *until_s, struct afilter *f)
{
	char a[48], b[48], d[IG_DUR_BUF];
	if (since_s)
		ig_parse_time(since_s, sp->start, sp->end, &f->since);
	if (until_s)
		ig_parse_time(until_s, sp->start, sp->end, &f->until);
	char *why = NULL;
	if (since_s && until_s && f->until <= f->since)
		why = xasprintf("--until '%s' is not after --since '%s'", until_s, since_s);
	else if (since_s && f->since >= sp->end)
		why = xasprintf("--since '%s' is after the recording's end", since_s);
	else if (until_s && f->until <= sp->start)
		why = xasprintf("--until '%s' is before the recording's start", until_s);
	if (why) {
		ig_error("%s: 0 events; the recording spans %s .. %s (%s)", why, fmt_utc(sp->start, a, sizeof a),
			 fmt_utc(sp->end, b, sizeof b), ig_fmt_duration(sp->end - sp->start, d, sizeof d));
		free(why);
		return -1;
	}
	if (f->since < 0)
		f->since = 0;
	if (f->until < 0)
		f->until = 0;
	if (until_s && !f->until)
		f->until = 1;   /* an until before the epoch: an empty window */
	return 0;
}

int filter_resolve(sqlite3 *db, struct afilter *f, const char *op_s, const char *since_s,
		   const char *until_s, const char *inputs)
{
	struct span sp;
	if (stats_span(db, &sp))
		return -1;
	if (!sp.events && !ig_db_int(db, "SELECT EXISTS (SELECT 1 FROM events)", 0))
		return ig_error("no events in '%s'", inputs);
	if (f->node && check_node(db, f->node))
		return -1;
	if (f->pid >= 0 && check_pid(db, f->pid))
		return -1;
	if (op_s && check_op(db, op_s, f))
		return -1;
	if ((since_s || until_s) && window(&sp, since_s, until_s, f))
		return -1;
	/* each filter matches something; together? */
	if (f->node || f->pid >= 0 || op_s || since_s || until_s) {
		char *w = stats_where(f);
		int64_t any = w ? exists(db, w) : 1;
		sqlite3_free(w);
		if (any == 0) {
			struct list l = { 0 };
			char pid[32];
			snprintf(pid, sizeof pid, "--pid %lld", (long long)f->pid);
			char *n = f->node ? xasprintf("--node '%s'", f->node) : NULL;
			char *o = op_s ? xasprintf("--op '%s'", op_s) : NULL;
			char *a = since_s ? xasprintf("--since '%s'", since_s) : NULL;
			char *b = until_s ? xasprintf("--until '%s'", until_s) : NULL;
			const char *all[] = { n, f->pid >= 0 ? pid : NULL, o, a, b };
			for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
				if (all[i])
					list_add(&l, all[i]);
			ig_error("0 events match %s together (each alone matches some)", l.s);
			free(l.s); free(n); free(o); free(a); free(b);
			return -1;
		}
	}
	return 0;
}
