#!/usr/bin/env bash
# The read-only guard lives in export/sqlguard.c (shared by ingero-sql and
# ingero-mcp): ingero-sql's answers to a fixed set of reads and refusals stay
# byte for byte what they were before the guard moved (sqlguard.golden).
. "$TESTS/lib.sh"
DBS=$SHARED/testdata/ingero-dbs
[ -x "$BIN/ingero-sql" ] || { fail "sqlguard: ingero-sql not built"; exit 0; }
[ -f "$DBS/sample-cluster.db" ] || { skip "sqlguard: $DBS missing"; exit 0; }
cd "$T_OUT" || exit 1
cp "$DBS/sample-cluster.db" g.db
bash "$TESTS/export/sqlguard-cases.sh" "$BIN/ingero-sql" "$T_OUT/g.db" >got.txt
if diff -u "$TESTS/export/sqlguard.golden" got.txt >diff.txt; then
	pass "sqlguard: ingero-sql transcript unchanged ($(grep -c '^## ' got.txt) cases)"
else
	fail "sqlguard: ingero-sql transcript differs from tests/export/sqlguard.golden"
	head -40 diff.txt
fi
[ -z "$(ls g.db?* 2>/dev/null)" ] && [ ! -e evil.db ] && [ ! -e copy.db ] &&
	pass "sqlguard: no side file created" || fail "sqlguard: a side file was created"
