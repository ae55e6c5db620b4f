/*
 * ingero-sql - strictly read-only SQL over an Ingero-C analysis database or
 * one of the original Go Ingero's .db files.
 *
 * Safety layers (each alone blocks writes; together they also bound time and
 * memory):
 *   1. the file is opened SQLITE_OPEN_READONLY through a `file:...?immutable=1`
 *      URI, so SQLite never takes locks nor creates -wal / -shm / -journal files;
 *   2. an authorizer allows only SELECT, READ, recursive CTEs, a whitelist of
 *      functions and of read-only PRAGMAs; everything else is refused with a
 *      one-line reason (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH,
 *      DETACH, transactions, savepoints, ANALYZE, REINDEX, VACUUM, ...);
 *   3. sqlite3_stmt_readonly() must agree, and the first keyword of every
 *      statement must be SELECT / WITH / VALUES / PRAGMA / EXPLAIN;
 *   4. extension loading is off, defensive mode and untrusted schema are on;
 *   5. limits: value length (10 MB: zeroblob/randomblob/printf bombs fail),
 *      SQL length, expression depth, no attached databases, a hard heap limit,
 *      a wall-clock timeout through the progress handler, and --limit rows.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sql_schema.h"

#define PROG "ingero-sql"
#define VALUE_LIMIT (10 * 1000 * 1000)      /* SQLITE_LIMIT_LENGTH */
#define SQL_LIMIT (1000 * 1000)             /* SQLITE_LIMIT_SQL_LENGTH */
#define CELL_MAX 200                         /* table mode: cell display width cap */

enum fmt { F_TABLE, F_CSV, F_JSON, F_NDJSON };

static struct {
	enum fmt fmt;
	long long limit;
	double timeout_s;
	long long mem_mb;
	int schema;
	const char *db_path;
	char refusal[512];       /* set by the authorizer */
	struct timespec t0;
	int timed_out;
} G = { .fmt = F_TABLE, .limit = 10000, .timeout_s = 10, .mem_mb = 256 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] DB [SQL]\n"
		"       " PROG " [options] DB < query.sql\n"
		"       " PROG " --schema DB\n"
		"Runs read-only SQL on an Ingero-C analysis database or an original Ingero .db.\n"
		"The file is opened immutable and read-only; writes, ATTACH, state-changing\n"
		"PRAGMAs, transactions and extension loading are refused.\n"
		"  --table          aligned table (default)\n"
		"  --csv            RFC 4180 CSV with a header row\n"
		"  --json           one JSON array of objects per statement\n"
		"  --ndjson         one JSON object per line\n"
		"  --limit N        at most N rows per statement (default 10000; 0 = no limit)\n"
		"  --timeout S      stop a statement after S seconds (default 10)\n"
		"  --max-memory MB  hard heap limit (default 256)\n"
		"  --schema         print tables and columns with descriptions\n"
		"  -h, --help       this text\n"
		"Exit status: 0 success, 1 error or refusal, 2 usage error.\n");
}

static double elapsed(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - G.t0.tv_sec) + (t.tv_nsec - G.t0.tv_nsec) / 1e9;
}

