#!/usr/bin/env bash
# The merged total order: corrected time, then node index, then input order,
# then record order within an input (--order-window 0); with an order window,
# the window of the time first, then node index, then time.  One case per
# rule, on inputs whose clocks all map to the same unix time (merge-synth tie).
. "$TESTS/lib.sh"
M="$BIN/ingero-merge"
S="$BIN/tests/merge-synth"
D="$T_OUT"
"$S" tie "$D/tie" || { fail "order: tie generator failed"; exit 1; }
T="$D/tie"
$M "$T/a" "$T/b" "$T/p2" "$T/p1" "$T/m.igz" -o "$D/o.igz" -qq --order-window 0 || { fail "order: merge failed"; exit 1; }
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
$M "$T/a" "$T/b" "$T/p1" "$T/p2" "$T/m.igz" -o "$D/o2.igz" -qq --order-window 0
o=$("$S" dump "$D/o2.igz" | awk '{ printf "%s ", $3 }')
before "order: swapped pieces -> swapped tie order" 21 31
# the order window (default 100us): everything here lies in one window, so
# each node's records form one run, nodes in index order, each run by time
# (ties: input order, then file order; a merged input's nodes by index too)
$M "$T/a" "$T/b" "$T/p2" "$T/p1" "$T/m.igz" -o "$D/w.igz" -qq || fail "order: window: merge failed"
o=$("$S" dump "$D/w.igz" | awk '{ printf "%s ", $3 }')
eq "order: window: one run per node" "$o" "1 2 3 11 12 20 31 21 32 40 41 "
contains "order: window: checker accepts it" "$("$S" check "$D/w.igz")" "order ok"
contains "order: window: not in strict time order" "$("$S" check "$D/w.igz" 0)" "order bad"
# windows of 2us: [0, 2us) before [2us, 4us) before [4us, 6us), whatever the node
$M "$T/a" "$T/b" "$T/p2" "$T/p1" "$T/m.igz" -o "$D/w2.igz" -qq --order-window 2us
o=$("$S" dump "$D/w2.igz" | awk '{ printf "%s ", $3 }')
eq "order: window 2us: time windows first" "$o" "1 2 11 20 31 21 32 3 12 40 41 "
contains "order: window 2us: checker" "$("$S" check "$D/w2.igz" 2000)" "order ok"
out=$($M "$T/a" -o "$D/w3.igz" --order-window 1x 2>&1); rc=$?
eq "order: bad --order-window: usage error" "$rc" 2
contains "order: bad --order-window: says why" "$out" "--order-window 1x: bad duration"
# pieces of one node with overlapping time are not pieces
cp -r "$T/p1" "$D/p1copy"
out=$($M "$T/p1" "$D/p1copy" -o "$D/o3.igz" 2>&1); rc=$?
eq "order: overlapping pieces of one node refused" "$rc" 1
contains "order: overlapping pieces: reason" "$out" "same boot id, overlapping time"
