#!/usr/bin/python3
"""Load an ingero-report page in headless Chromium (DevTools protocol over
--remote-debugging-pipe) and check it against the analysis database.

usage: browser.py [--bench] REPORT.html ANALYSIS.db SCREENSHOT.png [REPORT2.html DB2 PNG2 ...]
(one Chromium for every page; DB '-' skips the comparison with a database)

Fails (exit 1, one line per problem) on: a console error or warning, an
uncaught exception, any network request other than the page itself, HTML
that an html5 parser rejects, a verdict or chain that does not match the
database, a plot whose series count differs from what the database holds,
drag-zoom or table sorting that does nothing.  Prints one JSON line of facts
(render time, sizes).  Exit 77: Chromium or html5lib missing (skip)."""
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

CHROME = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-pipe"]


class Chrome:
    def __init__(self):
        self.prof = tempfile.mkdtemp(prefix="ingero-chromium-")
        r1, self.w = os.pipe()    # we write commands -> chrome's fd 3
        self.r, w2 = os.pipe()    # chrome writes replies on fd 4
        for fd in (self.w, self.r):
            os.set_inheritable(fd, False)
        os.set_inheritable(r1, True)
        os.set_inheritable(w2, True)
        def child():
            os.dup2(r1, 3)
            os.dup2(w2, 4)
        self.p = subprocess.Popen([CHROME] + FLAGS + ["--user-data-dir=" + self.prof, "about:blank"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, preexec_fn=child, close_fds=False)
        os.close(r1)
        os.close(w2)
        self.buf = b""
        self.id = 0
        self.events = []

    def _read(self, timeout):
        import select
        end = time.time() + timeout
        while b"\0" not in self.buf:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            rr, _, _ = select.select([self.r], [], [], left)
            if rr:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.id += 1
        m = {"id": self.id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.w, json.dumps(m).encode() + b"\0")
        while True:
            r = self._read(timeout)
            if r.get("id") == self.id:
                if "error" in r:
                    raise RuntimeError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, name, timeout=30):
        for i, e in enumerate(self.events):
            if e.get("method") == name:
                return self.events.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            r = self._read(end - time.time())
            if r.get("method") == name:
                self.events.append(r)
                return r
            self.events.append(r)
        raise TimeoutError("no " + name)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        shutil.rmtree(self.prof, ignore_errors=True)


def expected(db):
    """What the page must show, straight from the database."""
    c = sqlite3.connect("file:%s?mode=ro&immutable=1" % db, uri=True)
    q = lambda s: c.execute(s).fetchall()
    tables = {r[0] for r in q("SELECT name FROM sqlite_master WHERE type='table'")}
    sev = "CASE severity WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END"
    e = {"chains": sorted(r[0] for r in q("SELECT id FROM causal_chains"))}
    sf = "steps" in tables and "step_findings" in tables
    top = q("SELECT id, %s AS so, impact_share FROM causal_chains %s ORDER BY so, impact_share DESC, id LIMIT 1"
            % (sev, ("UNION ALL SELECT id, %s, impact_share FROM step_findings" % sev) if sf else ""))
    e["top"] = top[0][0] if top else None
    nsf = q("SELECT count(*) FROM step_findings")[0][0] if sf else 0
    e["verdict"] = min(8, len(e["chains"]) + nsf)
    plots = {}
    n = q("SELECT count(DISTINCT node) FROM system_snapshots")[0][0]
    if n:
        plots["cpu"] = 3 * n
        plots["load"] = 2 * n
    n = q("SELECT count(*) FROM (SELECT DISTINCT node, gpu FROM gpu_snapshots)")[0][0]
    if n:
        plots["gpu"] = 2 * n
        plots["gpuclk"] = n + q("SELECT count(*) FROM (SELECT DISTINCT node, gpu FROM gpu_snapshots "
                                "WHERE throttle_reasons != 0)")[0][0]
    # ops of CUDA runtime / driver / NCCL, by source name (the sources table)
    n = q("SELECT count(*) FROM (SELECT DISTINCT e.source, e.op FROM events e JOIN sources s ON s.id = e.source "
          "WHERE s.name IN ('cuda', 'driver', 'nccl'))")[0][0]
    if n:
        plots["latency"] = 2 * min(n, 3)
    if q("SELECT count(*) FROM offcpu")[0][0]:
        plots["offcpu"] = 2
    n = q("SELECT count(*) FROM (SELECT DISTINCT node, rank FROM nccl_collectives)")[0][0]
    if n:
        plots["nccl"] = n
    n = q("SELECT count(*) FROM (SELECT DISTINCT node, pid, stream, CASE WHEN phase IN ('step', 'unknown', '') "
          "THEN '' ELSE phase END FROM steps)")[0][0] if "steps" in tables else 0
    if n:
        plots["steps"] = min(12, n)
        parts = ["sync_ns", "launch_ns", "memcpy_ns", "alloc_ns", "other_cuda_ns", "nccl_ns", "host_ns",
                 "preempted_ns", "blocked_ns", "io_ns", "mem_ns", "gpu_idle_ns"]
        top = q("SELECT node, pid, stream FROM steps GROUP BY node, pid, stream ORDER BY count(*) DESC, node, pid, "
                "stream LIMIT 1")[0]
        sums = c.execute("SELECT %s FROM steps WHERE node = ? AND pid = ? AND stream = ?" %
                         ", ".join("sum(%s)" % p for p in parts), top).fetchall()[0]
        plots["stepparts"] = sum(1 for v in sums if v and v > 0)
    e["plots"] = plots
    e["nccl"] = q("SELECT count(*) FROM nccl_collectives")[0][0] > 0
    c.close()
    return e


