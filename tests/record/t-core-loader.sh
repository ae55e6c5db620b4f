#!/usr/bin/env bash
# Engine v2 on a real eBPF recording (issue 12): a training loop fed by 2
# forked pt_data_worker processes that burn CPU and pass batches through a
# pipe is diagnosed as host-bound GPU starvation naming the workers (the
# main thread's sched_wakeup wakers) and their fork lineage.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-loader" wl-loader || exit 0
A=$BIN/ingero-analyze
if ! command -v sqlite3 >/dev/null; then skip "core-loader: no sqlite3 shell"; exit 0; fi

export FAKECUDA_LAT="cudaStreamSynchronize=2000,cudaMemcpy=200,cudaLaunchKernel=5"
# the workers rename themselves 150 ms after the fork: the recorder has
# written them under the parent's name by then, and must follow the rename
wl_start "$T_OUT/wl.out" "$TD/wl-loader" --wait-usr1 --workers 2 --iters 40 --burn-ms 120 --rename-ms 150 ||
	{ fail "core-loader: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 0 ||
	{ fail "core-loader: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
wait_pid "$WP" 60 || fail "core-loader: workload hung"
sleep 0.3
rec_stop
eq "core-loader: recorder exit status" "$RC" 0
[ -n "${LOADER_KEEP:-}" ] && cp -r "$T_OUT" "$LOADER_KEEP"
"$A" -q "$T_OUT/rec" -o "$T_OUT/a.db" >"$T_OUT/report.txt" 2>"$T_OUT/err" || { fail "core-loader: analyze failed: $(tail -1 "$T_OUT/err")"; exit 0; }
workers=$(awk '/^worker /{print $2}' "$T_OUT/wl.out" | sort -n | paste -sd, -)
n=$(sqlite3 "$T_OUT/a.db" "SELECT count(*) FROM steps WHERE pid = $WP")
if [ "$n" -ge 35 ] 2>/dev/null; then pass "core-loader: steps segmented at cudaStreamSynchronize ($n)"; else fail "core-loader: $n steps"; fi
eq "core-loader: HIGH gpu_idle finding, culprit one of the workers ($workers)" \
	"$(sqlite3 "$T_OUT/a.db" "SELECT severity, culprit_pid IN ($workers) FROM step_findings WHERE kind = 'gpu_idle' AND pid = $WP")" "HIGH|1"
share=$(sqlite3 "$T_OUT/a.db" "SELECT CAST(100 * sum(gpu_idle_ns) / sum(duration) AS INTEGER) FROM steps WHERE pid = $WP")
if [ "$share" -ge 60 ] 2>/dev/null; then pass "core-loader: GPU idle dominates ($share%)"; else fail "core-loader: GPU idle share '$share'"; fi
r=$(sqlite3 "$T_OUT/a.db" "SELECT summary || ' | ' || root_cause FROM step_findings WHERE kind = 'gpu_idle'")
eq "core-loader: workers carry the name they gave themselves after the fork" \
	"$(sqlite3 "$T_OUT/a.db" "SELECT group_concat(comm) FROM (SELECT comm FROM processes WHERE pid IN ($workers) ORDER BY pid)")" \
	"pt_data_worker,pt_data_worker"
contains "core-loader: names both workers" "$r" "(2 processes, pids"
contains "core-loader: fork lineage" "$r" "forked by this process"
contains "core-loader: report leads with it" "$(grep -m1 '^\[' "$T_OUT/report.txt")" "GPU idle"
