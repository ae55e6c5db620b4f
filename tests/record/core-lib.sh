# Helpers for the recorder's core tests (tests/record/t-core-*.sh).
# Source after lib.sh.  Sets REC, DUMP, TD.
REC=$BIN/ingero-record
DUMP=$BIN/ingero-dump
TD=$BIN/testdata
RP= WP= HP=

core_cleanup() {
	for p in $RP $WP $HP; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap core_cleanup EXIT

# need_core NAME [WORKLOAD...]: skip unless BPF, the tools, the fake CUDA
# libraries and the named workloads exist
need_core() {
	local n=$1 f; shift
	need_bpf "$n" || return 1
	for f in "$REC" "$DUMP" "$TD/libcudart.so.12" "${@/#/$TD/}"; do
		if [ ! -e "$f" ]; then skip "$n: $f not built"; return 1; fi
	done
	if ! command -v python3 >/dev/null; then skip "$n: python3 missing"; return 1; fi
	return 0
}

# rec_start LOG ARGS... : start the recorder in the background (RP), wait
# until it has attached (its "recording"/"scanning" note), at most 15 s.
rec_start() {
	local log=$1 i; shift
	"$REC" "$@" 2>"$log" &
	RP=$!
	for i in $(seq 150); do
		grep -q "recording\|no CUDA library found yet\|tracing pid" "$log" && return 0
		kill -0 "$RP" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wl_start OUT CMD... : start a workload (RP of its "pid" line in WP)
wl_start() {
	local out=$1 i; shift
	"$@" >"$out" 2>&1 &
	WP=$!
	for i in $(seq 100); do
		grep -q '^pid ' "$out" && return 0
		sleep 0.05
	done
	return 1
}

# wait_pid PID SECS: wait for a child to exit, kill it after SECS
wait_pid() {
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}

# rec_stop: SIGINT the recorder and wait for it (status in RC)
rec_stop() {
	local g
	kill -INT "$RP" 2>/dev/null
	( sleep 20; kill -9 "$RP" 2>/dev/null ) &
	g=$!
	wait "$RP" 2>/dev/null
	RC=$?
	kill "$g" 2>/dev/null
	wait "$g" 2>/dev/null
	RP=
}

# json DIR OUT: every record of a recording as NDJSON
json() { "$DUMP" --ndjson "$1" >"$2" 2>"$2.err"; }

# load_py: python prelude for checks (records grouped by kind, stack names)
CORE_PY='
import json, sys
R = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
EV = [r for r in R if r["kind"] == "event"]
PROC = {}
for r in R:
    if r["kind"] == "process": PROC[r["pid"]] = r
SYM = {r["id"]: r["name"] for r in R if r["kind"] == "symbol"}
STK = {r["id"]: [SYM.get(f[1], "?") for f in r["frames"]] for r in R if r["kind"] == "stack"}
def ok(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
def ops(pid, src, op):
    return [e for e in EV if e["pid"] == pid and e["source"] == src and e["op"] == op]
'
