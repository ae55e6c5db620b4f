/*
 * ingero-metrics - metric series (and OTLP spans) from a recording or an
 * analysis database, for the backends people already run: OpenMetrics text
 * for Prometheus backfill, OTLP ExportMetricsServiceRequest files for any
 * OpenTelemetry Collector.  docs/metrics.md has the metric table.
 *
 * Each table of the analysis DB is read in one time-ordered pass into the
 * series engine (metrics_series.c); the writers then stream the series.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "ingero.h"
#include "metrics.h"

#define PROG "ingero-metrics"
#define MAX_WINDOWS 10000000   /* ~116 days at 1 s */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " INPUT [-o OUT] [options]\n"
		"Metric series from a recording (segment file, directory, merged recording,\n"
		"bundle, or -) or an analysis database (ours or the original Ingero's), for\n"
		"Prometheus backfill or an OpenTelemetry Collector.\n"
		"  -o, --output FILE     output file ('-' = stdout, the default)\n"
		"  --format F            openmetrics (default; promtool tsdb create-blocks-from\n"
		"                        openmetrics), prometheus (text 0.0.4, last values),\n"
		"                        otlp-json, otlp-proto (ExportMetricsServiceRequest batches)\n"
		"  --step D              series resolution (default 1s; a multiple of 1ms)\n"
		"  --cluster ID          resource attribute ingero.cluster.id (OTLP)\n"
		"  --node NAME           only this node\n"
		"  --since X, --until X  only [X, Y] of the recording (30s, +2m, -10s, unix ns,\n"
		"                        2026-12-02 10:00:00); counters start at X\n"
		"  --traces FILE         also write causal chains, step findings and slow/outlier\n"
		"                        steps as OTLP spans (ExportTraceServiceRequest; protobuf\n"
		"                        with --format otlp-proto, else OTLP/JSON lines)\n"
		"  --otlp-endpoint URL   also POST every OTLP request to URL/v1/metrics (and\n"
		"                        /v1/traces); http:// only.  Without -o, nothing is written\n"
		"  --force               replace an existing output file\n"
		"  -q, --quiet           no warnings\n"
		"  -v, --verbose         counts and timings on stderr\n"
		"  --version             print the version\n"
		"  -h, --help            this text\n"
		"Examples:\n"
		"  " PROG " run.db -o run.om && promtool tsdb create-blocks-from openmetrics run.om data/\n"
		"  " PROG " rec/ --format otlp-json --step 10s -o run.otlp.jsonl\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

enum { FMT_OM, FMT_PROM, FMT_OTLP_JSON, FMT_OTLP_PROTO };

struct ctx {
	sqlite3 *db;
	const char *dbpath;
	struct mt_engine e;
	char *names[16][64];       /* op names [source][op] */
	char *srcnames[16];
	struct mt_filter flt;
	struct ig_map comm;        /* hash(node, pid) -> index into comms */
	char **comms;
	size_t ncomms, capcomms;
};

static sqlite3_stmt *prep(struct ctx *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		ig_die("%s: %s", c->dbpath, sqlite3_errmsg(c->db));
	return st;
}

/* prep of "<head><where> <tail>" with the filter on nodecol / tcol */
static sqlite3_stmt *prepw(struct ctx *c, const char *head, const char *nodecol, const char *tcol, const char *tail)
{
	char *w = mt_where(&c->flt, nodecol, tcol, NULL);
	char *q = xasprintf("%s%s %s", head, w, tail);
	sqlite3_stmt *st = prep(c, q);
	free(q);
	free(w);
	return st;
}

