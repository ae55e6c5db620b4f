/* legacy.c - import the original Go Ingero's SQLite databases (schema
 * generations <=0.8, 0.9, 0.10).  The file is attached with
 * "file:PATH?immutable=1&mode=ro": SQLite then never writes it and never
 * creates -wal/-shm/-journal files next to it (forensic inputs stay
 * byte-identical).  Rows are copied with INSERT ... SELECT, converting the
 * original's mixed timestamp conventions to our START convention. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "ingero.h"
#include "analyze.h"

/* what the attached file holds (its schema generation) */
struct legacy {
	sqlite3 *db;
	const char *path;
	char *dflt;              /* default node: the only one named, else the file's base name */
	char *version;           /* schema_info version, NULL when absent */
	int64_t mark;            /* max(events.rowid) before this input */
	int64_t events;
	int ev_node, ev_rank, ev_comm, ev_cg;
	int pn, pn_node, se, se_node;
};

static int has_table(struct legacy *L, const char *t) { return ig_db_has_table(L->db, "src", t); }
static int has_col(struct legacy *L, const char *t, const char *c) { return ig_db_has_col(L->db, "src", t, c); }

/* run sql (sqlite3_mprintf'ed, freed here) */
static int run(struct legacy *L, char *sql)
{
	if (!sql)
		ig_die("out of memory");
	int rc = adb_exec(L->db, sql, L->path);
	sqlite3_free(sql);
	return rc;
}

/* ATTACH the file read-only and check it is an Ingero database */
static int attach(struct legacy *L)
{
	char *uri = ig_db_uri(L->path, "immutable=1&mode=ro");
	sqlite3_stmt *st = adb_prepare(L->db, "ATTACH ?1 AS src");
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		if (rc)
			ig_error("%s: cannot open database: %s", L->path, sqlite3_errmsg(L->db));
		sqlite3_finalize(st);
	}
	free(uri);
	return rc;
}

/* the schema generation: which tables and columns exist */
static int probe(struct legacy *L)
{
	/* reading the schema also validates the file (a damaged header fails here) */
	if (ig_db_int(L->db, "SELECT count(*) FROM src.sqlite_master", -1) < 0)
		return ig_error("%s: %s at byte 0", L->path, sqlite3_errmsg(L->db));
	if (!has_table(L, "events") || !has_col(L, "events", "timestamp") || !has_col(L, "events", "duration"))
		return ig_error("%s: not an Ingero database (no events table) at byte 0", L->path);
	if (has_table(L, "schema_info"))
		L->version = ig_db_text(L->db, "SELECT value FROM src.schema_info WHERE key='version'");
	L->ev_node = has_col(L, "events", "node");
	L->ev_rank = has_col(L, "events", "rank");
	L->ev_comm = has_col(L, "events", "comm");
	L->ev_cg = has_col(L, "events", "cgroup_id");
	L->pn = has_table(L, "process_names");
	L->pn_node = L->pn && has_col(L, "process_names", "node");
	L->se = has_table(L, "sessions");
	L->se_node = L->se && has_col(L, "sessions", "node");
	if (L->ev_node)
		L->dflt = ig_db_text(L->db, "SELECT CASE WHEN count(DISTINCT node) = 1 THEN max(node) END "
				     "FROM src.events WHERE node != ''");
	if (!L->dflt) {
		char base[512];
		imp_base_name(L->path, base, sizeof base);
		L->dflt = xstrdup(base);
	}
	return 0;
}

