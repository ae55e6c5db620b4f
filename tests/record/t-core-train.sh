#!/usr/bin/env bash
# Record the fake training loop with the real recorder and check, through
# the format reader, every runtime op's count, pid/tid, arguments,
# durations (against the configured fake latency) and resolved stacks.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-train" wl-train || exit 0

export FAKECUDA_LAT="*=0,cudaMemcpy=500,cudaStreamSynchronize=2000"
wl_start "$T_OUT/wl.out" "$TD/wl-train" --wait-usr1 --steps 50 --bytes 65536 ||
	{ fail "core-train: workload did not start"; exit 0; }
if ! rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 0; then
	fail "core-train: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0
fi
kill -USR1 "$WP"
wait_pid "$WP" 30 || fail "core-train: workload hung"
sleep 0.3
rec_stop
eq "core-train: recorder exit status" "$RC" 0
json "$T_OUT/rec" "$T_OUT/rec.json"
eq "core-train: reader has no warnings" "$(cat "$T_OUT/rec.json.err")" ""
python3 - "$T_OUT/rec.json" "$T_OUT/wl.out" <<PY
$CORE_PY
wl = open(sys.argv[2]).read().split("\n")
pid = int([l for l in wl if l.startswith("pid ")][0].split()[1])
tids = [int(l.split()[1]) for l in wl if l.startswith("tid ")] or [pid]
L, M, S, A = ops(pid, 1, 3), ops(pid, 1, 4), ops(pid, 1, 5), ops(pid, 1, 1)
ok("core-train: 400 cudaLaunchKernel", len(L) == 400, len(L))
ok("core-train: 50 cudaMemcpy", len(M) == 50, len(M))
ok("core-train: 50 cudaStreamSynchronize", len(S) == 50, len(S))
ok("core-train: 2 cudaMalloc", len(A) == 2, len(A))
ok("core-train: memcpy bytes and kind H2D", all(e["arg0"] == 65536 and e["arg1"] == 1 for e in M))
ok("core-train: malloc sizes", sorted(e["arg0"] for e in A) == [65536, 64 << 20], [e["arg0"] for e in A])
ok("core-train: malloc returns device pointer", all(e["arg1"] != 0 and e["ret"] == 0 for e in A))
ok("core-train: events on the worker thread", all(e["tid"] in tids for e in L + M + S), tids)
ok("core-train: memcpy dur >= 500 us latency", all(500e3 <= e["dur"] < 100e6 for e in M),
   min(e["dur"] for e in M) if M else None)
ok("core-train: sync dur >= 2 ms latency", all(2e6 <= e["dur"] < 200e6 for e in S),
   min(e["dur"] for e in S) if S else None)
ok("core-train: launch dur short", all(e["dur"] < 5e6 for e in L))
ok("core-train: launch stream == sync stream", S and {e["arg1"] for e in L} == {S[0]["arg0"]})
funcs = {int(l.split()[2], 16) for l in wl if l.startswith("func ")}
ok("core-train: launch func pointers are the kernels", funcs and {e["arg0"] for e in L} <= funcs)
ok("core-train: launch grid 128x1x1 block 256", all(e["arg2"] == (1 << 32 | 128) and e["arg4"] == (1 << 32 | 256) for e in L))
ms = STK.get(M[0]["stack_id"], []) if M else []
ok("core-train: memcpy stack resolves", ms[:3] == ["cudaMemcpy", "data_load", "train_step"], ms)
ls = [STK.get(e["stack_id"], []) for e in L]
ok("core-train: launch stacks name forward and backward",
   any("forward" in s for s in ls) and any("backward" in s for s in ls))
ok("core-train: process record", PROC.get(pid, {}).get("comm") == "wl-train", PROC.get(pid))
ts = sorted((e["tid"], e["ts"]) for e in EV if e["pid"] == pid and e["source"] == 1)
ok("core-train: every event has start+dur within the run",
   all(e["ts"] > 0 and e["dur"] >= 0 for e in EV))
F = [r for r in R if r["kind"] == "footer"]
ok("core-train: footer written", len(F) == 1 and F[0]["events"] == len(EV), F)
PY
