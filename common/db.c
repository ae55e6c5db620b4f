/* db.c - SQLite helpers (see db.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "db.h"

int ig_is_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";   /* includes the NUL */
	char buf[16];
	FILE *f = fopen(path, "rb");
	int is = 0;
	if (!f)
		return 0;
	if (fread(buf, 1, sizeof buf, f) == sizeof buf && !memcmp(buf, magic, sizeof magic))
		is = 1;
	fclose(f);
	return is;
}

char *ig_db_uri(const char *path, const char *query)
{
	size_t n = strlen(path);
	char *u = xmalloc(3 * n + 16 + (query ? strlen(query) : 0)), *p = u;
	p += sprintf(p, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("/-_.~", *s))
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	if (query)
		sprintf(p, "?%s", query);
	else
		*p = 0;
	return u;
}

sqlite3 *ig_db_open_ro(const char *path)
{
	struct stat sb;
	sqlite3 *db = NULL;

	if (stat(path, &sb) != 0) {
		ig_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		ig_error("%s: not a regular file", path);
		return NULL;
	}
	if (!ig_is_sqlite(path)) {
		ig_error("%s: not an SQLite database", path);
		return NULL;
	}
	char *uri = ig_db_uri(path, "mode=ro&immutable=1");
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		ig_error("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	/* a damaged file fails here with a message naming it, not later */
	char *err = NULL;
	if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &err) != SQLITE_OK) {
		ig_error("%s: cannot read the schema: %s", path, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int64_t ig_db_int(sqlite3 *db, const char *sql, int64_t def)
{
	sqlite3_stmt *st = NULL;
	int64_t v = def;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return def;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

char *ig_db_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

int ig_db_has_table(sqlite3 *db, const char *schema, const char *table)
{
	char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\".sqlite_master WHERE type IN ('table','view') "
				  "AND name=%Q", schema ? schema : "main", table);
	int64_t n = q ? ig_db_int(db, q, 0) : 0;
	sqlite3_free(q);
	return n > 0;
}

int ig_db_has_col(sqlite3 *db, const char *schema, const char *table, const char *col)
{
	char *q = sqlite3_mprintf("SELECT count(*) FROM pragma_table_info(%Q, %Q) WHERE name=%Q", table,
				  schema ? schema : "main", col);
	int64_t n = q ? ig_db_int(db, q, 0) : 0;
	sqlite3_free(q);
	return n > 0;
}

char *ig_db_info(sqlite3 *db, const char *key)
{
	if (!ig_db_has_table(db, "main", "schema_info"))
		return NULL;
	char *q = sqlite3_mprintf("SELECT value FROM schema_info WHERE key=%Q", key);
	char *v = q ? ig_db_text(db, q) : NULL;
	sqlite3_free(q);
	return v;
}

char *ig_db_events_rowid_src(sqlite3 *db)
{
	char *v = ig_db_text(db, "SELECT sql FROM main.sqlite_master WHERE type = 'view' AND name = 'events'");
	if (!v)
		return ig_db_has_table(db, "main", "events") ? xstrdup("main.events") : NULL;
	/* "CREATE VIEW events AS SELECT e.seq AS seq, ... FROM event_rows e ..." */
	const char *sel = strstr(v, " AS SELECT"), *from = strstr(v, "FROM event_rows e ");
	char *r = sel && from ? xasprintf("(SELECT e.rowid AS rowid,%s)", sel + 10) : NULL;
	free(v);
	return r;
}

int ig_db_kind(sqlite3 *db, const char *schema)
{
	if (!schema)
		schema = "main";
	if (!ig_db_has_table(db, schema, "events"))
		return IG_DB_OTHER;
	if (ig_db_has_table(db, schema, "schema_info")) {
		char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\".schema_info WHERE key='schema_version' "
					  "AND value LIKE 'ingero-c-%%'", schema);
		int64_t n = q ? ig_db_int(db, q, 0) : 0;
		sqlite3_free(q);
		if (n > 0)
			return IG_DB_OURS;
	}
	return IG_DB_ORIGINAL;
}
