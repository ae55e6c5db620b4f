#!/usr/bin/env bash
# bench/analyze: import + analyze synthetic recordings of 1 M and 10 M events
# end to end (ingero-analyze with the engine and the report): events/s (wall
# and per CPU-second), peak RSS, DB size, CPU time of each stage, CPU per
# event (linearity), and the sqlite3 shell importing the same rows from CSV
# (.import) as the baseline -- all in one run.
# Usage: bench/analyze/run.sh [BUILD_DIR] [SIZES...]   (default sizes: 1000000 10000000)
# Env: BENCH_DIR (scratch, default /tmp/ingero-bench-analyze; recordings are
# kept there between runs), KEEP=1 keeps the databases, BASE=/path/to/an/older
# ingero-analyze also runs that binary on the same inputs (before/after in the
# same run; its report must be byte-identical), NOCSV=1 skips the CSV baseline.
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
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), sqlite3 shell $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
printf '%-6s %-9s %7s %7s %9s %9s %6s %6s %5s %7s %7s %7s %7s %7s %14s\n' who events wall_s cpu_s "ev/s" "ev/cpu-s" rss_MB db_MB B/ev \
	"imp_cpu" "idx_cpu" "eng_cpu" "rep_cpu" "us/ev" "steps_ev/cpu-s"
run_one() { # label binary n rec
	local lab=$1 bin=$2 n=$3 rec=$4 db="$W/an-$1-$3.db"
	rm -f "$db"
	INGERO_ANALYZE_TIMING=1 INGERO_ENGINE_TIMING=1 /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$bin" -q "$rec" -o "$db" \
		>"$W/report-$lab-$n.txt" 2>"$W/timing-$lab-$n.txt"
	local wall user sys rss cpu
	read -r wall user sys rss <"$W/time"
	cpu=$(echo "$user + $sys" | bc)
	st() { awk -v s="$1" '$3 == s {gsub(/\)/, "", $7); print $7}' "$W/timing-$lab-$n.txt"; }
	# the engine's step pass (segmentation, breakdown, baselines, findings, its tables): CPU s
	local stp; stp=$(awk '$1 == "engine:" && $2 == "steps" {print $6}' "$W/timing-$lab-$n.txt")
	local dbb; dbb=$(stat -c %s "$db")
	printf '%-6s %-9s %7.2f %7.2f %9d %9d %6d %6d %5d %7s %7s %7s %7s %7.2f %14s\n' "$lab" "$n" "$wall" "$cpu" \
		"$(echo "$n / $wall" | bc)" "$(echo "$n / $cpu" | bc)" $((rss / 1024)) $((dbb / 1048576)) $((dbb / n)) \
		"$(st import)" "$(st indexes)" "$(st engine)" "$(st report)" "$(echo "$cpu * 1000000 / $n" | bc -l)" \
		"$( [ -n "$stp" ] && echo "$n / $stp" | bc || echo -)"
	[ "${KEEP:-0}" = 1 ] || rm -f "$db"
	[ "$lab" = new ] && { NEW_WALL=$wall; NEW_CPU=$cpu; }
}
csvline=()
for n in $SIZES; do
	rec="$W/rec-$n"; csv="$W/rows-$n.csv"
	if [ ! -f "$rec/.done" ] || [ "$G" -nt "$rec/.done" ]; then   # regenerate after a format change
		rm -rf "$rec"; "$G" "$n" "$rec" --csv "$csv" && touch "$rec/.done" || exit 1
	fi
	run_one new "$A" "$n" "$rec"
	if [ -n "${BASE:-}" ]; then
		run_one base "$BASE" "$n" "$rec"
		cmp -s "$W/report-new-$n.txt" "$W/report-base-$n.txt" && echo "       (reports identical)" \
			|| echo "       REPORTS DIFFER: diff $W/report-base-$n.txt $W/report-new-$n.txt"
	fi
	if [ "${NOCSV:-0}" != 1 ] && command -v sqlite3 >/dev/null && [ -f "$csv" ]; then
		rm -f "$W/csv.db"
		/usr/bin/time -f "%e %U %S" -o "$W/time" sqlite3 "$W/csv.db" "PRAGMA journal_mode=OFF" \
			"PRAGMA synchronous=OFF" "PRAGMA cache_size=-32768" \
			"CREATE TABLE events(seq, node, timestamp, pid, tid, source, op, duration, arg0, arg1, ret_code, stack_hash, arg2, arg3, cpu, flags)" \
			".mode csv" ".import $csv events" >/dev/null
		read -r cw cu cs <"$W/time"
		cc=$(echo "$cu + $cs" | bc)
		csvline+=("$(printf '%-6s %-9s %7.2f %7.2f %9d %9d %6s %6d %5d   new/csv: wall %.2fx, cpu %.2fx' csv "$n" "$cw" "$cc" \
			"$(echo "$n / $cw" | bc)" "$(echo "$n / $cc" | bc)" - $(($(stat -c %s "$W/csv.db") / 1048576)) \
			$(($(stat -c %s "$W/csv.db") / n)) "$(echo "$cw / $NEW_WALL" | bc -l)" "$(echo "$cc / $NEW_CPU" | bc -l)")")
		rm -f "$W/csv.db"
	fi
done
[ ${#csvline[@]} -gt 0 ] && printf '%s\n' "${csvline[@]}"
echo "(new/base: ingero-analyze end to end incl. engine and report; ev/s = events / wall, ev/cpu-s = events / CPU;"
echo " *_cpu: CPU seconds of its stages import, indexes (+ANALYZE), engine, report; us/ev: CPU per event (linearity);"
echo " csv: the sqlite3 shell's .import of the same rows from CSV (16 columns, no conversion, no indexes): import only;"
echo " new/csv: how many times faster ingero-analyze end to end is than that import, same run)"
