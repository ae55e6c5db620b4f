/*
 * sqlguard.c - the read-only SQL guard shared by ingero-sql and ingero-mcp
 * (see sqlguard.h for the layers).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "db.h"
#include "ingero.h"
#include "sqlguard.h"

static double elapsed(const struct ig_sqlguard *g)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - g->t0.tv_sec) + (t.tv_nsec - g->t0.tv_nsec) / 1e9;
}

static int progress_cb(void *ctx)
{
	struct ig_sqlguard *g = ctx;
	if (g->timeout_s > 0 && elapsed(g) > g->timeout_s) {
		g->timed_out = 1;
		return 1;
	}
	if (g->check && g->check(g->check_ctx)) {
		g->cancelled = 1;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ authorizer */

static const char *const deny_funcs[] = {
	"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit",
	"sqlite_dbpage", "sqlite_dbdata", "sqlite_dbptr", "zipfile", "sqlar_compress",
	"sqlar_uncompress", "eval", "fts5", "sqlite_offset", NULL
};

/* Pragmas that only read.  `arg` says whether an argument is allowed (it is a
 * table / index name for those, never a new value). */
static const struct { const char *name; int arg; } ro_pragmas[] = {
	{ "table_info", 1 }, { "table_xinfo", 1 }, { "index_list", 1 },
	{ "index_info", 1 }, { "index_xinfo", 1 }, { "foreign_key_list", 1 },
	{ "table_list", 1 }, { "database_list", 0 }, { "collation_list", 0 },
	{ "function_list", 0 }, { "module_list", 0 }, { "pragma_list", 0 },
	{ "compile_options", 0 }, { "user_version", 0 }, { "schema_version", 0 },
	{ "application_id", 0 }, { "page_count", 0 }, { "page_size", 0 },
	{ "freelist_count", 0 }, { "encoding", 0 }, { "data_version", 0 },
	{ "integrity_check", 1 }, { "quick_check", 1 }, { "foreign_key_check", 1 },
	{ "max_page_count", 0 }, { "auto_vacuum", 0 }, { "journal_mode", 0 },
	{ NULL, 0 }
};

static const char *action_name(int code)
{
	switch (code) {
	case SQLITE_INSERT: return "INSERT";
	case SQLITE_UPDATE: return "UPDATE";
	case SQLITE_DELETE: return "DELETE";
	case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX: return "CREATE INDEX";
	case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE: return "CREATE TABLE";
	case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TRIGGER";
	case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW: return "CREATE VIEW";
	case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE";
	case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX: return "DROP INDEX";
	case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE: return "DROP TABLE";
	case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER: return "DROP TRIGGER";
	case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW: return "DROP VIEW";
	case SQLITE_DROP_VTABLE: return "DROP VIRTUAL TABLE";
	case SQLITE_ALTER_TABLE: return "ALTER TABLE";
	case SQLITE_ATTACH: return "ATTACH";
	case SQLITE_DETACH: return "DETACH";
	case SQLITE_TRANSACTION: return "transaction control";
	case SQLITE_SAVEPOINT: return "SAVEPOINT";
	case SQLITE_ANALYZE: return "ANALYZE";
	case SQLITE_REINDEX: return "REINDEX";
	case SQLITE_PRAGMA: return "PRAGMA";
	case SQLITE_FUNCTION: return "function";
	case SQLITE_COPY: return "COPY";
	default: return "statement";
	}
}

static int refuse(struct ig_sqlguard *g, const char *fmt, ...) IG_PRINTF(2, 3);
static int refuse(struct ig_sqlguard *g, const char *fmt, ...)
{
	if (!g->refusal[0] || g->refusal_weak) {
		g->refusal_weak = 0;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(g->refusal, sizeof g->refusal, fmt, ap);
		va_end(ap);
	}
	return SQLITE_DENY;
}

