#!/usr/bin/env bash
# Test runner: every unit binary $B/tests/unit-* and every tests/*/t-*.sh.
# Tests print one line per case: "PASS: name", "FAIL: name: why",
# "SKIP: name: reason".  Ends with "N passed, N failed, N skipped".
# Usage: tests/run.sh [BUILD_DIR] [PATTERN...]: only the tests whose name
# (unit/unit-x, dir/t-x.sh) contains one of the PATTERNs
set -u
B=${1:-build}
PATS=("${@:2}")
wanted() { # name
	[ ${#PATS[@]} -eq 0 ] && return 0
	local p
	for p in "${PATS[@]}"; do [[ "$1" == *"$p"* ]] && return 0; done
	return 1
}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export BIN="$ROOT/$B" ROOT
export TESTS="$ROOT/tests"
export SHARED="${SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd)}"
LOGDIR="$ROOT/$B/test-logs"
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
pass=0 fail=0 skip=0
failed_names=()

run_one() { # name cmd...
	local name=$1; shift
	local log="$LOGDIR/$(echo "$name" | tr '/ ' '__').log"
	local t0=$SECONDS
	export T_OUT
	T_OUT=$(mktemp -d "${TMPDIR:-/tmp}/ingero-t.XXXXXX")
	timeout -k 10 900 "$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log"); s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: exited with status $rc" >>"$log"; f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "FAIL: $name: ran no test case" >>"$log"; f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	printf '%-44s %4d pass %3d fail %3d skip  (%ds)\n' "$name" "$p" "$f" "$s" $((SECONDS - t0))
	grep -E '^(FAIL|SKIP): ' "$log" | sed 's/^/    /' | head -20
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		echo "    --- last lines of $log:"; tail -15 "$log" | sed 's/^/    | /'
	fi
	rm -rf "$T_OUT"
}

for t in "$BIN"/tests/unit-*; do
	[ -x "$t" ] || continue
	n="unit/$(basename "$t")"
	wanted "$n" || continue
	run_one "$n" "$t"
done
for t in tests/*/t-*.sh; do
	[ -f "$t" ] || continue
	n=${t#tests/}
	wanted "$n" || continue
	run_one "$n" bash "$t"
done
echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
