#!/usr/bin/env bash
# Python frames without BPF: the corpus recording good-pyframes.igz (format
# 1.2: PYFRAME records, STACK.py) through ingero-analyze (python_frames,
# --per-line text and JSON), ingero-merge and ingero-perfetto (slice args
# from the recording and from the database); recordings and databases
# without Python frames.  The live path is tests/record/t-e2e-python.sh.
. "$TESTS/lib.sh"
A=$BIN/ingero-analyze P=$BIN/ingero-perfetto
C=$ROOT/testdata/corpus
command -v sqlite3 >/dev/null || { skip "python frames: no sqlite3"; exit 0; }
q() { sqlite3 "$1" "$2"; }
cd "$T_OUT" || exit 1
"$A" "$C/good-pyframes.igz" -o py.db --per-line >rep.txt 2>err.txt || fail "analyze: $(head -1 err.txt)"
eq "python_frames: one row per frame of each stack, innermost first" \
	"$(q py.db "select group_concat(function || ':' || line, ',') from (select * from python_frames order by stack_hash, depth) group by stack_hash order by count(*)" | tr '\n' ' ')" \
	"launch:12,Model.forward:27 <lambda>:0,launch:12,Model.forward:27 "
eq "python_frames: the events join their innermost line" \
	"$(q py.db "select e.op || '=' || p.function from events e join python_frames p on p.stack_hash = e.stack_hash and p.depth = 0 order by e.op")" \
	"$(printf '3=launch\n5=<lambda>')"
eq "stack_traces: a stack with Python frames only (depth 0) has a row" \
	"$(q py.db "select count(*) from stack_traces where hash in (select stack_hash from python_frames)")" 2
pl=$(sed -n '/^PER PYTHON LINE/,$p' rep.txt)
contains "--per-line: the header counts calls with frames" "$pl" "2 of 2 GPU calls carry Python frames"
eq "--per-line: rows by total time, exact values" \
	"$(echo "$pl" | tail -n +3 | awk '{print $7, $9, $6, $1, $2, $3, $4, $5}')" \
	"$(printf '%s\n%s' "<string>:0 <lambda> cudaStreamSync 1 90.0us 90.0us 90.0us 90.0us" \
		"/work/train.py:12 launch cudaLaunchKernel 1 4.00us 4.00us 4.00us 4.00us")"
"$A" py.db --per-line --json >rep.json 2>>err.txt
eq "--per-line --json" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["per_line"]
print(d["gpu_calls"], d["with_python"], [(x["file"], x["function"], x["line"], x["op"], x["count"], x["p50_ns"]) for x in d["lines"]])' rep.json)" \
	"2 2 [('<string>', '<lambda>', 0, 'cudaStreamSync', 1, 90000), ('/work/train.py', 'launch', 12, 'cudaLaunchKernel', 1, 4000)]"
a=$("$A" py.db --per-line 2>&1); b=$("$A" py.db --per-line 2>&1)
eq "--per-line: deterministic" "$a" "$b"
# no Python frames: a recording without them, a database without the table
"$A" "$C/good-all-kinds.igz" -o nopy.db --per-line >rep2.txt 2>>err.txt
eq "no Python frames: no rows" "$(q nopy.db "select count(*) from python_frames")" 0
contains "no Python frames: --per-line says so" "$(cat rep2.txt)" "0 of 4 GPU calls carry Python frames"
cp py.db old.db && q old.db "drop table python_frames"
if "$A" old.db --per-line >rep3.txt 2>err3.txt; then
	contains "a database without python_frames: report and --per-line still work" "$(cat rep3.txt)" \
		"0 of 2 GPU calls carry Python frames"
else fail "a database without python_frames: $(head -1 err3.txt)"; fi
# merge keeps PYFRAME records and STACK.py
"$BIN/ingero-merge" "$C/good-pyframes.igz" -o m.igz >/dev/null 2>>err.txt
eq "merge: PYFRAME and STACK.py kept" \
	"$("$BIN/ingero-dump" --no-offsets m.igz | grep -cE '^PYFRAME|^STACK.* py=')" 5
"$A" m.igz --per-line >rep4.txt 2>>err.txt
eq "merge: --per-line of the merged recording is the same" "$(sed -n '/^PER PYTHON/,$p' rep4.txt)" "$pl"
# perfetto: the frames in slice args, from the recording and the database
for src in "$C/good-pyframes.igz" py.db; do
	"$P" "$src" -o p.json --format json --force 2>>err.txt
	contains "perfetto ($(basename "$src")): python arg, innermost first" "$(cat p.json)" \
		'"python":"<string>:0 in <lambda> < /work/train.py:12 in launch < /work/train.py:27 in Model.forward"'
	contains "perfetto ($(basename "$src")): the stack annotation starts with the Python frames" \
		"$(cat p.json)" '"stack":"launch (train.py:12) < Model.forward (train.py:27)"'
done
"$P" "$C/good-all-kinds.igz" -o n.json --format json --force 2>>err.txt
if grep -q '"python"' n.json; then fail "perfetto: a recording without Python frames has a python arg"
else pass "perfetto: no python arg without Python frames"; fi
CHK=$SHARED/tools/check-pftrace.py
if [ -f "$CHK" ]; then
	"$P" py.db -o p.pftrace --force 2>>err.txt
	python3 "$CHK" p.pftrace --strict --quiet >/dev/null 2>&1 && pass "perfetto: check-pftrace --strict" ||
		fail "perfetto: check-pftrace --strict fails"
else skip "perfetto: no check-pftrace.py"; fi
# ingero-mcp get_stacks: the Python frames first, in the text and the frames
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
printf '%s\n%s\n' "$init" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_stacks","arguments":{"op":"cudaStreamSync"}}}' |
	"$BIN/ingero-mcp" py.db >mcp.out 2>>err.txt
eq "mcp get_stacks: Python frames first" "$(tail -1 mcp.out | python3 -c 'import json,sys
r = json.load(sys.stdin)["result"]
fr = r["structuredContent"]["stacks"][0]["frames"]
print(r["content"][0]["text"].splitlines()[2].strip(), [(f["symbol"], f["file"], f["line"], f.get("python")) for f in fr])')" \
	"<lambda> (<string>:0) <- launch (train.py:12) <- Model.forward (train.py:27) [('<lambda>', '<string>', 0, True), ('launch', '/work/train.py', 12, True), ('Model.forward', '/work/train.py', 27, True)]"
# the report's filters apply to --per-line
"$A" py.db --per-line --op cudaStreamSync >rep5.txt 2>>err.txt
eq "--per-line --op: only that op's lines" "$(sed -n '/^PER PYTHON/,$p' rep5.txt | tail -n +3 | awk '{print $6, $7}')" \
	"cudaStreamSync <string>:0"
contains "--per-line --op: the header counts that op's calls" "$(cat rep5.txt)" "1 of 1 GPU calls carry Python frames"
