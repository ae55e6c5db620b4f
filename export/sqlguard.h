/*
 * sqlguard.h - the read-only SQL guard of ingero-sql, shared with
 * ingero-mcp's run_sql (libingero-sqlguard.a; links sqlite3 and
 * libingero-db.a).  Every query a user types goes through it.
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
 *      SQL length, expression depth, no attached databases, a wall-clock
 *      timeout through the progress handler; the caller sets the hard heap
 *      limit (ig_sqlguard_heap) and bounds the rows it prints.
 *
 * Messages (g->msg) are one line without the program name: "refused: ..."
 * for a refusal, "<path>: <why>" for other errors; the caller prints
 * "<prog>: <msg>".
 */
#ifndef INGERO_SQLGUARD_H
#define INGERO_SQLGUARD_H

#include <sqlite3.h>
#include <time.h>

#define IG_SQL_VALUE_LIMIT (10 * 1000 * 1000)  /* SQLITE_LIMIT_LENGTH */
#define IG_SQL_SQL_LIMIT (1000 * 1000)         /* SQLITE_LIMIT_SQL_LENGTH */

struct ig_sqlguard {
	sqlite3 *db;
	char *path;              /* a copy of the path as given (messages) */
	double timeout_s;        /* per statement; 0 = none */
	long long mem_mb;        /* only for the message; see ig_sqlguard_heap */
	const char *timeout_opt; /* named in messages: "--timeout" by default */
	const char *memory_opt;  /* "--max-memory" by default */
	/* optional: called from the progress handler; non-zero interrupts the
	 * statement (reported as SQLITE_INTERRUPT, "cancelled") */
	int (*check)(void *ctx);
	void *check_ctx;
	int cancelled;
	/* internal */
	char refusal[512];
	int refusal_weak;
	int timed_out;
	struct timespec t0;
	char msg[1024];
};

/* Open path read-only and immutable with every guard on.  Set g->timeout_s
 * (and the *_opt names) before.  0, or -1 with g->msg set. */
int ig_sqlguard_open(struct ig_sqlguard *g, const char *path);
void ig_sqlguard_close(struct ig_sqlguard *g);
/* Set SQLite's process-wide hard heap limit to mb MB (0 = none) and
 * remember it for messages. */
void ig_sqlguard_heap(struct ig_sqlguard *g, long long mb);
/* Prepare the next statement of *sql and check it.  Returns 1 with *st (the
 * caller steps and finalizes it), 0 at the end of the text, -1 after a
 * refusal or error (g->msg).  Advances *sql past the statement. */
int ig_sqlguard_next(struct ig_sqlguard *g, const char **sql, sqlite3_stmt **st);
/* g->msg for sqlite3_step()'s failing rc. */
const char *ig_sqlguard_error(struct ig_sqlguard *g, int rc);
/* The authorizer off (0) for the caller's own fixed queries, or back on. */
void ig_sqlguard_enforce(struct ig_sqlguard *g, int on);

#endif
