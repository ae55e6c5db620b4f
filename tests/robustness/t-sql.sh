#!/usr/bin/env bash
# ingero-sql on files that are not (whole) analysis databases: a text file,
# random bytes, an empty file, a nonexistent path, a directory, a non-Ingero
# SQLite DB, an analysis DB cut in half and one with a garbage page.  Want:
# exit 1 (never a signal), a one-line error naming the file, no sanitizer
# report, and the file byte-identical afterwards with no -wal/-shm/-journal
# created beside it.
. "$TESTS/lib.sh"
. "$TESTS/robustness/rlib.sh"
cd "$T_OUT" || exit 1
for t in sql analyze record; do
	[ -x "$BIN/ingero-$t" ] || { fail "sql: $BIN/ingero-$t not built"; exit 0; }
done
"$BIN/ingero-record" demo incident -o inc >/dev/null 2>&1 || { fail "sql: demo incident failed"; exit 0; }
"$BIN/ingero-analyze" -q inc -o a.db --no-report >/dev/null 2>&1 || { fail "sql: ingero-analyze -o failed"; exit 0; }
python3 "$R_DIR/mkinputs.py" inc/seg-000001.igz in >/dev/null || { fail "sql: mkinputs.py failed"; exit 0; }
mkdir -p db
cp in/text.igz db/text.db
cp in/random.igz db/random.db
cp in/notingero.db db/notingero.db
: >db/empty.db
mkdir -p db/adir.db
sz=$(stat -c %s a.db)
head -c $((sz / 2)) a.db >db/half.db
# garbage over page 3 (4 KiB pages) and over a page in the middle
python3 - a.db db/garbage.db <<'PY'
import random, sys
d = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(7)
ps = 4096
for p in (2, len(d) // ps // 2):
    d[p * ps:(p + 1) * ps] = bytes(r.getrandbits(8) for _ in range(ps))
open(sys.argv[2], "wb").write(bytes(d))
PY

Q="SELECT node, source, count(*), avg(duration) FROM events GROUP BY node, source"
for f in text.db random.db empty.db notingero.db adir.db half.db garbage.db nonexist.db; do
	for mode in query csv schema full; do
		before=$( [ -f "db/$f" ] && sha "db/$f")
		ob=$T_OUT/sql-$mode-$f
		case $mode in
		query) run_tool "$ob" "$BIN/ingero-sql" "db/$f" "$Q" ;;
		csv) run_tool "$ob" "$BIN/ingero-sql" --csv --limit 0 "db/$f" "SELECT * FROM events" ;;
		schema) run_tool "$ob" "$BIN/ingero-sql" --schema "db/$f" ;;
		full) run_tool "$ob" "$BIN/ingero-sql" --ndjson --limit 0 "db/$f" "SELECT * FROM stack_traces; SELECT * FROM causal_chains; SELECT count(*) FROM events" ;;
		esac
		why=$(sane_why "$ob" "$f" 1)
		# (a non-Ingero SQLite DB is still SQLite: --schema may list its tables)
		if [ -z "$why" ] && [ "$RC" -ne 1 ] && [ "$f" != garbage.db ] && [ "$f/$mode" != notingero.db/schema ]; then why="exit $RC, want 1"; fi
		if [ -z "$why" ] && [ "$f" = adir.db ] && grep -q 'No such file' "$ob.err"; then
			why="misleading message for an existing directory: $(head -1 "$ob.err")"; fi
		after=$( [ -f "db/$f" ] && sha "db/$f")
		[ "$before" = "$after" ] || why="${why:+$why; }file changed"
		ls db/"$f"-wal db/"$f"-shm db/"$f"-journal >/dev/null 2>&1 && why="${why:+$why; }created -wal/-shm/-journal"
		if [ -z "$why" ]; then pass "sql $mode: $f"; else fail "sql $mode: $f: $why"; fi
	done
done
[ -e db/nonexist.db ] && fail "sql: created the nonexistent DB" || pass "sql: nonexistent DB not created"
