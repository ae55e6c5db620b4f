#!/usr/bin/env bash
# Man pages and bash completions of every tool, generated from --help
# (scripts/mkman.sh): they render without groff warnings, keep every long
# option of the help, and the completion completes options and subcommands.
. "$TESTS/lib.sh"
command -v groff >/dev/null && command -v col >/dev/null || { skip "man pages: groff or col not installed (apt-get install groff-base bsdextrautils)"; exit 0; }
n=0
for t in "$BIN"/ingero-*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	name=$(basename "$t"); n=$((n + 1))
	if ! "$ROOT/scripts/mkman.sh" man "$t" > "$T_OUT/$name.1" 2> "$T_OUT/err"; then
		fail "man $name: mkman failed: $(head -1 "$T_OUT/err")"; continue; fi
	txt=$(groff -man -Tutf8 -ww "$T_OUT/$name.1" 2> "$T_OUT/warn" | col -bx)
	eq "man $name: groff renders without warnings" "$(head -3 "$T_OUT/warn")" ""
	contains "man $name: NAME section" "$txt" "$name - "
	missing=""
	for o in $("$t" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		printf '%s' "$txt" | grep -qF -- "$o" || missing="$missing $o"
	done
	eq "man $name: every long option of --help is in the page" "$missing" ""
	# lines of the help that start with '.' or "'" survive roff
	"$t" --help 2>&1 | grep -E "^[.']" | while read -r l; do
		contains "man $name: line '$l' kept" "$txt" "$l"; done
	"$ROOT/scripts/mkman.sh" bash "$t" > "$T_OUT/$name.bash"
	ok "bash completion $name: valid bash" bash -n "$T_OUT/$name.bash"
	# the longest long option of the help, from its first 5 characters
	o=$("$t" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | awk '{ print length($0), $0 }' | sort -k1,1nr -k2 | head -1 | cut -d' ' -f2)
	want=$("$t" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | grep -F -- "${o:0:5}" | tr '\n' ' ' | sed 's/ $//')
	got=$(bash -c '. "$1"; COMP_WORDS=("$2" "$3"); COMP_CWORD=1; "$(complete -p "$2" | sed "s/.* -F \([^ ]*\) .*/\1/")"; echo "${COMPREPLY[*]}"' _ "$T_OUT/$name.bash" "$name" "${o:0:5}")
	eq "bash completion $name: ${o:0:5} completes to $want" "$got" "$want"
done
[ "$n" -ge 6 ] && pass "man: $n tools" || fail "man: only $n tools found in $BIN"
# subcommands of ingero-record: words, then each one's own options
if [ -x "$BIN/ingero-record" ]; then
	f="$T_OUT/ingero-record.bash"
	got=$(bash -c '. "$1"; COMP_WORDS=(ingero-record d); COMP_CWORD=1; _ingero_record; echo "${COMPREPLY[*]}"' _ "$f")
	eq "bash completion ingero-record: subcommand 'd' -> demo" "$got" "demo"
	got=$(bash -c '. "$1"; COMP_WORDS=(ingero-record demo --see); COMP_CWORD=2; _ingero_record; echo "${COMPREPLY[*]}"' _ "$f")
	eq "bash completion ingero-record demo: --see -> --seed" "$got" "--seed"
	got=$(bash -c '. "$1"; COMP_WORDS=(ingero-record record --dur); COMP_CWORD=2; _ingero_record; echo "${COMPREPLY[*]}"' _ "$f")
	eq "bash completion ingero-record record: --dur -> --duration" "$got" "--duration"
	contains "man ingero-record: a section per subcommand" "$(groff -man -Tutf8 "$T_OUT/ingero-record.1" 2>/dev/null | col -bx)" "INGERO-RECORD DEMO"
fi
