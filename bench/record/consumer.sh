#!/usr/bin/env bash
# bench/record/consumer.sh - the recorder's own cost per event and its drops
# at the highest uprobe rate this machine produces (two workload threads,
# zero fake latency), by hand:
#   [REC_ARGS="--zstd-level 3"] bench/record/consumer.sh [BUILD_DIR] [ITERS_PER_THREAD] [THREADS]
# Prints, for the recorder writing to disk (default options, stacks on) and
# for the same probes with an empty consumer (INGERO_BENCH_DISCARD=1: records
# are read from the ring and dropped): workload calls/s, events, drops,
# recorder CPU ns per event (from /proc/PID/schedstat, exact ns), bytes per
# event on disk.  Needs root.
set -u
B=${1:-build}
ITERS=${2:-100000}
THREADS=${3:-2}
REC=$B/ingero-record
DUMP=$B/ingero-dump
TD=$B/testdata
OUT=$(mktemp -d /tmp/ingero-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "consumer.sh: needs root"; exit 1; }
for f in "$REC" "$DUMP" "$TD/wl-threads"; do
	[ -x "$f" ] || { echo "consumer.sh: $f not built (make B=$B all)"; exit 1; }
done
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

run() { # label env...
	local label=$1; shift
	rm -rf "$OUT/rec"
	FAKECUDA_LAT="*=0" "$TD/wl-threads" --wait-usr1 --threads "$THREADS" --iters "$ITERS" \
		>"$OUT/wl.out" &
	local wp=$!
	sleep 0.2
	env "$@" "$REC" -o "$OUT/rec" --pid "$wp" --overhead-budget 0 -q ${REC_ARGS:-} 2>"$OUT/rec.log" &
	local rp=$!
	for _ in $(seq 100); do grep -q . "$OUT/rec.log" 2>/dev/null && break; sleep 0.05; done
	sleep 1
	local c0 t0 t1 c1
	c0=$(cpu_ns "$rp"); t0=$(date +%s%N)
	kill -USR1 "$wp"; wait "$wp"
	t1=$(date +%s%N)
	sleep 0.3   # last poll period + flush
	c1=$(cpu_ns "$rp")
	kill -INT "$rp"; wait "$rp"
	local calls=$((THREADS * ITERS * 3))
	local ev drops bytes
	ev=$("$DUMP" --summary "$OUT/rec" | awk '/^segments:/ {print $NF}')
	drops=$("$DUMP" --summary "$OUT/rec" | awk '/^lost:/ {print $2}')
	bytes=$(du -sb "$OUT/rec" | awk '{print $1}')
	if [ -n "$*" ]; then ev=$calls; fi
	awk -v l="$label" -v c=$calls -v t=$((t1 - t0)) -v cpu=$((c1 - c0)) -v ev="$ev" \
	    -v d="$drops" -v b="$bytes" 'BEGIN {
		printf "%-22s %9.0f calls/s  events %8d  drops %s  recorder %6.1f ns/event", l, c / (t / 1e9), ev, d, cpu / c;
		if (ev > 0 && b > 4096) printf "  %5.2f bytes/event", b / ev;
		printf "\n" }'
}

echo "wl-threads: $THREADS threads x $ITERS iterations x 3 calls (launch, memcpyAsync, streamSync), 0 latency"
FAKECUDA_LAT="*=0" "$TD/wl-threads" --threads "$THREADS" --iters "$ITERS" >/dev/null &
wp=$!; t0=$(date +%s%N); wait $wp; t1=$(date +%s%N)
awk -v c=$((THREADS * ITERS * 3)) -v t=$((t1 - t0)) 'BEGIN {printf "%-22s %9.0f calls/s\n", "untraced", c / (t / 1e9)}'
run "empty consumer" INGERO_BENCH_DISCARD=1
run "ingero-record"
