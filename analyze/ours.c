/* ours.c - read an analysis database that ingero-analyze wrote (schema_info
 * schema_version 'ingero-c-*'), so that `ingero-analyze job.db` gives the
 * same report as the run that wrote job.db.
 *
 * Every table of the file that our schema also has is copied as it is
 * (columns both sides have, file order kept), except what the engine
 * recomputes (causal_chains) and the lookup tables (sources, ops, filled by
 * adb_create).  The rows of its inputs table are kept: the analysis of
 * job.db is the analysis of the recordings it was made from.  The file is
 * attached immutable and read-only, as legacy.c does. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "analyze.h"

/* tables not copied: recomputed or written by adb_create / adb_finish */
static int skipped(const char *t)
{
	static const char *const skip[] = { "causal_chains", "sources", "ops", "schema_info", NULL };
	for (int i = 0; skip[i]; i++)
		if (!strcmp(t, skip[i]))
			return 1;
	return !strncmp(t, "sqlite_", 7);
}

/* "a","b",... : the stored columns of main.t that src.t also has, without
 * an INTEGER PRIMARY KEY rowid alias (a fresh one is given, so rows of
 * several inputs never collide).  NULL when there is none. */
static char *common_cols(sqlite3 *db, const char *t)
{
	char *sql = sqlite3_mprintf("SELECT group_concat('\"' || replace(m.name, '\"', '\"\"') || '\"', ',') "
		"FROM pragma_table_info(%Q, 'main') m JOIN pragma_table_info(%Q, 'src') s USING (name) "
		"WHERE NOT (m.pk = 1 AND upper(m.type) = 'INTEGER' AND "
		"(SELECT count(*) FROM pragma_table_info(%Q, 'main') WHERE pk > 0) = 1) ORDER BY m.cid",
		t, t, t);
	if (!sql)
		ig_die("out of memory");
	char *cols = ig_db_text(db, sql);
	sqlite3_free(sql);
	return cols;
}

/* event_ctx ids of the file move up by ctx_off (the rows already there), in
 * event_ctx.id and in event_rows.ctx alike */
static int copy_table(sqlite3 *db, const char *path, const char *t, int64_t ctx_off)
{
	char *cols = common_cols(db, t);
	if (!cols)
		return 0;
	char *sql, *sel = NULL;
	if (!strcmp(t, "event_ctx")) {
		sql = sqlite3_mprintf("INSERT INTO main.event_ctx(id, %s) SELECT id + %lld, %s FROM src.event_ctx "
				      "ORDER BY id", cols, (long long)ctx_off, cols);
	} else if (!strcmp(t, "event_rows") && (sel = strstr(cols, "\"ctx\""))) {
		*sel = 0;
		sql = sqlite3_mprintf("INSERT INTO main.event_rows(%s\"ctx\"%s) SELECT %s\"ctx\" + %lld%s FROM "
				      "src.event_rows ORDER BY rowid", cols, sel + 5, cols, (long long)ctx_off, sel + 5);
	} else {   /* (an older file's events table: through the view's trigger) */
		sql = sqlite3_mprintf("INSERT INTO main.\"%w\"(%s) SELECT %s FROM src.\"%w\" ORDER BY rowid",
				      t, cols, cols, t);
	}
	free(cols);
	if (!sql)
		ig_die("out of memory");
	int rc = adb_exec(db, sql, path);
	sqlite3_free(sql);
	return rc;
}

static int copy_all(sqlite3 *db, const char *path, int64_t *events)
{
	int64_t ctx_off = ig_db_int(db, "SELECT coalesce(max(id), 0) FROM main.event_ctx", 0);
	int64_t before = ig_db_int(db, "SELECT count(*) FROM main.event_rows", 0);
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	/* the tables of our schema that the file has too; an older file's
	 * events table (events is now a view over event_rows, event_ctx) */
	if (sqlite3_prepare_v2(db, "SELECT m.name FROM main.sqlite_master m JOIN src.sqlite_master s "
			       "USING (name) WHERE s.type = 'table' AND (m.type = 'table' OR m.name = 'events') "
			       "ORDER BY m.rowid", -1, &st, NULL) != SQLITE_OK)
		return ig_error("%s: %s", path, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ig_grow(&names, &cap, n + 1, sizeof *names);
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	rc = rc == SQLITE_DONE ? 0 : ig_error("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		if (!rc && !skipped(names[i]))
			rc = copy_table(db, path, names[i], ctx_off);
		free(names[i]);
	}
	free(names);
	/* (sqlite3_changes does not count the rows a view's trigger inserted) */
	*events = ig_db_int(db, "SELECT count(*) FROM main.event_rows", 0) - before;
	return rc;
}

int ours_import(struct importer *im, const char *path)
{
	sqlite3 *db = imp_db(im);
	int64_t events = 0;
	int rc = -1;

	if (imp_commit(im))
		return -1;
	char *uri = ig_db_uri(path, "immutable=1&mode=ro");
	sqlite3_stmt *st = adb_prepare(db, "ATTACH ?1 AS src");
	if (!st) {
		free(uri);
		return -1;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	int arc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(uri);
	if (arc != SQLITE_DONE)
		return ig_error("%s: cannot open database: %s", path, sqlite3_errmsg(db));
	if (ig_db_kind(db, "src") != IG_DB_OURS)
		rc = ig_error("%s: not an analysis database of ingero-analyze", path);
	else if (adb_exec(db, "BEGIN", path) == 0) {
		rc = copy_all(db, path, &events);
		if (!rc)
			rc = adb_exec(db, "COMMIT", path);
		if (rc)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	imp_count(im, (uint64_t)events);
	if (sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK && !rc)
		rc = ig_error("%s: %s", path, sqlite3_errmsg(db));
	return rc;
}