static void step_done(struct ctx *c, sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE)
		ig_die("%s: %s", c->dbpath, sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static void load_names(struct ctx *c)
{
	for (int s = 0; s < 16; s++) {
		const char *n = ingero_source_name(s);
		c->srcnames[s] = xstrdup(n ? n : "");
		for (int o = 0; o < 64; o++) {
			const char *on = ingero_op_name(s, o);
			c->names[s][o] = on ? xstrdup(on) : xasprintf("op%d", o);
		}
	}
	if (ig_db_has_table(c->db, "main", "ops")) {
		sqlite3_stmt *st = prep(c, "SELECT source_id, op_id, name FROM ops");
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int s = sqlite3_column_int(st, 0), o = sqlite3_column_int(st, 1);
			if (s >= 0 && s < 16 && o >= 0 && o < 64 && sqlite3_column_type(st, 2) == SQLITE_TEXT) {
				free(c->names[s][o]);
				c->names[s][o] = xstrdup(col_text(st, 2));
			}
		}
		step_done(c, st, rc);
	}
	if (ig_db_has_table(c->db, "main", "processes")) {
		sqlite3_stmt *st = prep(c, "SELECT node, pid, comm FROM processes");
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *node = col_text(st, 0);
			int64_t pid = sqlite3_column_int64(st, 1);
			uint64_t h = ig_fnv64a(IG_FNV64_OFFSET, node, strlen(node) + 1);
			h = ig_fnv64a(h, &pid, sizeof pid) >> 1;
			if (ig_map_get(&c->comm, h))
				continue;
			ig_grow(&c->comms, &c->capcomms, c->ncomms + 1, sizeof *c->comms);
			c->comms[c->ncomms] = xstrdup(col_text(st, 2));
			ig_map_xput(&c->comm, h, c->ncomms++);
		}
		step_done(c, st, rc);
	}
}

static const char *comm_of(struct ctx *c, const char *node, int64_t pid)
{
	uint64_t h = ig_fnv64a(IG_FNV64_OFFSET, node, strlen(node) + 1);
	h = ig_fnv64a(h, &pid, sizeof pid) >> 1;
	uint64_t *p = ig_map_get(&c->comm, h);
	return p ? c->comms[*p] : "";
}

static void free_names(struct ctx *c)
{
	for (int s = 0; s < 16; s++) {
		free(c->srcnames[s]);
		for (int o = 0; o < 64; o++)
			free(c->names[s][o]);
	}
	for (size_t i = 0; i < c->ncomms; i++)
		free(c->comms[i]);
	free(c->comms);
	ig_map_release(&c->comm);
}

char *mt_where(const struct mt_filter *f, const char *nodecol, const char *tcol, const char *extra)
{
	char *w = xstrdup("");
	const char *sep = " WHERE ";
	if (f && f->node && nodecol) {
		char *q = sqlite3_mprintf("%s%s%s = %Q", w, sep, nodecol, f->node);
		free(w);
		w = xstrdup(q);
		sqlite3_free(q);
		sep = " AND ";
	}
	if (f && tcol && (f->since != INT64_MIN || f->until != INT64_MAX)) {
		char *q = xasprintf("%s%s%s BETWEEN %lld AND %lld", w, sep, tcol, (long long)f->since, (long long)f->until);
		free(w);
		w = q;
		sep = " AND ";
	}
	if (extra) {
		char *q = xasprintf("%s%s(%s)", w, sep, extra);
		free(w);
		w = q;
	}
	return w;
}

/* ------------------------------------------------------------ the span */

static void span_of(struct ctx *c, int64_t *tmin, int64_t *tmax)
{
	static const char *const q[][4] = {
		{ "nodes", "SELECT min(first_ts), max(last_ts) FROM nodes", "name", NULL },
		{ "system_snapshots", "SELECT min(timestamp), max(timestamp) FROM system_snapshots", "node", "timestamp" },
		{ "gpu_snapshots", "SELECT min(timestamp), max(timestamp) FROM gpu_snapshots", "node", "timestamp" },
		{ "offcpu", "SELECT min(start), max(start) FROM offcpu", "node", "start" },
		{ "nccl_collectives", "SELECT min(start), max(start) FROM nccl_collectives", "node", "start" },
		{ "causal_chains", "SELECT min(detected_at), max(detected_at) FROM causal_chains", "node", "detected_at" },
		{ "steps", "SELECT min(start), max(start) FROM steps", "node", "start" },
	};
	*tmin = INT64_MAX;
	*tmax = INT64_MIN;
	int have_nodes = 0;
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		if (!ig_db_has_table(c->db, "main", q[i][0]))
			continue;
		sqlite3_stmt *st = prepw(c, q[i][1], q[i][2], q[i][3], "");
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
			int64_t a = sqlite3_column_int64(st, 0), b = sqlite3_column_int64(st, 1);
			if (a < *tmin)
				*tmin = a;
			if (b > *tmax)
				*tmax = b;
			if (i == 0)
				have_nodes = 1;
		}
		sqlite3_finalize(st);
	}
	if (!have_nodes) {
		sqlite3_stmt *st = prepw(c, "SELECT min(timestamp), max(timestamp) FROM events", "node", "timestamp", "");
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
			int64_t a = sqlite3_column_int64(st, 0), b = sqlite3_column_int64(st, 1);
			if (a < *tmin)
				*tmin = a;
			if (b > *tmax)
				*tmax = b;
		}
		sqlite3_finalize(st);
	}
}

