// The crew body map: a tap on a view's diagram fills in the form's view, region and the
// mark's x/y (0-1 across and down that diagram) and shows where the mark will go. Without
// this script the form's view and region lists are used and the mark goes mid-region.
(function () {
  "use strict";

  function choose(select, value) {
    if (!select) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.selectedIndex = i; return; }
    }
  }

  function tapToMark(svg) {
    svg.addEventListener("click", function (event) {
      var box = svg.getBoundingClientRect();
      if (!box.width || !box.height) { return; }
      var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      document.getElementById("mark-x").value = x.toFixed(3);
      document.getElementById("mark-y").value = y.toFixed(3);
      var view = svg.getAttribute("data-view");
      choose(document.getElementById("mark-view"), view);
      var region = event.target.closest ? event.target.closest("[data-region]") : null;
      if (region) { choose(document.getElementById("mark-region"), region.getAttribute("data-region")); }
      document.querySelectorAll("circle.pending").forEach(function (c) {
        c.setAttribute("cx", "-20"); c.setAttribute("cy", "-20");
      });
      var viewBox = svg.viewBox.baseVal;
      var pending = document.getElementById("pending-" + view);
      if (pending && viewBox) {
        pending.setAttribute("cx", String(x * viewBox.width));
        pending.setAttribute("cy", String(y * viewBox.height));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("bodymap-form")) { return; }
    document.querySelectorAll("svg[data-view]").forEach(tapToMark);
  });
})();
