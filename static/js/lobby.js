// The therapist's live waiting room: the list follows the waiting-room socket (a full list on
// connect, then "arrived" and "left"). Every row has an Admit form that posts with the CSRF token.
(function () {
  "use strict";
  const root = document.getElementById("lobby");
  if (!root) return;
  const list = document.getElementById("lobby-list");
  const empty = document.getElementById("lobby-empty");
  const status = document.getElementById("lobby-status");
  const csrf = root.dataset.csrf;
  const zone = root.dataset.timeZone || undefined;

  function clock(iso) {
    if (!iso) return "";
    try {
      return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }).format(new Date(iso));
    } catch (e) {
      return new Date(iso).toLocaleTimeString();
    }
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeElement(className, iso) {
    const node = element("time", className, clock(iso));
    node.dateTime = iso;
    return node;
  }

  function row(entry) {
    const item = element("li", "lobby-entry");
    item.dataset.appointment = entry.appointment;
    item.appendChild(element("span", "lobby-name", entry.patient));
    const start = element("span", "lobby-time", "session at ");
    start.appendChild(timeElement("lobby-start", entry.start));
    item.appendChild(start);
    if (entry.since) {
      const since = element("span", "lobby-time", "waiting since ");
      since.appendChild(timeElement("lobby-since", entry.since));
      item.appendChild(since);
    }
    if (entry.place) item.appendChild(element("span", "lobby-place", "In " + entry.place));
    if (entry.warning) {
      const warning = element("span", "lobby-warning", entry.warning);
      warning.setAttribute("role", "note");
      item.appendChild(warning);
    }
    const form = element("form", "inline");
    form.method = "post";
    form.action = entry.admit_url;
    const token = element("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrf;
    form.appendChild(token);
    const admit = element("button", "primary", "Admit " + entry.patient);
    admit.type = "submit";
    admit.name = "intent";
    admit.value = "admit";
    form.appendChild(admit);
    item.appendChild(form);
    if (entry.appointment_url) {
      const link = element("a", "", "Appointment");
      link.href = entry.appointment_url;
      item.appendChild(link);
    }
    return item;
  }

  function find(appointment) {
    return Array.prototype.find.call(list.children, function (item) { return item.dataset.appointment === String(appointment); });
  }

  function upsert(entry) {
    const existing = find(entry.appointment);
    const fresh = row(entry);
    if (existing) {
      // Keep what the page rendered from the database (where the patient is) if the frame lacks it.
      existing.querySelectorAll(".lobby-place, .lobby-warning").forEach(function (node) {
        if (!fresh.querySelector("." + node.className)) fresh.insertBefore(node, fresh.querySelector("form"));
      });
      list.replaceChild(fresh, existing);
    } else {
      list.appendChild(fresh);
    }
    refresh();
  }

  function remove(appointment) {
    const existing = find(appointment);
    if (existing) existing.remove();
    refresh();
  }

  function refresh() {
    empty.hidden = list.children.length > 0;
  }

  function receive(frame) {
    if (frame.type === "lobby" && Array.isArray(frame.waiting)) {
      const present = new Set(frame.waiting.map(function (entry) { return String(entry.appointment); }));
      Array.prototype.slice.call(list.children).forEach(function (item) {
        if (!present.has(item.dataset.appointment)) item.remove();
      });
      frame.waiting.forEach(upsert);
      refresh();
    } else if (frame.type === "arrived") {
      upsert(frame);
    } else if (frame.type === "left") {
      remove(frame.appointment);
    }
  }

  const live = window.IptLiveSocket.create({
    path: root.dataset.wsPath,
    retryBaseMs: 500,
    retryCapMs: 10000,
    onOpen: function () { status.textContent = "Patients who are waiting appear here as they arrive."; },
    onFrame: receive,
    onRefused: function () {
      status.textContent = "The live waiting room is not available. Reload the page to see who is waiting.";
    },
    onDrop: function () { status.textContent = "Live updates paused; reconnecting…"; },
  });

  window.addEventListener("pagehide", function () { live.close(); });

  refresh();
  live.start();
})();
