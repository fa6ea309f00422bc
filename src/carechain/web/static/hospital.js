/* carechain hospital dashboard: the board at /hospital refreshes itself by long-polling
   /hospital/api/incoming (the server answers as soon as the board changes), and says when
   a new patient appears. The patient page's live charts are vitals.js, shared with the
   crew app. */
(function () {
  "use strict";

  var ZONE = "Europe/London";

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

  /* ---------------------------------------------------------------- the board */

  function startBoard(board) {
    var version = board.getAttribute("data-version");
    var api = board.getAttribute("data-api");
    var updated = document.getElementById("board-updated");
    var note = document.getElementById("board-note");
    var status = document.getElementById("board-status");
    var announce = document.getElementById("board-announce");
    var failures = 0;

    function rowIds() {
      var ids = {};
      board.querySelectorAll("#incoming-list [data-record-id]").forEach(function (row) {
        ids[row.getAttribute("data-record-id")] = true;
      });
      return ids;
    }

    function replace(html) {
      var active = document.activeElement;
      var row = active && board.contains(active) ? active.closest("[data-record-id]") : null;
      var keep = row ? row.getAttribute("data-record-id") : null;
      var before = rowIds();
      board.innerHTML = html;
      var arrived = [];
      board.querySelectorAll("#incoming-list [data-record-id]").forEach(function (el) {
        if (!before[el.getAttribute("data-record-id")]) {
          el.classList.add("hb-new");
          var badge = el.querySelector("[data-testid=category-badge]");
          var who = el.querySelector("[data-testid=callsign]");
          arrived.push((badge ? badge.textContent.trim() : "") + " " + (who ? who.textContent.trim() : ""));
        }
      });
      if (arrived.length) {
        announce.textContent = "New incoming patient: " + arrived.join("; ");
      }
      if (keep) {
        var again = board.querySelector("[data-record-id='" + keep + "'] a");
        if (again) { again.focus(); }
      }
    }

    function poll() {
      var url = api + "?since=" + encodeURIComponent(version) + "&wait=25";
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) { window.location.href = "/login?next=/hospital"; throw new Error("login"); }
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (data) {
          failures = 0;
          if (data.version !== version) {
            version = data.version;
            board.setAttribute("data-version", version);
            replace(data.html);
          }
          updated.textContent = clock(Date.parse(data.generated_at), true);
          note.textContent = "";
          status.classList.remove("hb-stale");
          window.setTimeout(poll, 50);
        })
        .catch(function (err) {
          if (err && err.message === "login") { return; }
          failures += 1;
          note.textContent = " — not updating: trying to reconnect";
          status.classList.add("hb-stale");
          if (failures === 2) { announce.textContent = "The board is not updating; trying to reconnect."; }
          window.setTimeout(poll, Math.min(1000 * failures, 10000));
        });
    }
    poll();
  }

  function start() {
    var board = document.getElementById("board");
    if (board) { startBoard(board); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
