#!/usr/bin/env bash
# Format benchmark: write + read N million synthetic launch-heavy events
# (8 cudaLaunchKernel + 1 cudaMemcpy + 1 cudaStreamSync per step, log-normal
# durations, small regular gaps, fixed seed; medians/sigmas overridable:
# GAP_NS GAP_SIGMA LAUNCH_NS ... SYNC_SIGMA).  Prints write/read events/s,
# bytes/event, events per frame, the stream's empirical entropy, a
# msgpack-rows+zstd-1 baseline and peak RSS.
# usage: bench/format/run.sh [BUILD_DIR] [MILLION_EVENTS] [ZSTD_LEVEL...]
set -e
B=${1:-build}
M=${2:-10}
shift 2 2>/dev/null || shift $#
LEVELS=${*:-0}
cd "$(dirname "$0")/../.."
make --no-print-directory -s B="$B" "$B/bench/bench-format"
for l in $LEVELS; do
	"$B/bench/bench-format" "$M" "${TMPDIR:-/tmp}/ingero-bench-format.$$" "$l"
	echo
done
