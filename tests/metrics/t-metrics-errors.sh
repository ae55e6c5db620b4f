#!/usr/bin/env bash
# An analysis DB whose tables cannot be read is an error (exit 1, SQLite's
# message, no output file), never an export with spans silently missing.
. "$TESTS/lib.sh"
cd "$T_OUT" || exit 1
command -v sqlite3 >/dev/null || { skip "metrics errors: no sqlite3 shell"; exit 0; }
"$BIN/ingero-record" demo incident -o inc -q --seed 4 && "$BIN/ingero-analyze" -q inc -o inc.db >/dev/null ||
	{ fail "metrics errors: demo"; exit 0; }
"$BIN/ingero-metrics" inc.db --format otlp-json --traces ok.json -o ok.om 2>err; rc=$?
eq "metrics errors: the intact DB exports spans (exit 0)" "$rc" 0
for t in "causal_chains DROP COLUMN tail_ratio:causal_chains" "step_findings DROP COLUMN lost_ns:step_findings" \
	"steps DROP COLUMN outlier:steps"; do
	alter=${t%%:*} table=${t##*:}
	cp inc.db bad.db && sqlite3 bad.db "ALTER TABLE $alter" || { fail "metrics errors: ALTER TABLE $alter"; continue; }
	rm -f t.json m.om
	"$BIN/ingero-metrics" bad.db --format otlp-json --traces t.json -o m.om 2>err; rc=$?
	eq "metrics errors: unreadable $table: exit 1" "$rc" 1
	contains "metrics errors: unreadable $table: says which table and why" "$(cat err)" "reading $table: no such column"
	[ ! -e t.json ] && pass "metrics errors: unreadable $table: no partial span file" || fail "metrics errors: $table: t.json written"
done
