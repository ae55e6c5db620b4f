/*
 * analyze.h - ingero-analyze internals shared by main.c, db.c, import.c,
 * legacy.c and stats.c.  (The causal engine's API is engine.h.)
 *
 * Conventions: functions return 0 on success and -1 on failure after
 * printing one line "ingero-analyze: <file>: <what>" on stderr.  Warnings
 * (truncated/corrupt inputs) are printed unless quiet and counted.
 */
#ifndef INGERO_ANALYZE_H
#define INGERO_ANALYZE_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#define PROG "ingero-analyze"

struct json_object;

/* ------------------------------------------------------------------ db.c */

/* Create a fresh analysis database at path (an existing file is replaced):
 * tables of schema.sql (without its indexes), bulk-load pragmas, complete
 * sources/ops lookup tables.  Returns NULL after printing an error. */
sqlite3 *adb_create(const char *path);
/* After the load: build the indexes of schema.sql, ANALYZE, write schema_info. */
int adb_finish(sqlite3 *db, const char *created_from);
/* Execute SQL, printing "ingero-analyze: <what>: <sqlite error>" on failure. */
int adb_exec(sqlite3 *db, const char *sql, const char *what);
/* Prepare or print an error and return NULL. */
sqlite3_stmt *adb_prepare(sqlite3 *db, const char *sql);
/* Single integer result of a query (def when no row / error). */
int64_t adb_int(sqlite3 *db, const char *sql, int64_t def);
/* The embedded schema.sql (NUL-terminated). */
extern const char *adb_schema_sql;

/* -------------------------------------------------------------- import.c */

struct importer;

struct import_opts {
	int quiet;          /* no warnings on stderr */
	int progress;       /* progress line on stderr (stderr is a tty) */
};

struct importer *imp_new(sqlite3 *db, const struct import_opts *o);
/* Import one input: segment file, recording dir, dir of node recordings,
 * bundle, "-", or an original Ingero .db.  Returns 0, or -1 on a fatal
 * error (message printed). */
int imp_input(struct importer *im, const char *path);
/* Commit, fix up late metadata, fill nodes.  Returns 0 or -1. */
int imp_finish(struct importer *im);
void imp_free(struct importer *im);
uint64_t imp_events(const struct importer *im);
unsigned imp_warnings(const struct importer *im);
void imp_count(struct importer *im, uint64_t n);  /* events imported by legacy.c */
/* Print a warning (unless quiet) and count it. */
void imp_warn(struct importer *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Shared by legacy.c: begin/commit the bulk transaction. */
int imp_commit(struct importer *im);
sqlite3 *imp_db(struct importer *im);
const struct import_opts *imp_opts(const struct importer *im);
/* Node name from a file name: base name without .db/.igz/.tar* ("local" for -). */
void imp_base_name(const char *path, char *out, size_t len);

/* FNV-64a as the original computes stack hashes (see docs/schema.md). */
#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL
static inline uint64_t fnv64a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= FNV64_PRIME; }
	return h;
}
/* Hash of a stack: symbolic when any frame has a symbol or file, else raw IPs.
 * syms/files may hold NULL entries. */
uint64_t imp_stack_hash(unsigned depth, const uint64_t *ips, const char *const *syms,
			const char *const *files);

/* -------------------------------------------------------------- legacy.c */

/* 1 if the file starts with the SQLite magic. */
int legacy_is_sqlite(const char *path);
/* Import an original Ingero database (opened immutable, read-only). */
int legacy_import(struct importer *im, const char *path);

/* --------------------------------------------------------------- stats.c */

/* Report filter (also passed to the engine). */
struct afilter {
	const char *node;   /* NULL = all */
	int64_t pid;        /* -1 = all */
	int source, op;     /* 0 = all */
	const char *op_name;
	int64_t since, until; /* unix ns, 0 = open; [since, until) on timestamp */
};

struct span { int64_t start, end; uint64_t events; };
/* Recording span: min(timestamp) .. max(timestamp + duration) over events. */
int stats_span(sqlite3 *db, struct span *s);
/* SQL WHERE clause for the filter (sqlite3_free it); "1" when open. */
char *stats_where(const struct afilter *f);

/* Text output: per-op table; per-process table; summary. */
int stats_print_ops(sqlite3 *db, const struct afilter *f, FILE *out);
int stats_print_per_process(sqlite3 *db, const struct afilter *f, FILE *out);
int stats_print_summary(sqlite3 *db, const struct afilter *f, FILE *out);
/* JSON equivalents. */
struct json_object *stats_json_ops(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_per_process(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_recording(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_summary(sqlite3 *db, const struct afilter *f);

/* Nearest-rank index ceil(p*n)-1 clamped to [0, n-1] (n > 0), p in permille. */
static inline uint64_t stats_rank(uint64_t n, unsigned permille)
{
	uint64_t r = (n * permille + 999) / 1000;
	return r ? r - 1 : 0;
}

#endif
