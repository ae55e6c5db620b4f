#!/usr/bin/env bash
# Prints a transcript (exit code, stdout, stderr) of ingero-sql on a fixed
# set of reads and refusals; t-sqlguard.sh compares it with
# sqlguard.golden, so moving the read-only guard (export/sqlguard.c) keeps
# every answer byte for byte.  Usage: sqlguard-cases.sh INGERO_SQL DB
S=$1 D=$2
run() {
	local out err rc
	out=$("$S" "$@" 2>/tmp/sqlguard-err.$$); rc=$?
	err=$(cat /tmp/sqlguard-err.$$)
	printf '## %s\nrc=%s\n%s\n-- stderr\n%s\n' "$*" "$rc" "$out" "$err" | sed "s|$D|DB|g"
}
Q='SELECT node, source, count(*), avg(duration)/1000 FROM events GROUP BY node, source'
for f in "" --csv --json --ndjson; do run $f "$D" "$Q"; done
run --json "$D" "SELECT x'00ff' AS b, 1.5 AS r, 'é\"' AS t, NULL AS n, 9007199254740993 AS big, 1e300 AS e, 0.1 AS p"
run --limit 3 --csv "$D" "SELECT * FROM events ORDER BY id"
run "$D" "PRAGMA table_info(events)"
run --csv "$D" "SELECT name FROM pragma_table_info('events')"
run --csv "$D" "SELECT printf('%5.2f|%-4d|%q|%Q|%x|%c%%|%s|%10s|%-3c|%w', 3.14159, 7, 'it''s', NULL, 255, 'xyz', 'end', 'r', 'q', 'a\"b')"
run "$D" "SELECT 1; SELECT 2 AS two"
while IFS= read -r q; do
	run "$D" "$q"
done <<'SQL'
INSERT INTO events(id) VALUES('x')
UPDATE events SET pid = 1
DELETE FROM events
REPLACE INTO events(id) VALUES('x')
WITH x AS (SELECT 1) INSERT INTO events(id) SELECT 'q' FROM x
CREATE TABLE t(a)
CREATE TEMP TABLE t(a)
CREATE UNIQUE INDEX i ON events(pid)
CREATE VIEW v AS SELECT 1
CREATE VIRTUAL TABLE v USING fts5(a)
CREATE TRIGGER tr AFTER INSERT ON events BEGIN SELECT 1; END
DROP TABLE events
ALTER TABLE events ADD COLUMN q
ATTACH DATABASE 'evil.db' AS evil
DETACH DATABASE main
PRAGMA writable_schema=1
PRAGMA user_version=7
PRAGMA journal_mode=WAL
PRAGMA cache_size
VACUUM INTO 'copy.db'
REINDEX
ANALYZE
BEGIN IMMEDIATE
SAVEPOINT a
SELECT load_extension('/tmp/evil.so')
SELECT fts3_tokenizer('simple')
SELECT length(zeroblob(1000000000))
SELECT printf('%1000000000d', 1)
SELECT length(format('%.*c', 1000000000, 'x'))
SELECT 1; DELETE FROM events
SELECT * FROM sqlite_master WHERE 0; INSERT INTO sqlite_master VALUES(1,2,3,4,5)
SELEC 1
SELECT * FROM nosuch
SQL
run --timeout 1 "$D" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000000000) SELECT count(*) FROM c"
run --max-memory 16 --limit 1 --timeout 30 "$D" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1000000) SELECT x, hex(randomblob(64)) FROM c ORDER BY 2"
run nosuch.db "SELECT 1"
rm -f /tmp/sqlguard-err.$$
