#!/usr/bin/env bash
# The original Go tool's recordings: our verdict on the tails its stored
# chains found, and no crash on the trimmed node files.
. "$TESTS/lib.sh"
A=$BIN/ingero-analyze
DBS=$SHARED/testdata/ingero-dbs
if [ ! -x "$A" ]; then skip "engine legacy: ingero-analyze not built"; exit 0; fi
if [ ! -f "$DBS/pytorch-173382-empty-cache.db" ]; then skip "engine legacy: no $DBS"; exit 0; fi
if ! command -v sqlite3 >/dev/null; then skip "engine legacy: no sqlite3 shell"; exit 0; fi
out=$("$A" "$DBS/pytorch-173382-empty-cache.db" -o "$T_OUT/py.db" 2>"$T_OUT/err")
rc=$?
eq "pytorch legacy db: analyze exits 0" "$rc" "0"
for op in cudaMemcpyAsync cudaFree cudaLaunchKernel cudaStreamSync; do
	n=$(sqlite3 "$T_OUT/py.db" "SELECT count(*) FROM causal_chains WHERE cuda_op='$op'")
	if [ "$n" -ge 1 ] 2>/dev/null; then pass "pytorch: our report covers the $op tail ($n chains)"; else fail "pytorch: no verdict on $op"; fi
	contains "pytorch: comparison line for $op" "$out" "  $op: original [MEDIUM]"
	eq "pytorch: one comparison line for $op (grouped per op)" "$(printf '%s\n' "$out" | grep -c "^  $op: original")" "1"
done
# the original blamed 54-123 sched_switch events anywhere in the trace; ours
# finds almost no off-CPU time of the calling thread inside the slow calls
eq "pytorch: no preemption claimed without culprit data" \
	"$(sqlite3 "$T_OUT/py.db" "SELECT count(*) FROM causal_chains WHERE kind='preemption'")" "0"
eq "pytorch: nothing above LOW" "$(sqlite3 "$T_OUT/py.db" "SELECT count(*) FROM causal_chains WHERE severity!='LOW'")" "0"
# engine v2: the real problem of this recording (no CUDA call for most of the
# time, forked workers) is a HIGH gpu_idle finding that says what the sampled
# original database cannot show
eq "pytorch: HIGH gpu_idle finding over 80% with the forked workers" \
	"$(sqlite3 "$T_OUT/py.db" "SELECT severity, CAST(substr(summary, 10, 2) AS INTEGER) >= 80, root_cause LIKE '%forked 6 process(es)%', root_cause LIKE '%sched_wakeup is not recorded%' FROM step_findings WHERE kind = 'gpu_idle'")" "HIGH|1|1|1"
contains "pytorch: the report leads with it" "$(printf '%s\n' "$out" | grep -m1 '^\[')" "GPU idle"
for f in sample-gpu-node-01.db sample-gpu-node-02.db sample-gpu-node-03.db sample-cluster.db; do
	[ -f "$DBS/$f" ] || { skip "legacy $f: missing"; continue; }
	"$A" "$DBS/$f" -o "$T_OUT/$f" >"$T_OUT/$f.txt" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^INCIDENT REPORT — ' "$T_OUT/$f.txt"; then pass "legacy $f: report produced"
	else fail "legacy $f: rc=$rc"; tail -3 "$T_OUT/$f.txt"; fi
done