PROBE = r"""(function () {
  var q = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var plots = {};
  q('.plot').forEach(function (d) {
    var svg = d.querySelector('svg');
    plots[d.id.replace(/^plot-/, '')] = {
      attr: +d.getAttribute('data-series'),
      drawn: q('#' + d.id + ' path.series').filter(function (p) { return p.getAttribute('d'); }).length,
      legend: q('#' + d.id + ' .legend span').length,
      width: svg.getBoundingClientRect().width };
  });
  var nav = performance.getEntriesByType('navigation')[0];
  return JSON.stringify({
    ready: document.documentElement.getAttribute('data-report-ready'),
    script_ms: document.documentElement.getAttribute('data-script-ms'),
    verdict: q('#verdict .finding').map(function (l) { return l.getAttribute('data-id'); }),
    links_ok: q('#verdict .finding a[href^="#"]').every(function (a) {
      return !!document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1))); }),
    chains: q('#chains article.chain').map(function (a) { return a.getAttribute('data-chain-id'); }).sort(),
    plots: plots,
    windows: q('rect.window').length,
    caps: q('#manifest .cap').length, lacks: q('#manifest .cap.lack').length,
    nccl_rows: q('#nccl-ranks tbody tr').length,
    render_ms: nav ? nav.loadEventEnd - nav.startTime : -1,
    dom_ms: nav ? nav.domContentLoadedEventEnd - nav.startTime : -1 });
})()"""


