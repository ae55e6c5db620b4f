#!/usr/bin/env bash
# The recorder never surprises (docs/cli.md): bare `ingero-record` prints
# usage (no host-wide unbounded recording), --version, a recording never
# mixes with or deletes another (-o DIR that holds segments is refused,
# --append continues only a recording of this node and boot, `demo -o`
# never touches a real recording), -o that is not a directory is refused,
# a failed ring-buffer poll exits 1, and --ndjson / --json follow the JSON
# rules.  Every refusal: exit status, one-line message, files unchanged.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"

sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }
lines() { printf '%s\n' "$1" | grep -c .; }

# --- no BPF needed
out=$("$REC" 2>"$T_OUT/bare.err"); rc=$?
eq "outdir: bare ingero-record exits 2" "$rc" 2
eq "outdir: bare ingero-record prints nothing on stdout" "$out" ""
contains "outdir: bare ingero-record prints usage on stderr" "$(cat "$T_OUT/bare.err")" "usage: ingero-record"
v=$("$REC" --version); rc=$?
eq "outdir: --version exits 0" "$rc" 0
if [[ "$v" =~ ^ingero-record\ [0-9.]+\ \(recording\ format\ [0-9]+\.[0-9]+\)$ ]]; then
	pass "outdir: --version is one line in the common format"
else fail "outdir: --version: '$v'"; fi
eq "outdir: record --version too" "$("$REC" record --version)" "$v"
err=$("$REC" -o "$T_OUT/x" 2>&1); rc=$?
eq "outdir: options without a target or duration exit 2" "$rc" 2
contains "outdir: ... and say what to give" "$(printf '%s\n' "$err" | head -1)" "nothing to record: give -p PID"
[ -e "$T_OUT/x" ] && fail "outdir: refused run created its -o" || pass "outdir: refused run created nothing"
err=$("$REC" record --jsno 2>&1); rc=$?
eq "outdir: unknown option exits 2" "$rc" 2
contains "outdir: unknown option suggests" "$(printf '%s\n' "$err" | head -1)" "(did you mean '--json'?)"
err=$("$REC" record --json --ndjson 2>&1); rc=$?
eq "outdir: --json with --ndjson is a usage error" "$rc" 2

# demo: a non-empty directory only with --force, and only demo recordings
"$REC" demo control -q --duration 2 -o "$T_OUT/d1" || fail "outdir: demo control"
before=$(sums "$T_OUT/d1")
err=$("$REC" demo control -q --duration 2 --seed 9 -o "$T_OUT/d1" 2>&1); rc=$?
eq "outdir: demo into a used directory exits 1" "$rc" 1
eq "outdir: ... with one line" "$(lines "$err")" 1
contains "outdir: ... naming --force" "$err" "--force"
eq "outdir: ... files unchanged" "$(sums "$T_OUT/d1")" "$before"
"$REC" demo control -q --duration 2 --seed 9 -o "$T_OUT/d1" --force; rc=$?
eq "outdir: demo --force replaces a demo recording" "$rc" 0
[ "$(sums "$T_OUT/d1")" != "$before" ] && pass "outdir: ... with new bytes" || fail "outdir: ... bytes unchanged"
echo keep >"$T_OUT/d1.file"
err=$("$REC" demo control -q -o "$T_OUT/d1.file" --force 2>&1); rc=$?
eq "outdir: demo -o a regular file exits 1" "$rc" 1
eq "outdir: ... the file is kept" "$(cat "$T_OUT/d1.file")" "keep"

need_bpf "outdir: recorder cases" || exit 0
sleep 60 &
SP=$!
trap 'kill $SP 2>/dev/null; core_cleanup' EXIT
"$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/real"; rc=$?
eq "outdir: a short real recording" "$rc" 0
before=$(sums "$T_OUT/real")
[ -n "$before" ] && pass "outdir: it has segments" || fail "outdir: no segments in $T_OUT/real"

err=$("$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/real" 2>&1); rc=$?
eq "outdir: recording into a directory with a recording exits 1" "$rc" 1
eq "outdir: ... with one line" "$(lines "$err")" 1
contains "outdir: ... offering --append" "$err" "already holds a recording"
eq "outdir: ... files unchanged" "$(sums "$T_OUT/real")" "$before"

for args in "demo control --duration 2" "demo control --duration 2 --force" "demo all" \
	"demo multi-node --nodes 2 --events 2000"; do
	err=$("$REC" $args -q -o "$T_OUT/real" 2>&1); rc=$?
	eq "outdir: $args -o REAL exits 1" "$rc" 1
	contains "outdir: $args -o REAL says it is not a demo" "$err" "not a demo"
	eq "outdir: $args -o REAL leaves it unchanged" "$(sums "$T_OUT/real")" "$before"
