#!/usr/bin/env bash
# bench/perfetto: ingero-perfetto throughput and size on a launch-heavy stream
# (runtime cudaLaunchKernel containing driver cuLaunchKernel, 4 threads, with
# stream/function annotations), protobuf vs Chrome JSON in one run.
#   bash bench/perfetto/run.sh [BUILD_DIR] [EVENTS]
# Bar: >= 3 M events/s, <= 20 bytes/event in protobuf.
set -eu
B=${1:-build}
N=${2:-2000000}
cd "$(dirname "$0")/../.."
P=$B/ingero-perfetto
G=$B/tests/export-mkrec
[ -x "$P" ] && [ -x "$G" ] || { echo "bench/perfetto: build first: make B=$B $P $G" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-perfetto.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$G" "$W/rec.igz" --launch "$N" >"$W/expect.txt"
ev=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$W/expect.txt")
echo "input: $ev events, $(stat -c %s "$W/rec.igz") bytes recorded ($(awk -v b="$(stat -c %s "$W/rec.igz")" -v n="$ev" 'BEGIN{printf "%.2f", b/n}') B/event zstd msgpack)"
run() { # label args...
	local label=$1; shift
	local best=999999 cpu=0 t
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %U %S" -o "$W/time" "$P" "$W/rec.igz" -o "$W/out" --force "$@"
		read -r t u s <"$W/time"
		if awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}'); fi
	done
	local sz
	sz=$(stat -c %s "$W/out")
	awk -v l="$label" -v n="$ev" -v t="$best" -v c="$cpu" -v s="$sz" \
		'BEGIN{printf "%-20s %6.3f s wall %6.2f M ev/s | %6.3f s CPU | %11d bytes %6.2f bytes/event\n", l, t, n/t/1e6, c, s, s/n}'
	echo "$sz" >"$W/size.$label"
}
run proto                      # default: deflated compressed_packets
run proto-uncompressed --no-compress
run json --format json
pz=$(cat "$W/size.proto"); pb=$(cat "$W/size.proto-uncompressed"); js=$(cat "$W/size.json")
awk -v a="$js" -v b="$pb" -v c="$pz" 'BEGIN{printf "JSON / protobuf size ratio: %.1fx (JSON / uncompressed protobuf: %.1fx)\n", a/c, a/b}'