static int authorizer(void *ctx, int code, const char *a, const char *b,
		      const char *db, const char *trigger)
{
	struct ig_sqlguard *g = ctx;
	(void)db;
	switch (code) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		for (int i = 0; deny_funcs[i]; i++)
			if (b && !strcasecmp(b, deny_funcs[i]))
				return refuse(g, "%s() (not allowed in read-only queries)", b);
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		for (int i = 0; ro_pragmas[i].name; i++) {
			if (!a || strcasecmp(a, ro_pragmas[i].name))
				continue;
			if (b && !ro_pragmas[i].arg)
				return refuse(g, "PRAGMA %s = %s (changes state; only reading pragmas are allowed)", a, b);
			return SQLITE_OK;
		}
		return refuse(g, "PRAGMA %s%s%s (not a read-only pragma)", a ? a : "?",
			      b ? " = " : "", b ? b : "");
	case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE:
		/* pragma table-valued functions (pragma_table_info(...)) ask for
		 * UPDATE of sqlite_master while connecting; the file is read-only and
		 * immutable, and sqlite3_stmt_readonly() still refuses a real UPDATE */
		if (code == SQLITE_UPDATE && a && !strcasecmp(a, "sqlite_master") && !trigger)
			return SQLITE_OK;
		if (a && (!strcasecmp(a, "sqlite_master") || !strcasecmp(a, "sqlite_temp_master") ||
			  !strcasecmp(a, "sqlite_schema"))) {
			refuse(g, "%s %s %s (the database is opened read-only)", action_name(code),
			       code == SQLITE_INSERT ? "into" : code == SQLITE_DELETE ? "from" : "of", a);
			g->refusal_weak = 1;
			return SQLITE_DENY;
		}
		return refuse(g, "%s %s %s (the database is opened read-only)", action_name(code),
			      code == SQLITE_INSERT ? "into" : code == SQLITE_DELETE ? "from" : "of",
			      a ? a : "?");
	case SQLITE_ATTACH: case SQLITE_DETACH:
		return refuse(g, "%s (no other database may be opened)", action_name(code));
	case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
		return refuse(g, "%s%s%s (the database is opened read-only)", action_name(code),
			      a ? " " : "", a ? a : "");
	default:
		return refuse(g, "%s%s%s (the database is opened read-only)", action_name(code),
			      a ? " " : "", a ? a : "");
	}
}

/* ----------------------------------------------------------- safe printf */

/* SQLite's own printf() allocates width/precision-sized buffers outside the
 * value-length limit (printf('%1000000000d', 1) takes ~1 GB and seconds of
 * CPU).  This replacement (also registered as format()) supports the same
 * conversions for ordinary use and refuses widths/precisions above the value
 * limit before allocating anything. */
