#!/usr/bin/env bash
# Every tool's output on the demo scenarios, byte for byte, against
# tests/golden/outputs.sha256.  Refactors must not change a byte; a change
# on purpose regenerates the list in the same commit:
#   bash tests/golden/outputs.sh build /tmp/g && (cd /tmp/g && sha256sum * | LC_ALL=C sort -k2) > tests/golden/outputs.sha256
. "$TESTS/lib.sh"
for t in ingero-record ingero-merge ingero-analyze ingero-perfetto ingero-sql ingero-dump; do
	if [ ! -x "$BIN/$t" ]; then skip "golden outputs: $t not built"; exit 0; fi
done
if ! bash "$TESTS/golden/outputs.sh" "$BIN" "$T_OUT/g" >"$T_OUT/log" 2>&1; then
	fail "golden outputs: outputs.sh failed"; tail -5 "$T_OUT/log" | sed 's/^/  | /'; exit 0
fi
(cd "$T_OUT/g" && sha256sum * | LC_ALL=C sort -k2) > "$T_OUT/got.sha256"
while read -r want name; do
	got=$(awk -v n="$name" '$2 == n { print $1 }' "$T_OUT/got.sha256")
	if [ -z "$got" ]; then fail "golden: $name: not produced"
	elif [ "$got" = "$want" ]; then pass "golden: $name"
	else fail "golden: $name: bytes differ from tests/golden/outputs.sha256"; fi
done < "$TESTS/golden/outputs.sha256"
extra=$(awk 'NR==FNR { w[$2]=1; next } !($2 in w) { print $2 }' "$TESTS/golden/outputs.sha256" "$T_OUT/got.sha256")
eq "golden: no output without a reference" "$extra" ""