/* ------------------------------------------------------------ the passes */

/* cudaMemcpyKind -> the original's direction values (cudaMemcpyDefault: unknown) */
static const char *const memcpy_dir[] = { "h2h", "h2d", "d2h", "d2d", "unknown" };

/* a per-event cache of the series of one (node, pid, source, op) */
struct ev_key { uint32_t cnt, dur; };

/* The first pass.  ingero-analyze stores events in time order, so they are
 * read in storage order (no sort) unless `sorted`; an event of a window
 * already flushed then returns -1 and the caller starts over sorted. */
static int pass_events(struct ctx *c, int sorted)
{
	struct mt_engine *e = &c->e;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT timestamp, node, pid, comm, rank, source, op, duration, arg0, arg1 "
				    "FROM events", "node", "timestamp", sorted ? "ORDER BY timestamp" : "");
	int late = 0;
	struct ig_map cache = { 0 }, mcache = { 0 };
	struct ev_key *keys = NULL;
	size_t nkeys = 0, capkeys = 0;
	struct ig_strtab nodes = { 0 };
	char lastnode[256] = "";
	uint32_t lastnid = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);
		const char *node = col_text(st, 1);
		int64_t pid = sqlite3_column_int64(st, 2);
		int src = sqlite3_column_int(st, 5), op = sqlite3_column_int(st, 6);
		int64_t dur = sqlite3_column_int64(st, 7);
		if (src < 0 || src >= 16 || op < 0 || op >= 64)
			continue;
		if (!sorted && mt_window(e, ts) < e->cur_w) {
			late = 1;
			break;
		}
		mt_at(e, ts);
		e->events++;
		uint32_t nid = lastnid;
		if (!nid || strcmp(node, lastnode)) {   /* rows come in runs of one node */
			nid = lastnid = ig_strtab_id(&nodes, node);
			snprintf(lastnode, sizeof lastnode, "%s", node);
			if (strlen(node) >= sizeof lastnode)
				lastnid = 0;
		}
		uint64_t k = (uint64_t)nid << 44 | (uint64_t)src << 38 | (uint64_t)op << 32 | (uint32_t)pid;
		uint64_t *p = ig_map_get(&cache, k);
		struct ev_key *ek;
		if (!p) {
			char pidb[24], rankb[24];
			snprintf(pidb, sizeof pidb, "%lld", (long long)pid);
			if (sqlite3_column_type(st, 4) == SQLITE_NULL)
				rankb[0] = 0;
			else
				snprintf(rankb, sizeof rankb, "%lld", (long long)sqlite3_column_int64(st, 4));
			const char *lk[] = { "pid", "comm", "rank", "source", "operation" };
			const char *lv[] = { pidb, col_text(st, 3), rankb, c->srcnames[src], c->names[src][op] };
			ig_grow(&keys, &capkeys, nkeys + 1, sizeof *keys);
			ek = &keys[nkeys];
			ek->cnt = mt_series(e, F_OP_COUNT, node, 5, lk, lv);
			ek->dur = mt_series(e, F_OP_DUR, node, 5, lk, lv);
			ig_map_xput(&cache, k, nkeys++);
		} else {
			ek = &keys[*p];
		}
		mt_add(e, ek->cnt, 1);
		if (dur > 0)
			mt_obs(e, ek->dur, dur);
		if (ingero_op_class(src, op) == INGERO_OPC_MEMCPY) {
			int64_t kind = sqlite3_column_int64(st, 9);
			if (kind < 0 || kind > 4)
				kind = 4;
			uint64_t mk = (uint64_t)nid << 40 | (uint64_t)kind << 32 | (uint32_t)pid;
			uint64_t *mp = ig_map_get(&mcache, mk);
			uint32_t ms, md;
			if (!mp) {
				char pidb[24];
				snprintf(pidb, sizeof pidb, "%lld", (long long)pid);
				const char *lk[] = { "pid", "comm", "direction" };
				const char *lv[] = { pidb, col_text(st, 3), memcpy_dir[kind] };
				ms = mt_series(e, F_MEMCPY_BYTES, node, 3, lk, lv);
				md = mt_series(e, F_MEMCPY_DUR, node, 3, lk, lv);
				ig_map_xput(&mcache, mk, (uint64_t)ms << 32 | md);
			} else {
				ms = (uint32_t)(*mp >> 32);
				md = (uint32_t)*mp;
			}
			mt_add(e, ms, sqlite3_column_int64(st, 8));
			mt_hist(e, md, dur);
		}
	}
	if (late)
		sqlite3_finalize(st);
	else
		step_done(c, st, rc);
	free(keys);
	ig_map_release(&cache);
	ig_map_release(&mcache);
	ig_strtab_release(&nodes);
	if (late)
		return -1;
	mt_pass_end(e);
	return 0;
}

