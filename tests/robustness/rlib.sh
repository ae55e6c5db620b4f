# Helpers shared by tests/robustness/t-*.sh (sourced after $TESTS/lib.sh).
R_DIR="$TESTS/robustness"
: "${R_TIMEOUT:=20}"

# run_tool OUTBASE CMD... : runs CMD under a timeout, stdout -> OUTBASE.out,
# stderr -> OUTBASE.err, exit status -> $RC and OUTBASE.rc
run_tool() {
	local ob=$1; shift
	timeout -k 5 "$R_TIMEOUT" "$@" >"$ob.out" 2>"$ob.err"
	RC=$?
	echo "$RC" >"$ob.rc"
}

# sane_why OUTBASE NAME_NEEDLE MAXLINES : prints why the last run_tool is not
# sane (empty when it is): exit 0/1 only, no sanitizer report, at most
# MAXLINES lines on stderr, and stderr names NAME_NEEDLE when it says anything
# or the tool failed.
sane_why() {
	local ob=$1 needle=$2 max=$3 n
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then echo "timed out after ${R_TIMEOUT}s (rc=$RC)"; return; fi
	if [ "$RC" -ge 128 ]; then echo "killed by signal $((RC - 128)) (rc=$RC)"; return; fi
	if [ "$RC" -gt 1 ]; then echo "exit status $RC (usage error?)"; fi
	if grep -qE 'Sanitizer|runtime error' "$ob.err"; then
		echo "sanitizer: $(grep -m1 -E 'ERROR: [A-Za-z]*Sanitizer|runtime error|Sanitizer:' "$ob.err" | sed 's/^==[0-9]*==//')"
		return
	fi
	n=$(wc -l <"$ob.err")
	[ "$n" -gt "$max" ] && echo "$n lines on stderr (max $max): $(head -3 "$ob.err" | tr '\n' '|')"
	if [ "$RC" -ne 0 ] || [ -s "$ob.err" ]; then
		grep -qF -- "$needle" "$ob.err" || echo "stderr does not name '$needle': $(head -2 "$ob.err" | tr '\n' '|')"
	fi
}

# sane NAME OUTBASE NEEDLE [MAXLINES] : PASS/FAIL on sane_why
sane() {
	local why
	why=$(sane_why "$2" "$3" "${4:-3}")
	if [ -z "$why" ]; then pass "$1"; else fail "$1: $why"; fi
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
