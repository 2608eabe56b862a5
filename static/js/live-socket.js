// The pages' live websockets (video call, messaging thread, waiting room, lobby): opening one,
// JSON frames, pings, reconnecting with back-off, and what a refusal means. Each page keeps what
// its frames mean and what it shows.
//
//   const live = IptLiveSocket.create({ path, pingEveryMs, retryBaseMs, retryCapMs,
//     onConnecting(attempt), onOpen(), onFrame(frame), onClose(event), onDrop(event),
//     onRefused(code), onReplaced() });
//   live.start(); live.send(frame); live.isOpen(); live.hasSocket(); live.drop(); live.stop(); live.close();
//   IptLiveSocket.reloadOnce(giveUp); IptLiveSocket.keepSignedIn(live); IptLiveSocket.url(path);
//   IptLiveSocket.newClientId();
(function () {
  "use strict";
  const CLOSE_UNAUTHORISED = 4401;
  const CLOSE_FORBIDDEN = 4403;
  const CLOSE_REPLACED = 4409;
  const RELOAD_AT_MOST_EVERY_MS = 10000;
  const KEEP_SIGNED_IN_EVERY_MS = 5 * 60 * 1000;

  function noop() {}

  function url(path) {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  // Hooks: onConnecting before every attempt (0 for the first since start()); onClose on every
  // close of the current socket; then onRefused (4401/4403) or onReplaced (4409) end the
  // reconnecting, any other close calls onDrop and reconnects. Without onReplaced, 4409 is a drop.
  function create(options) {
    const on = Object.assign({
      onConnecting: noop, onOpen: noop, onFrame: noop, onClose: noop, onDrop: noop, onRefused: noop,
    }, options);
    const baseMs = options.retryBaseMs || 500;
    const capMs = options.retryCapMs || 10000;
    let socket = null;
    let attempts = 0;
    let pinger = null;
    let retryTimer = null;
    let stopped = false;

    function send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    function connect() {
      clearTimeout(retryTimer);
      on.onConnecting(attempts);
      let current;
      try {
        current = new WebSocket(url(options.path));
      } catch (error) {
        retryLater();
        return;
      }
      socket = current;
      current.addEventListener("open", function () {
        if (current !== socket) return;
        attempts = 0;
        on.onOpen();
        clearInterval(pinger);
        if (options.pingEveryMs) pinger = setInterval(function () { send({ type: "ping" }); }, options.pingEveryMs);
      });
      current.addEventListener("message", function (event) {
        if (current !== socket) return;
        let frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        on.onFrame(frame);
      });
      current.addEventListener("close", function (event) {
        if (current !== socket) return;
        clearInterval(pinger);
        socket = null;
        on.onClose(event);
        if (stopped) return;
        if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_UNAUTHORISED) {
          on.onRefused(event.code);
          return;
        }
        if (event.code === CLOSE_REPLACED && options.onReplaced) {
          options.onReplaced();
          return;
        }
        on.onDrop(event);
        retryLater();
      });
    }

    // Exponential, capped, with jitter so that clients dropped together do not return together.
    function retryLater() {
      attempts += 1;
      const delay = Math.min(capMs, baseMs * Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4);
      retryTimer = setTimeout(connect, delay);
    }

    // No more reconnects (the page is leaving); the socket stays open until the page goes, so the
    // server sees the leaving (an end of session posted, a navigation) before the disconnect.
    function stop() {
      stopped = true;
      clearTimeout(retryTimer);
    }

    return {
      // (Re)connect now, as a first attempt.
      start: function () {
        attempts = 0;
        connect();
      },
      send: send,
      isOpen: function () { return Boolean(socket && socket.readyState === WebSocket.OPEN); },
      // False while closed: before start(), between attempts, after a refusal.
      hasSocket: function () { return socket !== null; },
      // Closes the socket as a dropped network would: it reconnects with back-off.
      drop: function () {
        if (socket) socket.close();
      },
      stop: stop,
      close: function () {
        stop();
        if (socket) socket.close();
      },
    };
  }

  // A refusal (signed out, no longer allowed): the page itself knows where to go now. Reload it,
  // but at most once in 10 s, so a page the server keeps refusing does not reload in a loop.
  function reloadOnce(giveUp) {
    const key = "ipt-reloaded:" + window.location.pathname;
    const last = Number(window.sessionStorage.getItem(key) || 0);
    if (Date.now() - last > RELOAD_AT_MOST_EVERY_MS) {
      window.sessionStorage.setItem(key, String(Date.now()));
      window.location.reload();
    } else {
      giveUp();
    }
  }

  // Being on a live page (the call, the waiting room) is activity though nobody clicks: keep the
  // sign-in alive while its socket is open, or the idle logoff would end it. session-timeout.js
  // (on every signed-in page, loaded long before the first turn) does the asking.
  function keepSignedIn(live) {
    return setInterval(function () {
      if (live.isOpen() && window.IptSession) window.IptSession.keepAlive();
    }, KEEP_SIGNED_IN_EVERY_MS);
  }

  // The id a page gives a message it sends over its socket, so that a resend after a reconnect is
  // stored once (crypto.randomUUID needs a secure context: plain http on a LAN has none).
  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  window.IptLiveSocket = {
    create: create, reloadOnce: reloadOnce, keepSignedIn: keepSignedIn, url: url, newClientId: newClientId,
  };
})();