static int copy_events(struct legacy *L)
{
	L->mark = ig_db_int(L->db, "SELECT coalesce(max(rowid), 0) FROM main.event_rows", 0);
	char *node_e = L->ev_node ? sqlite3_mprintf("coalesce(nullif(e.node, ''), %Q)", L->dflt)
				  : sqlite3_mprintf("%Q", L->dflt);
	/* seq: integer ids as is; "node:seq" ids -> the number after the node
	 * prefix (the node name may itself contain ':'); else the row number */
	const char *seq_e = L->ev_node ?
		"CASE WHEN typeof(e.id) = 'integer' THEN e.id "
		"WHEN e.node != '' AND substr(e.id, 1, length(e.node) + 1) = e.node || ':' "
		"THEN CAST(substr(e.id, length(e.node) + 2) AS INTEGER) "
		"WHEN instr(e.id, ':') > 0 THEN CAST(substr(e.id, instr(e.id, ':') + 1) AS INTEGER) "
		"ELSE e.rowid END" :
		"CASE WHEN typeof(e.id) = 'integer' THEN e.id "
		"WHEN instr(e.id, ':') > 0 THEN CAST(substr(e.id, instr(e.id, ':') + 1) AS INTEGER) "
		"ELSE e.rowid END";
	char *comm_e = sqlite3_mprintf("%s%s%s",
		L->ev_comm ? "coalesce(nullif(e.comm, ''), " : "coalesce(",
		L->pn ? (L->pn_node ? "(SELECT pn.name FROM src.process_names pn WHERE pn.pid = e.pid AND "
				      "(pn.node = e.node OR pn.node = '') ORDER BY pn.node DESC LIMIT 1)"
				    : "(SELECT pn.name FROM src.process_names pn WHERE pn.pid = e.pid)")
		      : "NULL",
		", '')");
	if (!node_e || !comm_e)
		ig_die("out of memory");
	/* through the view: its INSTEAD OF trigger (schema.sql) fills event_ctx
	 * and event_rows and refuses NULLs where the original declared NOT NULL */
	/* timestamps: sched_switch = resume time, block I/O and net = completion
	 * time in the original; we store the START (ts - duration) */
	int rc = run(L, sqlite3_mprintf(
		"INSERT INTO main.events(seq, node, timestamp, pid, tid, source, op, duration, gpu_id, "
		"arg0, arg1, ret_code, stack_hash, rank, local_rank, world_size, comm, cgroup_id) "
		"SELECT %s, %s, CASE WHEN (e.source = %d AND e.op = %d) OR e.source IN (%d, %d) "
		"THEN e.timestamp - e.duration ELSE e.timestamp END, e.pid, e.tid, e.source, e.op, "
		"e.duration, e.gpu_id, e.arg0, e.arg1, e.ret_code, e.stack_hash, %s, %s, "
		"%s FROM src.events e ORDER BY e.rowid",
		seq_e, node_e, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, INGERO_SRC_IO, INGERO_SRC_NET,
		L->ev_rank ? "e.rank, e.local_rank, e.world_size" : "NULL, NULL, NULL",
		comm_e, L->ev_cg ? "e.cgroup_id" : "0"));
	/* (sqlite3_changes does not count rows a view's trigger inserted) */
	char *cnt = sqlite3_mprintf("SELECT count(*) FROM main.event_rows WHERE rowid > %lld",
				    (long long)L->mark);
	L->events = rc || !cnt ? 0 : ig_db_int(L->db, cnt, 0);
	sqlite3_free(cnt);
	sqlite3_free(node_e);
	sqlite3_free(comm_e);
	return rc;
}

/* off-CPU intervals: the original never read prev_state (-1 = unknown);
 * in <=0.9 files arg1 is the pid itself, later the task that ran before */
static int copy_offcpu(struct legacy *L)
{
	return run(L, sqlite3_mprintf(
		"INSERT INTO offcpu(node, pid, tid, start, duration, prev_state, preempted, "
		"culprit_pid, culprit_tid, culprit_comm, cpu) SELECT c.node, e.pid, e.tid, e.timestamp, "
		"e.duration, -1, 0, CASE WHEN e.arg1 != 0 AND e.arg1 != e.pid THEN e.arg1 END, NULL, NULL, "
		"NULL FROM main.event_rows e JOIN main.event_ctx c ON c.id = e.ctx WHERE e.rowid > %lld "
		"AND e.source = %d AND e.op = %d ORDER BY e.rowid",
		(long long)L->mark, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH));
}