static void pass_system(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	if (!ig_db_has_table(c->db, "main", "system_snapshots"))
		return;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT timestamp, COALESCE(node, ''), cpu_pct, mem_pct, mem_avail, swap_mb, "
				    "load_avg FROM system_snapshots", "node", "timestamp", "ORDER BY timestamp");
	static const int fams[] = { F_CPU_UTIL, F_MEM_UTIL, F_MEM_AVAIL, F_SWAP, F_LOAD1 };
	static const double mul[] = { 1, 1, 1048576.0, 1048576.0, 1 }, dv[] = { 100, 100, 1, 1, 1 };
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *node = col_text(st, 1);
		for (int i = 0; i < 5; i++) {
			if (sqlite3_column_type(st, 2 + i) == SQLITE_NULL)
				continue;
			uint32_t s = mt_series(e, fams[i], node, 0, NULL, NULL);
			mt_set(e, s, sqlite3_column_double(st, 2 + i) * mul[i] / dv[i]);
		}
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

/* NVML throttle reasons -> the original's four buckets (idle suppressed) */
static void throttle_buckets(int64_t r, int out[4])
{
	enum { POWER, THERMAL, SW, HW };
	memset(out, 0, 4 * sizeof *out);
	if (r & (0x2 | 0x10 | 0x100))   /* applications clocks, sync boost, display clock */
		out[SW] = 1;
	if (r & 0x4)                    /* SW power cap */
		out[POWER] = out[SW] = 1;
	if (r & 0x8)                    /* HW slowdown */
		out[HW] = 1;
	if (r & 0x20)                   /* SW thermal slowdown */
		out[THERMAL] = out[SW] = 1;
	if (r & 0x40)                   /* HW thermal slowdown */
		out[THERMAL] = out[HW] = 1;
	if (r & 0x80)                   /* HW power brake */
		out[POWER] = out[HW] = 1;
}

static void pass_gpu(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	if (!ig_db_has_table(c->db, "main", "gpu_snapshots"))
		return;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT timestamp, COALESCE(node, ''), gpu, util_pct, mem_used_mb, mem_total_mb, "
				    "throttle_reasons FROM gpu_snapshots", "node", "timestamp", "ORDER BY timestamp");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *node = col_text(st, 1);
		char gpu[24];
		snprintf(gpu, sizeof gpu, "%lld", (long long)sqlite3_column_int64(st, 2));
		const char *lk[] = { "gpu" };
		const char *lv[] = { gpu };
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			mt_set(e, mt_series(e, F_GPU_UTIL, node, 1, lk, lv), sqlite3_column_double(st, 3) / 100);
		int have_used = sqlite3_column_type(st, 4) != SQLITE_NULL, have_tot = sqlite3_column_type(st, 5) != SQLITE_NULL;
		double used = sqlite3_column_double(st, 4) * 1048576.0, tot = sqlite3_column_double(st, 5) * 1048576.0;
		if (have_used)
			mt_set(e, mt_series(e, F_GPU_MEM_USED, node, 1, lk, lv), used);
		if (have_tot)
			mt_set(e, mt_series(e, F_GPU_MEM_TOTAL, node, 1, lk, lv), tot);
		if (have_used && have_tot)
			mt_set(e, mt_series(e, F_GPU_MEM_FREE, node, 1, lk, lv), tot - used);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			int b[4];
			throttle_buckets(sqlite3_column_int64(st, 6), b);
			static const int fams[4] = { F_THR_POWER, F_THR_THERMAL, F_THR_SW, F_THR_HW };
			for (int i = 0; i < 4; i++)
				mt_set(e, mt_series(e, fams[i], node, 1, lk, lv), b[i]);
		}
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

