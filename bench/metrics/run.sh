#!/usr/bin/env bash
# bench/metrics: ingero-metrics.  (1) the series engine alone (bench-metrics):
# events/s into series for 2 M and 16 M events (8x the recording length) and
# peak RSS of each -- the bar is >= 2 M ev/s with RSS independent of length;
# (2) end to end from analysis DBs of 1 M and 4 M demo events (the engine's
# time-ordered SQLite scan included): wall, CPU, events per CPU-second, peak RSS.
# Run by hand, once (the machine is shared).  Usage: bench/metrics/run.sh [BUILD_DIR]
set -eu
B=${1:-build}
cd "$(dirname "$0")/../.."
make --no-print-directory -s B="$B" "$B/bench/bench-metrics" "$B/ingero-metrics" "$B/ingero-record" "$B/ingero-analyze"
W=${BENCH_DIR:-/tmp/ingero-bench-metrics}
mkdir -p "$W"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "-- series engine (synthetic, 64 keys, 200 k events per recorded second, 1 s step)"
for n in 2000000 16000000; do "$B/bench/bench-metrics" $n 64 200000; done
echo "-- end to end: ingero-metrics DB -o /dev/null-like file (openmetrics, 1 s step)"
for n in 1000000 4000000; do
	db="$W/a-$n.db"
	if [ ! -f "$db" ]; then
		"$B/ingero-record" demo incident --events $n -o "$W/rec-$n" -q
		"$B/ingero-analyze" "$W/rec-$n" -o "$db" -q --no-report
		rm -rf "$W/rec-$n"
	fi
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" "$B/ingero-metrics" "$db" -o "$W/out.om" --force
	read -r wall user sys rss <"$W/time"
	awk -v n=$n -v w=$wall -v u=$user -v s=$sys -v m=$rss 'BEGIN {
		printf "%10d events  wall %6.2f s  cpu %6.2f s  %5.2f M ev/s wall  %5.2f M ev/cpu-s  peak RSS %.1f MB\n",
			n, w, u + s, n / w / 1e6, n / (u + s) / 1e6, m / 1024 }'
done
rm -f "$W/out.om"
