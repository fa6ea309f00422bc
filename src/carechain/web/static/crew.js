// The crew app's page script: a status bar that stays current, the live NEWS2 preview of an
// observation form, and the disposition form's two halves. Every page works without it.
"use strict";
(function () {
  var STATUS_EVERY_MS = 5000;
  var PREVIEW_DELAY_MS = 350;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function csrfOf(form) {
    var input = form && form.querySelector('input[name="csrf"]');
    return input ? input.value : (document.querySelector('input[name="csrf"]') || {}).value || "";
  }

  // --- the status bar -----------------------------------------------------------------
  function setText(id, text) {
    var node = document.getElementById(id);
    if (node && node.textContent !== String(text)) { node.textContent = String(text); }
  }

  function showStatus(s) {
    if (s.counts) {
      setText("count-device", s.counts.device);
      setText("count-hub", s.counts.hub);
      setText("count-hospital", s.counts.hospital);
      setText("received-by", s.received_by && s.received_by.length ? "(" + s.received_by.join(", ") + ")" : "");
    }
    var hub = document.getElementById("hub-status");
    if (hub) {
      setText("hub-status", s.hub.text);
      hub.className = s.hub.reachable ? "hub-up" : s.hub.configured ? "hub-down" : "hub-none";
      hub.setAttribute("data-reachable", s.hub.reachable ? "yes" : "no");
      hub.setAttribute("data-configured", s.hub.configured ? "yes" : "no");
    }
    var alerts = document.getElementById("integrity-alerts");
    if (alerts) {
      var texts = (s.alerts || []).map(function (a) { return a.text; });
      if (alerts.getAttribute("data-shown") !== texts.join("\n")) {
        alerts.textContent = "";
        texts.forEach(function (t) {
          alerts.appendChild(el("span", {"class": "alert-box", "data-testid": "integrity-alert"}, t));
        });
        alerts.setAttribute("data-shown", texts.join("\n"));
      }
    }
  }

  function pollStatus(bar) {
    var url = bar.getAttribute("data-status-url");
    function tick() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) {
          if (r.status === 401) { setText("hub-status", "Logged out: log in again to continue"); return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (s) { if (s) { showStatus(s); } })
        .catch(function () { /* the node is local; a failed poll is tried again */ })
        .then(function () { window.setTimeout(tick, STATUS_EVERY_MS); });
    }
    window.setTimeout(tick, STATUS_EVERY_MS);
  }

  // --- live NEWS2 ---------------------------------------------------------------------
  function fieldError(form, id, message) {
    var input = form.querySelector("#" + CSS.escape(id));
    if (!input) { return; }
    var box = input.closest(".field") || input.parentNode;
    var errId = id + "-preview-error";
    var old = document.getElementById(errId);
    if (old) { old.remove(); }
    var described = (input.getAttribute("aria-describedby") || "").split(" ")
      .filter(function (x) { return x && x !== errId; });
    if (message) {
      box.appendChild(el("p", {"class": "error", "id": errId, "data-testid": "preview-error"}, message));
      described.push(errId);
      input.setAttribute("aria-invalid", "true");
    } else if (!document.getElementById(id + "-error")) {
      input.removeAttribute("aria-invalid");
    }
    if (described.length) { input.setAttribute("aria-describedby", described.join(" ")); }
    else { input.removeAttribute("aria-describedby"); }
  }

  function showPreview(body, form, result) {
    body.textContent = "";
    var n = result.news2;
    if (!n) {
      body.appendChild(el("p", {"class": "muted", "id": "preview-waiting"}, "No NEWS2 yet: type a measurement."));
    } else {
      var p = el("p", {"id": "preview-score"});
      var badge = el("span", {"class": "badge band-" + n.band, "id": "preview-band", "data-band": n.band,
        "data-aggregate": String(n.aggregate)},
        (n.score_name || "NEWS2") + " " + n.aggregate + (n.complete ? "" : " (incomplete)") + " · " + n.band);
      p.appendChild(badge);
      p.appendChild(document.createTextNode(" " + n.response));
      body.appendChild(p);
      var table = el("table", {"class": "news2-table", "id": "preview-components"});
      table.appendChild(el("caption", {}, "Component scores"));
      var tbody = el("tbody");
      n.rows.forEach(function (r) {
        var tr = el("tr", {"data-parameter": r.name});
        tr.appendChild(el("th", {"scope": "row"}, r.label));
        tr.appendChild(el("td", {"class": r.score >= 3 ? "score-3" : ""},
          r.score === null || r.score === undefined ? (r.unscored && r.value !== null ? "not added" : "not recorded") : String(r.score)));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      body.appendChild(table);
    }
    var list = el("ul", {"class": "prompts", "id": "preview-prompts"});
    (result.prompts || []).forEach(function (pr) {
      list.appendChild(el("li", {"class": "prompt sev-" + pr.severity, "data-testid": "prompt",
        "data-rule": pr.rule, "data-severity": pr.severity}, pr.text));
    });
    body.appendChild(list);
    var errors = result.errors || {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-testid=preview-error]"), function (e) {
      var id = e.id.replace(/-preview-error$/, "");
      if (!errors[id]) { fieldError(form, id, ""); }
    });
    Object.keys(errors).forEach(function (id) { fieldError(form, id, errors[id]); });
  }

  function livePreview(section) {
    var form = document.getElementById(section.getAttribute("data-form"));
    var body = document.getElementById("preview-body");
    if (!form || !body || !window.fetch) { return; }
    var timer = null;
    var latest = 0;
    function send() {
      var data = new URLSearchParams(new FormData(form));
      data.delete("_shown");
      data.set("record", section.getAttribute("data-record") || "");
      var mine = ++latest;
      section.classList.add("stale");
      fetch(section.getAttribute("data-preview-url"), {
        method: "POST", credentials: "same-origin", body: data,
        headers: {"X-CSRF-Token": csrfOf(form), "Accept": "application/json"}
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) {
          if (result && mine === latest) { showPreview(body, form, result); }
        })
        .catch(function () { /* the form still saves, and the server scores it */ })
        .then(function () { if (mine === latest) { section.classList.remove("stale"); } });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, PREVIEW_DELAY_MS);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    send();
  }

  // --- disposition: show the half that applies ------------------------------------------
  function dispositionHalves() {
    var outcome = document.getElementById("outcome");
    var conveyed = document.getElementById("fs-conveyed");
    var notConveyed = document.getElementById("fs-not-conveyed");
    if (!outcome || !conveyed || !notConveyed) { return; }
    function apply() {
      // A half holding an error stays in view, whatever the outcome says.
      conveyed.hidden = outcome.value === "not-conveyed" && !conveyed.querySelector(".invalid");
      notConveyed.hidden = outcome.value === "conveyed" && !notConveyed.querySelector(".invalid");
    }
    outcome.addEventListener("change", apply);
    apply();
  }

  // --- the arrest timeline: the tap's instant, from this device, and one write per tap -----
  function deviceTime() {
    document.querySelectorAll("form[data-device-time]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "yes";
        var at = form.querySelector('input[name="at"]');
        if (at) { at.value = new Date().toISOString(); }
      });
    });
  }

  // --- a signature drawn on the screen: finger, stylus or mouse, sent as a PNG data URL ---
  function signaturePads() {
    document.querySelectorAll("canvas[data-signature]").forEach(function (canvas) {
      var input = document.getElementById(canvas.dataset.signature);
      var state = document.getElementById(canvas.dataset.signature + "-state");
      var clear = document.getElementById(canvas.dataset.signature + "-clear");
      var pen = canvas.getContext("2d");
      var last = null;
      pen.lineWidth = 3; pen.lineCap = "round"; pen.lineJoin = "round"; pen.strokeStyle = "#000";
      if (input.value.indexOf("data:image/png;base64,") === 0) {
        // A form sent back with an error keeps the signature: show it again on the pad.
        var shown = new Image();
        shown.onload = function () { pen.drawImage(shown, 0, 0); };
        shown.src = input.value;
      }
      function point(x, y) {
        var box = canvas.getBoundingClientRect();
        return {x: (x - box.left) * canvas.width / box.width,
                y: (y - box.top) * canvas.height / box.height};
      }
      function start(x, y) { last = point(x, y); }
      function move(x, y) {
        if (!last) { return; }
        var next = point(x, y);
        pen.beginPath(); pen.moveTo(last.x, last.y); pen.lineTo(next.x, next.y); pen.stroke();
        last = next;
      }
      function end() {
        if (!last) { return; }
        last = null;
        input.value = canvas.toDataURL("image/png");
        if (state) { state.textContent = "Signature drawn"; }
      }
      if (window.PointerEvent) {
        canvas.addEventListener("pointerdown", function (e) {
          e.preventDefault(); canvas.setPointerCapture(e.pointerId); start(e.clientX, e.clientY);
        });
        canvas.addEventListener("pointermove", function (e) { move(e.clientX, e.clientY); });
        canvas.addEventListener("pointerup", end);
        canvas.addEventListener("pointercancel", end);
      } else {
        canvas.addEventListener("touchstart", function (e) {
          e.preventDefault(); start(e.touches[0].clientX, e.touches[0].clientY);
        });
        canvas.addEventListener("touchmove", function (e) {
          e.preventDefault(); move(e.touches[0].clientX, e.touches[0].clientY);
        });
        canvas.addEventListener("touchend", end);
        canvas.addEventListener("mousedown", function (e) { start(e.clientX, e.clientY); });
        canvas.addEventListener("mousemove", function (e) { move(e.clientX, e.clientY); });
        window.addEventListener("mouseup", end);
      }
      if (clear) {
        clear.addEventListener("click", function () {
          pen.clearRect(0, 0, canvas.width, canvas.height);
          input.value = "";
          if (state) { state.textContent = "Not signed yet"; }
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("status-bar");
    if (bar && window.fetch) { pollStatus(bar); }
    var preview = document.getElementById("news2-preview");
    if (preview) { livePreview(preview); }
    dispositionHalves();
    deviceTime();
    signaturePads();
  });
})();
