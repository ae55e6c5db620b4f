#!/usr/bin/env bash
# End to end: every generator scenario gets the diagnosis it was built for
# (ingero-record demo -> ingero-analyze -> causal_chains), over 2 seeds.
. "$TESTS/lib.sh"
R=$BIN/ingero-record A=$BIN/ingero-analyze
if [ ! -x "$R" ] || [ ! -x "$A" ]; then skip "engine scenarios: ingero-record/ingero-analyze not built"; exit 0; fi
if ! command -v sqlite3 >/dev/null; then skip "engine scenarios: no sqlite3 shell"; exit 0; fi
if ! timeout 60 "$R" demo control -o "$T_OUT/probe" -q --duration 2 >/dev/null 2>&1 || ! ls "$T_OUT/probe"/*.igz >/dev/null 2>&1; then
	skip "engine scenarios: 'ingero-record demo' does not work yet"; exit 0
fi
q() { sqlite3 "$1" "$2" 2>&1; }

for seed in 1 2; do
	for s in incident cold-start memcpy-bottleneck periodic-spike cpu-contention gpu-steal control multi-node; do
		d=$T_OUT/$s-$seed
		if ! timeout 120 "$R" demo "$s" -o "$d" --seed "$seed" -q >/dev/null 2>"$d.err"; then
			fail "$s seed $seed: generator failed: $(tail -1 "$d.err")"; continue
		fi
		in=$d
		if [ "$s" = multi-node ]; then   # node recordings: merged first (clock correction)
			in=$d.igz
			timeout 120 "$BIN/ingero-merge" -q -q "$d"/node-* -o "$in" 2>"$d.err" || { fail "$s seed $seed: ingero-merge failed: $(tail -1 "$d.err")"; continue; }
		fi
		timeout 120 "$A" "$in" -o "$d.db" >"$d.txt" 2>"$d.err"
		rc=$?
		if [ $rc -ne 0 ]; then fail "$s seed $seed: ingero-analyze exited $rc: $(tail -1 "$d.err")"; continue; fi
	done
	D=$T_OUT
	# incident: logrotate (pid 31337) preempts python3 ~850 times -> HIGH on cudaStreamSync
	eq "incident/$seed: HIGH preemption chain names logrotate and its pid" \
		"$(q $D/incident-$seed.db "SELECT kind||'|'||culprit_comm||'|'||culprit_pid||'|'||severity FROM causal_chains WHERE cuda_op='cudaStreamSync' ORDER BY impact_ns DESC LIMIT 1")" \
		"preemption|logrotate|31337|HIGH"
	n=$(grep -o 'logrotate (pid 31337) preempted python3 (pid 4242) [0-9]* times' $D/incident-$seed.txt | head -1 | awk '{print $8}')
	if [ -n "$n" ] && [ "$n" -ge 700 ] && [ "$n" -le 1000 ]; then pass "incident/$seed: ~850 preemptions counted ($n)"
	else fail "incident/$seed: preemption count '$n' not ~850"; fi
	contains "incident/$seed: fix says nice -n 19 logrotate" "$(cat $D/incident-$seed.txt)" "nice -n 19 logrotate"
	eq "incident/$seed: window inside the recording" \
		"$(q $D/incident-$seed.db "SELECT window_start < window_end AND window_start >= (SELECT min(timestamp) FROM events) FROM causal_chains WHERE kind='preemption' AND cuda_op='cudaStreamSync'")" "1"
	ev=$(q $D/incident-$seed.db "SELECT count(*) FROM causal_chains, json_each(causal_chains.evidence, '\$.symptoms') s JOIN events e ON e.id = s.value WHERE kind='preemption' AND cuda_op='cudaStreamSync'")
	if [ "$ev" -ge 40 ] 2>/dev/null; then pass "incident/$seed: evidence symptom ids resolve to events ($ev)"; else fail "incident/$seed: evidence ids do not resolve ($ev)"; fi
	# cpu-contention: stress-ng workers named, HIGH/MEDIUM
	eq "cpu-contention/$seed: stress-ng-cpu named, HIGH or MEDIUM" \
		"$(q $D/cpu-contention-$seed.db "SELECT count(*)>0 FROM causal_chains WHERE culprit_comm='stress-ng-cpu' AND severity IN ('HIGH','MEDIUM')")" "1"
	# memcpy-bottleneck: ~38 % of wall time
	pct=$(grep -o 'cudaMemcpy takes [0-9]*% of wall time' $D/memcpy-bottleneck-$seed.txt | head -1 | awk '{print $3}' | tr -d %)
	if [ -n "$pct" ] && [ "$pct" -ge 33 ] && [ "$pct" -le 43 ]; then pass "memcpy-bottleneck/$seed: cudaMemcpy ~38% of wall time ($pct%)"
	else fail "memcpy-bottleneck/$seed: memcpy share '$pct' not ~38%"; fi
	# periodic-spike: every ~200 iterations
	per=$(grep -o 'periodic spikes every ~[0-9]* iterations' $D/periodic-spike-$seed.txt | head -1 | awk '{print $4}' | tr -d '~')
	if [ -n "$per" ] && [ "$per" -ge 180 ] && [ "$per" -le 220 ]; then pass "periodic-spike/$seed: period ~200 iterations ($per)"
	else fail "periodic-spike/$seed: period '$per' not ~200"; fi
	contains "periodic-spike/$seed: allocator fix" "$(cat $D/periodic-spike-$seed.txt)" "expandable_segments:True"
	# cold-start
	eq "cold-start/$seed: cold_start chains for cudaMalloc and cudaLaunchKernel" \
		"$(q $D/cold-start-$seed.db "SELECT group_concat(cuda_op) FROM (SELECT cuda_op FROM causal_chains WHERE kind='cold_start' ORDER BY cuda_op)")" \
		"cudaLaunchKernel,cudaMalloc"
	# gpu-steal: both processes named
	s=$(q $D/gpu-steal-$seed.db "SELECT summary FROM causal_chains WHERE kind='gpu_contention' AND pid=5001")
	if printf '%s' "$s" | grep -q 'trainer (pid 5001)' && printf '%s' "$s" | grep -q 'inference (pid 5002)'; then
		pass "gpu-steal/$seed: bimodal launch chain names trainer and inference"
	else fail "gpu-steal/$seed: summary '$s'"; fi
	# multi-node: the straggler of truth.json
	want=$(grep -o '"straggler": "[^"]*"' $D/multi-node-$seed/truth.json | cut -d'"' -f4)
	eq "multi-node/$seed: straggler named ($want)" \
		"$(q $D/multi-node-$seed.db "SELECT node FROM causal_chains WHERE kind='straggler' AND severity IN ('HIGH','MEDIUM')")" "$want"
	# control: nothing HIGH/MEDIUM
	eq "control/$seed: no HIGH/MEDIUM chain" \
		"$(q $D/control-$seed.db "SELECT count(*) FROM causal_chains WHERE severity IN ('HIGH','MEDIUM')")" "0"
done
# determinism: the same input twice gives byte-identical reports
"$A" "$T_OUT/incident-1" -o "$T_OUT/again.db" >"$T_OUT/again.txt" 2>/dev/null
if cmp -s "$T_OUT/again.txt" "$T_OUT/incident-1.txt"; then pass "determinism: incident report byte-identical"
else fail "determinism: reports differ"; diff "$T_OUT/again.txt" "$T_OUT/incident-1.txt" | head -5; fi
