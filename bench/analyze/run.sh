#!/usr/bin/env bash
# bench/analyze: import + analyze synthetic recordings of 1 M and 10 M events
# end to end (ingero-analyze with the engine and the report), peak RSS, DB
# size, and the sqlite3 shell importing the same rows from CSV (.import).
# Usage: bench/analyze/run.sh [BUILD_DIR] [SIZES...]   (default sizes: 1000000 10000000)
# Env: BENCH_DIR (scratch, default /tmp/ingero-bench-analyze; recordings are
# kept there between runs), KEEP=1 keeps the databases.
set -u
B=${1:-build}; shift || true
SIZES=${*:-1000000 10000000}
cd "$(dirname "$0")/../.."
case $B in /*) BD=$B ;; *) BD=$PWD/$B ;; esac
A="$BD/ingero-analyze"; G="$BD/bench/analyze-gen"
W=${BENCH_DIR:-/tmp/ingero-bench-analyze}
mkdir -p "$W"
[ -x "$A" ] && [ -x "$G" ] || { echo "build first: make B=$B $B/ingero-analyze $B/bench/analyze-gen"; exit 1; }
command -v sqlite3 >/dev/null || echo "(no sqlite3 shell: CSV comparison skipped)"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
printf '%-10s %8s %8s %8s %10s %16s %16s %8s | %8s %8s %10s\n' events wall_s cpu_s rss_MB "ev/s" "import_s(cpu)" "index_s(cpu)" db_MB csv_s csv_cpu "csv_ev/s"
for n in $SIZES; do
	rec="$W/rec-$n"; csv="$W/rows-$n.csv"
	if [ ! -f "$rec/.done" ] || [ "$G" -nt "$rec/.done" ]; then   # regenerate after a format change
		rm -rf "$rec"; "$G" "$n" "$rec" --csv "$csv" && touch "$rec/.done" || exit 1
	fi
	db="$W/an-$n.db"; rm -f "$db"
	INGERO_ANALYZE_TIMING=1 /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$A" -q "$rec" -o "$db" \
		>"$W/report-$n.txt" 2>"$W/timing-$n.txt"
	read -r wall user sys rss <"$W/time"
	imp=$(awk '/timing: import/ {print $4 "(" $7 ")"}' "$W/timing-$n.txt")
	idx=$(awk '/timing: indexes/ {print $4 "(" $7 ")"}' "$W/timing-$n.txt")
	size=$(( $(stat -c %s "$db") / 1048576 ))
	csvs=- csvr=- csvc=-
	if command -v sqlite3 >/dev/null && [ -f "$csv" ]; then
		rm -f "$W/csv.db"
		/usr/bin/time -f "%e %U %S" -o "$W/time" sqlite3 "$W/csv.db" "PRAGMA journal_mode=OFF" \
			"PRAGMA synchronous=OFF" "PRAGMA cache_size=-32768" \
			"CREATE TABLE events(seq, node, timestamp, pid, tid, source, op, duration, arg0, arg1, ret_code, stack_hash, arg2, arg3, cpu, flags)" \
			".mode csv" ".import $csv events" >/dev/null
		read -r cw cu cs <"$W/time"
		csvs=$cw; csvr=$(echo "$n / $cw" | bc); csvc=$(echo "$cu + $cs" | bc)
		rm -f "$W/csv.db"
	fi
	printf '%-10s %8.2f %8.2f %8d %10d %16s %16s %8d | %8s %8s %10s\n' "$n" "$wall" "$(echo "$user + $sys" | bc)" \
		$((rss / 1024)) "$(echo "$n / $wall" | bc)" "$imp" "$idx" "$size" "$csvs" "$csvc" "$csvr"
	[ "${KEEP:-0}" = 1 ] || rm -f "$db"
done
echo "(wall_s/cpu_s: ingero-analyze end to end incl. engine and report; import/index: its stages, wall (cpu);"
echo " csv: the sqlite3 shell's .import of the same rows (16 columns, no conversion, no indexes), wall, cpu)"
