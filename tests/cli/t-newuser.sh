#!/usr/bin/env bash
# The mistakes a new user makes, against every tool (docs/cli.md): each gets
# the documented exit code, a one-line message that names what is wrong, and
# leaves every pre-existing file as it was (checksums before and after).
. "$TESTS/lib.sh"
export LC_ALL=C TZ=UTC
cd "$T_OUT" || exit 1
TOOLS=""
for t in record merge analyze perfetto sql dump metrics report mcp; do
	[ -x "$BIN/ingero-$t" ] && TOOLS="$TOOLS $t"
done

# --- inputs: a recording, a merged multi-node job, an analysis DB, precious files
"$BIN/ingero-record" demo incident -o rec -q --seed 3 || { fail "newuser: demo failed"; exit 0; }
"$BIN/ingero-record" demo multi-node --nodes 2 -o multi -q --seed 3
"$BIN/ingero-merge" -q -q multi/node-* -o job.igz
"$BIN/ingero-analyze" -q rec -o rec.db >/dev/null
mkdir -p keep && echo "precious" > keep/out.txt && ln -s out.txt keep/link && mkfifo keep/fifo
echo "not a recording at all" > keep/notes.txt
: > keep/empty.igz
sums() { find rec multi job.igz rec.db keep -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; stat -c '%F %n' /dev/full keep/link keep/fifo; }
sums > before.sum

# mistake NAME RC NEEDLE CMD...: exit code RC, stderr one message line (plus
# an optional "Try ... --help" line) containing NEEDLE, no crash, no file changed.
mistake() {
	local name=$1 want=$2 needle=$3; shift 3
	timeout "${TMO:-60}" "$@" >stdout.txt 2>stderr.txt </dev/null; local rc=$?
	eq "$name: exit $want" "$rc" "$want"
	local lines; lines=$(grep -v "^Try '" stderr.txt | grep -vc "^ingero-[a-z]*: warning: ")
	eq "$name: one message line" "$lines" 1
	contains "$name: message" "$(grep -v "^Try '" stderr.txt | grep -v "^ingero-[a-z]*: warning: " | head -1)" "$needle"
	sums > after.sum
	if cmp -s before.sum after.sum; then pass "$name: no file changed"
	else fail "$name: files changed: $(diff before.sum after.sum | grep '^>' | head -2 | tr '\n' ' ')"; cp after.sum before.sum; fi
}

# input each tool takes, and where its output goes (or "" when it writes stdout only)
input_of() { case $1 in record) echo "" ;; merge) echo "rec" ;; sql) echo "rec.db" ;; *) echo "rec" ;; esac; }

for t in $TOOLS; do
	T="$BIN/ingero-$t"
	# unknown option: exit 2, did you mean
	mistake "$t: misspelt --verison" 2 "unknown option '--verison' (did you mean '--version'?)" "$T" --verison
	# --version
	out=$("$T" --version 2>&1); rc=$?
	eq "$t: --version exits 0" "$rc" 0
	contains "$t: --version names the tool" "$out" "ingero-$t "
	# --help goes to stdout, exit 0
	"$T" --help >stdout.txt 2>stderr.txt; rc=$?
	eq "$t: --help exits 0" "$rc" 0
	[ -s stdout.txt ] && [ ! -s stderr.txt ] && pass "$t: --help on stdout" || fail "$t: --help not on stdout"
	in=$(input_of "$t")
	[ -n "$in" ] || continue
	case $t in mcp) continue ;; esac
	# a missing input, a text file, an empty segment: exit 1 naming the file
	case $t in dump | sql) o=() ;; *) o=(-o keep/new.out) ;; esac
	mistake "$t: missing input" 1 "nope.igz" "$T" nope.igz "${o[@]}"
	mistake "$t: not a recording" 1 "keep/notes.txt" "$T" keep/notes.txt "${o[@]}"
	mistake "$t: 0-byte segment" 1 "keep/empty.igz" "$T" keep/empty.igz "${o[@]}"
	contains "$t: 0-byte segment: the message says empty" "$(grep -v warning: stderr.txt | head -1)" "empty"
	rm -f keep/new.out
	case $t in dump | sql) continue ;; esac
	# -o onto an existing file (no --force), a device, a symlink, a FIFO, a directory
	mistake "$t: -o existing file" 1 "keep/out.txt" "$T" "$in" -o keep/out.txt
	mistake "$t: -o /dev/full" 1 "/dev/full" "$T" "$in" -o /dev/full --force
	mistake "$t: -o symlink" 1 "keep/link" "$T" "$in" -o keep/link --force
	mistake "$t: -o FIFO" 1 "keep/fifo" "$T" "$in" -o keep/fifo --force
	[ "$t" = merge ] || mistake "$t: -o directory" 1 "keep" "$T" "$in" -o keep --force
