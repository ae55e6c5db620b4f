#!/usr/bin/env bash
# Cross-tool robustness: every offline tool that reads recordings
# (ingero-dump, ingero-merge, ingero-analyze, ingero-perfetto) against wrong
# files, damaged segments, hostile msgpack inside valid zstd frames and
# hostile tarballs.  Expectations (the project's standard): exit 0 or 1
# (never a signal, never 2), no sanitizer report, a short stderr that names
# the file; wrong files are refused or warned about, damaged segments still
# give the readable part, and tarball members are never extracted.
. "$TESTS/lib.sh"
. "$TESTS/robustness/rlib.sh"
cd "$T_OUT" || exit 1
for t in dump merge analyze perfetto record; do
	[ -x "$BIN/ingero-$t" ] || { fail "robustness: $BIN/ingero-$t not built"; exit 0; }
done
"$BIN/ingero-record" demo incident -o good >/dev/null 2>&1 || { fail "robustness: demo incident failed"; exit 0; }
python3 "$R_DIR/mkinputs.py" good/seg-000001.igz in >frames.txt || { fail "robustness: mkinputs.py failed"; exit 0; }
IN=$T_OUT/in
# tools run from a nested working directory, so that an extracted '../x.igz'
# would land in $T_OUT/w
mkdir -p w/sub o && cd w/sub || exit 1
abs_before=0; [ -e /abs.igz ] && abs_before=1

# tool_run TOOL INPUT OUTBASE
tool_run() {
	case $1 in
	dump) run_tool "$3" "$BIN/ingero-dump" --summary "$2" ;;
	dumpjson) run_tool "$3" "$BIN/ingero-dump" --ndjson "$2" ;;
	# merge: -q would silence its warnings too (docs/cli.md), so it runs
	# without, and its correction table and summary line leave stderr
	merge) rm -rf "$3.igz"; run_tool "$3" "$BIN/ingero-merge" "$2" -o "$3.igz"
		sed -i '/^ingero-merge: clock correction/,/^ingero-merge: merged /d' "$3.err" ;;
	analyze) rm -f "$3.db"; run_tool "$3" "$BIN/ingero-analyze" "$2" -o "$3.db" ;;
	perfetto) rm -f "$3.pftrace"; run_tool "$3" "$BIN/ingero-perfetto" "$2" -o "$3.pftrace" ;;
	metrics) rm -f "$3.om"; run_tool "$3" "$BIN/ingero-metrics" "$2" -o "$3.om" ;;
	esac
}
# events in an 'ingero-dump --summary' output file
sum_events() { sed -n 's/.*  events: \([0-9]*\).*/\1/p' "$1" | head -1; }

TOOLS="dump dumpjson merge analyze perfetto metrics"

# --- wrong files: refused (exit 1) or at least warned about, naming the file
for f in empty.igz random.igz text.igz data.json notingero.db emptydir nonexist.igz \
	junk.igz huge-arr.igz huge-str.igz huge-map.igz onlynonseg.tar trunc-1.igz trunc-hdr.igz; do
	for t in $TOOLS; do
		ob=$T_OUT/o/$t-$f
		tool_run $t "$IN/$f" "$ob"
		why=$(sane_why "$ob" "$f" 3)
		if [ -z "$why" ] && [ "$RC" -eq 0 ] && [ ! -s "$ob.err" ]; then
			why="exit 0 and nothing on stderr: a wrong/empty input is accepted silently"
		fi
		if [ -z "$why" ]; then pass "$t: wrong input $f"; else fail "$t: wrong input $f: $why"; fi
	done
done

# --- damaged segments and hostile msgpack after a good frame: the readable
# part still comes out, with a warning naming the file and a byte offset
for f in trunc-mid.igz trunc-last.igz flip.igz hdr-huge-arr.igz hdr-huge-str.igz hdr-huge-bin.igz; do
	for t in $TOOLS; do
		ob=$T_OUT/o/$t-$f
		tool_run $t "$IN/$f" "$ob"
		why=$(sane_why "$ob" "$f" 3)
		if [ -z "$why" ]; then
			[ "$RC" -eq 0 ] || why="exit $RC, want 0 (readable part)"
			grep -q 'byte' "$ob.err" || why="${why:+$why; }no warning with 'byte' offset on stderr"
			case $t in
			dump) n=$(sum_events "$ob.out"); [ "${n:-0}" -gt 0 ] || why="${why:+$why; }summary shows events=${n:-none}" ;;
			dumpjson) [ -s "$ob.out" ] || why="${why:+$why; }no NDJSON output" ;;
			merge) n=$("$BIN/ingero-dump" --summary "$ob.igz" 2>/dev/null | sed -n 's/.*  events: \([0-9]*\).*/\1/p')
				[ "${n:-0}" -gt 0 ] || why="${why:+$why; }merged output has events=${n:-none}" ;;
			analyze) [ -s "$ob.out" ] && [ -s "$ob.db" ] || why="${why:+$why; }no report or no database" ;;
			perfetto) [ -s "$ob.pftrace" ] || why="${why:+$why; }empty trace" ;;
			metrics) grep -q '^gpu_cuda_operation_count{' "$ob.om" 2>/dev/null || why="${why:+$why; }no series" ;;
			esac
		fi
		if [ -z "$why" ]; then pass "$t: damaged $f gives the readable part"; else fail "$t: damaged $f: $why"; fi
	done