static int progress_cb(void *ctx)
{
	(void)ctx;
	if (G.timeout_s > 0 && elapsed() > G.timeout_s) {
		G.timed_out = 1;
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

static int refusal_weak; /* the message is about sqlite_master: a CREATE/DROP may say better */

static int refuse(const char *fmt, ...)
{
	if (!G.refusal[0] || refusal_weak) {
		refusal_weak = 0;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(G.refusal, sizeof G.refusal, fmt, ap);
		va_end(ap);
	}
	return SQLITE_DENY;
}

static int authorizer(void *ctx, int code, const char *a, const char *b,
		      const char *db, const char *trigger)
{
	(void)ctx; (void)db; (void)trigger;
	switch (code) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		for (int i = 0; deny_funcs[i]; i++)
			if (b && !strcasecmp(b, deny_funcs[i]))
				return refuse("%s() (not allowed in read-only queries)", b);
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		for (int i = 0; ro_pragmas[i].name; i++) {
			if (!a || strcasecmp(a, ro_pragmas[i].name))
				continue;
			if (b && !ro_pragmas[i].arg)
				return refuse("PRAGMA %s = %s (changes state; only reading pragmas are allowed)", a, b);
			return SQLITE_OK;
		}
		return refuse("PRAGMA %s%s%s (not a read-only pragma)", a ? a : "?",
			      b ? " = " : "", b ? b : "");
	case SQLITE_INSERT: case SQLITE_UPDATE: case SQLITE_DELETE:
		/* pragma table-valued functions (pragma_table_info(...)) ask for
		 * UPDATE of sqlite_master while connecting; the file is read-only and
		 * immutable, and sqlite3_stmt_readonly() still refuses a real UPDATE */
		if (code == SQLITE_UPDATE && a && !strcasecmp(a, "sqlite_master") && !trigger)
			return SQLITE_OK;
		if (a && (!strcasecmp(a, "sqlite_master") || !strcasecmp(a, "sqlite_temp_master") ||
			  !strcasecmp(a, "sqlite_schema"))) {
			refuse("%s %s %s (the database is opened read-only)", action_name(code),
			       code == SQLITE_INSERT ? "into" : code == SQLITE_DELETE ? "from" : "of", a);
			refusal_weak = 1;
			return SQLITE_DENY;
		}
		return refuse("%s %s %s (the database is opened read-only)", action_name(code),
			      code == SQLITE_INSERT ? "into" : code == SQLITE_DELETE ? "from" : "of",
			      a ? a : "?");
	case SQLITE_ATTACH: case SQLITE_DETACH:
		return refuse("%s (no other database may be opened)", action_name(code));
	case SQLITE_TRANSACTION: case SQLITE_SAVEPOINT:
		return refuse("%s%s%s (the database is opened read-only)", action_name(code),
			      a ? " " : "", a ? a : "");
	default:
		return refuse("%s%s%s (the database is opened read-only)", action_name(code),
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
			while (isdigit((unsigned char)*f)) { width = width * 10 + (*f++ - '0'); if (width > VALUE_LIMIT) break; }
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') { prec = ai < argc ? sqlite3_value_int64(argv[ai++]) : 0; if (prec < 0) prec = -1; f++; }
			else while (isdigit((unsigned char)*f)) { prec = prec * 10 + (*f++ - '0'); if (prec > VALUE_LIMIT) break; }
		}
		while (isdigit((unsigned char)*f)) f++;
		if (width > VALUE_LIMIT || prec > VALUE_LIMIT) {
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

/* ---------------------------------------------------------------- output */

static void put_json_str(FILE *o, const unsigned char *s, size_t n)
{
	putc('"', o);
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') { putc('\\', o); putc(c, o); i++; continue; }
		if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", o); break;
			case '\r': fputs("\\r", o); break;
			case '\t': fputs("\\t", o); break;
			default: fprintf(o, "\\u%04x", c);
			}
			i++;
			continue;
		}
		if (c < 0x80) { putc(c, o); i++; continue; }
		/* validate one UTF-8 sequence; replace invalid bytes by U+FFFD */
		size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (c >= 0xf5) len = 0;
		int okseq = len && i + len <= n;
		for (size_t k = 1; okseq && k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80) okseq = 0;
		if (okseq) { fwrite(s + i, 1, len, o); i += len; }
		else { fputs("\\ufffd", o); i++; }
	}
	putc('"', o);
}

static void put_hex(FILE *o, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) { putc(hx[p[i] >> 4], o); putc(hx[p[i] & 15], o); }
}

/* Shortest text that reads back as d: plain decimals ("2040.0", "0.25")
 * for ordinary magnitudes, exponent form otherwise. */
static void fmt_double(char *buf, size_t len, double d)
{
	char t[64];
	double a = fabs(d);
	snprintf(buf, len, "%.17g", d);
	if (a == 0 || (a >= 1e-4 && a < 1e15)) {
		for (int p = 1; p <= 17; p++) {
			snprintf(t, sizeof t, "%.*f", p, d);
			if (strtod(t, NULL) == d) { snprintf(buf, len, "%s", t); return; }
		}
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(t, sizeof t, "%.*g", p, d);
		if (strtod(t, NULL) == d) { snprintf(buf, len, "%s", t); return; }
	}
}

