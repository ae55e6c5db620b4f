#!/usr/bin/env bash
# Python frames, live, from the recorder to the report (and across a fork): the system python3 (Debian: CPython 3.11) calls the
# fake libcudart through ctypes from nested functions, a lambda, a generator
# and a second thread; every CUDA call must carry the exact file, function
# and line of each Python frame (ingero-record --ndjson "py").  A native
# workload (wl-train) recorded alongside gets no Python frames.
# INGERO_TEST_PYTHON=/path/to/python3.X runs another interpreter (3.10-3.12).
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready "python frames" || exit 0
PY=${INGERO_TEST_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
minor=$("$PY" -c 'import sys; print(sys.version_info[1])')
case $minor in 10|11|12) ;; *) skip "python frames: $PY is CPython 3.$minor (walked: 3.10-3.12)"; exit 0;; esac
SCRIPT=$TESTS/record/py/train.py
go=$T_OUT/go
"$REC" record -o "$T_OUT/rec" --overhead-budget 0 --stack=all --segment-time 1s --cuda-lib "$TD/libcudart.so.12" --ndjson \
	>"$T_OUT/ev.ndjson" 2>"$T_OUT/rec.err" &
REC_PID=$!
rec_attached "$T_OUT/rec.err" || { fail "python frames: recorder did not attach: $(tail -2 "$T_OUT/rec.err")"; exit 0; }
"$PY" "$SCRIPT" "$TD/libcudart.so.12" "$go" >"$T_OUT/py.out" 2>&1 &
pp=$!
# the recorder sets a process up at its first CUDA event: wait for it
wait_for "$T_OUT/ev.ndjson" "\"pid\":$pp,.*\"source\":\"cuda\"" 20
sleep 0.5
"$TD/wl-train" --steps 5 >"$T_OUT/wl.out" 2>&1 &
wl=$!
touch "$go"
wait $pp; prc=$?
wait $wl
# a second Python process: fast syncs from one line, 5 slow ones (30 ms
# on the fake GPU lock) from another, for the analyzer's chain and --per-line
SLOW=$TESTS/record/py/slow.py
FAKECUDA_GPU_LOCK=$T_OUT/gpu.lock "$PY" "$SLOW" "$TD/libcudart.so.12" "$go.2" "$T_OUT/gpu.lock" \
	>"$T_OUT/slow.out" 2>&1 &