done

# --- tarballs: hostile member names and a non-segment member
good_events=$("$BIN/ingero-dump" --summary "$T_OUT/good" 2>/dev/null | sed -n 's/.*  events: \([0-9]*\).*/\1/p')
silent=""
for f in hostile.tar hostile.tar.gz nonseg.tar; do
	for t in $TOOLS; do
		ob=$T_OUT/o/$t-$f
		tool_run $t "$IN/$f" "$ob"
		why=$(sane_why "$ob" "$f" 3)
		[ -z "$why" ] && [ "$RC" -ne 0 ] && [ "$f" = nonseg.tar ] && why="exit $RC on a bundle with a good segment"
		if [ -z "$why" ]; then pass "$t: tarball $f"; else fail "$t: tarball $f: $why"; fi
		if [ "$f" = hostile.tar ] && [ "$RC" -eq 0 ] && ! grep -qE '\.\./x\.igz|/abs\.igz|unsafe|hostile|member name' "$ob.err"; then
			silent="$silent $t"
		fi
	done
done
if [ -e "$T_OUT/w/x.igz" ] || [ -e "$T_OUT/x.igz" ] || { [ $abs_before -eq 0 ] && [ -e /abs.igz ]; }; then
	fail "tarball: hostile members extracted to disk"
else
	pass "tarball: hostile members (../x.igz, /abs.igz) never written to disk"
fi
n=$(sum_events "$T_OUT/o/dump-nonseg.tar.out")
eq "dump: tarball with README.txt + segment reads the segment's events" "${n:-none}" "${good_events:-?}"
if [ -z "$silent" ]; then pass "tarball: member names '../x.igz' and '/abs.igz' are reported"; else
	fail "tarball: members '../x.igz' and '/abs.igz' read as segments with no warning or error (standard: hostile tarball paths get a clear error) by:$silent"; fi

# --- stdin: the same checks on a few inputs through '-'
for f in random.igz trunc-mid.igz hostile.tar hdr-huge-str.igz; do
	for t in dump perfetto analyze; do
		ob=$T_OUT/o/stdin-$t-$f
		case $t in
		dump) timeout -k 5 "$R_TIMEOUT" "$BIN/ingero-dump" --summary - <"$IN/$f" >"$ob.out" 2>"$ob.err"; RC=$? ;;
		perfetto) timeout -k 5 "$R_TIMEOUT" "$BIN/ingero-perfetto" - -o "$ob.pftrace" <"$IN/$f" >"$ob.out" 2>"$ob.err"; RC=$? ;;
		analyze) timeout -k 5 "$R_TIMEOUT" "$BIN/ingero-analyze" - -o "$ob.db" <"$IN/$f" >"$ob.out" 2>"$ob.err"; RC=$? ;;
		esac
		why=$(sane_why "$ob" "" 3)
		if [ -z "$why" ]; then pass "$t: stdin $f"; else fail "$t: stdin $f: $why"; fi
	done
done

# --- a 6.7 KB damaged tar bundle found by the format fuzzer (two members,
# seg-000002.igz before seg-000001.igz, frames cut and shuffled): every tool
# must finish (or fail) quickly, not scan gigabytes of data that is not there
R_TIMEOUT=4
f=fuzz-hang-resync.tar
for t in dump merge analyze perfetto; do
	ob=$T_OUT/o/fz-$t
	tool_run $t "$R_DIR/$f" "$ob"
	why=$(sane_why "$ob" "$f" 3)
	if [ -z "$why" ]; then pass "$t: fuzzer-found bundle $f"; else fail "$t: fuzzer-found bundle $f: $why"; fi
done
