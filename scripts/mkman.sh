#!/bin/sh
# Man page and bash completion of an ingero-* tool, generated from its own
# --help (the one source, docs/cli.md):
#   scripts/mkman.sh man  BUILD/ingero-x   > ingero-x.1
#   scripts/mkman.sh bash BUILD/ingero-x   > ingero-x   (bash-completion file)
# Subcommands (lines "       ingero-x WORD ..." in the usage) get their own
# --help appended as sections and their options completed after the word.
set -eu
mode=$1 tool=$2
name=$(basename "$tool")
export LC_ALL=C

help=$("$tool" --help 2>&1) || { echo "mkman: '$tool --help' failed" >&2; exit 1; }
[ -n "$help" ] || { echo "mkman: '$tool --help' printed nothing" >&2; exit 1; }

# Subcommands: words that follow the tool's name at the start of a usage line.
subs=$(printf '%s\n' "$help" | sed -n "s/^\(usage:\)\{0,1\} *$name \[\{0,1\}\([a-z][a-z-]*\)\]\{0,1\}\( .*\)\{0,1\}$/\2/p" |
	grep -v '^-' | sort -u | tr '\n' ' ')

desc() {
	case "$1" in
	ingero-record) echo "record CUDA API calls and the kernel events around them with eBPF" ;;
	ingero-merge) echo "merge the recordings of many nodes into one clock-corrected timeline" ;;
	ingero-analyze) echo "import recordings into SQLite and explain slowdowns as causal chains" ;;
	ingero-perfetto) echo "export a recording or analysis as a Perfetto timeline" ;;
	ingero-sql) echo "read-only SQL over an Ingero analysis database" ;;
	ingero-dump) echo "print the records of an Ingero recording" ;;
	ingero-metrics) echo "export metric series and spans for Prometheus and OpenTelemetry backends" ;;
	ingero-report) echo "write one self-contained HTML report of a recording" ;;
	ingero-mcp) echo "serve a recording's analysis to AI assistants over the Model Context Protocol" ;;
	*) return 1 ;;
	esac
}

# man(7) text: escape backslashes, and lines starting with . or '
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# long options in a help text, one per line
longopts() { printf '%s\n' "$1" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }

case "$mode" in
man)
	d=$(desc "$name") || { echo "mkman: no one-line description for $name in scripts/mkman.sh" >&2; exit 1; }
	ver=$("$tool" --version 2>/dev/null | head -1) || ver=$name
	up=$(echo "$name" | tr a-z A-Z)
	printf '.TH %s 1 "" "%s" "Ingero-C manual"\n' "$up" "$ver"
	printf '.nh\n.ad l\n.SH NAME\n%s \\- %s\n' "$name" "$d"
	printf '.SH DESCRIPTION\n.nf\n'
	printf '%s\n' "$help" | roff
	printf '.fi\n'
	for s in $subs; do
		sh=$("$tool" "$s" --help 2>&1) || true
		[ -n "$sh" ] || continue
		printf '.SH "%s %s"\n.nf\n' "$(echo "$name" | tr a-z A-Z)" "$(echo "$s" | tr a-z A-Z)"
		printf '%s\n' "$sh" | roff
		printf '.fi\n'
	done
	cat <<'EOF'
.SH EXIT STATUS
0 success, 1 failure (one line on stderr naming the file and, for damaged
input, the offset), 2 usage error.
.SH SEE ALSO
.BR ingero-record (1),
.BR ingero-merge (1),
.BR ingero-analyze (1),
.BR ingero-perfetto (1),
.BR ingero-sql (1),
.BR ingero-dump (1);
the command-line contract in docs/cli.md of the Ingero-C sources.
EOF
	;;
bash)
	fn=_$(echo "$name" | tr -c 'a-z0-9\n' _)
	printf '# bash completion for %s, generated from its --help by scripts/mkman.sh\n' "$name"
	printf '%s() {\n' "$fn"
	printf '\tlocal cur=${COMP_WORDS[COMP_CWORD]} opts\n'
	if [ -n "$subs" ]; then
		printf '\tlocal sub=\n\tlocal w; for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do case $w in -*) ;; *) sub=$w; break ;; esac; done\n'
		printf '\tcase $sub in\n'
		for s in $subs; do
			so=$("$tool" "$s" --help 2>&1 || true)
			printf '\t%s) opts="%s" ;;\n' "$s" "$(longopts "$so" | tr '\n' ' ')"
		done
		printf '\t*) opts="%s"\n' "$(longopts "$help" | tr '\n' ' ')"
		printf '\t\tif [ "$COMP_CWORD" -eq 1 ] && [ "${cur#-}" = "$cur" ]; then\n'
		printf '\t\t\tCOMPREPLY=($(compgen -W "%s" -- "$cur")); return; fi ;;\n' "$subs"
		printf '\tesac\n'
	else
		printf '\topts="%s"\n' "$(longopts "$help" | tr '\n' ' ')"
	fi
	printf '\tif [ "${cur#-}" != "$cur" ]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi\n'
	printf '\tCOMPREPLY=($(compgen -f -- "$cur"))\n'
	printf '}\ncomplete -o filenames -F %s %s\n' "$fn" "$name"
	;;
*) echo "usage: scripts/mkman.sh man|bash TOOL" >&2; exit 2 ;;
esac
