#!/usr/bin/env bash
# End-to-end: a CUDA runtime at a pip/venv path
# (venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12),
# not the system one: the recorder finds it through /proc/PID/maps, attaches
# to that file, and records the calls with stacks.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-venv || exit 0
VLIB=$TD/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12
[ -x "$TD/wl-venv" ] && [ -f "$VLIB" ] || { skip "e2e-venv: wl-venv not built"; exit 0; }

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=2000"
wl_start wl-venv "$T_OUT/wl.out" --steps 40 || { fail "e2e-venv: workload did not start"; exit 0; }
grep -q "site-packages/nvidia/cuda_runtime/lib/libcudart.so.12" "/proc/$WL_PID/maps" &&
	pass "e2e-venv: workload maps the venv copy" || fail "e2e-venv: workload does not map the venv copy"
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
rec_attached "$T_OUT/rec.err" || { fail "e2e-venv: recorder did not attach"; exit 0; }
contains "e2e-venv: attached to the venv library" "$(grep attached "$T_OUT/rec.err")" \
	"site-packages/nvidia/cuda_runtime/lib/libcudart.so.12"
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-venv: dump failed"; exit 0; }
python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
for op in ("cudaLaunchKernel", "cudaMemcpy", "cudaStreamSynchronize", "cudaMalloc", "cudaFree"):
    n = len(r.ev(op, w.pid))
    T.check("e2e-venv: %s count" % op, n == w.calls.get(op, -1), "%d vs %s" % (n, w.calls.get(op)))
L = r.ev("cudaLaunchKernel", w.pid)
names = r.stack_names(L[0]) if L else []
T.check("e2e-venv: stack resolves train_step", "train_step" in names, "stack %s" % names)
mods = r.stack_modules(L[0]) if L else []
T.check("e2e-venv: stack module is wl-venv", any(m.endswith("/wl-venv") for m in mods), "modules %s" % mods)
T.done()
PY
