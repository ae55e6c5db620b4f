#!/usr/bin/env bash
# End-to-end: fork follow.  Recording --pid PARENT; wl-fork's children are
# created after the recorder started and make their own CUDA calls: they are
# traced (fork tracepoint), with their own pid/tid, and the fork events name
# them.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-fork || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=2000"
wl_start wl-fork "$T_OUT/wl.out" --children 2 --iters 20 --child-delay 300 --linger-ms 500 ||
	{ fail "e2e-fork: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
rec_attached "$T_OUT/rec.err" || { fail "e2e-fork: recorder did not attach"; exit 0; }
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-fork: dump failed"; exit 0; }
python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
kids = [int(l.split()[1]) for l in w.lines if l.startswith("child ") and len(l.split()) == 2]
T.check("e2e-fork: two children", len(kids) == 2, "children %s" % kids)
T.check("e2e-fork: parent's own cudaMalloc", len(r.ev("cudaMalloc", w.pid)) == 1,
        "%d" % len(r.ev("cudaMalloc", w.pid)))
forks = {e["arg0"] for e in r.ev("process_fork", w.pid)}
for k in kids:
    T.check("e2e-fork: fork event names child %d" % k, k in forks, "fork children %s" % sorted(forks))
    for op, n in (("cudaLaunchKernel", 20), ("cudaMemcpy", 20), ("cudaStreamSynchronize", 20),
                  ("cudaMalloc", 1), ("cudaFree", 1)):
        ev = r.ev(op, k)
        T.check("e2e-fork: child %d %s x%d, tid = pid" % (k, op, n),
                len(ev) == n and all(e["tid"] == k for e in ev), "%d events" % len(ev))
    M = r.ev("cudaMemcpy", k)
    T.check("e2e-fork: child %d memcpy args" % k, M and all(e["arg0"] == 8192 and e["arg1"] == 1 for e in M),
            "args %s" % {(e["arg0"], e["arg1"]) for e in M})
    p = r.procs.get(k)
    T.check("e2e-fork: child %d process record with ppid" % k, p and p["ppid"] == w.pid, "record %s" % p)
    L = r.ev("cudaLaunchKernel", k)
    names = r.stack_names(L[0]) if L else []
    T.check("e2e-fork: child %d stack child_work" % k, "child_work" in names, "stack %s" % names)
T.done()
PY
