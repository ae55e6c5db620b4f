#!/usr/bin/env bash
# Tar bundles the reader must refuse or survive: a fuzzer-found member
# whose damaged GNU header claims a huge (sparse) size (used to hang every
# tool), bundles without segments, hostile member names and links.
# Every run is under a timeout; a hang is a FAIL, not a stuck test run.
. "$TESTS/lib.sh"
D=$BIN/ingero-dump
C=$ROOT/testdata/corpus
cd "$T_OUT" || exit 1
# corpus files start with the fuzz target's mode byte (0: a file as is)
FZ=$T_OUT/fz.tar
tail -c +2 "$TESTS/formats/fuzz-corpus/hang-resync-sparse-realsize.tar" >"$FZ"

# run_dump NAME INPUT|- [stdin-file] : $RC, $ERR, $OUT (summary)
run_dump() {
	if [ "$2" = - ]; then
		OUT=$(timeout -k 2 10 "$D" --summary - <"$3" 2>err.txt); RC=$?
	else
		OUT=$(timeout -k 2 10 "$D" --summary "$2" 2>err.txt); RC=$?
	fi
	ERR=$(cat err.txt)
}
events() { printf '%s\n' "$1" | sed -n 's/.*  events: \([0-9]*\).*/\1/p' | head -1; }

# --- 1. fuzzer-found hang: finishes, warns with file and offset, bounded stderr
for how in file stdin; do
	if [ $how = file ]; then run_dump x "$FZ"; else run_dump x - "$FZ"; fi
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		fail "bundle: fuzz hang-resync ($how) finishes: timed out"
	else
		pass "bundle: fuzz hang-resync ($how) finishes (rc=$RC)"
	fi
	[ "$RC" -le 1 ] && pass "bundle: fuzz hang-resync ($how) exit 0/1" || fail "bundle: fuzz hang-resync ($how) exit $RC"
	contains "bundle: fuzz hang-resync ($how) names the member" "$ERR" "seg-000001.igz: "
	contains "bundle: fuzz hang-resync ($how) corrupt member reported" "$ERR" "tar member declares 9223372036854775807 bytes but holds 1268"
	n=$(printf '%s\n' "$ERR" | wc -l)
	[ "$n" -le 5 ] && pass "bundle: fuzz hang-resync ($how) stderr bounded ($n lines)" ||
		fail "bundle: fuzz hang-resync ($how) stderr has $n lines"
done
# the other tools read through the same library
for t in perfetto analyze; do
	[ -x "$BIN/ingero-$t" ] || continue
	case $t in
	perfetto) timeout -k 2 10 "$BIN/ingero-perfetto" "$FZ" -o "$T_OUT/fz.pftrace" >/dev/null 2>&1; rc=$? ;;
	analyze) timeout -k 2 10 "$BIN/ingero-analyze" "$FZ" -o "$T_OUT/fz.db" >/dev/null 2>&1; rc=$? ;;
	esac
	[ "$rc" -le 1 ] && pass "bundle: $t on fuzz hang-resync finishes (rc=$rc)" || fail "bundle: $t on fuzz hang-resync rc=$rc"
done

# --- 2. bundles without segments are an error naming the file
python3 - "$C/good-dir/seg-000001.igz" <<'EOF' || { fail "bundle: making test tarballs failed"; exit 0; }
import io, sys, tarfile
good = open(sys.argv[1], "rb").read()
def tar(name, members, mode="w"):
    with tarfile.open(name, mode, format=tarfile.GNU_FORMAT) as t:
        for m in members:
            mname, data = m[0], m[1]
            ti = tarfile.TarInfo(mname)
            ti.mtime = 1700000000
            if len(m) > 2:
                ti.type, ti.linkname = m[2], m[3]
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
tar("readme.tar", [("README.txt", b"hello\n" * 100)])
tar("readme.tar.gz", [("README.txt", b"hello\n")], "w:gz")
tar("dironly.tar", [("seg-dir.igz", b"", tarfile.DIRTYPE, "")])
tar("hostile.tar", [("../x.igz", good), ("/abs.igz", good)])
tar("mixed.tar", [("../x.igz", good), ("a/../../y.igz", good), ("seg-000001.igz", good),
                  ("seg-000002.igz", b"", tarfile.SYMTYPE, "/etc/passwd"),
                  ("seg-000003.igz", b"", tarfile.LNKTYPE, "seg-000001.igz"),
                  ("ok/..x/seg-000004.igz", good)])
EOF
for f in readme.tar readme.tar.gz dironly.tar; do
	run_dump x "$T_OUT/$f"
	eq "bundle: $f without segments exits 1" "$RC" 1
	contains "bundle: $f error names the file" "$ERR" "$T_OUT/$f: no seg-*.igz segments in bundle"
	run_dump x - "$T_OUT/$f"
	eq "bundle: $f on stdin exits 1" "$RC" 1
	contains "bundle: $f on stdin error" "$ERR" "<stdin>: no seg-*.igz segments in bundle"
done

# --- 3. hostile names and links are skipped with a warning naming them
run_dump x "$T_OUT/hostile.tar"
eq "bundle: only hostile members -> exit 1" "$RC" 1
contains "bundle: only hostile members: error names the file" "$ERR" "hostile.tar: no seg-*.igz segments in bundle"
contains "bundle: only hostile members: error names a member" "$ERR" "'../x.igz'"
run_dump x - "$T_OUT/hostile.tar"
eq "bundle: only hostile members on stdin -> exit 1" "$RC" 1
contains "bundle: hostile ../x.igz on stdin warned" "$ERR" "<stdin>: member '../x.igz': unsafe path, skipped"
contains "bundle: hostile /abs.igz on stdin warned" "$ERR" "<stdin>: member '/abs.igz': unsafe path, skipped"
want=$(events "$(timeout 10 "$D" --summary "$C/good-dir/seg-000001.igz" 2>/dev/null)")
want4=$((want * 2))
for how in file stdin; do
	if [ $how = file ]; then run_dump x "$T_OUT/mixed.tar"; else run_dump x - "$T_OUT/mixed.tar"; fi
	eq "bundle: mixed ($how) exit 0" "$RC" 0
	eq "bundle: mixed ($how) reads the two safe segments only" "$(events "$OUT")" "$want4"
	if [ $how = file ]; then nm="$T_OUT/mixed.tar"; else nm="<stdin>"; fi
	contains "bundle: mixed ($how) ../x.igz warned" "$ERR" "$nm: member '../x.igz': unsafe path, skipped"
	contains "bundle: mixed ($how) a/../../y.igz warned" "$ERR" "member 'a/../../y.igz': unsafe path, skipped"
	contains "bundle: mixed ($how) symlink warned" "$ERR" "member 'seg-000002.igz': not a regular file (link or device), skipped"
	contains "bundle: mixed ($how) hardlink warned" "$ERR" "member 'seg-000003.igz': not a regular file (link or device), skipped"
	case $ERR in *"ok/..x/seg-000004.igz': "*) fail "bundle: mixed ($how) '..x' is not a '..' component";; *) pass "bundle: mixed ($how) '..x' accepted";; esac
done
