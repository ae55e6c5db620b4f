#!/usr/bin/env bash
# bench/sql: ingero-sql over an analysis database of N synthetic events
# (default 1 M): rows/s scanned for the original docs' GROUP BY query and for a
# full export of events as CSV and NDJSON, peak RSS of each, against the
# sqlite3 shell running the same query on the same file in the same run.
# Usage: bench/sql/run.sh [BUILD_DIR] [EVENTS]
set -euo pipefail
B=${1:-build}
N=${2:-1000000}
cd "$(dirname "$0")/../.."
make --no-print-directory -s B="$B" "$B/ingero-record" "$B/ingero-analyze" "$B/ingero-sql"
D=${BENCH_DIR:-/tmp/ingero-bench-sql}
mkdir -p "$D"
if [ ! -f "$D/a-$N.db" ]; then
	"$B/ingero-record" demo incident --events "$N" -o "$D/rec-$N" -q
	"$B/ingero-analyze" "$D/rec-$N" -o "$D/a-$N.db" -q --no-report
fi
DB="$D/a-$N.db"
rows=$("$B/ingero-sql" --csv "$DB" "SELECT count(*) FROM events" | tail -1 | tr -d '\r')
Q="SELECT node, source, count(*), avg(duration)/1000 FROM events GROUP BY node, source"
run() { # label cmd...
	local label=$1 t0 t1 rss
	shift
	t0=$(date +%s.%N)
	rss=$( { /usr/bin/time -f '%M' "$@" >/dev/null; } 2>&1 | tail -1)
	t1=$(date +%s.%N)
	awk -v l="$label" -v r="$rows" -v a="$t0" -v b="$t1" -v m="$rss" 'BEGIN {
		printf "%-28s %8.3f s  %7.2f M rows/s  peak RSS %6.1f MB\n", l, b - a, r / (b - a) / 1e6, m / 1024 }' 
}
echo "events in $DB: $rows ($(du -h "$DB" | cut -f1))"
run "ingero-sql GROUP BY" "$B/ingero-sql" --csv "$DB" "$Q"
run "sqlite3 shell GROUP BY" sqlite3 -csv "file:$DB?immutable=1" "$Q"
run "ingero-sql events -> CSV" "$B/ingero-sql" --csv --limit 0 --timeout 600 "$DB" "SELECT * FROM events"
run "sqlite3 shell events -> CSV" sqlite3 -csv "file:$DB?immutable=1" "SELECT * FROM events"
run "ingero-sql events -> NDJSON" "$B/ingero-sql" --ndjson --limit 0 --timeout 600 "$DB" "SELECT * FROM events"
