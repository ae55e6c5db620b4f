#!/usr/bin/env bash
# Children forked by a traced process are followed (--pid names only the
# parent): their CUDA calls, the fork and exit host events, PROCESS records.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-fork" wl-fork || exit 0

export FAKECUDA_LAT="*=0"
wl_start "$T_OUT/wl.out" "$TD/wl-fork" --wait-usr1 --children 2 --iters 20 ||
	{ fail "core-fork: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 0 ||
	{ fail "core-fork: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
wait_pid "$WP" 30 || fail "core-fork: workload hung"
sleep 0.3
rec_stop
eq "core-fork: recorder exit status" "$RC" 0
json "$T_OUT/rec" "$T_OUT/rec.json"
python3 - "$T_OUT/rec.json" "$WP" "$T_OUT/wl.out" <<PY
$CORE_PY
pid = int(sys.argv[2])
kids = sorted({int(l.split()[1]) for l in open(sys.argv[3]) if l.startswith("child ")})
ok("core-fork: workload reported 2 children", len(kids) == 2, kids)
F = ops(pid, 3, 7)
ok("core-fork: fork events name the children", sorted(e["arg0"] for e in F) == kids, [e["arg0"] for e in F])
ok("core-fork: parent cudaMalloc recorded", len(ops(pid, 1, 1)) == 1)
for k in kids:
    ok("core-fork: child %d launches followed" % k, len(ops(k, 1, 3)) == 20, len(ops(k, 1, 3)))
    ok("core-fork: child %d memcpy 8192 H2D" % k,
       [(e["arg0"], e["arg1"]) for e in ops(k, 1, 4)] == [(8192, 1)] * 20)
    X = ops(k, 3, 6)
    ok("core-fork: child %d exit with status 0" % k, len(X) == 1 and X[0]["ret"] == 0, X)
    ok("core-fork: child %d PROCESS record (ppid %d)" % (k, pid), PROC.get(k, {}).get("ppid") == pid, PROC.get(k))
ok("core-fork: parent exit recorded", len(ops(pid, 3, 6)) == 1)
PY
