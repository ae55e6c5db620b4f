#!/usr/bin/env bash
# Error paths of the engine, the report and the import report the failure
# (issue 11 item 7): a failed prepare, step or BEGIN is an error with
# SQLite's own message, exit 1 and no report; never a success with a
# partial report, never "out of memory" for what is not.  Failures are
# injected through INGERO_ANALYZE_TEST_SQL (SQL run after the import,
# before the engine: a table dropped or renamed, a transaction left open)
# and through original-tool databases that lack a column.
. "$TESTS/lib.sh"
A=$BIN/ingero-analyze R=$BIN/ingero-record M=$BIN/ingero-merge
for t in "$A" "$R" "$M"; do
	[ -x "$t" ] || { skip "analyze errors: $(basename "$t") not built"; exit 0; }
done
command -v sqlite3 >/dev/null || { skip "analyze errors: no sqlite3 shell"; exit 0; }
cd "$T_OUT" || exit 1
"$R" demo multi-node --nodes 3 -o multi -q --seed 5 && "$M" -q -q multi/node-* -o m.igz || { fail "demo + merge"; exit 0; }
"$R" demo incident -o inc -q --seed 5 --duration 8 || { fail "demo incident"; exit 0; }

inject() { # NAME INPUT SQL WANT [OPTIONS...]
	local name=$1 in=$2 sql=$3 want=$4; shift 4
	INGERO_ANALYZE_TEST_SQL=$sql "$A" -q "$in" "$@" >out.txt 2>err.txt; local rc=$?
	eq "$name: exit 1" "$rc" 1
	eq "$name: no report on stdout" "$(wc -c <out.txt)" 0
	eq "$name: the SQLite error, one line" "$(cat err.txt)" "ingero-analyze: $want"
}
for j in "" --json; do
	inject "engine, straggler rule, nccl_collectives renamed${j:+ ($j)}" m.igz "ALTER TABLE nccl_collectives RENAME TO gone" \
		"engine: reading nccl_collectives: no such table: nccl_collectives" $j
	inject "engine, processes dropped${j:+ ($j)}" inc "DROP TABLE processes" \
		"engine: reading processes: no such table: processes" $j
	inject "engine, BEGIN fails (transaction left open)${j:+ ($j)}" inc "BEGIN" \
		"engine: cannot start a transaction: cannot start a transaction within a transaction" $j
	inject "engine, causal_chains dropped${j:+ ($j)}" inc "DROP TABLE causal_chains" \
		"engine: writing causal_chains: no such table: causal_chains" $j
	inject "engine, event_rows renamed${j:+ ($j)}" inc "ALTER TABLE event_rows RENAME TO ev2" \
		"engine: reading events: no such table: event_rows" $j
done
inject "engine, writing schema_info fails (a trigger aborts)" inc \
	"CREATE TRIGGER t AFTER INSERT ON schema_info WHEN NEW.key = 'engine.truncated' BEGIN SELECT RAISE(ABORT, 'injected'); END" \
	"engine: writing schema_info: injected"
inject "summary, nodes dropped" inc "DROP TABLE nodes" "database: no such table: nodes" --summary
if grep -rq "out of memory" err.txt; then fail "an SQL failure reported as out of memory"; else pass "no 'out of memory' for SQL failures"; fi

# original-tool databases that are not what they claim: the import stops with SQLite's message
sqlite3 nocol.db "CREATE TABLE events(id INTEGER, timestamp INTEGER, duration INTEGER); INSERT INTO events VALUES (1, 5, 6);"
"$A" -q nocol.db >out.txt 2>err.txt; rc=$?
eq "legacy DB without a column: exit 1" "$rc" 1
eq "legacy DB without a column: SQLite's message, naming the file" "$(cat err.txt)" "ingero-analyze: nocol.db: no such column: e.source"
sqlite3 notnull.db "CREATE TABLE events(id INTEGER, timestamp INTEGER, duration INTEGER, pid, tid, source, op, gpu_id, arg0, arg1, ret_code, stack_hash); INSERT INTO events VALUES (1, 5, 6, NULL, 1, 1, 1, 0, 0, 0, 0, 0);"
"$A" -q notnull.db >out.txt 2>err.txt; rc=$?
eq "legacy DB with a NULL pid: exit 1" "$rc" 1
contains "legacy DB with a NULL pid: says which constraint" "$(cat err.txt)" "NOT NULL constraint failed: events"

# the hook itself is checked: bad SQL is an error too
inject "test hook: bad SQL" inc "NOT SQL" 'test hook: near "NOT": syntax error'
