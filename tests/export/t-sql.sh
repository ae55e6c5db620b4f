#!/usr/bin/env bash
# ingero-sql: output formats, the original's documented queries on its 0.9
# files and on our analysis DB, every refusal, resource limits, and that the
# database file and its directory are unchanged afterwards.
. "$TESTS/lib.sh"
S=$BIN/ingero-sql
DBS=$SHARED/testdata/ingero-dbs
cd "$T_OUT" || exit 1
[ -x "$S" ] || { fail "sql: ingero-sql not built"; exit 0; }
if [ ! -f "$DBS/sample-cluster.db" ]; then skip "sql: $DBS missing"; exit 0; fi

# work on a copy in a writable directory, so a write would be possible if we allowed one
mkdir -p db
cp "$DBS/sample-cluster.db" "$DBS/sample-gpu-node-01.db" db/
chmod 644 db/*.db
D=db/sample-cluster.db
sum0=$(md5sum db/*.db)
ls0=$(ls -lA --time-style=+%s.%N db)

Q='SELECT node, source, count(*), avg(duration)/1000 FROM events GROUP BY node, source'

# --- formats
out=$("$S" "$D" "$Q"); rc=$?
eq "sql: original query on sample-cluster.db runs" "$rc" 0
eq "sql: table has header, rule and 8 rows" "$(printf '%s\n' "$out" | wc -l)" 10
contains "sql: table header" "$(printf '%s\n' "$out" | head -1)" "node         source  count(*)  avg(duration)/1000"
contains "sql: table rows aligned, numbers right-aligned" "$out" "gpu-node-02       4        40           121.55295"
out=$("$S" --csv "$D" "$Q")
eq "sql: CSV header" "$(printf '%s\n' "$out" | head -1 | tr -d '\r')" "node,source,count(*),avg(duration)/1000"
contains "sql: CSV row" "$out" "gpu-node-02,4,40,121.55295"
out=$("$S" --csv "$D" "SELECT 'a,b' AS x, 'say \"hi\"' AS y, NULL AS z")
eq "sql: CSV quoting" "$(printf '%s\n' "$out" | tail -1 | tr -d '\r')" '"a,b","say ""hi""",'
"$S" --json "$D" "$Q" >q.json
ok "sql: --json parses as an array of objects" python3 -c "
import json; d=json.load(open('q.json')); assert isinstance(d, list) and len(d) == 8
assert d[3] == {'node': 'gpu-node-02', 'source': 4, 'count(*)': 40, 'avg(duration)/1000': 121.55295}, d[3]"
"$S" --ndjson "$D" "$Q" >q.ndjson
ok "sql: --ndjson: one object per line" python3 -c "
import json; l=[json.loads(x) for x in open('q.ndjson')]; assert len(l) == 8 and l[0]['node'] == 'gpu-node-01'"
"$S" --json "$D" "SELECT x'00ff' AS b, 1.5 AS r, 'é\"' AS t, NULL AS n, 9007199254740993 AS big" >t.json
ok "sql: --json types (blob, real, text, null, int64)" python3 -c "
import json; d=json.load(open('t.json'))[0]
assert d == {'b': \"x'00ff'\", 'r': 1.5, 't': 'é\"', 'n': None, 'big': 9007199254740993}, d"
out=$("$S" --json "$D" "SELECT 1 WHERE 0")
eq "sql: --json empty result is []" "$out" "[]"
out=$(echo "$Q;" | "$S" --csv "$D")
contains "sql: query from stdin" "$out" "gpu-node-02,4,40,121.55295"
out=$(printf 'SELECT 1 AS a;\n-- comment\nSELECT 2 AS b;\n' | "$S" --ndjson "$D")
eq "sql: several statements from stdin" "$(printf '%s' "$out" | tr '\n' ' ')" '{"a":1} {"b":2}'
out=$("$S" --csv "$DBS/sample-gpu-node-01.db" "$Q")
contains "sql: original query on sample-gpu-node-01.db" "$out" "gpu-node-01,5,101,"
out=$("$S" --csv "$DBS/pytorch-173382-empty-cache.db" "SELECT source, count(*) FROM events GROUP BY source")
contains "sql: <=0.8 file (read straight from shared, read-only dir) works" "$out" "1,"
out=$("$S" "$D" "PRAGMA table_info(events)")
contains "sql: read-only PRAGMA table_info allowed" "$out" "timestamp"
out=$("$S" --csv "$D" "SELECT name FROM pragma_table_info('events') LIMIT 1")
contains "sql: pragma table-valued function allowed" "$out" "id"

# --- limit
"$S" --limit 5 --csv "$D" "SELECT * FROM events" >l.csv 2>l.err; rc=$?
eq "sql: --limit 5 prints 5 rows + header" "$rc $(wc -l <l.csv)" "0 6"
contains "sql: truncation note on stderr" "$(cat l.err)" "truncated to 5 rows"
"$S" --csv "$D" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 50000) SELECT x FROM c" >big.csv 2>big.err
eq "sql: default limit 10000 rows on a huge result" "$(wc -l <big.csv)" 10001
contains "sql: default limit noted" "$(cat big.err)" "truncated to 10000 rows"

# --- refusals: exit 1, one line "ingero-sql: refused: ..."
refused() { # name expected-substring sql...
	local name=$1 want=$2; shift 2
	local out rc
	out=$("$S" "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -qF -- "ingero-sql: refused: $want"; then
		pass "sql: refuses $name"
	else
		fail "sql: refuses $name: rc=$rc out='$out'"
	fi
}
refused INSERT "INSERT into events (the database is opened read-only)" "$D" "INSERT INTO events(id) VALUES('x')"
refused UPDATE "UPDATE of events" "$D" "UPDATE events SET pid = 1"
refused DELETE "DELETE from events" "$D" "DELETE FROM events"
refused REPLACE "INSERT into events" "$D" "REPLACE INTO events(id) VALUES('x')"
refused "WITH ... INSERT" "INSERT into events" "$D" "WITH x AS (SELECT 1) INSERT INTO events(id) SELECT 'q' FROM x"
refused "CREATE TABLE" "CREATE TABLE" "$D" "CREATE TABLE t(a)"
refused "CREATE TEMP TABLE" "CREATE TABLE" "$D" "CREATE TEMP TABLE t(a)"
refused "CREATE INDEX" "CREATE INDEX" "$D" "CREATE INDEX i ON events(pid)"
refused "CREATE VIEW" "CREATE VIEW" "$D" "CREATE VIEW v AS SELECT 1"
refused "CREATE TRIGGER" "CREATE TRIGGER" "$D" "CREATE TRIGGER tr AFTER INSERT ON events BEGIN SELECT 1; END"
refused "DROP TABLE" "DROP TABLE" "$D" "DROP TABLE events"
refused "ALTER TABLE" "ALTER TABLE" "$D" "ALTER TABLE events ADD COLUMN q"
refused ATTACH "ATTACH" "$D" "ATTACH DATABASE 'evil.db' AS evil"
refused DETACH "DETACH" "$D" "DETACH DATABASE main"
refused "PRAGMA writable_schema=1" "PRAGMA writable_schema" "$D" "PRAGMA writable_schema=1"
refused "PRAGMA user_version=7" "PRAGMA user_version = 7" "$D" "PRAGMA user_version=7"
refused "PRAGMA journal_mode=WAL" "PRAGMA journal_mode = WAL" "$D" "PRAGMA journal_mode=WAL"
refused "VACUUM INTO" "VACUUM" "$D" "VACUUM INTO 'copy.db'"
refused VACUUM "VACUUM" "$D" "VACUUM"
refused REINDEX "REINDEX" "$D" "REINDEX"
refused ANALYZE "ANALYZE" "$D" "ANALYZE"
refused BEGIN "BEGIN" "$D" "BEGIN IMMEDIATE"
refused SAVEPOINT "SAVEPOINT" "$D" "SAVEPOINT a"
refused "load_extension()" "load_extension()" "$D" "SELECT load_extension('/tmp/evil.so')"
refused "fts3_tokenizer()" "fts3_tokenizer()" "$D" "SELECT fts3_tokenizer('simple')"
refused "zeroblob(1e9)" "a value would exceed" "$D" "SELECT length(zeroblob(1000000000))"
refused "randomblob(1e9)" "a value would exceed" "$D" "SELECT length(randomblob(1000000000))"
refused "group_concat past the value limit" "a value would exceed" --timeout 60 "$D" \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200) SELECT length(group_concat(hex(zeroblob(30000)))) FROM c"
refused "hex(zeroblob(6e6)) past the value limit" "a value would exceed" "$D" "SELECT length(hex(zeroblob(6000000)))"
refused "recursive CTE to 1e12 (timeout)" "query ran longer than 1 s" --timeout 1 "$D" \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000000) SELECT count(*) FROM c"
refused "a sort that needs more memory than --max-memory" "query needs more than 16 MB" --max-memory 16 --limit 1 --timeout 30 "$D" \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000) SELECT x, hex(randomblob(64)) FROM c ORDER BY 2"
refused "printf width past the value limit" "a value would exceed" "$D" "SELECT printf('%1000000000d', 1)"
out=$("$S" --csv "$D" "SELECT printf('%5.2f|%-4d|%q|%Q|%x|%c%%|%s', 3.14159, 7, 'it''s', NULL, 255, 'xyz', 'end')" | tail -1 | tr -d '\r')
eq "sql: printf keeps working for ordinary formats" "$out" " 3.14|7   |it''s|NULL|ff|x%|end"
refused "a write hidden after a read" "DELETE from events" "$D" "SELECT 1; DELETE FROM events"
refused "printf('%.*c', 1e9, 'x')" "a value would exceed" "$D" "SELECT length(printf('%.*c', 1000000000, 'x'))"
refused "format('%.*c', 1e9, 'x')" "a value would exceed" "$D" "SELECT length(format('%.*c', 1000000000, 'x'))"

# --- the file and its directory are unchanged (no -wal, -shm, -journal, no copy)
eq "sql: database bytes unchanged" "$(md5sum db/*.db)" "$sum0"
eq "sql: directory listing unchanged (no side files, same mtimes)" "$(ls -lA --time-style=+%s.%N db)" "$ls0"
[ ! -e copy.db ] && [ ! -e evil.db ] && pass "sql: no file created by VACUUM INTO / ATTACH" || fail "sql: a file was created"

# --- schema
out=$("$S" --schema "$D")
contains "sql: --schema lists tables with descriptions" "$out" "events -- one row per traced call or kernel event"
contains "sql: --schema lists columns with descriptions" "$out" "timestamp        INTEGER      unix ns"
contains "sql: --schema works on foreign tables" "$out" "event_aggregates"

# --- our analysis database
if [ -x "$BIN/ingero-analyze" ] && [ -x "$BIN/tests/export-mkrec" ] && "$BIN/tests/export-mkrec" rec.igz >/dev/null &&
	"$BIN/ingero-analyze" rec.igz -o ours.db >/dev/null 2>&1; then
	out=$("$S" --csv ours.db "$Q"); rc=$?
	eq "sql: original query on our analysis DB" "$rc" 0
	contains "sql: our DB: per-node per-source counts" "$out" "test-node,1,"
	out=$("$S" --csv ours.db "SELECT severity, summary FROM causal_chains ORDER BY severity, summary LIMIT 1")
	contains "sql: our DB: chains readable" "$out" "HIGH"
	out=$("$S" --schema ours.db)
	contains "sql: --schema on our DB describes extension tables" "$out" "offcpu -- off-CPU intervals"
	# the ready queries of docs/sql.md
	if [ -f "$ROOT/docs/sql.md" ]; then
		n=0; bad=0
		while IFS= read -r q; do
			n=$((n + 1))
			"$S" ours.db "$q" >/dev/null 2>dq.err || { bad=$((bad + 1)); echo "  docs query failed: $q: $(cat dq.err)"; }
		done < <(awk '/^```sql/{f=1; q=""; next} /^```/{if(f){gsub(/\n/," ",q); print q}; f=0; next} f{q=q" "$0}' "$ROOT/docs/sql.md")
		[ "$n" -gt 0 ] && [ "$bad" -eq 0 ] && pass "sql: all $n ready queries of docs/sql.md run on our DB" ||
			fail "sql: docs/sql.md queries: $bad of $n failed"
	fi
else
	skip "sql: our analysis DB: ingero-analyze not built or failed"
fi

# --- names and recordings (issue 10)
out=$("$S" --csv "$D" "SELECT node, source_name, count(*) FROM named_events GROUP BY node, source_name ORDER BY 1, 2")
contains "sql: named_events view shows source names" "$out" "gpu-node-02,driver,40"
out=$("$S" --csv "$D" "SELECT op_name(1, 5), source_name(4), op_name(99, 1) IS NULL")
contains "sql: op_name() / source_name() from ops.def" "$(printf '%s' "$out" | tail -1 | tr -d '\r')" "cudaStreamSync,driver,1"
eq "sql: named_events leaves the file unchanged" "$(md5sum db/*.db)" "$sum0"
if [ -x "$BIN/ingero-record" ] && "$BIN/ingero-record" demo control -o rec --duration 3 >/dev/null 2>&1; then
	out=$(TMPDIR=$T_OUT "$S" --csv rec "SELECT op_name, count(*) FROM named_events WHERE op_name = 'cudaStreamSync'" 2>rec.err); rc=$?
	eq "sql: a recording is analyzed first" "$rc" 0
	contains "sql: recording query answered" "$out" "cudaStreamSync,"
	contains "sql: says it analyzed the recording and how to keep the DB" "$(cat rec.err)" "ingero-analyze rec -o"
	[ -z "$(ls -d "$T_OUT"/ingero-* 2>/dev/null)" ] && pass "sql: the temporary analysis DB is removed" || fail "sql: temp DB left: $(ls -d "$T_OUT"/ingero-*)"
	: >empty.igz
	a=$("$BIN/ingero-analyze" empty.igz 2>&1 | tail -1 | sed "s/^ingero-analyze: //")
	out=$("$S" empty.igz "SELECT 1" 2>&1); rc=$?
	eq "sql: 0-byte segment -> exit 1 like ingero-analyze" "$rc" 1
	contains "sql: 0-byte segment: same answer as ingero-analyze ($a)" "$out" "$a"
else
	skip "sql: recordings: ingero-record not built"
fi

# --- usage and errors
"$S" >/dev/null 2>&1; eq "sql: no arguments -> 2" "$?" 2
"$S" --limit x "$D" "SELECT 1" >/dev/null 2>&1; eq "sql: bad --limit -> 2" "$?" 2
"$S" --bogus "$D" "SELECT 1" >/dev/null 2>&1; eq "sql: unknown option -> 2" "$?" 2
"$S" --help >/dev/null; eq "sql: --help -> 0" "$?" 0
out=$("$S" nosuch.db "SELECT 1" 2>&1); rc=$?
eq "sql: missing DB -> 1, one line" "$rc $(printf '%s\n' "$out" | wc -l)" "1 1"
[ ! -e nosuch.db ] && pass "sql: a missing DB is not created" || fail "sql: nosuch.db was created"
echo "not a database" >bad.db
out=$("$S" bad.db "SELECT 1" 2>&1); rc=$?
eq "sql: non-SQLite file -> 1" "$rc" 1
contains "sql: says so" "$out" "not an SQLite database"
out=$("$S" "$D" "SELEC 1" 2>&1); rc=$?
eq "sql: syntax error -> 1, one line" "$rc $(printf '%s\n' "$out" | wc -l)" "1 1"

# --- a truncated analysis DB: every mode fails with one line naming the file
sz=$(stat -c %s "$D")
head -c $((sz / 2)) "$D" >half.db
hsum=$(md5sum half.db)
for mode in schema query csv; do
	case $mode in
	schema) out=$("$S" --schema half.db 2>&1); rc=$? ;;
	query) out=$("$S" half.db "$Q" 2>&1); rc=$? ;;
	csv) out=$("$S" --csv --limit 0 half.db "SELECT * FROM events" 2>&1); rc=$? ;;
	esac
	eq "sql: truncated DB, $mode: exit 1, one line" "$rc $(printf '%s\n' "$out" | wc -l)" "1 1"
	contains "sql: truncated DB, $mode: error names the file" "$out" "ingero-sql: half.db: cannot read the schema: "
done
eq "sql: truncated DB unchanged, no side files" "$(md5sum half.db) $(ls half.db* | wc -l)" "$hsum 1"
