#!/usr/bin/env bash
# Disk full: the recorder keeps its probes running, counts what it could not
# write, says so on stderr, resumes when space returns and records a NOTE and
# LOST records (reason 1).  Uses a small tmpfs (skips if mount is refused).
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-diskfull" wl-threads || exit 0
mkdir -p "$T_OUT/fs"
if ! mount -t tmpfs -o size=8m tmpfs "$T_OUT/fs" 2>/dev/null; then
	skip "core-diskfull: cannot mount a tmpfs"; exit 0
fi
trap 'core_cleanup; umount "$T_OUT/fs" 2>/dev/null' EXIT
dd if=/dev/zero of="$T_OUT/fs/ballast" bs=1k count=8000 2>/dev/null

export FAKECUDA_LAT="*=0"
wl_start "$T_OUT/wl.out" "$TD/wl-threads" --wait-usr1 --threads 1 --iters 400000 ||
	{ fail "core-diskfull: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/fs/rec" --pid "$WP" --overhead-budget 0 --stack=false ||
	{ fail "core-diskfull: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
for _ in $(seq 100); do grep -q "disk full" "$T_OUT/rec.log" && break; sleep 0.1; done
contains "core-diskfull: stderr says disk full" "$(cat "$T_OUT/rec.log")" "disk full writing to"
rm -f "$T_OUT/fs/ballast"
for _ in $(seq 50); do grep -q "disk space is back" "$T_OUT/rec.log" && break; sleep 0.1; done
contains "core-diskfull: stderr says space is back" "$(cat "$T_OUT/rec.log")" "disk space is back"
kill -0 "$RP" 2>/dev/null && pass "core-diskfull: recorder kept running" || fail "core-diskfull: recorder died"
wait_pid "$WP" 60
rec_stop
eq "core-diskfull: recorder exit status" "$RC" 0
json "$T_OUT/fs/rec" "$T_OUT/rec.json"
python3 - "$T_OUT/rec.json" "$WP" <<PY
$CORE_PY
N = [r for r in R if r["kind"] == "note" and "disk full" in r["text"]]
L = [r for r in R if r["kind"] == "lost" and r["reason"] == 1]
ok("core-diskfull: NOTE record about the gap", len(N) >= 1, N)
ok("core-diskfull: LOST records (reason disk full)", len(L) >= 1 and sum(r["count"] for r in L) > 0, L)
ok("core-diskfull: events written after space returned", len(ops(int(sys.argv[2]), 1, 5)) > 0)
PY
