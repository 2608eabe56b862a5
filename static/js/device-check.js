// Device check: camera preview, microphone level, and a connection test (websocket round trips
// to ws/notifications/ plus the time to fetch /healthz). Nothing leaves this device but pings.
(function () {
  "use strict";
  const root = document.getElementById("device-check");
  if (!root) { return; }

  const PINGS = 5;
  const HEALTH_FETCHES = 3;
  const TIMEOUT_MS = 5000;
  // Round trips (ms) under which the connection is "good" or "fair"; above: "poor".
  const GOOD_MS = 150;
  const FAIR_MS = 400;
  const HEARD_LEVEL = 0.02;

  const video = document.getElementById("camera-preview");
  const cameraStatus = document.getElementById("camera-status");
  const microphoneStatus = document.getElementById("microphone-status");
  const meter = document.getElementById("microphone-level");
  const resumeButton = document.getElementById("microphone-resume");
  const connectionStatus = document.getElementById("connection-status");
  const websocketResult = document.getElementById("connection-websocket");
  const httpResult = document.getElementById("connection-http");
  const permissionHelp = document.getElementById("permission-help");
  const missingHelp = document.getElementById("device-missing-help");

  let streams = [];
  let audioContext = null;
  let meterFrame = null;
  let heard = false;

  function say(element, text, state) {
    element.textContent = text;
    element.dataset.state = state;
  }

  function stopDevices() {
    streams.forEach(function (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); });
    streams = [];
    if (meterFrame) { cancelAnimationFrame(meterFrame); meterFrame = null; }
    if (audioContext) { audioContext.close(); audioContext = null; }
  }

  function browserName() {
    const agent = navigator.userAgent;
    if (/iPhone|iPad|iPod/.test(agent)) { return "ios"; }
    if (/Android/.test(agent)) { return "android"; }
    if (/Firefox\//.test(agent)) { return "firefox"; }
    if (/Edg\/|Chrome\//.test(agent)) { return "chrome"; }
    if (/Safari\//.test(agent)) { return "safari"; }
    return "";
  }

  function showHelp(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
      permissionHelp.hidden = false;
      const mine = permissionHelp.querySelector('[data-browser="' + browserName() + '"]');
      if (mine) { mine.classList.add("your-browser"); mine.setAttribute("aria-current", "true"); }
    } else {
      missingHelp.hidden = false;
    }
  }

  function problemText(device, error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Blocked: your browser is not letting this page use your " + device + ". See the help below.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No " + device + " found. Check it is plugged in and switched on.";
    }
    if (name === "NotReadableError" || name === "AbortError") {
      return "Your " + device + " is busy: close other programs that use it, then try again.";
    }
    return "Your " + device + " could not be started (" + (name || "unknown problem") + ").";
  }

  async function checkCamera() {
    say(cameraStatus, "Checking your camera…", "checking");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      streams.push(stream);
      video.srcObject = stream;
      await video.play().catch(function () { /* autoplay muted normally succeeds */ });
      const settings = stream.getVideoTracks()[0].getSettings();
      const size = settings.width && settings.height ? " (" + settings.width + "×" + settings.height + ")" : "";
      say(cameraStatus, "Camera working" + size + ": you should see yourself above.", "working");
    } catch (error) {
      say(cameraStatus, problemText("camera", error), "problem");
      showHelp(error);
    }
  }

  async function checkMicrophone() {
    say(microphoneStatus, "Checking your microphone…", "checking");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      streams.push(stream);
    } catch (error) {
      say(microphoneStatus, problemText("microphone", error), "problem");
      showHelp(error);
      return;
    }
    say(microphoneStatus, "Microphone on: say something and the bar should move.", "listening");
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audioContext = new Context();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 1024;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    heard = false;

    function draw() {
      analyser.getByteTimeDomainData(samples);
      let sum = 0;
      for (let i = 0; i < samples.length; i += 1) {
        const centred = (samples[i] - 128) / 128;
        sum += centred * centred;
      }
      const level = Math.min(1, Math.sqrt(sum / samples.length) * 3);
      meter.value = level;
      meter.textContent = Math.round(level * 100) + "%";
      if (!heard && level > HEARD_LEVEL) {
        heard = true;
        say(microphoneStatus, "Microphone working: we can hear you.", "working");
      }
      meterFrame = requestAnimationFrame(draw);
    }
    if (audioContext.state === "suspended") {
      await audioContext.resume().catch(function () {});
    }
    if (audioContext.state === "suspended") {
      resumeButton.hidden = false;  // the browser wants a click before it plays with sound
    }
    draw();
  }

  function rating(milliseconds) {
    if (milliseconds < GOOD_MS) { return "good"; }
    if (milliseconds < FAIR_MS) { return "fair"; }
    return "poor";
  }

  function median(values) {
    const sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.floor(sorted.length / 2)];
  }

  function websocketRoundTrips() {
    return new Promise(function (resolve, reject) {
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + window.location.host + root.dataset.websocketPath);
      const times = [];
      let sentAt = 0;
      let next = 1;
      const timer = setTimeout(function () { socket.close(); reject(new Error("timeout")); }, TIMEOUT_MS);
      function ping() {
        sentAt = performance.now();
        socket.send(JSON.stringify({ type: "ping", id: next }));
      }
      socket.addEventListener("open", ping);
      socket.addEventListener("message", function (event) {
        let frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        if (frame.type !== "pong" || frame.id !== next) { return; }
        times.push(performance.now() - sentAt);
        next += 1;
        if (times.length < PINGS) { ping(); return; }
        clearTimeout(timer);
        socket.close();
        resolve(times);
      });
      socket.addEventListener("close", function () {
        clearTimeout(timer);
        if (times.length < PINGS) { reject(new Error("closed")); }
      });
    });
  }

  async function fetchTimes() {
    const times = [];
    for (let i = 0; i < HEALTH_FETCHES; i += 1) {
      const started = performance.now();
      const response = await fetch(root.dataset.healthUrl, { cache: "no-store", credentials: "same-origin" });
      await response.text();
      if (!response.ok) { throw new Error("status " + response.status); }
      times.push(performance.now() - started);
    }
    return times;
  }

  async function checkConnection() {
    say(connectionStatus, "Testing your connection…", "checking");
    websocketResult.textContent = "…";
    httpResult.textContent = "…";
    let live = null;
    let http = null;
    try {
      live = median(await websocketRoundTrips());
      websocketResult.textContent = Math.round(live) + " ms (" + rating(live) + ")";
    } catch (error) {
      websocketResult.textContent = "could not connect";
    }
    try {
      http = median(await fetchTimes());
      httpResult.textContent = Math.round(http) + " ms (" + rating(http) + ")";
    } catch (error) {
      httpResult.textContent = "could not reach the server";
    }
    if (live === null) {
      say(connectionStatus, "Poor: the live connection a video session needs could not be opened. " +
        "A firewall or VPN may be blocking it; try another network.", "poor");
      return;
    }
    const worst = Math.max(live, http === null ? live : http);
    const verdict = rating(worst);
    const words = { good: "Good", fair: "Fair", poor: "Poor" }[verdict];
    const advice = { good: "video sessions should run smoothly.",
                     fair: "video should work, though the picture may sometimes be blurry.",
                     poor: "video may freeze; move closer to your router or use a wired connection." }[verdict];
    say(connectionStatus, words + ": round trip " + Math.round(live) + " ms, server " +
      (http === null ? "unreachable" : Math.round(http) + " ms") + "; " + advice, verdict);
  }

  function checkDevices() {
    stopDevices();
    permissionHelp.hidden = true;
    missingHelp.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const text = "This browser cannot use a camera on this page. Use an up-to-date browser, on a secure (https) address.";
      say(cameraStatus, text, "problem");
      say(microphoneStatus, text, "problem");
      return;
    }
    // One after the other: some browsers ask about each device, and two prompts at once confuse.
    checkCamera().then(checkMicrophone);
  }

  resumeButton.addEventListener("click", function () {
    if (audioContext) { audioContext.resume(); }
    resumeButton.hidden = true;
  });
  document.getElementById("device-retry").addEventListener("click", checkDevices);
  document.getElementById("connection-retry").addEventListener("click", checkConnection);
  window.addEventListener("pagehide", stopDevices);

  checkDevices();
  checkConnection();
})();
