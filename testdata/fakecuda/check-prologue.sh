#!/bin/sh
# check-prologue.sh LIB SYMBOL... : fail unless every SYMBOL in LIB starts
# with `push %rbp`, which the kernel's uprobe code emulates (~5.5 us per hit
# here) instead of single-stepping (endbr64, lea...: ~19 us).
lib=$1; shift
command -v objdump >/dev/null 2>&1 || { echo "check-prologue: no objdump, not checked" >&2; exit 0; }
dis=$(objdump -d --no-show-raw-insn "$lib") || exit 1
rc=0
for s in "$@"; do
	first=$(printf '%s\n' "$dis" | awk -v s="<$s>:" '$2 == s {getline; sub(/^[ \t]*[0-9a-f]+:[ \t]*/, ""); print; exit}')
	case "$first" in
	push*%rbp*) ;;
	*) echo "check-prologue: $lib: $s starts with '$first', not 'push %rbp'" >&2; rc=1 ;;
	esac
done
exit $rc
