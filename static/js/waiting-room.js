// The patient's waiting room: holds the waiting-room socket open (that is what tells the
// therapist the patient is here) and moves on to the call when the therapist admits them.
(function () {
  "use strict";
  const root = document.getElementById("waiting-room");
  if (!root) return;
  const status = document.getElementById("waiting-status");
  const preview = document.getElementById("preview-video");
  const previewToggle = document.getElementById("preview-toggle");

  function say(text) { status.textContent = text; }

  const live = window.IptLiveSocket.create({
    path: root.dataset.wsPath,
    pingEveryMs: 25000,
    retryBaseMs: 500,
    retryCapMs: 10000,
    onFrame: function (frame) {
      if (frame.type === "waiting") {
        say("You are in the waiting room. Your therapist has been told you are here.");
      } else if (frame.type === "admitted" && frame.url) {
        live.stop();
        say("Your therapist has let you in. Joining the call…");
        window.location.assign(frame.url);
      } else if (frame.type === "cancelled") {
        say("This appointment has been cancelled. You can close this page.");
        live.close();
      }
    },
    // The server no longer lets us wait (signed out, or the appointment changed).
    onRefused: function () {
      window.IptLiveSocket.reloadOnce(function () {
        say("You cannot wait for this session now. Please check your appointments.");
      });
    },
    onReplaced: function () { say("The waiting room is open in another window or tab."); },
    onDrop: function () { say("Reconnecting to the waiting room…"); },
  });

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
    if (previewStream) previewStream.getTracks().forEach(function (track) { track.stop(); });
    live.close();
  });

  // Waiting is activity: keep the sign-in alive while the page is in the waiting room, or the
  // idle logoff could sign the patient out just before they are let in.
  window.IptLiveSocket.keepSignedIn(live);

  live.start();
})();