/* stack traces and the original's own chains (legacy_chains) */
static int copy_stacks_chains(struct legacy *L)
{
	if (has_table(L, "stack_traces") &&
	    run(L, sqlite3_mprintf("INSERT OR IGNORE INTO main.stack_traces(hash, ips, frames) "
				   "SELECT hash, coalesce(ips, ''), coalesce(frames, '') FROM src.stack_traces "
				   "ORDER BY hash")))
		return -1;
	/* the original's Python frames (frames entries with pf / pfn / pl,
	 * innermost first) as python_frames rows, so --per-line and the
	 * report's Python lines work on its files too */
	if (has_table(L, "stack_traces") &&
	    run(L, sqlite3_mprintf("INSERT OR IGNORE INTO main.python_frames(stack_hash, depth, file, function, line) "
				   "SELECT hash, row_number() OVER (PARTITION BY hash ORDER BY k) - 1, f, fn, l FROM "
				   "(SELECT s.hash AS hash, j.key AS k, coalesce(json_extract(j.value, '$.pf'), '') AS f, "
				   "json_extract(j.value, '$.pfn') AS fn, coalesce(json_extract(j.value, '$.pl'), 0) AS l "
				   "FROM main.stack_traces s, json_each(s.frames) j WHERE json_valid(s.frames) "
				   "AND json_type(s.frames) = 'array' AND json_type(j.value) = 'object' "
				   "AND json_type(j.value, '$.pfn') = 'text') ORDER BY hash, k")))
		return -1;
	if (!has_table(L, "causal_chains"))
		return 0;
	char *ne = has_col(L, "causal_chains", "node") ? sqlite3_mprintf("coalesce(nullif(node, ''), %Q)", L->dflt)
						       : sqlite3_mprintf("%Q", L->dflt);
	int rc = run(L, sqlite3_mprintf(
		"INSERT OR IGNORE INTO legacy_chains(id, detected_at, severity, summary, root_cause, "
		"explanation, recommendations, cuda_op, cuda_p99_us, cuda_p50_us, tail_ratio, "
		"timeline, node, source_file) SELECT id, detected_at, severity, summary, "
		"root_cause, explanation, recommendations, cuda_op, cuda_p99_us, cuda_p50_us, "
		"tail_ratio, timeline, %s, %Q FROM src.causal_chains ORDER BY id",
		ne ? ne : "''", L->path));
	sqlite3_free(ne);
	return rc;
}

/* snapshots carry no node before 0.10: attribute by the session (which
 * names its node) whose time range holds the snapshot; then the sessions */
static int copy_snapshots_sessions(struct legacy *L)
{
	if (has_table(L, "system_snapshots")) {
		char *ne;
		if (has_col(L, "system_snapshots", "node"))
			ne = sqlite3_mprintf("coalesce(nullif(ss.node, ''), %Q)", L->dflt);
		else if (L->se_node)
			ne = sqlite3_mprintf("coalesce((SELECT s.node FROM src.sessions s WHERE s.node != '' "
				"AND ss.timestamp >= s.started_at AND (s.stopped_at = 0 OR "
				"ss.timestamp <= s.stopped_at) ORDER BY s.started_at DESC LIMIT 1), %Q)", L->dflt);
		else
			ne = sqlite3_mprintf("%Q", L->dflt);
		int rc = run(L, sqlite3_mprintf(
			"INSERT OR IGNORE INTO system_snapshots(timestamp, cpu_pct, mem_pct, mem_avail, "
			"swap_mb, load_avg, node) SELECT ss.timestamp, ss.cpu_pct, ss.mem_pct, "
			"ss.mem_avail, ss.swap_mb, ss.load_avg, %s FROM src.system_snapshots ss "
			"ORDER BY ss.timestamp", ne ? ne : "''"));
		sqlite3_free(ne);
		if (rc)
			return -1;
	}
	if (!L->se)
		return 0;
	char *ne = L->se_node ? sqlite3_mprintf("coalesce(nullif(node, ''), %Q)", L->dflt)
			      : sqlite3_mprintf("%Q", L->dflt);
	int rc = run(L, sqlite3_mprintf(
		"INSERT INTO main.sessions(started_at, stopped_at, gpu_model, gpu_driver, cpu_model, "
		"cpu_cores, mem_total, kernel, os_release, cuda_ver, python_ver, ingero_ver, "
		"pid_filter, flags, node, source_file, rank, local_rank, world_size) "
		"SELECT started_at, stopped_at, gpu_model, gpu_driver, cpu_model, cpu_cores, "
		"mem_total, kernel, os_release, cuda_ver, python_ver, ingero_ver, pid_filter, "
		"flags, %s, %Q, %s FROM src.sessions ORDER BY id",
		ne ? ne : "''", L->path, has_col(L, "sessions", "rank") ? "rank, local_rank, world_size"
								  : "NULL, NULL, NULL"));
	sqlite3_free(ne);
	return rc;
}

