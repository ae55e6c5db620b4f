// ingero-report: plots on one shared time axis (SVG), sortable tables.
// No network, no libraries: everything the page needs is in this file.
(function () {
  "use strict";
  var T0 = performance.now();
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f", "#393b79", "#637939"];
  var SEV = { HIGH: "rgba(198,40,40,0.13)", MEDIUM: "rgba(217,130,0,0.13)", LOW: "rgba(120,130,140,0.10)" };
  var M = { l: 62, r: 26, t: 6, b: 20 };
  var H = 170;

  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-2) return v.toExponential(1);
    return (a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2));
  }
  // a value with its unit; durations in ms get the unit that fits them
  function fmtU(v, unit) {
    if (unit === "ms" && v !== 0) {
      var a = Math.abs(v);
      if (a >= 1000) return fmt(v / 1000) + " s";
      if (a < 0.001) return fmt(v * 1e6) + " ns";
      if (a < 1) return fmt(v * 1000) + " us";
    }
    return fmt(v) + (unit ? " " + unit : "");
  }
  function niceTicks(a, b, n) {
    var span = b - a;
    if (!(span > 0)) return [a];
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) out.push(+t.toFixed(10));
    return out;
  }
  // first index with pts[2i] >= t
  function lower(pts, t) {
    var lo = 0, hi = pts.length / 2;
    while (lo < hi) { var m = (lo + hi) >> 1; if (pts[2 * m] < t) lo = m + 1; else hi = m; }
    return lo;
  }

  var data;
  try {
    data = JSON.parse(document.getElementById("report-data").textContent);
  } catch (e) {
    data = { plots: [], windows: [], span_s: 1 };
  }
  var full = [0, Math.max(data.span_s || 0, 1e-6)];
  var dom = full.slice();
  var plots = [];
  var root = document.getElementById("plots");

  function buildPlot(p) {
    var div = document.createElement("div");
    div.className = "plot";
    div.id = "plot-" + p.id;
    div.setAttribute("data-series", String(p.series.length));
    var h = document.createElement("h3");
    h.textContent = p.title;
    div.appendChild(h);
    var leg = document.createElement("div");
    leg.className = "legend";
    p.series.forEach(function (s, i) {
      var sp = document.createElement("span");
      var sw = document.createElement("i");
      sw.style.background = COLORS[i % COLORS.length];
      sp.appendChild(sw);
      sp.appendChild(document.createTextNode(s.name));
      leg.appendChild(sp);
    });
    div.appendChild(leg);
    var svg = el("svg", { "class": "chart", "data-series": String(p.series.length), role: "img" });
    svg.setAttribute("aria-label", p.title);
    div.appendChild(svg);
    var tip = document.createElement("div");
    tip.className = "tip";
    div.appendChild(tip);
    root.appendChild(div);
    var st = { p: p, div: div, svg: svg, tip: tip, w: 800 };
    hook(st);
    return st;
  }

  function draw(st, W) {
    var p = st.p, svg = st.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    st.w = W;
    // a viewBox: printed narrower than drawn, the plot scales instead of being cut
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var iw = W - M.l - M.r, ih = H - M.t - M.b;
    var x = function (t) { return M.l + (t - dom[0]) / (dom[1] - dom[0]) * iw; };
    // y range over the visible points
    var lo = Infinity, hi = -Infinity;
    p.series.forEach(function (s) {
      var a = Math.max(0, lower(s.pts, dom[0]) - 1), b = Math.min(s.pts.length / 2, lower(s.pts, dom[1]) + 1);
      for (var i = a; i < b; i++) {
        var v = s.pts[2 * i + 1];
        if (p.log && !(v > 0)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    });
    if (!isFinite(lo)) { lo = p.log ? 1 : 0; hi = 1; }
    if (!p.log) { lo = Math.min(0, lo); if (hi <= lo) hi = lo + 1; hi *= 1.05; }
    else { lo = Math.pow(10, Math.floor(Math.log10(lo))); hi = Math.pow(10, Math.ceil(Math.log10(hi))); if (hi <= lo) hi = lo * 10; }
    var y = p.log
      ? function (v) { return M.t + ih - (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * ih; }
      : function (v) { return M.t + ih - (v - lo) / (hi - lo) * ih; };
    st.x = x; st.y = y; st.iw = iw;
    var clipId = "clip-" + p.id;
    var defs = el("defs", {}, svg);
    var cp = el("clipPath", { id: clipId }, defs);
    el("rect", { x: M.l, y: M.t, width: Math.max(iw, 0), height: ih }, cp);
    var g = el("g", { "clip-path": "url(#" + clipId + ")" }, svg);
    // findings' windows
    (data.windows || []).forEach(function (wd) {
      if (wd.b < dom[0] || wd.a > dom[1]) return;
      var r = el("rect", { x: x(wd.a), y: M.t, width: Math.max(1, x(wd.b) - x(wd.a)), height: ih,
                           fill: SEV[wd.sev] || SEV.LOW, "class": "window" }, g);
      var tt = el("title", {}, r);
      tt.textContent = wd.sev + ": " + wd.label;
    });
    // axes
    var ax = el("g", {}, svg);
    niceTicks(dom[0], dom[1], Math.max(2, Math.floor(iw / 90))).forEach(function (t) {
      el("line", { x1: x(t), x2: x(t), y1: M.t, y2: M.t + ih, stroke: "#eef0f2" }, ax);
      var tx = el("text", { x: x(t), y: H - 5, "text-anchor": "middle" }, ax);
      tx.textContent = fmt(t) + " s";
    });
    var yt = p.log ? (function () { var o = []; for (var v = lo; v <= hi * 1.001; v *= 10) o.push(v); return o; })()
                   : niceTicks(lo, hi, 4);
    yt.forEach(function (v) {
      el("line", { x1: M.l, x2: M.l + iw, y1: y(v), y2: y(v), stroke: "#eef0f2" }, ax);
      var tx = el("text", { x: M.l - 4, y: y(v) + 3, "text-anchor": "end" }, ax);
      tx.textContent = fmtU(v, p.unit);
    });
    el("rect", { x: M.l, y: M.t, width: Math.max(iw, 0), height: ih, fill: "none", stroke: "#c5cad0" }, svg);
    // series
    p.series.forEach(function (s, i) {
      var c = COLORS[i % COLORS.length];
      var a = Math.max(0, lower(s.pts, dom[0]) - 1), b = Math.min(s.pts.length / 2, lower(s.pts, dom[1]) + 1);
      var d = [];
      for (var k = a; k < b; k++) {
        var v = s.pts[2 * k + 1];
        if (p.log && !(v > 0)) continue;
        d.push((d.length ? "L" : "M") + x(s.pts[2 * k]).toFixed(1) + "," + y(v).toFixed(1));
      }
      var attrs = { d: d.join(""), fill: "none", stroke: c, "stroke-width": 1.4, "class": "series" };
      if (s.style === "dash") attrs["stroke-dasharray"] = "4 3";
      if (s.style === "area" && d.length) {
        el("path", { d: attrs.d + "L" + x(s.pts[2 * (b - 1)]).toFixed(1) + "," + y(lo).toFixed(1) + "L" +
                     x(s.pts[2 * a]).toFixed(1) + "," + y(lo).toFixed(1) + "Z", fill: c, "fill-opacity": 0.18 }, g);
      }
      if (s.style === "dots") {
        attrs.stroke = "none";
        for (var q = a; q < b; q++) {
          if (p.log && !(s.pts[2 * q + 1] > 0)) continue;
          el("circle", { cx: x(s.pts[2 * q]).toFixed(1), cy: y(s.pts[2 * q + 1]).toFixed(1), r: 2.5, fill: c, "class": "dot" }, g);
        }
      }
      el("path", attrs, g);
      if (s.marks) {
        for (var m = 0; m < s.marks.length; m += 2) {
          var mt = s.marks[m], mv = s.marks[m + 1];
          if (mt < dom[0] || mt > dom[1]) continue;
          var mx = x(mt), my = y(mv);
          el("path", { d: "M" + mx + "," + (my - 4) + "L" + (mx + 4) + "," + my + "L" + mx + "," + (my + 4) + "L" +
                       (mx - 4) + "," + my + "Z", fill: "#c62828", "class": "mark" }, g);
        }
      }
    });
    st.cursor = el("line", { x1: -10, x2: -10, y1: M.t, y2: M.t + ih, stroke: "#555", "stroke-dasharray": "2 2",
                             visibility: "hidden" }, svg);
    st.sel = el("rect", { x: 0, y: M.t, width: 0, height: ih, fill: "rgba(26,95,180,0.15)", visibility: "hidden" }, svg);
  }

  function drawAll() {
    // one layout read for all plots (they share the container's width), then only writes
    var W = root.clientWidth || 900;
    plots.forEach(function (st) { draw(st, W); });
    var zi = document.getElementById("zoominfo");
    if (zi) zi.textContent = (dom[0] > full[0] || dom[1] < full[1])
      ? "Showing +" + fmt(dom[0]) + " s to +" + fmt(dom[1]) + " s (double-click a plot to reset)" : "";
  }

  function tOf(st, px) {
    return dom[0] + (px - M.l) / st.iw * (dom[1] - dom[0]);
  }
  function hover(t, src) {
    plots.forEach(function (st) {
      if (!st.cursor) return;
      var inside = t >= dom[0] && t <= dom[1];
      st.cursor.setAttribute("visibility", inside ? "visible" : "hidden");
      st.cursor.setAttribute("x1", st.x(t));
      st.cursor.setAttribute("x2", st.x(t));
      if (st !== src || !inside) { st.tip.style.display = "none"; return; }
      var lines = ["+" + fmt(t) + " s"];
      st.p.series.forEach(function (s) {
        var i = lower(s.pts, t), n = s.pts.length / 2;
        if (!n) return;
        if (i >= n || (i > 0 && t - s.pts[2 * (i - 1)] < s.pts[2 * i] - t)) i = Math.max(0, i - 1);
        lines.push(s.name + ": " + fmtU(s.pts[2 * i + 1], st.p.unit));
      });
      (data.windows || []).forEach(function (wd) { if (t >= wd.a && t <= wd.b) lines.push(wd.sev + ": " + wd.label); });
      st.tip.textContent = "";
      lines.slice(0, 14).forEach(function (l, k) {
        if (k) st.tip.appendChild(document.createElement("br"));
        st.tip.appendChild(document.createTextNode(l));
      });
      st.tip.style.display = "block";
      var px = st.x(t);
      st.tip.style.left = (px + 12 + 260 > st.w ? Math.max(0, px - 272) : px + 12) + "px";
      st.tip.style.top = "30px";
    });
  }

  function hook(st) {
    var svg = st.svg, drag = null;
    function px(ev) { return ev.clientX - svg.getBoundingClientRect().left; }
    svg.addEventListener("mousedown", function (ev) { drag = px(ev); ev.preventDefault(); });
    svg.addEventListener("mousemove", function (ev) {
      var p = px(ev);
      hover(tOf(st, p), st);
      if (drag !== null) {
        st.sel.setAttribute("visibility", "visible");
        st.sel.setAttribute("x", Math.min(p, drag));
        st.sel.setAttribute("width", Math.abs(p - drag));
      }
    });
    svg.addEventListener("mouseleave", function () {
      plots.forEach(function (o) { if (o.cursor) o.cursor.setAttribute("visibility", "hidden"); o.tip.style.display = "none"; });
    });
    window.addEventListener("mouseup", function (ev) {
      if (drag === null) return;
      var a = Math.min(drag, px(ev)), b = Math.max(drag, px(ev));
      drag = null;
      st.sel.setAttribute("visibility", "hidden");
      if (b - a < 4) return;
      var ta = Math.max(full[0], tOf(st, a)), tb = Math.min(full[1], tOf(st, b));
      if (tb - ta < 1e-6) return;
      dom = [ta, tb];
      drawAll();
    });
    svg.addEventListener("dblclick", function () { dom = full.slice(); drawAll(); });
  }

  // public for tests and for people: set the window in seconds from the start
  window.ingeroZoom = function (a, b) { dom = (a === undefined) ? full.slice() : [a, b]; drawAll(); };

  if (root) {
    var zi = document.createElement("p");
    zi.id = "zoominfo";
    root.parentNode.insertBefore(zi, root);
    if (!data.plots.length) {
      var none = document.createElement("p");
      none.textContent = "No time series in this recording.";
      root.appendChild(none);
    }
    data.plots.forEach(function (p) { plots.push(buildPlot(p)); });
    drawAll();
    var rt = null;
    window.addEventListener("resize", function () { clearTimeout(rt); rt = setTimeout(drawAll, 100); });
    window.addEventListener("beforeprint", drawAll);
    window.addEventListener("afterprint", drawAll);
  }

  // sortable tables: click a header; numbers sort by data-v or their text
  function cellKey(td, num) {
    if (!td) return num ? -Infinity : "";
    var v = td.getAttribute("data-v");
    if (num) { var n = parseFloat(v !== null ? v : td.textContent); return isNaN(n) ? -Infinity : n; }
    return td.textContent.toLowerCase();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (tb) {
    var ths = tb.querySelectorAll("thead th");
    Array.prototype.forEach.call(ths, function (th, ci) {
      th.addEventListener("click", function () {
        var num = th.getAttribute("data-type") === "num";
        var asc = !th.classList.contains("asc");
        if (num && !th.classList.contains("asc") && !th.classList.contains("desc")) asc = false;
        Array.prototype.forEach.call(ths, function (o) { o.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var body = tb.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (ra, rb) {
          var a = cellKey(ra.cells[ci], num), b = cellKey(rb.cells[ci], num);
          return (a < b ? -1 : a > b ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.documentElement.setAttribute("data-report-ready", "1");
  // when the script started and how long it ran (ms; the tests and bench/report read it)
  document.documentElement.setAttribute("data-script-ms", T0.toFixed(0) + "+" + (performance.now() - T0).toFixed(0));
})();
