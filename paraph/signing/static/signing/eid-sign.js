// Signing a PDF with the Belgian eID card through the Web eID browser
// extension ("web-eid:status", "web-eid:get-signing-certificate" and
// "web-eid:sign", sent through identity/webeid.js, loaded first). Generic:
// any page can use it (a contract, a mandate PDF) by following this contract.
//
// The root element: data-eid-sign, and
//   data-prepare-url  POST {certificate, supportedSignatureAlgorithms} (what
//                     getSigningCertificate gave) → 200 {preparedId, hash
//                     (base64), hashFunction}, or an error {code, message}
//   data-finish-url   POST {preparedId, signature} (base64, from sign) →
//                     200 {redirect}, or an error {code, message}; an error
//                     may carry passwordUrl (shown as the password path) and
//                     contractUrl (shown as a way back)
//   data-lang         the page's language, for the Web eID software's dialogs
//   data-virtual-reader  "true" when the sandbox's virtual card reader
//                     (identity/eid-virtual-reader.js, loaded before this
//                     script) answers instead of the extension (nothing else
//                     changes: it speaks the same messages)
// inside it: an input[name=csrfmiddlewaretoken] ({% csrf_token %}, sent as
// X-CSRFToken), and elements marked
//   data-eid-sign-start     the button (enabled once the extension answers)
//   data-eid-sign-status    the progress line (role=status)
//   data-eid-sign-error     the error box (hidden), with data-eid-sign-error-text,
//                           and optional data-eid-sign-password (shown, its
//                           link set, when the error carries passwordUrl) and
//                           data-eid-sign-contract (shown for a final refusal)
//   data-eid-sign-missing   the install guidance (hidden; shown when no
//                           extension answers within a few seconds)
//   data-eid-sign-messages  hidden spans data-key="ready|certificate|preparing|
//                           signing|finishing|done|missing|native|cancelled|
//                           timeout|failed|network" holding the translated words
//                           (no text in this script).
// Codes that mean "start again from the card" (signature_mismatch,
// prepared_expired, prepared_unknown, ocsp_unavailable, too_many_tries,
// unavailable) leave the button enabled; any other refusal disables it.
(function () {
  "use strict";

  var webEid = window.ParaphWebEid; // identity/webeid.js, loaded first
  var send = webEid.send;
  var LIBRARY_VERSION = webEid.LIBRARY_VERSION;
  var USER_TIMEOUT = webEid.USER_TIMEOUT; // choosing the certificate, typing the PIN
  var RETRYABLE = ["signature_mismatch", "prepared_expired", "prepared_unknown",
    "ocsp_unavailable", "too_many_tries", "unavailable", "bad_request", "bad_certificate"];

  function setUp(root) {
    var part = function (name) { return root.querySelector("[data-eid-sign-" + name + "]"); };
    var statusLine = part("status");
    var button = part("start");
    var missing = part("missing");
    var errorBox = part("error");
    var errorText = part("error-text");
    var passwordPath = part("password");
    var contractPath = part("contract");
    var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
    var csrf = csrfInput ? csrfInput.value : "";
    var options = { lang: root.dataset.lang, userInteractionTimeout: USER_TIMEOUT };

    function text(key) {
      var node = root.querySelector('[data-eid-sign-messages] [data-key="' + key + '"]');
      return node ? node.textContent : key;
    }
    function say(key) {
      statusLine.textContent = text(key);
    }
    function clearError() {
      errorBox.hidden = true;
      if (passwordPath) { passwordPath.hidden = true; }
      if (contractPath) { contractPath.hidden = true; }
    }
    // A refusal from Paraph, in the words it sent.
    function refused(data) {
      var code = data.code || "";
      errorText.textContent = data.message || text("failed");
      errorBox.hidden = false;
      if (passwordPath && data.passwordUrl) {
        passwordPath.querySelector("a").href = data.passwordUrl;
        passwordPath.hidden = false;
      }
      if (contractPath && data.contractUrl) {
        contractPath.querySelector("a").href = data.contractUrl;
        contractPath.hidden = false;
      }
      button.disabled = RETRYABLE.indexOf(code) < 0;
      statusLine.textContent = "";
      errorBox.focus();
    }
    function webEidProblem(error) {
      var problem = webEid.problem(error);
      button.disabled = false;
      say(problem.key);
      if (problem.guidance) { missing.hidden = false; }
    }
    function postJson(url, body) {
      return webEid.postJson(url, body, csrf);
    }

    // The four steps; each stops the chain (returns null) when it failed.
    function sign() {
      button.disabled = true;
      missing.hidden = true;
      clearError();
      say("certificate");
      var userTimeout = webEid.ACK_TIMEOUT + 2 * USER_TIMEOUT;
      send({ action: "web-eid:get-signing-certificate", libraryVersion: LIBRARY_VERSION, options: options },
        userTimeout).then(function (card) {
        say("preparing");
        return postJson(root.dataset.prepareUrl, {
          certificate: card.certificate,
          supportedSignatureAlgorithms: card.supportedSignatureAlgorithms || []
        }).then(function (prepared) {
          if (!prepared.ok || !prepared.data.preparedId) {
            refused(prepared.data);
            return null;
          }
          say("signing");
          return send({
            action: "web-eid:sign",
            libraryVersion: LIBRARY_VERSION,
            certificate: card.certificate,
            hash: prepared.data.hash,
            hashFunction: prepared.data.hashFunction,
            options: options
          }, userTimeout).then(function (signed) {
            say("finishing");
            return postJson(root.dataset.finishUrl, {
              preparedId: prepared.data.preparedId,
              signature: signed.signature
            }).then(function (result) {
              if (result.ok && result.data.redirect) {
                say("done");
                window.location.assign(result.data.redirect);
              } else {
                refused(result.data);
              }
            });
          }, webEidProblem);
        });
      }, webEidProblem).catch(function () {
        button.disabled = false;
        say("network");
      });
    }

    button.addEventListener("click", sign);

    window.setTimeout(function () {
      send({ action: "web-eid:status", libraryVersion: LIBRARY_VERSION }, webEid.STATUS_TIMEOUT)
        .then(function () {
          button.disabled = false;
          say("ready");
        }, webEidProblem);
    }, webEid.LOAD_DELAY);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-eid-sign]"), setUp);
  });
})();
