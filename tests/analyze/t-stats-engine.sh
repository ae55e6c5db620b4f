#!/usr/bin/env bash
# The report's op table (text and JSON) from the engine's first pass equals
# the one from a scan of events of its own (INGERO_ANALYZE_STATS_SCAN=1), on
# recordings, a merged multi-node recording, filters, and the original
# tool's databases (whose odd durations make the engine fall back).
. "$TESTS/lib.sh"
cd "$T_OUT" || exit 1
A="$BIN/ingero-analyze"
"$BIN/ingero-record" demo incident -o inc -q --duration 4 || { fail "stats: demo failed"; exit 1; }
"$BIN/ingero-record" demo multi-node -o mn -q --duration 3 >/dev/null 2>&1 &&
	"$BIN/ingero-merge" -q mn/node-* -o mn.igz 2>/dev/null || fail "stats: multi-node demo/merge failed"
same() { # label args...
	local l=$1; shift
	"$A" -q "$@" >a.txt 2>&1; local ra=$?
	INGERO_ANALYZE_STATS_SCAN=1 "$A" -q "$@" >b.txt 2>&1; local rb=$?
	if [ $ra -eq 0 ] && [ $rb -eq 0 ] && cmp -s a.txt b.txt && grep -q "cudaStreamSync\|\"stats\"\|OP STATISTICS" a.txt; then
		pass "stats: $l: engine's numbers = own scan"
	else
		fail "stats: $l: differ (exit $ra/$rb): $(diff a.txt b.txt | head -5 | tr '\n' ' ')"
	fi
}
"$A" -q inc -o inc.db --no-report || fail "stats: import failed"
same "incident" inc.db
same "incident --json" inc.db --json
same "incident --node --since" inc.db --node "$(sqlite3 inc.db "SELECT min(node) FROM events")" --since 1s
same "incident --until" inc.db --until 3s
same "incident --pid (scan)" inc.db --pid "$(sqlite3 inc.db "SELECT min(pid) FROM events WHERE source = 1")"
same "incident --op (scan)" inc.db --op cudaStreamSync
same "incident --per-process" inc.db --per-process
[ -f mn.igz ] && same "merged multi-node" mn.igz
[ -f mn.igz ] && same "merged multi-node --json" mn.igz --json
D="$SHARED/testdata/ingero-dbs"
if [ -d "$D" ]; then
	for f in "$D"/sample-gpu-node-01.db "$D"/sample-cluster.db; do
		[ -f "$f" ] && same "original $(basename "$f")" "$f"
	done
else
	skip "stats: original databases: $D missing"
fi
# the numbers are the events' own: count, max and total of one op from SQL
"$A" -q inc.db --json > j.json
got=$(python3 -c 'import json; s=[x for x in json.load(open("j.json"))["stats"] if x["op"] == "cudaStreamSync"][0]; print(s["count"], s["max_ns"], s["total_ns"])' 2>/dev/null)
eq "stats: cudaStreamSync count, max, total = SQL's" "$got" \
	"$(sqlite3 -separator ' ' inc.db "SELECT count(*), max(duration), sum(duration) FROM events WHERE source = 1 AND op = 5")"
