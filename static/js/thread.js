// A conversation, live: the page is rendered whole on the server (and works without JavaScript);
// this keeps it up to date over the thread's websocket (ws/threads/<id>/).
//
// On every (re)connect the socket asks for the messages after the highest id on the page
// ("since"), so nothing is lost and, as messages are kept by id, nothing shows twice. A message
// without files goes over the socket with a fresh client id; its text stays in the box until the
// server acknowledges it, and an unacknowledged one is sent again after a reconnect (the server
// stores a resend once). With files, or while the socket is down, the form posts as usual.
(function () {
  "use strict";
  const root = document.getElementById("thread");
  if (!root) return;

  const list = document.getElementById("message-list");
  const status = document.getElementById("connection-status");
  const form = document.getElementById("compose");
  const bodyInput = document.getElementById("id_body");
  const fileInput = form ? form.querySelector('input[type="file"][name="files"]') : null;
  const submitButton = form ? form.querySelector('button[type="submit"], input[type="submit"]') : null;
  const mayWrite = root.dataset.mayWrite === "true";
  const userId = root.dataset.userId;

  // A message not acknowledged by then: the socket is assumed dead and is reopened (and resends).
  const ACK_WITHIN_MS = 10000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  let lastId = Number(root.dataset.lastId || 0);
  let othersReadUpTo = Number(root.dataset.othersReadUpTo || 0);
  let readSent = 0;
  let ackTimer = null;
  let caughtUp = false;
  // Sent over the socket and not acknowledged yet: client id -> text.
  const outbox = new Map();

  // An older page ("Earlier messages") stays as it is: the latest ones are on the thread's own page.
  const olderPage = new URLSearchParams(window.location.search).has("before");

  list.querySelectorAll("li[data-message-id]").forEach(function (item) {
    lastId = Math.max(lastId, Number(item.dataset.messageId));
  });

  // Connection state -------------------------------------------------------------------------

  function say(state, text) {
    root.dataset.socket = state;
    status.dataset.state = state;
    status.textContent = text;
  }

  const live = window.IptLiveSocket.create({
    path: root.dataset.wsPath,
    pingEveryMs: 20000,
    retryBaseMs: 500,
    retryCapMs: 15000,
    onConnecting: function (attempt) {
      say("connecting", attempt ? "Reconnecting…" : "Connecting…");
      caughtUp = false;
    },
    onOpen: function () {
      send({ type: "since", after: lastId });
      outbox.forEach(function (text, clientId) { send({ type: "send", client_id: clientId, body: text }); });
      if (outbox.size) expectAck();
    },
    onFrame: receive,
    onDrop: function () {
      say("offline", "Connection lost; reconnecting…" + (outbox.size ? " Your message will be sent then." : ""));
    },
    // The server refused us (signed out, or no longer a member).
    onRefused: function () {
      window.IptLiveSocket.reloadOnce(function () {
        say("closed", "Live updates are not available. Reload the page to see new messages.");
      });
    },
  });

  function send(frame) {
    return live.send(frame);
  }

  // Window focus: going online, and reading ---------------------------------------------------

  window.addEventListener("online", function () {
    if (!live.hasSocket()) live.start();
  });
  document.addEventListener("visibilitychange", markRead);

  // Tell the server (and so the other member) how far this person has read.
  function markRead() {
    if (!mayWrite || !caughtUp || document.visibilityState !== "visible") return;
    if (lastId > readSent && send({ type: "read", up_to: lastId })) readSent = lastId;
  }

  // Frames ------------------------------------------------------------------------------------

  function receive(frame) {
    switch (frame.type) {
      case "message":
        showMessage(frame);
        if (caughtUp) markRead();
        break;
      case "caught_up":
        caughtUp = true;
        say("live", "");
        markRead();
        break;
      case "ack":
        acknowledged(frame.client_id);
        break;
      case "error":
        if (frame.client_id && outbox.has(frame.client_id)) refused(frame.client_id, frame.detail);
        break;
      case "read":
        if (frame.user !== userId && Number(frame.up_to) > othersReadUpTo) {
          othersReadUpTo = Number(frame.up_to);
          root.dataset.othersReadUpTo = String(othersReadUpTo);
          showReadMarks();
        }
        break;
      default:
        break;  // pong
    }
  }

  // The viewer's own zone from their profile (as the server renders times), else the browser's.
  const zone = root.dataset.timeZone || undefined;

  function clock(iso) {
    const at = new Date(iso);
    if (isNaN(at.getTime())) return iso;
    const parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, weekday: "short", day: "numeric", month: "numeric", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(at).forEach(function (part) { parts[part.type] = part.value; });
    } catch (error) {
      return at.toString();
    }
    return parts.weekday + " " + parts.day + " " + MONTHS[Number(parts.month) - 1] + " " + parts.year + ", " + parts.hour + ":" + parts.minute;
  }

  function fileSize(bytes) {
    const size = Number(bytes) || 0;
    if (size < 1024) return size + (size === 1 ? " byte" : " bytes");
    if (size < 1024 * 1024) return (size / 1024).toFixed(1) + " KB";
    return (size / (1024 * 1024)).toFixed(1) + " MB";
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function messageItem(frame) {
    const item = element("li", "message" + (frame.mine ? " mine" : "") + (frame.auto_reply ? " auto-reply" : ""));
    item.dataset.messageId = String(frame.id);
    item.dataset.testid = "message";
    const meta = element("p", "message-meta");
    const sender = frame.mine ? "You" : (frame.sender_name || (frame.auto_reply ? "Automatic reply" : ""));
    meta.appendChild(element("span", "message-sender", sender));
    meta.appendChild(document.createTextNode(" "));
    const time = element("time", "", clock(frame.sent_at));
    time.dateTime = frame.sent_at;
    meta.appendChild(time);
    item.appendChild(meta);
    item.appendChild(element("div", "message-body", frame.body));
    if (frame.attachments && frame.attachments.length) {
      const files = element("ul", "attachments");
      frame.attachments.forEach(function (attachment) {
        const entry = element("li");
        const link = element("a", "", attachment.name);
        link.href = attachment.url;
        entry.appendChild(link);
        entry.appendChild(document.createTextNode(" (" + fileSize(attachment.size) + ")"));
        files.appendChild(entry);
      });
      item.appendChild(files);
    }
    if (frame.mine) {
      const mark = element("span", "read-mark", "Read");
      mark.dataset.testid = "read-mark";
      mark.hidden = frame.id > othersReadUpTo;
      item.appendChild(mark);
    }
    return item;
  }

  function showMessage(frame) {
    const id = Number(frame.id);
    if (!id || olderPage || list.querySelector('li[data-message-id="' + id + '"]')) return;  // seen already
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    const item = messageItem(frame);
    // Keep the list in id order (a reconnect may bring older messages after newer ones).
    const later = Array.prototype.find.call(list.children, function (other) {
      return Number(other.dataset.messageId) > id;
    });
    list.insertBefore(item, later || null);
    if (id > lastId) {
      lastId = id;
      root.dataset.lastId = String(id);
    }
    const empty = root.querySelector(".thread-empty");
    if (empty) empty.remove();
    if (nearBottom || frame.mine) item.scrollIntoView({ block: "nearest" });
  }

  function showReadMarks() {
    list.querySelectorAll("li.mine[data-message-id]").forEach(function (item) {
      const mark = item.querySelector(".read-mark");
      if (mark) mark.hidden = Number(item.dataset.messageId) > othersReadUpTo;
    });
  }

  // Writing -----------------------------------------------------------------------------------

  function busy(sending) {
    if (!form) return;
    form.dataset.sending = sending ? "true" : "false";
    if (submitButton) submitButton.disabled = sending;
  }

  function expectAck() {
    clearTimeout(ackTimer);
    ackTimer = setTimeout(function () {
      if (outbox.size) live.drop();
    }, ACK_WITHIN_MS);
  }

  function acknowledged(clientId) {
    const text = outbox.get(clientId);
    if (text === undefined) return;
    outbox.delete(clientId);
    if (bodyInput && bodyInput.value.trim() === text) bodyInput.value = "";
    if (!outbox.size) {
      clearTimeout(ackTimer);
      busy(false);
    }
    if (root.dataset.socket === "live") say("live", "");
  }

  function refused(clientId, detail) {
    outbox.delete(clientId);
    if (!outbox.size) {
      clearTimeout(ackTimer);
      busy(false);
    }
    say(root.dataset.socket || "live", "Not sent: " + (detail || "the message was refused."));
  }

  if (form && bodyInput && mayWrite) {
    form.addEventListener("submit", function (event) {
      const hasFiles = fileInput && fileInput.files && fileInput.files.length > 0;
      if (hasFiles || olderPage || !live.isOpen()) return;  // the form posts
      event.preventDefault();
      if (outbox.size) return;  // the last one is still on its way
      const text = bodyInput.value.trim();
      if (!text) return;
      const clientId = window.IptLiveSocket.newClientId();
      outbox.set(clientId, text);
      busy(true);
      say(root.dataset.socket, "Sending…");
      send({ type: "send", client_id: clientId, body: text });
      expectAck();
    });
  }

  if (!olderPage) live.start();
})();
