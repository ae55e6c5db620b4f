#!/usr/bin/env bash
# Engine v2 --inference on a real eBPF recording (issue 12): an inference-like
# loop (prefill every 20 steps, decode otherwise, fake CUDA) gets prefill and
# decode baselines, and its one injected decode outlier (a 120 ms host stall
# in a ~10 ms decode step) lands in the decode 3x bucket.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-infer" wl-infer || exit 0
A=$BIN/ingero-analyze
if ! command -v sqlite3 >/dev/null; then skip "core-infer: no sqlite3 shell"; exit 0; fi

export FAKECUDA_LAT="cudaStreamSynchronize=10000,cudaMemcpy=100,cudaLaunchKernel=2,cudaMalloc=50"
wl_start "$T_OUT/wl.out" "$TD/wl-infer" --wait-usr1 --steps 240 --every 20 --outlier 150 --outlier-ms 120 ||
	{ fail "core-infer: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 0 ||
	{ fail "core-infer: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
wait_pid "$WP" 60 || fail "core-infer: workload hung"
sleep 0.3
rec_stop
eq "core-infer: recorder exit status" "$RC" 0
"$A" -q "$T_OUT/rec" --inference -o "$T_OUT/a.db" >"$T_OUT/report.txt" 2>"$T_OUT/err" || { fail "core-infer: analyze failed: $(tail -1 "$T_OUT/err")"; exit 0; }
step=$(awk '/^outlier /{print $2}' "$T_OUT/wl.out")
eq "core-infer: 12 prefill and 228 decode steps" \
	"$(sqlite3 "$T_OUT/a.db" "SELECT sum(phase = 'prefill') || '|' || sum(phase = 'decode') FROM steps WHERE pid = $WP")" "12|228"
eq "core-infer: baselines for both phases" \
	"$(sqlite3 "$T_OUT/a.db" "SELECT count(*) FROM step_baselines WHERE pid = $WP AND p95 > 0 AND phase IN ('prefill', 'decode')")" "2"
eq "core-infer: the injected step $step is a decode 3x outlier" \
	"$(sqlite3 "$T_OUT/a.db" "SELECT phase || '|' || outlier FROM steps WHERE pid = $WP AND step = $step")" "decode|3x"
# real scheduling on a shared machine stretches a few steps too: at most
# 3 % of the steps besides the injected one (the demo scenario 'inference'
# checks "no other outlier" exactly)
n=$(sqlite3 "$T_OUT/a.db" "SELECT count(*) FROM steps WHERE pid = $WP AND outlier != '' AND step != $step")
if [ "$n" -le 7 ] 2>/dev/null; then pass "core-infer: other outliers are rare ($n)"; else fail "core-infer: $n other outliers"; fi
contains "core-infer: outlier finding in the report" "$(cat "$T_OUT/report.txt")" "in the 3x bucket of wl-infer"
