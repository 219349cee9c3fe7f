// Waiting page of scan-code sign-in: polls the code's status and, once the
// phone confirmed, completes the sign-in in this browser.
"use strict";

(function () {
  const root = document.getElementById("scan-code");
  const statusLine = document.getElementById("scan-status");
  const newCodeLink = document.getElementById("scan-new-code");
  const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const interval = Number(root.dataset.pollIntervalMs) || 2000;
  // Statuses after which the code can never sign in; polling stops.
  const FINAL = new Set(["declined", "expired", "used", "not_found", "other_browser"]);

  function show(status, message, kind) {
    root.dataset.status = status;
    statusLine.textContent = message;
    statusLine.className = "status" + (kind ? " status-" + kind : "");
    if (FINAL.has(status)) {
      newCodeLink.hidden = false;
    }
  }

  async function complete() {
    const response = await fetch(root.dataset.completeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfInput.value, Accept: "application/json" },
    });
    const body = await response.json();
    if (response.ok) {
      show("signed_in", "Signed in.", "success");
      window.location.assign(body.redirect);
      return;
    }
    show(body.code, body.message, "error");
  }

  async function poll() {
    let response;
    let body;
    try {
      response = await fetch(root.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      body = await response.json();
    } catch (error) {
      statusLine.textContent = "The server could not be reached. Retrying…";
      setTimeout(poll, interval);
      return;
    }

    if (!response.ok) {
      show(body.code, body.message, "error");
      return;
    }

    if (body.status === "confirmed") {
      show(body.status, body.message, "busy");
      await complete();
      return;
    }

    show(body.status, body.message, FINAL.has(body.status) ? "error" : "");
    if (!FINAL.has(body.status)) {
      setTimeout(poll, interval);
    }
  }

  setTimeout(poll, interval);
})();