static void safe_printf(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *f = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	sqlite3_str *out;
	int ai = 1;
	if (!f) return;
	out = sqlite3_str_new(sqlite3_context_db_handle(ctx));
	while (*f) {
		const char *pct = strchr(f, '%');
		if (!pct) { sqlite3_str_appendall(out, f); break; }
		sqlite3_str_append(out, f, (int)(pct - f));
		f = pct + 1;
		char flags[8];
		int nf = 0, left = 0;
		while (*f && strchr("-+ 0#,!", *f)) {
			if (*f == '-') left = 1;
			if (strchr("-+ 0#", *f) && nf < 6 && !strchr(flags, *f)) flags[nf++] = *f;
			flags[nf] = 0;
			f++;
		}
		flags[nf] = 0;
		long long width = 0, prec = -1;
		if (*f == '*') {
			width = ai < argc ? sqlite3_value_int64(argv[ai++]) : 0;
			if (width < 0) { left = 1; width = -width; if (nf < 6 && !strchr(flags, '-')) { flags[nf++] = '-'; flags[nf] = 0; } }
			f++;
		} else {
			while (isdigit((unsigned char)*f)) { width = width * 10 + (*f++ - '0'); if (width > IG_SQL_VALUE_LIMIT) break; }
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') { prec = ai < argc ? sqlite3_value_int64(argv[ai++]) : 0; if (prec < 0) prec = -1; f++; }
			else while (isdigit((unsigned char)*f)) { prec = prec * 10 + (*f++ - '0'); if (prec > IG_SQL_VALUE_LIMIT) break; }
		}
		while (isdigit((unsigned char)*f)) f++;
		if (width > IG_SQL_VALUE_LIMIT || prec > IG_SQL_VALUE_LIMIT) {
			char *z = sqlite3_str_finish(out);
			sqlite3_free(z);
			sqlite3_result_error_toobig(ctx);
			return;
		}
		while (*f == 'l') f++;
		char conv = *f ? *f++ : 0;
		char spec[32], *buf = NULL;
		sqlite3_value *v = NULL;
		size_t cap = (size_t)width + (size_t)(prec > 0 ? prec : 0) + 400;
		if (conv && conv != '%' && conv != 'n') v = ai < argc ? argv[ai++] : NULL;
		switch (conv) {
		case '%': sqlite3_str_appendchar(out, 1, '%'); break;
		case 'n': break;
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p': {
			char c = conv == 'i' ? 'd' : conv == 'p' ? 'X' : conv;
			long long iv = v ? sqlite3_value_int64(v) : 0;
			snprintf(spec, sizeof spec, "%%%s*.*ll%c", flags, c);
			buf = sqlite3_malloc64(cap);
			if (!buf) break;
			if (c == 'd') snprintf(buf, cap, spec, (int)width, (int)prec, iv);
			else snprintf(buf, cap, spec, (int)width, (int)prec, (unsigned long long)iv);
			sqlite3_str_appendall(out, buf);
			break;
		}
		case 'f': case 'e': case 'E': case 'g': case 'G': {
			double dv = v ? sqlite3_value_double(v) : 0.0;
			snprintf(spec, sizeof spec, "%%%s*.*%c", flags, conv);
			buf = sqlite3_malloc64(cap + 330);
			if (!buf) break;
			snprintf(buf, cap + 330, spec, (int)width, prec < 0 ? 6 : (int)prec, dv);
			sqlite3_str_appendall(out, buf);
			break;
		}
		case 'c': {
			const char *t = v ? (const char *)sqlite3_value_text(v) : NULL;
			char c = t && *t ? *t : 0;
			long long n = prec > 0 ? prec : 1;
			if (!left && width > n) sqlite3_str_appendchar(out, (int)(width - n), ' ');
			if (c) sqlite3_str_appendchar(out, (int)n, c);
			if (left && width > n) sqlite3_str_appendchar(out, (int)(width - n), ' ');
			break;
		}
		case 's': case 'z': case 'q': case 'Q': case 'w': {
			const char *t = v ? (const char *)sqlite3_value_text(v) : NULL;
			if (!t && conv == 'Q') { sqlite3_str_appendall(out, "NULL"); break; }
			if (!t) t = conv == 's' || conv == 'z' ? "" : "(NULL)";
			size_t n = strlen(t);
			if (prec >= 0 && (size_t)prec < n) n = (size_t)prec;
			sqlite3_str *q = sqlite3_str_new(NULL);
			char quote = conv == 'w' ? '"' : '\'';
			if (conv == 'Q') sqlite3_str_appendchar(q, 1, quote);
			for (size_t k = 0; k < n; k++) {
				if (conv != 's' && conv != 'z' && t[k] == quote) sqlite3_str_appendchar(q, 1, quote);
				sqlite3_str_appendchar(q, 1, t[k]);
			}
			if (conv == 'Q') sqlite3_str_appendchar(q, 1, quote);
			int ql = sqlite3_str_length(q);
			char *qs = sqlite3_str_finish(q);
			if (!left && width > ql) sqlite3_str_appendchar(out, (int)(width - ql), ' ');
			if (qs) sqlite3_str_append(out, qs, ql);
			if (left && width > ql) sqlite3_str_appendchar(out, (int)(width - ql), ' ');
			sqlite3_free(qs);
			break;
		}
		default:
			break; /* unknown conversion: dropped, like SQLite */
		}
		sqlite3_free(buf);
		if (sqlite3_str_errcode(out)) break;
	}
	int err = sqlite3_str_errcode(out);
	int len = sqlite3_str_length(out);
	char *z = sqlite3_str_finish(out);
	if (err == SQLITE_TOOBIG) sqlite3_result_error_toobig(ctx);
	else if (err) sqlite3_result_error_nomem(ctx);
	else sqlite3_result_text(ctx, z ? z : "", len, SQLITE_TRANSIENT);
	sqlite3_free(z);
}

