/*
 * db.h - SQLite helpers shared by every tool that reads or writes an
 * analysis database (libingero-db.a; links sqlite3).  The analysis DB
 * (analyze/schema.sql, docs/schema.md) is the contract between
 * ingero-analyze and every exporter: they open it with ig_db_open_ro().
 */
#ifndef INGERO_COMMON_DB_H
#define INGERO_COMMON_DB_H

#include <stdint.h>
#include <sqlite3.h>

/* 1 when the file starts with the SQLite magic, 0 when not (or unreadable). */
int ig_is_sqlite(const char *path);

/* Open read-only and immutable ("file:PATH?mode=ro&immutable=1"): SQLite
 * never writes the file and creates no -wal/-shm/-journal next to it.
 * Checks it is a regular file with the SQLite magic first.  Returns NULL
 * after printing "<prog>: <path>: <why>". */
sqlite3 *ig_db_open_ro(const char *path);
/* The URI used above (malloc'ed): every byte outside [A-Za-z0-9/._~-]
 * percent-encoded. */
char *ig_db_uri(const char *path, const char *query);

enum ig_db_kind {
	IG_DB_OTHER = 0,     /* SQLite, but no events table */
	IG_DB_OURS = 1,      /* written by ingero-analyze (schema_info.created_by) */
	IG_DB_ORIGINAL = 2,  /* the original Go Ingero's database */
};
/* Which kind of database db is (schema = "main" or an attached name). */
int ig_db_kind(sqlite3 *db, const char *schema);

/* 1 when table / column exists in schema ("main", "src", ...). */
int ig_db_has_table(sqlite3 *db, const char *schema, const char *table);
int ig_db_has_col(sqlite3 *db, const char *schema, const char *table, const char *col);
/* Single integer / text result of a query; def when no row or on error. */
int64_t ig_db_int(sqlite3 *db, const char *sql, int64_t def);
/* malloc'ed text of the first column of the first row, or NULL. */
char *ig_db_text(sqlite3 *db, const char *sql);
/* schema_info value of key (malloc'ed) or NULL. */
char *ig_db_info(sqlite3 *db, const char *key);
/* A FROM source (malloc'ed) for main's events rows with a rowid column:
 * "main.events" where events is a table (older analysis databases, the
 * original tool's files); where events is the view over event_rows and
 * event_ctx (docs/schema.md), that view's own SELECT with event_rows.rowid
 * added as rowid (a view has no rowid).  NULL when main has no events. */
char *ig_db_events_rowid_src(sqlite3 *db);

/*
 * An analysis database for INPUT, for tools that read analysis results
 * (ingero-perfetto, -metrics, -report, -mcp): INPUT itself when it is an
 * SQLite database (ours or the original tool's); otherwise (a recording,
 * merged recording, bundle or "-") `ingero-analyze -q` imports it and runs
 * the full engine into a private scratch database, removed on signals and
 * by ig_analysis_release.  ingero-analyze is looked up beside the running
 * executable, then on PATH.  extra: more ingero-analyze options
 * (NULL-terminated, may be NULL).  Returns 0, or -1 after printing why.
 */
struct ig_analysis {
	char *path;        /* the database to open (ig_db_open_ro) */
	char *dir;         /* scratch directory, NULL when INPUT was a database */
};
int ig_analysis_open(struct ig_analysis *a, const char *input, const char *const *extra);
/* The same, with flags: IG_ANALYSIS_IMPORT_ORIGINAL imports an original
 * Ingero .db into our schema (and runs the engine on it) instead of
 * returning it as is. */
/* IG_ANALYSIS_ENGINE analyzes again an analysis DB of ours on which the
 * engine did not run (ingero-analyze --no-report: no causal chains). */
enum { IG_ANALYSIS_IMPORT_ORIGINAL = 0x2, IG_ANALYSIS_ENGINE = 0x4 };
int ig_analysis_open_flags(struct ig_analysis *a, const char *input, const char *const *extra, unsigned flags);
void ig_analysis_release(struct ig_analysis *a);

#endif
