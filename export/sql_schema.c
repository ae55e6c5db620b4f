/* sql_schema.c - descriptions of the analysis database for `ingero-sql --schema`. */
#include <string.h>
#include <strings.h>

#include "sql_schema.h"

struct desc { const char *table, *column, *text; };

/* column == NULL: the table's description */
static const struct desc D[] = {
	{ "schema_info", NULL, "key/value notes: schema version, units, example queries" },
	{ "sources", NULL, "event source codes (1 cuda, 3 host, 4 driver, 5 io, 6 tcp, 7 net, 8 cuda_graph, 9 nccl)" },
	{ "ops", NULL, "op codes per source with names (complete; LEFT JOIN for foreign DBs)" },
	{ "events", NULL, "one row per traced call or kernel event" },
	{ "events", "seq", "per-node sequence number in file order" },
	{ "events", "node", "node name the event was recorded on" },
	{ "events", "id", "\"<node>:<seq>\" (integer in the original's <=0.8 files)" },
	{ "events", "timestamp", "unix ns, START of the call/interval" },
	{ "events", "pid", "process id (on its node)" },
	{ "events", "tid", "thread id (on its node)" },
	{ "events", "source", "source code, see sources" },
	{ "events", "op", "op code within the source, see ops" },
	{ "events", "duration", "ns" },
	{ "events", "gpu_id", "GPU index" },
	{ "events", "arg0", "per op: bytes (malloc/memcpy/page alloc/io), function (launch), stream (sync), prev_state (sched_switch)" },
	{ "events", "arg1", "per op: device pointer (malloc), stream (launch), memcpy kind 0 H2H 1 H2D 2 D2H 3 D2D 4 default, pid that ran instead (sched_switch)" },
	{ "events", "arg2", "per op: stream (async memcpy), tid that ran instead (sched_switch), NCCL seq" },
	{ "events", "arg3", "per op: graph capture mode, NCCL rank | nranks << 32" },
	{ "events", "ret_code", "CUDA return code (0 = success) / exit code" },
	{ "events", "stack_hash", "stack_traces.hash, 0 = no stack" },
	{ "events", "rank", "job rank of the process (NULL if unknown)" },
	{ "events", "local_rank", "local rank (NULL if unknown)" },
	{ "events", "world_size", "world size (NULL if unknown)" },
	{ "events", "comm", "process name" },
	{ "events", "cgroup_id", "cgroup id of the process" },
	{ "events", "cpu", "CPU the event happened on (-1 unknown)" },
	{ "events", "flags", "1 sampled, 2 no return seen" },
	{ "stack_traces", NULL, "deduplicated user stacks" },
	{ "stack_traces", "hash", "FNV-64a stack hash (signed int64) = events.stack_hash" },
	{ "stack_traces", "ips", "JSON array of hex instruction pointers" },
	{ "stack_traces", "frames", "JSON [{\"i\":ip,\"s\":symbol,\"f\":file}...], innermost first" },
	{ "python_frames", NULL, "Python frames of a stack (recordings 1.2+), innermost first" },
	{ "python_frames", "stack_hash", "stack_traces.hash = events.stack_hash" },
	{ "python_frames", "depth", "0 = innermost: the Python line that issued the call" },
	{ "python_frames", "file", "Python source file (co_filename)" },
	{ "python_frames", "function", "qualified function name (3.10: co_name)" },
	{ "python_frames", "line", "source line, 0 unknown" },
	{ "causal_chains", NULL, "incidents found by the causal engine, each with root cause and fix" },
	{ "causal_chains", "id", "\"<node>:<kind>-<op>-<n>\"" },
	{ "causal_chains", "detected_at", "unix ns, start of the incident window" },
	{ "causal_chains", "severity", "HIGH, MEDIUM or LOW" },
	{ "causal_chains", "summary", "one-line summary" },
	{ "causal_chains", "root_cause", "root cause in words" },
	{ "causal_chains", "explanation", "why the engine concluded it" },
	{ "causal_chains", "recommendations", "JSON array of fixes" },
	{ "causal_chains", "cuda_op", "the slow op" },
	{ "causal_chains", "cuda_p99_us", "p99 of the slow op, us" },
	{ "causal_chains", "cuda_p50_us", "p50 of the slow op, us" },
	{ "causal_chains", "tail_ratio", "p99 / p50" },
	{ "causal_chains", "timeline", "JSON [{layer, op, detail, dur_us}]" },
	{ "causal_chains", "node", "node of the incident" },
	{ "causal_chains", "kind", "preemption, io, memory, cold_start, ..." },
	{ "causal_chains", "window_start", "unix ns, incident window start" },
	{ "causal_chains", "window_end", "unix ns, incident window end" },
	{ "causal_chains", "impact_ns", "excess time over the op's baseline, ns" },
	{ "causal_chains", "impact_share", "impact / wall time span" },
	{ "causal_chains", "slow_calls", "number of slow calls explained" },
	{ "causal_chains", "culprit_pid", "process that caused it (NULL if none)" },
	{ "causal_chains", "culprit_comm", "its name" },
	{ "causal_chains", "pid", "affected process" },
	{ "causal_chains", "evidence", "JSON: event ids and intervals used (Perfetto flows)" },
	{ "system_snapshots", NULL, "1 Hz host metrics per node" },
	{ "system_snapshots", "timestamp", "unix ns" },
	{ "system_snapshots", "cpu_pct", "CPU busy %, all CPUs, iowait counted idle" },
	{ "system_snapshots", "mem_pct", "memory used % = (total-available)/total" },
	{ "system_snapshots", "mem_avail", "MB available" },
	{ "system_snapshots", "swap_mb", "MB of swap used" },
	{ "system_snapshots", "load_avg", "1-minute load average" },
	{ "system_snapshots", "iowait_pct", "iowait %" },
	{ "sessions", NULL, "one row per recording (node) imported" },
	{ "process_names", NULL, "pid -> name per node" },
	{ "nodes", NULL, "one row per node: host, boot id, kernel, rank, time span, event count" },
	{ "clock_corrections", NULL, "clock offset/drift applied per node by ingero-merge, and how confident" },
	{ "processes", NULL, "processes seen: ppid, uid, comm, cmdline, rank, cgroup" },
	{ "threads", NULL, "thread names per node" },
	{ "offcpu", NULL, "off-CPU intervals of traced threads (sched_switch) and who ran instead" },
	{ "offcpu", "start", "unix ns, switch-out time" },
	{ "offcpu", "duration", "ns off CPU" },
	{ "offcpu", "prev_state", "0 = preempted (runnable), else blocked state bits" },
	{ "offcpu", "preempted", "1 if involuntary" },
	{ "offcpu", "culprit_pid", "pid that ran instead" },
	{ "offcpu", "culprit_comm", "its name" },
	{ "nccl_collectives", NULL, "NCCL calls with communicator, sequence number, rank, count" },
	{ "graph_events", NULL, "CUDA graph capture/instantiate/launch with handles" },
	{ "gpu_snapshots", NULL, "GPU metrics (NVML): util, memory, clocks, throttling, temperature, power" },
	{ "lost_events", NULL, "events the recorder dropped, per source and reason (0 ring full, 1 disk full, 2 sampling)" },
	{ "sampling_rates", NULL, "1-in-N sampling in force per pid/op" },
	{ "notes", NULL, "recorder notes (attach failures, disk full, ...)" },
	{ "event_aggregates", NULL, "(original) per-minute aggregates; count - stored = discarded" },
	{ "cgroup_metadata", NULL, "(original) cgroup id -> container / pod" },
	{ "cgroup_schedstat", NULL, "(original) per-cgroup off-CPU statistics per window" },
	{ NULL, NULL, NULL }
};

