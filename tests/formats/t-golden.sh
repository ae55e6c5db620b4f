#!/usr/bin/env bash
# Golden corpus: ingero-dump of every entry in testdata/corpus/ must match the
# checked-in .expected text (the corpus is never regenerated: compatibility).
. "$TESTS/lib.sh"
cd "$ROOT/testdata/corpus" || { fail "golden: no testdata/corpus"; exit 1; }
n=0
for f in *; do
	[[ $f == *.expected ]] && continue
	n=$((n + 1))
	if [ ! -f "$f.expected" ]; then fail "golden $f: no $f.expected"; continue; fi
	got=$(bash "$TESTS/formats/golden.sh" "$BIN" "$f")
	if [ "$got" = "$(cat "$f.expected")" ]; then pass "golden $f"
	else
		fail "golden $f: differs from $f.expected"
		diff <(printf '%s\n' "$got") "$f.expected" | head -10 | sed 's/^/  | /'
	fi
done
[ $n -ge 10 ] && pass "golden: corpus has $n entries" || fail "golden: corpus has only $n entries"
