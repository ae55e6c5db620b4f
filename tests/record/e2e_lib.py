"""e2e_lib.py - read `ingero-dump --ndjson` output and workload output for the
end-to-end recorder tests.  Tests print PASS/FAIL lines through T."""
import json
import os
import re
import sys

def _ops_table():
    """(source, op) of every op by name and by probed symbol, read from
    formats/ops.def (the one table; DESIGN.md section 3)."""
    root = os.environ.get("ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
    text = open(os.path.join(root, "formats", "ops.def")).read()
    srcs = {m.group(1): int(m.group(2))
            for m in re.finditer(r'^INGERO_SOURCE\((\w+), (\d+),', text, re.M)}
    ops = {}
    for m in re.finditer(r'^INGERO_OP\((\w+), (\d+), \w+, "(\w+)", \w+, ("(\w+)"|0),', text, re.M):
        code = (srcs[m.group(1)], int(m.group(2)))
        ops.setdefault(m.group(3), code)
        if m.group(5):
            ops[m.group(5)] = code
    return ops


OPS = _ops_table()


class T:
    """PASS/FAIL printer; exit status 1 if anything failed."""
    failed = 0

    @staticmethod
    def check(name, cond, why=""):
        if cond:
            print("PASS: %s" % name)
        else:
            T.failed += 1
            print("FAIL: %s: %s" % (name, why))
        sys.stdout.flush()
        return cond

    @staticmethod
    def skip(name, why):
        print("SKIP: %s: %s" % (name, why))

    @staticmethod
    def done():
        sys.exit(1 if T.failed else 0)


class Rec:
    """A recording, from `ingero-dump --ndjson`."""

    def __init__(self, path):
        self.events, self.procs, self.symbols, self.stacks = [], {}, {}, {}
        self.modules, self.notes, self.lost, self.threads = {}, [], [], {}
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                k = r["kind"]
                if k == "event":
                    self.events.append(r)
                elif k == "process":
                    self.procs[r["pid"]] = r
                elif k == "thread":
                    self.threads[r["tid"]] = r
                elif k == "symbol":
                    self.symbols[r["id"]] = r
                elif k == "stack":
                    self.stacks[r["id"]] = r
                elif k == "module":
                    self.modules[r["id"]] = r
                elif k == "note":
                    self.notes.append(r["text"])
                elif k == "lost":
                    self.lost.append(r)

    def ev(self, op, pid=None, tid=None):
        src, o = OPS[op]
        return [e for e in self.events if e["source"] == src and e["op"] == o
                and (pid is None or e["pid"] == pid) and (tid is None or e["tid"] == tid)]

    def stack_names(self, e):
        """Symbol names of an event's stack, innermost first ([] if none)."""
        s = self.stacks.get(e.get("stack_id", 0))
        if not s:
            return []
        return [self.symbols[f[1]]["name"] if f[1] in self.symbols else "?"
                for f in s["frames"]]

    def stack_modules(self, e):
        s = self.stacks.get(e.get("stack_id", 0))
        if not s:
            return []
        out = []
        for f in s["frames"]:
            sym = self.symbols.get(f[1])
            m = self.modules.get(sym["module_id"]) if sym else None
            out.append(m["path"] if m else "?")
        return out


class Wl:
    """A workload's stdout (see testdata/workloads/wl.h)."""

    def __init__(self, path):
        self.lines = open(path).read().splitlines()
        self.pid = None
        self.tids = []
        self.calls = {}
        self.args = {}
        self.kv = {}
        for ln in self.lines:
            p = ln.split()
            if not p:
                continue
            if p[0] == "pid" and self.pid is None:
                self.pid = int(p[1])
            elif p[0] == "tid":
                self.tids.append(int(p[1]))
            elif p[0] == "calls" and len(p) == 3:
                self.calls[p[1]] = int(p[2])
            elif p[0] == "arg":
                self.args[p[1]] = dict(x.split("=", 1) for x in p[2:])
            elif len(p) == 2:
                self.kv[p[0]] = p[1]


def num(s):
    return int(s, 0)
