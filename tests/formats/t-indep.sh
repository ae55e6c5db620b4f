#!/usr/bin/env bash
# The independent Python reader (written from docs/format.md) must print the
# same text as `ingero-dump --no-offsets` for every good / compat corpus entry
# and for a fresh multi-segment recording.
. "$TESTS/lib.sh"
command -v python3 >/dev/null || { skip "indep: no python3"; exit 0; }
command -v zstd >/dev/null || { skip "indep: no zstd CLI"; exit 0; }
cd "$ROOT/testdata/corpus" || exit 1
for f in good-* compat-*; do
	[[ $f == *.expected ]] && continue
	a=$("$BIN/ingero-dump" --no-offsets "$f" 2>&1)
	b=$(python3 "$TESTS/formats/indep_reader.py" "$f" 2>&1)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "indep $f"
	else fail "indep $f: python reader disagrees"; diff <(echo "$a") <(echo "$b") | head -6 | sed 's/^/  | /'; fi
done
# a fresh recording from the generator (not the committed bytes)
"$BIN/tests/gen-corpus" "$T_OUT/c" >/dev/null 2>&1 || { fail "indep: gen-corpus failed"; exit 1; }
a=$("$BIN/ingero-dump" --no-offsets "$T_OUT/c/good-dir" 2>&1)
b=$(python3 "$TESTS/formats/indep_reader.py" "$T_OUT/c/good-dir" 2>&1)
[ -n "$a" ] && [ "$a" = "$b" ] && pass "indep fresh good-dir" || fail "indep fresh good-dir: disagree"
# the python reader must be able to fail: a must-understand kind
if python3 "$TESTS/formats/indep_reader.py" damaged-critical-kind.igz >/dev/null 2>&1; then
	fail "indep: python reader accepted a must-understand kind"
else pass "indep: python reader rejects a must-understand kind"; fi