def check_page(ch, html, db, shot, pdf=False):
    """errors (list of strings) and facts of one page"""
    errs = []
    text = open(html, "rb").read()
    try:
        import html5lib
        html5lib.HTMLParser(strict=True).parse(text)
    except Exception as ex:    # html5lib raises ParseError with the position
        errs.append("html5 parse error: %s" % ex)
    exp = expected(db) if db != "-" else None
    ch.events = []
    t = ch.call("Target.createTarget", {"url": "about:blank"})
    s = ch.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})["sessionId"]
    for d in ("Page", "Runtime", "Log", "Network"):
        ch.call(d + ".enable", session=s)
    ch.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                  "mobile": False}, session=s)
    url = "file://" + os.path.abspath(html)
    t0 = time.time()
    ch.call("Page.navigate", {"url": url}, session=s)
    ch.wait_event("Page.loadEventFired", timeout=60)
    wall_ms = (time.time() - t0) * 1000
    facts = json.loads(ch.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                               session=s)["result"]["value"])
    facts["wall_ms"] = round(wall_ms)
    facts["bytes"] = len(text)
    # drag across the first plot: every plot zooms (shared axis)
    box = json.loads(ch.call("Runtime.evaluate", {"expression":
        "(function(){var s=document.querySelector('.plot svg'); if(!s) return 'null';"
        "s.scrollIntoView(); var r=s.getBoundingClientRect();"
        "return JSON.stringify({x:r.left,y:r.top,w:r.width,h:r.height});})()", "returnByValue": True},
        session=s)["result"]["value"])
    if box:
        y = box["y"] + box["h"] / 2
        x1, x2 = box["x"] + 80, box["x"] + box["w"] * 0.5
        for typ, x in (("mouseMoved", x1), ("mousePressed", x1), ("mouseMoved", (x1 + x2) / 2),
                       ("mouseMoved", x2), ("mouseReleased", x2)):
            ch.call("Input.dispatchMouseEvent", {"type": typ, "x": x, "y": y, "button": "left",
                                                 "clickCount": 1 if typ != "mouseMoved" else 0}, session=s)
        zoom = ch.call("Runtime.evaluate", {"expression":
            "document.getElementById('zoominfo').textContent", "returnByValue": True}, session=s)["result"]["value"]
        if not zoom:
            errs.append("drag on a plot did not zoom")
        ch.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 2, "y": 2}, session=s)
        ch.call("Runtime.evaluate", {"expression": "window.ingeroZoom(); window.scrollTo(0, 0)"}, session=s)
    # sort the per-op table by calls (descending, then ascending)
    sort = ch.call("Runtime.evaluate", {"expression": r"""(function(){
        var t=document.querySelector('#ops table'); var th=t.querySelectorAll('thead th')[2];
        var col=function(){return Array.prototype.map.call(t.tBodies[0].rows,function(r){return +r.cells[2].textContent;});};
        th.click(); var d=col(); th.click(); var a=col();
        var ok=function(v,s){for(var i=1;i<v.length;i++) if((v[i]-v[i-1])*s<0) return false; return true;};
        return ok(d,-1)&&ok(a,1);})()""", "returnByValue": True}, session=s)["result"]["value"]
    if not sort:
        errs.append("sorting the per-op table by calls did not order it")
    if shot != "-":
        m = ch.call("Page.getLayoutMetrics", session=s)
        cs = m.get("cssContentSize") or m["contentSize"]
        os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
        # the whole page, and its first screenful (NAME-top.png) for docs
        for path, h in ((shot, min(cs["height"], 16000)), (shot[:-4] + "-top.png", min(cs["height"], 1400))):
            png = ch.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                          "clip": {"x": 0, "y": 0, "width": 1280, "height": h, "scale": 1}}, session=s)
            with open(path, "wb") as f:
                f.write(base64.b64decode(png["data"]))
    if pdf:
        # it prints: a PDF of the page (A4), kept beside the screenshot
        out = ch.call("Page.printToPDF", {"printBackground": True, "paperWidth": 8.27, "paperHeight": 11.69},
                      session=s, timeout=120)
        data = base64.b64decode(out["data"])
        if not data.startswith(b"%PDF") or len(data) < 10000:
            errs.append("printing to PDF gave %d bytes" % len(data))
        elif shot != "-":
            with open(shot[:-4] + ".pdf", "wb") as f:
                f.write(data)
    ch.call("Target.closeTarget", {"targetId": t["targetId"]})
    # everything the page did
    for e in ch.events:
        m, p = e.get("method"), e.get("params", {})
        if e.get("sessionId") not in (None, s):
            continue
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            errs.append("console %s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description")))
                                                               for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errs.append("exception: %s" % (d.get("exception", {}).get("description") or d.get("text")))
        elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            errs.append("log %s: %s %s" % (p["entry"]["level"], p["entry"].get("text"), p["entry"].get("url", "")))
        elif m == "Network.requestWillBeSent" and p["request"]["url"] != url:
            errs.append("network request: %s" % p["request"]["url"][:200])
    if facts.get("ready") != "1":
        errs.append("the page script did not finish (data-report-ready unset)")
    if exp is not None:
        if facts["chains"] != exp["chains"]:
            errs.append("chains on the page %s != database %s" % (facts["chains"], exp["chains"]))
        if len(facts["verdict"]) != exp["verdict"]:
            errs.append("verdict lists %d findings, expected %d" % (len(facts["verdict"]), exp["verdict"]))
        if exp["top"] and (not facts["verdict"] or facts["verdict"][0] != exp["top"]):
            errs.append("verdict starts with %s, expected the top chain %s" % (facts["verdict"][:1], exp["top"]))
        if not facts["links_ok"]:
            errs.append("a verdict link points nowhere")
        got = {k: v["attr"] for k, v in facts["plots"].items()}
        if got != exp["plots"]:
            errs.append("plots and series counts %s != expected from the database %s" % (got, exp["plots"]))
        for k, v in facts["plots"].items():
            if v["drawn"] != v["attr"] or v["legend"] != v["attr"]:
                errs.append("plot %s: %d series, %d drawn, %d in the legend" % (k, v["attr"], v["drawn"], v["legend"]))
        if exp["chains"] and facts["windows"] == 0:
            errs.append("no finding window shaded in the plots")
        if exp["nccl"] and facts["nccl_rows"] == 0:
            errs.append("NCCL collectives in the database but no per-rank rows")
        if facts["caps"] < 10:
            errs.append("capability manifest has %d entries" % facts["caps"])
    return errs, facts


def main():
    args = [a for a in sys.argv[1:] if a != "--bench"]
    if not args or len(args) % 3:
        print(__doc__)
        return 2
    if not os.access(CHROME, os.X_OK):
        print("SKIP: %s not found (apt-get install chromium)" % CHROME)
        return 77
    try:
        import html5lib  # noqa: F401
    except ImportError:
        print("SKIP: python3-html5lib not installed (apt-get install python3-html5lib)")
        return 77
    bad = 0
    ch = Chrome()
    try:
        for i in range(0, len(args), 3):
            html, db, shot = args[i:i + 3]
            errs, facts = check_page(ch, html, db, shot, pdf=(i == 0 and "--bench" not in sys.argv))
            print("%s %s" % (html, json.dumps({k: facts[k] for k in
                  ("render_ms", "dom_ms", "script_ms", "wall_ms", "bytes", "windows", "lacks")})))
            for e in errs:
                print("ERROR: %s: %s" % (html, e))
            bad += bool(errs)
    finally:
        ch.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
