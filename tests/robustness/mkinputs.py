#!/usr/bin/env python3
"""Hostile / damaged inputs for the cross-tool robustness tests.

usage: mkinputs.py GOOD_SEGMENT OUTDIR

Writes into OUTDIR (every file deterministic, fixed seed):
  empty.igz random.igz text.igz data.json notingero.db emptydir/
  trunc-1.igz trunc-hdr.igz trunc-mid.igz trunc-last.igz flip.igz
  junk.igz (valid zstd, content not msgpack)
  huge-arr.igz huge-str.igz huge-map.igz (bare hostile msgpack in a valid frame)
  hdr-huge-arr.igz hdr-huge-str.igz hdr-huge-bin.igz (valid header frame, then
      an event frame whose record claims 4 G elements / a 4 GiB string)
  hostile.tar hostile.tar.gz (members ../x.igz and /abs.igz)
  nonseg.tar (README.txt + a segment), onlynonseg.tar (README.txt only)
  huge.igz huge0.igz (well-formed, values near UINT64_MAX, pid 0xFFFFFFFF,
      negative deltas wrapping below 0)
  longcall.igz (one call of 10^18 ns), farapart.igz (two events 10^18 ns apart)
and prints 'frames=O1,O2,... mid=M' for the good segment.
Needs the zstd command line tool (python has no zstd module here).
"""
import io, os, random, sqlite3, struct, subprocess, sys, tarfile

MAGIC = b"\x28\xb5\x2f\xfd"


