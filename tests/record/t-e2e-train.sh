#!/usr/bin/env bash
# End-to-end: wl-train with two worker threads.  Per-thread counts, streams
# and kernel function pointers, stacks through train_step/forward/backward,
# and sched_switch off-CPU intervals of both worker threads matching the
# synchronize latency (the fake sleeps like a real GPU wait).
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-train || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=8000,cudaMemcpy=1000"
wl_start wl-train "$T_OUT/wl.out" --threads 2 --steps 25 --bytes 65536 ||
	{ fail "e2e-train: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
rec_attached "$T_OUT/rec.err" || { fail "e2e-train: recorder did not attach"; exit 0; }
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-train: dump failed"; exit 0; }

python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
pid, ms = w.pid, 1000000
T.check("e2e-train: two worker tids", len(w.tids) == 2 and pid not in w.tids, "tids %s" % w.tids)
streams = {}
for ln in w.lines:
    p = ln.split()
    if p[0] == "stream":
        streams[int(p[1])] = int(p[2], 16)
funcs = {int(ln.split()[2], 16) for ln in w.lines if ln.startswith("func ")}
for tid in w.tids:
    steps = 25
    L = r.ev("cudaLaunchKernel", pid, tid)
    T.check("e2e-train: tid %d launches" % tid, len(L) == 8 * steps, "%d != %d" % (len(L), 8 * steps))
    T.check("e2e-train: tid %d launch stream" % tid, L and all(e["arg1"] == streams[tid] for e in L),
            "streams %s want %#x" % (sorted(set(hex(e["arg1"]) for e in L)), streams[tid]))
    T.check("e2e-train: tid %d launch func is a kernel stub" % tid,
            L and {e["arg0"] for e in L} == funcs, "funcs %s want %s" % (
                sorted(hex(x) for x in {e["arg0"] for e in L}), sorted(hex(x) for x in funcs)))
    M = r.ev("cudaMemcpy", pid, tid)
    T.check("e2e-train: tid %d memcpy H2D 64 KiB" % tid,
            len(M) == steps and all(e["arg0"] == 65536 and e["arg1"] == 1 for e in M),
            "%d memcpys, args %s" % (len(M), {(e["arg0"], e["arg1"]) for e in M}))
    S = r.ev("cudaStreamSynchronize", pid, tid)
    T.check("e2e-train: tid %d syncs ~8 ms on its stream" % tid,
            len(S) == steps and all(e["arg0"] == streams[tid] and 8 * ms <= e["dur"] < 20 * ms
                                    for e in S),
            "%d syncs, durs(us) %s" % (len(S), [e["dur"] // 1000 for e in S][:5]))
    names = r.stack_names(L[0]) if L else []
    T.check("e2e-train: tid %d launch stack forward/backward<train_step<worker_main" % tid,
            all(any(n in s for s in [names]) for n in ("train_step", "worker_main")) and
            ("forward" in names or "backward" in names) and "launch" in names,
            "stack %s" % names)
    names = r.stack_names(S[0]) if S else []
    T.check("e2e-train: tid %d sync stack train_step" % tid, "train_step" in names,
            "stack %s" % names)
    # off-CPU: each sync sleeps -> a blocked sched_switch interval inside it
    SW = r.ev("sched_switch", pid, tid)
    inside = [x for x in SW if any(s["ts"] <= x["ts"] <= s["ts"] + s["dur"] for s in S)]
    T.check("e2e-train: tid %d sched_switch intervals" % tid, len(SW) >= steps,
            "%d intervals for %d syncs" % (len(SW), steps))
    T.check("e2e-train: tid %d blocked in every sync" % tid,
            len({id(s) for s in S for x in inside if s["ts"] <= x["ts"] <= s["ts"] + s["dur"]}) >= steps - 1,
            "%d of %d syncs have an off-CPU interval" % (
                len({id(s) for s in S for x in inside if s["ts"] <= x["ts"] <= s["ts"] + s["dur"]}), steps))
    # the syncs' sleeps: blocked intervals of about the latency (on a loaded
    # machine a preemption, state 0, can last that long too: not counted)
    big = [x for x in inside if x["dur"] >= 7 * ms and x["arg0"] != 0]
    T.check("e2e-train: tid %d off-CPU intervals ~ sync latency, blocked state" % tid,
            len(big) >= steps - 1,
            "%d blocked intervals >= 7 ms, states of all >= 7 ms: %s" % (len(big),
            sorted({x["arg0"] for x in inside if x["dur"] >= 7 * ms})))
T.check("e2e-train: process record", pid in r.procs and r.procs[pid]["comm"] == "wl-train",
        "procs %s" % {p: v["comm"] for p, v in r.procs.items()})
T.check("e2e-train: no lost events", sum(l["count"] for l in r.lost) == 0, "lost %s" % r.lost)
T.done()
PY
