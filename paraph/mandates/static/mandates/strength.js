// The password strength meter of the mandate's password page: it says in
// words how hard the password is to guess, as it is typed. The verdict is
// the server's (data-check-url: the same rules as when the form is sent,
// the person's name and phone included); the estimate below only grades a
// password the server accepts, and stands in when the server cannot answer.
// No external library; texts come from data-* attributes (translated).
(function () {
  "use strict";

  var MIN_LENGTH = 12;
  var PAUSE_MS = 250;
  var COMMON = ["password", "motdepasse", "wachtwoord", "passwort", "azerty", "qwerty",
    "qwertz", "123456", "abcdef", "paraph", "iloveyou", "welcome", "bonjour", "admin",
    "letmein", "monkey", "dragon", "sunshine", "soleil", "welkom", "hallo"];
  var SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn"];

  function pool(text) {
    var size = 0;
    if (/[a-z]/.test(text)) { size += 26; }
    if (/[A-Z]/.test(text)) { size += 26; }
    if (/[0-9]/.test(text)) { size += 10; }
    if (/[^A-Za-z0-9]/.test(text)) { size += 20; }
    return Math.max(size, 10);
  }

  // Characters that repeat or follow a sequence add little.
  function effectiveLength(text) {
    var lower = text.toLowerCase();
    var count = 0;
    for (var i = 0; i < lower.length; i += 1) {
      var previous = i > 0 ? lower.charAt(i - 1) : "";
      var pair = previous + lower.charAt(i);
      var predictable = lower.charAt(i) === previous;
      for (var s = 0; s < SEQUENCES.length && !predictable && previous; s += 1) {
        predictable = SEQUENCES[s].indexOf(pair) !== -1;
      }
      count += predictable ? 0.25 : 1;
    }
    return count;
  }

  function score(text) {
    if (text.length < MIN_LENGTH) { return 0; }
    var lower = text.toLowerCase().replace(/[\s\W_]+/g, "");
    var bits = effectiveLength(text) * Math.log(pool(text)) / Math.LN2;
    for (var c = 0; c < COMMON.length; c += 1) {
      if (lower.indexOf(COMMON[c]) !== -1) { bits -= 25; }
    }
    var words = text.trim().split(/\s+/).length;
    if (words >= 4) { bits += 10; }
    if (new Set(lower).size < 5) { bits = 0; }
    if (bits < 45) { return 1; }
    if (bits < 60) { return 2; }
    if (bits < 80) { return 3; }
    return 4;
  }

  function csrfToken(input) {
    var field = input.form && input.form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function attach(input) {
    var meter = document.getElementById(input.getAttribute("data-strength-meter"));
    if (!meter) { return; }
    var fill = meter.querySelector(".meter-fill");
    var words = meter.querySelector(".meter-words");
    var url = meter.getAttribute("data-check-url");
    var timer = null;
    var asked = 0;
    meter.hidden = false;

    function show(level, text) {
      fill.className = "meter-fill" + (level === null ? "" : " s" + level);
      words.textContent = text;
    }

    function estimate(value) {
      var level = score(value);
      show(level, meter.getAttribute("data-s" + level));
    }

    function ask(value) {
      var ticket = (asked += 1);
      var body = new URLSearchParams();
      body.append("password", value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(input) },
        body: body
      }).then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      }).then(function (verdict) {
        if (ticket !== asked || input.value !== value) { return; }  // typed on meanwhile
        if (verdict.acceptable) {
          estimate(value);
        } else {
          meter.setAttribute("data-verdict", "refused");
          show(1, meter.getAttribute("data-refused") + " " + verdict.problems.join(" "));
          return;
        }
        meter.setAttribute("data-verdict", "accepted");
      }).catch(function () {
        if (ticket === asked && input.value === value) { estimate(value); }
      });
    }

    function update() {
      var value = input.value;
      window.clearTimeout(timer);
      asked += 1;  // an answer to an earlier value is no longer shown
      meter.removeAttribute("data-verdict");
      if (!value) {
        show(null, meter.getAttribute("data-empty"));
        return;
      }
      if (value.length < MIN_LENGTH || !url) {
        estimate(value);
        return;
      }
      show(null, meter.getAttribute("data-checking"));
      timer = window.setTimeout(function () { ask(value); }, PAUSE_MS);
    }

    input.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-strength-meter]");
    for (var i = 0; i < inputs.length; i += 1) { attach(inputs[i]); }
  });
})();
