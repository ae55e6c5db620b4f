#!/usr/bin/python3
"""Add a deterministic engine-v2 fixture (steps, step_baselines,
step_findings as in the steps contract) to a copy of an analysis DB, for the
step/inference series and spans of ingero-metrics while the engine's own
step detection is not there to produce them.

usage: stepsfix.py IN.db OUT.db
"""
import shutil, sqlite3, sys

shutil.copyfile(sys.argv[1], sys.argv[2])
db = sqlite3.connect(sys.argv[2])
node, t0, t1 = db.execute("SELECT node, min(timestamp), max(timestamp) FROM events").fetchone()
for t in ("steps", "step_baselines", "step_findings"):
    db.execute("DELETE FROM " + t)
workloads = [(4242, 0, "step", 20_000_000), (4242, 0x7f00aa, "decode", 3_000_000)]
sid = 0
for pid, stream, phase, base in workloads:
    n = 150
    durs = []
    for i in range(n):
        d = base + (i * 7919) % (base // 5)            # spread around the base
        if i % 37 == 36:
            d = base * (4 if i % 2 else 2)             # a few slow ones
        durs.append(d)
    hist = sorted(durs[5:])
    p95 = hist[(len(hist) * 95 + 99) // 100 - 1]
    for i, d in enumerate(durs):
        sid += 1
        start = t0 + i * (t1 - t0) // n
        outl = "" if phase != "decode" else ("3x" if d >= 3 * p95 else "2x" if d >= 2 * p95 else "1.5x" if d >= 1.5 * p95 else "")
        db.execute("INSERT INTO steps (id, node, pid, tid, stream, step, start, duration, boundary_op, phase, warmup, "
                   "slow, outlier) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (sid, node, pid, pid, stream, i, start, d, "cudaStreamSync", phase, int(i < 5), int(d > 1.5 * p95), outl))
        if i == 36:
            db.execute("INSERT INTO step_findings (id, kind, severity, node, pid, stream, step_id, start, duration, "
                       "lost_ns, impact_share, summary, root_cause) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       ("%s:slow_step-%d" % (node, sid), "slow_step", "LOW", node, pid, stream, sid, start, d,
                        d - base, 0.01, "step %d took %d ns" % (i, d), "fixture"))
    db.execute("INSERT INTO step_baselines VALUES (?,?,?,?,?,?,?,?,?)",
               (node, pid, stream, phase, n, 5, hist[len(hist) // 2], p95, sum(hist) // len(hist)))
db.commit()
db.close()
