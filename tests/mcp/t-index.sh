#!/usr/bin/env bash
# ingero-mcp's startup index reads event_rows + event_ctx directly when the
# events view is the schema's (mcp/index.c); every index-backed tool must
# answer exactly as when the index is read through the view
# (INGERO_MCP_INDEX_VIEW=1), with one scan or split by rowid over threads
# (INGERO_MCP_INDEX_THREADS): a multi-node merged recording, and a copy with
# rows whose ctx is NULL, text, or names no event_ctx row, and a ctx id -1.
. "$TESTS/lib.sh"
M=$BIN/ingero-mcp
[ -x "$M" ] || { fail "mcp-index: ingero-mcp not built"; exit 0; }
command -v sqlite3 >/dev/null || { skip "mcp-index: sqlite3 shell missing"; exit 0; }
cd "$T_OUT" || exit 1
"$BIN/ingero-record" demo multi-node -o mn --duration 4 >/dev/null 2>&1 &&
	"$BIN/ingero-merge" mn/node-* -o merged >/dev/null 2>&1 &&
	"$BIN/ingero-analyze" -q merged -o mn.db >/dev/null 2>&1 || { fail "mcp-index: demo/merge/analyze failed"; exit 0; }
cp mn.db odd.db
sqlite3 odd.db "INSERT INTO event_ctx(id, node, pid, comm) VALUES (-1, 'node-x', 77, 'x');
	UPDATE event_rows SET ctx = NULL WHERE rowid % 97 = 0;
	UPDATE event_rows SET ctx = 'abc' WHERE rowid % 89 = 0;
	UPDATE event_rows SET ctx = 12345 WHERE rowid % 83 = 0;
	UPDATE event_rows SET ctx = -1 WHERE rowid % 79 = 0;" || { fail "mcp-index: editing the copy failed"; exit 0; }
eq "mcp-index: the copy has odd ctx values" \
	"$(sqlite3 odd.db "SELECT count(*) FROM events WHERE node IS NULL; SELECT count(*) FROM events WHERE node = 'node-x'" | tr '\n' ' ')" \
	"$(sqlite3 odd.db "SELECT count(*) FROM event_rows WHERE rowid % 97 = 0 OR (rowid % 89 = 0 AND rowid % 97 != 0) OR (rowid % 83 = 0 AND rowid % 89 != 0 AND rowid % 97 != 0); SELECT count(*) FROM event_rows WHERE ctx = -1" | tr '\n' ' ')"
calls() {
	echo '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	local i=1 a
	for a in '"get_trace_stats",{"verbose":true}' '"get_trace_stats",{"per_process":true,"verbose":true}' \
		'"get_trace_stats",{"node":"node-1"}' '"get_nodes",{"verbose":true}' '"get_stacks",{"verbose":true}' \
		'"get_stacks",{"op":"cudaStreamSync","verbose":true}' '"get_stacks",{"op":"cudaLaunchKernel"}' \
		'"get_timeline",{"pid":1000,"at":"1.5s","window":"300ms","verbose":true}' \
		'"get_timeline",{"pid":1000,"node":"node-2","at":"-1s","limit":20}' '"get_causal_chains",{"verbose":true}'; do
		echo "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":${a%%,*},\"arguments\":${a#*,}}}"
		i=$((i + 1))
	done
}
for db in mn odd; do
	calls | "$M" "$db.db" >"$db-rows.out" 2>"$db-rows.err"
	calls | INGERO_MCP_INDEX_VIEW=1 "$M" "$db.db" >"$db-view.out" 2>"$db-view.err"
	contains "mcp-index: $db: indexed from event_rows" "$(cat "$db-rows.err")" "(event_rows)"
	grep -q "(event_rows)" "$db-view.err" && fail "mcp-index: $db: INGERO_MCP_INDEX_VIEW=1 still read event_rows" ||
		pass "mcp-index: $db: INGERO_MCP_INDEX_VIEW=1 reads the view"
	eq "mcp-index: $db: 11 responses" "$(wc -l <"$db-rows.out")" 11
	eq "mcp-index: $db: no tool error" "$(grep -c '"isError":true' "$db-rows.out")" 0
	cmp -s "$db-rows.out" "$db-view.out" && pass "mcp-index: $db: every tool answers as through the view" ||
		fail "mcp-index: $db: answers differ (diff $T_OUT/$db-view.out $T_OUT/$db-rows.out)"
	for t in 1 2 3 4; do
		calls | INGERO_MCP_INDEX_THREADS=$t "$M" "$db.db" >"$db-t$t.out" 2>/dev/null
		cmp -s "$db-t$t.out" "$db-view.out" && pass "mcp-index: $db: $t thread(s): answers as through the view" ||
			fail "mcp-index: $db: $t thread(s): answers differ (diff $T_OUT/$db-view.out $T_OUT/$db-t$t.out)"
	done
done
contains "mcp-index: odd: the rows of ctx -1 under its node" "$(cat odd-rows.out)" "node-x"