/* ------------------------------------------------------------- statements */

/* First keyword of a statement (skipping blanks and comments). */
static void first_keyword(const char *s, char *kw, size_t kwlen)
{
	for (;;) {
		while (isspace((unsigned char)*s)) s++;
		if (s[0] == '-' && s[1] == '-') { while (*s && *s != '\n') s++; continue; }
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
			continue;
		}
		break;
	}
	size_t n = 0;
	while (isalpha((unsigned char)s[n]) && n + 1 < kwlen) { kw[n] = (char)toupper((unsigned char)s[n]); n++; }
	kw[n] = 0;
}

/* Statements refused before SQLite parses them, named by their first words
 * (the authorizer would only see their writes to sqlite_master). */
static int refuse_by_keyword(struct ig_sqlguard *g, const char *p)
{
	static const char *const kws[] = { "CREATE", "DROP", "ALTER", "VACUUM", "REINDEX",
		"ANALYZE", "ATTACH", "DETACH", "BEGIN", "COMMIT", "END", "ROLLBACK",
		"SAVEPOINT", "RELEASE", NULL };
	char kw[16], kw2[16] = "";
	const char *q = p;
	first_keyword(p, kw, sizeof kw);
	for (int i = 0; kws[i]; i++) {
		if (strcmp(kw, kws[i]))
			continue;
		/* second word for CREATE/DROP/ALTER: TABLE, INDEX, VIEW, TRIGGER, ... */
		q = strcasestr(p, kw);
		if (q && (!strcmp(kw, "CREATE") || !strcmp(kw, "DROP") || !strcmp(kw, "ALTER"))) {
			first_keyword(q + strlen(kw), kw2, sizeof kw2);
			if (!strcmp(kw2, "TEMP") || !strcmp(kw2, "TEMPORARY") || !strcmp(kw2, "UNIQUE") ||
			    !strcmp(kw2, "VIRTUAL")) {
				const char *r = strcasestr(q + strlen(kw), kw2);
				char kw3[16];
				first_keyword(r + strlen(kw2), kw3, sizeof kw3);
				snprintf(kw2, sizeof kw2, "%s", kw3);
			}
		}
		snprintf(g->msg, sizeof g->msg, "refused: %s%s%s (the database is opened read-only)",
			kw, kw2[0] ? " " : "", kw2);
		return 1;
	}
	return 0;
}

/* --------------------------------------------------------------- names */

/* source_name(source) and op_name(source, op): the names of formats/ops.def,
 * for any database (the original tool's lookup tables miss some ops) */
static void fn_source_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *n = sqlite3_value_type(argv[0]) == SQLITE_INTEGER ? ingero_source_name(sqlite3_value_int(argv[0])) : NULL;
	if (n) sqlite3_result_text(ctx, n, -1, SQLITE_STATIC);
	else sqlite3_result_null(ctx);
}

static void fn_op_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *n = sqlite3_value_type(argv[0]) == SQLITE_INTEGER && sqlite3_value_type(argv[1]) == SQLITE_INTEGER ?
		ingero_op_name(sqlite3_value_int(argv[0]), sqlite3_value_int(argv[1])) : NULL;
	if (n) sqlite3_result_text(ctx, n, -1, SQLITE_STATIC);
	else sqlite3_result_null(ctx);
}

