#!/usr/bin/env bash
# Determinism across tools: the same input twice gives byte-identical
# ingero-analyze report (text and --json), ingero-perfetto proto and JSON
# (from the recording and from the analysis DB), and ingero-merge output
# (directory and single file, compared by sha256 of every file), for the
# incident demo and a 3-node merge of the multi-node demo.  A third run with
# another TZ / locale must not change anything either.
. "$TESTS/lib.sh"
. "$TESTS/robustness/rlib.sh"
cd "$T_OUT" || exit 1
for t in merge analyze perfetto record; do
	[ -x "$BIN/ingero-$t" ] || { fail "determinism: $BIN/ingero-$t not built"; exit 0; }
done
"$BIN/ingero-record" demo incident -o inc >/dev/null 2>&1 || { fail "determinism: demo incident failed"; exit 0; }
"$BIN/ingero-record" demo multi-node -o mn >/dev/null 2>&1 || { fail "determinism: demo multi-node failed"; exit 0; }
R_TIMEOUT=60

# digest DIR_OR_FILE : sha256 of every file, with relative names
digest() { (cd "$1" 2>/dev/null && find . -type f | LC_ALL=C sort | xargs -r sha256sum) || sha256sum <"$1"; }

# produce RUN SCEN INPUT... : every output of run RUN into out-RUN-SCEN/
produce() {
	local run=$1 sc=$2; shift 2
	# the same paths every run (the merged header records the command line,
	# the report names its input): work in cur/, then move it aside
	local d=cur
	rm -rf "$d" "out-$run-$sc"; mkdir -p "$d"
	run_tool "$d/merge" "$BIN/ingero-merge" -q -q "$@" -o "$d/merged"
	run_tool "$d/mergef" "$BIN/ingero-merge" -q -q "$@" -o "$d/merged.igz"
	local in=$d/merged
	[ "$sc" = inc ] && in=$1
	run_tool "$d/report" "$BIN/ingero-analyze" -q "$in" -o "$d/a.db"
	run_tool "$d/json" "$BIN/ingero-analyze" -q --json "$in"
	run_tool "$d/pp" "$BIN/ingero-analyze" -q --per-process "$in"
	run_tool "$d/pf" "$BIN/ingero-perfetto" "$in" -o "$d/t.pftrace"
	run_tool "$d/pfj" "$BIN/ingero-perfetto" "$in" --format json -o "$d/t.json"
	run_tool "$d/pfdb" "$BIN/ingero-perfetto" "$d/a.db" -o "$d/db.pftrace"
	run_tool "$d/pfdbj" "$BIN/ingero-perfetto" "$d/a.db" --format json -o "$d/db.json"
	# outputs that must be deterministic, by name
	digest "$d/merged" >"$d/merged.sum"
	mv "$d" "out-$run-$sc"
}

check_same() { # SCEN RUN_A RUN_B LABEL
	local sc=$1 a=out-$2-$1 b=out-$3-$1 k why
	for k in merge.rc mergef.rc report.rc json.rc pp.rc pf.rc pfj.rc pfdb.rc pfdbj.rc; do
		[ "$(cat "$a/$k")" = 0 ] || { fail "determinism $sc: ${k%.rc} failed (rc=$(cat "$a/$k")): $(head -2 "$a/${k%.rc}.err" | tr '\n' '|')"; }
	done
	for k in merged.sum merged.igz report.out json.out pp.out t.pftrace t.json db.pftrace db.json; do
		if [ ! -s "$a/$k" ]; then fail "determinism $sc $4: $k: no output"; continue; fi
		if cmp -s "$a/$k" "$b/$k"; then pass "determinism $sc $4: $k byte-identical"; else
			why=$(cmp "$a/$k" "$b/$k" 2>&1 | head -1)
			[ "$k" = merged.sum ] && why="$(diff "$a/$k" "$b/$k" | grep '^[<>]' | head -2 | tr '\n' '|')"
			fail "determinism $sc $4: $k differs ($why)"
		fi
	done
}

produce 1 inc inc
produce 2 inc inc
TZ=America/New_York LC_ALL=C.UTF-8 produce 3 inc inc
produce 1 mn mn/node-0 mn/node-1 mn/node-2
produce 2 mn mn/node-0 mn/node-1 mn/node-2
TZ=Asia/Kolkata LC_ALL=C.UTF-8 produce 3 mn mn/node-0 mn/node-1 mn/node-2
check_same inc 1 2 "run twice"
check_same inc 1 3 "other TZ/locale"
check_same mn 1 2 "run twice"
check_same mn 1 3 "other TZ/locale"
# the merged recording as a single file equals the directory's only segment
n=$(find out-1-mn/merged -name 'seg-*.igz' | wc -l)
eq "determinism mn: merged dir holds one segment" "$n" 1
