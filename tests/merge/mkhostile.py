#!/usr/bin/env python3
"""mkhostile.py OUTDIR - small hand-made segments for tests/merge/t-merge-hostile.sh.

  huge.igz      well-formed; times, durations and anchors near UINT64_MAX
                (above INT64_MAX), deltas that wrap, a collective whose
                ts + dur passes 2^64
  top.igz       well-formed; events just below INT64_MAX, one 1 ms later
                than another (the reorder window there), no anchors
  small.igz     well-formed; three events at t = 1000.. ns, no anchors
  empty.igz     0 bytes
  junk.igz      a valid zstd frame holding no msgpack header
  trunc-1.igz   the first byte of small.igz
  trunc-hdr.igz the first 6 bytes of small.igz (inside the zstd frame header)
  onlynonseg.tar  a tarball whose only member is README.txt
Needs the zstd command line tool.
"""
import io, os, sys, tarfile


# the msgpack encoder and zstd framing shared with the robustness inputs
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "robustness"))
from mkinputs import mp, zstd  # noqa: E402


def header(node, start):
    return mp([0, "INGERO-REC", 1, 0, {"node": node, "host": "h", "boot_id": "b-" + node,
                                       "clock": "boottime", "start_ts": start, "segment": 1,
                                       "rank": -1}])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w = lambda name, b: open(os.path.join(out, name), "wb").write(b)
    U = (1 << 64) - 1
    # record layouts as in formats/ (see tests/robustness/mkinputs.py)
    huge = [header("huge", U - 10_000),
            mp([9, U - 5, U - 5, U - 5, U]),                       # ANCHOR above INT64_MAX
            mp([13, 0, U - 1000]),                                  # FRAME near the top
            mp([2, 7, 1, 0, "p", "p", -1]),                         # PROCESS
            mp([1, 1, 3, 7, 7, 0, U - 10, 0, 0, 1, 0]),             # launch, end wraps
            mp([1, 1, 5, 7, 7, -(1 << 63), U, 7, 0, U]),            # start wraps, huge dur
            mp([1, 1, 5, 7, 7, (1 << 63) - 1, 1 << 63, 7]),
            mp([1, 9, 3, 7, 1, 5, U, 0, 0, U, U, U, U, U, U]),      # NCCL collective, ts+dur > 2^64
            mp([10, U, 255, U, 7]),                                 # LOST
            mp([15, U, 2, "note"]),                                 # NOTE
            mp([11, 4, 0, U, U])]                                   # FOOTER
    w("huge.igz", zstd(b"".join(huge)))
    top = (1 << 63) - 10_000_000
    w("top.igz", zstd(b"".join([header("top", top), mp([13, 0, top]),
                                mp([2, 7, 1, 0, "p", "p", -1]),
                                mp([1, 1, 3, 7, 7, 2_000_000, 100, 0, 0, 1, 0]),
                                mp([1, 1, 3, 7, 7, -1_000_000, 100, 0, 0, 1, 0]),
                                mp([11, 2, 0, 0, 0])])))
    small = zstd(b"".join([header("small", 1000), mp([13, 0, 1000]),
                           mp([2, 7, 1, 0, "p", "p", -1]),
                           mp([1, 1, 3, 7, 7, 0, 100, 0, 0, 1, 0]),
                           mp([1, 1, 3, 7, 7, 10, 100, 0, 0, 1, 0]),
                           mp([1, 1, 3, 7, 7, 10, 100, 0, 0, 1, 0]),
                           mp([11, 3, 0, 0, 0])]))
    w("small.igz", small)
    w("empty.igz", b"")
    w("junk.igz", zstd(b"junk"))
    w("trunc-1.igz", small[:1])
    w("trunc-hdr.igz", small[:6])
    with tarfile.open(os.path.join(out, "onlynonseg.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        ti = tarfile.TarInfo("README.txt")
        data = b"hello\n" * 100
        ti.size = len(data)
        ti.mtime = 1700000000
        t.addfile(ti, io.BytesIO(data))


if __name__ == "__main__":
    main()
