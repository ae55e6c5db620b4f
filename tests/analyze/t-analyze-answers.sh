#!/usr/bin/env bash
# ingero-analyze never gives a wrong or misleading answer (issue 10):
# unmerged node recordings are refused with the command that merges them,
# our own analysis DB round-trips to the same report, filters that match
# nothing are errors naming what exists, fix lines carry real values.
. "$TESTS/lib.sh"
A=$BIN/ingero-analyze R=$BIN/ingero-record M=$BIN/ingero-merge
for t in "$A" "$R" "$M"; do
	[ -x "$t" ] || { skip "analyze answers: $(basename "$t") not built"; exit 0; }
done
export PATH="$BIN:$PATH" LC_ALL=C TZ=UTC
cd "$T_OUT" || exit 1
"$R" demo multi-node --nodes 3 --offsets 0,+3.2ms,-47ms --drift 0,20ppm,-5ppm -o multi -q --seed 7 || { fail "demo multi-node"; exit 0; }
"$R" demo incident -o inc -q --seed 7 || { fail "demo incident"; exit 0; }
"$R" demo cpu-contention -o cpu -q --seed 7 || { fail "demo cpu-contention"; exit 0; }
truth=$(grep -o '"straggler": "[^"]*"' multi/truth.json | cut -d'"' -f4)

# one line on stderr, nothing on stdout, exit 1
one_error() { # NAME WANT_SUBSTRING CMD...
	local name=$1 want=$2; shift 2
	"$@" >out.txt 2>err.txt; local rc=$?
	eq "$name: exit 1" "$rc" 1
	eq "$name: one line on stderr, nothing on stdout" "$(wc -l <err.txt) $(wc -c <out.txt)" "1 0"
	contains "$name: says '$want'" "$(cat err.txt)" "$want"
}

# --- unmerged node recordings: refused with the exact command ------------------
one_error "unmerged dir" "merge them first: ingero-merge multi/node-0 multi/node-1 multi/node-2 -o multi.igz && ingero-analyze multi.igz --json" \
	"$A" multi --json
cmd=$(sed 's/.*merge them first: //; s/   (or --no-merge-check.*//' err.txt)
if bash -c "$cmd" >merged.json 2>/dev/null && [ -s multi.igz ]; then
	got=$(python3 -c 'import json,sys; c=[c for c in json.load(open("merged.json"))["chains"] if "straggler" in c.get("summary","")]; print(c[0]["summary"].split("straggler ")[1].split(" ")[0] if c else "none")' 2>&1)
	eq "the suggested command runs and names the true straggler" "$got" "$truth"
else
	fail "the suggested command failed: $cmd"
fi
one_error "unmerged dir with a trailing slash" "ingero-merge multi/node-0 multi/node-1 multi/node-2 -o multi.igz" "$A" multi/
one_error "unmerged recordings as separate inputs" "ingero-merge multi/node-0 multi/node-2 -o merged.igz && ingero-analyze merged.igz -q" \
	"$A" multi/node-0 multi/node-2 -q
one_error "unmerged: odd names are shell-quoted" "-o 'odd dir.igz'" "$A" "$(cp -r multi 'odd dir' && echo 'odd dir')"
"$A" multi --no-merge-check >/dev/null 2>err.txt; rc=$?
eq "--no-merge-check: analyzed (exit 0)" "$rc" 0
contains "--no-merge-check: warns that clocks were not corrected" "$(cat err.txt)" "without clock correction"
"$A" multi/node-1 -q >/dev/null 2>&1; eq "one node recording of the directory: fine" "$?" 0

