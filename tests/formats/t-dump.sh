#!/usr/bin/env bash
# ingero-dump command line: conventions, inputs (file, dir, bundle, stdin),
# output modes, determinism.
. "$TESTS/lib.sh"
D=$BIN/ingero-dump
C=$ROOT/testdata/corpus
ok "dump: --help exits 0" "$D" --help
"$D" >/dev/null 2>&1; eq "dump: no input is a usage error (2)" "$?" 2
"$D" --bogus x >/dev/null 2>&1; eq "dump: unknown option is a usage error (2)" "$?" 2
"$D" --json --summary x >/dev/null 2>&1; eq "dump: conflicting modes are a usage error (2)" "$?" 2
err=$("$D" "$T_OUT/nope.igz" 2>&1 >/dev/null); rc=$?
eq "dump: missing file exits 1" "$rc" 1
contains "dump: error line names tool and file" "$err" "ingero-dump: $T_OUT/nope.igz: cannot open"
printf 'not a recording\n' > "$T_OUT/t.txt"
err=$("$D" "$T_OUT/t.txt" 2>&1 >/dev/null); rc=$?
eq "dump: foreign file exits 1" "$rc" 1
contains "dump: foreign file error has offset" "$err" "t.txt: not an Ingero recording (no zstd frame magic) at byte 0"
err=$("$D" "$C/damaged-truncated.igz" 2>&1 >/dev/null); rc=$?
eq "dump: warnings only -> exit 0" "$rc" 0
contains "dump: truncation warning format" "$err" "ingero-dump: warning: $C/damaged-truncated.igz: truncated frame at byte"
"$D" "$C/damaged-critical-kind.igz" >/dev/null 2>&1; eq "dump: must-understand kind -> exit 1" "$?" 1
# inputs
want=$("$D" --no-offsets "$C/good-dir")
got=$(cat "$C/good-launch-heavy.igz" | "$D" --no-offsets -)
eq "dump: stdin segment stream" "$got" "$("$D" --no-offsets "$C/good-launch-heavy.igz")"
(cd "$C/good-dir" && tar -cf "$T_OUT/b.tar" seg-*.igz && tar --zstd -cf "$T_OUT/b.tar.zst" seg-*.igz && tar -czf "$T_OUT/b.tgz" seg-*.igz) 2>/dev/null
eq "dump: tar bundle" "$("$D" --no-offsets "$T_OUT/b.tar")" "$want"
eq "dump: tar.zst bundle" "$("$D" --no-offsets "$T_OUT/b.tar.zst")" "$want"
eq "dump: tar.gz bundle" "$("$D" --no-offsets "$T_OUT/b.tgz")" "$want"
eq "dump: tar.zst bundle on stdin" "$("$D" --no-offsets - < "$T_OUT/b.tar.zst")" "$want"
cat "$C"/good-dir/seg-*.igz > "$T_OUT/cat.igz"
eq "dump: concatenated segments" "$("$D" --no-offsets "$T_OUT/cat.igz")" "$want"
# offsets and file lines in the default mode
out=$("$D" "$C/good-dir")
contains "dump: default mode has file lines" "$out" "# file $C/good-dir/seg-000002.igz"
contains "dump: default mode has frame offsets" "$out" "@0 HEADER"
# json: one valid object per record
n_text=$("$D" --no-offsets "$C/good-all-kinds.igz" | wc -l)
if command -v python3 >/dev/null; then
	n_json=$("$D" --ndjson "$C/good-all-kinds.igz" | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)["kind"]))' 2>&1)
	eq "dump: --ndjson is NDJSON, one object per record" "$n_json" "$n_text"
	# --json: one document, same records, integers above 2^53 as digit strings
	got=$("$D" --json "$C/good-all-kinds.igz" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
nd = [json.loads(l) for l in open(sys.argv[1])]
bad = [(k, a[k], b[k]) for a, b in zip(doc, nd) for k in a
       if (str(a[k]) if isinstance(a[k], str) and isinstance(b[k], int) else a[k]) != (str(b[k]) if isinstance(a[k], str) and isinstance(b[k], int) else b[k])]
big = [v for r in doc for v in r.values() if isinstance(v, int) and abs(v) > 2**53]
strs = sum(1 for a, b in zip(doc, nd) for k in a if isinstance(a[k], str) and isinstance(b[k], int))
print(len(doc), len(bad), len(big), "strings" if strs else "none")' <("$D" --ndjson "$C/good-all-kinds.igz") 2>&1)
	eq "dump: --json is one array of the same records, big integers as strings" "$got" "$n_text 0 0 strings"
else skip "dump: --json check: no python3"; fi
"$D" --version >"$T_OUT/v" 2>&1; eq "dump: --version exits 0" "$?" 0
contains "dump: --version names the tool" "$(cat "$T_OUT/v")" "ingero-dump "
err=$("$D" --jsno x 2>&1 >/dev/null); contains "dump: unknown option suggests" "$err" "did you mean '--json'"
"$D" --json "$C/good-all-kinds.igz" >/dev/full 2>"$T_OUT/e"; rc=$?
eq "dump: > /dev/full exits 1" "$rc" 1
contains "dump: > /dev/full says so" "$(cat "$T_OUT/e")" "ingero-dump: stdout:"
# raw: msgpack-c view of every value (unknown kinds included)
n_raw=$("$D" --raw "$C/compat-unknown-kinds.igz" | wc -l)
eq "dump: --raw prints every msgpack value (incl. unknown kinds)" "$n_raw" 7
"$D" --raw "$C/damaged-truncated.igz" >/dev/null 2>&1; eq "dump: --raw fails on a truncated stream" "$?" 1
# summary
s=$("$D" --summary "$C/good-merged-unix.igz")
contains "dump: summary lists merged nodes" "$s" "gpu-node-2 host=host2"
contains "dump: summary counts ops" "$s" "nccl/AllReduce"
contains "dump: summary unix clock is identity" "$s" "wall: 2023-11-14T22:13:20.000000000Z"
# determinism
a=$("$D" --summary "$C/good-launch-heavy.igz"; "$D" "$C/good-launch-heavy.igz")
b=$("$D" --summary "$C/good-launch-heavy.igz"; "$D" "$C/good-launch-heavy.igz")
eq "dump: deterministic output" "$(echo "$a" | md5sum)" "$(echo "$b" | md5sum)"