# --- minimal msgpack encoder (only what we need) ---------------------------
def mp(v):
    if v is None:
        return b"\xc0"
    if isinstance(v, bool):
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v >= 0:
            if v < 1 << 8: return b"\xcc" + struct.pack(">B", v)
            if v < 1 << 16: return b"\xcd" + struct.pack(">H", v)
            if v < 1 << 32: return b"\xce" + struct.pack(">I", v)
            return b"\xcf" + struct.pack(">Q", v)
        if v >= -(1 << 7): return b"\xd0" + struct.pack(">b", v)
        if v >= -(1 << 15): return b"\xd1" + struct.pack(">h", v)
        if v >= -(1 << 31): return b"\xd2" + struct.pack(">i", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32: return bytes([0xa0 | len(b)]) + b
        if len(b) < 256: return b"\xd9" + bytes([len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, (list, tuple)):
        n = len(v)
        h = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
        return h + b"".join(mp(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        h = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
        return h + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(v)


def zstd(data):
    """one zstd frame with content checksum (zstd CLI default)"""
    return subprocess.run(["zstd", "-q", "-c", "--check", "-1", "-"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def header(node="qa-node", start=1000, clock="boottime", segment=1):
    return mp([0, "INGERO-REC", 1, 0, {"node": node, "host": "qa-host", "boot_id": "b",
                                       "clock": clock, "start_ts": start, "segment": segment,
                                       "rank": -1}])


def frames_of(data):
    offs, i = [], 0
    while True:
        j = data.find(MAGIC, i)
        if j < 0:
            return offs
        offs.append(j)
        i = j + 1


def main():
    good_path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    good = open(good_path, "rb").read()
    rnd = random.Random(42)
    w = lambda name, b: open(os.path.join(out, name), "wb").write(b)

    w("empty.igz", b"")
    w("random.igz", bytes(rnd.getrandbits(8) for _ in range(4096)))
    w("text.igz", b"this is not a recording\njust some text\n" * 20)
    w("data.json", b'{"recording": "no", "events": [1, 2, 3], "nested": {"a": [true, null]}}\n')
    dbp = os.path.join(out, "notingero.db")
    if os.path.exists(dbp):
        os.unlink(dbp)
    con = sqlite3.connect(dbp)
    con.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
    con.executemany("INSERT INTO customers(name) VALUES (?)", [("c%d" % i,) for i in range(100)])
    con.commit(); con.close()
    os.makedirs(os.path.join(out, "emptydir"), exist_ok=True)

    # truncations / corruption of the good segment
    fr = frames_of(good)
    # the frame in the middle of the file and a cut in its middle
    k = len(fr) // 2
    f0 = fr[k]
    f1 = fr[k + 1] if k + 1 < len(fr) else len(good)
    mid = (f0 + f1) // 2
    w("trunc-1.igz", good[:1])
    w("trunc-hdr.igz", good[:6])          # inside the first zstd frame header
    w("trunc-mid.igz", good[:mid])        # inside a middle frame
    w("trunc-last.igz", good[:-1])        # last byte missing
    fl = bytearray(good)
    for i in range(mid, min(mid + 16, len(fl))):
        fl[i] ^= 0xFF
    w("flip.igz", bytes(fl))

    # valid zstd, not msgpack / hostile msgpack
    w("junk.igz", zstd(b"junk"))
    w("huge-arr.igz", zstd(b"\xdd\xff\xff\xff\xff"))
    w("huge-str.igz", zstd(b"\xdb\xff\xff\xff\xff"))
    w("huge-map.igz", zstd(b"\xdf\xff\xff\xff\xff"))
    hdr = zstd(header() + mp([13, 0, 1000]) + mp([2, 7, 1, 0, "p", "p", -1, -1, -1, 0, 1000]))
    ev = mp([1, 1, 3, 7, 7, 0, 10, 0, 0, 1, 0])
    w("hdr-huge-arr.igz", hdr + zstd(mp([13, 1, 2000]) + ev + b"\xdd\xff\xff\xff\xff" + ev))
    w("hdr-huge-str.igz", hdr + zstd(mp([13, 1, 2000]) + ev + b"\x93\x02\x07\xdb\xff\xff\xff\xff" + ev))
    w("hdr-huge-bin.igz", hdr + zstd(mp([13, 1, 2000]) + ev + b"\x95\x0f\x00\x00\xc6\xff\xff\xff\xff"))

    # tarballs
    def tar(name, members, mode="w"):
        with tarfile.open(os.path.join(out, name), mode, format=tarfile.GNU_FORMAT) as t:
            for mname, data in members:
                ti = tarfile.TarInfo(mname)
                ti.size = len(data)
                ti.mtime = 1700000000
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))
    tar("hostile.tar", [("../x.igz", good), ("/abs.igz", good)])
    tar("hostile.tar.gz", [("../x.igz", good), ("/abs.igz", good)], "w:gz")
    tar("nonseg.tar", [("README.txt", b"hello\n"), ("seg-000001.igz", good)])
    tar("onlynonseg.tar", [("README.txt", b"hello\n" * 100)])

    # huge values: a well-formed recording
    U = (1 << 64) - 1
    recs = [header(node="huge", start=U - 10_000, segment=1),
            mp([9, U - 5, U - 5, U - 5, U]),             # ANCHOR
            mp([13, 0, U - 1000]),                        # FRAME near the top
            mp([2, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, "max", "max pid", 0x7FFFFFFF, -1, 0x7FFFFFFF, U, U]),
            mp([3, 0xFFFFFFFF, 0xFFFFFFFF, "t"]),
            mp([6, U, 0xFFFFFFFF, [U, 0, 1], [U, 0], [0xFFFFFFFF]]),
            # launch, ends past UINT64_MAX (wraps)
            mp([1, 1, 3, 0xFFFFFFFF, 0xFFFFFFFF, 0, U - 10, 0xFFFFFFFF, U, U, U, U, U, U, U, -0x80000000, 0xFFFF]),
            # sync whose start wraps around, huge dur
            mp([1, 1, 5, 0xFFFFFFFF, 0xFFFFFFFF, -(1 << 63), U, 7, 0, U]),
            mp([1, 1, 5, 0xFFFFFFFF, 0xFFFFFFFF, (1 << 63) - 1, 1 << 63, 7]),
            # sched_switch with huge off-cpu time, runner pid max
            mp([1, 3, 1, 0xFFFFFFFF, 0xFFFFFFFF, 5, U, 0xFFFFFFFF, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF]),
            # memcpy with 2^64-1 bytes
            mp([1, 1, 4, 0xFFFFFFFF, 1, 5, U // 2, 0, 0, U, 1]),
            # nccl allreduce with hostile args
            mp([1, 9, 3, 0xFFFFFFFF, 1, 5, U, 0, 0, U, U, U, U, U, U]),
            # unknown source/op
            mp([1, 255, 255, 0xFFFFFFFF, 1, 0, U, 0]),
            mp([7, U, 1e308, -1e308, U, U, float("inf"), float("nan"), U, U]),   # SYS
            mp([8, U, 0xFFFFFFFF, 1e308, U, U, 0xFFFFFFFF, 0xFFFFFFFF, U, 0xFFFFFFFF, float("nan")]),  # GPU
            mp([10, U, 255, U, 0xFFFFFFFF]),              # LOST
            mp([15, U, 2, "note"]),
            mp([16, U, 0xFFFFFFFF, 1, 3, 0xFFFFFFFF]),
            mp([11, 7, 0, U, U])]                          # FOOTER
    w("huge.igz", zstd(b"".join(recs)))
    # the same at time 0 with a negative dts (wraps below zero)
    recs0 = [header(node="huge0", start=0),
             mp([13, 0, 0]),
             mp([2, 0xFFFFFFFF, 0, 0, "neg", "neg", -1]),
             mp([1, 1, 3, 0xFFFFFFFF, 1, -5, 10, 0, 0, 1, 0]),
             mp([1, 1, 5, 0xFFFFFFFF, 1, -(1 << 62), U, 0, 0, 0]),
             mp([11, 2, 0, U, 0])]
    w("huge0.igz", zstd(b"".join(recs0)))
    # a plausible recording with one call lasting 10^18 ns (~31 years), and
    # one whose two events are 10^18 ns apart (span-sized allocations)
    def small(evs, node):
        return zstd(b"".join([header(node=node, start=1000), mp([13, 0, 1000]),
                              mp([2, 5, 1, 0, "p", "p", -1])] + [mp(e) for e in evs] +
                             [mp([11, len(evs), 0, 0, 0])]))
    w("longcall.igz", small([[1, 1, 3, 5, 5, 0, 100, 0, 0, 1, 0], [1, 1, 5, 5, 5, 0, 10**18, 7],
                             [1, 1, 3, 5, 5, 10, 100, 0, 0, 1, 0]], "longcall"))
    w("farapart.igz", small([[1, 1, 3, 5, 5, 0, 100, 0, 0, 1, 0],
                             [1, 1, 3, 5, 5, 10**18, 100, 0, 0, 1, 0]], "farapart"))
    print("frames=%s mid=%d size=%d" % (",".join(map(str, fr)), mid, len(good)))


if __name__ == "__main__":
    main()