# --- our own analysis DB round-trips ---------------------------------------------
for s in inc cpu multi.igz; do
	"$A" -q "$s" -o "$s.db" >"$s.r1" 2>/dev/null || { fail "round trip $s: first run"; continue; }
	"$A" -q "$s.db" >"$s.r2" 2>&1
	eq "round trip $s: same text report" "$(sha256sum <"$s.r2")" "$(sha256sum <"$s.r1")"
	"$A" -q "$s" --json --per-process >"$s.j1" 2>/dev/null
	"$A" -q "$s.db" --json --per-process >"$s.j2" 2>&1
	eq "round trip $s: same JSON report" "$(sha256sum <"$s.j2")" "$(sha256sum <"$s.j1")"
done
contains "round trip: the logrotate culprit survives" "$(cat inc.r2)" "logrotate (pid 31337) preempted"
contains "round trip: the straggler chain survives" "$(cat multi.igz.r2)" "straggler $truth"
"$A" -q inc.db -o inc2.db >/dev/null 2>&1
eq "round trip: every table's rows survive a second generation" \
	"$(sqlite3 inc2.db "SELECT (SELECT count(*) FROM events)||','||(SELECT count(*) FROM offcpu)||','||(SELECT count(*) FROM causal_chains)||','||(SELECT count(*) FROM stack_traces)||','||(SELECT count(*) FROM inputs)" 2>&1)" \
	"$(sqlite3 inc.db "SELECT (SELECT count(*) FROM events)||','||(SELECT count(*) FROM offcpu)||','||(SELECT count(*) FROM causal_chains)||','||(SELECT count(*) FROM stack_traces)||','||(SELECT count(*) FROM inputs)" 2>&1)"
eq "round trip: ids are node:seq as before" "$(sqlite3 inc2.db 'SELECT id FROM events WHERE rowid = 7')" "$(sqlite3 inc.db 'SELECT id FROM events WHERE rowid = 7')"

# --- filters that match nothing --------------------------------------------------
one_error "--node typo" "--node 'nod-1': 0 events; known nodes: node-0, node-1, node-2 (did you mean 'node-1'?)" \
	"$A" multi.igz --node nod-1
one_error "--op typo (same shape as --node)" "--op 'cudaStreamSink': 0 events; ops recorded: " "$A" multi.igz --op cudaStreamSink
contains "--op typo: did you mean" "$(cat err.txt)" "(did you mean 'cudaStreamSync'?)"
one_error "--op that exists but was not recorded" "--op 'cudaMalloc': 0 events; ops recorded: " "$A" multi.igz --op cudaMalloc
one_error "--pid typo" "--pid 99999: 0 events; processes recorded" "$A" inc --pid 99999
contains "--pid: names the processes" "$(cat err.txt)" "4242 (python3)"
one_error "--since after --until" "--until '5s' is not after --since '10s': 0 events; the recording spans " \
	"$A" inc --since 10s --until 5s
one_error "--since beyond the end" "--since '1h' is after the recording's end" "$A" inc --since 1h
one_error "--until before the start" "--until '2001-01-01 00:00:00' is before the recording's start" \
	"$A" inc --until '2001-01-01 00:00:00'
one_error "--summary too" "--node 'x': 0 events" "$A" inc --summary --node x
one_error "--json too" "--node 'x': 0 events" "$A" inc --json --node x
one_error "filters that match only apart" "0 events match --node 'node-1', --pid " \
	"$A" multi.igz --node node-1 --pid "$(sqlite3 multi.igz.db "SELECT pid FROM events WHERE node='node-0' LIMIT 1")"
cp inc.db empty.db && sqlite3 empty.db "DELETE FROM event_rows; UPDATE nodes SET events = 0"
one_error "empty recording" "no events in 'empty.db'" "$A" empty.db
"$A" -q multi.igz --node node-1 --op AllReduce --since 2s --until 4s >/dev/null 2>&1
eq "filters that match: exit 0" "$?" 0

# --- fix lines carry real values ---------------------------------------------------
r=$(cat multi.igz.r1)
if printf '%s' "$r" | grep -q '<it>'; then fail "fix line has a <it> placeholder"; else pass "no <it> placeholder"; fi
contains "fix line names the straggler node" "$r" "ingero-analyze --node $truth"