static const char *lookup(const char *t, const char *c)
{
	for (int i = 0; D[i].table; i++) {
		if (strcasecmp(D[i].table, t)) continue;
		if (!c && !D[i].column) return D[i].text;
		if (c && D[i].column && !strcasecmp(D[i].column, c)) return D[i].text;
	}
	return NULL;
}

/* every error names the file: the caller's path is not passed in, so the
 * name is the one SQLite opened (an absolute path) */
static void schema_error(sqlite3 *db)
{
	const char *f = sqlite3_db_filename(db, "main");
	fprintf(stderr, "ingero-sql: %s: cannot read the schema: %s\n", f && *f ? f : "database",
		sqlite3_errmsg(db));
}

int ingero_sql_print_schema(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *tq = NULL, *cq = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT name, type FROM sqlite_master WHERE type IN "
				"('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &tq, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT name, type, pk FROM pragma_table_xinfo(?1) "
					"WHERE hidden IN (0, 2, 3) ORDER BY cid", -1, &cq, NULL);
	if (rc != SQLITE_OK) {
		schema_error(db);
		sqlite3_finalize(tq);
		sqlite3_finalize(cq);
		return -1;
	}
	while ((rc = sqlite3_step(tq)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tq, 0);
		const char *ty = (const char *)sqlite3_column_text(tq, 1);
		const char *d = lookup(t, NULL);
		fprintf(out, "%s%s%s%s\n", t, strcmp(ty, "view") ? "" : " (view)",
			d ? " -- " : "", d ? d : "");
		sqlite3_reset(cq);
		sqlite3_bind_text(cq, 1, t, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(cq)) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(cq, 0);
			const char *ct = (const char *)sqlite3_column_text(cq, 1);
			const char *cd = lookup(t, c);
			fprintf(out, "  %-16s %-8s %-2s  %s\n", c, ct && *ct ? ct : "ANY",
				sqlite3_column_int(cq, 2) ? "PK" : "", cd ? cd : "");
		}
		if (rc != SQLITE_DONE) break;
	}
	if (rc != SQLITE_DONE)
		schema_error(db);
	sqlite3_finalize(tq);
	sqlite3_finalize(cq);
	return rc == SQLITE_DONE ? 0 : -1;
}
