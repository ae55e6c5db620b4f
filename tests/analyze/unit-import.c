/* unit-import: ingero-analyze import internals (analyze/import.c, db.c,
 * stats.c) against small recordings written here with the format writer. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ingero.h"
#include "../../analyze/analyze.h"
#include "../unit.h"

static char dir[512];

static int64_t q1(sqlite3 *db, const char *sql)
{
	return ig_db_int(db, sql, -999);
}

static char *qs(sqlite3 *db, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *st;
	buf[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return buf;
}

#define T0 1000000000000ULL              /* boottime of the first anchor */
#define R0 1700000000000000000ULL        /* its realtime */

static struct ingero_writer *wopen(const char *path, uint32_t frame_max)
{
	struct ingero_writer_opts o = {
		.path = path, .fsync = INGERO_FSYNC_NONE, .frame_max_bytes = frame_max,
		.hdr = { .node = "unit-node", .host = "h1", .boot_id = "b1", .kernel = "6.1",
			 .recorder = "unit-import", .cmdline = "unit-import", .clock = "boottime",
			 .start_ts = T0, .rank = -1, .anchor.boottime = T0, .anchor.realtime = R0,
			 .anchor.monotonic = T0 },
	};
	struct ingero_writer *w = NULL;
	struct ingero_error e = { 0 };
	if (ingero_writer_open(&w, &o, &e) < 0)
		return NULL;
	return w;
}

static void add(struct ingero_writer *w, struct ingero_record *r)
{
	ingero_writer_append(w, r);
	memset(r, 0, sizeof *r);
}

