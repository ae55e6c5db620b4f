#!/usr/bin/env bash
# The CPython offset tables of record/rec_py.c against offsetof() compiled
# with the real headers (Py_BUILD_CORE internals), for every 3.10-3.12 whose
# headers are installed (pyenv, /usr/include); versions without headers skip.
. "$TESTS/lib.sh"
U=$BIN/tests/unit-rec-py
[ -x "$U" ] || { skip "py offsets: $U not built"; exit 0; }
command -v gcc >/dev/null || { skip "py offsets: no gcc"; exit 0; }
for m in 3.10 3.11 3.12; do
	inc=
	for d in /usr/include/python$m "$HOME"/.pyenv/versions/$m*/include/python$m; do
		[ -f "$d/internal/pycore_interp.h" ] && { inc=$d; break; }
	done
	[ -n "$inc" ] || { skip "py offsets $m: no CPython $m internal headers installed"; continue; }
	src=$TESTS/record/py/offsets.c
	[ $m = 3.10 ] && src=$TESTS/record/py/offsets310.c
	if ! gcc -w -I"$inc" -I"$inc/internal" "$src" -o "$T_OUT/off$m" 2>"$T_OUT/off$m.err"; then
		skip "py offsets $m: headers in $inc do not compile: $(head -1 "$T_OUT/off$m.err")"; continue
	fi
	want=$("$T_OUT/off$m"); got=$("$U" dump $m)
	eq "py offsets $m: table equals offsetof() in $inc" "$got" "$want"
done