/* process_names has no node before 0.10: the node whose events carry that
 * pid, else the file's node */
static int copy_processes(struct legacy *L)
{
	if (!L->pn)
		return 0;
	const char *by_sess = L->se_node ? "(SELECT s.node FROM src.sessions s WHERE s.node != '' "
		"AND pn.seen_at >= s.started_at AND (s.stopped_at = 0 OR pn.seen_at <= s.stopped_at) "
		"ORDER BY s.started_at DESC LIMIT 1), " : "";
	char *ne = L->pn_node ? sqlite3_mprintf("coalesce(nullif(pn.node, ''), %Q)", L->dflt) :
		L->ev_node ? sqlite3_mprintf("coalesce(%s(SELECT min(e.node) FROM src.events e WHERE "
			"e.pid = pn.pid AND e.node != ''), %Q)", by_sess, L->dflt) :
		sqlite3_mprintf("%Q", L->dflt);
	int rc = run(L, sqlite3_mprintf(
		"INSERT OR IGNORE INTO main.process_names(pid, name, seen_at, node) "
		"SELECT pn.pid, pn.name, pn.seen_at, %s FROM src.process_names pn ORDER BY pn.pid",
		ne ? ne : "''"));
	if (!rc)
		rc = run(L, sqlite3_mprintf(
			"INSERT OR IGNORE INTO processes(node, pid, comm, first_seen) "
			"SELECT %s, pn.pid, pn.name, pn.seen_at FROM src.process_names pn "
			"ORDER BY pn.pid", ne ? ne : "''"));
	sqlite3_free(ne);
	return rc;
}

static int nodes_rows(struct legacy *L)
{
	return run(L, sqlite3_mprintf(
		"INSERT INTO nodes(name, kernel, rank, recorder, first_ts, last_ts, events) "
		"SELECT c.node, coalesce((SELECT s.kernel FROM main.sessions s WHERE s.node = c.node "
		"AND s.kernel != '' ORDER BY s.started_at LIMIT 1), ''), max(c.rank), "
		"'ingero (Go) ' || %Q, min(e.timestamp), max(e.timestamp + e.duration), count(*) "
		"FROM main.event_rows e JOIN main.event_ctx c ON c.id = e.ctx WHERE e.rowid > %lld "
		"GROUP BY c.node "
		"ON CONFLICT(name) DO UPDATE SET first_ts = min(first_ts, excluded.first_ts), "
		"last_ts = max(last_ts, excluded.last_ts), events = events + excluded.events",
		L->version ? L->version : "?", (long long)L->mark));
}

int legacy_import(struct importer *im, const char *path)
{
	struct legacy L = { .db = imp_db(im), .path = path };
	int rc = -1;

	if (imp_commit(im) || attach(&L))
		return -1;
	if (probe(&L) == 0 && adb_exec(L.db, "BEGIN", path) == 0) {
		rc = copy_events(&L);
		imp_count(im, (uint64_t)L.events);
		if (!rc)
			rc = copy_offcpu(&L);
		if (!rc)
			rc = copy_stacks_chains(&L);
		if (!rc)
			rc = copy_snapshots_sessions(&L);
		if (!rc)
			rc = copy_processes(&L);
		if (!rc)
			rc = nodes_rows(&L);
		if (!rc)
			rc = imp_input_row(im, "legacy-db", L.version ? L.version : "", (uint64_t)L.events);
		if (!rc)
			rc = adb_exec(L.db, "COMMIT", path);
		if (rc)
			sqlite3_exec(L.db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (sqlite3_exec(L.db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK && !rc)
		rc = ig_error("%s: %s", path, sqlite3_errmsg(L.db));
	free(L.version);
	free(L.dflt);
	return rc;
}