static int write_small(const char *path)
{
	struct ingero_writer *w = wopen(path, 0);
	struct ingero_record r;
	static struct ingero_stack st;
	struct ingero_event e;
	if (!w)
		return -1;
	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_ANCHOR;
	r.u.anchor = (struct ingero_anchor){ T0, R0, T0, 0 };
	add(w, &r);
	r.kind = INGERO_REC_ANCHOR;   /* +1 us of drift per second */
	r.u.anchor = (struct ingero_anchor){ T0 + 1000000000ULL, R0 + 1000000000ULL + 1000, 0, 0 };
	add(w, &r);
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ .pid = 10, .ppid = 1, .comm = "trainer", .cmdline = "python train.py",
		.rank = 3, .local_rank = 1, .world_size = 8, .cgroup_id = 77, .start_ts = T0 };
	add(w, &r);
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ .pid = 20, .ppid = 1, .comm = "hog", .cmdline = "stress",
		.rank = -1, .local_rank = -1, .world_size = -1, .start_ts = T0 };
	add(w, &r);
	r.kind = INGERO_REC_MODULE;
	r.u.mod = (struct ingero_module){ .id = 5, .pid = 10, .start = 0x1000, .end = 0x9000,
		.path = "/usr/lib/libcudart.so.12", .build_id = "" };
	add(w, &r);
	r.kind = INGERO_REC_SYMBOL;
	r.u.sym = (struct ingero_symbol){ .id = 9, .module_id = 5, .offset = 0x100, .name = "cudaLaunchKernel" };
	add(w, &r);
	memset(&st, 0, sizeof st);
	st.id = 1; st.pid = 10; st.depth = 2;
	st.ips[0] = 0x1110; st.syms[0] = 9; st.offs[0] = 0x10;
	st.ips[1] = 0x77777;
	r.kind = INGERO_REC_STACK;
	r.u.stack = &st;
	add(w, &r);

	memset(&e, 0, sizeof e);   /* 1: launch at +0.5 s */
	e.ts = T0 + 500000000ULL; e.dur = 1000; e.pid = e.tid = 10; e.source = 1; e.op = 3;
	e.stack_id = 1; e.arg[0] = 0xabc; e.arg[1] = 7;
	ingero_writer_event(w, &e);
	memset(&e, 0, sizeof e);   /* 2: preempted by the hog */
	e.ts = T0 + 600000000ULL; e.dur = 5000; e.pid = 10; e.tid = 11; e.source = 3; e.op = 1;
	e.arg[0] = 0; e.arg[1] = 20; e.arg[2] = 21; e.cpu = 2;
	ingero_writer_event(w, &e);
	memset(&e, 0, sizeof e);   /* 3: NCCL AllReduce rank 1 of 4, dtype 7, redop 2, peer 3 */
	e.ts = T0 + 700000000ULL; e.dur = 9000; e.pid = e.tid = 10; e.source = 9; e.op = 3;
	e.arg[0] = 0x1234; e.arg[1] = 4096; e.arg[2] = 5; e.arg[3] = 1 | (4ULL << 32);
	e.arg[4] = 7 | (2 << 8) | (4 << 16); e.arg[5] = 99;
	ingero_writer_event(w, &e);
	memset(&e, 0, sizeof e);   /* 4: graph launch */
	e.ts = T0 + 800000000ULL; e.dur = 300; e.pid = e.tid = 10; e.source = 8; e.op = 4;
	e.arg[0] = 99; e.arg[1] = 0x5000; e.arg[2] = 0x6000; e.arg[3] = 1;
	ingero_writer_event(w, &e);
	memset(&e, 0, sizeof e);   /* 5: pid 30 before its PROCESS record */
	e.ts = T0 + 900000000ULL; e.dur = 100; e.pid = e.tid = 30; e.source = 1; e.op = 5;
	ingero_writer_event(w, &e);
	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ .pid = 30, .ppid = 1, .comm = "late", .cmdline = "late",
		.rank = -1, .local_rank = -1, .world_size = -1, .start_ts = T0 };
	add(w, &r);
	memset(&e, 0, sizeof e);   /* 6: after the second anchor: interpolation exact */
	e.ts = T0 + 1000000000ULL; e.dur = 100; e.pid = e.tid = 10; e.source = 1; e.op = 5;
	ingero_writer_event(w, &e);
	r.kind = INGERO_REC_SYS;
	r.u.sys = (struct ingero_sys){ .ts = T0 + 1000000000ULL, .cpu_pct = 97, .mem_pct = 50,
		.mem_avail_mb = 100, .swap_used_mb = 3, .load1 = 4, .iowait_pct = 1 };
	add(w, &r);
	r.kind = INGERO_REC_LOST;
	r.u.lost = (struct ingero_lost){ .ts = T0 + 1000000000ULL, .source = 1, .count = 42 };
	add(w, &r);
	r.kind = INGERO_REC_GPU;
	r.u.gpu = (struct ingero_gpu){ .ts = T0 + 1000000000ULL, .index = 1, .util_pct = 88, .mem_used_mb = 10,
		.mem_total_mb = 80, .sm_clock_mhz = 1400, .mem_clock_mhz = 2600, .throttle_reasons = 4,
		.temp_c = 70, .power_w = 300 };
	add(w, &r);
	r.kind = INGERO_REC_THREAD;
	r.u.thr = (struct ingero_thread){ .tid = 11, .pid = 10, .name = "pt_worker" };
	add(w, &r);
	r.kind = INGERO_REC_NOTE;
	r.u.note = (struct ingero_note){ .ts = T0 + 1000000000ULL, .level = 1, .text = "uprobe attach failed" };
	add(w, &r);
	r.kind = INGERO_REC_SAMPLING;
	r.u.sampling = (struct ingero_sampling){ .ts = T0 + 1000000000ULL, .pid = 10, .source = 1, .op = 3, .rate = 10 };
	add(w, &r);
	return ingero_writer_close(w) < 0 ? -1 : 0;
}

static sqlite3 *import(const char *in, const char *dbname, unsigned *warn, int *rc)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, dbname);
	sqlite3 *db = adb_create(p);
	struct import_opts o = { .quiet = 1 };
	struct importer *im = db ? imp_new(db, &o) : NULL;
	*rc = -1;
	if (!im)
		return db;
	*rc = input_import(im, in, NULL);
	if (!*rc)
		*rc = imp_finish(im) || adb_finish(db, in);
	*warn = imp_warnings(im);
	imp_free(im);
	return db;
}

