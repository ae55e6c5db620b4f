#!/usr/bin/env bash
# ingero-merge and the CLI contract (docs/cli.md): safe -o, --force,
# --version, did-you-mean, --offset durations (a bare number is seconds),
# checked stdout, warnings only when something is wrong, progress on a TTY.
. "$TESTS/lib.sh"
M="$BIN/ingero-merge"
S="$BIN/tests/merge-synth"
D="$T_OUT"
if [ ! -x "$M" ] || [ ! -x "$S" ]; then
	fail "merge-cli: tools not built ($M, $S)"; exit 1
fi
"$S" gen -o "$D/in" --nodes 2 --events 4000 --offsets 0,1000000 >/dev/null 2>&1 ||
	{ fail "merge-cli: generator failed"; exit 1; }
IN="$D/in/node-0 $D/in/node-1"
field() {
	awk -v n="$2" -v k="$3" '$1 == "node" && $2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
# no temporary left beside a target in DIR
no_tmp() {
	local left
	left=$(cd "$2" && ls -A | grep '^\.' | tr '\n' ' ')
	eq "$1" "$left" ""
}

# --version, unknown options
out=$("$M" --version); rc=$?
eq "merge-cli: --version exit" "$rc" 0
contains "merge-cli: --version names the format" "$out" "ingero-merge 0.1.0 (recording format"
err=$("$M" --verison 2>&1 >/dev/null); rc=$?
eq "merge-cli: unknown option exit" "$rc" 2
contains "merge-cli: did you mean" "$err" "unknown option '--verison' (did you mean '--version'?)"
err=$("$M" $IN 2>&1 >/dev/null); rc=$?
eq "merge-cli: no -o is a usage error" "$rc" 2

# -o: an existing file is kept without --force, replaced with it
mkdir -p "$D/o"
echo precious >"$D/o/x.igz"
sum=$(cksum <"$D/o/x.igz")
err=$("$M" -q $IN -o "$D/o/x.igz" 2>&1); rc=$?
eq "merge-cli: existing -o refused" "$rc" 1
contains "merge-cli: existing -o message" "$err" "already exists (use --force to replace it)"
eq "merge-cli: existing -o unchanged" "$(cksum <"$D/o/x.igz")" "$sum"
"$M" -q $IN -o "$D/o/x.igz" --force 2>/dev/null; rc=$?
eq "merge-cli: --force replaces" "$rc" 0
"$S" check "$D/o/x.igz" >"$D/x.chk" 2>&1
contains "merge-cli: --force output is a recording" "$(cat "$D/x.chk")" "order ok"
no_tmp "merge-cli: no temporary left after success" "$D/o"

# never through a symlink, never a FIFO or a device
echo target >"$D/o/t"
sum=$(cksum <"$D/o/t")
ln -s t "$D/o/l.igz"
"$M" -q $IN -o "$D/o/l.igz" --force >/dev/null 2>&1; rc=$?
eq "merge-cli: symlink -o refused" "$rc" 1
eq "merge-cli: symlink target unchanged" "$(cksum <"$D/o/t")" "$sum"
[ -L "$D/o/l.igz" ] && pass "merge-cli: symlink still a symlink" || fail "merge-cli: symlink replaced"
mkfifo "$D/o/f.igz"
"$M" -q $IN -o "$D/o/f.igz" --force >/dev/null 2>&1; rc=$?
eq "merge-cli: FIFO -o refused" "$rc" 1
[ -p "$D/o/f.igz" ] && pass "merge-cli: FIFO still a FIFO" || fail "merge-cli: FIFO replaced"
"$M" -q $IN -o /dev/null --force >/dev/null 2>&1; rc=$?
eq "merge-cli: device -o refused" "$rc" 1
[ -c /dev/null ] && pass "merge-cli: /dev/null still a device" || fail "merge-cli: /dev/null replaced"
no_tmp "merge-cli: no temporary left after refusals" "$D/o"

# a failed merge leaves an existing output as it was, and no temporary
printf 'not a recording' >"$D/bad.igz"
"$M" -q $IN "$D/bad.igz" -o "$D/o/x.igz" --force >/dev/null 2>&1; rc=$?
eq "merge-cli: bad input fails" "$rc" 1
"$S" check "$D/o/x.igz" >"$D/x2.chk" 2>&1
eq "merge-cli: failed merge keeps the old output" "$(cat "$D/x2.chk")" "$(cat "$D/x.chk")"
no_tmp "merge-cli: no temporary left after a failure" "$D/o"

# a directory output never mixes with a recording already there
"$M" -q $IN -o "$D/dir" 2>/dev/null
"$M" -q $IN -o "$D/dir" >/dev/null 2>&1; rc=$?
eq "merge-cli: directory holding a recording refused" "$rc" 1

# --offset: a bare number is seconds, like every duration
"$M" -q $IN -o "$D/s.igz" --offset node-1=0.002 2>/dev/null
"$S" check "$D/s.igz" >"$D/s.chk"
eq "merge-cli: --offset bare number = seconds" "$(field "$D/s.chk" 1 offset_ns)" 2000000
"$M" -q $IN -o "$D/s2.igz" --offset node-1=-1.5ms 2>/dev/null
"$S" check "$D/s2.igz" >"$D/s2.chk"
eq "merge-cli: --offset with a unit" "$(field "$D/s2.chk" 1 offset_ns)" -1500000

# checked stdout
"$M" --help >/dev/full 2>/dev/null; rc=$?
eq "merge-cli: --help > /dev/full fails" "$rc" 1
"$M" -q $IN -o - >/dev/full 2>/dev/null; rc=$?
eq "merge-cli: -o - > /dev/full fails" "$rc" 1

# offsets beyond the anchors' bounds are explained in the table, not warned
"$S" gen -o "$D/far" --nodes 2 --events 4000 --offsets 0,47000000 >/dev/null 2>&1
"$M" "$D/far/node-0" "$D/far/node-1" -o "$D/far.igz" 2>"$D/far.err"; rc=$?
eq "merge-cli: far offsets merge" "$rc" 0
if grep -q "warning" "$D/far.err"; then
	fail "merge-cli: far offsets warn: $(grep warning "$D/far.err" | head -1)"
else
	pass "merge-cli: far offsets: no warning"
fi
contains "merge-cli: far offsets: table says collectives used" "$(cat "$D/far.err")" \
	"[1] collectives used: the offset is beyond the clock anchors' error bounds"
"$M" -q "$D/far/node-0" "$D/far/node-1" -o "$D/far2.igz" 2>"$D/far2.err"
eq "merge-cli: far offsets with -q: silent" "$(cat "$D/far2.err")" ""

# progress: on a terminal only
"$M" $IN -o "$D/p.igz" 2>"$D/p.err"
if grep -q $'\r' "$D/p.err"; then fail "merge-cli: progress drawn without a TTY"
else pass "merge-cli: no progress without a TTY"; fi
if command -v script >/dev/null 2>&1; then
	"$S" gen -o "$D/big" --nodes 2 --events 600000 >/dev/null 2>&1
	script -qec "$M $D/big/node-0 $D/big/node-1 -o $D/pt.igz" /dev/null >"$D/pt.out" 2>&1
	contains "merge-cli: progress on a TTY" "$(tr '\r' '\n' <"$D/pt.out")" "ingero-merge: merge"
	script -qec "$M -q $D/big/node-0 $D/big/node-1 -o $D/pq.igz" /dev/null >"$D/pq.out" 2>&1
	eq "merge-cli: -q: no progress on a TTY" "$(cat "$D/pq.out")" ""
else
	skip "merge-cli: progress on a TTY: 'script' (util-linux) not installed"
fi
