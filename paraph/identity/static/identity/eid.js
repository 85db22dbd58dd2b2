// The eID card page: asks the Web eID browser extension (through
// identity/webeid.js) for "web-eid:status" then "web-eid:authenticate",
// gets the authentication token, and posts it to Paraph, which validates
// it. When nothing answers, the page explains how to install the eID
// software and the extension (RG-8, RG-9).
(function () {
  "use strict";

  var webEid = window.ParaphWebEid; // identity/webeid.js, loaded first
  var send = webEid.send;
  var LIBRARY_VERSION = webEid.LIBRARY_VERSION;
  var USER_TIMEOUT = webEid.USER_TIMEOUT;

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("eid");
    if (!root) { return; }
    var statusLine = document.getElementById("eid-status");
    var readButton = document.getElementById("eid-read");
    var missing = document.getElementById("eid-missing");
    var errorBox = document.getElementById("eid-error");
    var errorText = document.getElementById("eid-error-text");
    var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

    function text(key) {
      var node = document.querySelector('#eid-messages [data-key="' + key + '"]');
      return node ? node.textContent : key;
    }
    function say(key) {
      statusLine.textContent = text(key);
    }
    function showError(message) {
      errorText.textContent = message;
      errorBox.hidden = false;
      readButton.hidden = true;
      errorBox.focus();
    }
    function webEidProblem(error) {
      var problem = webEid.problem(error);
      readButton.disabled = false;
      say(problem.key);
      if (problem.guidance) { missing.hidden = false; }
    }
    function postJson(url, body) {
      return webEid.postJson(url, body, csrf);
    }

    function readCard() {
      readButton.disabled = true;
      missing.hidden = true;
      say("reading");
      postJson(root.dataset.challengeUrl, {}).then(function (answer) {
        if (!answer.ok || !answer.data.challengeNonce) {
          showError(answer.data.error || text("failed"));
          return null;
        }
        return send({
          action: "web-eid:authenticate",
          libraryVersion: LIBRARY_VERSION,
          challengeNonce: answer.data.challengeNonce,
          options: { lang: root.dataset.lang, userInteractionTimeout: USER_TIMEOUT }
        }, webEid.ACK_TIMEOUT + USER_TIMEOUT).then(function (reply) {
          say("checking");
          return postJson(root.dataset.authenticateUrl, {
            authToken: {
              unverifiedCertificate: reply.unverifiedCertificate,
              algorithm: reply.algorithm,
              signature: reply.signature,
              format: reply.format,
              appVersion: reply.appVersion
            }
          }).then(function (result) {
            if (result.ok && result.data.redirect) {
              say("done");
              window.location.assign(result.data.redirect);
            } else {
              showError(result.data.error || text("failed"));
            }
          });
        }, webEidProblem);
      }).catch(function () {
        readButton.disabled = false;
        say("network");
      });
    }

    readButton.addEventListener("click", readCard);

    window.setTimeout(function () {
      send({ action: "web-eid:status", libraryVersion: LIBRARY_VERSION }, webEid.STATUS_TIMEOUT)
        .then(function () {
          readButton.disabled = false;
          say("ready");
        }, webEidProblem);
    }, webEid.LOAD_DELAY);
  });
})();
