#!/usr/bin/python3
"""Check ingero-metrics' OTLP output with Google's protobuf runtime.

usage: otlpcheck.py PYDIR INGERO_METRICS INGERO_SQL DB

PYDIR holds the Python modules protoc compiled from the reference OTLP
protos.  Parses every request of --format otlp-json (json_format.Parse,
strict) and otlp-proto (length-delimited), checks both decode to the same
messages, compares values with ingero-sql on the same DB (counts, histogram
counts / sums / buckets, snapshot gauges), checks the spans of --traces
against causal_chains, and POSTs to a loopback receiver (--otlp-endpoint),
including a receiver that answers 500.  Prints PASS/FAIL lines.
"""
import base64, http.server, json, os, struct, subprocess, sys, threading

PYDIR, TOOL, SQL, DB = sys.argv[1:5]
sys.path.insert(0, PYDIR)
from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as msvc  # noqa: E402
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tsvc  # noqa: E402

fails = 0
STEP = 1000000000


def result(ok, name, why=""):
    global fails
    if ok:
        print("PASS: otlp: " + name)
    else:
        fails += 1
        print("FAIL: otlp: %s%s" % (name, ": " + why if why else ""))


def sql(q):
    return json.loads(subprocess.run([SQL, "--json", DB, q], check=True, capture_output=True, text=True).stdout)


def run(*args):
    return subprocess.run([TOOL, DB] + list(args), capture_output=True, text=True)


def read_json(path, cls):
    out = []
    for line in open(path):
        m = cls()
        json_format.Parse(line, m)  # strict: unknown fields are errors
        out.append(m)
    return out


def read_proto(path, cls):
    data, off, out = open(path, "rb").read(), 0, []
    while off < len(data):
        (n,) = struct.unpack(">I", data[off:off + 4])
        m = cls()
        m.ParseFromString(data[off + 4:off + 4 + n])
        off += 4 + n
        out.append(m)
    result(off == len(data), "%s: length-delimited framing ends at the end of the file" % os.path.basename(path))
    return out


r1 = run("--format", "otlp-json", "--cluster", "c-1", "-o", "m.jsonl", "--traces", "t.jsonl")
r2 = run("--format", "otlp-proto", "--cluster", "c-1", "-o", "m.pb", "--traces", "t.pb")
result(r1.returncode == 0 and r2.returncode == 0, "otlp-json and otlp-proto written", r1.stderr + r2.stderr)
try:
    mj = read_json("m.jsonl", msvc.ExportMetricsServiceRequest)
    result(True, "every otlp-json line parses as ExportMetricsServiceRequest (%d)" % len(mj))
except Exception as e:  # noqa: BLE001
    result(False, "otlp-json parses", repr(e)[:300])
    sys.exit(1)
mp = read_proto("m.pb", msvc.ExportMetricsServiceRequest)
result(len(mp) > 0 and mj == mp, "otlp-proto and otlp-json decode to the same %d requests" % len(mp))

# index the points: (metric, node, attrs) -> {time: point}
pts, kinds, res_ok = {}, {}, True
for req in mp:
    for rm in req.resource_metrics:
        ra = {kv.key: kv.value.string_value for kv in rm.resource.attributes}
        res_ok &= ra.get("service.name") == "ingero" and ra.get("ingero.cluster.id") == "c-1"
        node = ra.get("ingero.node.id", "")
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                kinds[m.name] = (kind, m.unit)
                if kind == "sum":
                    res_ok &= m.sum.is_monotonic and m.sum.aggregation_temporality == 2
                for p in getattr(m, kind).data_points:
                    key = (m.name, node, tuple(sorted((kv.key, kv.value.string_value) for kv in p.attributes)))
                    pts.setdefault(key, {})[p.time_unix_nano] = p
result(res_ok, "resource attributes (service.name, ingero.node.id, ingero.cluster.id), cumulative monotonic sums")
result(kinds.get("gpu.cuda.operation.duration") == ("histogram", "us") and
       kinds.get("gpu.cuda.operation.count", ("",))[0] == "sum" and
       kinds.get("system.cpu.utilization", ("",))[0] == "gauge", "metric names, kinds and units", repr(kinds)[:300])