static void put_double(FILE *o, double d)
{
	char buf[64];
	if (!isfinite(d)) { fputs("null", o); return; }
	fmt_double(buf, sizeof buf, d);
	fputs(buf, o);
}

static void put_json_value(FILE *o, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: fprintf(o, "%lld", (long long)sqlite3_column_int64(st, i)); break;
	case SQLITE_FLOAT: put_double(o, sqlite3_column_double(st, i)); break;
	case SQLITE_NULL: fputs("null", o); break;
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		fputs("\"x'", o); put_hex(o, p, (size_t)n); fputs("'\"", o);
		break;
	}
	default: {
		const unsigned char *p = sqlite3_column_text(st, i);
		put_json_str(o, p ? p : (const unsigned char *)"", (size_t)sqlite3_column_bytes(st, i));
	}
	}
}

/* Text form of a value (table and CSV).  Returns malloc'd string. */
static char *value_text(sqlite3_stmt *st, int i, size_t *len)
{
	char *s;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		s = strdup("");
		break;
	case SQLITE_FLOAT: {
		char buf[64];
		double d = sqlite3_column_double(st, i);
		if (isnan(d)) snprintf(buf, sizeof buf, "NaN");
		else if (isinf(d)) snprintf(buf, sizeof buf, d > 0 ? "Inf" : "-Inf");
		else fmt_double(buf, sizeof buf, d);
		s = strdup(buf);
		break;
	}
	case SQLITE_BLOB: {
		int n = sqlite3_column_bytes(st, i);
		const unsigned char *p = sqlite3_column_blob(st, i);
		s = malloc((size_t)n * 2 + 4);
		if (!s) break;
		static const char hx[] = "0123456789abcdef";
		size_t k = 0;
		s[k++] = 'x'; s[k++] = '\'';
		for (int j = 0; j < n; j++) { s[k++] = hx[p[j] >> 4]; s[k++] = hx[p[j] & 15]; }
		s[k++] = '\''; s[k] = 0;
		break;
	}
	default: {
		const unsigned char *p = sqlite3_column_text(st, i);
		int n = sqlite3_column_bytes(st, i);
		s = malloc((size_t)n + 1);
		if (s) { if (n) memcpy(s, p, (size_t)n); s[n] = 0; }
	}
	}
	if (!s) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
	*len = strlen(s);
	return s;
}

static void put_csv_field(FILE *o, const char *s, size_t n)
{
	int quote = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') { quote = 1; break; }
	if (!quote) { fwrite(s, 1, n, o); return; }
	putc('"', o);
	for (size_t i = 0; i < n; i++) { if (s[i] == '"') putc('"', o); putc(s[i], o); }
	putc('"', o);
}

/* display width of a UTF-8 string (code points; good enough for names) */
static size_t u8width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80) w++;
	return w;
}

/* Table mode cell: control characters shown as spaces, capped at CELL_MAX. */
static char *table_cell(char *s, size_t *len)
{
	size_t n = *len, w = 0, i;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20) s[i] = ' ';
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++w > CELL_MAX) break;
	}
	if (i < n) {
		s[i] = 0;
		char *t = malloc(i + 4);
		if (!t) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
		memcpy(t, s, i);
		memcpy(t + i, "...", 4);
		free(s);
		s = t;
		n = i + 3;
	}
	*len = n;
	return s;
}

struct table {
	int ncol;
	size_t *width;
	int *numeric;            /* right-align: every non-null value numeric */
	char **cells;            /* rows * ncol */
	size_t *lens;
	size_t rows, cap;
};

static void pad(FILE *o, size_t n) { while (n--) putc(' ', o); }

