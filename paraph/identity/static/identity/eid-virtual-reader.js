// Sandbox only: a virtual card reader that answers the Web eID extension's
// messages on this page, as the extension and the Web eID software would
// with a card in the reader. It shows a window labelled "Sandbox — virtual
// eID card"; the card's keys stay on the server.
//
// - "web-eid:authenticate": card choice and PIN; the server signs the
//   challenge for this page's origin (the dialog's data-sign-url).
// - "web-eid:get-signing-certificate": card choice, no PIN (as a real card);
//   the server gives the card's signature certificate (data-certificate-url).
// - "web-eid:sign": PIN for the card whose certificate was read; the server
//   signs the hash with the card's signature key (data-sign-hash-url).
// One PIN counter per card for both keys, as on a real card: three wrong
// PINs block it; data-unblock-url plays the municipality's PUK.
// Elements of the dialog with data-vr-mode="sign authenticate" are shown only
// for those operations. Everything it relays is checked by Paraph like a
// real card's answer.
(function () {
  "use strict";

  var dialog, form, pinInput, pinError, unblockButton, current = null, signingCard = "", opener = null, lastFocused = null;

  function reply(action, payload) {
    var message = payload || {};
    message.action = action;
    window.postMessage(message, "*");
  }

  function csrfToken() {
    var input = document.querySelector("#eid input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function selectedCard() {
    var checked = form.querySelector("input[name=card]:checked");
    return checked ? checked.value : "";
  }

  function showPinError(message, blocked) {
    pinError.textContent = message;
    pinError.hidden = false;
    pinInput.setAttribute("aria-invalid", "true");
    unblockButton.hidden = !blocked;
    pinInput.value = "";
    if (!pinInput.closest("[hidden]")) { pinInput.focus(); }
  }

  function clearPinError() {
    pinError.hidden = true;
    pinError.textContent = "";
    pinInput.removeAttribute("aria-invalid");
    unblockButton.hidden = true;
  }

  function finish(outcome, payload) {
    var request = current;
    current = null;
    if (dialog.open) { dialog.close(); }
    if (request) { reply(request.action + "-" + outcome, payload); }
    returnFocus();
  }

  // The button that opened the dialog is disabled while the card is read, so
  // closing the dialog drops focus on <body>: give it back once the page has
  // enabled it again (or to the page's heading), unless the page moved it.
  function returnFocus() {
    var target = opener, tries = 0;
    opener = null;
    (function attempt() {
      var active = document.activeElement;
      if (active && active !== document.body && active !== document.documentElement &&
          !dialog.contains(active)) { return; }
      if (target && target.isConnected && !target.disabled && !target.closest("[hidden]")) {
        target.focus();
      } else if (++tries < 40) {
        window.setTimeout(attempt, 50);
      } else {
        var heading = document.querySelector("main h1");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      }
    })();
  }

  function operation(name) {
    // "authenticate", "certificate" or "sign"
    return { "web-eid:authenticate": "authenticate", "web-eid:get-signing-certificate": "certificate",
             "web-eid:sign": "sign" }[name];
  }

  function open(message) {
    var mode = operation(message.action);
    current = message;
    clearPinError();
    pinInput.value = "";
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-vr-mode]"), function (node) {
      node.hidden = node.dataset.vrMode.split(" ").indexOf(mode) < 0;
    });
    Array.prototype.forEach.call(dialog.querySelectorAll(".eid-vr-origin, #eid-vr-origin"), function (node) {
      node.textContent = window.location.origin;
    });
    // Signing uses the card whose certificate was read: the card stays in the reader.
    Array.prototype.forEach.call(form.querySelectorAll("input[name=card]"), function (input) {
      input.disabled = mode === "sign" && signingCard !== "" && input.value !== signingCard;
      if (mode === "sign" && input.value === signingCard) { input.checked = true; }
    });
    // The page may have disabled its button (which drops focus) before asking.
    opener = document.activeElement !== document.body ? document.activeElement : lastFocused;
    dialog.showModal();
    if (mode === "certificate") {
      document.getElementById("eid-vr-ok").focus();
    } else {
      pinInput.focus();
    }
  }

  function answered(answer, successKey) {
    if (answer.ok && answer.data[successKey]) {
      finish("success", answer.data);
    } else {
      showPinError(answer.data.message || "", answer.data.code === "pin_blocked");
    }
  }

  function unreachable() {
    finish("failure", {
      error: { code: "ERR_WEBEID_NATIVE_FATAL", message: "virtual card reader unreachable" }
    });
  }

  function submit(event) {
    event.preventDefault();
    if (!current) { return; }
    var mode = operation(current.action);
    var card = selectedCard();
    if (mode === "authenticate") {
      post(dialog.dataset.signUrl, {
        card: card,
        pin: pinInput.value,
        challengeNonce: current.challengeNonce,
        origin: window.location.origin
      }).then(function (answer) {
        if (answer.ok && answer.data.authToken) {
          finish("success", answer.data.authToken);
        } else {
          showPinError(answer.data.message || "", answer.data.code === "pin_blocked");
        }
      }, unreachable);
    } else if (mode === "certificate") {
      post(dialog.dataset.certificateUrl, { card: card }).then(function (answer) {
        if (answer.ok && answer.data.certificate) { signingCard = card; }
        answered(answer, "certificate");
      }, unreachable);
    } else if (mode === "sign") {
      post(dialog.dataset.signHashUrl, {
        card: card,
        pin: pinInput.value,
        certificate: current.certificate,
        hash: current.hash,
        hashFunction: current.hashFunction
      }).then(function (answer) { answered(answer, "signature"); }, unreachable);
    }
  }

  function cancel() {
    finish("failure", { error: { code: "ERR_WEBEID_USER_CANCELLED", message: "user cancelled" } });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window || !event.data || !dialog) { return; }
    var action = event.data.action;
    if (action === "web-eid:status") {
      reply("web-eid:status-ack");
      reply("web-eid:status-success", {
        library: event.data.libraryVersion, extension: "sandbox", nativeApp: "sandbox"
      });
    } else if (operation(action)) {
      reply(action + "-ack");
      if (current) {
        reply(action + "-failure", { error: { code: "ERR_WEBEID_ACTION_PENDING", message: "busy" } });
        return;
      }
      open(event.data);
    }
  });

  document.addEventListener("focusin", function (event) {
    if (!dialog || !dialog.contains(event.target)) { lastFocused = event.target; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    dialog = document.getElementById("eid-virtual-reader");
    if (!dialog) { return; }
    form = document.getElementById("eid-vr-form");
    pinInput = document.getElementById("eid-vr-pin");
    pinError = document.getElementById("eid-vr-pin-error");
    unblockButton = document.getElementById("eid-vr-unblock");
    form.addEventListener("submit", submit);
    document.getElementById("eid-vr-cancel").addEventListener("click", cancel);
    dialog.addEventListener("cancel", function (event) { // Escape
      event.preventDefault();
      cancel();
    });
    unblockButton.addEventListener("click", function () {
      post(dialog.dataset.unblockUrl, { card: selectedCard() }).then(function () {
        clearPinError();
        pinInput.focus();
      });
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === "card") { clearPinError(); }
    });
  });
})();
