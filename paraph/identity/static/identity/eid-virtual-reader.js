// Sandbox only: a virtual card reader that answers the Web eID extension's
// messages on this page, as the extension and the Web eID software would
// with a card in the reader. It shows a PIN prompt labelled "Sandbox —
// virtual eID card"; the card's keys stay on the server, which signs the
// challenge for this page's origin once the PIN is right. The token it
// relays is validated by Paraph like any real card's.
(function () {
  "use strict";

  var dialog, form, pinInput, pinError, originLine, unblockButton, current = null;

  function reply(action, payload) {
    var message = payload || {};
    message.action = action;
    window.postMessage(message, "*");
  }

  function csrfToken() {
    var input = document.querySelector("#eid input[name=csrfmiddlewaretoken]");
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
    pinInput.focus();
  }

  function clearPinError() {
    pinError.hidden = true;
    pinError.textContent = "";
    pinInput.removeAttribute("aria-invalid");
    unblockButton.hidden = true;
  }

  function finish(action, payload) {
    var request = current;
    current = null;
    if (dialog.open) { dialog.close(); }
    if (request) { reply(action, payload); }
  }

  function authenticate(message) {
    current = message;
    clearPinError();
    pinInput.value = "";
    originLine.textContent = window.location.origin;
    dialog.showModal();
    pinInput.focus();
  }

  function submitPin(event) {
    event.preventDefault();
    if (!current) { return; }
    post(dialog.dataset.signUrl, {
      card: selectedCard(),
      pin: pinInput.value,
      challengeNonce: current.challengeNonce,
      origin: window.location.origin
    }).then(function (answer) {
      if (answer.ok && answer.data.authToken) {
        finish("web-eid:authenticate-success", answer.data.authToken);
      } else {
        showPinError(answer.data.message || "", answer.data.code === "pin_blocked");
      }
    }, function () {
      finish("web-eid:authenticate-failure", {
        error: { code: "ERR_WEBEID_NATIVE_FATAL", message: "virtual card reader unreachable" }
      });
    });
  }

  function cancel() {
    finish("web-eid:authenticate-failure", {
      error: { code: "ERR_WEBEID_USER_CANCELLED", message: "user cancelled" }
    });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window || !event.data || !dialog) { return; }
    var action = event.data.action;
    if (action === "web-eid:status") {
      reply("web-eid:status-ack");
      reply("web-eid:status-success", {
        library: event.data.libraryVersion, extension: "sandbox", nativeApp: "sandbox"
      });
    } else if (action === "web-eid:authenticate") {
      reply("web-eid:authenticate-ack");
      authenticate(event.data);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    dialog = document.getElementById("eid-virtual-reader");
    if (!dialog) { return; }
    form = document.getElementById("eid-vr-form");
    pinInput = document.getElementById("eid-vr-pin");
    pinError = document.getElementById("eid-vr-pin-error");
    originLine = document.getElementById("eid-vr-origin");
    unblockButton = document.getElementById("eid-vr-unblock");
    form.addEventListener("submit", submitPin);
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
