#!/usr/bin/env bash
# SIGKILL of the recorder: the reader must recover everything but (at most)
# the last second -- the recorder closes a frame at least every second.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-kill" wl-train || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=1000"
wl_start "$T_OUT/wl.out" "$TD/wl-train" --wait-usr1 --seconds 6 --rate 200 ||
	{ fail "core-kill: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 0 ||
	{ fail "core-kill: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
sleep 3.3
read -r up _ </proc/uptime
kill -9 "$RP"
wait "$RP" 2>/dev/null
RP=
"$DUMP" --ndjson "$T_OUT/rec" >"$T_OUT/rec.json" 2>"$T_OUT/dump.err"
eq "core-kill: reader exit status after SIGKILL" "$?" 0
python3 - "$T_OUT/rec.json" "$WP" "$up" <<PY
$CORE_PY
pid, up = int(sys.argv[2]), float(sys.argv[3])
S = ops(pid, 1, 5)
last = max((e["ts"] + e["dur"] for e in S), default=0) / 1e9
ok("core-kill: events recovered", len(S) >= 200, len(S))
ok("core-kill: at most ~1 s lost (last event %.2f s before the kill)" % (up - last),
   up - last <= 1.3, "lost %.2f s" % (up - last))
PY
