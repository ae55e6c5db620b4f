/*
 * ingero-sql - strictly read-only SQL over an Ingero-C analysis database or
 * one of the original Go Ingero's .db files.  The guard (read-only open,
 * authorizer, statement checks, limits) is export/sqlguard.c, shared with
 * ingero-mcp's run_sql; this file parses options and prints results.
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
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "db.h"
#include "sql_schema.h"
#include "sqlguard.h"

#define PROG "ingero-sql"
#define SQL_LIMIT IG_SQL_SQL_LIMIT
#define CELL_MAX 200                         /* table mode: cell display width cap */

enum fmt { F_TABLE, F_CSV, F_JSON, F_NDJSON };

static struct {
	enum fmt fmt;
	long long limit;
	double timeout_s;
	long long mem_mb;
	int schema;
	const char *db_path;
	struct ig_sqlguard g;
} G = { .fmt = F_TABLE, .limit = 10000, .timeout_s = 10, .mem_mb = 256 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] DB|RECORDING|BUNDLE [SQL]\n"
		"       " PROG " [options] DB < query.sql\n"
		"       " PROG " --schema DB\n"
		"Runs read-only SQL on an Ingero-C analysis database or an original Ingero .db.\n"
		"A recording directory, segment or bundle is analyzed first (ingero-analyze)\n"
		"into a temporary database, removed on exit.  The view named_events adds\n"
		"source_name and op_name to events (functions source_name(s), op_name(s, o)).\n"
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
		"  -h, --help       this text;  --version  the version\n"
		"Exit status: 0 success, 1 error or refusal, 2 usage error.\n");
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

static int sql_error(sqlite3 *db, int rc)
{
	(void)db;
	fprintf(stderr, PROG ": %s\n", ig_sqlguard_error(&G.g, rc));
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
	int first = 1, rc;
	sqlite3_stmt *st;
	while ((rc = ig_sqlguard_next(&G.g, &p, &st)) > 0) {
		rc = run_stmt(db, st, first);
		sqlite3_finalize(st);
		if (rc) return rc;
		first = 0;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", G.g.msg);
		return 1;
	}
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

/* A recording rather than a database: a directory, or a file that is not
 * SQLite but empty, zstd / gzip compressed, or a tar (a bundle). */
static int needs_analysis(const char *path)
{
	struct stat sb;
	unsigned char m[512];
	if (stat(path, &sb) != 0) return 0;
	if (S_ISDIR(sb.st_mode)) {
		/* a recording holds seg-*.igz (or node-N recordings to merge) */
		DIR *d = opendir(path);
		struct dirent *e;
		int rec = 0;
		while (d && (e = readdir(d)) && !rec)
			rec = (!strncmp(e->d_name, "seg-", 4) && strstr(e->d_name, ".igz")) || !strncmp(e->d_name, "node-", 5);
		if (d) closedir(d);
		return rec ? 1 : -1;
	}
	if (!S_ISREG(sb.st_mode) || ig_is_sqlite(path)) return 0;
	if (sb.st_size == 0) return -2;
	FILE *f = fopen(path, "rb");
	if (!f) return 0;
	size_t n = fread(m, 1, sizeof m, f);
	fclose(f);
	if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return 1;   /* zstd: segment, .tar.zst */
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return 1;                                     /* .tar.gz */
	if (n >= 262 && !memcmp(m + 257, "ustar", 5)) return 1;                                   /* .tar */
	return 0;
}

int main(int argc, char **argv)
{
	struct ig_analysis an;
	int analyzed = 0;
	static const struct option lo[] = {
		{ "csv", no_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "ndjson", no_argument, NULL, 'n' }, { "table", no_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' }, { "timeout", required_argument, NULL, 'T' },
		{ "max-memory", required_argument, NULL, 'm' }, { "schema", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc = 1;
	double d;
	sqlite3 *db = NULL;
	char *sql = NULL;

	ig_set_prog(PROG);
	while ((c = ig_getopt(argc, argv, "h", lo, NULL)) != -1) {
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
		case 'h': usage(stdout); return ig_exit(0);
		case 'V': ig_print_version(); return ig_exit(0);
		default: return 2;   /* ig_getopt said why */
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
	int na = needs_analysis(G.db_path);
	if (na == -1) {
		fprintf(stderr, PROG ": %s: a directory with no recording in it (no seg-*.igz), not a database\n", G.db_path);
		return 1;
	}
	if (na == -2) {   /* the answer every tool gives for a 0-byte segment */
		fprintf(stderr, PROG ": %s: empty recording\n", G.db_path);
		return 1;
	}
	if (na == 1) {
		/* a recording / bundle: analyze it into a private temporary DB */
		fprintf(stderr, PROG ": note: %s is a recording: analyzing it into a temporary database "
			"(keep one with: ingero-analyze %s -o trace.db)\n", G.db_path, G.db_path);
		if (ig_analysis_open(&an, G.db_path, NULL))
			return 1;
		analyzed = 1;
		G.db_path = an.path;
	}
	ig_sqlguard_heap(&G.g, G.mem_mb);
	G.g.timeout_s = G.timeout_s;
	if (ig_sqlguard_open(&G.g, G.db_path)) {
		fprintf(stderr, PROG ": %s\n", G.g.msg);
		if (analyzed)
			ig_analysis_release(&an);
		return 1;
	}
	db = G.g.db;
	if (G.schema) {
		ig_sqlguard_enforce(&G.g, 0); /* our own fixed queries */
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
	ig_sqlguard_close(&G.g);
	if (analyzed)
		ig_analysis_release(&an);
	return ig_exit(rc);
}
