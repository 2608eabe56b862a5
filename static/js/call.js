// The video call: WebRTC between the appointment's two members, signalled over the call socket.
//
// Perfect negotiation (MDN): both sides add their tracks and offer when negotiation is needed;
// on a collision the polite side (the patient) rolls back and answers, the impolite side (the
// therapist) ignores the other's offer. The peer connection exists while the other person's
// socket is in the room; when they leave it is closed, and a fresh one is built when they
// (re)join. The socket reconnects by itself; on every (re)connect it asks for the chat it has not
// seen yet, so no message is lost and none shows twice (messages are kept by id).
(function () {
  "use strict";
  if (window.performance && performance.mark) performance.mark("call:script");
  const root = document.getElementById("call");
  if (!root) return;

  const role = root.dataset.role;
  const peerName = root.dataset.peerName || "the other person";
  const iceServers = JSON.parse(document.getElementById("ice-servers").textContent || "[]");
  const stateOutput = document.getElementById("call-state");
  const peerStatus = document.getElementById("peer-status");
  const timer = document.getElementById("call-timer");
  const quality = document.getElementById("call-quality");
  const remoteVideo = document.getElementById("remote-video");
  const localVideo = document.getElementById("local-video");
  const unmuteRemote = document.getElementById("unmute-remote");
  const micButton = document.getElementById("toggle-mic");
  const cameraButton = document.getElementById("toggle-camera");
  const screenButton = document.getElementById("toggle-screen");
  const mediaError = document.getElementById("media-error");
  const chatLog = document.getElementById("chat-log");
  const chatForm = document.getElementById("chat-form");
  const chatInput = document.getElementById("chat-input");

  const RESTART_ICE_AFTER_MS = 3000;
  const OWN_OFFER_AFTER_MS = 2500;

  // Negotiation
  let polite = role === "patient";
  let pc = null;
  let makingOffer = false;
  let ignoreOffer = false;
  let isSettingRemoteAnswerPending = false;
  let peerPresent = false;
  let restartTimer = null;
  let tracksPending = false;
  let offerTimer = null;
  let signals = Promise.resolve();  // incoming signals are applied one after another, in order
  // Media
  let localStream = null;
  let cameraTrack = null;
  let screenTrack = null;
  const mediaReady = startLocalMedia();
  // Chat
  let lastChatId = 0;
  const outbox = new Map();  // client_id -> body, until the server echoes it back

  // Status ------------------------------------------------------------------------------------

  // Milestones of the call set-up on the page's performance timeline (bench/p6_call_setup.py).
  function mark(name) {
    if (window.performance && performance.mark) performance.mark("call:" + name);
  }

  function showState(text) {
    stateOutput.textContent = text;
    root.dataset.callState = text;
  }

  function sayPeer(text) { peerStatus.textContent = text; }

  // Local media -------------------------------------------------------------------------------

  function startLocalMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMediaError("This browser cannot use a camera or microphone here.");
      return Promise.resolve(null);
    }
    const attempts = [{ audio: true, video: true }, { audio: true, video: false }, { audio: false, video: true }];
    function attempt(index) {
      return navigator.mediaDevices.getUserMedia(attempts[index]).catch(function (error) {
        if (index + 1 < attempts.length) return attempt(index + 1);
        throw error;
      });
    }
    return attempt(0).then(function (stream) {
      mark("media-ready");
      localStream = stream;
      cameraTrack = stream.getVideoTracks()[0] || null;
      localVideo.srcObject = stream;
      micButton.disabled = stream.getAudioTracks().length === 0;
      cameraButton.disabled = !cameraTrack;
      if (!cameraTrack || stream.getAudioTracks().length === 0) {
        showMediaError("Only part of your camera and microphone could be started; the other person may not see or hear you.");
      }
      return stream;
    }).catch(function () {
      showMediaError("Your camera and microphone could not be started. Check that this site may use them (the camera icon in the address bar), then reload the page. You can still use the chat.");
      micButton.disabled = true;
      cameraButton.disabled = true;
      return null;
    });
  }

  function showMediaError(text) {
    mediaError.textContent = text;
    mediaError.hidden = false;
  }

  // The peer connection ----------------------------------------------------------------------

  function closePeerConnection() {
    clearTimeout(offerTimer);
    tracksPending = false;
    clearTimeout(restartTimer);
    restartTimer = null;
    if (pc) {
      pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
      pc.close();
      pc = null;
      showState("closed");
    }
    remoteVideo.srcObject = null;
    makingOffer = false;
    ignoreOffer = false;
    isSettingRemoteAnswerPending = false;
  }

  function buildPeerConnection() {
    closePeerConnection();
    const connection = new RTCPeerConnection({ iceServers: iceServers });
    mark("peer-connection");
    pc = connection;
    showState(connection.connectionState);

    connection.onnegotiationneeded = async function () {
      try {
        makingOffer = true;
        await connection.setLocalDescription();
        if (connection === pc) {
          mark("sent-" + connection.localDescription.type);
          send({ type: "signal", description: connection.localDescription });
        }
      } catch (error) {
        console.warn("Could not make an offer", error);
      } finally {
        makingOffer = false;
      }
    };
    connection.onicecandidate = function (event) {
      if (event.candidate && connection === pc) {
        mark("sent-candidate");
        send({ type: "signal", candidate: event.candidate });
      }
    };
    connection.ontrack = function (event) {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (remoteVideo.srcObject !== stream) {
        remoteVideo.srcObject = stream;
        playRemote();
      }
    };
    connection.oniceconnectionstatechange = function () { mark("ice-" + connection.iceConnectionState); };
    connection.onconnectionstatechange = function () {
      if (connection !== pc) return;
      const state = connection.connectionState;
      showState(state);
      if (state === "connected") {
        mark("connected");
        clearTimeout(restartTimer);
        restartTimer = null;
        sayPeer("You are connected with " + peerName + ".");
      } else if (state === "disconnected" || state === "failed") {
        sayPeer("The connection is unstable; trying to restore it…");
        if (!restartTimer) {
          restartTimer = setTimeout(function () {
            restartTimer = null;
            if (connection === pc && (pc.connectionState === "disconnected" || pc.connectionState === "failed")) {
              pc.restartIce();
            }
          }, state === "failed" ? 0 : RESTART_ICE_AFTER_MS);
        }
      }
    };

    if (polite) {
      // The polite side lets the other offer first: it adds its tracks to their offer's
      // transceivers when it answers. Offering at the same moment would only be rolled back (and
      // Chromium does not gather candidates after rolling back an offer it is still making).
      tracksPending = true;
      clearTimeout(offerTimer);
      offerTimer = setTimeout(function () {
        if (connection === pc && tracksPending) addLocalTracks(connection, true);
      }, OWN_OFFER_AFTER_MS);
    } else {
      addLocalTracks(connection, true);
    }
    return connection;
  }

  // Our camera and microphone on the connection. ``mayAddReceivers``: with no media, still ask
  // for theirs (when we offer; an answer receives on the offer's transceivers anyway).
  function addLocalTracks(connection, mayAddReceivers) {
    tracksPending = false;
    const video = currentVideoTrack();
    const audio = localStream ? localStream.getAudioTracks() : [];
    audio.forEach(function (track) { connection.addTrack(track, localStream); });
    if (video) connection.addTrack(video, localStream || new MediaStream([video]));
    if (mayAddReceivers && audio.length === 0) connection.addTransceiver("audio", { direction: "recvonly" });
    if (mayAddReceivers && !video) connection.addTransceiver("video", { direction: "recvonly" });
  }

  function currentVideoTrack() {
    return screenTrack || cameraTrack;
  }

  function playRemote() {
    const playing = remoteVideo.play();
    if (playing && playing.catch) {
      playing.catch(function () {
        // Autoplay with sound needs a click on this page: play muted now, offer the sound.
        remoteVideo.muted = true;
        unmuteRemote.hidden = false;
        remoteVideo.play().catch(function () {});
      });
    }
  }

  unmuteRemote.addEventListener("click", function () {
    remoteVideo.muted = false;
    unmuteRemote.hidden = true;
    remoteVideo.play().catch(function () {});
  });

  // The other person joined (again): start from a fresh connection once our media is ready.
  function peerJoined() {
    peerPresent = true;
    sayPeer("Connecting to " + peerName + "…");
    signals = signals.then(function () {
      return mediaReady.then(function () {
        if (peerPresent) buildPeerConnection();
      });
    });
  }

  function peerLeft() {
    peerPresent = false;
    signals = signals.then(function () {
      closePeerConnection();
      sayPeer("Waiting for " + peerName + " to join…");
    });
  }

  async function applySignal(frame) {
    await mediaReady;
    const description = frame.description;
    const candidate = frame.candidate;
    if (!pc) {
      // An offer means the other side is here even if we missed the notice; anything else
      // belongs to a connection that is gone.
      if (!description || description.type !== "offer") return;
      peerPresent = true;
      buildPeerConnection();
    }
    if (description) {
      mark("received-" + description.type);
      const readyForOffer = !makingOffer && (pc.signalingState === "stable" || isSettingRemoteAnswerPending);
      const offerCollision = description.type === "offer" && !readyForOffer;
      ignoreOffer = !polite && offerCollision;
      if (ignoreOffer) {
        mark("ignored-offer");
        return;
      }
      isSettingRemoteAnswerPending = description.type === "answer";
      try {
        await pc.setRemoteDescription(description);
      } catch (error) {
        isSettingRemoteAnswerPending = false;
        if (description.type !== "offer") throw error;
        // An offer from a connection the other side has just rebuilt: so do we.
        mark("rebuilt-for-offer");
        buildPeerConnection();
        await pc.setRemoteDescription(description);
      }
      isSettingRemoteAnswerPending = false;
      if (description.type === "offer") {
        if (tracksPending) addLocalTracks(pc, false);
        await pc.setLocalDescription();
        mark("sent-" + pc.localDescription.type);
        send({ type: "signal", description: pc.localDescription });
      }
    } else if (candidate) {
      mark("received-candidate");
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        mark("dropped-candidate");
        if (!ignoreOffer) console.warn("Could not add an ICE candidate", error);
      }
    }
  }

  // Signaling socket -----------------------------------------------------------------------

  const live = window.IptLiveSocket.create({
    path: root.dataset.wsPath,
    pingEveryMs: 20000,
    retryBaseMs: 250,
    retryCapMs: 10000,
    onConnecting: function () { root.dataset.socket = "connecting"; },
    onOpen: function () {
      mark("socket-open");
      root.dataset.socket = "open";
      send({ type: "chat_since", after: lastChatId });
      outbox.forEach(function (body, clientId) { send({ type: "chat", client_id: clientId, body: body }); });
    },
    onFrame: receive,
    onClose: function () { root.dataset.socket = "closed"; },
    onReplaced: function () {
      closePeerConnection();
      sayPeer("This call is open in another window or tab.");
    },
    // The server refused us (the session ended, or we were signed out).
    onRefused: function () {
      closePeerConnection();
      window.IptLiveSocket.reloadOnce(function () { sayPeer("You can no longer join this call."); });
    },
  });

  function send(frame) {
    return live.send(frame);
  }

  function receive(frame) {
    switch (frame.type) {
      case "hello":
        mark("hello");
        polite = frame.polite === undefined ? role === "patient" : Boolean(frame.polite);
        // Our socket is new: whatever connection we had belongs to the old one.
        if (frame.peer_present) peerJoined();
        else peerLeft();
        break;
      case "peer":
        mark(frame.present ? "peer-present" : "peer-absent");
        if (frame.present) peerJoined();
        else peerLeft();
        break;
      case "signal":
        signals = signals.then(function () { return applySignal(frame); }).catch(function (error) {
          console.warn("Signaling failed", error);
        });
        break;
      case "chat":
        showChat(frame);
        break;
      case "ended":
        live.stop();
        closePeerConnection();
        if (frame.url) window.location.assign(frame.url);
        break;
      case "error":
        console.warn("The server ignored a message:", frame.detail);
        break;
      default:
        break;
    }
  }

  // Chat ----------------------------------------------------------------------------------

  // A time of day in the viewer's own zone (their profile's, not the computer's).
  function clock(iso) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Date(iso).toLocaleTimeString([], Object.assign({ timeZone: root.dataset.timeZone || undefined }, options));
    } catch (error) {
      return new Date(iso).toLocaleTimeString([], options);
    }
  }

  function chatItem(clientId) {
    return Array.prototype.find.call(chatLog.children, function (item) { return item.dataset.clientId === clientId; });
  }

  function fillChatItem(item, who, body, sentAt) {
    item.textContent = "";
    const head = document.createElement("span");
    head.className = "chat-who";
    head.textContent = who;
    item.appendChild(head);
    if (sentAt) {
      const time = document.createElement("time");
      time.className = "chat-time";
      time.dateTime = sentAt;
      time.textContent = clock(sentAt);
      item.appendChild(time);
    }
    const text = document.createElement("span");
    text.className = "chat-body";
    text.textContent = body;
    item.appendChild(text);
  }

  function showChat(frame) {
    const id = Number(frame.id);
    if (!id || chatLog.querySelector('[data-id="' + id + '"]')) return;  // seen already
    if (id > lastChatId) lastChatId = id;
    outbox.delete(frame.client_id);
    const mine = frame.from === role;
    let item = frame.client_id ? chatItem(frame.client_id) : null;
    if (item) item.remove();  // our own message, shown while it was on its way
    item = document.createElement("li");
    item.className = "chat-message " + (mine ? "chat-mine" : "chat-theirs");
    item.dataset.id = String(id);
    item.dataset.clientId = frame.client_id || "";
    fillChatItem(item, mine ? "You" : (frame.name || peerName), frame.body, frame.sent_at);
    // Keep the log in id order (a reconnect may bring older messages after newer ones).
    const later = Array.prototype.find.call(chatLog.children, function (other) {
      return other.dataset.id && Number(other.dataset.id) > id;
    });
    const pending = chatLog.querySelector(".chat-pending");
    chatLog.insertBefore(item, later || pending || null);
    item.scrollIntoView({ block: "nearest" });
  }

  chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const body = chatInput.value.trim();
    if (!body) return;
    const clientId = window.IptLiveSocket.newClientId();
    outbox.set(clientId, body);
    const item = document.createElement("li");
    item.className = "chat-message chat-mine chat-pending";
    item.dataset.clientId = clientId;
    fillChatItem(item, "You (sending…)", body, null);
    chatLog.appendChild(item);
    chatInput.value = "";
    send({ type: "chat", client_id: clientId, body: body });
  });

  // Controls ------------------------------------------------------------------------------

  function press(button, pressed, label) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.textContent = label;
  }

  micButton.addEventListener("click", function () {
    if (!localStream) return;
    const tracks = localStream.getAudioTracks();
    const muted = tracks.length > 0 && tracks[0].enabled;
    tracks.forEach(function (track) { track.enabled = !muted; });
    press(micButton, muted, muted ? "Unmute microphone" : "Mute microphone");
  });

  cameraButton.addEventListener("click", function () {
    if (!cameraTrack) return;
    const off = cameraTrack.enabled;
    cameraTrack.enabled = !off;
    press(cameraButton, off, off ? "Turn camera on" : "Turn camera off");
  });

  function videoSender() {
    if (!pc) return null;
    return pc.getSenders().find(function (sender) { return sender.track && sender.track.kind === "video"; }) || null;
  }

  async function stopSharing() {
    if (!screenTrack) return;
    const track = screenTrack;
    screenTrack = null;
    track.stop();
    const sender = videoSender();
    if (sender) await sender.replaceTrack(cameraTrack);
    localVideo.srcObject = localStream;
    press(screenButton, false, "Share screen");
  }

  screenButton.addEventListener("click", async function () {
    if (screenTrack) {
      await stopSharing();
      return;
    }
    if (!navigator.mediaDevices.getDisplayMedia) {
      showMediaError("This browser cannot share the screen.");
      return;
    }
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      screenTrack = display.getVideoTracks()[0];
      screenTrack.addEventListener("ended", stopSharing);
      const sender = videoSender();
      if (sender) await sender.replaceTrack(screenTrack);
      else if (pc) pc.addTrack(screenTrack, display);
      localVideo.srcObject = display;
      press(screenButton, true, "Stop sharing");
    } catch (error) {
      showMediaError("The screen could not be shared.");
    }
  });

  // Session timer and call quality ---------------------------------------------------------------

  const arrivedAt = Date.parse(root.dataset.arrivedAt) || Date.now();
  function tick() {
    const seconds = Math.max(0, Math.floor((Date.now() - arrivedAt) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    timer.textContent = hours ? hours + ":" + String(minutes).padStart(2, "0") + ":" + rest : minutes + ":" + rest;
  }
  tick();
  setInterval(tick, 1000);

  let previous = null;  // the last sample: {at, bytesSent, packetsLost, packetsReceived}
  async function measure() {
    if (!pc || pc.connectionState !== "connected") {
      previous = null;
      quality.textContent = "measuring…";
      quality.dataset.quality = "unknown";
      return;
    }
    let rtt = null;
    let bytesSent = 0;
    let lost = 0;
    let received = 0;
    const report = await pc.getStats();
    report.forEach(function (stat) {
      if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded" && stat.currentRoundTripTime !== undefined) {
        rtt = stat.currentRoundTripTime;
      } else if (stat.type === "outbound-rtp") {
        bytesSent += stat.bytesSent || 0;
      } else if (stat.type === "inbound-rtp") {
        lost += Math.max(0, stat.packetsLost || 0);
        received += stat.packetsReceived || 0;
      }
    });
    const now = performance.now();
    const sample = { at: now, bytesSent: bytesSent, lost: lost, received: received };
    if (!previous) {
      previous = sample;
      return;
    }
    const seconds = Math.max(0.001, (now - previous.at) / 1000);
    const kbps = ((bytesSent - previous.bytesSent) * 8) / seconds / 1000;
    const newLost = lost - previous.lost;
    const newReceived = received - previous.received;
    const loss = newLost + newReceived > 0 ? (100 * newLost) / (newLost + newReceived) : 0;
    previous = sample;
    let level = "good";
    if ((rtt !== null && rtt > 0.4) || loss > 10) level = "poor";
    else if ((rtt !== null && rtt > 0.15) || loss > 2 || (cameraTrack && cameraTrack.enabled && kbps < 100)) level = "fair";
    const parts = [];
    if (rtt !== null) parts.push("delay " + Math.round(rtt * 1000) + " ms");
    parts.push("loss " + loss.toFixed(1) + " %");
    parts.push("sending " + (kbps >= 1000 ? (kbps / 1000).toFixed(1) + " Mbit/s" : Math.round(kbps) + " kbit/s"));
    quality.textContent = level + " (" + parts.join(", ") + ")";
    quality.dataset.quality = level;
  }
  setInterval(function () { measure().catch(function () {}); }, 2000);

  // Leaving -----------------------------------------------------------------------------------

  const endForm = document.getElementById("end-form");
  if (endForm) endForm.addEventListener("submit", function () { live.stop(); });

  window.addEventListener("pagehide", function () {
    closePeerConnection();
    if (localStream) localStream.getTracks().forEach(function (track) { track.stop(); });
    if (screenTrack) screenTrack.stop();
    live.close();
  });

  // Being in the call is activity: keep the sign-in alive while the page is in the room, or the
  // idle logoff (15 minutes for staff) would end a session in which nobody clicks.
  window.IptLiveSocket.keepSignedIn(live);

  showState("new");
  sayPeer("Connecting…");
  live.start();
})();