int main(void)
{
	const char *tmp = getenv("T_OUT");
	snprintf(dir, sizeof dir, "%s/unit-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("FAIL: mkdtemp\n");
		return 1;
	}

	/* nearest rank: index ceil(p*n)-1 */
	T_CHECK(stats_rank(10, 500) == 4 && stats_rank(10, 950) == 9 && stats_rank(10, 990) == 9,
		"nearest rank of 10 (p50 idx 4, p95/p99 idx 9)");
	T_CHECK(stats_rank(1, 990) == 0 && stats_rank(100, 990) == 98 && stats_rank(1000, 990) == 989 &&
		stats_rank(1000, 500) == 499, "nearest rank 1, 100, 1000");

	/* FNV-64a vectors and the two stack-hash variants */
	T_CHECK(ig_fnv64a(IG_FNV64_OFFSET, "", 0) == 0xcbf29ce484222325ULL &&
		ig_fnv64a(IG_FNV64_OFFSET, "a", 1) == 0xaf63dc4c8601ec8cULL, "fnv64a test vectors");
	uint64_t ip = 0x1122334455667788ULL;
	unsigned char le[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	T_CHECK(imp_stack_hash(1, &ip, NULL, NULL) == ig_fnv64a(IG_FNV64_OFFSET, le, 8),
		"raw stack hash = FNV-64a over u64 LE ips");
	const char *sy[1] = { "f+0x1" }, *fi[1] = { "/lib/x.so" };
	uint64_t h = IG_FNV64_OFFSET;
	h = ig_fnv64a(h, "f+0x1", 6); h = ig_fnv64a(h, "/lib/x.so", 10); h = ig_fnv64a(h, "\0\0\0\0\0\0", 6);
	T_CHECK(imp_stack_hash(1, &ip, sy, fi) == h, "symbolic stack hash (sym NUL file NUL NUL NUL u32 0)");

	char rec[600];
	snprintf(rec, sizeof rec, "%s/small.igz", dir);
	T_CHECK(write_small(rec) == 0, "write a small recording");
	unsigned warn = 0;
	int rc;
	sqlite3 *db = import(rec, "small.db", &warn, &rc);
	T_CHECK(db && rc == 0 && warn == 0, "import small recording (rc %d, %u warnings)", rc, warn);
	if (db && rc == 0) {
		T_CHECK(q1(db, "SELECT count(*) FROM events") == 6, "6 events");
		T_CHECK(!strcmp(qs(db, "SELECT id FROM events ORDER BY seq LIMIT 1"), "unit-node:1"),
			"id = node:seq (%s)", qs(db, "SELECT id FROM events ORDER BY seq LIMIT 1"));
		T_CHECK(q1(db, "SELECT timestamp FROM events WHERE seq = 1") ==
			(int64_t)(R0 + 500000000ULL + 500), "unix ns interpolated between the anchors");
		T_CHECK(q1(db, "SELECT timestamp FROM events WHERE seq = 6") ==
			(int64_t)(R0 + 1000000000ULL + 1000), "unix ns at the second anchor (drift applied)");
		T_CHECK(!strcmp(qs(db, "SELECT comm FROM events WHERE seq = 1"), "trainer") &&
			q1(db, "SELECT rank FROM events WHERE seq = 1") == 3 &&
			q1(db, "SELECT world_size FROM events WHERE seq = 1") == 8 &&
			q1(db, "SELECT cgroup_id FROM events WHERE seq = 1") == 77, "comm/rank/cgroup from PROCESS");
		T_CHECK(!strcmp(qs(db, "SELECT comm FROM events WHERE pid = 30"), "late"),
			"comm of events before their PROCESS record is fixed up");
		T_CHECK(q1(db, "SELECT count(*) FROM offcpu WHERE pid = 10 AND tid = 11 AND preempted = 1 "
			   "AND prev_state = 0 AND culprit_pid = 20 AND culprit_tid = 21 AND "
			   "culprit_comm = 'hog' AND cpu = 2 AND duration = 5000") == 1,
			"sched_switch -> offcpu with culprit comm");
		T_CHECK(q1(db, "SELECT count(*) FROM nccl_collectives WHERE comm_hash = 4660 AND seq = 5 AND "
			   "rank = 1 AND nranks = 4 AND count = 4096 AND datatype = 7 AND redop = 2 AND "
			   "peer = 3 AND stream = 99") == 1, "NCCL decode (rank/nranks/dtype/redop/peer)");
		T_CHECK(q1(db, "SELECT count(*) FROM graph_events WHERE op = 4 AND stream = 99 AND "
			   "graph = 20480 AND exec = 24576 AND capture_mode = 1") == 1, "graph_events");
		T_CHECK(q1(db, "SELECT count(*) FROM events e JOIN stack_traces s ON s.hash = e.stack_hash "
			   "WHERE e.seq = 1 AND s.frames LIKE '%cudaLaunchKernel+0x10%' AND "
			   "s.frames LIKE '%libcudart.so.12%' AND s.ips = '[\"0x1110\",\"0x77777\"]'") == 1,
			"stack_traces row with symbol frames (%s)", qs(db, "SELECT frames FROM stack_traces"));
		const char *sy2[2] = { "cudaLaunchKernel+0x10", NULL };
		const char *fi2[2] = { "/usr/lib/libcudart.so.12", NULL };
		uint64_t ips2[2] = { 0x1110, 0x77777 };
		T_CHECK(q1(db, "SELECT stack_hash FROM events WHERE seq = 1") ==
			(int64_t)imp_stack_hash(2, ips2, sy2, fi2), "stack_hash stored as signed FNV-64a");
		T_CHECK(q1(db, "SELECT count(*) FROM system_snapshots WHERE cpu_pct = 97 AND swap_mb = 3 "
			   "AND node = 'unit-node'") == 1, "SYS -> system_snapshots");
		T_CHECK(q1(db, "SELECT sum(count) FROM lost_events") == 42, "LOST -> lost_events");
		T_CHECK(q1(db, "SELECT count(*) FROM gpu_snapshots WHERE gpu = 1 AND util_pct = 88 AND "
			   "throttle_reasons = 4 AND timestamp = 1700000001000001000") == 1, "GPU -> gpu_snapshots");
		T_CHECK(!strcmp(qs(db, "SELECT name FROM threads WHERE tid = 11 AND pid = 10"), "pt_worker"),
			"THREAD -> threads");
		T_CHECK(q1(db, "SELECT count(*) FROM notes WHERE level = 1 AND text = 'uprobe attach failed'") == 1,
			"NOTE -> notes");
		T_CHECK(q1(db, "SELECT rate FROM sampling_rates WHERE pid = 10 AND source = 1 AND op = 3") == 10,
			"SAMPLING -> sampling_rates");
		T_CHECK(q1(db, "SELECT count(*) FROM nodes WHERE name = 'unit-node' AND events = 6 AND "
			   "host = 'h1' AND kernel = '6.1'") == 1, "nodes row");
		T_CHECK(q1(db, "SELECT count(*) FROM sessions WHERE node = 'unit-node'") == 1, "sessions row");
		int nops = 0;
		for (int s = 1; s < INGERO_SRC_MAX; s++)
			for (int o = 1; o < 64; o++)
				nops += ingero_op_name(s, o) != NULL;
		T_CHECK(q1(db, "SELECT count(*) FROM ops") == nops && nops >= 46 &&
			q1(db, "SELECT count(*) FROM ops WHERE description = ''") == 0,
			"ops table complete (%d ops, all described)", nops);
		T_CHECK(!strcmp(qs(db, "SELECT value FROM schema_info WHERE key = 'schema_version'"), "ingero-c-1"),
			"schema_info.schema_version");
		T_CHECK(q1(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
			   "name = 'idx_offcpu_tid'") == 1, "indexes built after the load");
		T_CHECK(!strcmp(qs(db, "PRAGMA integrity_check"), "ok"), "integrity_check (%s)",
			qs(db, "PRAGMA integrity_check"));
		T_CHECK(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events' AND type = 'view'") == 1,
			"events is a view");
		const char *wide = qs(db, "SELECT group_concat(name || ':' || type, ',') FROM "
				      "(SELECT name, type FROM pragma_table_info('events') ORDER BY cid)");
		T_CHECK(wide && !strcmp(wide, "seq:INTEGER,node:TEXT,id:,timestamp:INTEGER,pid:INTEGER,tid:INTEGER,"
					"source:INTEGER,op:INTEGER,duration:INTEGER,gpu_id:INTEGER,arg0:INTEGER,"
					"arg1:INTEGER,ret_code:INTEGER,stack_hash:INTEGER,rank:INTEGER,local_rank:INTEGER,"
					"world_size:INTEGER,comm:TEXT,cgroup_id:INTEGER,arg2:INTEGER,arg3:INTEGER,"
					"cpu:INTEGER,flags:INTEGER"),
			"the view has the original's 23 columns in order (%s)", wide ? wide : "?");
		T_CHECK(q1(db, "SELECT count(*) FROM events e JOIN event_rows r ON r.seq = e.seq WHERE "
			   "e.id != e.node || ':' || e.seq OR e.comm IS NULL") == 0 &&
			q1(db, "SELECT count(*) FROM events") == q1(db, "SELECT count(*) FROM event_rows"),
			"every stored row in the view, with its node, id and comm");
		T_CHECK(q1(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_rows'") == 0,
			"no index on event_rows");
		T_CHECK(sqlite3_exec(db, "INSERT INTO events(seq, node, timestamp, pid, tid, source, op, duration) "
				     "VALUES (NULL, 'x', 1, 1, 1, 1, 1, 1)", NULL, NULL, NULL) != SQLITE_OK,
			"NOT NULL seq refused through the view");
		T_CHECK(sqlite3_exec(db, "INSERT INTO events(seq, node, timestamp, pid, tid, source, op, duration) "
				     "VALUES (99, 'x', 1, 1, 1, 1, 1, 1)", NULL, NULL, NULL) == SQLITE_OK &&
			q1(db, "SELECT count(*) FROM events WHERE id = 'x:99' AND gpu_id = 0 AND cpu = -1 AND comm = '' "
			   "AND cgroup_id = 0 AND rank IS NULL") == 1,
			"INSERT through the view: the original's defaults");
		sqlite3_exec(db, "DELETE FROM event_rows WHERE seq = 99", NULL, NULL, NULL);
		struct afilter f = { .pid = -1 };
		FILE *mem = tmpfile();
		T_CHECK(mem && stats_print_ops(db, &f, mem) == 0, "stats table");
		if (mem) {
			char line[512];
			int found = 0;
			rewind(mem);
			while (fgets(line, sizeof line, mem))
				found += strstr(line, "cudaStreamSync") && strstr(line, "      2 ") != NULL;
			T_CHECK(found == 1, "stats lists cudaStreamSync with 2 calls");
			fclose(mem);
		}
	}
	sqlite3_close(db);

	/* merged recording: clock "unix" (identity), NODE table, CTX switches */
	char mrg[600];
	snprintf(mrg, sizeof mrg, "%s/merged.igz", dir);
	{
		struct ingero_writer_opts o = {
			.path = mrg, .fsync = INGERO_FSYNC_NONE,
			.hdr = { .node = "merged", .host = "", .boot_id = "", .kernel = "", .recorder = "ingero-merge",
				 .cmdline = "ingero-merge a b", .clock = "unix", .start_ts = R0, .rank = -1 },
		};
		struct ingero_writer *mw = NULL;
		struct ingero_error me = { 0 };
		struct ingero_record r;
		struct ingero_event e;
		int ok = ingero_writer_open(&mw, &o, &me) >= 0;
		for (uint32_t i = 0; ok && i < 2; i++) {
			memset(&r, 0, sizeof r);
			r.kind = INGERO_REC_NODE;
			r.u.nodeinfo = (struct ingero_node){ .index = i, .name = i ? "n-b" : "n-a", .host = i ? "hb" : "ha",
				.boot_id = "", .rank = (int32_t)i, .offset_ns = i ? 2500 : 0, .method = i ? "anchors" : "none",
				.confidence_ns = 100, .samples = 3 };
			ingero_writer_append(mw, &r);
		}
		for (int k = 0; ok && k < 6; k++) {
			memset(&r, 0, sizeof r);
			r.kind = INGERO_REC_CTX;
			r.u.ctx_node = (uint32_t)(k % 2);
			ingero_writer_append(mw, &r);
			memset(&e, 0, sizeof e);
			e.ts = R0 + (uint64_t)k * 1000; e.dur = 10; e.pid = e.tid = 100 + (k % 2);
			e.source = 1; e.op = 5;
			ingero_writer_event(mw, &e);
		}
		T_CHECK(ok && ingero_writer_close(mw) >= 0, "write a merged recording");
	}
	db = import(mrg, "merged.db", &warn, &rc);
	T_CHECK(db && rc == 0, "import merged recording");
	if (db && rc == 0) {
		T_CHECK(!strcmp(qs(db, "SELECT group_concat(node || '=' || n) FROM (SELECT node, count(*) n, "
				   "min(pid) p FROM events GROUP BY node ORDER BY node)"), "n-a=3,n-b=3") &&
			q1(db, "SELECT count(*) FROM events WHERE (node = 'n-a') != (pid = 100)") == 0,
			"CTX records attribute events to nodes (%s)",
			qs(db, "SELECT group_concat(node || '=' || n) FROM (SELECT node, count(*) n FROM events GROUP BY node ORDER BY node)"));
		T_CHECK(q1(db, "SELECT timestamp FROM events WHERE node = 'n-b' ORDER BY seq LIMIT 1") ==
			(int64_t)(R0 + 1000), "clock unix: timestamps as recorded");
		T_CHECK(!strcmp(qs(db, "SELECT group_concat(name) FROM (SELECT name FROM nodes ORDER BY name)"), "n-a,n-b"),
			"nodes from the NODE table (%s)", qs(db, "SELECT group_concat(name) FROM nodes"));
		T_CHECK(q1(db, "SELECT offset_ns FROM clock_corrections WHERE node = 'n-b' AND method = 'anchors'") == 2500,
			"clock_corrections from NODE records");
		T_CHECK(!strcmp(qs(db, "SELECT id FROM events WHERE node = 'n-b' ORDER BY seq LIMIT 1"), "n-b:1"),
			"per-node seq in merged recordings");
	}
	sqlite3_close(db);

	/* truncated file: warning and the complete frames before the cut */
	char big[600];
	snprintf(big, sizeof big, "%s/big.igz", dir);
	struct ingero_writer *w = wopen(big, 4096);
	for (int i = 0; w && i < 20000; i++) {
		struct ingero_event e;
		memset(&e, 0, sizeof e);
		e.ts = T0 + (uint64_t)i * 1000; e.dur = 500 + i % 7; e.pid = e.tid = 10; e.source = 1; e.op = 3;
		e.arg[0] = (uint64_t)i * 2654435761u;
		ingero_writer_event(w, &e);
	}
	T_CHECK(w && ingero_writer_close(w) >= 0, "write 20000 events in small frames");
	struct stat sb;
	if (stat(big, &sb) == 0)
		T_CHECK(truncate(big, sb.st_size / 2) == 0, "truncate to half");
	db = import(big, "big.db", &warn, &rc);
	int64_t n = db ? q1(db, "SELECT count(*) FROM events") : -1;
	T_CHECK(rc == 0 && warn >= 1 && n > 1000 && n < 20000,
		"truncated input: partial import with a warning (rc %d, %u warnings, %lld events)",
		rc, warn, (long long)n);
	sqlite3_close(db);

	/* garbage: a fatal error */
	char bad[600];
	snprintf(bad, sizeof bad, "%s/bad.igz", dir);
	FILE *bf = fopen(bad, "w");
	if (bf) {
		fputs("this is not a recording at all, just some text\n", bf);
		fclose(bf);
	}
	db = import(bad, "bad.db", &warn, &rc);
	T_CHECK(rc != 0, "garbage input is an error");
	sqlite3_close(db);

	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("SKIP: cleanup of %s failed\n", dir);
	T_DONE();
}
