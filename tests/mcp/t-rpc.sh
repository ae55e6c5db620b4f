#!/usr/bin/env bash
# ingero-mcp at the byte level (tests/mcp/rpc.py: framing, JSON-RPC errors,
# limits, cancellation, EOF), its command line, and that a recording input is
# analyzed into a private temporary DB that is gone after EOF and after SIGTERM.
. "$TESTS/lib.sh"
M=$BIN/ingero-mcp
DBS=$SHARED/testdata/ingero-dbs
[ -x "$M" ] || { fail "mcp: ingero-mcp not built"; exit 0; }
cd "$T_OUT" || exit 1
command -v python3 >/dev/null || { skip "mcp-rpc: python3 missing"; exit 0; }
if [ -f "$DBS/sample-cluster.db" ]; then
	python3 "$TESTS/mcp/rpc.py" "$M" "$DBS/sample-cluster.db"
else
	skip "mcp-rpc: $DBS missing"
fi

# --- command line
"$M" >/dev/null 2>&1; eq "mcp: no INPUT -> 2" "$?" 2
"$M" --bogus x.db >/dev/null 2>&1; eq "mcp: unknown option -> 2" "$?" 2
out=$("$M" --max-mesage 5 x.db 2>&1); contains "mcp: did-you-mean on options" "$out" "did you mean '--max-message'"
"$M" --help | grep -q "Model Context Protocol"; eq "mcp: --help -> 0" "$?" 0
"$M" - </dev/null >/dev/null 2>&1; eq "mcp: INPUT '-' refused (stdin is the protocol) -> 2" "$?" 2
out=$("$M" nosuch.db </dev/null 2>&1); rc=$?
eq "mcp: missing input -> 1" "$rc" 1
[ ! -e nosuch.db ] && pass "mcp: a missing input is not created" || fail "mcp: nosuch.db created"

# --- a recording: private temp DB, removed on EOF and on SIGTERM
"$BIN/ingero-record" demo control -o rec --duration 3 >/dev/null 2>&1 || { fail "mcp: demo recording failed"; exit 0; }
mkdir tmp
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
out=$(printf '%s\n%s\n' "$init" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_trace_stats","arguments":{}}}' |
	TMPDIR=$T_OUT/tmp "$M" rec 2>err.txt); rc=$?
eq "mcp: recording input served, exit 0 on EOF" "$rc" 0
contains "mcp: stats of the recording" "$out" "cudaStreamSync"
eq "mcp: temp dir empty after EOF" "$(ls -A tmp | wc -l)" 0
mkfifo fifo
TMPDIR=$T_OUT/tmp "$M" rec <fifo >/dev/null 2>&1 &
pid=$!
exec 7>fifo
for _ in $(seq 50); do [ -n "$(ls -A tmp)" ] && break; sleep 0.1; done
have=$(ls -A tmp | wc -l)
sleep 1
kill -TERM $pid; wait $pid 2>/dev/null
exec 7>&-
[ "$have" -gt 0 ] && pass "mcp: private temp dir exists while serving" || fail "mcp: no temp dir seen while serving"
eq "mcp: temp dir empty after SIGTERM" "$(ls -A tmp | wc -l)" 0
# every tool runs on the recording and answers within its bounds
printf '%s\n' "$init" >calls.jsonl
i=2
for t in get_trace_stats get_causal_chains get_steps get_stacks graph_lifecycle graph_frequency get_nodes get_check; do
	printf '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":{}}}\n' $i $t >>calls.jsonl
	i=$((i + 1))
done
printf '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"get_timeline","arguments":{"pid":4242}}}\n' $i >>calls.jsonl
"$M" rec <calls.jsonl >resp.jsonl 2>/dev/null
ok "mcp: every tool answers on a recording (get_check: not a bundle)" python3 -c "
import json
r=[json.loads(l) for l in open('resp.jsonl')]
assert len(r) == 10, len(r)
for x in r[1:]:
    res = x['result']; t = res['content'][0]['text']
    assert len(t) < 30000, len(t)
    if 'is not a bundle' in t: assert res['isError']; continue
    assert not res.get('isError'), t
    assert 'structuredContent' in res
"
