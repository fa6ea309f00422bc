/* carechain live vital signs, on the hospital's patient page and the crew's record page.
   The charts are drawn in SVG (no library) from the JSON the page embeds (#chart-data),
   and new points arrive over Server-Sent Events from the root's data-events URL. Each
   chart's text alternative (latest value, when it was taken, recent values) is updated
   with it. Clock times are in the root's data-zone (UK time at the hospital, UTC on a
   crew tablet). The page works without this script: the text alternatives are rendered
   on the server. */
(function () {
  "use strict";

  var ZONE = "UTC";
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_POINTS = 3600;

  function clock(ms, seconds) {
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: ZONE };
    if (seconds) { opts.second = "2-digit"; }
    try {
      return new Intl.DateTimeFormat("en-GB", opts).format(new Date(ms));
    } catch (e) {
      delete opts.timeZone;
      return new Intl.DateTimeFormat("en-GB", opts).format(new Date(ms));
    }
  }

  // Default y ranges: the usual span of each sign, widened to fit what is recorded.
  var RANGES = { hr: [40, 160], spo2: [80, 100], rr: [0, 40], bp: [40, 200], news2: [0, 20] };
  var UNITS = { hr: "/min", spo2: "%", rr: "/min", bp: "mmHg", news2: "" };
  var GAP_MS = 60000;  // a monitor line breaks when readings stop for a minute

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function niceStep(span, count) {
    var raw = span / count;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (raw <= steps[i] * mag) { return steps[i] * mag; }
    }
    return 10 * mag;
  }

  function startCharts(root) {
    var data = JSON.parse(document.getElementById("chart-data").textContent);
    var charts = data.charts;
    var points = [];
    var news2 = [];
    var seen = {};
    var windowMin = 60;
    var live = document.getElementById("live-status");
    var last = document.getElementById("last-reading");
    var pending = false;

    function add(p) {
      if (seen[p.entry]) { return false; }
      seen[p.entry] = true;
      p.ms = Date.parse(p.t);
      points.push(p);
      return true;
    }
    data.points.forEach(add);
    function setNews2(list) {
      news2 = list.map(function (p) { p.ms = Date.parse(p.t); return p; });
    }
    setNews2(data.news2 || []);
    points.sort(function (a, b) { return a.ms - b.ms; });

    function source(chart) { return chart.id === "news2" ? news2 : points; }
    function keys(chart) { return chart.series.map(function (s) { return s.key; }); }
    function has(p, ks) { return ks.some(function (k) { return typeof p[k] === "number"; }); }
    function show(chart, p) {
      if (chart.id === "bp") {
        return (p.sys !== undefined ? p.sys : "–") + "/" + (p.dia !== undefined ? p.dia : "–");
      }
      return String(p[chart.series[0].key]);
    }

    function latestMs() {
      var last = 0;
      if (points.length) { last = points[points.length - 1].ms; }
      news2.forEach(function (p) { if (p.ms > last) { last = p.ms; } });
      return last;
    }
    function earliestMs() {
      var first = points.length ? points[0].ms : Infinity;
      news2.forEach(function (p) { if (p.ms < first) { first = p.ms; } });
      return first;
    }

    // All charts share one time axis: the chosen window, ending at the latest reading, and
    // no wider than the readings themselves.
    function drawChart(chart, left, right) {
      var fig = document.getElementById("chart-" + chart.id);
      if (!fig) { return; }
      var svg = fig.querySelector("svg");
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      var width = Math.max(svg.clientWidth || 0, 260);
      var height = 170;
      var m = { l: 44, r: 12, t: 10, b: 24 };
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
      var ks = keys(chart);
      var all = source(chart).filter(function (p) { return has(p, ks); });
      var pts = all.filter(function (p) { return p.ms >= left && p.ms <= right; });
      if (!pts.length) {
        el("text", { x: m.l, y: height / 2, "class": "empty" }, svg).textContent =
          all.length ? "No readings in this period" : "No readings yet";
        return;
      }
      var range = RANGES[chart.id].slice();
      pts.forEach(function (p) {
        ks.forEach(function (k) {
          if (typeof p[k] === "number") {
            range[0] = Math.min(range[0], Math.floor(p[k] / 10) * 10);
            range[1] = Math.max(range[1], Math.ceil(p[k] / 10) * 10);
          }
        });
      });
      var w = width - m.l - m.r;
      var h = height - m.t - m.b;
      function x(ms) { return m.l + (ms - left) / (right - left) * w; }
      function y(v) { return m.t + (1 - (v - range[0]) / (range[1] - range[0])) * h; }

      var yStep = niceStep(range[1] - range[0], 4);
      for (var v = Math.ceil(range[0] / yStep) * yStep; v <= range[1]; v += yStep) {
        el("line", { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), "class": "grid" }, svg);
        el("text", { x: m.l - 6, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = String(v);
      }
      var minutes = [1, 2, 5, 10, 15, 30, 60, 120, 240];
      var span = (right - left) / 60000;
      var step = minutes[minutes.length - 1];
      for (var i = 0; i < minutes.length; i++) { if (span / minutes[i] <= 5) { step = minutes[i]; break; } }
      var stepMs = step * 60000;
      for (var t = Math.ceil(left / stepMs) * stepMs; t <= right; t += stepMs) {
        el("line", { x1: x(t), x2: x(t), y1: m.t, y2: m.t + h, "class": "grid" }, svg);
        el("text", { x: x(t), y: height - 6, "text-anchor": "middle" }, svg).textContent = clock(t, false);
      }
      el("line", { x1: m.l, x2: m.l, y1: m.t, y2: m.t + h, "class": "axis" }, svg);
      el("line", { x1: m.l, x2: width - m.r, y1: m.t + h, y2: m.t + h, "class": "axis" }, svg);

      ks.forEach(function (k, si) {
        var cls = "s" + si;
        var line = chart.id === "news2" ? pts : pts.filter(function (p) { return p.source === "monitor"; });
        var d = "";
        var prev = null;
        var segment = [];
        function dotIfAlone() {  // a lone reading draws no line: show it as a dot
          if (segment.length === 1) {
            el("circle", { cx: x(segment[0].ms), cy: y(segment[0][k]), r: 3, "class": "dot " + cls }, svg);
          }
        }
        line.forEach(function (p) {
          if (typeof p[k] !== "number") { return; }
          var gap = prev === null || (chart.id !== "news2" && p.ms - prev > GAP_MS);
          if (gap) { dotIfAlone(); segment = []; }
          segment.push(p);
          d += (gap ? "M" : "L") + x(p.ms).toFixed(1) + " " + y(p[k]).toFixed(1);
          prev = p.ms;
        });
        dotIfAlone();
        if (d) { el("path", { d: d, "class": "line " + cls }, svg); }
        pts.forEach(function (p) {
          if (p.source !== "observation" || typeof p[k] !== "number") { return; }
          el("rect", { x: x(p.ms) - 4, y: y(p[k]) - 4, width: 8, height: 8, "class": "obs " + cls }, svg);
        });
      });
    }

    function updateText(chart) {
      var ks = keys(chart);
      var rows = source(chart).filter(function (p) { return has(p, ks); });
      var latest = rows.length ? rows[rows.length - 1] : null;
      var value = document.getElementById("latest-" + chart.id);
      if (!value) { return; }
      if (!latest) { return; }
      value.textContent = show(chart, latest);
      document.getElementById("latest-" + chart.id + "-unit").textContent = UNITS[chart.id];
      document.getElementById("latest-" + chart.id + "-when").hidden = false;
      var time = document.getElementById("latest-" + chart.id + "-time");
      time.textContent = clock(latest.ms, true);
      time.setAttribute("datetime", latest.t);
      document.getElementById("latest-" + chart.id + "-source").textContent = latest.source;
      var body = document.querySelector("#recent-" + chart.id + " tbody");
      if (!body) { return; }
      while (body.firstChild) { body.removeChild(body.firstChild); }
      rows.slice(-8).reverse().forEach(function (p) {
        var tr = document.createElement("tr");
        [clock(p.ms, true), show(chart, p), p.source].forEach(function (text) {
          var td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }

    function redraw() {
      pending = false;
      var right = latestMs();
      var left = Math.min(right, earliestMs());
      if (windowMin) { left = Math.max(left, right - windowMin * 60000); }
      if (right - left < 5 * 60000) { left = right - 5 * 60000; }
      var pad = (right - left) * 0.03;  // keep the first and last points off the axes
      left -= pad;
      right += pad;
      charts.forEach(function (chart) { drawChart(chart, left, right); updateText(chart); });
    }
    function schedule() {
      if (!pending) { pending = true; window.requestAnimationFrame(redraw); }
    }

    document.querySelectorAll("#chart-window input[name=window]").forEach(function (input) {
      input.addEventListener("change", function () { windowMin = Number(input.value); schedule(); });
      if (input.checked) { windowMin = Number(input.value); }
    });
    window.addEventListener("resize", schedule);
    redraw();

    if (!window.EventSource) {
      live.textContent = "Live updates are not available in this browser: refresh to update.";
      return;
    }
    var url = root.getAttribute("data-events") + "?after=" + encodeURIComponent(root.getAttribute("data-cursor"));
    var stream = new EventSource(url);
    function setLive(text, cls) {
      live.textContent = text;
      live.classList.remove("hb-live-on", "hb-live-off");
      if (cls) { live.classList.add(cls); }
    }
    stream.addEventListener("open", function () { setLive("Live", "hb-live-on"); });
    stream.addEventListener("vitals", function (event) {
      var update = JSON.parse(event.data);
      var added = false;
      update.points.forEach(function (p) { added = add(p) || added; });
      if (added) {
        points.sort(function (a, b) { return a.ms - b.ms; });
        if (points.length > MAX_POINTS) { points.splice(0, points.length - MAX_POINTS); }
      }
      if (update.news2) { setNews2(update.news2); }
      var changed = document.getElementById("record-changed");
      if (update.changed && changed) { changed.hidden = false; }
      if (live.textContent !== "Live") { setLive("Live", "hb-live-on"); }
      last.textContent = "last reading " + clock(latestMs(), true);
      schedule();
    });
    stream.addEventListener("ended", function () {
      stream.close();
      setLive("Live updates ended: your access has expired. Refresh the page.", "hb-live-off");
    });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) {
        setLive("Live updates stopped: refresh the page.", "hb-live-off");
      } else {
        setLive("Reconnecting…", "hb-live-off");
      }
    });
  }

  function start() {
    var root = document.querySelector("[data-vitals-root]");
    if (!root || !document.getElementById("chart-data")) { return; }
    ZONE = root.getAttribute("data-zone") || "UTC";
    startCharts(root);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
