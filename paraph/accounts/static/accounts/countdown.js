// Counts down "You can ask for a new code in N seconds" on the code page.
// Without JavaScript the page still works: asking too early says how long to wait.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var note = document.querySelector("[data-countdown]");
    if (!note) { return; }
    var number = note.querySelector(".countdown");
    var left = parseInt(note.getAttribute("data-countdown"), 10);
    if (!number || !(left > 0)) { return; }
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        note.textContent = note.getAttribute("data-done");
        return;
      }
      number.textContent = String(left);
    }, 1000);
  });
})();