/* ------------------------------------------------------------------ API */

static void setmsg(struct ig_sqlguard *g, const char *fmt, ...) IG_PRINTF(2, 3);
static void setmsg(struct ig_sqlguard *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof g->msg, fmt, ap);
	va_end(ap);
}

const char *ig_sqlguard_error(struct ig_sqlguard *g, int rc)
{
	sqlite3 *db = g->db;
	if (g->refusal[0]) {
		setmsg(g, "refused: %s", g->refusal);
	} else if (g->cancelled) {
		setmsg(g, "cancelled");
	} else if (g->timed_out || rc == SQLITE_INTERRUPT) {
		setmsg(g, "refused: query ran longer than %g s (%s)", g->timeout_s, g->timeout_opt);
	} else if (rc == SQLITE_TOOBIG) {
		setmsg(g, "refused: a value would exceed %d bytes (%s)", IG_SQL_VALUE_LIMIT, sqlite3_errmsg(db));
	} else if (rc == SQLITE_NOMEM) {
		setmsg(g, "refused: query needs more than %lld MB of memory (%s)", g->mem_mb, g->memory_opt);
	} else if (rc == SQLITE_READONLY || rc == SQLITE_AUTH) {
		setmsg(g, "refused: %s (the database is opened read-only)", sqlite3_errmsg(db));
	} else {
		setmsg(g, "%s: %s", g->path, sqlite3_errmsg(db));
	}
	return g->msg;
}

int ig_sqlguard_next(struct ig_sqlguard *g, const char **sql, sqlite3_stmt **out)
{
	const char *p = *sql;
	*out = NULL;
	g->msg[0] = 0;
	while (p && *p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		char kw[16];
		int rc;

		g->refusal[0] = 0;
		g->refusal_weak = 0;
		g->timed_out = 0;
		g->cancelled = 0;
		clock_gettime(CLOCK_MONOTONIC, &g->t0);
		if (refuse_by_keyword(g, p))
			return -1;
		rc = sqlite3_prepare_v2(g->db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			/* a write to a view (events is one, docs/schema.md) fails in
			 * the parser, before the authorizer names it: the same refusal */
			const char *m = sqlite3_errmsg(g->db), *v = strstr(m, " because it is a view");
			if (!g->refusal[0] && !strncmp(m, "cannot modify ", 14) && v) {
				char kw2[16];
				first_keyword(p, kw2, sizeof kw2);
				if (!strcmp(kw2, "WITH"))
					kw2[0] = 0;
				snprintf(g->refusal, sizeof g->refusal, "%s %s %.*s (the database is opened read-only)",
					 kw2[0] ? kw2 : "write", !strcmp(kw2, "INSERT") || !strcmp(kw2, "REPLACE") ?
					 "into" : !strcmp(kw2, "DELETE") ? "from" : "of", (int)(v - m - 14), m + 14);
			}
			ig_sqlguard_error(g, rc);
			return -1;
		}
		if (!st) { p = tail; continue; } /* blank or comment */
		first_keyword(p, kw, sizeof kw);
		if (strcmp(kw, "SELECT") && strcmp(kw, "WITH") && strcmp(kw, "VALUES") &&
		    strcmp(kw, "PRAGMA") && strcmp(kw, "EXPLAIN")) {
			setmsg(g, "refused: %s (only SELECT, WITH, VALUES, PRAGMA and EXPLAIN "
			       "run; the database is opened read-only)", kw[0] ? kw : "statement");
			sqlite3_finalize(st);
			return -1;
		}
		if (!sqlite3_stmt_readonly(st)) {
			setmsg(g, "refused: %s statement would write (the database is opened read-only)", kw);
			sqlite3_finalize(st);
			return -1;
		}
		*sql = tail;
		*out = st;
		return 1;
	}
	*sql = p;
	return 0;
}

