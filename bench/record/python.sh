#!/usr/bin/env bash
# bench/record/python.sh [BUILD_DIR] [SECONDS]: the cost of Python frames.
# A CPython loop (bench/record/pyloop.py: cudaStreamSynchronize through
# ctypes, 6 Python frames deep, fake latency 0) runs SECONDS once each:
#   untraced         the loop alone
#   bpftrace-empty   uprobe + uretprobe on the call that only bump a counter
#                    (the probes' own cost: the outside baseline)
#   ingero-py-all    ingero-record --stack=all: a user stack and the Python
#                    frame walk on every call
#   ingero-nopy-all  the same with the walk off (INGERO_BENCH_NOPY=1)
#   ingero-py        the default stack policy (first calls per site, slow
#                    calls, 1 in 64) with the walk
#   ingero-nostack   --stack=false (neither stacks nor Python frames)
# Prints calls/s, the added cost per call (1/rate - 1/untraced, ns), its
# ratio to bpftrace-empty's, the recorder's CPU ns per event, bytes/event,
# and the kernel time of the return probe per call (kernel.bpf_stats_enabled,
# turned on for the ingero rows and restored).  Needs root; by hand.
set -u
B=${1:-build}
S=${2:-5}
cd "$(dirname "$0")/../.."
BIN=$(pwd)/$B
REC=$BIN/ingero-record
PY=${INGERO_TEST_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ingero-pybench.XXXXXX")
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
trap 'echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null; rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench/record/python: needs root (BPF)"; exit 0; }
[ -x "$REC" ] || { echo "bench/record/python: build first (make B=$B)"; exit 1; }
minor=$("$PY" -c 'import sys; print(sys.version_info[1])')
case $minor in 10|11|12) ;; *) echo "bench/record/python: $PY is CPython 3.$minor (walked: 3.10-3.12)"; exit 0;; esac
TD=$TMP/td
mkdir -p "$TD" && cp "$BIN"/testdata/lib*.so.* "$TD/"
LIB=$TD/libcudart.so.12
export FAKECUDA_LAT="*=0"

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{n += $1} END {print n + 0}'; }
wait_line() { # FILE REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
start_wl() {
	"$PY" bench/record/pyloop.py "$LIB" "$S" >"$TMP/wl.out" 2>&1 &
	WL=$!
	wait_line "$TMP/wl.out" '^pid ' 10
}
rate() { awk '/^calls_per_s/{print $2}' "$TMP/wl.out"; }
calls() { awk '/^calls /{print $2}' "$TMP/wl.out"; }
added() { echo "1000000000 / $1 - 1000000000 / $base" | bc -l; }   # ns per call over untraced
# ids of the loaded uprobe_return programs; their run time and count (bpf_stats)
ret_ids() { bpftool prog show --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(str(x["id"]) for x in json.load(sys.stdin) if x.get("name") == "uprobe_return"))'; }
kstat() { bpftool prog show --json 2>/dev/null | python3 -c '
import json, sys
ids = {int(i) for i in sys.argv[1:]}
p = [x for x in json.load(sys.stdin) if x.get("id") in ids]
print("%d %d" % (sum(x.get("run_time_ns", 0) for x in p), sum(x.get("run_cnt", 0) for x in p)))' $1; }

printf '%-16s %12s %10s %9s %10s %10s %9s %10s\n' mode "calls/s" "+ns/call" "x bt-empty" "tracer_s" \
	"ns/event" "B/event" "kern_ns"
start_wl; kill -USR1 $WL; wait $WL
base=$(rate)
printf '%-16s %12.0f %10s %9s %10s %10s %9s %10s\n' untraced "$base" - - - - - -

bt=-
if command -v bpftrace >/dev/null; then
	start_wl
	bpftrace -p "$WL" -o "$TMP/bt.txt" -e "uprobe:$LIB:cudaStreamSynchronize { @n = count(); }
		uretprobe:$LIB:cudaStreamSynchronize { @n = count(); }" >/dev/null 2>"$TMP/bt.err" &
	btp=$!
	wait_line "$TMP/bt.txt" 'Attaching' 10; sleep 0.5
	kill -USR1 $WL; wait $WL
	kill -INT $btp; wait $btp 2>/dev/null
	r=$(rate); bt=$(added "$r")
	printf '%-16s %12.0f %10.0f %9s %10s %10s %9s %10s\n' bpftrace-empty "$r" "$bt" 1.00 - - - -
else
	echo "bpftrace-empty   (bpftrace not installed: no ratio column)"
fi

run_rec() { # LABEL ENV ARGS...
	local label=$1 envs=$2; shift 2
	rm -rf "$TMP/rec"
	start_wl
	local mine
	echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	env $envs "$REC" record -o "$TMP/rec" --pid "$WL" --no-io --overhead-budget 0 "$@" >/dev/null 2>"$TMP/rec.err" &
	local rp=$!
	wait_line "$TMP/rec.err" 'attached [0-9]+ probes' 15; sleep 1
	# this recorder's: the uprobe_return among the programs its fds hold
	local own; own=" $(grep -h '^prog_id:' /proc/$rp/fdinfo/* 2>/dev/null | awk '{printf "%s ", $2}') "
	mine=$(for i in $(ret_ids); do [[ $own == *" $i "* ]] && echo "$i"; done)
	local c0 k0 k1 c1; c0=$(cpu_ns $rp); k0=$(kstat "$mine")
	kill -USR1 $WL; wait $WL
	k1=$(kstat "$mine")
	[ -n "${BENCH_DEBUG:-}" ] && echo "mine=[$mine] k0=[$k0] k1=[$k1]" >&2
	sleep 0.5
	c1=$(cpu_ns $rp)
	kill -INT $rp; wait $rp
	echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	local r ev bytes secs add kns
	r=$(rate)
	ev=$(grep -E '[0-9]+ events, [0-9]+ dropped' "$TMP/rec.err" | tail -1 | sed -E 's/.*: ([0-9]+) events.*/\1/')
	bytes=$(cat "$TMP/rec"/seg-*.igz 2>/dev/null | wc -c)
	secs=$(echo "($c1 - $c0) / 1000000000" | bc -l)
	add=$(added "$r")
	kns=$(echo "$k0 $k1" | awk '{n = $4 - $2; print (n > 0 ? ($3 - $1) / n : 0)}')
	printf '%-16s %12.0f %10.0f %9s %10.2f %10.0f %9.2f %10.0f\n' "$label" "$r" "$add" \
		"$([ "$bt" = - ] && echo - || printf '%.2f' "$(echo "$add / $bt" | bc -l)")" "$secs" \
		"$(echo "$secs * 1000000000 / ($ev + 1)" | bc -l)" "$(echo "$bytes / ($ev + 1)" | bc -l)" "$kns"
}
run_rec ingero-py-all "" --stack=all
run_rec ingero-nopy-all INGERO_BENCH_NOPY=1 --stack=all
run_rec ingero-py ""
run_rec ingero-nostack "" --stack=false
echo "(+ns/call: added time per call over untraced; x bt-empty: that / bpftrace-empty's;"
echo " kern_ns: kernel time per run of the return probe (stack + Python walk + event))"
