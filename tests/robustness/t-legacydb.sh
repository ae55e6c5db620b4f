#!/usr/bin/env bash
# Damaged copies of the original Ingero .db files (never the originals:
# copies in $T_OUT): cut in half, cut to the first 1 KiB, last byte missing,
# a garbage page in the middle, garbage over the schema page.  ingero-analyze,
# ingero-perfetto and ingero-sql must give a clear error naming the file or a
# partial result, never a crash or sanitizer report, and must leave the copy
# byte-identical.  The originals in $SHARED are checked untouched.
. "$TESTS/lib.sh"
. "$TESTS/robustness/rlib.sh"
cd "$T_OUT" || exit 1
DBS=$SHARED/testdata/ingero-dbs
[ -d "$DBS" ] || { skip "legacydb: no $DBS"; exit 0; }
for t in sql analyze perfetto; do
	[ -x "$BIN/ingero-$t" ] || { fail "legacydb: $BIN/ingero-$t not built"; exit 0; }
done
orig_sum=$(cd "$DBS" && ls -la --time-style=+%s . | sha256sum; sha256sum ./*.db | sha256sum)
mkdir -p d
for db in pytorch-173382-empty-cache.db sample-gpu-node-01.db sample-cluster.db; do
	[ -f "$DBS/$db" ] || continue
	b=${db%.db}
	python3 - "$DBS/$db" "d/$b" <<'PY'
import random, sys
src, out = sys.argv[1], sys.argv[2]
d = open(src, "rb").read()
ps = int.from_bytes(d[16:18], "big") or 65536
r = random.Random(11)
g = lambda n: bytes(r.getrandbits(8) for _ in range(n))
open(out + "-half.db", "wb").write(d[:len(d) // 2])
open(out + "-1k.db", "wb").write(d[:1024])
open(out + "-lastbyte.db", "wb").write(d[:-1])
m = bytearray(d); p = len(d) // ps // 2
m[p * ps:(p + 1) * ps] = g(ps)
open(out + "-garbage.db", "wb").write(bytes(m))
m = bytearray(d); m[100:ps] = g(ps - 100)
open(out + "-schema.db", "wb").write(bytes(m))
PY
done
for f in d/*.db; do
	n=$(basename "$f")
	for t in analyze analyze-json perfetto sql; do
		before=$(sha "$f")
		ob=$T_OUT/$t-$n
		case $t in
		analyze) run_tool "$ob" "$BIN/ingero-analyze" "$f" -o "$ob.out.db" ;;
		analyze-json) run_tool "$ob" "$BIN/ingero-analyze" -q --json "$f" ;;
		perfetto) run_tool "$ob" "$BIN/ingero-perfetto" "$f" -o "$ob.pftrace" ;;
		sql) run_tool "$ob" "$BIN/ingero-sql" --limit 0 "$f" "SELECT count(*), sum(duration) FROM events; SELECT * FROM stack_traces" ;;
		esac
		why=$(sane_why "$ob" "$n" 3)
		[ "$before" = "$(sha "$f")" ] || why="${why:+$why; }the input copy was modified"
		ls "$f"-wal "$f"-shm "$f"-journal >/dev/null 2>&1 && why="${why:+$why; }created -wal/-shm/-journal beside the input"
		if [ -z "$why" ]; then pass "legacydb $t: $n (rc=$RC)"; else fail "legacydb $t: $n: $why"; fi
	done
done
now_sum=$(cd "$DBS" && ls -la --time-style=+%s . | sha256sum; sha256sum ./*.db | sha256sum)
eq "legacydb: originals in \$SHARED untouched" "$now_sum" "$orig_sum"
