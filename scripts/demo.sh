#!/usr/bin/env bash
# make demo: the whole Ingero-C pipeline on built-in synthetic recordings.
# No GPU and no root needed.  Everything lands in $B/demo/.
set -euo pipefail
B=${1:-build}
cd "$(dirname "$0")/.."
T=$B
D=$B/demo
rm -rf "$D"; mkdir -p "$D"
hr() { printf '\n=== %s\n\n' "$*"; }

hr "1. Generate the scenarios (ingero-record demo all)"
"$T/ingero-record" demo all -o "$D/scenarios" -q
for s in "$D"/scenarios/*/; do
	n=$(basename "$s")
	ev=$("$T/ingero-dump" --summary "$s" | sed -n 's/.*events: \([0-9]*\).*/\1/p' | head -1)
	span=$("$T/ingero-dump" --summary "$s" | sed -n 's/.*span \([0-9.]* s\).*/\1/p' | head -1)
	printf '  %-20s %8s events over %s  (%s)\n' "$n" "$ev" "$span" "$(du -sh "$s" | cut -f1)"
done
echo
echo "  summary of one recording (ingero-dump --summary $D/scenarios/incident):"
"$T/ingero-dump" --summary "$D/scenarios/incident" | sed 's/^/    /'

hr "2. A 4-node job with skewed clocks, merged (ingero-merge)"
"$T/ingero-record" demo multi-node --nodes 4 --offsets 0,+3.2ms,-47ms,+850us \
	--drift 0,20ppm,-5ppm,0 -o "$D/multi" -q
"$T/ingero-merge" "$D"/multi/node-* -o "$D/merged" --truth "$D/multi/truth.json"

hr "3. Analyze the merged job (ingero-analyze)"
"$T/ingero-analyze" "$D/merged" -o "$D/multi.db"

hr "4. Perfetto timeline (ingero-perfetto)"
"$T/ingero-perfetto" "$D/multi.db" -o "$D/multi.pftrace"
echo "  wrote $D/multi.pftrace ($(du -h "$D/multi.pftrace" | cut -f1)): open https://ui.perfetto.dev and drag the file in"

hr "5. One SQL query (ingero-sql, read-only)"
q="SELECT node, source, count(*) AS events, round(avg(duration)/1000.0, 1) AS avg_us FROM events GROUP BY node, source ORDER BY node, source"
echo "  \$ ingero-sql $D/multi.db \"$q\""
"$T/ingero-sql" "$D/multi.db" "$q"

hr "6. Incident report of the 'incident' scenario (ingero-analyze)"
"$T/ingero-analyze" "$D/scenarios/incident" -o "$D/incident.db"
"$T/ingero-perfetto" "$D/incident.db" -o "$D/incident.pftrace"

hr "7. One HTML file to open or attach to a ticket (ingero-report)"
"$T/ingero-report" "$D/incident.db" -o "$D/report.html"
echo "  wrote $D/report.html ($(du -h "$D/report.html" | cut -f1)): open it in a browser (no network needed)"
echo
echo "demo: done. Timelines: $D/incident.pftrace, $D/multi.pftrace (ui.perfetto.dev);"
echo "      databases: $D/incident.db, $D/multi.db (try: $T/ingero-sql --schema $D/incident.db)"
echo "      report: $D/report.html"
