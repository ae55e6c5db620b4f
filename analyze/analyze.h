/*
 * analyze.h - ingero-analyze internals shared by main.c, db.c, inputs.c,
 * import*.c, legacy.c, ours.c and stats.c.  (The causal engine's API is
 * engine.h.)
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

#include "common.h"
#include "db.h"

#define PROG "ingero-analyze"

struct json_object;

/* ------------------------------------------------------------------ db.c */

/* Create a fresh analysis database at path, which must not exist or be an
 * empty regular file (a temporary of ig_out_open / ig_tmp_create):
 * tables of schema.sql (without its indexes), bulk-load pragmas, complete
 * sources/ops lookup tables.  Returns NULL after printing an error. */
sqlite3 *adb_create(const char *path);
/* After the load: build the indexes of schema.sql, ANALYZE, write schema_info. */
int adb_finish(sqlite3 *db, const char *created_from);
/* Execute SQL, printing "ingero-analyze: <what>: <sqlite error>" on failure. */
int adb_exec(sqlite3 *db, const char *sql, const char *what);
/* Prepare or print an error and return NULL. */
sqlite3_stmt *adb_prepare(sqlite3 *db, const char *sql);
/* The embedded schema.sql (NUL-terminated). */
extern const char *adb_schema_sql;

/* ------------------------------------------- import.c (import_int.h) */

struct importer;

struct import_opts {
	int quiet;          /* no warnings on stderr */
};

struct importer *imp_new(sqlite3 *db, const struct import_opts *o);
/* Import one recording: a segment file, a recording directory, a bundle or
 * "-".  Returns 0, or -1 on a fatal error (message printed). */
int imp_recording(struct importer *im, const char *path);
/* Fix up late metadata, fill nodes (import_fixup.c).  Returns 0 or -1. */
int imp_finish(struct importer *im);
void imp_free(struct importer *im);
uint64_t imp_events(const struct importer *im);
unsigned imp_warnings(const struct importer *im);
void imp_count(struct importer *im, uint64_t n);  /* events imported by legacy.c, ours.c */
/* Nodes read from recordings whose clocks were not corrected (not merged):
 * when there are 2 or more, their count, *names "a, b, c" and *paths the
 * inputs that held them (NULL-terminated array of strings owned by im);
 * else 0.  Free *names and *paths. */
size_t imp_unmerged(const struct importer *im, char **names, char ***paths);
/* The input being read (names the node of a file without one, the inputs row). */
void imp_set_input(struct importer *im, const char *path);
/* Print a warning (unless quiet), count it for the inputs row. */
void imp_warn(struct importer *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The inputs row of the current input. */
int imp_input_row(struct importer *im, const char *kind, const char *schema, uint64_t events);
/* Commit the bulk transaction (before another importer writes). */
int imp_commit(struct importer *im);
sqlite3 *imp_db(struct importer *im);
const struct import_opts *imp_opts(const struct importer *im);
/* Node name from a file name: base name without .db/.igz/.tar* ("local" for -). */
void imp_base_name(const char *path, char *out, size_t len);
/* Progress line of the import (a TTY, not -q): total input bytes. */
void imp_progress_start(struct importer *im, uint64_t total_bytes);
void imp_progress(struct importer *im);
void imp_progress_end(struct importer *im);

/* Hash of a stack: symbolic when any frame has a symbol or file, else raw IPs
 * (FNV-64a as the original computes stack hashes, see docs/schema.md).
 * syms/files may hold NULL entries. */
uint64_t imp_stack_hash(unsigned depth, const uint64_t *ips, const char *const *syms,
			const char *const *files);

/* -------------------------------------------------------------- inputs.c */

struct input_opts {
	int no_merge_check;  /* read a directory of unmerged node recordings as is */
	char *const *opts;   /* the user's options (not the inputs), for the merge hint */
	int nopts;
};
/* Import one input of any kind (see inputs.c).  Returns 0, or -1 after
 * printing why. */
int input_import(struct importer *im, const char *path, const struct input_opts *o);
/* After every input: several nodes from recordings whose clocks were not
 * corrected are refused (cross-node findings would be wrong) with the
 * ingero-merge command to run, unless no_merge_check.  0 or -1. */
int input_check_merged(struct importer *im, const struct input_opts *o);
/* Bytes of input under path (for the progress line); 0 for stdin. */
uint64_t input_bytes(const char *path);

/* -------------------------------------------------------------- legacy.c */

/* Import an original Ingero database (opened immutable, read-only). */
int legacy_import(struct importer *im, const char *path);

/* ---------------------------------------------------------------- ours.c */

/* Import an analysis database written by ingero-analyze: its tables as
 * they are (the engine then recomputes causal_chains). */
int ours_import(struct importer *im, const char *path);

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

/* The engine's per-op numbers (ingero_engine_opts.op_stats, kept by the
 * caller until the report is printed): the per-op table and its JSON then
 * use them instead of a scan of events when the filter has no --pid or
 * --op (the engine's population).  NULL: scan. */
struct ingero_op_stat;
void stats_use_engine(const struct ingero_op_stat *s, size_t n);

/* Text output: per-op table; per-process table; summary. */
int stats_print_ops(sqlite3 *db, const struct afilter *f, FILE *out);
int stats_print_per_process(sqlite3 *db, const struct afilter *f, FILE *out);
int stats_print_summary(sqlite3 *db, const struct afilter *f, FILE *out);
/* JSON equivalents. */
struct json_object *stats_json_ops(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_per_process(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_recording(sqlite3 *db, const struct afilter *f);
struct json_object *stats_json_summary(sqlite3 *db, const struct afilter *f);

/* --per-line (perline.c): GPU calls grouped by the innermost Python line of
 * their stack (python_frames) and op: count, total, p50, p99, max; sorted
 * by total time.  Text (0 / -1) and JSON ({gpu_calls, with_python, lines}). */
int perline_print(sqlite3 *db, const struct afilter *f, FILE *out);
struct json_object *perline_json(sqlite3 *db, const struct afilter *f);

/* ------------------------------------------------------------- filters.c */

/* Check the report's filters against the database and resolve them: --op
 * by name (op_s) into f->source/op, --since/--until into f->since/until.
 * Nothing to report (no events; a filter, window or combination that
 * matches no event) is an error naming what exists.  0 or -1. */
int filter_resolve(sqlite3 *db, struct afilter *f, const char *op_s, const char *since_s,
		   const char *until_s, const char *inputs);

/* Nearest-rank index ceil(p*n)-1 clamped to [0, n-1] (n > 0), p in permille. */
static inline uint64_t stats_rank(uint64_t n, unsigned permille)
{
	uint64_t r = (n * permille + 999) / 1000;
	return r ? r - 1 : 0;
}

#endif
