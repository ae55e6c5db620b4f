#!/usr/bin/env python3
"""JSON-RPC framing and robustness of ingero-mcp, byte by byte (no SDK):
version negotiation, ping, notifications, batches, every JSON-RPC error
code, malformed and huge messages, invalid UTF-8, deep nesting, cancellation,
abrupt EOF.  Prints PASS/FAIL lines.  Usage: rpc.py INGERO_MCP DB"""
import json, os, subprocess, sys, time

MCP, DB = sys.argv[1], sys.argv[2]
failures = 0


def check(name, cond, why=""):
    global failures
    if cond:
        print("PASS: mcp-rpc: " + name)
    else:
        failures += 1
        print("FAIL: mcp-rpc: %s: %s" % (name, why))


def session(lines, args=(), timeout=60):
    """Send raw byte lines, close stdin, return (responses, rc, stderr)."""
    data = b"".join(l if isinstance(l, bytes) else l.encode() for l in lines)
    p = subprocess.run([MCP, *args, DB], input=data, capture_output=True, timeout=timeout)
    out = []
    for l in p.stdout.split(b"\n"):
        if l:
            out.append(json.loads(l))
    return out, p.returncode, p.stderr.decode(errors="replace")


def msg(id_, method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        m["id"] = id_
    if params is not None:
        m["params"] = params
    return json.dumps(m) + "\n"


INIT = msg(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "rpc.py", "version": "1"}})

