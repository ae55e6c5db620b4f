/*
 * fuzz_db.c - libFuzzer target for SQLite inputs: the original Go Ingero's
 * databases (and ours) as ingero-analyze imports them (inputs.c: legacy.c /
 * ours.c), and as ingero-perfetto exports them (perfetto_db.c).
 * Byte 0: even = the rest is the database file as is; odd = the rest is an
 * SQL script run into a fresh database first (so the fuzzer varies tables,
 * columns and rows rather than B-tree pages).  The script runs with ATTACH,
 * PRAGMA and VACUUM denied, bounded in steps and sizes.
 */
#include <sqlite3.h>

#include "fuzz.h"
#include "common.h"
#include "analyze.h"
#include "perfetto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int deny(void *u, int what, const char *a, const char *b, const char *c, const char *d)
{
	(void)u; (void)a; (void)b; (void)c; (void)d;
	return what == SQLITE_ATTACH || what == SQLITE_DETACH || what == SQLITE_PRAGMA ? SQLITE_DENY : SQLITE_OK;
}

static int steps(void *u) { return ++*(int *)u > 2000; }

static void run_script(const char *path, const uint8_t *p, size_t n)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) { sqlite3_close(db); return; }
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_set_authorizer(db, deny, NULL);
	int count = 0;
	sqlite3_progress_handler(db, 1000, steps, &count);
	char *sql = malloc(n + 1);
	if (sql) {
		memcpy(sql, p, n);
		sql[n] = 0;
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
	}
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) { once = 1; ig_set_prog("fuzz-db"); ig_quiet = 2; }
	if (size < 1) return 0;
	const char *src = fz_path("in.db"), *out = fz_path("out.db");
	unlink(src);
	if (data[0] & 1) run_script(src, data + 1, size - 1);
	else if (fz_file_write(src, data + 1, size - 1)) return 0;
	/* ingero-analyze's import */
	unlink(out);
	sqlite3 *db = adb_create(out);
	if (db) {
		struct import_opts io = { .quiet = 1 };
		struct input_opts ino = { .no_merge_check = 1 };
		struct importer *im = imp_new(db, &io);
		if (im) {
			if (input_import(im, src, &ino) == 0) imp_finish(im);
			imp_free(im);
		}
		sqlite3_close(db);
	}
	/* ingero-perfetto's DB input, protobuf and JSON */
	FILE *f = fopen("/dev/null", "w");
	if (f) {
		for (int json = 0; json < 2; json++) {
			struct px_opts o = { .json = json, .compress = !json };
			struct px *px = px_new(f, &o);
			if (!px) break;
			if (px_input_db(px, src, &o) == 0) px_finish(px);
			px_free(px);
		}
		fclose(f);
	}
	return 0;
}
