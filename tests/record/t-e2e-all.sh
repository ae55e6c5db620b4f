#!/usr/bin/env bash
# End-to-end: every probed CUDA runtime, graph and driver function, called by
# wl-all with distinctive arguments and known latencies, recorded by the real
# recorder: counts, pid/tid, arguments, return codes, durations, stacks.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-all || exit 0

export FAKECUDA_LAT="*=0,cudaStreamSynchronize=20000,cudaMemcpy=10000,cudaMalloc=5000,cuCtxSynchronize=15000"
wl_start wl-all "$T_OUT/wl.out" --iters 3 || { fail "e2e-all: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io
if ! rec_attached "$T_OUT/rec.err"; then
	fail "e2e-all: recorder did not attach"; tail -5 "$T_OUT/rec.err"; exit 0
fi
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop; rc=$?
eq "e2e-all: recorder clean exit" "$rc" 0
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-all: dump failed: $(head -3 "$T_OUT/d.json.err")"; exit 0; }

python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
pid, tid = w.pid, w.tids[0]
ms = 1000000
probed = ["cudaMalloc", "cudaFree", "cudaLaunchKernel", "cudaMemcpy", "cudaMemcpyAsync",
          "cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaMallocManaged",
          "cudaMemcpy2D", "cudaMemcpy2DAsync", "cudaMemcpyPeer", "cudaMemcpyPeerAsync",
          "cudaStreamBeginCapture", "cudaStreamEndCapture", "cudaGraphInstantiate",
          "cudaGraphLaunch", "cuLaunchKernel", "cuMemcpy", "cuMemcpyAsync",
          "cuCtxSynchronize", "cuMemAlloc_v2", "cuMemAllocManaged"]
for op in probed:
    ev = r.ev(op, pid=pid)
    want = w.calls.get(op, 0)
    T.check("e2e-all: %s count" % op, len(ev) == want and want > 0,
            "recorded %d, workload made %d" % (len(ev), want))
    T.check("e2e-all: %s pid/tid" % op, ev and all(e["tid"] == tid for e in ev),
            "tids %s, want %d" % (sorted(set(e["tid"] for e in ev)), tid))
    T.check("e2e-all: %s returns 0" % op, ev and all(e["ret"] == 0 for e in ev),
            "ret %s" % sorted(set(e["ret"] for e in ev)))

def first(op):
    ev = r.ev(op, pid=pid)
    return ev[0] if ev else {"arg%d" % i: None for i in range(6)} | {"dur": 0, "stack_id": 0}

def args(name, op, want):
    e = first(op)
    got = {k: e["arg%d" % k] for k in want}
    T.check("e2e-all: %s args" % name, got == want, "got %s want %s" % (got, want))

a = w.args
stream = num(a["cudaLaunchKernel"]["stream"])
args("cudaMalloc size", "cudaMalloc", {0: 123456})
T.check("e2e-all: cudaMalloc returned device pointer",
        all((e["arg1"] or 0) >= 0x7e0000000000 for e in r.ev("cudaMalloc", pid=pid)) and
        len(set(e["arg1"] for e in r.ev("cudaMalloc", pid=pid))) == 3,
        "arg1 %s" % [hex(e["arg1"]) for e in r.ev("cudaMalloc", pid=pid)])
args("cudaMallocManaged size", "cudaMallocManaged", {0: 654321})
args("cudaLaunchKernel func+stream", "cudaLaunchKernel",
     {0: num(a["cudaLaunchKernel"]["func"]), 1: stream})
args("cudaMemcpy bytes+kind", "cudaMemcpy", {0: 4096, 1: 1})
args("cudaMemcpyAsync bytes+kind+stream", "cudaMemcpyAsync", {0: 8192, 1: 2, 2: stream})
args("cudaMemcpy2D bytes+kind", "cudaMemcpy2D", {0: 4096, 1: 3})
args("cudaMemcpy2DAsync bytes+kind+stream", "cudaMemcpy2DAsync", {0: 1024, 1: 1, 2: stream})
args("cudaMemcpyPeer bytes", "cudaMemcpyPeer", {0: 65536})
args("cudaMemcpyPeerAsync bytes+stream", "cudaMemcpyPeerAsync", {0: 32768, 2: stream})
args("cudaStreamSynchronize stream", "cudaStreamSynchronize", {0: stream})
g = a["cudaGraphLaunch"]
args("cudaStreamBeginCapture stream+mode", "cudaStreamBeginCapture", {0: stream, 3: 1})
args("cudaStreamEndCapture stream+graph", "cudaStreamEndCapture", {0: stream, 1: num(g["graph"])})
args("cudaGraphInstantiate graph+exec", "cudaGraphInstantiate",
     {1: num(g["graph"]), 2: num(g["exec"])})
args("cudaGraphLaunch stream+exec", "cudaGraphLaunch", {0: stream, 2: num(g["exec"])})
args("cuMemAlloc_v2 size", "cuMemAlloc_v2", {0: 222222})
args("cuMemAllocManaged size", "cuMemAllocManaged", {0: 333333})
args("cuLaunchKernel func+stream", "cuLaunchKernel", {0: 0xf00d0000, 1: stream})
args("cuMemcpy bytes", "cuMemcpy", {0: 12288})
args("cuMemcpyAsync bytes+stream", "cuMemcpyAsync", {0: 16384, 2: stream})

# durations: the configured latency, plus at most the probe and wakeup cost
for op, lat in [("cudaStreamSynchronize", 20), ("cudaMemcpy", 10), ("cudaMalloc", 5),
                ("cuCtxSynchronize", 15)]:
    d = [e["dur"] for e in r.ev(op, pid=pid)]
    T.check("e2e-all: %s duration ~%d ms" % (op, lat),
            d and all(lat * ms <= x <= lat * ms * 1.5 + 5 * ms for x in d),
            "durations (us) %s" % [x // 1000 for x in d])
d = [e["dur"] for e in r.ev("cudaLaunchKernel", pid=pid)]
T.check("e2e-all: zero-latency launch is short", d and all(0 < x < 2 * ms for x in d),
        "durations (ns) %s" % d)

# one thread's calls never overlap
cuda = sorted([e for e in r.events if e["source"] in (1, 4, 8) and e["tid"] == tid],
              key=lambda e: e["ts"])
bad = [(p["name"], q["name"]) for p, q in zip(cuda, cuda[1:]) if p["ts"] + p["dur"] > q["ts"]]
T.check("e2e-all: calls of one thread do not overlap", cuda and not bad, "overlaps %s" % bad[:3])

# stacks resolve to the workload's own functions, immediate caller included
for op, fn in [("cudaMalloc", "runtime_ops"), ("cudaGraphLaunch", "graph_ops"),
               ("cuMemAlloc_v2", "driver_ops"), ("cudaStreamSynchronize", "runtime_ops")]:
    names = r.stack_names(first(op))
    T.check("e2e-all: %s stack has main" % op, "main" in names, "stack %s" % names)
    T.check("e2e-all: %s stack has its caller %s" % (op, fn), fn in names, "stack %s" % names)
T.done()
PY

# the real recording through a support bundle: the reader gets the same records
if "$REC" bundle -o "$T_OUT/b.tar.zst" "$T_OUT/rec" 2>"$T_OUT/b.err"; then
	a=$("$DUMP" --summary "$T_OUT/rec" 2>/dev/null | grep -E '^segments:')
	b=$("$DUMP" --summary "$T_OUT/b.tar.zst" 2>/dev/null | grep -E '^segments:')
	if [ -n "$a" ]; then eq "e2e-all: bundle reads back like the directory" "$b" "$a"; else
		fail "e2e-all: summary of the recording failed"; fi
else
	fail "e2e-all: bundle failed: $(head -2 "$T_OUT/b.err")"
fi
