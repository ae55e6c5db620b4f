/* db.c - the analysis database: create from the embedded schema.sql, bulk-load
 * pragmas, lookup tables, indexes after the load, schema_info. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingero.h"
#include "analyze.h"
#include "analyze/schema_sql.h"   /* generated from analyze/schema.sql */

const char *adb_schema_sql = (const char *)analyze_schema_sql;

#define INDEX_MARKER "-- @indexes"

int adb_exec(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ig_error("%s: %s", what, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *adb_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		ig_error("database: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

static int fill_lookups(sqlite3 *db)
{
	sqlite3_stmt *s = adb_prepare(db, "INSERT INTO sources(id, name, description) VALUES (?,?,?)");
	sqlite3_stmt *o = adb_prepare(db, "INSERT INTO ops(source_id, op_id, name, description) VALUES (?,?,?,?)");
	int rc = -1;
	if (!s || !o)
		goto out;
	for (int src = 1; src < INGERO_SRC_MAX; src++) {
		const char *n = ingero_source_name(src);
		if (!n && src != 2)
			continue;
		sqlite3_bind_int(s, 1, src);
		sqlite3_bind_text(s, 2, n ? n : "reserved", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, n ? ingero_source_desc(src) : "reserved (unused by the original Ingero)",
				  -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto out;
		sqlite3_reset(s);
	}
	size_t nops;
	const struct ingero_op_info *ops = ingero_ops(&nops);
	for (size_t i = 0; i < nops; i++) {
		sqlite3_bind_int(o, 1, ops[i].source);
		sqlite3_bind_int(o, 2, ops[i].op);
		sqlite3_bind_text(o, 3, ops[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(o, 4, ops[i].desc, -1, SQLITE_STATIC);
		if (sqlite3_step(o) != SQLITE_DONE)
			goto out;
		sqlite3_reset(o);
	}
	rc = 0;
out:
	if (rc)
		ig_error("database: lookup tables: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_finalize(o);
	return rc;
}

sqlite3 *adb_create(const char *path)
{
	sqlite3 *db = NULL;
	char *tables = NULL;
	const char *mark;

	/* Only a new or empty file: replacing an existing output is decided
	 * by ig_out_open (--force), which hands us its empty temporary. */
	struct stat st;
	if (lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > 0)) {
		ig_error("%s: exists and is not an empty file, refusing to write over it", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
			    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		ig_error("%s: cannot create database: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	/* Bulk load: no journal (a crash leaves a half-written analysis file that
	 * is simply recreated), sorter threads for indexes.  A small page cache
	 * during the load: appends touch only the right edge of each b-tree, and
	 * a large cache costs a fresh page (malloc, zeroing, page faults) per
	 * 8 KiB written -- 25 % of the import's CPU at 32 MiB (bench/analyze);
	 * adb_finish enlarges it for the indexes and the engine. */
	if (adb_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
		     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=FILE;"
		     "PRAGMA cache_size=-2048; PRAGMA threads=2; PRAGMA page_size=8192", path))
		goto fail;
	mark = strstr(adb_schema_sql, INDEX_MARKER);
	tables = strndup(adb_schema_sql, mark ? (size_t)(mark - adb_schema_sql) : strlen(adb_schema_sql));
	if (!tables || adb_exec(db, "BEGIN", path) || adb_exec(db, tables, "schema") ||
	    fill_lookups(db) || adb_exec(db, "COMMIT", path))
		goto fail;
	free(tables);
	return db;
fail:
	free(tables);
	sqlite3_close(db);
	return NULL;
}

int adb_finish(sqlite3 *db, const char *created_from)
{
	const char *mark = strstr(adb_schema_sql, INDEX_MARKER);
	sqlite3_stmt *st;
	int rc = 0;

	/* (PRAGMA mmap_size for the engine's full scans saves the pread copies,
	 * ~0.25 us/event of system time, but counts the mapped database in
	 * the RSS: 1.1 GB at 10 M events, over the 500 MB bar; not used) */
	if (adb_exec(db, "PRAGMA cache_size=-32768", "database"))
		return -1;
	if (mark && adb_exec(db, mark, "building indexes"))
		return -1;
	st = adb_prepare(db, "INSERT OR REPLACE INTO schema_info(key, value) VALUES (?, ?)");
	if (!st)
		return -1;
	const char *kv[][2] = {
		{"schema_version", "ingero-c-1"},
		{"ingero_c_version", INGERO_VERSION},
		{"created_from", created_from ? created_from : ""},
		{"timestamp_unit", "nanoseconds (Unix epoch), START of the call/interval"},
		{"duration_unit", "nanoseconds"},
		{"version", "ingero-c-1"},
		{"example_query", "SELECT node, source, count(*), avg(duration)/1000 FROM events GROUP BY node, source"},
	};
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		sqlite3_bind_text(st, 1, kv[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc)
		ig_error("database: schema_info: %s", sqlite3_errmsg(db));
	/* planner statistics for the engine's queries (cheap with a row limit) */
	/* ANALYZE of a table without an index counts its rows in a full scan:
	 * every table but event_rows (read only in full scans, where statistics
	 * do not change the plan; 1.5 s at 10 M events) */
	if (!rc)
		rc = adb_exec(db, "PRAGMA analysis_limit=1000", "analyze");
	if (!rc && (st = adb_prepare(db, "SELECT group_concat('ANALYZE \"' || name || '\"', ';') FROM sqlite_master "
				       "WHERE type = 'table' AND name != 'event_rows' AND name NOT LIKE 'sqlite_%'"))) {
		char *sql = NULL;
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			sql = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		rc = sql ? adb_exec(db, sql, "analyze") : -1;
		free(sql);
	}
	return rc;
}
