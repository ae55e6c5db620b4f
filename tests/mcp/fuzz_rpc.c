/*
 * fuzz_rpc.c - libFuzzer target over ingero-mcp's JSON-RPC input: the bytes
 * are split into lines and each goes through mcp_process_line (parse,
 * batches, dispatch, every tool with whatever arguments) against a small
 * analysis DB made at start.  `make fuzz-mcp` runs it; unit-mcp-fuzz (built
 * with the same file and fuzz_replay.c) replays tests/mcp/fuzz-corpus/ as a
 * normal test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp.h"

static const char schema[] =
	"CREATE TABLE events (seq INTEGER, node TEXT NOT NULL DEFAULT '', timestamp INTEGER, pid INTEGER, tid INTEGER,"
	" source INTEGER, op INTEGER, duration INTEGER, arg0 INTEGER DEFAULT 0, arg1 INTEGER DEFAULT 0, stack_hash INTEGER DEFAULT 0);"
	"CREATE TABLE stack_traces (hash INTEGER PRIMARY KEY, ips TEXT, frames TEXT);"
	"CREATE TABLE processes (node TEXT, pid INTEGER, comm TEXT);"
	"CREATE TABLE threads (node TEXT, tid INTEGER, pid INTEGER, name TEXT);"
	"CREATE TABLE causal_chains (id TEXT PRIMARY KEY, detected_at INTEGER, severity TEXT, summary TEXT, root_cause TEXT,"
	" explanation TEXT, recommendations TEXT, cuda_op TEXT, cuda_p99_us INTEGER, cuda_p50_us INTEGER, tail_ratio REAL,"
	" timeline TEXT, node TEXT, kind TEXT, window_start INTEGER, window_end INTEGER, impact_ns INTEGER, impact_share REAL,"
	" culprit_pid INTEGER, culprit_comm TEXT, pid INTEGER);"
	"CREATE TABLE graph_events (node TEXT, pid INTEGER, tid INTEGER, start INTEGER, duration INTEGER, op INTEGER,"
	" stream INTEGER, graph INTEGER, exec INTEGER, capture_mode INTEGER, ret_code INTEGER);"
	"INSERT INTO stack_traces VALUES (77, '[\"0x1\",\"0x2\"]', '[{\"i\":\"0x1\",\"s\":\"cudaStreamSynchronize\",\"f\":\"libcudart.so\"},\"bad\",{\"s\":\"\\u00e9\\u0001\"}]');"
	"INSERT INTO processes VALUES ('n1', 42, 'python3'), ('n1', 7, 'log\xffrotate');"
	"INSERT INTO causal_chains VALUES ('n1:x', 1000, 'HIGH', 's', 'rc', 'ex', '[\"fix\", 3]', 'cudaStreamSync', 100, 10,"
	" 10.0, '[{\"layer\":\"host\"}]', 'n1', 'preemption', 1000, 5000, 900, 0.5, 7, 'logrotate', 42),"
	" ('n1:y', 1000, 'LOW', 's2', '', '', 'not json', '', 0, 0, 0, '', 'n2', '', 0, 0, 0, 0, NULL, NULL, NULL);"
	"INSERT INTO graph_events VALUES ('n1', 42, 42, 100, 5, 3, 1, 11, 12, 0, 0), ('n1', 42, 42, 200, 5, 4, 1, NULL, 12, 0, 0),"
	" ('n1', 42, 42, 900, 5, 4, 1, NULL, 12, 0, 1);";

static int ready;

static void init(void)
{
	char path[] = "/tmp/ingero-mcp-fuzz-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) abort();
	close(fd);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) abort();
	sqlite3_exec(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
		     "INSERT INTO events SELECT x, CASE WHEN x % 7 = 0 THEN 'n2' ELSE 'n1' END, 1000 + x * 1000, "
		     "CASE WHEN x % 5 = 0 THEN 7 ELSE 42 END, 42, CASE WHEN x % 3 = 0 THEN 3 ELSE 1 END, "
		     "CASE WHEN x % 3 = 0 THEN 1 ELSE 5 END, (x * 7919) % 5000, 0, 7, CASE WHEN x % 2 THEN 77 ELSE 0 END FROM c",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	char msg[1200];
	ig_set_prog("ingero-mcp-fuzz");
	ig_quiet = 2;
	mcp_no_stdin = 1;
	S.input = xstrdup(path);   /* (mcp_open_db copies what it keeps) */
	if (mcp_open_db(path, msg, sizeof msg) || mcp_index_wait()) abort();
	unlink(path);   /* the open connections keep it */
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) init();
	size_t off = 0;
	int lines = 0;
	while (off < size && lines++ < 64) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
		char *line = xstrndup((const char *)data + off, n);
		size_t len = strnlen(line, n);     /* an embedded NUL ends the copy: keep the length honest */
		json_object *out = mcp_process_line(line, len == n ? n : len);
		if (out) json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
		json_object_put(out);
		free(line);
		off += n + 1;
	}
	return 0;
}