sp=$!
wait_for "$T_OUT/ev.ndjson" "\"pid\":$sp,.*\"source\":\"cuda\"" 20
sleep 0.5
touch "$go.2"
wait $sp; src=$?
# a fork: parent and child each call from their own lines
FORK=$TESTS/record/py/fork.py
"$PY" "$FORK" "$TD/libcudart.so.12" >"$T_OUT/fork.out" 2>&1 & fp=$!
wait $fp; frc=$?
sleep 1.5
rec_stop
eq "python frames: slow workload ran" "$src $(cat "$T_OUT/slow.out")" "0 done"
eq "python frames: fork workload ran" "$frc $(cat "$T_OUT/fork.out")" "0 done"
python3 - "$T_OUT/ev.ndjson" "$FORK" "$fp" <<'PYEOF'
import json, sys
evf, script, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
def check(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
L = {}
for n, line in enumerate(open(script), 1):
    if "# @" in line:
        L[line.split("# @")[1].strip()] = n
ev = [json.loads(l) for l in open(evf) if l.startswith("{") and '"cuda"' in l]
par = [e for e in ev if e["pid"] == pid]
kids = {e["pid"] for e in ev if e["pid"] != pid and e.get("py") and e["py"][0][0] == script}
kid = [e for e in ev if e["pid"] in kids]
want_p = [[script, "parent_work", L["PARENT"]], [script, "<module>", L["PARENT_LOOP"]]]
want_c = [[script, "child_work", L["CHILD"]], [script, "<module>", L["CHILD_LOOP"]]]
check("python frames: fork: parent 20 calls, one child with 30", len(par) == 20 and len(kids) == 1 and len(kid) == 30,
      (len(par), kids, len(kid)))
for who, v, want in (("parent", par, want_p), ("child", kid, want_c)):
    fr = [e["py"] for e in v if e.get("py")]
    check("python frames: fork: %s: most calls carry frames (%d of %d)" % (who, len(fr), len(v)), len(fr) >= len(v) // 2)
    check("python frames: fork: %s: every frame list is its own exact lines" % who, all(f == want for f in fr),
          [f for f in fr if f != want][:2])
PYEOF
eq "python frames: workload ran" "$prc $(cat "$T_OUT/py.out")" "0 done"
python3 - "$T_OUT/ev.ndjson" "$SCRIPT" "$pp" "$wl" "$minor" <<'PYEOF'
import json, sys
evf, script, pid, wl, minor = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def check(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
L = {}
for n, line in enumerate(open(script), 1):
    if "# @" in line:
        L[line.split("# @")[1].strip()] = n
ev = [json.loads(l) for l in open(evf) if l.startswith("{")]
mine = [e for e in ev if e["pid"] == pid and e["source"] == "cuda"]
# the calls after the warm-up loop (its first calls precede the process set-up)
warm = [i for i, e in enumerate(mine) if e.get("py") and e["py"][0][2] == L["WARM"]]
check("python frames: warm-up calls carry <module>:%d" % L["WARM"], len(warm) > 0)
calls = mine[warm[-1] + 1:] if warm else mine
want = {
  "forward<-train_step": ([("forward", L["FORWARD"]), ("train_step", L["STEP_FORWARD"]), ("<module>", L["MODULE"])], 3),
  # 3.10 has no co_qualname: its functions are named by co_name
  "lambda<-train_step": ([("<lambda>" if minor == 10 else "train_step.<locals>.<lambda>", L["LAMBDA"]), ("train_step", L["STEP_LAMBDA"]), ("<module>", L["MODULE"])], 3),
  "generator<-train_step": ([("batches", L["GEN"]), ("train_step", L["STEP_GEN"]), ("<module>", L["MODULE"])], 6),
  "forward<-worker thread": ([("forward", L["FORWARD"]), ("worker", L["WORKER"])], 1),
}
got = {}
for e in calls:
    fr = [(f[1], f[2]) for f in e.get("py", [])]
    files = {f[0] for f in e.get("py", [])}
    key = None
    for k, (frames, _) in want.items():
        if fr[:len(frames)] == frames:
            key = k
    got.setdefault(key, []).append((fr, files, e["tid"]))
check("python frames: the script's calls were recorded", len(calls) >= 13, len(calls))
for k, (frames, n) in want.items():
    g = got.get(k, [])
    check("python frames: %s: %d calls with exact function:line" % (k, n), len(g) == n,
          "%d, unmatched: %s" % (len(g), [x[0] for x in got.get(None, [])][:3]))
    # the thread's outer frames are threading.py's (Thread.run, _bootstrap)
    check("python frames: %s: file is the script" % k,
          all(all(f == script or f.endswith("/threading.py") for f in x[1]) for x in g), [x[1] for x in g][:2])
check("python frames: no call without a match", not got.get(None), [x[0] for x in got.get(None, [])][:3])
w = got.get("forward<-worker thread", [])
check("python frames: the thread's call ran on another tid", w and all(x[2] != pid for x in w), [x[2] for x in w])
nat = [e for e in ev if e["pid"] == wl and e["source"] == "cuda"]
check("python frames: native workload recorded", len(nat) > 0, len(nat))
check("python frames: native workload has no Python frames", nat and not any("py" in e for e in nat),
      [e.get("py") for e in nat if "py" in e][:2])
PYEOF
# the recording: every call with Python frames in --ndjson has a STACK whose
# py field names PYFRAME records with the same file, function and line
"$BIN/ingero-dump" --ndjson "$T_OUT/rec" >"$T_OUT/dump.ndjson" 2>"$T_OUT/dump.err" ||
	fail "python frames: ingero-dump failed: $(head -2 "$T_OUT/dump.err")"
python3 - "$T_OUT/ev.ndjson" "$T_OUT/dump.ndjson" "$pp" "$wl" <<'PYEOF'
import json, sys
evf, dumpf, pid, wl = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def check(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
ev = [json.loads(l) for l in open(evf) if l.startswith("{")]
recs = [json.loads(l) for l in open(dumpf)]
pf = {r["id"]: r for r in recs if r["kind"] == "pyframe"}
st = {r["id"]: r for r in recs if r["kind"] == "stack"}
withpy = [e for e in ev if e["pid"] == pid and e.get("py")]
bad = []
for e in withpy:
    s = st.get(int(e["stack_id"]))
    got = [[pf[i]["file"], pf[i]["function"], pf[i]["line"]] for i in s.get("py", [])] if s else None
    if got != e["py"]:
        bad.append((e["stack_id"], got, e["py"]))
check("python frames: recording: %d calls' STACK.py -> PYFRAME = the live frames" % len(withpy),
      withpy and not bad, bad[:2])
pypids = {e["pid"] for e in ev if e.get("py")}
check("python frames: recording: PYFRAME records carry the Python processes' pids",
      pf and pid in pypids and wl not in pypids and {r["pid"] for r in pf.values()} == pypids,
      ({r["pid"] for r in pf.values()}, pypids))
check("python frames: recording: PYFRAME deduplicated by (file, function, line)",
      len({(r["pid"], r["file"], r["function"], r["line"]) for r in pf.values()}) == len(pf), len(pf))
check("python frames: recording: native stacks kept under the Python frames",
      any(s.get("py") and s["depth"] > 0 for s in st.values()))
natst = {int(e["stack_id"]) for e in ev if e["pid"] == wl and e["source"] == "cuda" and e["stack_id"] != "0"}
check("python frames: recording: the native workload's stacks have no py",
      natst and all(not st[i].get("py") for i in natst if i in st), natst)
PYEOF

# every segment stands alone: its events' STACKs and their PYFRAMEs are in it
nseg=0 bad=""
for f in "$T_OUT"/rec/seg-*.igz; do
	nseg=$((nseg + 1))
	"$BIN/ingero-dump" --ndjson "$f" 2>/dev/null | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
pf = {r["id"] for r in recs if r["kind"] == "pyframe"}
st = {r["id"]: r for r in recs if r["kind"] == "stack"}
ev = [r for r in recs if r["kind"] == "event" and r["stack_id"]]
miss = [r["stack_id"] for r in ev if r["stack_id"] not in st]
miss += [i for s in st.values() for i in s.get("py", []) if i not in pf]
print(len(miss))' | grep -qx 0 || bad="$bad $(basename "$f")"
done
[ "$nseg" -ge 3 ] && [ -z "$bad" ] && pass "python frames: $nseg segments, each with the PYFRAME/STACK records its events use" ||
	fail "python frames: segments ($nseg) missing PYFRAME/STACK records:$bad"
# analyzer: python_frames, the chain names the slow line, --per-line groups
# the calls by line with exact counts; perfetto shows the frames
line() { grep -n "# @$1\$" "$2" | cut -d: -f1; }
LF=$(line FAST "$SLOW") LS=$(line SLOW "$SLOW")
"$BIN/ingero-analyze" "$T_OUT/rec" -o "$T_OUT/a.db" --per-line >"$T_OUT/report.txt" 2>"$T_OUT/an.err" ||
	fail "python frames: ingero-analyze failed: $(head -2 "$T_OUT/an.err")"
contains "python frames: the chain names the slow Python line" "$(cat "$T_OUT/report.txt")" \
	"(Python: $SLOW:$LS in slow)"
pl=$(sed -n '/^PER PYTHON LINE/,$p' "$T_OUT/report.txt")
eq "python frames: --per-line: fast line, 100 stream syncs" \
	"$(echo "$pl" | awk -v l="$SLOW:$LF" '$7 == l && $6 == "cudaStreamSync" {print $9, $1}')" "fast 100"
eq "python frames: --per-line: slow line, 5 stream syncs" \
	"$(echo "$pl" | awk -v l="$SLOW:$LS" '$7 == l && $6 == "cudaStreamSync" {print $9, $1}')" "slow 5"
"$BIN/ingero-analyze" "$T_OUT/a.db" --per-line --json >"$T_OUT/report.json" 2>>"$T_OUT/an.err"
python3 - "$T_OUT/report.json" "$SLOW" "$LF" "$LS" "$T_OUT/a.db" "$sp" "$wl" <<'PYEOF'
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
slow, lf, ls, db, sp, wl = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
def check(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
L = {(x["file"], x["function"], x["line"], x["op"]): x for x in r.get("per_line", {}).get("lines", [])}
f, s = L.get((slow, "fast", lf, "cudaStreamSync")), L.get((slow, "slow", ls, "cudaStreamSync"))
check("python frames: --per-line --json: exact counts", f and s and f["count"] == 100 and s["count"] == 5,
      (f, s))
check("python frames: --per-line --json: the slow line's p50 >= 25 ms, the fast line's < 5 ms",
      f and s and s["p50_ns"] >= 25000000 and f["p50_ns"] < 5000000, (f, s))
lines = r.get("per_line", {}).get("lines", [])
check("python frames: --per-line --json: sorted by total time",
      [x["total_ns"] for x in lines] == sorted((x["total_ns"] for x in lines), reverse=True))
ch = [c for c in r["chains"] if ("Python: %s:%d in slow" % (slow, ls)) in c["summary"]]
check("python frames: --json chain summary names the line", len(ch) == 1, [c["summary"] for c in r["chains"]])
c = sqlite3.connect(db)
n = c.execute("SELECT count(*) FROM events e JOIN python_frames p ON p.stack_hash = e.stack_hash "
              "AND p.depth = 0 WHERE e.pid = ? AND p.file = ? AND p.line = ? AND p.function = 'slow'",
              (sp, slow, ls)).fetchone()[0]
check("python frames: python_frames joins the slow calls", n == 5, n)
n = c.execute("SELECT count(*) FROM events e JOIN python_frames p ON p.stack_hash = e.stack_hash "
              "WHERE e.pid = ?", (wl,)).fetchone()[0]
# slow steps of the Python processes (when the step pass finds one) name a line
ss = [r[0] for r in c.execute("SELECT summary FROM step_findings WHERE kind = 'slow_step' AND pid != ?", (wl,))]
check("python frames: %d slow-step finding(s) of Python processes name a Python line" % len(ss),
      all("(Python: " in x for x in ss), ss)
check("python frames: python_frames: none for the native workload", n == 0, n)
PYEOF
for src in "$T_OUT/rec" "$T_OUT/a.db"; do
	"$BIN/ingero-perfetto" "$src" -o "$T_OUT/p.json" --format json --force 2>>"$T_OUT/an.err"
	contains "python frames: perfetto ($(basename "$src")): slice args name the slow line" \
		"$(cat "$T_OUT/p.json")" "\"python\":\"$SLOW:$LS in slow < "
	contains "python frames: perfetto ($(basename "$src")): the stack annotation starts with it" \
		"$(cat "$T_OUT/p.json")" "\"stack\":\"slow (slow.py:$LS) < "
done
"$BIN/ingero-perfetto" "$T_OUT/rec" -o "$T_OUT/p.pftrace" --force 2>>"$T_OUT/an.err"
CHK=${SHARED:-/work/shared}/tools/check-pftrace.py
if [ ! -f "$CHK" ]; then skip "python frames: no check-pftrace.py"
elif python3 "$CHK" "$T_OUT/p.pftrace" --strict --quiet >/dev/null 2>&1; then
	pass "python frames: perfetto trace passes check-pftrace.py --strict"
else fail "python frames: perfetto trace fails check-pftrace.py --strict"; fi
