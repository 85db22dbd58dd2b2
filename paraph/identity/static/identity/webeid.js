// What the eID card pages share (log-in with identity/eid.js, signing with
// signing/eid-sign.js): the Web eID browser extension's message protocol
// (the one web-eid.js wraps: window.postMessage of "web-eid:<action>",
// answered by "<action>-ack" at once, then "-success" or "-failure"), JSON
// posts to Paraph with the CSRF token, and which words a Web eID error
// calls for. Load it before either page script.
(function () {
  "use strict";

  var ACK_TIMEOUT = 3000; // no acknowledgement: no extension
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

  // POST ``body`` as JSON; resolves with {ok, data} (data {} when the
  // answer was no JSON), rejects only when the network failed.
  function postJson(url, body, csrf) {
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

  // The message key for a Web eID error, and whether the install guidance
  // should show (no extension, or no native application behind it).
  function problem(error) {
    var code = (error && error.code) || "";
    if (code === "ERR_WEBEID_EXTENSION_UNAVAILABLE") { return { key: "missing", guidance: true }; }
    if (code === "ERR_WEBEID_NATIVE_UNAVAILABLE" || code === "ERR_WEBEID_VERSION_MISMATCH") {
      return { key: "native", guidance: true };
    }
    if (code === "ERR_WEBEID_USER_CANCELLED") { return { key: "cancelled", guidance: false }; }
    if (code === "ERR_WEBEID_USER_TIMEOUT" || code === "ERR_WEBEID_ACTION_TIMEOUT") {
      return { key: "timeout", guidance: false };
    }
    return { key: "failed", guidance: false };
  }

  window.ParaphWebEid = {
    LIBRARY_VERSION: "2.0.0",
    LOAD_DELAY: 1000, // the extension's content script may load after the page
    ACK_TIMEOUT: ACK_TIMEOUT,
    STATUS_TIMEOUT: 10000,
    USER_TIMEOUT: 5 * 60 * 1000, // the PIN prompt; a challenge lives 5 minutes
    send: send,
    postJson: postJson,
    problem: problem
  };
})();
