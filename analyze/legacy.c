/* legacy.c - import the original Go Ingero's SQLite databases (schema
 * generations <=0.8, 0.9, 0.10).  The file is attached with
 * "file:PATH?immutable=1&mode=ro": SQLite then never writes it and never
 * creates -wal/-shm/-journal files next to it (forensic inputs stay
 * byte-identical).  Rows are copied with INSERT ... SELECT, converting the
 * original's mixed timestamp conventions to our START convention. */
#include <stdlib.h>
#include <string.h>

#include "ingero.h"
#include "analyze.h"

int legacy_is_sqlite(const char *path)
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

/* file: URI with everything but unreserved characters and '/' escaped. */
static char *file_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(3 * n + 40), *p = u;
	if (!u)
		return NULL;
	p += sprintf(p, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("/-_.~", *s))
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	strcpy(p, "?immutable=1&mode=ro");
	return u;
}

static int has_table(sqlite3 *db, const char *t)
{
	char *q = sqlite3_mprintf("SELECT count(*) FROM src.sqlite_master WHERE type='table' AND name=%Q", t);
	int64_t n = q ? adb_int(db, q, 0) : 0;
	sqlite3_free(q);
	return n > 0;
}

static int has_col(sqlite3 *db, const char *t, const char *c)
{
	char *q = sqlite3_mprintf("SELECT count(*) FROM pragma_table_info(%Q, 'src') WHERE name=%Q", t, c);
	int64_t n = q ? adb_int(db, q, 0) : 0;
	sqlite3_free(q);
	return n > 0;
}

static int run(sqlite3 *db, char *sql, const char *path)
{
	int rc;
	if (!sql) {
		fprintf(stderr, PROG ": %s: out of memory\n", path);
		return -1;
	}
	rc = adb_exec(db, sql, path);
	sqlite3_free(sql);
	return rc;
}

