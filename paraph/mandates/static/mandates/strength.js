// The password strength meter of the mandate's password page: it says in
// words how hard the password is to guess, as it is typed. A guide only:
// the server checks the rules (length, common passwords, personal data).
// No external library; texts come from data-* attributes (translated).
(function () {
  "use strict";

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
    if (text.length < 12) { return 0; }
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

  function attach(input) {
    var meter = document.getElementById(input.getAttribute("data-strength-meter"));
    if (!meter) { return; }
    var fill = meter.querySelector(".meter-fill");
    var words = meter.querySelector(".meter-words");
    meter.hidden = false;
    function update() {
      var value = input.value;
      if (!value) {
        fill.className = "meter-fill";
        words.textContent = meter.getAttribute("data-empty");
        return;
      }
      var level = score(value);
      fill.className = "meter-fill s" + level;
      words.textContent = meter.getAttribute("data-s" + level);
    }
    input.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-strength-meter]");
    for (var i = 0; i < inputs.length; i += 1) { attach(inputs[i]); }
  });
})();