static void pass_offcpu(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	if (!ig_db_has_table(c->db, "main", "offcpu"))
		return;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT start, node, pid, duration, prev_state FROM offcpu", "node", "start",
				 "ORDER BY start");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *node = col_text(st, 1);
		int64_t pid = sqlite3_column_int64(st, 2), ps = sqlite3_column_int64(st, 4);
		char pidb[24];
		snprintf(pidb, sizeof pidb, "%lld", (long long)pid);
		const char *lk[] = { "pid", "comm", "state" };
		const char *lv[] = { pidb, comm_of(c, node, pid), ps == 0 ? "preempted" : ps < 0 ? "unknown" : "blocked" };
		mt_add(e, mt_series(e, F_OFFCPU, node, 3, lk, lv), sqlite3_column_int64(st, 3));
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

/* ncclDataType_t sizes: int8 uint8 int32 uint32 int64 uint64 f16 f32 f64 bf16 fp8e4m3 fp8e5m2 */
static const int nccl_dtsize[] = { 1, 1, 4, 4, 8, 8, 2, 4, 8, 2, 1, 1 };

static void pass_nccl(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	if (!ig_db_has_table(c->db, "main", "nccl_collectives"))
		return;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT start, node, op, count, datatype, rank, duration FROM nccl_collectives",
				 "node", "start", "ORDER BY start");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *node = col_text(st, 1);
		int op = sqlite3_column_int(st, 2);
		int64_t dt = sqlite3_column_int64(st, 4);
		char rank[24] = "";
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			snprintf(rank, sizeof rank, "%lld", (long long)sqlite3_column_int64(st, 5));
		const char *lk[] = { "op_type", "rank" };
		const char *lv[] = { op >= 0 && op < 64 ? c->names[INGERO_SRC_NCCL][op] : "", rank };
		mt_add(e, mt_series(e, F_NCCL_COUNT, node, 2, lk, lv), 1);
		mt_hist(e, mt_series(e, F_NCCL_DUR, node, 2, lk, lv), sqlite3_column_int64(st, 6));
		if (dt >= 0 && dt < (int64_t)(sizeof nccl_dtsize / sizeof nccl_dtsize[0]))
			mt_add(e, mt_series(e, F_NCCL_BYTES, node, 2, lk, lv),
			       sqlite3_column_int64(st, 3) * nccl_dtsize[dt]);
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

static void pass_chains(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	if (!ig_db_has_table(c->db, "main", "causal_chains"))
		return;
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, "SELECT detected_at, COALESCE(node, ''), severity FROM causal_chains", "node",
				 "detected_at", "ORDER BY detected_at");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *lk[] = { "severity" };
		const char *lv[] = { col_text(st, 2) };
		mt_add(e, mt_series(e, F_ANOMALY, col_text(st, 1), 1, lk, lv), 1);
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

/* engine v2 steps (/work/notes/steps-contract.md): per workload (node, pid,
 * stream, phase) the step-duration histogram, outliers per bucket, and the
 * baselines (constant: computed over the whole recording), from the
 * workload's first step on */
