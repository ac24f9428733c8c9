// loadgen's HTML report: draws the charts from the JSON in #data with uPlot.
// Everything is inlined in the page; nothing is fetched.
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("data").textContent);
  var COLORS = { rate: "#4c78a8", target: "#54a24b", failed: "#c62828", http: "#f58518",
    p50: "#4c78a8", p90: "#72b7b2", p99: "#f58518", max: "#e45756", alarm: "#8e44ad" };
  var BAND = { OK: "rgba(26,127,55,0.10)", INSUFFICIENT_DATA: "rgba(120,130,140,0.16)", ALARM: "rgba(198,40,40,0.16)" };
  var charts = [];

  // ---- formatting ----
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function clock(sec, withDate) {
    var d = new Date(sec * 1000);
    var s = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    return withDate ? d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + s : s;
  }
  function zone() {
    var m = -new Date(D.start * 1000).getTimezoneOffset();
    var sign = m < 0 ? "-" : "+";
    m = Math.abs(m);
    return "UTC" + sign + pad(Math.floor(m / 60)) + ":" + pad(m % 60);
  }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return "–";
    return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }
  function ms(v) {
    if (v == null || !isFinite(v)) return "–";
    var digits = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : 3;
    return num(v, digits) + " ms";
  }
  function elapsed(sec) {
    var d = sec - D.start, sign = d < 0 ? "−" : "+";
    d = Math.abs(d);
    if (d < 120) return sign + num(d, 1) + " s";
    return sign + Math.floor(d / 60) + " min " + pad(Math.round(d % 60)) + " s";
  }
  function pctLabel(x) {
    if (x <= 1) return "0%";
    var p = 100 * (1 - 1 / x), digits = Math.max(0, Math.ceil(Math.log10(x)) - 2);
    return p.toFixed(digits) + "%";
  }

  // Times in the static HTML are UTC; show them in the viewer's zone.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var t = Date.parse(el.getAttribute("datetime"));
    if (isFinite(t)) { el.title = el.textContent; el.textContent = clock(t / 1000, true) + " " + zone(); }
  });

  // ---- the shared time axis ----
  var xr = [D.start, D.end];
  function widen(ts) { if (ts && ts.length) { xr[0] = Math.min(xr[0], ts[0]); xr[1] = Math.max(xr[1], ts[ts.length - 1]); } }
  if (D.series) widen(D.series.t);
  // The alarm's samples as steps: each datapoint's value holds for its
  // period, so the last one gets a closing point one period later (drawn
  // as a line, not as a datapoint).
  var steps = null;
  if (D.alarm && D.alarm.t.length) {
    var A0 = D.alarm, n0 = A0.t.length;
    steps = { t: A0.t.slice(), v: A0.v.slice(), end: null };
    if (A0.period > 0) {
      steps.end = A0.t[n0 - 1] + A0.period;
      steps.t.push(steps.end); steps.v.push(A0.v[n0 - 1]);
    }
    widen(steps.t);
  }
  function samplePoints(u, si, show) {
    var xs = u.data[0], ys = u.data[si], out = [];
    for (var i = 0; i < xs.length; i++) if (ys[i] != null && xs[i] !== steps.end) out.push(i);
    return out;
  }
  if (xr[1] <= xr[0]) xr[1] = xr[0] + 1;

  function timeAxis() {
    return {
      label: "time (" + zone() + ")", labelSize: 18,
      // At least 90 px between ticks: an HH:MM:SS label is about 60 px
      // wide, and uPlot's default (50 px) made them overlap on a page
      // 1280 px wide with one tick a second.
      space: 90,
      values: function (u, splits) {
        var span = u.scales.x.max - u.scales.x.min;
        return splits.map(function (v) { return span > 86400 ? clock(v, true).slice(5, 16) : clock(v); });
      },
    };
  }
  function timeSeries() {
    return { label: "time", value: function (u, v) { return v == null ? "–" : clock(v) + " (" + elapsed(v) + ")"; } };
  }
  function yAxis(label, scale, fmt, side) {
    var a = { label: label, labelSize: 18, size: 64, scale: scale,
      values: function (u, splits) { return splits.map(fmt); } };
    if (side) { a.side = 1; a.grid = { show: false }; }
    return a;
  }
  function line(label, color, scale, fmt, extra) {
    var s = { label: label, stroke: color, width: 1.5, scale: scale, points: { show: false },
      value: function (u, v) { return fmt(v); } };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }

  // ---- overlays: alarm state bands, the ALARM moment, horizontal rules ----
  function bandsHook(u) {
    if (!D.alarm) return;
    var ctx = u.ctx, b = u.bbox;
    ctx.save();
    D.alarm.bands.forEach(function (band) {
      var x0 = band.from == null ? b.left : u.valToPos(band.from, "x", true);
      var x1 = band.to == null ? b.left + b.width : u.valToPos(band.to, "x", true);
      x0 = Math.max(b.left, x0); x1 = Math.min(b.left + b.width, x1);
      if (x1 <= x0) return;
      ctx.fillStyle = BAND[band.state] || BAND.INSUFFICIENT_DATA;
      ctx.fillRect(x0, b.top, x1 - x0, b.height);
    });
    ctx.restore();
  }
  function firedHook(u) {
    if (!D.alarm || D.alarm.fired_at == null) return;
    var ctx = u.ctx, b = u.bbox, x = u.valToPos(D.alarm.fired_at, "x", true);
    if (x < b.left || x > b.left + b.width) return;
    ctx.save();
    ctx.strokeStyle = COLORS.failed; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.setLineDash([6, 4]);
    ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
    ctx.fillStyle = COLORS.failed; ctx.font = "600 " + 12 * devicePixelRatio + "px sans-serif";
    var label = "ALARM " + clock(D.alarm.fired_at), w = ctx.measureText(label).width;
    ctx.fillText(label, x + w + 6 > b.left + b.width ? x - w - 4 : x + 4, b.top + 14 * devicePixelRatio);
    ctx.restore();
  }
  function ruleHook(scale, value, color, label) {
    return function (u) {
      if (value == null || !u.scales[scale] || u.scales[scale].min == null) return;
      var ctx = u.ctx, b = u.bbox, y = u.valToPos(value, scale, true);
      if (y < b.top || y > b.top + b.height) return;
      ctx.save();
      ctx.strokeStyle = color; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.setLineDash([8, 5]);
      ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
      ctx.fillStyle = color; ctx.font = 12 * devicePixelRatio + "px sans-serif";
      ctx.fillText(label, b.left + 6, y - 4 * devicePixelRatio);
      ctx.restore();
    };
  }

  // ---- charts ----
  function make(id, opts, data) {
    var el = document.getElementById(id);
    if (!el) return;
    try {
      opts.width = Math.max(320, el.clientWidth);
      opts.height = opts.height || 230;
      opts.legend = { live: true };
      charts.push({ el: el, u: new uPlot(opts, data, el), height: opts.height, time: !!opts.scales.x.time });
    } catch (e) {
      console.error("chart " + id + ": " + e);
    }
  }
  // Every time chart has a right axis of the same width, so their plot
  // areas, and so their time axes, line up; only the throughput chart's
  // (the alarm's metric) has values.
  function gutter(scale) {
    return { scale: scale, side: 1, size: 64, label: "", labelSize: 18, grid: { show: false }, ticks: { show: false },
      values: function (u, splits) { return splits.map(function () { return ""; }); } };
  }
  function timeOpts(series, axes, hooks) {
    if (axes.length < 2) axes = axes.concat([gutter(axes[0].scale)]);
    return {
      cursor: { sync: { key: "load" }, drag: { x: true, y: false, setScale: false },
        bind: { dblclick: function () { return function () { zoom(xr); return null; }; } } },
      scales: { x: { time: true, range: function () { return view; } } },
      axes: [timeAxis()].concat(axes), series: [timeSeries()].concat(series),
      hooks: { drawClear: [bandsHook], draw: [firedHook].concat(hooks || []), setSelect: [zoomToSelection] },
    };
  }
  // Dragging over a time chart zooms every time chart to that span; a
  // double click zooms back out.
  var view = xr.slice();
  function zoomToSelection(u) {
    if (u.select.width < 3) return;
    var a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoom([a, b]);
  }
  function zoom(span) {
    view = span.slice();
    charts.forEach(function (c) { if (c.time) c.u.setScale("x", { min: view[0], max: view[1] }); });
  }
  function zeroBased(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }

  function throughput() {
    var S = D.series, A = D.alarm;
    var rateFmt = function (v) { return v == null ? "–" : num(v, v < 10 ? 1 : 0) + "/s"; };
    var series = [line("transactions/s", COLORS.rate, "rate", rateFmt, { fill: "rgba(76,120,168,0.12)", spanGaps: true })];
    var axes = [yAxis("transactions/s", "rate", function (v) { return num(v, 1); })];
    var cols = [S.t, S.rate];
    // The open model's --stages shape: the target rate over time, on the
    // same scale as what was achieved.
    var shaped = S.target && D.level_unit === "req/s";
    if (shaped) {
      series.push(line("target rate", COLORS.target, "rate", rateFmt, { dash: [6, 4], width: 2, spanGaps: true }));
      cols.push(S.target);
    }
    var data = cols;
    var scales = { rate: { range: function (u, min, max) { return zeroBased(u, min, Math.max(max, D.target_rate || 0)); } } };
    if (steps) {
      data = uPlot.join([cols, [steps.t, steps.v]]);
      series.push(line("alarm " + A.name + " (" + A.cmp + " " + A.threshold + "?)", COLORS.alarm, "alarm", function (v) { return num(v, 2); },
        { spanGaps: true, dash: [4, 3], width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: true, size: 5, filter: samplePoints } }));
      axes.push(yAxis("alarm metric", "alarm", function (v) { return num(v, 2); }, true));
      scales.alarm = { range: alarmRange };
    }
    var hooks = [];
    if (D.target_rate && !shaped) hooks.push(ruleHook("rate", D.target_rate, COLORS.target, "target " + num(D.target_rate, 2) + "/s"));
    if (steps) hooks.push(ruleHook("alarm", A.threshold, COLORS.alarm, "threshold " + A.threshold));
    var o = timeOpts(series, axes, hooks);
    o.scales.rate = scales.rate;
    if (scales.alarm) o.scales.alarm = scales.alarm;
    o.height = 260;
    make("chart-throughput", o, data);
  }
  function alarmRange(u, min, max) {
    var thr = D.alarm.threshold, lo = Math.min(0, min == null ? thr : min, thr), hi = Math.max(max == null ? thr : max, thr);
    return [lo, hi > 0 ? hi * 1.15 : hi + 1];
  }

  // The closed model's --stages shape: the users over time.
  function load() {
    var S = D.series, f = function (v) { return v == null ? "–" : num(v, 1) + " users"; };
    var o = timeOpts([line("target users", COLORS.target, "users", f, { width: 2, fill: "rgba(84,162,75,0.10)", spanGaps: true })],
      [yAxis("users", "users", function (v) { return num(v, 1); })]);
    o.scales.users = { range: zeroBased };
    o.height = 160;
    make("chart-load", o, [S.t, S.target]);
  }

  function errors() {
    var S = D.series, f = function (v) { return v == null ? "–" : num(v, 2) + "/s"; };
    var o = timeOpts([
      line("socket errors/s", COLORS.failed, "err", f, { fill: "rgba(198,40,40,0.10)" }),
      line("HTTP 4xx/5xx per s", COLORS.http, "err", f),
    ], [yAxis("errors/s", "err", function (v) { return num(v, 2); })]);
    o.scales.err = { range: zeroBased };
    o.height = 180;
    make("chart-errors", o, [S.t, S.failed, S.http_errors]);
  }

  function latency() {
    var S = D.series, logY = { distr: 3, log: 10 };
    var series = [
      line("p50", COLORS.p50, "ms", ms), line("p90", COLORS.p90, "ms", ms),
      line("p99", COLORS.p99, "ms", ms), line("max", COLORS.max, "ms", ms),
    ];
    var data = [S.t, S.p50, S.p90, S.p99, S.max];
    if (S.u50) {
      ["p50", "p90", "p99", "max"].forEach(function (k, i) {
        series.push(line("uncorrected " + k, COLORS[k], "ms", ms, { dash: [5, 4], width: 1 }));
        data.push([S.u50, S.u90, S.u99, S.umax][i]);
      });
    }
    var y = yAxis("latency (ms)", "ms", function (v) { return num(v, 3); });
    y.splits = decades;
    var o = timeOpts(series, [y]);
    o.scales.ms = logY;
    o.height = 260;
    make("chart-latency", o, data);
  }

  // decades are a log axis' ticks: the powers of ten in its range (and its
  // ends, when it spans less than two).
  function decades(u, axis, min, max) {
    var s = [];
    for (var v = Math.pow(10, Math.ceil(Math.log10(min) - 1e-9)); v <= max * 1.0001; v *= 10) s.push(v);
    if (s.length < 2) s = [min, max];
    return s;
  }

  function distribution() {
    var X = D.dist, maxX = X.x[X.x.length - 1];
    var series = [
      { label: "percentile", value: function (u, v) { return v == null ? "–" : pctLabel(v); } },
      line(D.dist.u ? "corrected latency" : "latency", COLORS.p99, "y", ms, { width: 2, points: { show: X.summary || X.x.length < 40, size: 5 } }),
    ];
    var data = [X.x, X.y];
    if (X.u) {
      series.push(line("uncorrected latency", COLORS.rate, "y", ms, { dash: [5, 4], width: 1.5 }));
      data.push(X.u);
    }
    make("chart-distribution", {
      height: 300,
      scales: { x: { time: false, distr: 3, log: 10, range: function () { return [1, Math.max(10, maxX)]; } }, y: { range: zeroBased } },
      axes: [
        { label: "percentile (log scale of 1/(1−p))", labelSize: 18,
          splits: decades, // the range starts at 1 and spans a decade at least
          values: function (u, splits) { return splits.map(pctLabel); } },
        yAxis("latency (ms)", "y", function (v) { return num(v, 3); }),
      ],
      series: series,
    }, data);
  }

  function alarm() {
    var A = D.alarm;
    var o = timeOpts([
      line(A.name, COLORS.alarm, "alarm", function (v) { return num(v, 2); },
        { width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: true, size: 6, filter: samplePoints } }),
    ], [yAxis("alarm metric", "alarm", function (v) { return num(v, 2); })],
    [ruleHook("alarm", A.threshold, COLORS.alarm, "threshold " + A.cmp + " " + A.threshold)]);
    o.scales.alarm = { range: alarmRange };
    o.height = 220;
    make("chart-alarm", o, [steps.t, steps.v]);
  }

  if (D.series) { if (D.series.target && D.level_unit === "users") load(); throughput(); if (D.series.has_errors) errors(); latency(); }
  if (D.dist) distribution();
  if (steps) alarm();

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.u.setSize({ width: Math.max(320, c.el.clientWidth), height: c.height }); });
  });
  // For the browser tests and for poking around in the developer tools.
  window.loadgenReport = { charts: charts.length, plots: charts.map(function (c) { return c.u; }),
    renderMs: performance.now(), scriptMs: performance.now() - t0 };
})();
