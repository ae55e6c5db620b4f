#!/usr/bin/env bash
# golden.sh BIN NAME : the golden text of one corpus entry (run inside
# testdata/corpus): `ingero-dump --no-offsets` stdout, then its stderr lines
# prefixed "stderr: ", then "exit: N".  --summary output too for good-*.
BIN=$1 NAME=$2
out=$("$BIN/ingero-dump" --no-offsets "$NAME" 2>/tmp/golden-err.$$); rc=$?
printf '%s\n' "$out"
sed 's/^/stderr: /' /tmp/golden-err.$$
echo "exit: $rc"
if [[ $NAME == good-* ]]; then
	echo "--- summary"
	"$BIN/ingero-dump" --summary "$NAME" 2>&1
	echo "exit: $?"
fi
rm -f /tmp/golden-err.$$
