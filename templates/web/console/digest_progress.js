// The issue page's live counts: reads the page's JSON snapshot every two seconds and writes each
// number where the page has data-count="<status>", until the issue is finished. Served by the
// console (digests/issue.py); the page's security policy allows this file and nothing inline.
(function () {
  "use strict";
  var root = document.querySelector("[data-poll]");
  if (!root) return;
  var url = root.getAttribute("data-poll");
  function show(snapshot) {
    var counts = snapshot.counts || {};
    root.querySelectorAll("[data-count]").forEach(function (cell) {
      var key = cell.getAttribute("data-count");
      var value = key in snapshot ? snapshot[key] : counts[key] || 0;
      cell.textContent = String(value);
    });
    var bar = root.querySelector("progress");
    if (bar) bar.value = snapshot.progress_percent;
    root.querySelectorAll("[data-percent]").forEach(function (cell) {
      cell.textContent = String(snapshot.progress_percent);
    });
    var state = root.querySelector("[data-state]");
    if (state) state.setAttribute("data-state", snapshot.finished ? "finished" : "live");
    root.setAttribute("data-status", snapshot.status);
    return snapshot.finished;
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (snapshot) {
        if (snapshot && show(snapshot)) return;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
