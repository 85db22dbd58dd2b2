// The eID card page: speaks the Web eID browser extension's message
// protocol (the one web-eid.js wraps: window.postMessage of
// "web-eid:status" and "web-eid:authenticate", answered by "-ack" at once,
// then "-success" or "-failure"), gets the authentication token, and posts
// it to Paraph, which validates it. When nothing answers, the page explains
// how to install the eID software and the extension (RG-8, RG-9).
(function () {
  "use strict";

  var LIBRARY_VERSION = "2.0.0";
  var LOAD_DELAY = 1000; // the extension's content script may load after the page
  var ACK_TIMEOUT = 3000; // no acknowledgement: no extension
  var STATUS_TIMEOUT = 10000;
  var USER_TIMEOUT = 5 * 60 * 1000; // the PIN prompt; the challenge lives 5 minutes

  var pending = {};

  window.addEventListener("message", function (event) {
    if (event.source !== window || !event.data || typeof event.data.action !== "string") { return; }
    var match = /^(web-eid:[a-z-]+?)-(ack|success|failure)$/.exec(event.data.action);
    if (!match || !pending[match[1]]) { return; }
    var call = pending[match[1]];
    if (match[2] === "ack") {
      window.clearTimeout(call.ackTimer);
      return;
    }
    delete pending[match[1]];
    window.clearTimeout(call.ackTimer);
    window.clearTimeout(call.replyTimer);
    if (match[2] === "success") {
      call.resolve(event.data);
    } else {
      call.reject(event.data.error || { code: "ERR_WEBEID_UNKNOWN_ERROR" });
    }
  });

  // One request to the extension: resolves with its success message.
  function send(message, replyTimeout) {
    return new Promise(function (resolve, reject) {
      if (pending[message.action]) {
        reject({ code: "ERR_WEBEID_ACTION_PENDING" });
        return;
      }
      var call = { resolve: resolve, reject: reject };
      pending[message.action] = call;
      call.ackTimer = window.setTimeout(function () {
        delete pending[message.action];
        window.clearTimeout(call.replyTimer);
        reject({ code: "ERR_WEBEID_EXTENSION_UNAVAILABLE" });
      }, ACK_TIMEOUT);
      call.replyTimer = window.setTimeout(function () {
        delete pending[message.action];
        reject({ code: "ERR_WEBEID_ACTION_TIMEOUT" });
      }, replyTimeout);
      window.postMessage(message, "*");
    });
  }

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
      var code = (error && error.code) || "";
      readButton.disabled = false;
      if (code === "ERR_WEBEID_EXTENSION_UNAVAILABLE") {
        say("missing");
        missing.hidden = false;
      } else if (code === "ERR_WEBEID_NATIVE_UNAVAILABLE" || code === "ERR_WEBEID_VERSION_MISMATCH") {
        say("native");
        missing.hidden = false;
      } else if (code === "ERR_WEBEID_USER_CANCELLED") {
        say("cancelled");
      } else if (code === "ERR_WEBEID_USER_TIMEOUT" || code === "ERR_WEBEID_ACTION_TIMEOUT") {
        say("timeout");
      } else {
        say("failed");
      }
    }

    function postJson(url, body) {
      return window.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": csrf
        },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        }, function () {
          return { ok: false, data: {} };
        });
      });
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
        }, ACK_TIMEOUT + USER_TIMEOUT).then(function (reply) {
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
      send({ action: "web-eid:status", libraryVersion: LIBRARY_VERSION }, STATUS_TIMEOUT)
        .then(function () {
          readButton.disabled = false;
          say("ready");
        }, webEidProblem);
    }, LOAD_DELAY);
  });
})();