static void table_print(FILE *o, struct table *t, sqlite3_stmt *st)
{
	for (int c = 0; c < t->ncol; c++) {
		const char *h = sqlite3_column_name(st, c);
		size_t hw = u8width(h, strlen(h));
		if (c) fputs("  ", o);
		fputs(h, o);
		if (c + 1 < t->ncol) pad(o, t->width[c] - hw);
	}
	putc('\n', o);
	for (int c = 0; c < t->ncol; c++) {
		if (c) fputs("  ", o);
		for (size_t k = 0; k < t->width[c]; k++) putc('-', o);
	}
	putc('\n', o);
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncol; c++) {
			const char *s = t->cells[r * t->ncol + c];
			size_t n = t->lens[r * t->ncol + c], w = u8width(s, n);
			if (c) fputs("  ", o);
			if (t->numeric[c]) { pad(o, t->width[c] - w); fwrite(s, 1, n, o); }
			else { fwrite(s, 1, n, o); if (c + 1 < t->ncol) pad(o, t->width[c] - w); }
		}
		putc('\n', o);
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows * (size_t)t->ncol; i++) free(t->cells[i]);
	free(t->cells); free(t->lens); free(t->width); free(t->numeric);
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
static int refuse_by_keyword(const char *p)
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
		fprintf(stderr, PROG ": refused: %s%s%s (the database is opened read-only)\n",
			kw, kw2[0] ? " " : "", kw2);
		return 1;
	}
	return 0;
}

static int sql_error(sqlite3 *db, int rc)
{
	if (G.refusal[0]) {
		fprintf(stderr, PROG ": refused: %s\n", G.refusal);
	} else if (G.timed_out || rc == SQLITE_INTERRUPT) {
		fprintf(stderr, PROG ": refused: query ran longer than %g s (--timeout)\n", G.timeout_s);
	} else if (rc == SQLITE_TOOBIG) {
		fprintf(stderr, PROG ": refused: a value would exceed %d bytes (%s)\n",
			VALUE_LIMIT, sqlite3_errmsg(db));
	} else if (rc == SQLITE_NOMEM) {
		fprintf(stderr, PROG ": refused: query needs more than %lld MB of memory (--max-memory)\n",
			G.mem_mb);
	} else if (rc == SQLITE_READONLY || rc == SQLITE_AUTH) {
		fprintf(stderr, PROG ": refused: %s (the database is opened read-only)\n",
			sqlite3_errmsg(db));
	} else {
		fprintf(stderr, PROG ": %s: %s\n", G.db_path, sqlite3_errmsg(db));
	}
	return 1;
}

