#!/usr/bin/env bash
# Engine v2 (issue 12): the step scenarios' ground truth (DIR/truth.json of
# ingero-record demo) is recovered, over 2 seeds: starvation share within 5
# points naming the workers, the stall window within one step period, every
# injected decode outlier in the 3x bucket (none elsewhere, none on control).
. "$TESTS/lib.sh"
R=$BIN/ingero-record A=$BIN/ingero-analyze
if [ ! -x "$R" ] || [ ! -x "$A" ]; then skip "engine steps: ingero-record/ingero-analyze not built"; exit 0; fi
if ! command -v sqlite3 >/dev/null; then skip "engine steps: no sqlite3 shell"; exit 0; fi
if ! command -v python3 >/dev/null; then skip "engine steps: no python3 (reads truth.json)"; exit 0; fi
q() { sqlite3 "$1" "$2" 2>&1; }
tj() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
for seed in 1 2; do
	for s in dataloader-starvation inference stall control; do
		d=$T_OUT/$s-$seed
		if ! timeout 120 "$R" demo "$s" -o "$d" --seed "$seed" -q 2>"$d.err"; then
			fail "$s/$seed: generator failed: $(tail -1 "$d.err")"; continue
		fi
		extra=; [ "$s" = inference ] && extra=--inference
		if ! timeout 120 "$A" "$d" -o "$d.db" $extra >"$d.txt" 2>"$d.err"; then
			fail "$s/$seed: ingero-analyze failed: $(tail -1 "$d.err")"; continue
		fi
	done
	D=$T_OUT
	# dataloader-starvation
	want=$(tj $D/dataloader-starvation-$seed/truth.json gpu_idle_share)
	got=$(grep -o 'GPU idle [0-9]*% of python3' $D/dataloader-starvation-$seed.txt | head -1 | awk '{print $3}' | tr -d %)
	if [ -n "$got" ] && python3 -c "import sys; sys.exit(0 if abs($got - 100*$want) <= 5 else 1)"; then
		pass "starvation/$seed: GPU idle $got% (truth $(python3 -c "print(round(100*$want,1))")%)"
	else fail "starvation/$seed: GPU idle '$got' vs truth $want"; fi
	eq "starvation/$seed: HIGH gpu_idle finding names the 4 pt_data_worker processes" \
		"$(q $D/dataloader-starvation-$seed.db "SELECT severity || '|' || culprit_comm || '|' || (summary LIKE '%pt_data_worker (4 processes%') FROM step_findings WHERE kind = 'gpu_idle'")" \
		"HIGH|pt_data_worker|1"
	contains "starvation/$seed: report leads with the idle finding" "$(grep -m1 '^\[' $D/dataloader-starvation-$seed.txt)" "GPU idle"
	contains "starvation/$seed: fix names num_workers" "$(cat $D/dataloader-starvation-$seed.txt)" "num_workers"
	# stall
	t0=$(tj $D/stall-$seed/truth.json stall_start_unix_ns); t1=$(tj $D/stall-$seed/truth.json stall_end_unix_ns)
	per=$(tj $D/stall-$seed/truth.json step_period_ns)
	eq "stall/$seed: one stall finding, window within one step period of the truth" \
		"$(q $D/stall-$seed.db "SELECT count(*) || '|' || sum(abs(start - $t0) <= $per AND abs(start + duration - $t1) <= $per) FROM step_findings WHERE kind = 'stall'")" "1|1"
	contains "stall/$seed: says the thread computed on the host" "$(cat $D/stall-$seed.txt)" "mostly computing on the host (on-CPU)"
	eq "stall/$seed: no gpu_idle finding on top of the stall" "$(q $D/stall-$seed.db "SELECT count(*) FROM step_findings WHERE kind = 'gpu_idle'")" "0"
	# inference
	n=$(tj $D/inference-$seed/truth.json outliers)
	w0=$(tj $D/inference-$seed/truth.json window_start_unix_ns); w1=$(tj $D/inference-$seed/truth.json window_end_unix_ns)
	eq "inference/$seed: all $n injected outliers are decode 3x inside the throttle window, no other outlier" \
		"$(q $D/inference-$seed.db "SELECT sum(phase = 'decode' AND outlier = '3x' AND start >= $w0 - 5000000 AND start < $w1) || '|' || count(*) FROM steps WHERE outlier != ''")" "$n|$n"
	eq "inference/$seed: prefill and decode phases with baselines" \
		"$(q $D/inference-$seed.db "SELECT group_concat(phase) FROM (SELECT phase FROM step_baselines WHERE p95 > 0 ORDER BY phase)")" "decode,prefill"
	contains "inference/$seed: outlier context names throttling and KV-cache lineage" \
		"$(q $D/inference-$seed.db "SELECT root_cause FROM step_findings WHERE kind = 'outlier'")" "thermal) during the outliers; off-CPU"
	contains "inference/$seed: KV-cache ages" "$(q $D/inference-$seed.db "SELECT root_cause FROM step_findings WHERE kind = 'outlier'")" "live allocations, oldest aged"
	# control: nothing, also in inference mode
	eq "control/$seed: no HIGH/MEDIUM step finding" "$(q $D/control-$seed.db "SELECT count(*) FROM step_findings WHERE severity != 'LOW'")" "0"
	"$A" -q "$D/control-$seed" --inference -o "$D/control-inf-$seed.db" >/dev/null 2>&1
	eq "control/$seed: no outlier in inference mode" "$(q $D/control-inf-$seed.db "SELECT count(*) FROM steps WHERE outlier != ''")" "0"
done
# --steps prints the per-stream table; --json carries the step parts
out=$("$A" -q "$T_OUT/dataloader-starvation-1.db" --steps)
contains "--steps: per-stream table" "$out" "STEPS per stream"
keys=$("$A" -q "$T_OUT/stall-1.db" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["steps_summary"]), len(d["stalls"]), len(d["idle"]), type(d["outliers"]).__name__)')
eq "--json: steps_summary, stalls, idle, outliers" "$keys" "1 1 0 list"
