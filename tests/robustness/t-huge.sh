#!/usr/bin/env bash
# Huge values: recordings whose events carry timestamps / durations near
# UINT64_MAX, pid 0xFFFFFFFF, negative deltas wrapping below 0, a call of
# 10^18 ns and two events 10^18 ns apart (tests/robustness/mkinputs.py).
# ingero-dump / -analyze / -perfetto / -merge must not crash, must not trip
# UBSan, and must stay within memory (a 200-byte input has no business
# needing GBs: the run is capped at 4 GB of address space, or at 2 GB RSS
# under ASan) and time.  longcall/farapart are plausible recordings and must
# be analysed (exit 0); huge/huge0 may be refused with a clear message.
. "$TESTS/lib.sh"
. "$TESTS/robustness/rlib.sh"
cd "$T_OUT" || exit 1
for t in dump merge analyze perfetto record; do
	[ -x "$BIN/ingero-$t" ] || { fail "huge: $BIN/ingero-$t not built"; exit 0; }
done
"$BIN/ingero-record" demo control -o good >/dev/null 2>&1 || { fail "huge: demo control failed"; exit 0; }
python3 "$R_DIR/mkinputs.py" good/seg-000001.igz in >/dev/null || { fail "huge: mkinputs.py failed"; exit 0; }
if ldd "$BIN/ingero-analyze" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=2000"
	capped() { "$@"; }
else
	capped() { (ulimit -v 4000000; "$@"); }
fi
R_TIMEOUT=15
for f in huge.igz huge0.igz longcall.igz farapart.igz; do
	for t in dump analyze analyze-json perfetto perfetto-json merge; do
		ob=$T_OUT/$t-$f
		case $t in
		dump) capped run_tool "$ob" "$BIN/ingero-dump" "in/$f" ;;
		analyze) capped run_tool "$ob" "$BIN/ingero-analyze" "in/$f" -o "$ob.db" ;;
		analyze-json) capped run_tool "$ob" "$BIN/ingero-analyze" --json "in/$f" ;;
		perfetto) capped run_tool "$ob" "$BIN/ingero-perfetto" "in/$f" -o "$ob.pftrace" ;;
		perfetto-json) capped run_tool "$ob" "$BIN/ingero-perfetto" --format json "in/$f" -o "$ob.json" ;;
		merge) capped run_tool "$ob" "$BIN/ingero-merge" -q -q "in/$f" -o "$ob.igz" ;;
		esac
		RC=$(cat "$ob.rc" 2>/dev/null || echo 255)
		why=$(sane_why "$ob" "$f" 3)
		if [ -z "$why" ] && [ "$RC" -ne 0 ]; then
			case $f in
			longcall.igz | farapart.igz) why="exit $RC on a well-formed 3-event recording: $(head -2 "$ob.err" | tr '\n' '|')" ;;
			*) grep -q . "$ob.err" || why="exit $RC with no message" ;;
			esac
		fi
		if [ -z "$why" ] && [ "$RC" -eq 0 ]; then
			case $t in
			perfetto-json) python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$ob.json" 2>/dev/null || why="JSON output does not parse" ;;
			analyze-json) python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$ob.out" 2>/dev/null || why="--json output does not parse" ;;
			esac
		fi
		if [ -z "$why" ]; then pass "$t: huge values $f"; else fail "$t: huge values $f: $why"; fi
	done
done