def points_at(name, t, keys):
    out = {}
    for (n, node, attrs), byt in pts.items():
        if n == name and t in byt:
            a = dict(attrs)
            out[(node,) + tuple(a.get(k, "") for k in keys)] = byt[t]
    return out


span = sql("SELECT min(timestamp) AS a, max(timestamp) AS b FROM events")[0]
t0 = span["a"] - span["a"] % STEP
last = (span["b"] - t0) // STEP
JOIN = ("FROM events e JOIN sources s ON s.id = e.source JOIN ops o ON o.source_id = e.source AND o.op_id = e.op")
bounds = None
for k in sorted({0, last // 2, last}):
    T = t0 + (k + 1) * STEP
    got = {kk: p.as_int for kk, p in points_at("gpu.cuda.operation.count", T, ("pid", "source", "operation")).items()}
    want = {(r["node"], str(r["pid"]), r["src"], r["op"]): r["n"] for r in
            sql("SELECT e.node, e.pid, s.name AS src, o.name AS op, count(*) AS n %s WHERE e.timestamp < %d "
                "GROUP BY 1, 2, 3, 4" % (JOIN, T))}
    result(got == want and want, "window %d: gpu.cuda.operation.count = SQL count(*) (%d series)" % (k, len(want)))
    hp = points_at("gpu.cuda.operation.duration", T, ("pid", "source", "operation"))
    got = {kk: (p.count, p.sum) for kk, p in hp.items()}
    want = {(r["node"], str(r["pid"]), r["src"], r["op"]): (r["n"], r["s"]) for r in
            sql("SELECT e.node, e.pid, s.name AS src, o.name AS op, count(*) AS n, sum(e.duration) / 1000.0 AS s "
                "%s WHERE e.duration > 0 AND e.timestamp < %d GROUP BY 1, 2, 3, 4" % (JOIN, T))}
    result(got == want and want, "window %d: histogram count and sum (us) = SQL (%d series)" % (k, len(want)))
    if hp:
        bounds = list(next(iter(hp.values())).explicit_bounds)
        cols = ", ".join("sum(e.duration <= %d) AS b%d" % (int(b * 1000), i) for i, b in enumerate(bounds))
        want = {}
        for r in sql("SELECT e.node, e.pid, s.name AS src, o.name AS op, count(*) AS n, %s %s WHERE e.duration > 0 "
                     "AND e.timestamp < %d GROUP BY 1, 2, 3, 4" % (cols, JOIN, T)):
            cum = [r["b%d" % i] for i in range(len(bounds))] + [r["n"]]
            want[(r["node"], str(r["pid"]), r["src"], r["op"])] = [c - (cum[i - 1] if i else 0) for i, c in enumerate(cum)]
        got = {kk: list(p.bucket_counts) for kk, p in hp.items()}
        result(got == want, "window %d: histogram buckets = SQL counts per bucket" % k)
    got = {kk: p.as_double for kk, p in points_at("system.cpu.utilization", T, ()).items()}
    want = {(r["node"],): r["v"] for r in sql(
        "SELECT s.node, s.cpu_pct / 100.0 AS v FROM system_snapshots s WHERE s.timestamp = (SELECT max(timestamp) "
        "FROM system_snapshots WHERE node = s.node AND timestamp < %d)" % T)}
    result(got == want, "window %d: system.cpu.utilization = SQL last snapshot" % k)

# --- traces
tj = read_json("t.jsonl", tsvc.ExportTraceServiceRequest)
tp = read_proto("t.pb", tsvc.ExportTraceServiceRequest)
spans_p = [s for r in tp for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
spans_j = [s for r in tj for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
# OTLP/JSON writes ids as hex; Google's json_format reads bytes as base64: re-encode to compare
ids_ok = len(spans_j) == len(spans_p) and all(
    base64.b64encode(a.trace_id).decode() == b.trace_id.hex() and base64.b64encode(a.span_id).decode() == b.span_id.hex()
    and a.name == b.name and a.start_time_unix_nano == b.start_time_unix_nano and a.attributes == b.attributes
    for a, b in zip(spans_j, spans_p))
result(ids_ok, "spans: JSON (hex ids) and protobuf agree (%d spans)" % len(spans_p))
chains = {r["id"]: r for r in sql("SELECT id, window_start AS s, window_end AS e, severity FROM causal_chains")}
got = {}
for s in spans_p:
    a = {kv.key: kv.value for kv in s.attributes}
    if "ingero.chain.id" in a:
        got[a["ingero.chain.id"].string_value] = (s.start_time_unix_nano, s.end_time_unix_nano,
                                                  a["ingero.severity"].string_value)
want = {i: (r["s"], r["e"], r["severity"]) for i, r in chains.items()}
result(got == want, "one span per causal chain, span window = the chain's window (%d)" % len(want))
nsteps = sql("SELECT (SELECT count(*) FROM step_findings) + (SELECT count(*) FROM steps WHERE slow != 0 OR "
             "outlier != '') AS n")[0]["n"]
result(len(spans_p) == len(want) + nsteps, "spans: chains + step findings + slow/outlier steps (%d)" % len(spans_p))
if nsteps:
    steps = {(r["pid"], str(r["stream"]), r["start"]): r for r in sql(
        "SELECT pid, stream, start, duration, outlier FROM steps WHERE slow != 0 OR outlier != ''")}
    got = {}
    for s in spans_p:
        a = {kv.key: kv.value for kv in s.attributes}
        if "ingero.infer.step_duration_ns" in a:
            got[(a["pid"].int_value, a["ingero.infer.stream_handle"].string_value, s.start_time_unix_nano)] = (
                s.end_time_unix_nano - s.start_time_unix_nano, a["ingero.infer.step_duration_ns"].int_value,
                a["ingero.infer.outlier_bucket"].string_value if "ingero.infer.outlier_bucket" in a else "")
    result(got == {k: (r["duration"], r["duration"], r["outlier"]) for k, r in steps.items()},
           "outlier/slow step spans: window = the step, ingero.infer.* attributes = steps")
result(all(len(s.trace_id) == 16 and len(s.span_id) == 8 and any(s.trace_id) for s in spans_p), "span ids: 16 + 8 bytes, non-zero")


# --- --otlp-endpoint: a loopback receiver
class Recv(http.server.BaseHTTPRequestHandler):
    got = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recv.got.append((self.path, self.headers["Content-Type"], body))
        self.send_response(Recv.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Recv)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % srv.server_address[1]
r = run("--format", "otlp-proto", "--cluster", "c-1", "--otlp-endpoint", url, "--traces", "t2.pb")
paths = [g[0] for g in Recv.got]
metrics_bodies = [g[2] for g in Recv.got if g[0] == "/v1/metrics"]
ok = r.returncode == 0 and paths.count("/v1/traces") == len(tp) and len(metrics_bodies) == len(mp) and \
    all(g[1] == "application/x-protobuf" for g in Recv.got)
result(ok, "--otlp-endpoint POSTs every request to /v1/metrics and /v1/traces", r.stderr + repr(paths)[:200])
posted = []
for b in metrics_bodies:
    m = msvc.ExportMetricsServiceRequest()
    m.ParseFromString(b)
    posted.append(m)
result(posted == mp, "the POSTed metrics are the file's requests")
Recv.got.clear()
r = run("--format", "otlp-json", "--otlp-endpoint", url + "/custom/path")
result(r.returncode == 0 and Recv.got and all(g[0] == "/custom/path" and g[1] == "application/json" for g in Recv.got),
       "--otlp-endpoint with a path posts there, JSON as application/json")
Recv.status = 500
r = run("--format", "otlp-json", "--otlp-endpoint", url)
result(r.returncode == 1 and "500" in r.stderr, "a collector answering 500 fails the run (exit 1)", r.stderr)
srv.shutdown()
srv.server_close()
r = run("--format", "otlp-json", "--otlp-endpoint", url)
result(r.returncode == 1 and "cannot connect" in r.stderr, "no collector listening: exit 1, says so", r.stderr)
sys.exit(1 if fails else 0)
