// The patient's waiting room: holds the waiting-room socket open (that is what tells the
// therapist the patient is here) and moves on to the call when the therapist admits them.
(function () {
  "use strict";
  const root = document.getElementById("waiting-room");
  if (!root) return;
  const status = document.getElementById("waiting-status");
  const preview = document.getElementById("preview-video");
  const previewToggle = document.getElementById("preview-toggle");
  const CLOSE_FORBIDDEN = 4403;
  const CLOSE_UNAUTHORISED = 4401;
  const CLOSE_REPLACED = 4409;
  let socket = null;
  let attempts = 0;
  let pinger = null;
  let finished = false;

  function socketUrl(path) {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  function say(text) { status.textContent = text; }

  function connect() {
    socket = new WebSocket(socketUrl(root.dataset.wsPath));
    socket.addEventListener("open", function () {
      attempts = 0;
      clearInterval(pinger);
      pinger = setInterval(function () { send({ type: "ping" }); }, 25000);
    });
    socket.addEventListener("message", function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "waiting") {
        say("You are in the waiting room. Your therapist has been told you are here.");
      } else if (frame.type === "admitted" && frame.url) {
        finished = true;
        say("Your therapist has let you in. Joining the call…");
        window.location.assign(frame.url);
      } else if (frame.type === "cancelled") {
        finished = true;
        say("This appointment has been cancelled. You can close this page.");
        if (socket) socket.close();
      }
    });
    socket.addEventListener("close", function (event) {
      clearInterval(pinger);
      if (finished) return;
      if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_UNAUTHORISED) {
        // The server no longer lets us wait (signed out, or the appointment changed): the page
        // itself knows where to go now.
        finished = true;
        reloadOnce();
        return;
      }
      if (event.code === CLOSE_REPLACED) {
        finished = true;
        say("The waiting room is open in another window or tab.");
        return;
      }
      attempts += 1;
      const delay = Math.min(10000, 500 * Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4);
      say("Reconnecting to the waiting room…");
      setTimeout(connect, delay);
    });
  }

  function reloadOnce() {
    const key = "ipt-reloaded:" + window.location.pathname;
    const last = Number(window.sessionStorage.getItem(key) || 0);
    if (Date.now() - last > 10000) {
      window.sessionStorage.setItem(key, String(Date.now()));
      window.location.reload();
    } else {
      say("You cannot wait for this session now. Please check your appointments.");
    }
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  // The optional camera preview: only when asked for, and stopped when turned off.
  let previewStream = null;
  previewToggle.addEventListener("click", function () {
    if (previewStream) {
      previewStream.getTracks().forEach(function (track) { track.stop(); });
      previewStream = null;
      preview.srcObject = null;
      preview.hidden = true;
      previewToggle.textContent = "Check my camera";
      previewToggle.setAttribute("aria-pressed", "false");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then(function (stream) {
      previewStream = stream;
      preview.srcObject = stream;
      preview.hidden = false;
      previewToggle.textContent = "Hide my camera";
      previewToggle.setAttribute("aria-pressed", "true");
    }).catch(function () {
      say("Your camera could not be started. Check that this site may use it (the camera icon in the address bar).");
    });
  });

  window.addEventListener("pagehide", function () {
    finished = true;
    if (previewStream) previewStream.getTracks().forEach(function (track) { track.stop(); });
    if (socket) socket.close();
  });

  // Waiting is activity: keep the sign-in alive while the page is in the waiting room, or the
  // idle logoff could sign the patient out just before they are let in.
  function keepSignedIn() {
    const body = document.body;
    let token = "";
    try { token = JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { token = ""; }
    if (!body.dataset.keepaliveUrl || !socket || socket.readyState !== WebSocket.OPEN) return;
    fetch(body.dataset.keepaliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .catch(function () {});
  }
  setInterval(keepSignedIn, 5 * 60 * 1000);

  connect();
})();