done

# stdout that cannot be written: exit 1, say so
for t in analyze dump sql; do
	case " $TOOLS " in *" $t "*) ;; *) continue ;; esac
	case $t in sql) set -- rec.db "SELECT 1" ;; *) set -- rec ;; esac
	"$BIN/ingero-$t" "$@" >/dev/full 2>stderr.txt; rc=$?
	eq "$t: > /dev/full exits 1" "$rc" 1
	contains "$t: > /dev/full says so" "$(cat stderr.txt)" "stdout"
done

# filters that match nothing are errors that say what exists
A="$BIN/ingero-analyze"
mistake "analyze: --node typo" 1 "known nodes" "$A" job.igz --node nod-1
mistake "analyze: --pid that does not exist" 1 "99999" "$A" rec --pid 99999
mistake "analyze: --op typo" 1 "cudaStreamSink" "$A" rec --op cudaStreamSink
mistake "analyze: --until before --since" 1 "--until" "$A" rec --since 5s --until 2s
mistake "analyze: window outside the recording" 1 "span" "$A" rec --since 10h
mistake "perfetto: window outside the recording" 1 "span" "$BIN/ingero-perfetto" rec -o keep/w.pftrace --since 10h
mistake "perfetto: a window from the end, from stdin" 1 "stdin" sh -c "exec '$BIN/ingero-perfetto' - -o keep/w.pftrace --until -1s < rec/\$(ls rec | head -1)"
# several unmerged node recordings: refuse with the command to run
mistake "analyze: unmerged node recordings" 1 "ingero-merge" "$A" multi

# the recorder
R="$BIN/ingero-record"
# a bare ingero-record prints its usage (several lines, as perf and bpftrace do)
timeout 10 "$R" >stdout.txt 2>stderr.txt </dev/null; rc=$?
eq "record: no arguments: exit 2" "$rc" 2
contains "record: no arguments prints usage" "$(head -1 stderr.txt)" "usage: ingero-record"
mistake "record: demo onto a real recording" 1 "rec" "$R" demo cold-start -o rec -q
mistake "record: unknown demo scenario" 2 "incidnet" "$R" demo incidnet -o keep/x -q

# ingero-sql refuses writes, and says how to make a DB from a recording
S="$BIN/ingero-sql"
mistake "sql: DELETE refused" 1 "read-only" "$S" rec.db "DELETE FROM events"
mistake "sql: ATTACH refused" 1 "ATTACH" "$S" rec.db "ATTACH 'x.db' AS x"
"$S" rec "SELECT count(*) FROM events" >stdout.txt 2>stderr.txt; rc=$?
if [ $rc -eq 0 ]; then
	eq "sql: a recording is analyzed on the fly (same count as the DB)" "$(cat stdout.txt)" "$("$S" rec.db "SELECT count(*) FROM events")"
else
	contains "sql: a recording says how to make a DB" "$(cat stderr.txt)" "ingero-analyze"
fi
