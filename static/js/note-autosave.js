// Session note drafts: nothing typed is lost on a reload or a dropped connection (quality target R3).
//
// htmx posts the whole form to the autosave URL while the therapist types (hx-trigger on the form,
// one request at a time: hx-sync) and swaps in the small status line. This script adds what htmx
// cannot do: it keeps a copy of every field on the device (draft-store.js, which says where and for
// whom) until the server has it. The copy remembers which server draft it was typed on (the note's
// draft_saved_at, also sent with each save as draft_version so a stale page never overwrites a
// newer draft) and when it was typed. On load, a copy typed on the draft the server still has, or
// typed after the server's draft was saved, is newer: it is put back into the form and saved. A
// successful save forgets the copy; so does a signed note.
(function () {
  "use strict";
  const root = document.getElementById("session-note");
  if (!root || !window.IptDrafts) return; // without the shared store the server's autosave still works
  const drafts = window.IptDrafts;
  const copies = drafts.open("note", root.dataset.noteId, { legacyKey: "ipt-note-draft:" + root.dataset.noteId });
  const form = document.getElementById("note-form");
  if (!form) {
    forget(); // signed (or read only): there is nothing left to save from this page
    return;
  }
  const status = document.getElementById("note-save-status");
  const version = form.elements.namedItem("draft_version");
  const NOT_COPIED = ["csrfmiddlewaretoken", "draft_version"];
  const sentAt = new WeakMap(); // htmx request -> when it left, to know what it carried
  let base = root.dataset.draftSavedAt; // the server draft this page holds
  let serverMs = Number(root.dataset.draftSavedMs);
  let leaving = false;

  const OFFLINE =
    "Not saved yet: no connection. What you type is kept on this device and saved when you are back online.";
  const SIGNED_OUT =
    "Not saved: you may have been signed out. What you typed is kept on this device; sign in again and reopen this note.";
  const REFUSED =
    "Not saved: the server did not accept it. What you typed is kept on this device; reload the page to try again.";
  const RESTORED = "Put back what you typed on this device that had not reached the server. Saving…";

  function fields() {
    return drafts.fields(form, NOT_COPIED);
  }

  function fill(data) {
    drafts.fill(form, data, NOT_COPIED);
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
    if (event && event.target === form) return; // our own "save now" nudge, not typing
    store({ base: base, typedAt: Date.now(), fields: fields() });
  }

  function show(className, text) {
    drafts.show(status, className, text);
  }

  function saveNow() {
    // Through htmx, so this save waits its turn behind any save already on its way (hx-sync).
    if (window.htmx) window.htmx.trigger(form, "change");
  }

  function saved(savedAt, savedMs, requestSentAt) {
    base = savedAt;
    serverMs = savedMs;
    root.dataset.draftSavedAt = savedAt;
    if (version) version.value = savedAt;
    // Leaving (a reload or a link): the next page may have been read before this save landed,
    // so the copy stays; that page puts it back if its draft is older, and forgets it otherwise.
    if (leaving) return;
    const copy = load();
    if (copy && copy.typedAt > requestSentAt) {
      copy.base = savedAt; // typed while the save was on its way: keep it until the next save
      store(copy);
    } else {
      forget();
    }
  }

  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  form.addEventListener("htmx:beforeRequest", function (event) {
    sentAt.set(event.detail.xhr, Date.now());
  });
  form.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 400 || xhr.status === 409) {
      event.detail.shouldSwap = true; // show why it was not saved
      event.detail.isError = false;
    } else if (xhr.status === 200 && !xhr.getResponseHeader("X-Draft-Saved-At")) {
      event.detail.shouldSwap = false; // a sign-in page after a redirect, not our answer
      show("save-error", SIGNED_OUT);
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    const savedAt = xhr && xhr.getResponseHeader("X-Draft-Saved-At");
    if (savedAt) saved(savedAt, Number(xhr.getResponseHeader("X-Draft-Saved-Ms")), sentAt.get(xhr) || 0);
  });
  form.addEventListener("htmx:sendError", function () {
    show("save-error", OFFLINE);
  });
  form.addEventListener("htmx:responseError", function (event) {
    const code = event.detail.xhr.status;
    if (code !== 400 && code !== 409) show("save-error", REFUSED);
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
    if (root.dataset.conflict) return; // the page says the draft changed elsewhere: keep the copy, save nothing
    const copy = load();
    if (copy && copy.fields) {
      const newer = copy.base === base || copy.typedAt > serverMs;
      if (newer && JSON.stringify(copy.fields) !== JSON.stringify(fields())) {
        fill(copy.fields);
        store({ base: base, typedAt: copy.typedAt, fields: copy.fields });
        show("save-info", RESTORED);
        saveNow();
      } else {
        forget();
      }
    } else if (root.dataset.posted) {
      // The server sent the form back (e.g. signing refused): save what is on the page as the draft.
      keep();
      saveNow();
    }
  }

  // htmx sets the form up on DOMContentLoaded (this deferred script runs just before it), so the
  // saved copy is put back once the page has loaded.
  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start, { once: true });
  }
})();