int legacy_import(struct importer *im, const char *path)
{
	sqlite3 *db = imp_db(im);
	char base[512], *uri, *version = NULL, *dflt = NULL;
	sqlite3_stmt *st;
	int rc = -1;
	int64_t mark, events = 0;

	if (imp_commit(im))
		return -1;
	imp_base_name(path, base, sizeof base);
	if (!(uri = file_uri(path)))
		return -1;
	st = adb_prepare(db, "ATTACH ?1 AS src");
	if (!st) {
		free(uri);
		return -1;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, PROG ": %s: cannot open database: %s\n", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		free(uri);
		return -1;
	}
	sqlite3_finalize(st);
	free(uri);

	/* reading the schema also validates the file (a damaged header fails here) */
	if (adb_int(db, "SELECT count(*) FROM src.sqlite_master", -1) < 0) {
		fprintf(stderr, PROG ": %s: %s at byte 0\n", path, sqlite3_errmsg(db));
		goto detach;
	}
	if (!has_table(db, "events") || !has_col(db, "events", "timestamp") ||
	    !has_col(db, "events", "duration")) {
		fprintf(stderr, PROG ": %s: not an Ingero database (no events table) at byte 0\n", path);
		goto detach;
	}
	if (has_table(db, "schema_info")) {
		st = adb_prepare(db, "SELECT value FROM src.schema_info WHERE key='version'");
		if (st && sqlite3_step(st) == SQLITE_ROW)
			version = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	int ev_node = has_col(db, "events", "node");
	int ev_rank = has_col(db, "events", "rank");
	int ev_comm = has_col(db, "events", "comm");
	int ev_cg = has_col(db, "events", "cgroup_id");
	int pn = has_table(db, "process_names");
	int pn_node = pn && has_col(db, "process_names", "node");

	/* default node: the only node named in the file, else the file's base name */
	if (ev_node) {
		st = adb_prepare(db, "SELECT CASE WHEN count(DISTINCT node) = 1 THEN max(node) END "
				 "FROM src.events WHERE node != ''");
		if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
			dflt = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (!dflt)
		dflt = strdup(base);
	if (!dflt || adb_exec(db, "BEGIN", path))
		goto detach;

	mark = adb_int(db, "SELECT coalesce(max(rowid), 0) FROM main.events", 0);
	char *node_e = ev_node ? sqlite3_mprintf("coalesce(nullif(e.node, ''), %Q)", dflt)
			       : sqlite3_mprintf("%Q", dflt);
	/* seq: integer ids as is; "node:seq" ids -> the number after the node
	 * prefix (the node name may itself contain ':'); else the row number */
	const char *seq_e = ev_node ?
		"CASE WHEN typeof(e.id) = 'integer' THEN e.id "
		"WHEN e.node != '' AND substr(e.id, 1, length(e.node) + 1) = e.node || ':' "
		"THEN CAST(substr(e.id, length(e.node) + 2) AS INTEGER) "
		"WHEN instr(e.id, ':') > 0 THEN CAST(substr(e.id, instr(e.id, ':') + 1) AS INTEGER) "
		"ELSE e.rowid END" :
		"CASE WHEN typeof(e.id) = 'integer' THEN e.id "
		"WHEN instr(e.id, ':') > 0 THEN CAST(substr(e.id, instr(e.id, ':') + 1) AS INTEGER) "
		"ELSE e.rowid END";
	char *comm_e = sqlite3_mprintf("%s%s%s",
		ev_comm ? "coalesce(nullif(e.comm, ''), " : "coalesce(",
		pn ? (pn_node ? "(SELECT pn.name FROM src.process_names pn WHERE pn.pid = e.pid AND "
				"(pn.node = e.node OR pn.node = '') ORDER BY pn.node DESC LIMIT 1)"
			      : "(SELECT pn.name FROM src.process_names pn WHERE pn.pid = e.pid)")
		   : "NULL",
		", '')");
	/* timestamps: sched_switch = resume time, block I/O and net = completion
	 * time in the original; we store the START (ts - duration) */
	/* events declares no NOT NULL (cheaper bulk inserts); keep refusing
	 * NULLs from an original file as the NOT NULL columns of events did */
	rc = run(db, sqlite3_mprintf("CREATE TEMP TRIGGER IF NOT EXISTS legacy_notnull BEFORE INSERT "
		"ON main.events WHEN NEW.seq IS NULL OR NEW.node IS NULL OR NEW.timestamp IS NULL OR "
		"NEW.pid IS NULL OR NEW.tid IS NULL OR NEW.source IS NULL OR NEW.op IS NULL OR "
		"NEW.duration IS NULL OR NEW.gpu_id IS NULL OR NEW.arg0 IS NULL OR NEW.arg1 IS NULL OR "
		"NEW.ret_code IS NULL OR NEW.stack_hash IS NULL OR NEW.comm IS NULL OR NEW.cgroup_id IS NULL "
		"BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: events'); END"), path);
	if (!rc)
		rc = run(db, sqlite3_mprintf(
		"INSERT INTO main.events(seq, node, timestamp, pid, tid, source, op, duration, gpu_id, "
		"arg0, arg1, ret_code, stack_hash, rank, local_rank, world_size, comm, cgroup_id) "
		"SELECT %s, %s, CASE WHEN (e.source = 3 AND e.op = 1) OR e.source IN (5, 7) "
		"THEN e.timestamp - e.duration ELSE e.timestamp END, e.pid, e.tid, e.source, e.op, "
		"e.duration, e.gpu_id, e.arg0, e.arg1, e.ret_code, e.stack_hash, %s, %s, "
		"%s FROM src.events e ORDER BY e.rowid",
		seq_e, node_e ? node_e : "''",
		ev_rank ? "e.rank, e.local_rank, e.world_size" : "NULL, NULL, NULL",
		comm_e ? comm_e : "''", ev_cg ? "e.cgroup_id" : "0"), path);
	events = sqlite3_changes(db);
	run(db, sqlite3_mprintf("DROP TRIGGER IF EXISTS temp.legacy_notnull"), path);
	imp_count(im, (uint64_t)events);
	sqlite3_free(node_e);
	sqlite3_free(comm_e);
	if (rc)
		goto rollback;

	/* off-CPU intervals: the original never read prev_state (-1 = unknown);
	 * in <=0.9 files arg1 is the pid itself, later the task that ran before */
	rc = run(db, sqlite3_mprintf(
		"INSERT INTO offcpu(node, pid, tid, start, duration, prev_state, preempted, "
		"culprit_pid, culprit_tid, culprit_comm, cpu) SELECT node, pid, tid, timestamp, "
		"duration, -1, 0, CASE WHEN arg1 != 0 AND arg1 != pid THEN arg1 END, NULL, NULL, NULL "
		"FROM main.events WHERE rowid > %lld AND source = 3 AND op = 1 ORDER BY rowid",
		(long long)mark), path);
	if (rc)
		goto rollback;

	if (has_table(db, "stack_traces") &&
	    (rc = run(db, sqlite3_mprintf("INSERT OR IGNORE INTO main.stack_traces(hash, ips, frames) "
		"SELECT hash, coalesce(ips, ''), coalesce(frames, '') FROM src.stack_traces "
		"ORDER BY hash"), path)))
		goto rollback;

	if (has_table(db, "causal_chains")) {
		int cn = has_col(db, "causal_chains", "node");
		char *ne = cn ? sqlite3_mprintf("coalesce(nullif(node, ''), %Q)", dflt)
			      : sqlite3_mprintf("%Q", dflt);
		rc = run(db, sqlite3_mprintf(
			"INSERT OR IGNORE INTO legacy_chains(id, detected_at, severity, summary, root_cause, "
			"explanation, recommendations, cuda_op, cuda_p99_us, cuda_p50_us, tail_ratio, "
			"timeline, node, source_file) SELECT id, detected_at, severity, summary, "
			"root_cause, explanation, recommendations, cuda_op, cuda_p99_us, cuda_p50_us, "
			"tail_ratio, timeline, %s, %Q FROM src.causal_chains ORDER BY id",
			ne ? ne : "''", path), path);
		sqlite3_free(ne);
		if (rc)
			goto rollback;
	}

	int se = has_table(db, "sessions");
	int se_node = se && has_col(db, "sessions", "node");
	if (has_table(db, "system_snapshots")) {
		/* snapshots carry no node before 0.10: attribute by the session
		 * (which names its node) whose time range holds the snapshot */
		char *ne;
		if (has_col(db, "system_snapshots", "node"))
			ne = sqlite3_mprintf("coalesce(nullif(ss.node, ''), %Q)", dflt);
		else if (se_node)
			ne = sqlite3_mprintf("coalesce((SELECT s.node FROM src.sessions s WHERE s.node != '' "
				"AND ss.timestamp >= s.started_at AND (s.stopped_at = 0 OR "
				"ss.timestamp <= s.stopped_at) ORDER BY s.started_at DESC LIMIT 1), %Q)", dflt);
		else
			ne = sqlite3_mprintf("%Q", dflt);
		rc = run(db, sqlite3_mprintf(
			"INSERT OR IGNORE INTO system_snapshots(timestamp, cpu_pct, mem_pct, mem_avail, "
			"swap_mb, load_avg, node) SELECT ss.timestamp, ss.cpu_pct, ss.mem_pct, "
			"ss.mem_avail, ss.swap_mb, ss.load_avg, %s FROM src.system_snapshots ss "
			"ORDER BY ss.timestamp", ne ? ne : "''"), path);
		sqlite3_free(ne);
		if (rc)
			goto rollback;
	}
	if (se) {
		int sr = has_col(db, "sessions", "rank");
		char *ne = se_node ? sqlite3_mprintf("coalesce(nullif(node, ''), %Q)", dflt)
				   : sqlite3_mprintf("%Q", dflt);
		rc = run(db, sqlite3_mprintf(
			"INSERT INTO main.sessions(started_at, stopped_at, gpu_model, gpu_driver, cpu_model, "
			"cpu_cores, mem_total, kernel, os_release, cuda_ver, python_ver, ingero_ver, "
			"pid_filter, flags, node, source_file, rank, local_rank, world_size) "
			"SELECT started_at, stopped_at, gpu_model, gpu_driver, cpu_model, cpu_cores, "
			"mem_total, kernel, os_release, cuda_ver, python_ver, ingero_ver, pid_filter, "
			"flags, %s, %Q, %s FROM src.sessions ORDER BY id",
			ne ? ne : "''", path, sr ? "rank, local_rank, world_size" : "NULL, NULL, NULL"),
			path);
		sqlite3_free(ne);
		if (rc)
			goto rollback;
	}
	if (pn) {
		/* process_names has no node before 0.10: the node whose events
		 * carry that pid, else the file's node */
		const char *by_sess = se_node ? "(SELECT s.node FROM src.sessions s WHERE s.node != '' "
			"AND pn.seen_at >= s.started_at AND (s.stopped_at = 0 OR pn.seen_at <= s.stopped_at) "
			"ORDER BY s.started_at DESC LIMIT 1), " : "";
		char *ne = pn_node ? sqlite3_mprintf("coalesce(nullif(pn.node, ''), %Q)", dflt) :
			ev_node ? sqlite3_mprintf("coalesce(%s(SELECT min(e.node) FROM src.events e WHERE "
				"e.pid = pn.pid AND e.node != ''), %Q)", by_sess, dflt) :
			sqlite3_mprintf("%Q", dflt);
		rc = run(db, sqlite3_mprintf(
			"INSERT OR IGNORE INTO main.process_names(pid, name, seen_at, node) "
			"SELECT pn.pid, pn.name, pn.seen_at, %s FROM src.process_names pn ORDER BY pn.pid",
			ne ? ne : "''"), path);
		if (!rc)
			rc = run(db, sqlite3_mprintf(
				"INSERT OR IGNORE INTO processes(node, pid, comm, first_seen) "
				"SELECT %s, pn.pid, pn.name, pn.seen_at FROM src.process_names pn "
				"ORDER BY pn.pid", ne ? ne : "''"), path);
		sqlite3_free(ne);
		if (rc)
			goto rollback;
	}
	rc = run(db, sqlite3_mprintf(
		"INSERT INTO nodes(name, kernel, rank, recorder, first_ts, last_ts, events) "
		"SELECT e.node, coalesce((SELECT s.kernel FROM main.sessions s WHERE s.node = e.node "
		"AND s.kernel != '' ORDER BY s.started_at LIMIT 1), ''), max(e.rank), "
		"'ingero (Go) ' || %Q, min(e.timestamp), max(e.timestamp + e.duration), count(*) "
		"FROM main.events e WHERE e.rowid > %lld GROUP BY e.node "
		"ON CONFLICT(name) DO UPDATE SET first_ts = min(first_ts, excluded.first_ts), "
		"last_ts = max(last_ts, excluded.last_ts), events = events + excluded.events",
		version ? version : "?", (long long)mark), path);
	if (rc)
		goto rollback;
	st = adb_prepare(db, "INSERT INTO inputs(path, kind, events, schema_version) VALUES (?,?,?,?)");
	if (!st)
		goto rollback;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "legacy-db", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, events);
	sqlite3_bind_text(st, 4, version ? version : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	if (rc)
		goto rollback;
	rc = adb_exec(db, "COMMIT", path);
	goto detach;
rollback:
	rc = -1;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
detach:
	if (sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK && !rc) {
		fprintf(stderr, PROG ": %s: %s\n", path, sqlite3_errmsg(db));
		rc = -1;
	}
	free(version);
	free(dflt);
	return rc;
}
