// The IDnow status page checks the result by itself, politely: after 5,
// 10, 20, 30 seconds, then every minute, not while the tab is hidden, and
// for two hours at most. It reloads the page only when the outcome changed.
(function () {
  "use strict";
  var box = document.getElementById("idnow-status");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var outcome = box.getAttribute("data-outcome");
  var note = document.getElementById("idnow-checked");
  var delays = [5, 10, 20, 30, 60];
  var attempt = 0;
  var started = Date.now();
  var limit = 2 * 3600 * 1000;

  function schedule() {
    if (Date.now() - started > limit) {
      return;
    }
    var delay = delays[Math.min(attempt, delays.length - 1)] * 1000;
    attempt += 1;
    window.setTimeout(check, delay);
  }

  function checked() {
    if (note) {
      var time = new Date().toLocaleTimeString(document.documentElement.lang || undefined, {
        hour: "2-digit", minute: "2-digit"
      });
      note.textContent = note.getAttribute("data-text") + " " + time;
    }
  }

  function check() {
    if (document.hidden) {
      schedule();
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.outcome && data.outcome !== outcome) {
          window.location.reload();
          return;
        }
        checked();
        schedule();
      })
      .catch(schedule);
  }

  schedule();
})();
