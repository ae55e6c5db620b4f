#!/usr/bin/env bash
# ingero-analyze -o: replaces only an empty file or an SQLite database; never a
# device, a directory or a file of another kind (a recording given by mistake).
. "$TESTS/lib.sh"
cd "$T_OUT" || exit 1
"$BIN/ingero-record" demo control -o rec -q --duration 3 || { fail "output: demo failed"; exit 1; }
A="$BIN/ingero-analyze"

echo "keep me" > notes.txt
fails "output: refuses to replace a text file" "$A" rec -o notes.txt -q
eq "output: text file untouched" "$(cat notes.txt)" "keep me"

cp rec/seg-000001.igz seg.igz
sum=$(sha256sum < seg.igz)
fails "output: refuses to replace a recording segment" "$A" rec -o seg.igz -q
eq "output: segment untouched" "$(sha256sum < seg.igz)" "$sum"

mkdir adir
fails "output: refuses a directory" "$A" rec -o adir -q
if [ "$(id -u)" -eq 0 ] && mknod chardev c 1 3 2>/dev/null; then
	fails "output: refuses a character device" "$A" rec -o chardev -q
	if [ -c chardev ]; then pass "output: device node still there"; else fail "output: device node removed"; fi
else
	skip "output: character device case: needs root for mknod"
fi
err=$("$A" rec -o notes.txt -q 2>&1 >/dev/null)
eq "output: one-line error" "$(printf '%s\n' "$err" | wc -l)" 1
contains "output: error names the file" "$err" "notes.txt"

ok "output: creates a new database" "$A" rec -o new.db -q --no-report
ok "output: replaces its own database" "$A" rec -o new.db -q --no-report
: > empty.db
ok "output: fills an empty file" "$A" rec -o empty.db -q --no-report
eq "output: result is SQLite" "$(head -c 15 empty.db)" "SQLite format 3"