done
mkdir -p "$T_OUT/parent"; cp -r "$T_OUT/real" "$T_OUT/parent/node-0"
pbefore=$(sums "$T_OUT/parent")
"$REC" demo multi-node --nodes 2 --events 2000 -q -o "$T_OUT/parent" --force 2>/dev/null
eq "outdir: demo multi-node --force over a real node-0/ exits 1" "$?" 1
eq "outdir: ... real node-0/ unchanged" "$(sums "$T_OUT/parent")" "$pbefore"

err=$("$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/real" --append --node other-node 2>&1); rc=$?
eq "outdir: --append to another node's recording exits 1" "$rc" 1
eq "outdir: ... files unchanged" "$(sums "$T_OUT/real")" "$before"
"$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/real" --append; rc=$?
eq "outdir: --append continues this node's recording" "$rc" 0
n=$(ls "$T_OUT"/real/seg-*.igz | wc -l)
[ "$n" -ge 2 ] && pass "outdir: ... in new segments ($n)" || fail "outdir: --append: $n segments"
eq "outdir: ... old segments unchanged" \
	"$(sums "$T_OUT/real" | grep -F "$(printf '%s\n' "$before" | awk '{print $2}')" )" "$before"
d=$("$REC" demo control -q --duration 2 -o "$T_OUT/demo2" && "$REC" -q -d 0.5 -p "$SP" \
	-o "$T_OUT/demo2" --append 2>&1); rc=$?
eq "outdir: --append to a demo recording exits 1" "$rc" 1

echo keep >"$T_OUT/file"
err=$("$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/file" 2>&1); rc=$?
eq "outdir: -o a regular file exits 1" "$rc" 1
eq "outdir: ... the file is kept" "$(cat "$T_OUT/file")" "keep"
err=$("$REC" -q -d 0.5 -p "$SP" -o /dev/null 2>&1); rc=$?
eq "outdir: -o /dev/null exits 1" "$rc" 1
[ -c /dev/null ] && pass "outdir: /dev/null still a device" || fail "outdir: /dev/null replaced"

# a failed ring-buffer poll is a failure, said once, noted in the recording
err=$(INGERO_TEST_FAIL_POLL=3 "$REC" -q -d 5 -p "$SP" -o "$T_OUT/pf" 2>&1); rc=$?
eq "outdir: failed ring-buffer poll exits 1" "$rc" 1
eq "outdir: ... with one line" "$(lines "$err")" 1
contains "outdir: ... saying so" "$err" "reading the BPF ring buffer failed"
"$DUMP" --ndjson "$T_OUT/pf" 2>/dev/null | grep -q '"level":2,"text":"reading the BPF ring buffer failed' &&
	pass "outdir: ... and an error NOTE in the recording" || fail "outdir: no error NOTE in the recording"
"$DUMP" --ndjson "$T_OUT/pf" 2>/dev/null | grep -q '"kind":"footer"' &&
	pass "outdir: ... which is closed cleanly" || fail "outdir: no footer after a poll failure"

# --json: one document at exit; --ndjson: one event per line, common layout
j=$("$REC" -q -d 0.5 -p "$SP" -o "$T_OUT/j" --json 2>/dev/null); rc=$?
eq "outdir: --json run exits 0" "$rc" 0
printf '%s' "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["exit_status"] == 0 and d["output"].endswith("/j") and d["bytes"] > 0, d
' && pass "outdir: --json prints one document (output, exit status, bytes)" ||
	fail "outdir: --json output: $j"
if [ -x "$TD/wl-train" ]; then
	FAKECUDA_LAT="*=0" "$TD/wl-train" --wait-usr1 --steps 20 >"$T_OUT/wl.out" 2>&1 &
	WP=$!
	for i in $(seq 50); do grep -q '^pid ' "$T_OUT/wl.out" && break; sleep 0.1; done
	"$REC" record -o "$T_OUT/nd" -p "$WP" --ndjson --overhead-budget 0 >"$T_OUT/nd.json" 2>"$T_OUT/nd.err" &
	RP=$!
	for i in $(seq 150); do grep -q "attached [0-9]* probes" "$T_OUT/nd.err" && break; sleep 0.1; done
	kill -USR1 "$WP"; wait "$WP"; WP=
	sleep 0.3; kill -INT "$RP"; wait "$RP"; RP=
	python3 - "$T_OUT/nd.json" <<'PY' && pass "outdir: --ndjson events in the common layout" || fail "outdir: --ndjson layout"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
launch = [e for e in ev if e["op"] == "cudaLaunchKernel"]
assert len(launch) >= 20, len(launch)
for e in ev:
    assert set(e) >= {"node", "ts_ns", "dur_ns", "pid", "tid", "source", "op", "ret", "cpu",
                      "stack_id", "args"}, e
    assert isinstance(e["ts_ns"], str) and e["ts_ns"].isdigit() and isinstance(e["dur_ns"], int), e
    assert len(e["args"]) == 6 and all(isinstance(a, str) for a in e["args"]), e
PY
else
	skip "outdir: --ndjson: wl-train not built"
fi
