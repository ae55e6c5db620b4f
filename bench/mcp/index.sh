#!/usr/bin/env bash
# bench/mcp/index.sh: ingero-mcp's startup index (the one scan of the events,
# mcp/index.c) against the sqlite3 shell reading the same DB in the same run:
#   sqlite3 DB "SELECT count(*), sum(duration) FROM events"
# (one column summed: a lower bound for any scan of the events through SQLite).
# Usage: bench/mcp/index.sh [BUILD_DIR] DB [ROUNDS]   (best of ROUNDS, default 3)
# Env: BASE=/path/to/an/older/ingero-mcp also times that binary (same rounds).
# A 10 M-event DB: build/bench/analyze-gen 10000000 REC && ingero-analyze -q REC -o DB
set -u
B=${1:-build}; DB=${2:?usage: bench/mcp/index.sh [BUILD_DIR] DB [ROUNDS]}; R=${3:-3}
cd "$(dirname "$0")/../.." || exit 1
case $B in /*) BD=$B ;; *) BD=$PWD/$B ;; esac
command -v sqlite3 >/dev/null || { echo "bench/mcp/index.sh: needs the sqlite3 shell"; exit 1; }
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}'
call='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_nodes","arguments":{}}}'
T=$(mktemp); trap 'rm -f "$T"' EXIT
index_s() { # binary -> "wall_s cpu_s rss_MB" (wall: the server's own 'indexed ... in X s')
	printf '%s\n%s\n' "$init" "$call" | /usr/bin/time -f "%U %S %M" -o "$T" "$1" "$DB" 2>&1 >/dev/null |
		sed -n 's/.*indexed .* in \([0-9.]*\) s.*/\1/p' | tr '\n' ' '
	awk '{printf "%.2f %d\n", $1 + $2, $3 / 1024}' "$T"
}
base_s() {
	/usr/bin/time -f "%e %U %S" -o "$T" sqlite3 "$DB" "SELECT count(*), sum(duration) FROM events" >/dev/null
	awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$T"
}
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $(sqlite3 "$DB" "SELECT count(*) FROM events") events, DB $(($(stat -c %s "$DB") / 1048576)) MB"
best() { sort -n | head -1; }
sq=() ix=() bx=()
for _ in $(seq "$R"); do
	sq+=("$(base_s)"); ix+=("$(index_s "$BD/ingero-mcp")")
	[ -n "${BASE:-}" ] && bx+=("$(index_s "$BASE")")
done
pr() { # label rows...
	local lab=$1; shift
	local w c; w=$(printf '%s\n' "$@" | awk '{print $1}' | best); c=$(printf '%s\n' "$@" | awk '{print $2}' | best)
	printf '%-8s wall %6.2f s  cpu %6.2f s' "$lab" "$w" "$c"
	[ "$lab" != sqlite3 ] && printf '  rss %4d MB  wall/sqlite3 %.2fx  cpu/sqlite3 %.2fx' \
		"$(printf '%s\n' "$@" | awk '{print $3}' | best)" "$(echo "$w / $SQW" | bc -l)" "$(echo "$c / $SQC" | bc -l)"
	echo
}
SQW=$(printf '%s\n' "${sq[@]}" | awk '{print $1}' | best); SQC=$(printf '%s\n' "${sq[@]}" | awk '{print $2}' | best)
pr sqlite3 "${sq[@]}"
pr index "${ix[@]}"
[ -n "${BASE:-}" ] && pr base "${bx[@]}"
echo "(best of $R; sqlite3: the shell's SELECT count(*), sum(duration) FROM events; index: ingero-mcp's"
echo " startup scan as it logs it, cpu and rss of the whole server process; base: \$BASE the same way)"
