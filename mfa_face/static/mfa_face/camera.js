// Camera page of the face step: preview, burst capture, upload, result.
"use strict";

(function () {
  const FRAME_INTERVAL_MS = 250;
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
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showStatus("This browser cannot use a camera. Try a current version of Chrome, Firefox or Safari.", "error");
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

  async function captureBurst(count) {
    const frames = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        await sleep(FRAME_INTERVAL_MS);
      }
      frames.push(await captureFrame());
    }
    return frames;
  }

  async function submitBurst() {
    captureButton.disabled = true;
    const verifying = root.dataset.mode === "verify";
    showStatus(
      verifying
        ? "Verifying your face, this can take a few seconds…"
        : "Enrolling your face, this can take a few seconds…",
      "busy",
    );

    let response;
    let body;
    try {
      const frames = await captureBurst(Number(root.dataset.burstFrames) || 3);
      const form = new FormData();
      form.append("transaction", root.dataset.transaction);
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
      setTimeout(() => window.location.assign(body.redirect || root.dataset.doneUrl), 1200);
      return;
    }

    showStatus(body.message || "The face check failed. Try again.", "error");
    root.dataset.lastError = body.code || "unknown";
    captureButton.disabled = false;
  }

  captureButton.addEventListener("click", submitBurst);
  startCamera();
})();
