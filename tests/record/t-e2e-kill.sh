#!/usr/bin/env bash
# End-to-end: SIGKILL recovery.  The recorder is killed with SIGKILL while
# wl-train runs at a steady rate; the reader must still read the recording
# (the cut last frame is a warning, not an error) and at most the last
# second before the kill may be missing.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-kill || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=1000"
wl_start wl-train "$T_OUT/wl.out" --seconds 6 --rate 200 --bytes 4096 ||
	{ fail "e2e-kill: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
rec_attached "$T_OUT/rec.err" || { fail "e2e-kill: recorder did not attach"; exit 0; }
kill -USR1 "$WL_PID"
sleep 3.2
t_kill=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_BOOTTIME))')
kill -9 "$REC_PID"; wait "$REC_PID" 2>/dev/null; REC_PID=
wait "$WL_PID"; WL_PID=
ls "$T_OUT/rec"/*.igz >/dev/null 2>&1 || { fail "e2e-kill: no segment written"; exit 0; }
"$DUMP" --ndjson "$T_OUT/rec" >"$T_OUT/d.json" 2>"$T_OUT/d.err"
eq "e2e-kill: reader exits 0 on the killed recording" "$?" 0

python3 - "$T_OUT/d.json" "$T_OUT/wl.out" "$t_kill" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w, t_kill = Rec(sys.argv[1]), Wl(sys.argv[2]), int(sys.argv[3])
L = r.ev("cudaLaunchKernel", w.pid)
T.check("e2e-kill: events before the kill were read", len(L) > 1000, "%d launches" % len(L))
last = max((e["ts"] for e in r.events if e["pid"] == w.pid), default=0)
T.check("e2e-kill: at most 1 s lost before SIGKILL", last >= t_kill - 1000000000,
        "last event %.3f s before the kill" % ((t_kill - last) / 1e9))
# the workload calls steadily: no hole in what was recovered
ts = sorted(e["ts"] for e in L)
gap = max((b - a for a, b in zip(ts, ts[1:])), default=0)
T.check("e2e-kill: no gap inside the recovered part", L and gap < 300000000,
        "largest gap between launches %.3f s" % (gap / 1e9))
T.done()
PY
