#!/usr/bin/env python3
"""Independent reader of the Ingero recording format, version 1.3 (1.0 to 1.2 too).

Written from docs/format.md only (Python 3 standard library): decompresses
with `zstd -dc`, decodes msgpack by hand and prints every record in the text
form of `ingero-dump --no-offsets`, so a test can check both agree.

usage: indep_reader.py FILE|DIR   (a segment file or a recording directory)
"""
import os
import re
import struct
import subprocess
import sys

M64 = (1 << 64) - 1

SOURCES = {1: "cuda", 3: "host", 4: "driver", 5: "io", 6: "tcp", 7: "net",
           8: "cuda_graph", 9: "nccl"}
OPS = {
    1: ["cudaMalloc", "cudaFree", "cudaLaunchKernel", "cudaMemcpy", "cudaStreamSync",
        "cudaDeviceSync", "cudaMemcpyAsync", "cudaMallocManaged", "cudaMemcpy2D",
        "cudaMemcpy2DAsync", "cudaMemcpyPeer", "cudaMemcpyPeerAsync"],
    3: ["sched_switch", "sched_wakeup", "mm_page_alloc", "oom_kill", "process_exec",
        "process_exit", "process_fork", None, None, "pod_restart", "pod_eviction",
        "pod_oom_kill", None, None, None, None, None, None, None,
        "mm_page_alloc_summary", "sched_switch_summary"],
    4: ["cuLaunchKernel", "cuMemcpy", "cuMemcpyAsync", "cuCtxSynchronize", "cuMemAlloc",
        "cuMemAllocManaged"],
    5: ["block_read", "block_write", "block_discard"],
    6: ["tcp_retransmit"],
    7: ["net_send", "net_recv"],
    8: ["graphBeginCapture", "graphEndCapture", "graphInstantiate", "graphLaunch"],
    9: ["CommInitRank", "CommDestroy", "AllReduce", "AllGather", "ReduceScatter", "Bcast",
         "Send", "Recv", "CommInitAll"],
}
KINDS = ["HEADER", "EVENT", "PROCESS", "THREAD", "MODULE", "SYMBOL", "STACK", "SYS", "GPU",
         "ANCHOR", "LOST", "FOOTER", "NODE", "FRAME", "CTX", "NOTE", "SAMPLING", "PYFRAME"]


class Bad(Exception):
    pass


class Msgpack:
    """Minimal msgpack decoder over bytes (ints, floats, str, bin, arrays, maps)."""

    def __init__(self, data):
        self.d = data
        self.p = 0

    def need(self, n):
        if self.p + n > len(self.d):
            raise Bad("truncated")

    def value(self):
        self.need(1)
        b = self.d[self.p]
        self.p += 1
        if b <= 0x7f:
            return b
        if b >= 0xe0:
            return b - 256
        if 0x80 <= b <= 0x8f:
            return self.map(b & 0x0f)
        if 0x90 <= b <= 0x9f:
            return self.array(b & 0x0f)
        if 0xa0 <= b <= 0xbf:
            return self.raw(b & 0x1f)
        fixed = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q",
                 0xd0: ">b", 0xd1: ">h", 0xd2: ">i", 0xd3: ">q", 0xca: ">f", 0xcb: ">d"}
        if b in fixed:
            f = fixed[b]
            n = struct.calcsize(f)
            self.need(n)
            v = struct.unpack_from(f, self.d, self.p)[0]
            self.p += n
            return v
        if b == 0xc0:
            return None
        if b in (0xc2, 0xc3):
            return b == 0xc3
        lens = {0xd9: ">B", 0xda: ">H", 0xdb: ">I", 0xc4: ">B", 0xc5: ">H", 0xc6: ">I"}
        if b in lens:
            return self.raw(self.length(lens[b]))
        if b in (0xdc, 0xdd):
            return self.array(self.length(">H" if b == 0xdc else ">I"))
        if b in (0xde, 0xdf):
            return self.map(self.length(">H" if b == 0xde else ">I"))
        ext = {0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}
        if b in ext:
            self.need(1 + ext[b])
            self.p += 1 + ext[b]
            return None
        if b in (0xc7, 0xc8, 0xc9):
            n = self.length({0xc7: ">B", 0xc8: ">H", 0xc9: ">I"}[b])
            self.need(1 + n)
            self.p += 1 + n
            return None
        raise Bad("bad type byte 0x%02x" % b)

    def length(self, f):
        n = struct.calcsize(f)
        self.need(n)
        v = struct.unpack_from(f, self.d, self.p)[0]
        self.p += n
        return v

    def raw(self, n):
        self.need(n)
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def array(self, n):
        if n > len(self.d) - self.p:
            raise Bad("array length beyond data")
        return [self.value() for _ in range(n)]

    def map(self, n):
        if 2 * n > len(self.d) - self.p:
            raise Bad("map length beyond data")
        out = {}
        for _ in range(n):
            k = self.value()
            out[bytes(k) if isinstance(k, (bytes, bytearray)) else k] = self.value()
        return out


