#!/usr/bin/env bash
# ingero-analyze -o: an existing file is replaced only with --force, and
# even then only an SQLite database or an empty file (never a recording or a
# text given by mistake); never a device, FIFO, symbolic link or directory.
. "$TESTS/lib.sh"
cd "$T_OUT" || exit 1
"$BIN/ingero-record" demo control -o rec -q --duration 3 || { fail "output: demo failed"; exit 1; }
A="$BIN/ingero-analyze"

echo "keep me" > notes.txt
fails "output: refuses to replace a text file" "$A" rec -o notes.txt -q
fails "output: refuses to replace a text file, even with --force" "$A" rec -o notes.txt -q --force
eq "output: text file untouched" "$(cat notes.txt)" "keep me"

cp rec/seg-000001.igz seg.igz
sum=$(sha256sum < seg.igz)
fails "output: refuses to replace a recording segment" "$A" rec -o seg.igz -q --force
eq "output: segment untouched" "$(sha256sum < seg.igz)" "$sum"

mkdir adir
fails "output: refuses a directory" "$A" rec -o adir -q --force
if [ "$(id -u)" -eq 0 ] && mknod chardev c 1 3 2>/dev/null; then
	fails "output: refuses a character device" "$A" rec -o chardev -q --force
	if [ -c chardev ]; then pass "output: device node still there"; else fail "output: device node removed"; fi
else
	skip "output: character device case: needs root for mknod"
fi
err=$("$A" rec -o notes.txt -q 2>&1 >/dev/null)
eq "output: one-line error" "$(printf '%s\n' "$err" | wc -l)" 1
contains "output: error names the file" "$err" "notes.txt"

ok "output: creates a new database" "$A" rec -o new.db -q --no-report
sum=$(sha256sum < new.db)
err=$("$A" rec -o new.db -q --no-report 2>&1); rc=$?
eq "output: an existing database without --force: exit 1" "$rc" 1
eq "output: ... says to use --force" "$err" "ingero-analyze: new.db: already exists (use --force to replace it)"
eq "output: ... and leaves it as it was" "$(sha256sum < new.db)" "$sum"
ok "output: replaces its own database with --force" "$A" rec -o new.db -q --no-report --force
: > empty.db
fails "output: an empty file needs --force too" "$A" rec -o empty.db -q --no-report
ok "output: fills an empty file with --force" "$A" rec -o empty.db -q --no-report --force
eq "output: result is SQLite" "$(head -c 15 empty.db)" "SQLite format 3"
eq "output: no temporary left beside the outputs" "$(ls -A | grep -c '^\.')" 0
