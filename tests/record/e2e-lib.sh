# e2e-lib.sh - helpers for the end-to-end recorder tests (t-e2e-*.sh).
# Source after $TESTS/lib.sh.  Each test records a fake-CUDA workload from
# $BIN/testdata with the REAL recorder and inspects the recording through
# `ingero-dump --ndjson` with e2e_lib.py.
REC=$BIN/ingero-record
DUMP=$BIN/ingero-dump
TD=$BIN/testdata
WL_PID= REC_PID=

# e2e_ready NAME: skip NAME (return 1) unless root+BTF and the tools are built
e2e_ready() {
	need_bpf "$1" || return 1
	local f
	for f in "$REC" "$DUMP" "$TD/wl-train"; do
		[ -x "$f" ] || { skip "$1: $f not built"; return 1; }
	done
	command -v python3 >/dev/null || { skip "$1: no python3"; return 1; }
	return 0
}

# wait_for FILE REGEX SECONDS: wait until FILE has a line matching REGEX
wait_for() {
	local i n=$(( $3 * 20 ))
	for ((i = 0; i < n; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wl_start NAME OUT ARGS...: start workload NAME (stdout to OUT) waiting for
# SIGUSR1; sets WL_PID once it printed its pid
wl_start() {
	local name=$1 out=$2; shift 2
	"$TD/$name" --wait-usr1 "$@" >"$out" 2>&1 &
	WL_PID=$!
	wait_for "$out" '^pid ' 5 || { echo "workload $name did not start" >&2; return 1; }
}

# rec_start DIR ERRFILE ARGS...: start the recorder in the background
rec_start() {
	local dir=$1 err=$2; shift 2
	# --overhead-budget 0: exact counts (no 1-in-N sampling at high call rates)
	"$REC" record -o "$dir" --overhead-budget 0 "$@" >/dev/null 2>"$err" &
	REC_PID=$!
}

# rec_attached ERRFILE: wait until the recorder says it attached probes
rec_attached() {
	wait_for "$1" 'attached [0-9]+ probes' 10
}

# rec_stop: SIGINT the recorder and wait for it (clean stop); returns its status
rec_stop() {
	[ -n "$REC_PID" ] || return 0
	kill -INT "$REC_PID" 2>/dev/null
	local rc=0
	wait "$REC_PID" || rc=$?
	REC_PID=
	return $rc
}

e2e_cleanup() {
	[ -n "${WL_PID:-}" ] && kill -9 "$WL_PID" 2>/dev/null
	[ -n "${REC_PID:-}" ] && kill -INT "$REC_PID" 2>/dev/null && wait "$REC_PID" 2>/dev/null
	true
}
trap e2e_cleanup EXIT

# dump_json INPUT OUT: NDJSON of the recording
dump_json() {
	"$DUMP" --ndjson "$1" >"$2" 2>"$2.err"
}

E2E_PY="$TESTS/record/e2e_lib.py"
