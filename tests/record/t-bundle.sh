#!/usr/bin/env bash
# ingero-record bundle: members, MANIFEST.sha256 verified by sha256sum, our
# SHA-256 against sha256sum, the format reader reading the bundle in place,
# no overwrite without --force, unsafe names and symlinks left out.
. "$TESTS/lib.sh"
REC=$BIN/ingero-record
DUMP=$BIN/ingero-dump
[ -x "$REC" ] || { skip "bundle: $REC not built"; exit 0; }

# SHA-256 against sha256sum at the padding edges
for s in 0 1 3 55 56 57 63 64 65 119 120 128 1000003; do
	head -c $s /dev/urandom >"$T_OUT/h$s"
done
eq "bundle: sha256 matches sha256sum" \
	"$("$REC" bundle --hash "$T_OUT"/h* | md5sum)" "$(sha256sum "$T_OUT"/h* | md5sum)"
eq "bundle: sha256 of abc" "$(printf abc >"$T_OUT/abc"; "$REC" bundle --hash "$T_OUT/abc" | cut -c1-64)" \
	ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad

# a recording: the synthetic generator (no BPF needed)
D=$T_OUT/rec
if ! timeout 60 "$REC" demo control -o "$D" --events 20000 >"$T_OUT/demo.out" 2>&1 || ! ls "$D"/seg-*.igz >/dev/null 2>&1; then
	skip "bundle: 'ingero-record demo control' gives no recording: $(tail -1 "$T_OUT/demo.out")"
	exit 0
fi
echo "recorder log line" >"$D/recorder.log"
touch "$D/$(printf 'seg-evil\n.igz')"
ln -s /etc/hostname "$D/seg-999999.igz"
B=$T_OUT/b.tar.zst
"$REC" bundle -o "$B" "$D" >"$T_OUT/b.out" 2>"$T_OUT/b.err"
eq "bundle: exit 0" "$?" 0
contains "bundle: warns about the unsafe name" "$(cat "$T_OUT/b.err")" "unsafe name"
list=$(tar -tf "$B" 2>&1)
for m in check.txt check.json system.txt bundle.txt recorder.log MANIFEST.sha256; do
	contains "bundle: has $m" "$list" "$m"
done
nseg=$(ls "$D" | grep -c '^seg-[0-9]*\.igz$')
eq "bundle: all segments under rec/" "$(printf '%s\n' "$list" | grep -c '^rec/seg-[0-9]*\.igz$')" "$((nseg - 1))"
if printf '%s\n' "$list" | grep -q -e 'evil' -e 'seg-999999'; then
	fail "bundle: unsafe name or symlink was included"
else
	pass "bundle: unsafe name and symlink left out"
fi
if printf '%s\n' "$list" | grep -q -e '^/' -e '\.\./'; then fail "bundle: unsafe member path"; else
	pass "bundle: member paths are relative and clean"; fi
mkdir "$T_OUT/x"
( cd "$T_OUT/x" && tar -xf "$B" ) || fail "bundle: tar -x failed"
ok "bundle: sha256sum -c MANIFEST.sha256" sh -c "cd '$T_OUT/x' && sha256sum --quiet -c MANIFEST.sha256"
eq "bundle: manifest covers every other member" "$(wc -l <"$T_OUT/x/MANIFEST.sha256")" \
	"$(( $(printf '%s\n' "$list" | grep -c .) - 1 ))"
contains "bundle: bundle.txt notes what was left out" "$(cat "$T_OUT/x/bundle.txt")" "left out"
cmp -s "$T_OUT/x/rec/seg-000001.igz" "$D/seg-000001.igz" && pass "bundle: segment copied intact" ||
	fail "bundle: segment differs"
contains "bundle: system.txt has the kernel" "$(cat "$T_OUT/x/system.txt")" "$(uname -r)"
if command -v python3 >/dev/null; then
	ok "bundle: check.json parses" python3 -c "import json,sys; assert json.load(open(sys.argv[1]))" "$T_OUT/x/check.json"
fi
ok "bundle: zstd -dc reads it" sh -c "zstd -dc '$B' | tar -t >/dev/null"

# the format reader reads the bundle in place, same events as the directory
if [ -x "$DUMP" ]; then
	a=$("$DUMP" --summary "$D" 2>/dev/null | grep -E '^segments:')
	b=$("$DUMP" --summary "$B" 2>"$T_OUT/dump.err" | grep -E '^segments:'); brc=${PIPESTATUS[0]}
	eq "bundle: ingero-dump reads the bundle" "$brc" 0
	if [ -n "$a" ]; then eq "bundle: same records as the directory" "$b" "$a"; else
		fail "bundle: dump of the directory failed"; fi
else
	skip "bundle: reader test: ingero-dump not built"
fi

# no overwrite without --force; --force replaces; stdout
sum0=$(md5sum <"$B")
"$REC" bundle -o "$B" "$D" >/dev/null 2>"$T_OUT/e"; r=$?
eq "bundle: refuses to overwrite (exit 1)" "$r" 1
contains "bundle: says to use --force" "$(cat "$T_OUT/e")" "--force"
eq "bundle: existing file untouched" "$(md5sum <"$B")" "$sum0"
ok "bundle: --force overwrites" "$REC" bundle --force -o "$B" "$D"
ok "bundle: -o - streams to stdout" sh -c "'$REC' bundle -o - '$D' 2>/dev/null | zstd -dc | tar -t | grep -q MANIFEST.sha256"
"$REC" bundle "$D" >/dev/null 2>&1; eq "bundle: missing -o is a usage error" "$?" 2
"$REC" bundle -o "$T_OUT/n.tar.zst" "$T_OUT/nope" >/dev/null 2>&1
eq "bundle: missing recording dir fails" "$?" 1
[ -e "$T_OUT/n.tar.zst" ] && fail "bundle: partial output left behind" || pass "bundle: no partial output"
mkdir -p "$T_OUT/ro"; chmod 0555 "$T_OUT/ro"
if [ "$(id -u)" -ne 0 ]; then
	fails "bundle: unwritable output fails" "$REC" bundle -o "$T_OUT/ro/b.tar.zst" "$D"
fi
ok "bundle: --help" "$REC" bundle --help

# a device as output: written into, never replaced or removed
if [ -c /dev/null ]; then
	ok "bundle: -o /dev/null works" "$REC" bundle -o /dev/null "$D"
	"$REC" bundle -o /dev/null "$T_OUT/nope" >/dev/null 2>&1
	[ -c /dev/null ] && pass "bundle: a failed bundle leaves /dev/null a device" ||
		fail "bundle: /dev/null was replaced"
fi
