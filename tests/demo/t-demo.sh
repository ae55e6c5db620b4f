#!/usr/bin/env bash
# ingero-record demo through the real binary: usage errors, --help, --list,
# determinism of the CLI, `all`, and that ingero-dump reads what it wrote.
. "$TESTS/lib.sh"
R="$BIN/ingero-record"
if [ ! -x "$R" ]; then skip "demo-cli: $R not built"; exit 0; fi

out=$("$R" demo --help); rc=$?
eq "demo --help exits 0" "$rc" 0
contains "demo --help lists multi-node" "$out" "multi-node"
eq "demo --list names 12 scenarios" "$("$R" demo --list | wc -l)" 12

usage() { # name want-substring args...
	local name=$1 want=$2; shift 2
	local err rc
	err=$("$R" demo "$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq 2 ] && printf '%s' "$err" | grep -q -- "$want" &&
	   [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == ingero-record* ]]; then
		pass "$name"
	else
		fail "$name: rc=$rc stderr='$err'"
	fi
}
usage "usage: no scenario" "missing SCENARIO" -o "$T_OUT/x"
usage "usage: no -o" "missing -o" incident
usage "usage: unknown scenario" "unknown scenario" bogus -o "$T_OUT/x"
usage "usage: unknown option" "unknown option" incident --frobnicate -o "$T_OUT/x"
usage "usage: option without value" "needs a value" incident -o "$T_OUT/x" --seed
usage "usage: bad --events" "--events" incident -o "$T_OUT/x" --events 0
usage "usage: bad --offsets" "--offsets" multi-node -o "$T_OUT/x" --offsets +3.2parsecs
usage "usage: extra argument" "unexpected argument" incident extra -o "$T_OUT/x"

"$R" demo incident --seed 42 -q -o "$T_OUT/a" && "$R" demo incident --seed 42 -q -o "$T_OUT/b" &&
	cmp -s "$T_OUT/a/seg-000001.igz" "$T_OUT/b/seg-000001.igz"
eq "cli: same seed, identical segment" "$?" 0
"$R" demo incident --seed 43 -q -o "$T_OUT/c"
if cmp -s "$T_OUT/a/seg-000001.igz" "$T_OUT/c/seg-000001.igz"; then
	fail "cli: other seed, other bytes"; else pass "cli: other seed, other bytes"; fi
# rerunning into the same directory: refused, replaced with --force (docs/cli.md)
"$R" demo incident --seed 42 -q -o "$T_OUT/c" 2>/dev/null && fail "cli: rerun into a used directory without --force succeeded"
"$R" demo incident --seed 42 -q -o "$T_OUT/c" --force
cmp -s "$T_OUT/a/seg-000001.igz" "$T_OUT/c/seg-000001.igz"
eq "cli: rerun into a used directory replaces it" "$?" 0

"$R" demo all -q -o "$T_OUT/all"
eq "cli: all writes 10 recordings" "$(ls "$T_OUT/all"/*/seg-000001.igz | wc -l)" 10

"$R" demo control -q --segment-mb 1 --events 300000 -o "$T_OUT/seg"
n=$(ls "$T_OUT/seg"/seg-*.igz | wc -l)
if [ "$n" -ge 2 ]; then pass "cli: --segment-mb rotates ($n segments)"; else
	fail "cli: --segment-mb rotates: $n segment(s)"; fi

if [ -x "$BIN/ingero-dump" ]; then
	s=$("$BIN/ingero-dump" --summary "$T_OUT/seg" 2>&1)
	contains "dump: rotated recording reads (events line)" "$s" "events:"
	contains "dump: rotated recording has no warnings" "$s" "warnings: 0"
	s=$("$BIN/ingero-dump" --summary "$T_OUT/all/incident" 2>&1)
	contains "dump: incident names logrotate" "$s" "logrotate"
	# the independent reader written from docs/format.md agrees on our output
	if command -v python3 >/dev/null && [ -f "$TESTS/formats/indep_reader.py" ]; then
		"$R" demo gpu-steal --duration 3 -q -o "$T_OUT/ind"
		a=$("$BIN/ingero-dump" --no-offsets "$T_OUT/ind" 2>&1)
		b=$(python3 "$TESTS/formats/indep_reader.py" "$T_OUT/ind" 2>&1)
		if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "indep reader agrees with ingero-dump"
		else fail "indep reader disagrees with ingero-dump"; fi
	else
		skip "indep reader: python3 or indep_reader.py missing"
	fi
else
	skip "dump: $BIN/ingero-dump not built"
fi

# a full disk: one line naming the file, exit 1, no hang (root only: tmpfs)
M=$T_OUT/small
mkdir -p "$M"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$M" 2>/dev/null; then
	err=$(timeout 20 "$R" demo control --events 3000000 -q -o "$M/x" 2>&1); rc=$?
	umount "$M"
	eq "disk full: exit 1" "$rc" 1
	contains "disk full: message names the segment" "$err" "$M/x/seg-000001.igz"
else
	skip "disk full: needs root to mount a small tmpfs"
fi
