#!/usr/bin/env bash
# ingero-perfetto and the CLI contract (docs/cli.md): the safe -o (never
# replaces a device, FIFO, symlink or directory; an existing file only with
# --force; the old file survives a failed run; no temporary left behind),
# checked stdout, --version, option errors, progress only on a terminal.
. "$TESTS/lib.sh"
P=$BIN/ingero-perfetto
cd "$T_OUT" || exit 1
if [ ! -x "$P" ] || [ ! -x "$BIN/tests/export-mkrec" ]; then
	fail "perfetto-cli: tools not built"; exit 0
fi
"$BIN/tests/export-mkrec" rec.igz >/dev/null || { fail "perfetto-cli: export-mkrec failed"; exit 0; }
one_line() { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ]; }
# leftovers NAME: no temporary beside the targets
leftovers() { local l; l=$(ls -A | grep -E '^\..*\.' | head -3); eq "$1: no temporary left behind" "$l" ""; }

# --- an existing file: refused without --force, unchanged; replaced with it
"$P" rec.igz -o out.pftrace 2>/dev/null
echo "precious" >out.pftrace; sum=$(md5sum <out.pftrace)
out=$("$P" rec.igz -o out.pftrace 2>&1); rc=$?
eq "perfetto-cli: existing output without --force -> exit 1" "$rc" 1
contains "perfetto-cli: the message says to use --force" "$out" "--force"
one_line "$out" && pass "perfetto-cli: one-line message" || fail "perfetto-cli: message: $out"
eq "perfetto-cli: the existing file is unchanged" "$(md5sum <out.pftrace)" "$sum"
"$P" rec.igz -o out.pftrace --force 2>/dev/null; rc=$?
eq "perfetto-cli: --force replaces it" "$rc $(head -c 8 out.pftrace | grep -c precious)" "0 0"
"$P" rec.igz -o ref.pftrace 2>/dev/null
ok "perfetto-cli: the replaced file is the full trace" cmp -s out.pftrace ref.pftrace
leftovers "perfetto-cli: after --force"

# --- never replaced, even with --force: device, FIFO, symlink, directory
if [ -c /dev/full ]; then
	out=$("$P" rec.igz -o /dev/full --force 2>&1); rc=$?
	eq "perfetto-cli: -o /dev/full -> exit 1" "$rc" 1
	[ -c /dev/full ] && pass "perfetto-cli: /dev/full is still a device" || fail "perfetto-cli: /dev/full replaced"
	one_line "$out" && pass "perfetto-cli: /dev/full: one-line message" || fail "perfetto-cli: /dev/full: $out"
fi
mkfifo fifo
out=$(timeout 10 "$P" rec.igz -o fifo --force 2>&1); rc=$?
eq "perfetto-cli: -o FIFO -> exit 1 (no hang)" "$rc" 1
[ -p fifo ] && pass "perfetto-cli: the FIFO is still a FIFO" || fail "perfetto-cli: FIFO replaced"
echo target >target.txt; ln -s target.txt link.pftrace
out=$("$P" rec.igz -o link.pftrace --force 2>&1); rc=$?
eq "perfetto-cli: -o symlink -> exit 1" "$rc" 1
[ -L link.pftrace ] && [ "$(cat target.txt)" = target ] && pass "perfetto-cli: the link and its target are unchanged" ||
	fail "perfetto-cli: symlink or its target changed"
mkdir adir
out=$("$P" rec.igz -o adir --force 2>&1); rc=$?
eq "perfetto-cli: -o DIR -> exit 1" "$rc" 1
[ -d adir ] && pass "perfetto-cli: the directory is still there" || fail "perfetto-cli: directory replaced"
leftovers "perfetto-cli: after refusals"

# --- a failed run leaves the old file and no temporary
echo "old" >keep.pftrace
head -c 3000 /dev/urandom >junk.bin
"$P" junk.bin -o keep.pftrace --force >/dev/null 2>&1; rc=$?
eq "perfetto-cli: bad input with --force -> exit 1, old file kept" "$rc $(cat keep.pftrace)" "1 old"
leftovers "perfetto-cli: after a failed run"

# --- stdout checked
out=$("$P" rec.igz -o - 2>&1 >/dev/full); rc=$?
eq "perfetto-cli: -o - > /dev/full -> exit 1" "$rc" 1
contains "perfetto-cli: the stdout error is named" "$out" "stdout"
"$P" rec.igz -o - --format json 2>/dev/null | python3 -c "import json,sys; json.load(sys.stdin)" &&
	pass "perfetto-cli: -o - JSON parses" || fail "perfetto-cli: -o - JSON does not parse"

# --- --version, --help, option errors
out=$("$P" --version 2>&1); rc=$?
eq "perfetto-cli: --version exits 0" "$rc" 0
contains "perfetto-cli: --version names the tool" "$out" "ingero-perfetto "
"$P" --version >/dev/full 2>/dev/null; eq "perfetto-cli: --version > /dev/full -> exit 1" "$?" 1
out=$("$P" --help 2>&1); contains "perfetto-cli: --help has examples" "$out" "Examples:"
out=$("$P" rec.igz -o x.pftrace --no-comprss 2>&1); rc=$?
eq "perfetto-cli: unknown option -> exit 2" "$rc" 2
contains "perfetto-cli: did-you-mean" "$out" "did you mean '--no-compress'"
out=$("$P" rec.igz -o x.pftrace --format jsn 2>&1); rc=$?
eq "perfetto-cli: bad --format -> 2 with a suggestion" "$rc" 2
contains "perfetto-cli: --format suggestion" "$out" "did you mean 'json'"
"$P" rec.igz -o x.pftrace --since 2s --until 1s >/dev/null 2>&1; eq "perfetto-cli: --until before --since -> 2" "$?" 2
"$P" rec.igz -o x.pftrace --since +0.0015 --until 2m30s --stats 2>/dev/null; eq "perfetto-cli: the duration grammar (+0.0015, 2m30s)" "$?" 0
[ ! -e x.pftrace ] || rm -f x.pftrace