int ig_sqlguard_open(struct ig_sqlguard *g, const char *path)
{
	struct stat sb;
	sqlite3 *db = NULL;
	char *uri;
	int rc;

	g->db = NULL;
	g->path = NULL;
	g->msg[0] = g->refusal[0] = 0;
	if (!g->timeout_opt) g->timeout_opt = "--timeout";
	if (!g->memory_opt) g->memory_opt = "--max-memory";
	if (stat(path, &sb) != 0) {
		setmsg(g, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		setmsg(g, "%s: not a regular file", path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		setmsg(g, "%s: %s", path, strerror(errno));
		return -1;
	}
	fclose(f);
	if (!ig_is_sqlite(path)) {
		setmsg(g, "%s: not an SQLite database", path);
		return -1;
	}
	uri = ig_db_uri(path, "mode=ro&immutable=1");
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		setmsg(g, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)0);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, (int *)0);
	/* sorts and temp b-trees stay in memory (bounded by the heap limit):
	 * nothing is ever written next to the database or in /tmp */
	sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, IG_SQL_VALUE_LIMIT);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, IG_SQL_SQL_LIMIT);
	sqlite3_limit(db, SQLITE_LIMIT_COLUMN, 2000);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 500);
	sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 200);
	sqlite3_limit(db, SQLITE_LIMIT_VDBE_OP, 250000);
	sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, 100);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 10000);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 100);
	sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1);
	sqlite3_create_function(db, "printf", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, safe_printf, NULL, NULL);
	sqlite3_create_function(db, "format", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, safe_printf, NULL, NULL);
	sqlite3_progress_handler(db, 10000, progress_cb, g);
	/* Load the schema now: a damaged or truncated file fails here, with its
	 * name, whatever the caller would have read first. */
	g->timed_out = 0;
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		setmsg(g, "%s: cannot read the schema: %s", path,
		       g->timed_out ? "timed out (--timeout)" : sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_create_function(db, "source_name", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_source_name, NULL, NULL);
	sqlite3_create_function(db, "op_name", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_op_name, NULL, NULL);
	/* named_events: events with the source and op names (a TEMP view, in
	 * memory: the file is never written) */
	char *evsrc = NULL, *cols = NULL;
	if (ig_db_has_table(db, "main", "events") && ig_db_has_col(db, "main", "events", "source") &&
	    ig_db_has_col(db, "main", "events", "op") && (evsrc = ig_db_events_rowid_src(db)) &&
	    (cols = ig_db_text(db, "SELECT group_concat('\"' || replace(name, '\"', '\"\"') || '\"', ',') "
			       "FROM pragma_table_xinfo('events', 'main') WHERE hidden != 1"))) {
		/* (events may be a view, which has no rowid: evsrc adds it) */
		char *v = xasprintf("CREATE TEMP VIEW named_events AS SELECT rowid AS event, source_name(source) AS "
				    "source_name, op_name(source, op) AS op_name, %s FROM %s", cols, evsrc);
		sqlite3_exec(db, v, NULL, NULL, NULL);
		free(v);
	}
	free(evsrc);
	free(cols);
	g->db = db;
	g->path = xstrdup(path);
	sqlite3_set_authorizer(db, authorizer, g);
	return 0;
}

void ig_sqlguard_enforce(struct ig_sqlguard *g, int on)
{
	sqlite3_set_authorizer(g->db, on ? authorizer : NULL, on ? g : NULL);
}

void ig_sqlguard_heap(struct ig_sqlguard *g, long long mb)
{
	g->mem_mb = mb;
	sqlite3_hard_heap_limit64(mb > 0 ? mb * 1024 * 1024 : 0);
}

void ig_sqlguard_close(struct ig_sqlguard *g)
{
	if (g->db)
		sqlite3_close(g->db);
	g->db = NULL;
	free(g->path);
	g->path = NULL;
}
