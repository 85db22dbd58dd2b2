// Follows a bulk send's progress: polls its JSON every two seconds and
// updates the progress bar and the live region; reloads the page once the
// batch is finished, to show each contract's result.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("batch-bar");
  var text = document.getElementById("batch-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        bar.max = data.total;
        bar.value = data.processed;
        bar.textContent = data.percent + " %";
        if (data.status === "done") { window.location.reload(); return; }
        text.textContent = data.text;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (box.getAttribute("data-status") !== "done") { window.setTimeout(poll, 2000); }
})();
