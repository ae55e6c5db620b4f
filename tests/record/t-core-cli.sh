#!/usr/bin/env bash
# The recorder's command line: help, usage errors (exit 2), and the clear
# one-line errors a user meets (not root, output not writable, no CUDA
# library with --wait=false).  Plus: BPF programs load, verify and record
# a quiet system for a second (header, anchors, system samples, footer).
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"

out=$("$REC" record --help); rc=$?
eq "core-cli: record --help exits 0" "$rc" 0
for o in --pid --user --cuda-lib --nccl --output --node --duration --max-disk --json \
	--ndjson --append --version --stack --wait --overhead-budget --quiet; do
	contains "core-cli: --help documents $o" "$out" "$o"
done
err=$("$REC" --bogus 2>&1); rc=$?
eq "core-cli: unknown option exits 2" "$rc" 2
eq "core-cli: usage error is the message and the Try line" "$(printf '%s\n' "$err" | wc -l)" 2
contains "core-cli: usage error names the tool" "$(printf '%s\n' "$err" | head -1)" "ingero-record: unknown option '--bogus'"
contains "core-cli: usage error says where help is" "$(printf '%s\n' "$err" | tail -1)" "Try 'ingero-record --help'"
"$REC" --pid abc >/dev/null 2>&1; eq "core-cli: bad --pid exits 2" "$?" 2
"$REC" -d xyz >/dev/null 2>&1; eq "core-cli: bad --duration exits 2" "$?" 2
"$REC" --overhead-budget 200 >/dev/null 2>&1; eq "core-cli: bad --overhead-budget exits 2" "$?" 2
"$REC" --ringbuf-size 1000 >/dev/null 2>&1; eq "core-cli: bad --ringbuf-size exits 2" "$?" 2

need_bpf "core-cli: BPF cases" || exit 0
err=$("$REC" -o /proc/ingero-not-here -d 1 2>&1); rc=$?
eq "core-cli: unwritable output exits 1" "$rc" 1
contains "core-cli: unwritable output says so" "$err" "cannot write to '/proc/ingero-not-here'"
contains "core-cli: unwritable output gives the fix" "$err" "-o DIR"

if command -v setpriv >/dev/null; then
	d=$(mktemp -d /tmp/ingero-cli.XXXXXX); chmod 1777 "$d"
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$REC" -o "$d/out" -d 1 2>&1); rc=$?
	rm -rf "$d"
	eq "core-cli: unprivileged exits 1" "$rc" 1
	contains "core-cli: unprivileged says how to fix" "$err" "run as root"
	eq "core-cli: unprivileged error is one line" "$(printf '%s\n' "$err" | wc -l)" 1
else
	skip "core-cli: unprivileged: setpriv missing"
fi

sleep 30 &
SP=$!
err=$("$REC" -o "$T_OUT/none" --pid "$SP" --wait=false 2>&1); rc=$?
eq "core-cli: --wait=false without CUDA exits 1" "$rc" 1
contains "core-cli: --wait=false names the problem" "$err" "no CUDA library found"

"$REC" -o "$T_OUT/quiet" --pid "$SP" -d 1.5 -q 2>"$T_OUT/q.err"; rc=$?
kill "$SP" 2>/dev/null
eq "core-cli: BPF programs load and a 1.5 s recording exits 0" "$rc" 0
eq "core-cli: -q prints nothing" "$(grep -v '^$' "$T_OUT/q.err" | grep -vc 'no CUDA library found yet')" 0
"$DUMP" --ndjson "$T_OUT/quiet" >"$T_OUT/q.json" 2>&1
eq "core-cli: recording reads back" "$?" 0
for k in header anchor sys footer; do
	n=$(grep -c "\"kind\":\"$k\"" "$T_OUT/q.json")
	if [ "$n" -ge 1 ]; then pass "core-cli: recording has $k"; else fail "core-cli: recording lacks $k"; fi
done
m=$(stat -c %a "$(ls "$T_OUT"/quiet/seg-*.igz | head -1)")
eq "core-cli: segment mode 0640" "$m" 640
if grep -q '"text":"probe cost measured: [1-9][0-9]* ns' "$T_OUT/q.json"; then
	pass "core-cli: probe cost calibrated at startup (NOTE)"
else
	fail "core-cli: no probe-cost NOTE: $(grep -m1 'probe cost' "$T_OUT/q.json")"
fi
