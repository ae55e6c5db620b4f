#!/usr/bin/env bash
# The merged total order: corrected time, then node index, then input order,
# then record order within an input.  One case per rule, on inputs whose
# clocks all map to the same unix time (merge-synth tie).
. "$TESTS/lib.sh"
M="$BIN/ingero-merge"
S="$BIN/tests/merge-synth"
D="$T_OUT"
"$S" tie "$D/tie" || { fail "order: tie generator failed"; exit 1; }
T="$D/tie"
$M "$T/a" "$T/b" "$T/p2" "$T/p1" "$T/m.igz" -o "$D/o.igz" -qq || { fail "order: merge failed"; exit 1; }
# lines: node-index  time-since-T0  tag
o=$("$S" dump "$D/o.igz" | awk '{ printf "%s ", $3 }')
before() { # NAME A B : tag A is emitted before tag B
	local ia ib
	ia=$(printf '%s\n' $o | grep -nx "$2" | cut -d: -f1)
	ib=$(printf '%s\n' $o | grep -nx "$3" | cut -d: -f1)
	if [ -n "$ia" ] && [ -n "$ib" ] && [ "$ia" -lt "$ib" ]; then pass "$1"
	else fail "$1: want $2 before $3 in: $o"; fi
}
before "order: time first (node 1 at +2000 before node 0 at +3000)" 12 3
before "order: time first (node 0 at +1000 before node 1 at +2000)" 2 12
before "order: equal time -> lower node index first" 2 11
before "order: equal time, one merged input -> node index beats file order" 40 41
before "order: equal time, same node -> earlier input first" 31 21
before "order: equal time, same input -> file order" 1 2
eq "order: whole sequence" "$o" "20 31 21 32 1 2 11 12 3 40 41 "
# the input-order rule really follows the command line
$M "$T/a" "$T/b" "$T/p1" "$T/p2" "$T/m.igz" -o "$D/o2.igz" -qq
o=$("$S" dump "$D/o2.igz" | awk '{ printf "%s ", $3 }')
before "order: swapped pieces -> swapped tie order" 21 31
# pieces of one node with overlapping time are not pieces
cp -r "$T/p1" "$D/p1copy"
out=$($M "$T/p1" "$D/p1copy" -o "$D/o3.igz" 2>&1); rc=$?
eq "order: overlapping pieces of one node refused" "$rc" 1
contains "order: overlapping pieces: reason" "$out" "same boot id, overlapping time"