static int run_stmt(sqlite3 *db, sqlite3_stmt *st, int first_result)
{
	FILE *o = stdout;
	int ncol = sqlite3_column_count(st);
	long long n = 0;
	int rc, truncated = 0;
	struct table t = { 0 };

	if (ncol == 0) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
		return rc == SQLITE_DONE ? 0 : sql_error(db, rc);
	}
	if (!first_result && G.fmt == F_TABLE) putc('\n', o);
	if (G.fmt == F_CSV) {
		for (int c = 0; c < ncol; c++) {
			const char *h = sqlite3_column_name(st, c);
			if (c) putc(',', o);
			put_csv_field(o, h, strlen(h));
		}
		fputs("\r\n", o);
	} else if (G.fmt == F_JSON) {
		fputs("[", o);
	} else if (G.fmt == F_TABLE) {
		t.ncol = ncol;
		t.width = calloc((size_t)ncol, sizeof *t.width);
		t.numeric = calloc((size_t)ncol, sizeof *t.numeric);
		if (!t.width || !t.numeric) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
		for (int c = 0; c < ncol; c++) {
			const char *h = sqlite3_column_name(st, c);
			t.width[c] = u8width(h, strlen(h));
			t.numeric[c] = 1;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (G.limit > 0 && n >= G.limit) { truncated = 1; break; }
		switch (G.fmt) {
		case F_JSON:
		case F_NDJSON:
			if (G.fmt == F_JSON) fputs(n ? ",\n{" : "\n{", o);
			else putc('{', o);
			for (int c = 0; c < ncol; c++) {
				const char *h = sqlite3_column_name(st, c);
				if (c) putc(',', o);
				put_json_str(o, (const unsigned char *)h, strlen(h));
				putc(':', o);
				put_json_value(o, st, c);
			}
			fputs(G.fmt == F_JSON ? "}" : "}\n", o);
			break;
		case F_CSV:
			for (int c = 0; c < ncol; c++) {
				size_t len;
				char *s = value_text(st, c, &len);
				if (c) putc(',', o);
				put_csv_field(o, s, len);
				free(s);
			}
			fputs("\r\n", o);
			break;
		case F_TABLE:
			if (t.rows == t.cap) {
				t.cap = t.cap ? t.cap * 2 : 64;
				t.cells = realloc(t.cells, t.cap * (size_t)ncol * sizeof *t.cells);
				t.lens = realloc(t.lens, t.cap * (size_t)ncol * sizeof *t.lens);
				if (!t.cells || !t.lens) { fprintf(stderr, PROG ": out of memory\n"); exit(1); }
			}
			for (int c = 0; c < ncol; c++) {
				size_t len;
				int ty = sqlite3_column_type(st, c);
				char *s = table_cell(value_text(st, c, &len), &len);
				size_t w = u8width(s, len);
				if (ty != SQLITE_INTEGER && ty != SQLITE_FLOAT && ty != SQLITE_NULL)
					t.numeric[c] = 0;
				if (w > t.width[c]) t.width[c] = w;
				t.cells[t.rows * ncol + c] = s;
				t.lens[t.rows * ncol + c] = len;
			}
			t.rows++;
			break;
		}
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (G.fmt == F_JSON) fputs(n ? "\n]\n" : "]\n", o);
		if (G.fmt == F_TABLE) table_free(&t);
		fflush(o);
		return sql_error(db, rc);
	}
	if (G.fmt == F_JSON) fputs(n ? "\n]\n" : "]\n", o);
	if (G.fmt == F_TABLE) {
		table_print(o, &t, st);
		table_free(&t);
	}
	if (truncated)
		fprintf(stderr, PROG ": note: output truncated to %lld rows (--limit)\n", G.limit);
	return 0;
}

static int run_sql(sqlite3 *db, const char *sql)
{
	const char *p = sql;
	int first = 1;
	while (p && *p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		char kw[16];
		int rc;

		G.refusal[0] = 0;
		refusal_weak = 0;
		G.timed_out = 0;
		clock_gettime(CLOCK_MONOTONIC, &G.t0);
		if (refuse_by_keyword(p))
			return 1;
		rc = sqlite3_prepare_v2(db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return sql_error(db, rc);
		}
		if (!st) { p = tail; continue; } /* blank or comment */
		first_keyword(p, kw, sizeof kw);
		if (strcmp(kw, "SELECT") && strcmp(kw, "WITH") && strcmp(kw, "VALUES") &&
		    strcmp(kw, "PRAGMA") && strcmp(kw, "EXPLAIN")) {
			fprintf(stderr, PROG ": refused: %s (only SELECT, WITH, VALUES, PRAGMA and EXPLAIN "
				"run; the database is opened read-only)\n", kw[0] ? kw : "statement");
			sqlite3_finalize(st);
			return 1;
		}
		if (!sqlite3_stmt_readonly(st)) {
			fprintf(stderr, PROG ": refused: %s statement would write (the database is opened read-only)\n", kw);
			sqlite3_finalize(st);
			return 1;
		}
		rc = run_stmt(db, st, first);
		sqlite3_finalize(st);
		if (rc) return rc;
		first = 0;
		p = tail;
	}
	return 0;
}

/* ------------------------------------------------------------------ open */

static char *make_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(n * 3 + 64), *q = u;
	if (!u) return NULL;
	q += sprintf(q, "file:");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (isalnum(c) || strchr("/-_.~", c)) *q++ = (char)c;
		else q += sprintf(q, "%%%02X", c);
	}
	strcpy(q, "?mode=ro&immutable=1");
	return u;
}