# --- one --since/--until grammar (docs/cli.md): from the start, from the end,
# unix ns, UTC dates; a window outside the recording is an error with its span
out=$("$P" rec.igz -o w.pftrace --until 1000000000000000000 2>&1); rc=$?
eq "perfetto-cli: window before the recording -> 1" "$rc" 1
contains "perfetto-cli: ... says it selects nothing" "$out" "select nothing: the recording spans"
one_line "$out" && pass "perfetto-cli: ... in one line" || fail "perfetto-cli: window message: $out"
[ ! -e w.pftrace ] && pass "perfetto-cli: ... and writes no file" || fail "perfetto-cli: empty window left w.pftrace"
t0=$(printf '%s\n' "$out" | sed -n 's/.*(\([0-9]*\) \.\. \([0-9]*\)).*/\1/p')
if [ -n "$t0" ]; then
	# (the recording spans ~33 ms: [10 ms, 20 ms] into its second)
	s=$((t0 / 1000000000))
	"$P" rec.igz -o ns.pftrace --since "${s}010000000" --until "${s}020000000" --stats 2>ns.txt
	"$P" rec.igz -o date.pftrace --since "$(date -u -d "@$s" '+%Y-%m-%d %H:%M:%S').01" \
		--until "$(date -u -d "@$s" '+%Y-%m-%dT%H:%M:%S').020Z" 2>/dev/null
	ok "perfetto-cli: a UTC date window is the unix-ns window" cmp ns.pftrace date.pftrace
	n=$(sed -n 's/.*events_out=\([0-9]*\).*/\1/p' ns.txt)
	[ "${n:-0}" -gt 0 ] 2>/dev/null && pass "perfetto-cli: the absolute window keeps events ($n)" ||
		fail "perfetto-cli: absolute window kept '${n}' events"
else
	fail "perfetto-cli: no span in '$out'"
fi
"$P" rec.igz -o all.pftrace --stats 2>all.txt
"$P" rec.igz -o end.pftrace --since -10ms --stats 2>end.txt
a=$(sed -n 's/.*events_out=\([0-9]*\).*/\1/p' all.txt); e=$(sed -n 's/.*events_out=\([0-9]*\).*/\1/p' end.txt)
[ "${e:-0}" -gt 0 ] 2>/dev/null && [ "$e" -lt "${a:-0}" ] && pass "perfetto-cli: --since -10ms keeps the last 10 ms ($e of $a)" ||
	fail "perfetto-cli: --since -10ms kept '$e' of '$a'"
if "$BIN/ingero-analyze" -q rec.igz -o w.db >/dev/null 2>&1; then
	"$P" w.db -o enddb.pftrace --since -10ms --stats 2>enddb.txt
	eq "perfetto-cli: --since -10ms from a database keeps the same events" \
		"$(sed -n 's/.*events_out=\([0-9]*\).*/\1/p' enddb.txt)" "$e"
fi
out=$("$P" - -o x.pftrace --since -1 <rec.igz 2>&1); rc=$?
eq "perfetto-cli: --since -1 from stdin -> 1" "$rc" 1
contains "perfetto-cli: ... says why" "$out" "not stdin"
"$P" rec.igz -o x.pftrace --since -1s --until -3s >/dev/null 2>&1; eq "perfetto-cli: reversed from-the-end window -> 2" "$?" 2
rm -f x.pftrace

# --- progress: nothing on stderr when it is not a terminal; a live line on one
"$BIN/tests/export-mkrec" big.igz --launch 300000 >/dev/null
err=$("$P" big.igz -o np.pftrace 2>&1 >/dev/null)
eq "perfetto-cli: no progress when stderr is not a terminal" "$err" ""
if command -v script >/dev/null; then
	t0=$(date +%s%N)
	script -qfc "'$P' big.igz -o tty.pftrace" tty.log >/dev/null 2>&1
	ms=$((($(date +%s%N) - t0) / 1000000))
	if grep -q 'ingero-perfetto: export' tty.log; then pass "perfetto-cli: progress line on a terminal (${ms} ms)"
	elif [ "$ms" -lt 800 ]; then skip "perfetto-cli: progress: the export took only ${ms} ms (first redraw after 250 ms)"
	else fail "perfetto-cli: no progress line on a terminal in ${ms} ms"; fi
	script -qfc "'$P' big.igz -o tty2.pftrace -q" tty2.log >/dev/null 2>&1
	grep -q 'ingero-perfetto: export' tty2.log && fail "perfetto-cli: -q still shows progress" ||
		pass "perfetto-cli: -q silences the progress line"
else
	skip "perfetto-cli: progress on a terminal: script(1) not installed"
fi
