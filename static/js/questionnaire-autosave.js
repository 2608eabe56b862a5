// Questionnaire answers: none is lost on a reload or a dropped connection (quality target R3).
//
// htmx posts the form's checked answers to the autosave URL on every change (hx-trigger on the
// form, one request at a time: hx-sync) and swaps in the status line. The server merges what it is
// sent into the stored answers, so a save never clears an answer. This script keeps a copy of the
// chosen answers on the device (draft-store.js, which says where and for whom) until the server
// has them, the way note-autosave.js does for the session note: on load (or when the connection
// comes back) a copy still on the device is put back into the form and saved; a save that carried
// every answer chosen so far forgets the copy; the result page (data-done) forgets it too.
(function () {
  "use strict";
  const root = document.getElementById("questionnaire-answers");
  if (!root || !window.IptDrafts) return; // without the shared store the server's autosave still works
  const drafts = window.IptDrafts;
  const copies = drafts.open("questionnaire", root.dataset.responseId, {
    legacyKey: "ipt-questionnaire-draft:" + root.dataset.responseId,
  });
  if (root.dataset.done !== undefined) {
    forget(); // sent: nothing left to save
    return;
  }
  const form = root.querySelector("form");
  const status = document.getElementById("questionnaire-save-status");
  const autosaveUrl = form.getAttribute("hx-post");
  const sentAt = new WeakMap(); // htmx request -> when it left
  let leaving = false;

  const OFFLINE =
    "Not saved yet: no connection. Your answers are kept on this device and saved when you are back online.";
  const SIGNED_OUT =
    "Not saved: you may have been signed out. Your answers are kept on this device; sign in again and reopen this questionnaire.";
  const REFUSED =
    "Not saved: the server did not accept it. Your answers are kept on this device; reload the page to try again.";
  const RESTORED = "Put back answers chosen on this device that had not reached the server. Saving…";

  function answers() {
    const data = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]:checked"), function (input) {
      data[input.name] = input.value;
    });
    return data;
  }

  function fill(data) {
    let changed = false;
    Object.keys(data).forEach(function (name) {
      Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]"), function (input) {
        if (input.name !== name) return;
        const checked = input.value === data[name];
        if (input.checked !== checked) changed = true;
        input.checked = checked;
      });
    });
    return changed;
  }

  function load() {
    return copies.load();
  }

  function store(copy) {
    copies.store(copy);
  }

  function forget() {
    copies.forget();
  }

  function keep(event) {
    if (event && event.target === form) return; // our own "save now" nudge, not a choice
    store({ typedAt: Date.now(), answers: answers() });
  }

  function show(className, text) {
    drafts.show(status, className, text);
  }

  function saveNow() {
    // Through htmx, so this save waits its turn behind any save already on its way (hx-sync).
    if (window.htmx) window.htmx.trigger(form, "change");
  }

  function ours(xhr) {
    // A redirect (to sign in) ends elsewhere: that answer is not a save.
    try {
      return new URL(xhr.responseURL).pathname === new URL(autosaveUrl, window.location.href).pathname;
    } catch (error) {
      return false;
    }
  }

  form.addEventListener("change", keep);
  form.addEventListener("htmx:beforeRequest", function (event) {
    sentAt.set(event.detail.xhr, Date.now());
  });
  form.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 400) {
      event.detail.shouldSwap = true; // show why it was not saved
      event.detail.isError = false;
    } else if (xhr.status === 200 && !ours(xhr)) {
      event.detail.shouldSwap = false;
      show("save-error", SIGNED_OUT);
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 200 || !ours(xhr) || leaving) return;
    // Leaving (a reload): the next page may have been read before this save landed, so the copy
    // stays and that page saves it again (saving the same answers twice changes nothing).
    const copy = load();
    if (copy && !(copy.typedAt > (sentAt.get(xhr) || 0))) forget();
  });
  form.addEventListener("htmx:sendError", function () {
    show("save-error", OFFLINE);
  });
  form.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status !== 400) show("save-error", REFUSED);
  });
  window.addEventListener("beforeunload", function () {
    leaving = true;
  });
  window.addEventListener("pageshow", function () {
    leaving = false;
  });
  window.addEventListener("online", function () {
    if (load()) saveNow();
  });

  function start() {
    const copy = load();
    if (!copy || !copy.answers) return;
    const changed = fill(copy.answers);
    if (!Object.keys(answers()).length) {
      forget();
      return;
    }
    store({ typedAt: copy.typedAt, answers: answers() });
    if (changed) show("save-info", RESTORED);
    saveNow(); // saving answers the server already has changes nothing; the success forgets the copy
  }

  // htmx sets the form up on DOMContentLoaded (this deferred script runs just before it).
  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start, { once: true });
  }
})();
