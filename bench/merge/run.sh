#!/usr/bin/env bash
# bench/merge: merge N nodes x E events (default 8 x 2 M) and report events/s
# and peak RSS; a second run at a quarter of the size shows that peak RSS
# does not grow with the input.
# Usage: bench/merge/run.sh [BUILD_DIR] [NODES] [EVENTS_PER_NODE]
# INGERO_MERGE=PATH benchmarks another ingero-merge binary; INGERO_MERGE_BEFORE=PATH
# runs a second one (e.g. built from an older commit) on the same inputs first.
# "events/cpu-s" and the merging thread's CPU time do not depend on other load;
# wall-clock events/s does.
# Inputs come from merge-synth (the writer API, 1 event / 10 us / node,
# one AllReduce in 20); set INGERO_BENCH_GEN=1 to use
# `ingero-record demo multi-node --events` instead.
set -u
B=${1:-build}
N=${2:-8}
E=${3:-2000000}
cd "$(dirname "$0")/../.."
make --no-print-directory -s B="$B" "$B/ingero-merge" "$B/tests/merge-synth" >/dev/null || exit 1
W=$(mktemp -d "${TMPDIR:-/tmp}/ingero-bench-merge.XXXXXX")
trap 'rm -rf "$W"' EXIT

gen() { # DIR EVENTS
	if [ "${INGERO_BENCH_GEN:-0}" = 1 ]; then
		"$B/ingero-record" demo multi-node --nodes "$N" --events $(( $2 * N )) -o "$1" -q
	else
		"$B/tests/merge-synth" gen -o "$1" --nodes "$N" --events "$2"
	fi
}

# baseline on the same inputs: decompress every segment once (zstd -dc, one
# process per node in parallel as the merge reads them) and cat them
baseline() { # DIR LABEL EVENTS
	local dir=$1 label=$2 ev=$3
	/usr/bin/time -f '%e %U %S' -o "$W/btime" bash -c '
		for n in "$1"/node-*; do zstd -qdc "$n"/seg-*.igz >/dev/null & done; wait' _ "$dir"
	read -r wall user sys <"$W/btime"
	/usr/bin/time -f '%e' -o "$W/ctime" bash -c 'cat "$1"/node-*/seg-*.igz >/dev/null' _ "$dir"
	awk -v l="$label" -v ev="$ev" -v w="$wall" -v u="$user" -v s="$sys" -v c="$(cat "$W/ctime")" 'BEGIN {
		printf "%-22s %10d events  wall %6.2f s  %6.2f M events/s  cpu %6.2f s  %6.2f M events/cpu-s  (zstd -dc of every input once; cat: %.2f s)\n",
		       l, ev, w, ev / w / 1e6, u + s, ev / (u + s) / 1e6, c }'
	# and a copy through zstd: decompress every input and compress it again
	# at level 1 (what a merge costs without merging anything)
	/usr/bin/time -f '%e %U %S' -o "$W/btime" bash -c '
		for n in "$1"/node-*; do zstd -qdc "$n"/seg-*.igz | zstd -q -1 -c >"$n.zz" & done; wait' _ "$dir"
	read -r wall user sys <"$W/btime"
	awk -v l="$label" -v ev="$ev" -v w="$wall" -v u="$user" -v s="$sys" \
	    -v sz="$(cat "$dir"/node-*.zz | wc -c)" -v insz="$(du -sb "$dir" | cut -f1)" 'BEGIN {
		printf "%-22s %10d events  wall %6.2f s  %6.2f M events/s  cpu %6.2f s  %6.2f M events/cpu-s  (zstd -dc | zstd -1 of every input; out/in %.3f)\n",
		       l, ev, w, ev / w / 1e6, u + s, ev / (u + s) / 1e6, sz / (insz - sz) }'
	rm -f "$dir"/node-*.zz
}

merge1() { # BINARY DIR LABEL
	local bin=$1 dir=$2 label=$3
	rm -f "$W/out.igz"
	/usr/bin/time -f '%e %U %S %M' -o "$W/time" "$bin" "$dir"/node-* -o "$W/out.igz" -q \
		--stats 2>"$W/stats" || { echo "merge failed"; cat "$W/stats"; exit 1; }
	read -r wall user sys rss <"$W/time"
	ev=$(sed -n 's/.*records, \([0-9]*\) events.*/\1/p' "$W/stats")
	awk -v l="$label" -v ev="$ev" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
	    -v sz="$(stat -c %s "$W/out.igz")" -v insz="$(du -sb "$dir" | cut -f1)" 'BEGIN {
		printf "%-22s %10d events  wall %6.2f s  %6.2f M events/s  cpu %6.2f s  %6.2f M events/cpu-s  peak RSS %6.1f MB  out/in %.3f (%.1f / %.1f MB; %.2f / %.2f B/event)\n",
		       l, ev, w, ev / w / 1e6, u + s, ev / (u + s) / 1e6, r / 1024, sz / insz, sz / 1048576, insz / 1048576,
		       sz / ev, insz / ev }'
	sed -n 's/^ingero-merge: stats: /    phases: /p' "$W/stats"
}

# INGERO_MERGE_BEFORE=PATH: that binary too, on the same inputs, first
run() { # DIR LABEL
	local dir=$1 label=$2 ev
	if [ -n "${INGERO_MERGE_BEFORE:-}" ]; then
		merge1 "$INGERO_MERGE_BEFORE" "$dir" "$label (before)"
	fi
	merge1 "${INGERO_MERGE:-$B/ingero-merge}" "$dir" "$label"
	baseline "$dir" "  baseline" "$ev"
	rm -f "$W/out.igz"
}

echo "ingero-merge bench: $N nodes, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
gen "$W/small" $(( E / 4 )) || exit 1
run "$W/small" "$N x $(( E / 4 ))"
rm -rf "$W/small"
gen "$W/big" "$E" || exit 1
run "$W/big" "$N x $E"
