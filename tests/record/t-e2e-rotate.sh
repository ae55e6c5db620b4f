#!/usr/bin/env bash
# End-to-end: segment rotation and the disk budget.  A fast wl-train run
# recorded with --segment-size 64k --max-disk 256k: several segments are
# written, the oldest whole ones are deleted, what stays fits the budget
# (plus the segment being written), and the reader reads what is left.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-rotate || exit 0

export FAKECUDA_LAT="*=0"
wl_start wl-train "$T_OUT/wl.out" --seconds 3 --threads 2 --bytes 4096 ||
	{ fail "e2e-rotate: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io --stack=false \
	--segment-size 64k --max-disk 256k
rec_attached "$T_OUT/rec.err" || { fail "e2e-rotate: recorder did not attach"; exit 0; }
WLP=$WL_PID
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
eq "e2e-rotate: recorder clean exit" "$?" 0
segs=$(cd "$T_OUT/rec" && ls seg-*.igz 2>/dev/null | sort)
n=$(printf '%s\n' "$segs" | grep -c .)
firstn=$(printf '%s\n' "$segs" | head -1 | tr -dc 0-9 | sed 's/^0*//')
lastn=$(printf '%s\n' "$segs" | tail -1 | tr -dc 0-9 | sed 's/^0*//')
bytes=$(cat "$T_OUT/rec"/seg-*.igz | wc -c)
echo "segments kept: $n ($firstn..$lastn), $bytes bytes"
if [ "${lastn:-0}" -ge 4 ]; then pass "e2e-rotate: rotated (last segment $lastn)"; else
	fail "e2e-rotate: only ${lastn:-0} segments written"; fi
if [ "${firstn:-0}" -gt 1 ]; then pass "e2e-rotate: oldest segments deleted"; else
	fail "e2e-rotate: first kept segment is ${firstn:-none}"; fi
# budget 256 KiB; the segment being written may overshoot by up to a frame
if [ "$bytes" -le $((256 * 1024 + 256 * 1024)) ]; then pass "e2e-rotate: disk budget kept"; else
	fail "e2e-rotate: $bytes bytes kept for a 256 KiB budget"; fi
"$DUMP" --summary "$T_OUT/rec" >"$T_OUT/sum.txt" 2>"$T_OUT/sum.err"
eq "e2e-rotate: reader reads the rotated recording" "$?" 0
# every kept segment is readable alone: it starts with a header, and a
# segment holding the workload's events also holds its PROCESS record
bad=
for f in "$T_OUT/rec"/seg-*.igz; do
	"$DUMP" --ndjson "$f" >"$T_OUT/one.json" 2>/dev/null || bad="$bad $(basename "$f"):unreadable"
	head -1 "$T_OUT/one.json" | grep -q '"kind":"header"' || bad="$bad $(basename "$f"):no-header"
	if grep -q "\"kind\":\"event\".*\"pid\":$WLP," "$T_OUT/one.json" &&
	   ! grep -q "\"kind\":\"process\".*\"pid\":$WLP," "$T_OUT/one.json"; then
		bad="$bad $(basename "$f"):events-without-process"
	fi
done
eq "e2e-rotate: each segment readable alone with its metadata" "${bad:-none}" none
