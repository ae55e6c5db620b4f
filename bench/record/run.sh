#!/usr/bin/env bash
# bench/record/run.sh [BUILD_DIR] [SECONDS]: recorder overhead on the fake-CUDA
# training loop (wl-train, zero fake latency, two threads = both cores busy).
# One run each of:
#   untraced         the workload alone
#   bpftrace-empty   the same uprobes+uretprobes that only bump an in-kernel
#                    counter (the cost of the probes themselves, no consumer)
#   ingero-discard   the recorder's probes with an empty consumer
#                    (INGERO_BENCH_DISCARD=1: records read from the ring, dropped)
#   ingero-record    the real recorder (--overhead-budget 0: no sampling)
#   ingero-nostack   the same with --stack=false (cost of user stacks)
#   bpftrace-print   bpftrace printing every entry and return to a file
# and prints probed calls/s, slowdown, tracer CPU seconds (all its threads,
# /proc/PID/task/*/schedstat, over the traced window), CPU ns per event,
# drops, bytes per event on disk.  Needs root; by hand, not part of CI (`make bench`).
set -u
B=${1:-build}
S=${2:-5}
cd "$(dirname "$0")/../.."
BIN=$(pwd)/$B
REC=$BIN/ingero-record
FUNCS="cudaLaunchKernel cudaMemcpy cudaStreamSynchronize cudaMalloc cudaFree"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ingero-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench/record: needs root (BPF)"; exit 0; }
[ -x "$BIN/testdata/wl-train" ] && [ -x "$REC" ] || { echo "bench/record: build first (make B=$B)"; exit 1; }
# a private copy (new inodes): uprobes other recorders may have left on the
# build's libcudart would slow the "untraced" run down
TD=$TMP/td
mkdir -p "$TD" && cp "$BIN"/testdata/wl-train "$BIN"/testdata/lib*.so.* "$TD/"
LIB=$TD/libcudart.so.12
export FAKECUDA_LAT="*=0"

# CPU ns of every thread of PID (schedstat: exact, unlike 10 ms stat ticks)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{n += $1} END {print n + 0}'; }
wait_line() { # FILE REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
start_wl() {
	"$TD/wl-train" --wait-usr1 --threads 2 --seconds "$S" --bytes 4096 >"$TMP/wl.out" 2>&1 &
	WL=$!
	wait_line "$TMP/wl.out" '^pid ' 5
}
calls_per_s() { awk '/^calls_per_s/{print $2}' "$TMP/wl.out"; }
calls_total() { awk '/^calls cuda/{n += $3} END {print n + 0}' "$TMP/wl.out"; }

printf '%-16s %12s %9s %10s %11s %10s %8s %9s\n' mode "calls/s" slowdown "tracer_s" events \
	"ns/event" drops "B/event"

# untraced
start_wl; kill -USR1 $WL; wait $WL
base=$(calls_per_s)
printf '%-16s %12.0f %9s %10s %11s %10s %8s %9s\n' untraced "$base" - - - - - -

bt_prog() { # empty|print
	local f p=""
	for f in $FUNCS; do
		if [ "$1" = empty ]; then
			p="$p uprobe:$LIB:$f { @n = count(); } uretprobe:$LIB:$f { @n = count(); }"
		else
			p="$p uprobe:$LIB:$f { printf(\"E %d %d $f\\n\", pid, tid); }"
			p="$p uretprobe:$LIB:$f { printf(\"R %d %d $f %d\\n\", pid, tid, retval); }"
		fi
	done
	printf '%s' "$p"
}

run_bpftrace() { # MODE
	start_wl
	bpftrace -p "$WL" -o "$TMP/bt.txt" -e "$(bt_prog "$1")" >/dev/null 2>"$TMP/bt.err" &
	local bt=$!
	wait_line "$TMP/bt.txt" 'Attaching' 10; sleep 0.5
	local c0; c0=$(cpu_ns $bt)
	kill -USR1 $WL; wait $WL
	sleep 0.3
	local c1; c1=$(cpu_ns $bt)
	kill -INT $bt; wait $bt 2>/dev/null
	local rate calls secs lines lost
	rate=$(calls_per_s); calls=$(calls_total)
	secs=$(echo "($c1 - $c0) / 1000000000" | bc -l)
	lines=$(grep -c '^[ER] ' "$TMP/bt.txt")
	lost=$(grep -ho 'Lost [0-9]*' "$TMP/bt.txt" "$TMP/bt.err" | awk '{n += $2} END {print n + 0}')
	local nspe=-
	[ "$1" = print ] && [ "$lines" -gt 0 ] && nspe=$(echo "$secs * 1000000000 / ($lines / 2)" | bc -l)
	printf '%-16s %12.0f %8.1f%% %10.2f %11s %10s %8s %9s\n' "bpftrace-$1" "$rate" \
		"$(echo "(1 - $rate / $base) * 100" | bc -l)" "$secs" \
		"$([ "$1" = print ] && echo $((lines / 2)) || echo "$calls")" \
		"$([ "$nspe" = - ] && echo - || printf '%.0f' "$nspe")" "$lost" -
}

command -v bpftrace >/dev/null && run_bpftrace empty || echo "bpftrace-empty   (bpftrace not installed)"

run_rec() { # LABEL ENV ARGS...
	local label=$1 envs=$2; shift 2
	rm -rf "$TMP/rec"
	start_wl
	env $envs "$REC" record -o "$TMP/rec" --pid "$WL" --no-io --overhead-budget 0 "$@" >/dev/null 2>"$TMP/rec.err" &
	local rp=$!
	wait_line "$TMP/rec.err" 'attached [0-9]+ probes' 15; sleep 0.5
	local c0; c0=$(cpu_ns $rp)
	kill -USR1 $WL; wait $WL
	sleep 0.5
	local c1; c1=$(cpu_ns $rp)
	kill -INT $rp; wait $rp
	local rate line ev drops bytes secs
	rate=$(calls_per_s)
	line=$(grep -E '[0-9]+ events, [0-9]+ dropped' "$TMP/rec.err" | tail -1)
	ev=$(echo "$line" | sed -E 's/.*: ([0-9]+) events.*/\1/')
	# the empty consumer counts nothing: use the calls the workload made
	[ -n "$envs" ] && ev=$(calls_total)
	drops=$(echo "$line" | sed -E 's/.* ([0-9]+) dropped.*/\1/')
	bytes=$(cat "$TMP/rec"/seg-*.igz 2>/dev/null | wc -c)
	secs=$(echo "($c1 - $c0) / 1000000000" | bc -l)
	printf '%-16s %12.0f %8.1f%% %10.2f %11s %10.0f %8s %9.2f\n' "$label" "$rate" \
		"$(echo "(1 - $rate / $base) * 100" | bc -l)" "$secs" "$ev" \
		"$(echo "$secs * 1000000000 / ($ev + 1)" | bc -l)" "$drops" "$(echo "$bytes / ($ev + 1)" | bc -l)"
}
run_rec ingero-discard INGERO_BENCH_DISCARD=1
run_rec ingero-record ""
run_rec ingero-nostack "" --stack=false

command -v bpftrace >/dev/null && run_bpftrace print || echo "bpftrace-print   (bpftrace not installed)"
echo "(events: ingero = one per call incl. sched/host events; bpftrace-print = entry/return pairs;"
echo " tracer_s = CPU seconds of the tracer process while the workload ran)"
