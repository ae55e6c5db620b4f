#!/usr/bin/env bash
# bench/mcp: latency of every ingero-mcp tool through the official MCP SDK
# client on a large analysis DB (default: the incident demo at 10 M events),
# plus the server's startup (the one scan of the events).  Bar: every tool
# < 1 s.  Usage: bench/mcp/run.sh [BUILD_DIR] [EVENTS]
# Env: BENCH_DIR (scratch, default /tmp/ingero-bench-mcp; the recording and the
# DB are kept there between runs).  Needs node and tests/mcp's packages
# (tests/mcp/t-sdk.sh installs them with npm ci).
set -u
B=${1:-build}; N=${2:-10000000}
cd "$(dirname "$0")/../.."
case $B in /*) BD=$B ;; *) BD=$PWD/$B ;; esac
W=${BENCH_DIR:-/tmp/ingero-bench-mcp}
mkdir -p "$W"
[ -x "$BD/ingero-mcp" ] || { echo "build first: make $B/ingero-mcp"; exit 1; }
[ -d tests/mcp/node_modules/@modelcontextprotocol/sdk ] ||
	(cd tests/mcp && npm ci --no-audit --no-fund --loglevel=error) || { echo "bench/mcp: needs npm (tests/mcp)"; exit 1; }
rec=$W/incident-$N db=$W/incident-$N.db
if [ ! -f "$db" ]; then
	echo "generating $N events (ingero-record demo incident --events $N) and analyzing them once..."
	rm -rf "$rec"
	/usr/bin/time -f "  demo: %e s" "$BD/ingero-record" demo incident --events "$N" -o "$rec" >/dev/null || exit 1
	/usr/bin/time -f "  analyze: %e s, %M KB" "$BD/ingero-analyze" -q "$rec" -o "$db" >/dev/null || exit 1
	rm -rf "$rec"
fi
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); DB $(($(stat -c %s "$db") / 1048576)) MB"
node bench/mcp/bench.mjs "$BD/ingero-mcp" "$db"