static void pass_steps(struct ctx *c)
{
	struct mt_engine *e = &c->e;
	static const char *const need[] = { "node", "pid", "stream", "start", "duration", "phase", "outlier", NULL };
	if (!ig_db_has_table(c->db, "main", "steps"))
		return;
	for (int i = 0; need[i]; i++)
		if (!ig_db_has_col(c->db, "main", "steps", need[i]))
			return;
	int bl = ig_db_has_table(c->db, "main", "step_baselines");
	char *q = xasprintf("SELECT s.start, s.node, s.pid, s.stream, s.phase, s.duration, s.outlier, %s FROM steps s %s",
			    bl ? "b.mean, b.p95" : "NULL, NULL",
			    bl ? "LEFT JOIN step_baselines b ON b.node = s.node AND b.pid = s.pid AND "
				 "b.stream = s.stream AND b.phase = s.phase" : "");
	mt_pass_begin(e);
	sqlite3_stmt *st = prepw(c, q, "s.node", "s.start", "ORDER BY s.start, s.id");
	free(q);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mt_at(e, sqlite3_column_int64(st, 0));
		const char *node = col_text(st, 1);
		char pid[24], stream[24];
		snprintf(pid, sizeof pid, "%lld", (long long)sqlite3_column_int64(st, 2));
		snprintf(stream, sizeof stream, "%llu", (unsigned long long)sqlite3_column_int64(st, 3));
		const char *lk[] = { "pid", "stream_handle", "phase", "bucket" };
		const char *lv[] = { pid, stream, col_text(st, 4), col_text(st, 6) };
		mt_hist(e, mt_series(e, F_STEP_DUR, node, 3, lk, lv), sqlite3_column_int64(st, 5));
		if (*lv[3])
			mt_add(e, mt_series(e, F_STEP_OUTLIER, node, 4, lk, lv), 1);
		if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
			mt_set(e, mt_series(e, F_STEP_MEAN, node, 3, lk, lv), sqlite3_column_double(st, 7));
			mt_set(e, mt_series(e, F_STEP_P95, node, 3, lk, lv), sqlite3_column_double(st, 8));
		}
	}
	step_done(c, st, rc);
	mt_pass_end(e);
}

