#!/usr/bin/env bash
# ingero-analyze never destroys data (issue 10, docs/cli.md "Output files"):
# -o is atomic and refuses what is not ours to replace; an interrupted run
# (SIGINT, SIGTERM) leaves the old output as it was and no temporary; a
# closed pipe leaves no scratch DB in $TMPDIR; stdout write errors exit 1;
# --json is one document with lossless timestamps; progress only on a TTY.
# Every case checks the exit code, the one-line message and that no
# pre-existing file changed (checksums).
. "$TESTS/lib.sh"
A=$BIN/ingero-analyze R=$BIN/ingero-record G=$BIN/bench/analyze-gen
for t in "$A" "$R" "$G"; do
	[ -x "$t" ] || { skip "analyze safety: $(basename "$t") not built"; exit 0; }
done
export LC_ALL=C TZ=UTC
cd "$T_OUT" || exit 1
mkdir tmp && export TMPDIR=$T_OUT/tmp
"$R" demo incident -o inc -q --seed 3 --duration 5 || { fail "demo incident"; exit 0; }
"$G" 400000 big >/dev/null || { fail "analyze-gen"; exit 0; }
"$A" -q inc -o old.db >/dev/null || { fail "first -o"; exit 0; }
echo "keep me" > notes.txt
sums() { sha256sum old.db notes.txt inc/* big/* 2>/dev/null; }
before=$(sums)
untouched() { eq "$1: no pre-existing file changed" "$(sums)" "$before"; }
no_temps() {
	eq "$1: no temporary beside the outputs" "$(ls -A | grep -c '^\.')" 0
	eq "$1: nothing left in \$TMPDIR" "$(ls -A tmp | wc -l)" 0
}
err1() { # NAME WANT CMD... : exit 1, one line containing WANT
	local name=$1 want=$2; shift 2
	"$@" >/dev/null 2>err.txt; local rc=$?
	eq "$name: exit 1" "$rc" 1
	eq "$name: one line" "$(wc -l <err.txt)" 1
	contains "$name: says '$want'" "$(cat err.txt)" "$want"
}

# --- refusals ------------------------------------------------------------------
err1 "existing DB without --force" "old.db: already exists (use --force to replace it)" "$A" -q inc -o old.db
err1 "a text file, even with --force" "notes.txt: exists and is not an SQLite database" "$A" -q inc -o notes.txt --force
ln -s old.db link.db
err1 "a symbolic link, even with --force" "link.db" "$A" -q inc -o link.db --force
[ -L link.db ] && pass "symbolic link still a link" || fail "symbolic link replaced"
mkfifo fifo.db
err1 "a FIFO, even with --force" "fifo.db" "$A" -q inc -o fifo.db --force
[ -p fifo.db ] && pass "FIFO still a FIFO" || fail "FIFO replaced"
err1 "a directory" "inc" "$A" -q big -o inc --force
err1 "/dev/full as -o (a device)" "/dev/full" "$A" -q inc -o /dev/full --force
[ -c /dev/full ] && pass "/dev/full still a device" || fail "/dev/full replaced"
err1 "output is also an input" "output is also an input" "$A" -q old.db -o old.db --force
rm -f link.db fifo.db
untouched "refusals"
no_temps "refusals"

# --- interrupted runs: the old output survives, no temporary ---------------------
for sig in INT TERM; do
	timeout -s $sig 0.5 "$A" -q big -o old.db --force >/dev/null 2>&1; rc=$?
	if [ $rc -eq 124 ]; then
		untouched "SIG$sig during -o"
		no_temps "SIG$sig during -o"
	else
		skip "SIG$sig during -o: the run finished within 0.5 s (rc $rc)"
		before=$(sums)
	fi
	timeout -s $sig 0.5 "$A" -q big >/dev/null 2>&1; rc=$?
	[ $rc -eq 124 ] && no_temps "SIG$sig without -o (scratch DB)" || skip "SIG$sig without -o: finished within 0.5 s"
done
"$A" -q inc -o old.db --force >/dev/null; eq "--force replaces our own DB when complete" "$?" 0
eq "... with a valid database" "$(sqlite3 old.db 'SELECT count(*) > 0 FROM events' 2>&1)" 1
before=$(sums)

# --- pipes and stdout ---------------------------------------------------------------
"$A" -q big --per-process | head -c 10 >/dev/null
no_temps "'| head' (closed pipe)"
"$A" -q inc > /dev/full 2>err.txt; rc=$?
eq "> /dev/full: exit 1" "$rc" 1
eq "> /dev/full: one-line message" "$(cat err.txt)" "ingero-analyze: stdout: No space left on device"
"$A" -q inc --json > /dev/full 2>/dev/null; eq "--json > /dev/full: exit 1" "$?" 1
no_temps "/dev/full"
untouched "pipes"

# --- --json: one document, lossless timestamps -------------------------------------
"$A" -q inc --json --per-process > r.json
got=$(python3 - r.json inc.json <<'EOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
bad = [k for k in ("start_ns", "end_ns", "window_start_ns", "window_end_ns") if not isinstance(d["recording"][k], str)]
bad += [k for n in d["recording"]["nodes"] for k in ("first_ns", "last_ns") if not isinstance(n[k], str)]
bad += [k for c in d["chains"] for k in ("detected_at", "window_start", "window_end") if not isinstance(c[k], str)]
bad += [k for s in d["stats"] for k in ("count", "p99_ns") if not isinstance(s[k], int)]
print("ok" if not bad and d["chains"] else "bad: %s" % bad)
EOF
)
eq "--json: one document; timestamps strings, durations numbers" "$got" ok
eq "--json: start_ns exact" "$(python3 -c 'import json,sys; print(json.load(open("r.json"))["recording"]["start_ns"])')" \
	"$(sqlite3 old.db 'SELECT min(first_ts) FROM nodes')"

# --- progress: a live line on a TTY, none otherwise ----------------------------------
if command -v script >/dev/null; then
	script -qc "'$A' big --no-report -o tty.db" /dev/null > tty.txt 2>&1 </dev/null
	if grep -aq 'import' tty.txt && grep -aq 'ev/s' tty.txt; then pass "progress line on a TTY"; else fail "no progress line on a TTY: $(head -c 200 tty.txt)"; fi
	script -qc "'$A' -q big --no-report -o tty2.db" /dev/null > tty2.txt 2>&1 </dev/null
	eq "-q: no progress on a TTY" "$(grep -ac 'ev/s' tty2.txt)" 0
else
	skip "progress on a TTY: no script(1)"
fi
"$A" big --no-report -o notty.db 2>notty.txt
eq "no progress when stderr is not a TTY" "$(wc -c <notty.txt)" 0