static int open_db(const char *path, sqlite3 **out)
{
	struct stat sb;
	unsigned char magic[16];
	FILE *f;
	sqlite3 *db = NULL;
	char *uri;
	int rc;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, PROG ": %s: not a regular file\n", path);
		return 1;
	}
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t got = fread(magic, 1, sizeof magic, f);
	fclose(f);
	if (got != sizeof magic || memcmp(magic, "SQLite format 3", 16)) {
		fprintf(stderr, PROG ": %s: not an SQLite database\n", path);
		return 1;
	}
	uri = make_uri(path);
	if (!uri) { fprintf(stderr, PROG ": out of memory\n"); return 1; }
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		fprintf(stderr, PROG ": %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return 1;
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
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, VALUE_LIMIT);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, SQL_LIMIT);
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
	sqlite3_progress_handler(db, 10000, progress_cb, NULL);
	/* Load the schema now: a damaged or truncated file fails here, with its
	 * name, whatever the mode (query, --schema) would have read first. */
	clock_gettime(CLOCK_MONOTONIC, &G.t0);
	rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, PROG ": %s: cannot read the schema: %s\n", path,
			G.timed_out ? "timed out (--timeout)" : sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	sqlite3_set_authorizer(db, authorizer, NULL);
	*out = db;
	return 0;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	if (!b) return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > SQL_LIMIT * 2) { free(b); errno = EFBIG; return NULL; }
			cap *= 2;
			char *nb = realloc(b, cap);
			if (!nb) { free(b); return NULL; }
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0) break;
	}
	if (ferror(f)) { free(b); return NULL; }
	b[n] = 0;
	return b;
}

static int parse_num(const char *s, double *out)
{
	char *e;
	errno = 0;
	double d = strtod(s, &e);
	if (errno || e == s || *e || d < 0 || !isfinite(d)) return -1;
	*out = d;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", no_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "ndjson", no_argument, NULL, 'n' }, { "table", no_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' }, { "timeout", required_argument, NULL, 'T' },
		{ "max-memory", required_argument, NULL, 'm' }, { "schema", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	int c, rc = 1;
	double d;
	sqlite3 *db = NULL;
	char *sql = NULL;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': G.fmt = F_CSV; break;
		case 'j': G.fmt = F_JSON; break;
		case 'n': G.fmt = F_NDJSON; break;
		case 't': G.fmt = F_TABLE; break;
		case 's': G.schema = 1; break;
		case 'l':
			if (parse_num(optarg, &d) || d != floor(d)) goto bad;
			G.limit = (long long)d;
			break;
		case 'T':
			if (parse_num(optarg, &d) || d <= 0) goto bad;
			G.timeout_s = d;
			break;
		case 'm':
			if (parse_num(optarg, &d) || d < 8 || d > 1e6) goto bad;
			G.mem_mb = (long long)d;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		continue;
bad:
		fprintf(stderr, PROG ": invalid value for --%s: '%s'\n",
			c == 'l' ? "limit" : c == 'T' ? "timeout" : "max-memory", optarg);
		return 2;
	}
	if (optind >= argc || argc - optind > 2 || (G.schema && argc - optind != 1)) {
		usage(stderr);
		return 2;
	}
	G.db_path = argv[optind];
	sqlite3_hard_heap_limit64(G.mem_mb * 1024 * 1024);
	if (open_db(G.db_path, &db)) return 1;
	if (G.schema) {
		sqlite3_set_authorizer(db, NULL, NULL); /* our own fixed queries */
		rc = ingero_sql_print_schema(db, stdout) ? 1 : 0;
		goto out;
	}
	if (argc - optind == 2) {
		sql = strdup(argv[optind + 1]);
	} else {
		if (isatty(0)) {
			fprintf(stderr, PROG ": no query: give SQL as an argument or on stdin\n");
			rc = 2;
			goto out;
		}
		sql = read_all(stdin);
	}
	if (!sql) {
		fprintf(stderr, PROG ": cannot read the query: %s\n", strerror(errno));
		goto out;
	}
	if (strlen(sql) > SQL_LIMIT) {
		fprintf(stderr, PROG ": refused: query longer than %d bytes\n", SQL_LIMIT);
		goto out;
	}
	rc = run_sql(db, sql);
out:
	free(sql);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, PROG ": write error: %s\n", strerror(errno));
		rc = 1;
	}
	sqlite3_close(db);
	return rc;
}