def u(v, bits=64):
    if v is None:
        return 0
    if isinstance(v, float):
        v = int(v)
    return v & ((1 << bits) - 1)


def s(v, bits):
    x = u(v, bits)
    return x - (1 << bits) if x >> (bits - 1) else x


def esc(b):
    if b is None:
        b = b""
    out = bytearray(b'"')
    for c in b:
        if c in (0x22, 0x5c):
            out += b"\\" + bytes([c])
        elif c == 0x0a:
            out += b"\\n"
        elif c == 0x09:
            out += b"\\t"
        elif c < 0x20 or c == 0x7f:
            out += b"\\x%02x" % c
        else:
            out.append(c)
    return bytes(out + b'"')


def fl(v):
    return ("%.6f" % (0.0 if v is None else float(v))).encode()


class Printer:
    def __init__(self, out):
        self.out = out
        self.prev_end = 0
        self.node = 0
        self.tbits = 0
        self.node_gaps = False   # kind 65 in this frame: gaps per node (3.2)
        self.node_end = {}       # node -> end of its last event in the frame
        self.frame_base = 0

    def line(self, kind, fields):
        parts = [kind.encode(), b" node=%d" % self.node]
        for k, v in fields:
            parts.append(b" " + k.encode() + b"=" + v)
        self.out.write(b"".join(parts) + b"\n")

    def event(self, src, op, pid, tid, dts, dur, tail):
        """tail = cpu, stack_id, arg0..arg5, ret, flags (integers mod 2^64)"""
        dur &= M64
        if self.node_gaps:
            ts = (self.node_end.get(self.node, self.frame_base) + dts) & M64
            self.node_end[self.node] = (ts + dur) & M64
        else:
            ts = (self.prev_end + dts) & M64
            self.prev_end = (ts + dur) & M64
        names = OPS.get(src, [])
        name = names[op - 1] if 1 <= op <= len(names) and names[op - 1] else SOURCES.get(src, "?")
        fields = [("ts", b"%d" % ts), ("dur", b"%d" % dur), ("source", b"%d" % src),
                  ("op", b"%d" % op), ("name", esc(name.encode())),
                  ("pid", b"%d" % u(pid, 32)), ("tid", b"%d" % u(tid, 32))]
        fields += [("arg%d" % i, b"%d" % tail[2 + i]) for i in range(6)]
        fields += [("ret", b"%d" % s(tail[8], 32)), ("cpu", b"%d" % u(tail[0], 32)),
                   ("flags", b"%d" % u(tail[9], 16)), ("stack_id", b"%d" % tail[1])]
        self.line("EVENT", fields)

    def record(self, rec):
        if not isinstance(rec, list) or not rec or not isinstance(rec[0], int) or rec[0] < 0:
            raise Bad("record is not an array with a kind")
        kind = rec[0]
        f = rec[1:] + [None] * 20
        I = lambda v: b"%d" % u(v)
        if kind == 66:
            # 1.3 node event: [66, node, <packed event fields>] (section 3.4);
            # the event is node's, the CTX state stays as it is
            if len(rec) < 2 or not isinstance(rec[1], int) or not 0 <= rec[1] < (1 << 20):
                raise Bad("bad node event")
            ctx = self.node
            self.node = rec[1]
            try:
                self.record([64] + rec[2:])
            finally:
                self.node = ctx
            return
        if kind == 64:
            # 1.1 packed event: [64, source, op, pid, tid, tail..., T]
            m = len(rec) - 1
            if m < 5 or m > 17:
                raise Bad("bad packed event")
            v = [u(x) for x in rec[1:]]
            K = min(self.tbits, 64)
            mask = (1 << K) - 1
            T = v[-1]
            if T & mask == mask:
                if m < 7:
                    raise Bad("bad packed event")
                dts, dur, tail = v[-3], v[-2], v[4:-3]
            else:
                dts, dur, tail = T & mask, T >> K, v[4:-1]
            if len(tail) > 10:
                raise Bad("bad packed event")
            tail = tail + [0] * (10 - len(tail))
            self.event(v[0] & 0xFF, v[1] & 0xFF, v[2], v[3], dts, dur, tail)
            return
        if kind == 65:
            # per-node gaps for the rest of this frame (section 3.2)
            self.node_gaps = True
            return
        if kind >= 64:
            raise Bad("must-understand kind %d" % kind)
        if kind == 1:
            self.event(u(f[0], 8), u(f[1], 8), u(f[2]), u(f[3]), u(f[4]), u(f[5]),
                       [u(x) for x in f[6:16]])
        elif kind == 0:
            if f[0] != b"INGERO-REC" or u(f[1]) != 1:
                raise Bad("not an Ingero header / unsupported major")
            m = f[3] if isinstance(f[3], dict) else {}
            g = lambda k, d=None: m.get(k.encode(), d)
            self.node = 0
            self.line("HEADER", [
                ("major", I(f[1])), ("minor", I(f[2])), ("node_name", esc(g("node", b""))),
                ("host", esc(g("host", b""))), ("boot_id", esc(g("boot_id", b""))),
                ("kernel", esc(g("kernel", b""))), ("recorder", esc(g("recorder", b""))),
                ("cmdline", esc(g("cmdline", b""))), ("clock", esc(g("clock", b"boottime"))),
                ("start_ts", I(g("start_ts"))), ("segment", b"%d" % u(g("segment"), 32)),
                ("rank", b"%d" % s(g("rank", -1), 32)),
                ("anchor_boottime", I(g("anchor_boottime"))),
                ("anchor_realtime", I(g("anchor_realtime"))),
                ("anchor_monotonic", I(g("anchor_monotonic"))),
                ("anchor_error_ns", I(g("anchor_error_ns")))])
        elif kind == 2:
            n = len(rec) - 1
            d = lambda i, v: v if i < n else -1
            self.line("PROCESS", [("pid", b"%d" % u(f[0], 32)), ("ppid", b"%d" % u(f[1], 32)),
                                  ("uid", b"%d" % u(f[2], 32)), ("comm", esc(f[3])),
                                  ("cmdline", esc(f[4])),
                                  ("rank", b"%d" % s(d(5, f[5]), 32)),
                                  ("local_rank", b"%d" % s(d(6, f[6]), 32)),
                                  ("world_size", b"%d" % s(d(7, f[7]), 32)),
                                  ("cgroup_id", I(f[8])), ("start_ts", I(f[9]))])
        elif kind == 3:
            self.line("THREAD", [("tid", b"%d" % u(f[0], 32)), ("pid", b"%d" % u(f[1], 32)),
                                 ("name", esc(f[2]))])
        elif kind == 4:
            self.line("MODULE", [("id", I(f[0])), ("pid", b"%d" % u(f[1], 32)), ("start", I(f[2])),
                                 ("end", I(f[3])), ("file_offset", I(f[4])), ("path", esc(f[5])),
                                 ("build_id", esc(f[6]))])
        elif kind == 5:
            self.line("SYMBOL", [("id", I(f[0])), ("module_id", I(f[1])), ("offset", I(f[2])),
                                 ("name", esc(f[3]))])
        elif kind == 6:
            ips = (f[2] or [])[:64]
            syms = (f[3] or [])[:64] + [0] * 64
            offs = (f[4] or [])[:64] + [0] * 64
            fr = b",".join(b"%d:%d+%d" % (u(ips[i]), u(syms[i]), u(offs[i], 32))
                           for i in range(len(ips)))
            fields = [("id", I(f[0])), ("pid", b"%d" % u(f[1], 32)),
                      ("depth", b"%d" % len(ips)), ("frames", fr)]
            py = (f[5] or [])[:16]   # 1.2: PYFRAME ids, innermost first
            if py:
                fields.append(("py", b",".join(b"%d" % u(x) for x in py)))
            self.line("STACK", fields)
        elif kind == 7:
            self.line("SYS", [("ts", I(f[0])), ("cpu_pct", fl(f[1])), ("mem_pct", fl(f[2])),
                              ("mem_avail_mb", I(f[3])), ("swap_used_mb", I(f[4])),
                              ("load1", fl(f[5])), ("iowait_pct", fl(f[6])),
                              ("pgmajfault", I(f[7])), ("ctxt", I(f[8]))])
        elif kind == 8:
            self.line("GPU", [("ts", I(f[0])), ("index", b"%d" % u(f[1], 32)),
                              ("util_pct", fl(f[2])), ("mem_used_mb", I(f[3])),
                              ("mem_total_mb", I(f[4])), ("sm_clock_mhz", b"%d" % u(f[5], 32)),
                              ("mem_clock_mhz", b"%d" % u(f[6], 32)),
                              ("throttle_reasons", I(f[7])), ("temp_c", b"%d" % u(f[8], 32)),
                              ("power_w", fl(f[9]))])
        elif kind == 9:
            self.line("ANCHOR", [("boottime", I(f[0])), ("realtime", I(f[1])),
                                 ("monotonic", I(f[2])), ("error_ns", I(f[3]))])
        elif kind == 10:
            self.line("LOST", [("ts", I(f[0])), ("source", b"%d" % u(f[1], 8)),
                               ("count", I(f[2])), ("reason", b"%d" % u(f[3], 32))])
        elif kind == 11:
            self.line("FOOTER", [("events", I(f[0])), ("min_ts", I(f[1])), ("max_ts", I(f[2])),
                                 ("lost", I(f[3]))])
        elif kind == 12:
            n = len(rec) - 1
            self.line("NODE", [("index", b"%d" % u(f[0], 32)), ("name", esc(f[1])),
                               ("host", esc(f[2])), ("boot_id", esc(f[3])),
                               ("rank", b"%d" % s(f[4] if n > 4 else -1, 32)),
                               ("offset_ns", b"%d" % s(f[5], 64)), ("drift_ppb", fl(f[6])),
                               ("ref_ts", I(f[7])), ("method", esc(f[8])),
                               ("confidence_ns", fl(f[9])), ("samples", I(f[10]))])
        elif kind == 13:
            self.prev_end = u(f[1])
            self.frame_base = u(f[1])
            self.node_gaps = False
            self.node_end = {}
            self.tbits = u(f[2])   # 1.1: width of the gap in packed events
            self.node = 0
            self.line("FRAME", [("seq", I(f[0])), ("base_ts", I(f[1]))])
        elif kind == 14:
            self.node = u(f[0], 32)
            self.line("CTX", [("ctx_node", b"%d" % self.node)])
        elif kind == 15:
            self.line("NOTE", [("ts", I(f[0])), ("level", b"%d" % u(f[1], 32)),
                               ("text", esc(f[2]))])
        elif kind == 16:
            self.line("SAMPLING", [("ts", I(f[0])), ("pid", b"%d" % u(f[1], 32)),
                                   ("source", b"%d" % u(f[2], 8)), ("op", b"%d" % u(f[3], 8)),
                                   ("rate", b"%d" % u(f[4], 32))])
        elif kind == 17:
            self.line("PYFRAME", [("id", I(f[0])), ("pid", b"%d" % u(f[1], 32)),
                                  ("file", esc(f[2])), ("function", esc(f[3])),
                                  ("line", b"%d" % u(f[4], 32))])
        # other kinds < 64: skipped


def segments(path):
    if os.path.isdir(path):
        names = [n for n in os.listdir(path) if re.fullmatch(r"seg-\d+\.igz", n)]
        names.sort(key=lambda n: (int(n[4:-4]), n))
        return [os.path.join(path, n) for n in names]
    return [path]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    pr = Printer(sys.stdout.buffer)
    for seg in segments(sys.argv[1]):
        data = subprocess.run(["zstd", "-dc", seg], stdout=subprocess.PIPE, check=True).stdout
        mp = Msgpack(data)
        pr.node = 0
        while mp.p < len(data):
            pr.record(mp.value())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Bad as e:
        sys.stderr.write("indep_reader: %s\n" % e)
        sys.exit(1)