# --- negotiation
r, rc, err = session([INIT, msg(None, "notifications/initialized"), msg(2, "ping")])
check("initialize answers", len(r) == 2 and r[0]["id"] == 1 and "result" in r[0], r)
check("known version echoed", r[0]["result"]["protocolVersion"] == "2025-06-18", r[0])
check("capabilities: tools and prompts", set(r[0]["result"]["capabilities"]) >= {"tools", "prompts"}, r[0])
check("serverInfo names the server", r[0]["result"]["serverInfo"]["name"] == "ingero-mcp", r[0])
check("notification gets no response; ping gets {}", r[1] == {"jsonrpc": "2.0", "id": 2, "result": {}}, r)
check("clean exit on EOF", rc == 0, rc)
check("logs only on stderr", "serving" in err, err)
r, _, _ = session([msg(1, "initialize", {"protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}})])
check("unknown version -> the server's latest", r[0]["result"]["protocolVersion"] == "2025-11-25", r)
r, _, _ = session([msg(1, "initialize", {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}),
                   msg(2, "tools/list")])
check("2024-11-05: no outputSchema", all("outputSchema" not in t for t in r[1]["result"]["tools"]), r[1])
r, _, _ = session([INIT, msg(2, "tools/list"), msg(3, "prompts/list")])
names = [t["name"] for t in r[1]["result"]["tools"]]
check("tools/list has the 11 tools", names == ["get_trace_stats", "get_causal_chains", "get_steps", "get_stacks", "get_timeline",
                                            "graph_lifecycle", "graph_frequency", "get_nodes", "run_sql", "get_check", "run_demo"], names)
check("2025-06-18: every tool has an outputSchema", all("outputSchema" in t for t in r[1]["result"]["tools"]), "")
check("prompt investigate listed", [p["name"] for p in r[2]["result"]["prompts"]] == ["investigate"], r[2])

# --- errors
def err_of(resp):
    return resp.get("error", {}).get("code")

r, rc, _ = session([INIT, "{bad json\n", "[1,2\n", '{"jsonrpc":"2.0","id":5,"method":"ping"} trailing\n', msg(9, "ping")])
check("malformed JSON -> -32700 with id null", [err_of(x) for x in r[1:4]] == [-32700] * 3 and r[1]["id"] is None, r)
check("server continues after parse errors", r[4] == {"jsonrpc": "2.0", "id": 9, "result": {}}, r)
r, _, _ = session([INIT, "42\n", '"x"\n', '{"id":3,"method":"ping"}\n', '{"jsonrpc":"2.0","id":4}\n',
                   '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n', '{"jsonrpc":"2.0","id":5,"method":7}\n'])
check("not a request -> -32600", [err_of(x) for x in r[1:]] == [-32600] * 6, [err_of(x) for x in r])
r, _, _ = session([INIT, msg(2, "resources/list"), msg(3, "no/such")])
check("unknown methods -> -32601", [err_of(x) for x in r[1:]] == [-32601, -32601], r)
r, _, _ = session([INIT, msg(2, "tools/call", {"name": "nope"}), msg(3, "tools/call", {}),
                   msg(4, "tools/call", {"name": "get_nodes", "arguments": [1]}), msg(5, "prompts/get", {"name": "nope"}),
                   '{"jsonrpc":"2.0","id":6,"method":"ping","params":3}\n'])
check("bad params -> -32602", [err_of(x) for x in r[1:]] == [-32602] * 5, [x.get("error") for x in r])
check("unknown tool suggests", "did you mean" in json.dumps(session([INIT, msg(2, "tools/call", {"name": "get_trace_stat"})])[0][1]), "")
r, _, _ = session([INIT, msg(2, "tools/call", {"name": "get_trace_stats", "arguments": {"limt": 3}}),
                   msg(3, "tools/call", {"name": "get_trace_stats", "arguments": {"limit": "x"}}),
                   msg(4, "tools/call", {"name": "get_timeline", "arguments": {}})])
check("bad tool arguments -> isError results the model can read",
      all(x["result"].get("isError") for x in r[1:]) and "did you mean 'limit'" in r[1]["result"]["content"][0]["text"], r)

# --- batches
r, _, _ = session([INIT, "[" + msg(2, "ping").strip() + "," + msg(None, "notifications/initialized").strip() + "," + msg(3, "ping").strip() + "]\n", "[]\n"])
check("batch answered as an array", isinstance(r[1], list) and [x["id"] for x in r[1]] == [2, 3], r)
check("empty batch -> -32600", err_of(r[2]) == -32600, r)

# --- limits
big = '{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":"' + "a" * 20000 + '"}}\n'
r, rc, _ = session([INIT, big, msg(8, "ping")], args=["--max-message", "4096"])
check("message over --max-message -> -32600, then the next one works",
      err_of(r[1]) == -32600 and "longer than" in r[1]["error"]["message"] and r[2]["id"] == 8, r)
r, rc, _ = session([INIT, "[" * 100000 + "\n", msg(3, "ping")])
check("100000-deep nesting -> -32700, no crash", err_of(r[1]) == -32700 and r[2]["id"] == 3 and rc == 0, (rc, r[:2]))
r, rc, _ = session([INIT, b'{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"\xff\xfe"}}\n', msg(3, "ping")])
check("invalid UTF-8 -> -32700", err_of(r[1]) == -32700 and r[2]["id"] == 3, r)
r, rc, _ = session([INIT, b'{"jsonrpc":"2.0","id":2,"method":"ping"}\x00\n'])
check("NUL byte in a message -> -32700", err_of(r[1]) == -32700, r)
r, rc, _ = session([INIT, "\n", "   \r\n", msg(2, "ping")])
check("blank lines ignored", len(r) == 2 and r[1]["id"] == 2, r)
many = [msg(i, "ping") for i in range(2, 5002)]
t0 = time.time()
r, rc, _ = session([INIT] + many)
check("5000 pinned pings answered in order", [x["id"] for x in r[1:]] == list(range(2, 5002)), len(r))
check("5000 pings in under 10 s", time.time() - t0 < 10, time.time() - t0)

# --- cancellation: a queued request cancelled before it runs gets no response
r, _, _ = session([INIT, msg(2, "tools/call", {"name": "get_trace_stats"}),
                   msg(None, "notifications/cancelled", {"requestId": 2, "reason": "test"}), msg(3, "ping")])
ids = [x.get("id") for x in r]
check("cancelled request gets no response (cancel queued behind it)", 2 not in ids and 3 in ids, ids)
slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"
p = subprocess.Popen([MCP, DB], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write((INIT + msg(2, "tools/call", {"name": "run_sql", "arguments": {"sql": slow, "timeout_s": 20}})).encode())
p.stdin.flush()
time.sleep(1.0)
t0 = time.time()
p.stdin.write((msg(None, "notifications/cancelled", {"requestId": 2}) + msg(3, "ping")).encode())
p.stdin.close()
out = [json.loads(l) for l in p.stdout.read().split(b"\n") if l]
p.wait(30)
check("a running run_sql is interrupted by notifications/cancelled",
      [x.get("id") for x in out] == [1, 3] and time.time() - t0 < 5, (out, time.time() - t0))

# --- abrupt EOF
r, rc, _ = session([INIT, '{"jsonrpc":"2.0","id":2,"meth'])
check("EOF inside a message -> -32700 and exit 0", err_of(r[-1]) == -32700 and rc == 0, (rc, r))
r, rc, _ = session([])
check("EOF before anything -> exit 0, no output", rc == 0 and r == [], (rc, r))
# reading stops, writing stops: the client closes stdout early
p = subprocess.Popen([MCP, DB], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdout.close()
try:
    p.stdin.write((INIT + msg(2, "ping")).encode() * 50)
    p.stdin.close()
except BrokenPipeError:
    pass
rc = p.wait(30)
check("client closing stdout -> the server exits without a signal", rc >= 0, rc)
sys.exit(0)
