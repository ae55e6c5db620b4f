#!/usr/bin/env bash
# ingero-merge on gen's `ingero-record demo multi-node` recordings, whose true
# clock errors are in truth.json (+3.2 ms, -47 ms, +850 us; node-1 20 ppm).
. "$TESTS/lib.sh"
M="$BIN/ingero-merge"
R="$BIN/ingero-record"
S="$BIN/tests/merge-synth"
D="$T_OUT"
if [ ! -x "$R" ]; then skip "merge-demo: $R not built"; exit 0; fi
if ! timeout 120 "$R" demo multi-node --nodes 3 -o "$D/g" --offsets +3.2ms,-47ms,+850us \
	--drift 0,20ppm,0 -q >"$D/gen.log" 2>&1 || [ ! -f "$D/g/truth.json" ]; then
	skip "merge-demo: ingero-record demo multi-node failed: $(tail -1 "$D/gen.log")"; exit 0
fi
near() {
	if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass "$1"; else fail "$1: got $2, want $3 +- $4"; fi
}
field() {
	awk -v n="$2" -v k="$3" '$1 == "node" && $2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
$M "$D"/g/node-0 "$D"/g/node-1 "$D"/g/node-2 -o "$D/m.igz" --truth "$D/g/truth.json" 2>"$D/m.err"
eq "merge-demo: exit status" "$?" 0
"$S" check "$D/m.igz" >"$D/m.chk"
# correction = -(error_n - error_0): node-1 +50.2 ms, -20 ppm; node-2 +2.35 ms
near "merge-demo: node-1 offset within 50us" "$(field "$D/m.chk" 1 offset_ns)" 50200000 50000
near "merge-demo: node-2 offset within 50us" "$(field "$D/m.chk" 2 offset_ns)" 2350000 50000
near "merge-demo: node-1 drift within 2ppm" "$(field "$D/m.chk" 1 drift_ppb)" -20000 2000
near "merge-demo: node-2 drift within 2ppm" "$(field "$D/m.chk" 2 drift_ppb)" 0 2000
eq "merge-demo: collectives used" "$(field "$D/m.chk" 1 method)" collectives
contains "merge-demo: ordered" "$(cat "$D/m.chk")" "order ok"
contains "merge-demo: pids defined per node before use" "$(cat "$D/m.chk")" "dangling 0"
contains "merge-demo: truth printed" "$(cat "$D/m.err")" "true offset"
for k in 0 1 2; do
	want=$("$S" check "$D/g/node-$k" | awk '$1 == "total" { print $2 }')
	got=$(awk -v k=$k '$1 == "events" && $2 == k { print $3 }' "$D/m.chk")
	eq "merge-demo: node-$k count" "$got" "$want"
done
# without collectives: anchors, and it says so
if timeout 120 "$R" demo multi-node --nodes 3 -o "$D/nc" --offsets +3.2ms,-47ms,+850us \
	--no-collectives -q >/dev/null 2>&1; then
	$M "$D"/nc/node-0 "$D"/nc/node-1 "$D"/nc/node-2 -o "$D/nc.igz" 2>"$D/nc.err"
	"$S" check "$D/nc.igz" >"$D/nc.chk"
	eq "merge-demo: no collectives -> anchors" "$(field "$D/nc.chk" 1 method)" anchors
	contains "merge-demo: no collectives -> says so" "$(cat "$D/nc.err")" "anchor-only alignment"
else
	skip "merge-demo: --no-collectives generation failed"
fi
