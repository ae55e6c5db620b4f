#!/usr/bin/env bash
# Run every benchmark (bench/*/run.sh) by hand: `make bench`.  Not part of CI.
B=${1:-build}
cd "$(dirname "$0")/.."
for r in bench/*/run.sh; do [ -f "$r" ] && { echo "== $r"; bash "$r" "$B"; }; done
