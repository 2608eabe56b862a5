// Drafts kept on the device: nothing typed is lost on a reload or a dropped connection (quality
// target R3). One module for every form that keeps a draft: the session note and questionnaire
// autosave scripts use its store, and plain forms marked data-draft get the whole behaviour here.
//
// Privacy. A draft is clinical text in the browser's localStorage, in plain text on the device. It
// stays there only until the server has it: a successful save (or a signed note, a sent
// questionnaire) forgets it. A draft belongs to one user: its key is
// "ipt-draft:<user id>:<form>:<record>", the user id comes from the page (body data-draft-user),
// and a page with no signed-in user stores nothing. Signing out with the "Sign out" button forgets
// every draft of that user on this device (once the sign-out has happened: signing out offline
// fails and keeps them); being signed out for inactivity keeps them, so the text is still there
// when the same person signs in again. A draft untouched for 30 days is forgotten.
//
// Plain forms (the diary entry, the safety plan, the formulation): <form data-draft="name:record"
// data-draft-version="..."> with a <p data-draft-status> for notices. Every change is copied to the
// device; a reload puts the copy back. Submitting first asks the server whether it can be reached
// (the session status URL, which does not count as activity): offline, the page stays with a notice
// and the text; signed out, the same with another notice; otherwise the form is submitted as
// usual. The views redirect after a successful save and show a success message, so the next page
// with a success message forgets the copy that was sent; any other next page (a refusal shown with
// the form, the sign-in page) keeps it.
(function () {
  "use strict";
  const PREFIX = "ipt-draft:";
  const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
  const SIGNING_OUT = "ipt-draft-signing-out"; // sessionStorage: the user whose sign-out was sent
  const body = document.body;
  const user = (body && body.dataset.draftUser) || "";

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // blocked (privacy settings): the server's saves still work
    }
  }

  function read(key) {
    const local = storage();
    if (!local) return null;
    try {
      const copy = JSON.parse(local.getItem(key));
      return copy && typeof copy === "object" ? copy : null;
    } catch (error) {
      return null;
    }
  }

  function write(key, copy) {
    const local = storage();
    if (!local) return;
    try {
      local.setItem(key, JSON.stringify(copy));
    } catch (error) {
      // Storage full or blocked: the server's saves still work.
    }
  }

  function remove(key) {
    const local = storage();
    if (!local) return;
    try {
      local.removeItem(key);
    } catch (error) {
      // Nothing to do.
    }
  }

  function keysOf(owner) {
    const local = storage();
    if (!local) return [];
    const start = PREFIX + owner + ":";
    const keys = [];
    for (let index = 0; index < local.length; index += 1) {
      const key = local.key(index);
      if (key && key.indexOf(start) === 0) keys.push(key);
    }
    return keys;
  }

  // The store of one form's draft. Without a signed-in user it keeps nothing.
  // legacyKey: where an older version of a script kept this record's draft (not keyed by user); it
  // is taken over by the user who opens the record, and removed.
  function open(name, record, options) {
    const key = user ? PREFIX + user + ":" + name + ":" + record : null;
    const legacyKey = options && options.legacyKey;
    if (key && legacyKey) {
      const old = read(legacyKey);
      if (old && !read(key)) write(key, old);
      remove(legacyKey);
    }
    return {
      key: key,
      load: function () {
        return key ? read(key) : null;
      },
      store: function (copy) {
        if (key) write(key, copy);
      },
      forget: function () {
        if (key) remove(key);
      },
    };
  }

  // The form's fields as {name: [values]} (what a submit would send), without the CSRF token,
  // the names in skip, and (skipHidden) hidden inputs.
  function fields(form, skip, skipHidden) {
    const left = ["csrfmiddlewaretoken"].concat(skip || []);
    if (skipHidden) {
      Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (input) {
        if (input.name) left.push(input.name);
      });
    }
    const data = {};
    new FormData(form).forEach(function (value, name) {
      if (left.indexOf(name) !== -1 || typeof value !== "string") return;
      (data[name] = data[name] || []).push(value);
    });
    return data;
  }

  // Put fields() back into the form; fields the copy does not name are emptied.
  function fill(form, data, skip, skipHidden) {
    const left = ["csrfmiddlewaretoken"].concat(skip || []);
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || left.indexOf(element.name) !== -1 || element.tagName === "BUTTON") return;
      if (element.type === "hidden" && skipHidden) return;
      if (element.type === "file" || element.type === "submit") return;
      const values = data[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.indexOf(element.value) !== -1;
      } else if (element.tagName === "SELECT" && element.multiple) {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else {
        element.value = values.length ? values[0] : "";
      }
    });
  }

  function same(one, other) {
    return JSON.stringify(one) === JSON.stringify(other);
  }

  function show(status, className, text) {
    if (!status) return;
    const line = document.createElement("span");
    line.className = className;
    line.textContent = text;
    status.replaceChildren(line);
  }

  function whenReady(start) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start, { once: true });
    } else {
      start();
    }
  }

  window.IptDrafts = { open: open, fields: fields, fill: fill, same: same, show: show };

  // Housekeeping on every page ---------------------------------------------------------------

  function forgetAllOf(owner) {
    keysOf(owner).forEach(remove);
  }

  function forgetOld() {
    const now = Date.now();
    keysOf(user).forEach(function (key) {
      const copy = read(key);
      if (!copy || !(now - Number(copy.typedAt || 0) < MAX_AGE_MS)) remove(key);
    });
  }

  function signOutHook() {
    // A sign-out sent from the last page: forget that user's drafts if it happened (this page has
    // no user, or another one); a page of the same user means it failed (e.g. offline).
    let leaving = null;
    try {
      leaving = window.sessionStorage.getItem(SIGNING_OUT);
      window.sessionStorage.removeItem(SIGNING_OUT);
    } catch (error) {
      leaving = null;
    }
    if (leaving && leaving !== user) forgetAllOf(leaving);
    if (!user) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sign-out]"), function (form) {
      form.addEventListener("submit", function () {
        try {
          window.sessionStorage.setItem(SIGNING_OUT, user);
        } catch (error) {
          forgetAllOf(user); // no session storage: forget now rather than keep after sign-out
        }
      });
    });
  }

  function settleSentCopies() {
    // A copy sent by a plain form (copy.sentAt) is settled on the next page: a success message
    // means the save was made; anything else (the form shown again with the reason, the sign-in
    // page, the browser's own error page before this one) means it was not, so it stays a draft.
    const saved = document.querySelector(".messages .message.success") !== null;
    keysOf(user).forEach(function (key) {
      const copy = read(key);
      if (!copy || !copy.sentAt) return;
      if (saved) {
        remove(key);
      } else {
        delete copy.sentAt;
        write(key, copy);
      }
    });
  }

  // Plain forms ------------------------------------------------------------------------------

  const OFFLINE =
    "Not saved: no connection. What you typed is kept on this device; save again when you are back online.";
  const SIGNED_OUT =
    "Not saved: you have been signed out. What you typed is kept on this device; sign in again and come back to this page.";
  const UNREACHABLE =
    "Not saved: the server cannot be reached just now. What you typed is kept on this device; try again in a moment.";
  const RESTORED = "Put back what you typed on this device that has not been saved yet. Save it when you are ready.";
  const CHANGED =
    " It was typed before the last save of this page (by you elsewhere, or by someone else): check it before you save.";
  const CHECK_TIMEOUT_MS = 10000;
  const BACK_ONLINE = "Back online. What you typed is still here: save it when you are ready.";

  function protect(form) {
    const parts = form.dataset.draft.split(":");
    const drafts = open(parts[0], parts.slice(1).join(":"));
    const version = form.dataset.draftVersion || "";
    let status = form.querySelector("[data-draft-status]");
    if (!status) {
      status = document.createElement("p");
      status.className = "save-status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      form.appendChild(status);
    }
    let checking = false;
    let approved = false;
    let warned = false;

    function current() {
      return fields(form, [], true);
    }

    function keep() {
      drafts.store({ base: version, typedAt: Date.now(), fields: current() });
    }

    function keepAsSent() {
      // The next page settles a sent copy (settleSentCopies).
      const now = Date.now();
      drafts.store({ base: version, typedAt: now, sentAt: now, fields: current() });
    }

    function openHolders() {
      // A row folded away in <details> that holds something restored is opened, so it is seen.
      Array.prototype.forEach.call(form.querySelectorAll("details"), function (details) {
        const holds = Array.prototype.some.call(details.querySelectorAll("input, select, textarea"), function (el) {
          if (el.type === "hidden") return false;
          if (el.type === "checkbox" || el.type === "radio") return el.checked;
          return el.value !== "";
        });
        if (holds) details.open = true;
      });
    }

    function refuse(text) {
      warned = true;
      show(status, "save-error", text);
    }

    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function (event) {
      if (approved || !body.dataset.statusUrl || !window.fetch) {
        approved = false;
        keepAsSent();
        return; // the browser sends it
      }
      keep();
      event.preventDefault();
      if (checking) return;
      checking = true;
      const submitter = event.submitter || null;
      const controller = window.AbortController ? new AbortController() : null;
      if (controller) setTimeout(controller.abort.bind(controller), CHECK_TIMEOUT_MS); // a hung network
      fetch(body.dataset.statusUrl, {
        credentials: "same-origin",
        cache: "no-store",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) return { unreachable: true };
          return response.json();
        })
        .then(
          function (answer) {
            checking = false;
            if (answer.unreachable) return refuse(UNREACHABLE);
            if (!answer.authenticated) return refuse(SIGNED_OUT);
            approved = true;
            if (submitter && form.requestSubmit) {
              form.requestSubmit(submitter);
            } else if (form.requestSubmit) {
              form.requestSubmit();
            } else {
              approved = false;
              keepAsSent();
              form.submit(); // (fires no submit event)
            }
          },
          function () {
            checking = false;
            refuse(OFFLINE);
          }
        );
    });
    window.addEventListener("online", function () {
      if (warned) show(status, "save-info", BACK_ONLINE);
    });

    if (form.dataset.draftPosted !== undefined) {
      // The server showed the form again with the reason it was not saved: what is on the page is
      // the unsaved draft, kept so that a reload does not lose it.
      keep();
      return;
    }
    const copy = drafts.load();
    if (!copy || !copy.fields) return;
    if (same(copy.fields, current())) {
      drafts.forget(); // the page already holds it: saved, or never changed
      return;
    }
    fill(form, copy.fields, [], true);
    openHolders();
    show(status, "save-info", copy.base === version ? RESTORED : RESTORED + CHANGED);
  }

  whenReady(function () {
    signOutHook();
    if (!user) return;
    forgetOld();
    settleSentCopies();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), protect);
  });
})();
