#!/bin/sh
# ops-syms.sh [LIB] - the symbols formats/ops.def says the recorder probes:
# one line "LIB SYMBOL OPTIONAL" (LIB = CUDART, CUDA or NCCL; OPTIONAL 1 when
# the symbol may be missing), the op rows with a LIB and SYM, then the
# aliases with a PROBE value (library and flags of their op).  With LIB, only
# that library's symbol names.  testdata/build.mk builds the fake libraries'
# export checks from it; tests/record/t-fakecuda-syms.sh compares it with
# what the fake libraries export.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fmt=$here/../../formats
# FLAGS stay names (ingero_ops.h is not included): INGERO_OPF_OPT, ...
{
	printf '#define INGERO_OP(SRC, CODE, ID, NAME, LIB, SYM, CLASS, FLAGS, DESC) @op ID LIB SYM FLAGS\n'
	printf '#define INGERO_OP_ALIAS(NAME, SRC, ID, PROBE) @alias ID NAME PROBE\n'
	printf '#include "ops.def"\n'
} | ${CC:-cc} -E -P -x c -I"$fmt" - | grep '^@' | tr -d '"()' | awk -v want="${1:-}" '
	function out(l, s, o) {
		if (want == "") print l, s, o; else if (want == l) print s
	}
	$1 == "@op" {
		# @op ID LIB SYM FLAGS...
		o = 0; legacy = 0
		for (i = 5; i <= NF; i++) {
			if ($i == "INGERO_OPF_OPT") o = 1
			if ($i == "INGERO_OPF_LEGACY") legacy = 1
		}
		lib[$2] = $3; opt[$2] = o
		if ($3 != "NONE" && $4 != "0" && !legacy) out($3, $4, o)
		next
	}
	$1 == "@alias" {
		# @alias ID NAME PROBE ("-1" or "- 1": not probed)
		p = ""; for (i = 4; i <= NF; i++) p = p $i
		if (p ~ /^-/) next
		if (($2 in lib) && lib[$2] != "NONE") out(lib[$2], $3, opt[$2])
	}'
