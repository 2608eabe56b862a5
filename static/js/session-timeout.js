// Warns before idle logoff and lets the person stay signed in; the server enforces the limit.
(function () {
  "use strict";
  const body = document.body;
  const warningSeconds = Number(body.dataset.warningSeconds || 120);
  const statusUrl = body.dataset.statusUrl;
  const keepaliveUrl = body.dataset.keepaliveUrl;
  const loginUrl = body.dataset.loginUrl;
  const panel = document.getElementById("session-warning");
  const stay = document.getElementById("session-stay");
  let timer = null;

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function schedule(secondsLeft) {
    clearTimeout(timer);
    if (secondsLeft <= 0) { window.location.assign(loginUrl); return; }
    if (secondsLeft <= warningSeconds) {
      panel.hidden = false;
      timer = setTimeout(check, Math.min(secondsLeft, 15) * 1000);
    } else {
      panel.hidden = true;
      timer = setTimeout(check, (secondsLeft - warningSeconds) * 1000);
    }
  }

  function check() {
    fetch(statusUrl, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((data) => schedule(data.authenticated ? data.seconds_left : 0))
      .catch(() => { timer = setTimeout(check, 15000); });
  }

  // Counts as activity on the server; the warning follows what the server says is left. If the
  // answer is not that (signed out, or the server busy or restarting), ask the status instead.
  function keepAlive() {
    return fetch(keepaliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((data) => schedule(data.seconds_left))
      .catch(() => { clearTimeout(timer); check(); });
  }

  stay.addEventListener("click", keepAlive);
  // Live pages keep the sign-in alive while their socket is open (live-socket.js).
  window.IptSession = { keepAlive: keepAlive };

  schedule(Number(body.dataset.idleSeconds || 900));
})();
