#!/usr/bin/env bash
# End-to-end: a runtime that lacks some probed symbols (a stripped-down
# libcudart without cudaDeviceSynchronize, cudaMallocManaged, the 2D and peer
# copies and graphs).  Missing symbols are skipped, not an error (the
# recorder notes missing core symbols such as cudaDeviceSynchronize); the
# symbols that exist are traced.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-partial || exit 0
[ -x "$TD/wl-partial" ] || { skip "e2e-partial: wl-partial not built"; exit 0; }

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=1000"
wl_start wl-partial "$T_OUT/wl.out" --steps 20 || { fail "e2e-partial: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
rec_attached "$T_OUT/rec.err" || { fail "e2e-partial: recorder did not attach: $(tail -2 "$T_OUT/rec.err")"; exit 0; }
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
eq "e2e-partial: recorder clean exit" "$?" 0
err=$(cat "$T_OUT/rec.err")
contains "e2e-partial: attached the 6 symbols present" "$err" "attached 6 probes to '$(realpath "$TD/partial/libcudart.so.12")'"
contains "e2e-partial: missing symbols noted on stderr" "$err" "cudaDeviceSynchronize"
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-partial: dump failed"; exit 0; }
python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
for op in ("cudaLaunchKernel", "cudaMemcpy", "cudaStreamSynchronize", "cudaMalloc", "cudaFree"):
    n = len(r.ev(op, w.pid))
    T.check("e2e-partial: %s traced" % op, n == w.calls.get(op, -1), "%d vs %s" % (n, w.calls.get(op)))
T.check("e2e-partial: missing symbols noted in the recording",
        any("cudaDeviceSynchronize" in n for n in r.notes), "notes %s" % r.notes[:4])
T.done()
PY