/* --node NAME: an unknown node is an error naming the known ones */
static int check_node(struct ctx *c, const char *in, const char *node)
{
	int nodes = ig_db_has_table(c->db, "main", "nodes");
	sqlite3_stmt *st = prep(c, nodes ? "SELECT name FROM nodes ORDER BY name" : "SELECT DISTINCT node FROM events ORDER BY 1");
	const char *names[256];
	char *own[256];
	int n = 0, found = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!strcmp(col_text(st, 0), node))
			found = 1;
		if (n < 255) {
			own[n] = xstrdup(col_text(st, 0));
			names[n] = own[n];
			n++;
		}
	}
	step_done(c, st, rc);
	names[n] = NULL;
	if (!found) {
		size_t len = 1;
		for (int i = 0; i < n; i++)
			len += strlen(names[i]) + 2;
		char *list = xmalloc(len), *p = list;
		*p = 0;
		for (int i = 0; i < n; i++)
			p += sprintf(p, "%s%s", i ? ", " : "", names[i]);
		const char *dm = ig_did_you_mean(node, names);
		ig_error("%s: --node '%s': 0 events; known nodes: %s%s%s%s", in, node, list,
			 dm ? " (did you mean '" : "", dm ? dm : "", dm ? "'?)" : "");
		free(list);
	}
	for (int i = 0; i < n; i++)
		free(own[i]);
	return found ? 0 : -1;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	ig_set_prog(PROG);
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
		{ "step", required_argument, NULL, 's' }, { "cluster", required_argument, NULL, 'C' },
		{ "node", required_argument, NULL, 'N' }, { "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "traces", required_argument, NULL, 'T' }, { "otlp-endpoint", required_argument, NULL, 'E' },
		{ "force", no_argument, NULL, 'F' }, { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' }, { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *outpath = NULL, *cluster = "", *tracepath = NULL, *endpoint = NULL;
	const char *node = NULL, *since = NULL, *until = NULL;
	int fmt = FMT_OM, force = 0, ch;
	int64_t step = 1000000000;
	while ((ch = ig_getopt(argc, argv, "o:qvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': outpath = optarg; break;
		case 'f':
			if (!strcmp(optarg, "openmetrics")) fmt = FMT_OM;
			else if (!strcmp(optarg, "prometheus")) fmt = FMT_PROM;
			else if (!strcmp(optarg, "otlp-json")) fmt = FMT_OTLP_JSON;
			else if (!strcmp(optarg, "otlp-proto")) fmt = FMT_OTLP_PROTO;
			else {
				static const char *const fm[] = { "openmetrics", "prometheus", "otlp-json", "otlp-proto", NULL };
				const char *dm = ig_did_you_mean(optarg, fm);
				return ig_usage_error("unknown --format '%s'%s%s%s (openmetrics, prometheus, otlp-json, otlp-proto)",
						      optarg, dm ? " (did you mean '" : "", dm ? dm : "", dm ? "'?)" : "");
			}
			break;
		case 's':
			if (ig_parse_duration(optarg, &step) || step < 1000000 || step % 1000000)
				return ig_usage_error("bad --step '%s' (a duration of at least 1ms, in whole ms)", optarg);
			break;
		case 'C': cluster = optarg; break;
		case 'T': tracepath = optarg; break;
		case 'N': node = optarg; break;
		case 'S': since = optarg; break;
		case 'U': until = optarg; break;
		case 'E': endpoint = optarg; break;
		case 'F': force = 1; break;
		case 'q': ig_quiet++; break;
		case 'v': ig_verbose++; break;
		case 'V': ig_print_version(); return 0;
		case 'h': usage(stdout); return 0;
		default: return IG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return ig_usage_error(optind < argc ? "one INPUT only" : "missing INPUT");
	int otlp = fmt == FMT_OTLP_JSON || fmt == FMT_OTLP_PROTO;
	if (endpoint && !otlp)
		return ig_usage_error("--otlp-endpoint needs --format otlp-json or otlp-proto");
	if (endpoint && strncmp(endpoint, "http://", 7))
		return ig_usage_error("--otlp-endpoint '%s': only http:// URLs", endpoint);
	if (!outpath && !endpoint)
		outpath = "-";
	if (tracepath && outpath && !strcmp(tracepath, outpath))
		return ig_usage_error("--traces and -o name the same file");
	if (fmt == FMT_OTLP_PROTO && outpath && !strcmp(outpath, "-") && isatty(1))
		return ig_usage_error("--format otlp-proto: binary output, not written to a terminal (use -o FILE)");
	const char *in = argv[optind];
	double t_start = ig_now();
	struct ig_analysis an;
	if (ig_analysis_open_flags(&an, in, NULL, IG_ANALYSIS_IMPORT_ORIGINAL))
		return IG_EXIT_FAIL;
	struct ctx c = { 0 };
	c.dbpath = an.path;
	int rc = IG_EXIT_FAIL;
	struct ig_out out = { 0 };
	if (!(c.db = ig_db_open_ro(an.path)))
		goto done_an;
	if (!ig_db_has_table(c.db, "main", "events")) {
		ig_error("%s: not an analysis database (no events table)", in);
		goto done_db;
	}
	if (an.dir && ig_db_has_col(c.db, "main", "inputs", "last_warning")) {
		/* ingero-analyze ran quietly: pass on what it found wrong with the input */
		sqlite3_stmt *st = prep(&c, "SELECT path, warnings, last_warning FROM inputs WHERE warnings > 0");
		while (sqlite3_step(st) == SQLITE_ROW)
			ig_warning("%s: %lld warning(s) while reading, the last: %s", col_text(st, 0),
				   (long long)sqlite3_column_int64(st, 1), col_text(st, 2));
		sqlite3_finalize(st);
	}
	load_names(&c);
	c.flt.since = INT64_MIN;
	c.flt.until = INT64_MAX;
	if (node && check_node(&c, in, node))
		goto done_names;
	c.flt.node = node;
	int64_t tmin, tmax;
	span_of(&c, &tmin, &tmax);
	if (tmin > tmax) {
		ig_error("%s: no events", in);
		goto done_names;
	}
	if (since || until) {
		int64_t a = tmin, b = tmax;
		char s1[IG_DUR_BUF], s2[IG_DUR_BUF];
		if (since && ig_parse_time(since, tmin, tmax, &a)) {
			ig_usage_error("bad --since '%s'", since);
			rc = IG_EXIT_USAGE;
			goto done_names;
		}
		if (until && ig_parse_time(until, tmin, tmax, &b)) {
			ig_usage_error("bad --until '%s'", until);
			rc = IG_EXIT_USAGE;
			goto done_names;
		}
		if (b < a || a > tmax || b < tmin) {
			ig_error("%s: --since/--until select nothing: the recording spans %s (%lld .. %lld)", in,
				 ig_fmt_duration(tmax - tmin, s1, sizeof s1), (long long)tmin, (long long)tmax);
			(void)s2;
			goto done_names;
		}
		c.flt.since = a;
		c.flt.until = b;
		if (a > tmin)
			tmin = a;
		if (b < tmax)
			tmax = b;
	}
	struct ig_out tout = { 0 };
	if ((tmax - tmin) / step > MAX_WINDOWS) {
		char a[IG_DUR_BUF], b[IG_DUR_BUF];
		ig_error("%s: spans %s: more than %d windows of %s (use a larger --step)", in,
			 ig_fmt_duration(tmax - tmin, a, sizeof a), MAX_WINDOWS, ig_fmt_duration(step, b, sizeof b));
		goto done_names;
	}
	if (outpath && ig_out_open(&out, outpath, force ? IG_OUT_FORCE : 0))
		goto done_names;
	if (tracepath && ig_out_open(&tout, tracepath, force ? IG_OUT_FORCE : 0)) {
		ig_out_abort(&out);
		goto done_names;
	}
	mt_init(&c.e, tmin, tmax, step, outpath && strcmp(outpath, "-") ? outpath : NULL);
	double t_read = ig_now();
	if (pass_events(&c, 0) < 0) {
		/* not in time order (e.g. the original's .db): start over, sorted */
		if (ig_verbose)
			fprintf(stderr, PROG ": events not stored in time order: reading them sorted\n");
		mt_release(&c.e);
		mt_init(&c.e, tmin, tmax, step, outpath && strcmp(outpath, "-") ? outpath : NULL);
		pass_events(&c, 1);
	}
	pass_system(&c);
	pass_gpu(&c);
	pass_offcpu(&c);
	pass_nccl(&c);
	pass_chains(&c);
	pass_steps(&c);
	double t_series = ig_now();
	if (mt_finish(&c.e))
		goto fail;
	static char obuf[1 << 16];
	if (outpath)
		setvbuf(out.f, obuf, _IOFBF, sizeof obuf);
	struct mt_otlp_opts ot = { .json = fmt != FMT_OTLP_PROTO, .cluster = cluster, .endpoint = endpoint,
				   .flt = &c.flt };
	if (otlp) {
		if (mt_write_otlp(&c.e, outpath ? out.f : NULL, &ot)) {
			if (outpath && ferror(out.f))
				ig_error("%s: write error: %s", outpath, strerror(errno));
			goto fail;
		}
	} else {
		struct mt_out_opts oo = { .cluster = cluster, .prom_text = fmt == FMT_PROM };
		if (mt_write_openmetrics(&c.e, out.f, &oo)) {
			ig_error("%s: write error: %s", outpath, strerror(errno));
			goto fail;
		}
	}
	if (tracepath && mt_write_traces(c.db, in, tout.f, &ot) < 0) {
		if (ferror(tout.f))
			ig_error("%s: write error: %s", tracepath, strerror(errno));
		goto fail;
	}
	if (tracepath && ig_out_commit(&tout)) {
		ig_out_abort(&out);
		goto fail_noabort;
	}
	if (outpath && ig_out_commit(&out))
		goto fail_noabort;
	if (ig_verbose) {
		char sb[IG_DUR_BUF];
		fprintf(stderr, PROG ": %" PRIu64 " events, %zu series, %" PRId64 " windows of %s, %" PRIu64
			" points; read %.2fs, series %.2fs, write %.2fs\n",
			c.e.events, c.e.n, c.e.nw, ig_fmt_duration(step, sb, sizeof sb), c.e.points, t_read - t_start,
			t_series - t_read, ig_now() - t_series);
	}
	rc = 0;
	goto done_e;
fail:
	ig_out_abort(&out);
	ig_out_abort(&tout);
fail_noabort:
done_e:
	mt_release(&c.e);
done_names:
	free_names(&c);
done_db:
	if (c.db)
		sqlite3_close(c.db);
done_an:
	ig_analysis_release(&an);
	return ig_exit(rc);
}
