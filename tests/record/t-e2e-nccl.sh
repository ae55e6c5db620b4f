#!/usr/bin/env bash
# End-to-end: NCCL (--nccl).  wl-nccl --spawn 2 execs two ranks (RANK,
# LOCAL_RANK, WORLD_SIZE in their environment) that run collectives on one
# fake communicator.  Checks comm hash agreement, per-communicator sequence
# numbers, rank/nranks, count, datatype/op/peer, and the ranks' process
# records.
. "$TESTS/lib.sh"
. "$TESTS/record/e2e-lib.sh"
e2e_ready e2e-nccl || exit 0
"$REC" record --help 2>&1 | grep -q -- '--nccl' || { skip "e2e-nccl: recorder has no --nccl"; exit 0; }

export FAKECUDA_LAT="*=0,ncclAllReduce=3000,cudaStreamSynchronize=1000"
wl_start wl-nccl "$T_OUT/wl.out" --spawn 2 --iters 5 --linger-ms 500 ||
	{ fail "e2e-nccl: workload did not start"; exit 0; }
rec_start "$T_OUT/rec" "$T_OUT/rec.err" --pid "$WL_PID" --no-io --nccl --scan-interval 1
# on a loaded machine the recorder's start takes seconds: wait for libnccl's probes
wait_for "$T_OUT/rec.err" 'attached [0-9]+ probes to .*libnccl' 20 ||
	{ fail "e2e-nccl: recorder did not attach to libnccl"; exit 0; }
kill -USR1 "$WL_PID"; wait "$WL_PID"; WL_PID=
sleep 0.3
rec_stop
dump_json "$T_OUT/rec" "$T_OUT/d.json" || { fail "e2e-nccl: dump failed"; exit 0; }
python3 - "$T_OUT/d.json" "$T_OUT/wl.out" <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["TESTS"], "record"))
from e2e_lib import *
r, w = Rec(sys.argv[1]), Wl(sys.argv[2])
ranks = {}
for l in w.lines:
    p = l.split()
    if p[0] == "rank" and len(p) == 4:
        ranks[int(p[1])] = int(p[3])
T.check("e2e-nccl: two ranks", len(ranks) == 2, "ranks %s" % ranks)
hashes = set()
ar_seq = {}
for rk, pid in sorted(ranks.items()):
    AR = sorted(r.ev("ncclAllReduce", pid), key=lambda e: e["ts"])
    T.check("e2e-nccl: rank %d AllReduce x5" % rk, len(AR) == 5, "%d" % len(AR))
    T.check("e2e-nccl: rank %d AllReduce count/dtype/op" % rk,
            AR and all(e["arg1"] == 262144 and e["arg4"] & 0xff == 7 and (e["arg4"] >> 8) & 0xff == 0
                       for e in AR), "args %s" % [(e["arg1"], hex(e["arg4"])) for e in AR[:2]])
    T.check("e2e-nccl: rank %d rank|nranks" % rk, AR and all(e["arg3"] == rk | 2 << 32 for e in AR),
            "arg3 %s" % sorted({hex(e["arg3"]) for e in AR}))
    T.check("e2e-nccl: rank %d AllReduce ~3 ms" % rk, AR and all(3e6 <= e["dur"] < 20e6 for e in AR),
            "durs(us) %s" % [e["dur"] // 1000 for e in AR])
    seqs = [e["arg2"] for e in AR]
    T.check("e2e-nccl: rank %d sequence increases" % rk, seqs and seqs[0] >= 1 and
            all(b > a for a, b in zip(seqs, seqs[1:])), "seqs %s" % seqs)
    ar_seq[rk] = seqs
    hashes |= {e["arg0"] for e in AR}
    for op, dt, red in (("ncclAllGather", 9, None), ("ncclReduceScatter", 7, 2), ("ncclBroadcast", 0, None)):
        E = r.ev(op, pid)
        T.check("e2e-nccl: rank %d %s x5 dtype %d" % (rk, op, dt),
                len(E) == 5 and all(e["arg4"] & 0xff == dt for e in E) and
                (red is None or all((e["arg4"] >> 8) & 0xff == red for e in E)),
                "%d events, arg4 %s" % (len(E), sorted({hex(e["arg4"]) for e in E})))
    for op in ("ncclSend", "ncclRecv"):
        E = r.ev(op, pid)
        T.check("e2e-nccl: rank %d %s peer %d" % (rk, op, rk ^ 1),
                len(E) == 5 and all((e["arg4"] >> 16) & 0xffff == (rk ^ 1) + 1 and e["arg1"] == 4096
                                    for e in E), "%d events, arg4 %s" % (len(E), sorted({hex(e["arg4"]) for e in E})))
    T.check("e2e-nccl: rank %d CommInitRank" % rk, len(r.ev("ncclCommInitRank", pid)) == 1,
            "%d" % len(r.ev("ncclCommInitRank", pid)))
    p = r.procs.get(pid, {})
    T.check("e2e-nccl: rank %d process rank/world_size from env" % rk,
            p.get("rank") == rk and p.get("local_rank") == rk and p.get("world_size") == 2, "record %s" % p)
T.check("e2e-nccl: both ranks agree on the comm hash", len(hashes) == 1 and 0 not in hashes,
        "hashes %s" % [hex(h) for h in hashes])
T.check("e2e-nccl: k-th AllReduce has the same sequence on both ranks",
        len(ar_seq) == 2 and ar_seq[0] == ar_seq[1], "seqs %s" % ar_seq)
T.done()
PY
