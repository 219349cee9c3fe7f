// Camera page of the face step: preview, burst capture, upload, result.
"use strict";

(function () {
  const JPEG_QUALITY = 0.9;

  const CAMERA_ERRORS = {
    NotAllowedError:
      "Camera access was denied. Allow the camera for this site in your browser settings, then reload the page.",
    SecurityError:
      "Camera access was denied. Allow the camera for this site in your browser settings, then reload the page.",
    NotFoundError: "No camera was found. Connect a camera, then reload the page.",
    OverconstrainedError: "No suitable camera was found. Connect a camera, then reload the page.",
    NotReadableError:
      "The camera is in use by another application. Close that application, then reload the page.",
    AbortError: "The camera could not be started. Reload the page to try again.",
  };

  const root = document.getElementById("face-step");
  const video = document.getElementById("camera-preview");
  const canvas = document.getElementById("camera-canvas");
  const statusLine = document.getElementById("face-status");
  const captureButton = document.getElementById("face-capture");
  const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const recoveryPanel = document.getElementById("recovery-codes");
  const recoveryLink = document.getElementById("recovery-code-link");

  // Makes the recovery code link the main action, when the camera cannot be
  // used or Face Recognition is locked. Enrollment has no such link.
  function offerRecoveryCode() {
    if (recoveryLink) {
      recoveryLink.classList.add("button-primary");
      recoveryLink.focus();
    }
  }

  function showStatus(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "status" + (kind ? " status-" + kind : "");
  }

  async function startCamera() {
    if (!window.isSecureContext) {
      showStatus(
        "Camera access needs a secure connection. Open this page over HTTPS (or on localhost).",
        "error",
      );
      offerRecoveryCode();
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showStatus("This browser cannot use a camera. Try a current version of Chrome, Firefox or Safari.", "error");
      offerRecoveryCode();
      return;
    }

    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
      video.srcObject = stream;
      await video.play();
    } catch (error) {
      showStatus(CAMERA_ERRORS[error.name] || "The camera could not be started: " + error.message, "error");
      offerRecoveryCode();
      return;
    }

    showStatus("Camera ready. Look straight into it and press the button.");
    captureButton.disabled = false;
  }

  function captureFrame() {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => {
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error("The frame could not be encoded."))),
        "image/jpeg",
        JPEG_QUALITY,
      );
    });
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // Captures `count` frames `intervalMs` apart and appends them to `frames`.
  async function captureFrames(frames, count, intervalMs) {
    for (let i = 0; i < count; i++) {
      if (frames.length > 0) {
        await sleep(intervalMs);
      }
      frames.push(await captureFrame());
    }
  }

  // Asks the server for this attempt's one-time nonce and liveness actions.
  async function fetchChallenge() {
    const form = new FormData();
    form.append("transaction", root.dataset.transaction);
    const response = await fetch(root.dataset.challengeUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfInput.value, Accept: "application/json" },
    });
    return { response, body: await response.json() };
  }

  // Captures the burst that the challenge requests: one burst with a single
  // prompt, or for active liveness one frame and then a few per action.
  async function captureForChallenge(challenge) {
    const frames = [];
    if (challenge.actions.length === 0) {
      showStatus(challenge.prompt, "busy");
      const count = challenge.frames || Number(root.dataset.burstFrames) || 6;
      const interval = challenge.interval_ms || Number(root.dataset.burstIntervalMs) || 400;
      await captureFrames(frames, count, interval);
      return frames;
    }

    showStatus(challenge.prompt, "busy");
    await captureFrames(frames, 1, 0);
    for (const step of challenge.actions) {
      showStatus(step.prompt, "busy");
      root.dataset.action = step.action;
      await captureFrames(frames, step.frames, step.interval_ms);
    }
    delete root.dataset.action;
    return frames;
  }

  function showError(body) {
    showStatus((body && body.message) || "The face check failed. Try again.", "error");
    root.dataset.lastError = (body && body.code) || "unknown";
    captureButton.disabled = false;
    if (body && (body.code === "face_locked" || body.code === "too_many_attempts")) {
      offerRecoveryCode();
    }
  }

  // Shows the recovery codes issued at enrollment. They are in this one
  // response only, so the page waits for the user to continue.
  function showRecoveryCodes(codes, redirect) {
    const list = recoveryPanel.querySelector("ol");
    list.replaceChildren(
      ...codes.map((code) => {
        const item = document.createElement("li");
        const text = document.createElement("code");
        text.textContent = code;
        item.append(text);
        return item;
      }),
    );
    const saved = document.getElementById("recovery-codes-saved");
    if (redirect) {
      saved.href = redirect;
    }
    if (video.srcObject) {
      video.srcObject.getTracks().forEach((track) => track.stop());
    }
    root.hidden = true;
    captureButton.hidden = true;
    recoveryPanel.hidden = false;
    saved.focus();
  }

  async function submitBurst() {
    captureButton.disabled = true;
    delete root.dataset.lastError;
    const verifying = root.dataset.mode === "verify";

    let response;
    let body;
    try {
      const issued = await fetchChallenge();
      if (!issued.response.ok) {
        showError(issued.body);
        return;
      }
      const challenge = issued.body;
      root.dataset.liveness = challenge.liveness;

      const frames = await captureForChallenge(challenge);
      showStatus(
        verifying
          ? "Verifying your face, this can take a few seconds…"
          : "Enrolling your face, this can take a few seconds…",
        "busy",
      );

      const form = new FormData();
      form.append("transaction", root.dataset.transaction);
      form.append("challenge", challenge.nonce);
      frames.forEach((blob, index) => form.append("frame", blob, "frame-" + index + ".jpg"));

      response = await fetch(root.dataset.uploadUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfInput.value, Accept: "application/json" },
      });
      body = await response.json();
    } catch (error) {
      showStatus("The server could not be reached. Check your connection and try again.", "error");
      captureButton.disabled = false;
      return;
    }

    if (response.ok) {
      showStatus(body.message, "success");
      if (body.recovery_codes && body.recovery_codes.length > 0) {
        showRecoveryCodes(body.recovery_codes, body.redirect);
        return;
      }
      setTimeout(() => window.location.assign(body.redirect || root.dataset.doneUrl), 1200);
      return;
    }
    showError(body);
  }

  captureButton.addEventListener("click", submitBurst);
  startCamera();
})();
