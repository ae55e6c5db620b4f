#!/usr/bin/env bash
# --overhead-budget: a process calling launches/async copies at a high rate
# gets them sampled 1-in-N in the kernel (SAMPLING record, events flagged
# sampled), while syncs are never sampled.  --ndjson streams the events, one JSON object per line.
. "$TESTS/lib.sh"
. "$TESTS/record/core-lib.sh"
need_core "core-budget" wl-threads || exit 0

# ~3 s of calls (sleeping syncs) so the budget has time to react
export FAKECUDA_LAT="*=0,cudaStreamSynchronize=20"
wl_start "$T_OUT/wl.out" "$TD/wl-threads" --wait-usr1 --threads 1 --iters 30000 ||
	{ fail "core-budget: workload did not start"; exit 0; }
rec_start "$T_OUT/rec.log" -o "$T_OUT/rec" --pid "$WP" --overhead-budget 1 --ndjson \
	--stack=false >"$T_OUT/stdout.json" ||
	{ fail "core-budget: recorder did not start: $(tail -3 "$T_OUT/rec.log")"; exit 0; }
kill -USR1 "$WP"
wait_pid "$WP" 60 || fail "core-budget: workload hung"
sleep 0.3
rec_stop
eq "core-budget: recorder exit status" "$RC" 0
json "$T_OUT/rec" "$T_OUT/rec.json"
python3 - "$T_OUT/rec.json" "$WP" "$T_OUT/stdout.json" <<PY
$CORE_PY
pid = int(sys.argv[2])
SA = [r for r in R if r["kind"] == "sampling" and r["pid"] == pid]
ok("core-budget: SAMPLING record written", len(SA) >= 1, SA)
ok("core-budget: only launch/async ops sampled",
   all((r["source"], r["op"]) in [(1, 3), (1, 7)] for r in SA), SA)
ok("core-budget: rate > 1", all(r["rate"] > 1 for r in SA), SA)
sampled = [e for e in EV if e["pid"] == pid and e["flags"] & 1]
ok("core-budget: sampled events flagged", len(sampled) > 0)
S = ops(pid, 1, 5)
ok("core-budget: every sync recorded (never sampled)", len(S) == 30000 and not any(e["flags"] & 1 for e in S), len(S))
J = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
ok("core-budget: --ndjson streams every event", len(J) == len(EV) and all("op" in j and "ts_ns" in j for j in J), (len(J), len(EV)))
ok("core-budget: --ndjson op names", any(j["op"] == "cudaStreamSync" for j in J))
PY
grep -q "sampled 1-in-" "$T_OUT/rec.log" && pass "core-budget: stderr says what is sampled" ||
	fail "core-budget: stderr lacks the sampling note"
