#!/usr/bin/env python3
"""Check ingero-metrics' OpenMetrics output through Prometheus itself.

usage: promq.py INGERO_SQL DB PROM_URL STEP_S

Every value is read back from a running Prometheus (over its HTTP API, from
blocks made by `promtool tsdb create-blocks-from openmetrics`) and compared
with what ingero-sql computes on the same analysis DB for the same windows:
counts and sums (everything that started before the window's end), the
window's exact nearest-rank percentiles, and the last snapshot before it.
Prints PASS/FAIL lines.
"""
import json, subprocess, sys, urllib.parse, urllib.request

SQL, DB, URL, STEP = sys.argv[1], sys.argv[2], sys.argv[3], int(float(sys.argv[4]) * 1e9)
fails = 0


def sql(q):
    out = subprocess.run([SQL, "--json", DB, q], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def prom(q, t_ns):
    u = URL + "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "%.3f" % (t_ns / 1e9)})
    d = json.load(urllib.request.urlopen(u, timeout=30))
    assert d["status"] == "success", d
    return d["data"]


NODES = None  # the DB's nodes: the TSDB may hold other recordings too


def vec(q, t_ns, keys):
    """instant vector -> {label tuple: float}"""
    r = {}
    for s in prom(q, t_ns)["result"]:
        m = s["metric"]
        if m.get("node") not in NODES:
            continue
        r[tuple(str(m.get(k, "")) for k in keys)] = float(s["value"][1])
    return r


def at_exactly(q, t_ns, keys, extra=None):
    """samples dated exactly t_ns (range selector shorter than the step)"""
    r = {}
    for s in prom("%s[500ms]" % q, t_ns)["result"]:
        m = s["metric"]
        if m.get("node") not in NODES:
            continue
        for ts, v in s["values"]:
            if round(float(ts) * 1000) == t_ns // 1000000:
                r[tuple(str(m.get(k, "")) for k in keys)] = float(v)
    return r


def check(name, got, want):
    global fails
    if got == want and want:
        print("PASS: %s (%d series)" % (name, len(want)))
        return
    fails += 1
    print("FAIL: %s" % name)
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("  | %s: prometheus %s, sql %s" % (k, got.get(k), want.get(k)))
            break
    if not want:
        print("  | sql returned nothing")


def rows(q, n):
    """{first n columns as strings: column n}; columns need distinct names"""
    return {tuple(str(r[c]) for c in list(r)[:n]): r[list(r)[n]] for r in sql(q)}


NODES = {r["node"] for r in sql("SELECT DISTINCT node FROM events")}
span = sql("SELECT min(timestamp) AS a, max(timestamp) AS b FROM events")[0]
t0 = span["a"] - span["a"] % STEP
last = (span["b"] - t0) // STEP
for k in sorted({0, last // 2, last}):
    T = t0 + (k + 1) * STEP
    A = T - STEP
    tag = "window %d" % k
    K = ("node", "pid", "source", "operation")
    want = rows("SELECT e.node, e.pid, s.name AS src, o.name AS op, count(*) FROM events e JOIN sources s ON s.id = e.source "
                "JOIN ops o ON o.source_id = e.source AND o.op_id = e.op WHERE e.timestamp < %d "
                "GROUP BY 1, 2, 3, 4" % T, 4)
    check("count per op = SQL count(*) at " + tag, vec("gpu_cuda_operation_count", T, K), want)
    for p, pm in (("p50", 500), ("p95", 950), ("p99", 990)):
        want = rows("WITH w AS (SELECT e.node, e.pid, s.name AS src, o.name AS op, e.duration AS d, "
                    "row_number() OVER (PARTITION BY e.node, e.pid, e.source, e.op ORDER BY e.duration) AS rn, "
                    "count(*) OVER (PARTITION BY e.node, e.pid, e.source, e.op) AS n FROM events e "
                    "JOIN sources s ON s.id = e.source JOIN ops o ON o.source_id = e.source AND o.op_id = e.op "
                    "WHERE e.duration > 0 AND e.timestamp >= %d AND e.timestamp < %d) "
                    "SELECT node, pid, src, op, max(CASE WHEN rn = (n * %d + 999) / 1000 THEN d END) / 1000.0 "
                    "FROM w GROUP BY 1, 2, 3, 4" % (A, T, pm), 4)
        check("%s per op = SQL nearest rank over the window, %s" % (p, tag),
              at_exactly('gpu_cuda_operation_duration_microseconds{percentile="%s"}' % p, T, K), want)
    want = rows("SELECT e.node, e.pid, CASE e.arg1 WHEN 0 THEN 'h2h' WHEN 1 THEN 'h2d' WHEN 2 THEN 'd2h' "
                "WHEN 3 THEN 'd2d' ELSE 'unknown' END, sum(e.arg0) FROM events e JOIN ops o "
                "ON o.source_id = e.source AND o.op_id = e.op WHERE o.name LIKE '%%memcpy%%' AND e.timestamp < %d "
                "GROUP BY 1, 2, 3" % T, 3)
    if want:
        check("memcpy bytes = SQL sum(arg0) at " + tag, vec("gpu_memcpy_bytes_total", T, ("node", "pid", "direction")), want)
    want = rows("SELECT e.node, e.pid, CASE e.arg1 WHEN 0 THEN 'h2h' WHEN 1 THEN 'h2d' WHEN 2 THEN 'd2h' "
                "WHEN 3 THEN 'd2d' ELSE 'unknown' END, sum(e.duration) / 1e6 FROM events e JOIN ops o "
                "ON o.source_id = e.source AND o.op_id = e.op WHERE o.name LIKE '%%memcpy%%' AND e.timestamp < %d "
                "GROUP BY 1, 2, 3" % T, 3)
    if want:
        check("memcpy duration histogram sum (ms) = SQL at " + tag,
              vec("gpu_memcpy_duration_ms_sum", T, ("node", "pid", "direction")), want)
        want = rows("SELECT e.node, e.pid, CASE e.arg1 WHEN 0 THEN 'h2h' WHEN 1 THEN 'h2d' WHEN 2 THEN 'd2h' "
                    "WHEN 3 THEN 'd2d' ELSE 'unknown' END, sum(e.duration <= 1000000) FROM events e JOIN ops o "
                    "ON o.source_id = e.source AND o.op_id = e.op WHERE o.name LIKE '%%memcpy%%' AND e.timestamp < %d "
                    "GROUP BY 1, 2, 3" % T, 3)
        check("memcpy duration bucket le=1ms = SQL at " + tag,
              vec('gpu_memcpy_duration_ms_bucket{le="1"}', T, ("node", "pid", "direction")), want)
    want = rows("SELECT s.node, s.gpu, s.mem_used_mb * 1048576 FROM gpu_snapshots s WHERE s.timestamp = "
                "(SELECT max(timestamp) FROM gpu_snapshots WHERE node = s.node AND gpu = s.gpu AND timestamp < %d)" % T, 2)
    if want:
        check("GPU memory used = SQL last snapshot at " + tag, vec("gpu_memory_used_bytes", T, ("node", "gpu")), want)
    want = rows("SELECT node, pid, CASE WHEN prev_state = 0 THEN 'preempted' WHEN prev_state < 0 THEN 'unknown' "
                "ELSE 'blocked' END, sum(duration) / 1e9 FROM offcpu WHERE start < %d GROUP BY 1, 2, 3" % T, 3)
    if want:
        check("off-CPU seconds = SQL sum(duration) at " + tag,
              vec("ingero_process_offcpu_time_seconds_total", T, ("node", "pid", "state")), want)
    want = rows("SELECT s.node, s.cpu_pct / 100.0 FROM system_snapshots s WHERE s.timestamp = "
                "(SELECT max(timestamp) FROM system_snapshots WHERE node = s.node AND timestamp < %d)" % T, 1)
    if want:
        check("cpu utilization = SQL last snapshot at " + tag, vec("system_cpu_utilization", T, ("node",)), want)
    want = rows("SELECT COALESCE(node, ''), severity, count(*) FROM causal_chains WHERE detected_at < %d "
                "GROUP BY 1, 2" % T, 2)
    if want:
        check("anomaly count = SQL chains at " + tag, vec("ingero_anomaly_count", T, ("node", "severity")), want)
    want = rows("SELECT n.node, n.op_name, n.rank, count(*) FROM (SELECT c.node, o.name AS op_name, c.rank "
                "FROM nccl_collectives c JOIN ops o ON o.source_id = 9 AND o.op_id = c.op WHERE c.start < %d) n "
                "GROUP BY 1, 2, 3" % T, 3)
    if want:
        check("NCCL collective count = SQL at " + tag, vec("gpu_nccl_collective_count", T, ("node", "op_type", "rank")), want)
        want = rows("SELECT c.node, o.name AS op_type, c.rank, sum(c.duration) / 1e6 FROM nccl_collectives c JOIN ops o "
                    "ON o.source_id = 9 AND o.op_id = c.op WHERE c.start < %d GROUP BY 1, 2, 3" % T, 3)
        check("NCCL duration histogram sum (ms) = SQL at " + tag,
              vec("nccl_collective_duration_ms_sum", T, ("node", "op_type", "rank")), want)
        want = rows("SELECT c.node, o.name AS op_type, c.rank, sum(c.count * CASE c.datatype WHEN 0 THEN 1 WHEN 1 THEN 1 "
                    "WHEN 2 THEN 4 WHEN 3 THEN 4 WHEN 4 THEN 8 WHEN 5 THEN 8 WHEN 6 THEN 2 WHEN 7 THEN 4 WHEN 8 THEN 8 "
                    "WHEN 9 THEN 2 ELSE 1 END) FROM nccl_collectives c JOIN ops o ON o.source_id = 9 AND o.op_id = c.op "
                    "WHERE c.start < %d AND c.datatype BETWEEN 0 AND 11 GROUP BY 1, 2, 3" % T, 3)
        check("NCCL bytes = SQL count x datatype size at " + tag,
              vec("gpu_nccl_collective_bytes_total", T, ("node", "op_type", "rank")), want)
    if sql("SELECT count(*) AS n FROM steps")[0]["n"]:
        K = ("node", "pid", "stream_handle", "phase")
        G = "FROM steps WHERE start < %d GROUP BY node, pid, stream, phase" % T
        check("step histogram count = SQL count(*) at " + tag, vec("ingero_infer_step_duration_ns_count", T, K),
              rows("SELECT node, pid, stream, phase, count(*) " + G, 4))
        check("step histogram sum = SQL sum(duration) at " + tag, vec("ingero_infer_step_duration_ns_sum", T, K),
              rows("SELECT node, pid, stream, phase, sum(duration) " + G, 4))
        check("step histogram bucket le=25ms = SQL at " + tag,
              vec('ingero_infer_step_duration_ns_bucket{le="25000000"}', T, K),
              rows("SELECT node, pid, stream, phase, sum(duration <= 25000000) " + G, 4))
        want = rows("SELECT node, pid, stream, phase, outlier, count(*) FROM steps WHERE outlier != '' AND start < %d "
                    "GROUP BY 1, 2, 3, 4, 5" % T, 5)
        if want:
            check("step outliers per bucket = SQL at " + tag, vec("ingero_infer_outlier_total", T, K + ("bucket",)), want)
        check("step baseline p95 = step_baselines at " + tag, vec("ingero_infer_baseline_p95_ns", T, K),
              rows("SELECT b.node, b.pid, b.stream, b.phase, b.p95 FROM step_baselines b JOIN (SELECT node, pid, "
                   "stream, phase, min(start) AS f FROM steps GROUP BY 1, 2, 3, 4) s USING (node, pid, stream, phase) "
                   "WHERE s.f < %d" % T, 4))
sys.exit(1 if fails else 0)
