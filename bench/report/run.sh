#!/usr/bin/env bash
# bench/report: ingero-report on an analysis database of N events (default
# 10 M, the 'incident' demo scaled with --events): report wall / CPU time and
# peak RSS, the HTML file's size (bar: <= 3 MB), and the time headless
# Chromium takes to load and render it from file:// (bar: < 2 s; navigation
# start to the load event, after the page's script drew every plot).
# Usage: bench/report/run.sh [BUILD_DIR] [EVENTS]
# Env: BENCH_DIR (scratch, default /tmp/ingero-bench-report; the recording and
# database are kept there between runs), DB=FILE uses an existing analysis DB.
set -euo pipefail
B=${1:-build}
N=${2:-10000000}
cd "$(dirname "$0")/../.."
make --no-print-directory -s B="$B" "$B/ingero-record" "$B/ingero-analyze" "$B/ingero-report"
D=${BENCH_DIR:-/tmp/ingero-bench-report}
mkdir -p "$D"
DB=${DB:-$D/a-$N.db}
if [ ! -f "$DB" ]; then
	echo "generating and analyzing $N events (once; kept in $D)"
	[ -d "$D/rec-$N" ] || "$B/ingero-record" demo incident --events "$N" -o "$D/rec-$N" -q
	"$B/ingero-analyze" -q "$D/rec-$N" -o "$DB" >/dev/null
fi
ev=$("$B/ingero-sql" --csv "$DB" "SELECT count(*) FROM events" | tail -1 | tr -d '\r')
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $DB: $ev events ($(du -h "$DB" | cut -f1))"
/usr/bin/time -f "%e %U %S %M" -o "$D/time" "$B/ingero-report" "$DB" -o "$D/report.html" --force
read -r wall user sys rss <"$D/time"
size=$(stat -c %s "$D/report.html")
printf 'ingero-report: %.2f s wall, %.2f s CPU, peak RSS %d MB; file %d bytes (%.2f MB, bar 3 MB: %s)\n' \
	"$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$size" "$(echo "$size / 1048576" | bc -l)" \
	"$([ "$size" -le 3145728 ] && echo ok || echo MISSED)"
if [ -x /usr/bin/chromium ]; then
	# three loads in one browser: the first includes the renderer's start
	/usr/bin/python3 tests/report/browser.py "$D/report.html" - "$D/report.png" "$D/report.html" - - \
		"$D/report.html" - - | tee "$D/browser.txt"
	ms=$(sed -n 's/.*"render_ms": \([0-9.]*\).*/\1/p' "$D/browser.txt" | sort -n | sed -n 2p)
	echo "render in headless Chromium (navigation start to load end, median of 3): ${ms} ms" \
		"(bar 2000 ms: $(awk -v m="$ms" 'BEGIN { print (m < 2000) ? "ok" : "MISSED" }'))"
else
	echo "(no /usr/bin/chromium: render time not measured)"
fi
