#!/usr/bin/env bash
# ingero-merge on hostile inputs (tests/merge/mkhostile.py): timestamps that
# int64 cannot hold, sums that would overflow (ts + dur, time + offset), and
# inputs that fail in pass 1.  Want: no sanitizer report (UBSan, LeakSanitizer
# in an ASan build), timestamps clamped with a warning that says so, and on
# failure exit 1 with one line on stderr naming the file.
. "$TESTS/lib.sh"
M="$BIN/ingero-merge"
DUMP="$BIN/ingero-dump"
D="$T_OUT"
[ -x "$M" ] && [ -x "$DUMP" ] || { fail "hostile: tools not built"; exit 0; }
command -v zstd >/dev/null || { skip "hostile: no zstd binary"; exit 0; }
python3 "$TESTS/merge/mkhostile.py" "$D/in" || { fail "hostile: mkhostile.py failed"; exit 0; }
IN=$D/in
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"

# no_san NAME ERRFILE
no_san() {
	if grep -qE 'Sanitizer|runtime error' "$2"; then
		fail "$1: $(grep -m1 -E 'Sanitizer|runtime error' "$2" | sed 's/^==[0-9]*==//')"
	else pass "$1"; fi
}
# largest ts= of the EVENT lines of a dump
max_ts() { "$DUMP" "$1" 2>/dev/null | sed -n 's/.* EVENT .* ts=\([0-9]*\) .*/\1/p' | sort -n | tail -1; }
events() { "$DUMP" "$1" 2>/dev/null | grep -c ' EVENT '; }

# --- times above INT64_MAX (year 2262): clamped and warned, never overflowed
timeout 60 "$M" "$IN/huge.igz" -o "$D/huge.igz" 2>"$D/huge.err"; rc=$?
eq "hostile: huge timestamps: exit 0" "$rc" 0
no_san "hostile: huge timestamps: no sanitizer report (runmax - t, ts + dur)" "$D/huge.err"
contains "hostile: huge timestamps: warned as not representable" "$(cat "$D/huge.err")" \
	"huge.igz: 5 timestamp(s) above 9223372036854775807 ns (year 2262) cannot be represented"
eq "hostile: huge timestamps: all 4 events kept" "$(events "$D/huge.igz")" 4
eq "hostile: huge timestamps: clamped to INT64_MAX" "$(max_ts "$D/huge.igz")" 9223372036854775807
timeout 60 "$M" -qq "$IN/huge.igz" -o "$D/huge2.igz" 2>"$D/huge2.err"
eq "hostile: huge timestamps: -qq silences the warning" "$(cat "$D/huge2.err")" ""
# with another node and a correction: offset + drift terms saturate
timeout 60 "$M" "$IN/small.igz" "$IN/huge.igz" -o "$D/two.igz" 2>"$D/two.err"; rc=$?
eq "hostile: huge next to a small node: exit 0" "$rc" 0
no_san "hostile: huge next to a small node: no sanitizer report" "$D/two.err"
eq "hostile: huge next to a small node: all events kept" "$(events "$D/two.igz")" 7

# --- representable times near the top: no clamping, still ordered
timeout 60 "$M" "$IN/top.igz" -o "$D/top.igz" 2>"$D/top.err"; rc=$?
eq "hostile: times near INT64_MAX: exit 0" "$rc" 0
no_san "hostile: times near INT64_MAX: no sanitizer report" "$D/top.err"
if grep -q 'cannot be represented' "$D/top.err"; then fail "hostile: times near INT64_MAX: clamped: $(head -1 "$D/top.err")"
else pass "hostile: times near INT64_MAX: nothing clamped"; fi
eq "hostile: times near INT64_MAX: reordered" \
	"$("$DUMP" "$D/top.igz" | sed -n 's/.* EVENT .* ts=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" \
	"9223372036845775908 9223372036846775808 "

# --- corrections that push times out of range: clamped with a warning
timeout 60 "$M" "$IN/small.igz" --offset small=-1s -o "$D/neg.igz" 2>"$D/neg.err"; rc=$?
eq "hostile: offset below time 0: exit 0" "$rc" 0
no_san "hostile: offset below time 0: no sanitizer report" "$D/neg.err"
contains "hostile: offset below time 0: warned" "$(cat "$D/neg.err")" \
	"small.igz: 3 corrected timestamp(s) fall outside 0..9223372036854775807 ns"
eq "hostile: offset below time 0: clamped to 0" "$(max_ts "$D/neg.igz")" 0
timeout 60 "$M" "$IN/top.igz" --offset top=+1s -o "$D/over.igz" 2>"$D/over.err"; rc=$?
eq "hostile: offset past INT64_MAX: exit 0" "$rc" 0
no_san "hostile: offset past INT64_MAX: no sanitizer report (w + a + b (w - x0))" "$D/over.err"
contains "hostile: offset past INT64_MAX: warned" "$(cat "$D/over.err")" \
	"top.igz: 2 corrected timestamp(s) fall outside"
eq "hostile: offset past INT64_MAX: clamped to INT64_MAX" "$(max_ts "$D/over.igz")" 9223372036854775807
eq "hostile: offset past INT64_MAX: both events kept" "$(events "$D/over.igz")" 2

# --- inputs that fail in pass 1: one line naming the file, exit 1, no leak
# (every reader closed, every buffer freed on the error path)
for f in empty.igz junk.igz trunc-1.igz trunc-hdr.igz onlynonseg.tar nonexist.igz; do
	rm -f "$D/f.igz"
	timeout 60 "$M" "$IN/$f" -o "$D/f.igz" 2>"$D/f.err"; rc=$?
	why=""
	[ "$rc" -eq 1 ] || why="exit $rc, want 1"
	grep -qE 'Sanitizer|runtime error|detected memory leaks' "$D/f.err" &&
		why="${why:+$why; }$(grep -m1 -E 'Sanitizer|runtime error|leaks' "$D/f.err" | sed 's/^==[0-9]*==//')"
	n=$(grep -vc 'warning:' "$D/f.err")
	[ "$n" -eq 1 ] || why="${why:+$why; }$n error lines on stderr, want 1"
	grep -v 'warning:' "$D/f.err" | grep -q "^ingero-merge: .*$f" || why="${why:+$why; }error does not name $f"
	if [ -z "$why" ]; then pass "hostile: failing input $f: one named error, exit 1, no leak"
	else fail "hostile: failing input $f: $why: $(head -2 "$D/f.err" | tr '\n' '|')"; fi
done
# the failing input among good ones (other pass-1 threads finish normally)
timeout 60 "$M" "$IN/small.igz" "$IN/junk.igz" "$IN/top.igz" -o "$D/f.igz" 2>"$D/f.err"; rc=$?
eq "hostile: failing input among good ones: exit 1" "$rc" 1
no_san "hostile: failing input among good ones: no sanitizer report" "$D/f.err"
contains "hostile: failing input among good ones: named" "$(cat "$D/f.err")" "junk.igz"
# a failure after pass 1 (the output cannot be created): readers closed too
timeout 60 "$M" "$IN/small.igz" -o "$D/no/such/dir/x.igz" 2>"$D/f.err"; rc=$?
eq "hostile: output cannot be created: exit 1" "$rc" 1
no_san "hostile: output cannot be created: no sanitizer report" "$D/f.err"
