#!/usr/bin/env bash
# End-to-end: a library that appears after the recorder started.  wl-dlopen
# has no CUDA library mapped when recording starts; it dlopen()s
# libcudart.so.12 later.  The recorder's periodic /proc scan must find it and
# attach, and the calls after that must be recorded.  The loop runs ~3 s
# (300 x 10 ms syncs): the scan (1 s) plus an attach slowed by ASan and a
# busy machine still leave most of it, and every call after the attach is
# kept (launches and syncs pair up to the last iteration).
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-dlopen || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=10000"
wl_start wl-dlopen "$T_OUT/wl.out" --load-delay 1000 --iters 300 ||
	{ fail "e2e-dlopen: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io --scan-interval 1
sleep 1
if grep -q 'attached [0-9]* probes' "$T_OUT/rec.err"; then
	fail "e2e-dlopen: attached before the library was loaded"
else
	pass "e2e-dlopen: nothing to attach at start"
fi
kill -0 "$REC_PID" 2>/dev/null && pass "e2e-dlopen: recorder waits for a library" ||
	fail "e2e-dlopen: recorder exited: $(tail -2 "$T_OUT/rec.err")"
kill -USR1 "$WL_PID"
if wait_for "$T_OUT/rec.err" 'attached [0-9]+ probes' 6; then
	pass "e2e-dlopen: attached after dlopen"
else
	fail "e2e-dlopen: never attached: $(tail -2 "$T_OUT/rec.err")"
fi
wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-dlopen: dump failed"; exit 0; }
python3 - "$T_OUT/d.json" "$T_OUT/wl.out" "$TD/libcudart.so.12" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w, lib = Rec(sys.argv[1]), Wl(sys.argv[2]), os.path.realpath(sys.argv[3])
L = r.ev("cudaLaunchKernel", w.pid)
T.check("e2e-dlopen: calls after dlopen recorded", len(L) >= 0.25 * 300,
        "%d of 300 launches" % len(L))
S = r.ev("cudaStreamSynchronize", w.pid)
T.check("e2e-dlopen: none lost after the attach (launch and sync pair up)",
        L and S and abs(len(L) - len(S)) <= 1 and max(e["ts"] for e in S) > max(e["ts"] for e in L),
        "%d launches, %d syncs" % (len(L), len(S)))
T.check("e2e-dlopen: sync durations ~10 ms", S and all(10e6 <= e["dur"] < 30e6 for e in S),
        "durs(us) %s" % [e["dur"] // 1000 for e in S[:5]])
T.check("e2e-dlopen: attach note names the library", any(lib in n and "attached" in n for n in r.notes),
        "notes %s" % r.notes[:5])
names = r.stack_names(L[0]) if L else []
T.check("e2e-dlopen: stack shows late_loop", "late_loop" in names, "stack %s" % names)
T.done()
PY
