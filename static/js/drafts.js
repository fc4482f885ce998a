/* Drafts and offline sending.

   Every form with data-draft-key keeps its textareas' text in localStorage as the person
   types, and gets it back after a reload or a crash. When the phone is offline, an answer or
   a reflection is queued on the phone instead of lost, and sent through the JSON API (with
   the form's idempotency key, the same on every retry) once the phone is back online.

   Storage (per person, so two people sharing a phone never see each other's words; logging
   out clears it all, with Clear-Site-Data and here):
     attune:u:<user>:draft:<draft-key>  {fields: {name: text}, choices?: {name: value}, savedAt, submittedAt?, page?, key?}
     attune:u:<user>:queue              [{draftKey, kind, instance, body, key, page, queuedAt}]
     attune:user                        the person signed in on this phone (for the offline page)
   A form may name radio groups to keep with its text in data-draft-choices (the journal's tag):
   the choice is restored with the words, and goes with them when they're sent from the queue.
   Text is only ever written into the page with textContent and .value. */
(function () {
  "use strict";

  var ROOT = "attune:";
  var SAVE_DELAY = 500;
  var LEASE_MS = 30000;
  var RECENT_SUBMIT_MS = 10 * 60 * 1000;
  var SENT_NOTE = "attune:sent";
  var ENDPOINTS = {
    answer: { method: "PUT", path: function (id) { return "/api/v1/prompts/" + id + "/answer"; } },
    reflection: { method: "POST", path: function (id) { return "/api/v1/prompts/" + id + "/reflections"; } },
    journal: { method: "POST", path: function () { return "/api/v1/journal"; } },
    "repair-reflect": { method: "POST", path: function (id) { return "/api/v1/repair/" + id + "/reflect"; } },
    "repair-acknowledge": { method: "POST", path: function (id) { return "/api/v1/repair/" + id + "/acknowledge"; } }
  };
  var NOUNS = { answer: ["answer", "answers"], reflection: ["reflection", "reflections"],
                journal: ["journal entry", "journal entries"],
                "repair-reflect": ["reflection", "reflections"],
                "repair-acknowledge": ["acknowledgement", "acknowledgements"] };

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : null;
  }

  // Storage ---------------------------------------------------------------------------------

  var storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(ROOT + "probe");
  } catch (e) {
    storage = null;  // private mode or storage blocked: drafts simply don't persist
  }

  function read(key, fallback) {
    if (!storage) return fallback;
    try {
      var raw = storage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function write(key, value) {
    if (!storage) return;
    try { storage.setItem(key, JSON.stringify(value)); } catch (e) { /* full: keep going without */ }
  }

  function remove(key) {
    if (storage) storage.removeItem(key);
  }

  var signedIn = meta("attune-user");
  var user = signedIn || (storage ? storage.getItem(ROOT + "user") : null);
  var csrfToken = meta("csrf-token");
  var offlinePage = false;

  function userKey(suffix) { return ROOT + "u:" + user + ":" + suffix; }
  function draftKey(name) { return userKey("draft:" + name); }
  function readDraft(name) { return read(draftKey(name), null); }
  function readQueue() { var q = read(userKey("queue"), []); return Array.isArray(q) ? q : []; }
  function writeQueue(queue) { if (queue.length) write(userKey("queue"), queue); else remove(userKey("queue")); }

  function parseKey(name) {
    var match = /^(answer|reflection|response|journal|repair-reflect|repair-acknowledge):(\d+|new)$/.exec(name || "");
    return match ? { kind: match[1], id: match[2] } : { kind: null, id: null };
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  // The status lines ------------------------------------------------------------------------

  var banner = document.getElementById("sync-status");
  var bannerNote = "";
  var formNotes = {};

  function plural(count, kind) {
    return count + " " + NOUNS[kind][count === 1 ? 0 : 1];
  }

  function pendingSentence(queue) {
    var counts = { answer: 0, reflection: 0, journal: 0, "repair-acknowledge": 0 };
    queue.forEach(function (item) {
      var kind = item.kind === "repair-reflect" ? "reflection" : item.kind;
      if (counts[kind] !== undefined) counts[kind] += 1;
    });
    var parts = [];
    if (counts.answer) parts.push(plural(counts.answer, "answer"));
    if (counts.reflection) parts.push(plural(counts.reflection, "reflection"));
    if (counts.journal) parts.push(plural(counts.journal, "journal"));
    if (counts["repair-acknowledge"]) parts.push(plural(counts["repair-acknowledge"], "repair-acknowledge"));
    if (!parts.length) return "";
    var one = queue.length === 1;
    return parts.join(" and ") + (one ? " is" : " are") + " waiting to be sent \u2014 " +
      (one ? "it" : "they") + " will go as soon as you're back online.";
  }

  function renderBanner() {
    if (!banner) return;
    var lines = [];
    if (!navigator.onLine) lines.push("You're offline. What you write stays on this phone.");
    if (user) {
      var pending = pendingSentence(readQueue());
      if (pending) lines.push(pending);
    }
    if (bannerNote) lines.push(bannerNote);
    var current = Array.prototype.map.call(banner.children, function (p) { return p.textContent; });
    if (current.join("\n") === lines.join("\n")) return;  // unchanged: don't re-announce
    banner.replaceChildren.apply(banner, lines.map(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  }

  function noteOnForm(name, message) {
    var line = formNotes[name];
    if (!line) {
      bannerNote = message;
      renderBanner();
      return;
    }
    line.textContent = "";
    // A moment later, so screen readers hear the change in a region that already exists.
    setTimeout(function () { line.textContent = message; }, 50);
  }

  // Drafts ----------------------------------------------------------------------------------

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.querySelectorAll("textarea[name]"), function (area) {
      return !area.disabled;
    });
  }

  function choiceNames(form) {
    return (form.getAttribute("data-draft-choices") || "").split(/\s+/).filter(Boolean);
  }

  function radiosOf(form, name) {
    return Array.prototype.filter.call(form.querySelectorAll("input[type='radio']"), function (input) {
      return input.name === name && !input.disabled;
    });
  }

  /* The chosen value of each kept radio group ("" for none chosen), and whether any differs from the page's. */
  function choicesOf(form) {
    var choices = {};
    var changed = false;
    choiceNames(form).forEach(function (name) {
      var radios = radiosOf(form, name);
      if (!radios.length) return;
      var chosen = radios.filter(function (r) { return r.checked; })[0];
      var initial = radios.filter(function (r) { return r.defaultChecked; })[0];
      choices[name] = chosen ? chosen.value : "";
      if (choices[name] !== (initial ? initial.value : "")) changed = true;
    });
    return { values: choices, changed: changed };
  }

  function choose(form, name, value) {
    var changed = false;
    radiosOf(form, name).forEach(function (radio) {
      var on = radio.value === value;
      if (radio.checked !== on) changed = true;
      radio.checked = on;
    });
    return changed;
  }

  function saveDraft(form, extra) {
    if (!user) return;
    var name = form.getAttribute("data-draft-key");
    var fields = {};
    var choices = choicesOf(form);
    var worthKeeping = choices.changed;
    fieldsOf(form).forEach(function (area) {
      fields[area.name] = area.value;
      if (area.value.trim() && area.value !== area.defaultValue) worthKeeping = true;
    });
    if (!worthKeeping && !extra) {
      // Nothing beyond what the server already has: no draft to keep.
      var old = readDraft(name);
      if (!old || !old.submittedAt) remove(draftKey(name));
      return;
    }
    var draft = { fields: fields, savedAt: Date.now() };
    if (Object.keys(choices.values).length) draft.choices = choices.values;
    if (extra) Object.keys(extra).forEach(function (k) { draft[k] = extra[k]; });
    write(draftKey(name), draft);
  }

  function sameAsPage(draft, form) {
    var now = choicesOf(form).values;
    var keptChoices = draft.choices || {};
    return fieldsOf(form).every(function (area) {
      var kept = draft.fields ? draft.fields[area.name] : undefined;
      return kept === undefined || kept === area.value;
    }) && Object.keys(keptChoices).every(function (name) {
      return now[name] === undefined || now[name] === keptChoices[name];
    });
  }

  function restoreDraft(form, queuedNames) {
    var name = form.getAttribute("data-draft-key");
    var draft = readDraft(name);
    if (!draft || !draft.fields) return;
    var invalid = form.querySelector("[aria-invalid='true']");
    if (sameAsPage(draft, form)) {
      // The server has exactly this text (it was saved, or the form came back for a correction).
      if (!invalid && !queuedNames[name]) remove(draftKey(name));
      return;
    }
    var restored = false;
    fieldsOf(form).forEach(function (area) {
      var kept = draft.fields[area.name];
      if (typeof kept === "string" && kept.trim() && kept !== area.value) {
        area.value = kept;
        restored = true;
        area.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    var keptChoices = draft.choices || {};
    choiceNames(form).forEach(function (choice) {
      if (typeof keptChoices[choice] === "string" && choose(form, choice, keptChoices[choice])) restored = true;
    });
    if (restored && !queuedNames[name]) noteOnForm(name, "Restored your unsent draft.");
  }

  /* A draft whose form was sent normally, and whose form is gone from the page it led to
     (a reflection once shared, an answer once revealed), was saved: forget it. */
  function forgetSubmittedDrafts(present, queuedNames) {
    if (!storage || !user) return;
    var prefix = userKey("draft:");
    var here = location.pathname;
    for (var i = storage.length - 1; i >= 0; i -= 1) {
      var key = storage.key(i);
      if (!key || key.indexOf(prefix) !== 0) continue;
      var name = key.slice(prefix.length);
      if (present[name] || queuedNames[name]) continue;
      var draft = read(key, null);
      if (!draft || !draft.submittedAt) continue;
      var parsed = parseKey(name);
      var samePage = draft.page && draft.page.split("?")[0].split("#")[0] === here;
      var promptPage = (parsed.kind === "answer" || parsed.kind === "reflection") && here === "/prompts/" + parsed.id;
      // A new journal entry, once saved, leads to its own page.
      var entryPage = parsed.kind === "journal" && /^\/journal\/\d+$/.test(here);
      if (samePage || promptPage || entryPage) remove(key);
    }
  }

  /* On the offline page: a form sent moments ago whose page failed to load didn't arrive (or
     its answer was lost). Queue it; the idempotency key makes a repeat harmless either way. */
  function queueFailedSubmits() {
    if (!storage || !user) return;
    var prefix = userKey("draft:");
    for (var i = storage.length - 1; i >= 0; i -= 1) {
      var key = storage.key(i);
      if (!key || key.indexOf(prefix) !== 0) continue;
      var name = key.slice(prefix.length);
      var draft = read(key, null);
      if (!draft || !draft.submittedAt || Date.now() - draft.submittedAt > RECENT_SUBMIT_MS) continue;
      var parsed = parseKey(name);
      if (ENDPOINTS[parsed.kind] && draft.key && draft.fields && typeof draft.fields.body === "string") {
        var tag = draft.choices ? draft.choices.tag : undefined;  // a journal entry's tag goes with its words
        enqueue({ draftKey: name, kind: parsed.kind, instance: parsed.id, body: draft.fields.body,
                  key: draft.key, tag: tag, page: draft.page || "/today", queuedAt: Date.now() });
      }
      delete draft.submittedAt;
      write(key, draft);
    }
  }

  // The queue -------------------------------------------------------------------------------

  function enqueue(item) {
    var queue = readQueue().filter(function (old) { return old.draftKey !== item.draftKey; });
    queue.push(item);
    writeQueue(queue);
  }

  function dequeue(key) {
    writeQueue(readQueue().filter(function (item) { return item.key !== key; }));
  }

  function queueFromForm(form) {
    var name = form.getAttribute("data-draft-key");
    var parsed = parseKey(name);
    var area = form.querySelector("textarea[name='body']");
    var keyInput = form.querySelector("[data-idempotency-key]");
    if (!ENDPOINTS[parsed.kind] || !area || !keyInput) return false;
    var key = keyInput.value || newKey();
    var tag = form.querySelector("[name='tag']:checked, select[name='tag']");  // a journal entry's tag
    saveDraft(form, { queuedAt: Date.now() });  // kept until the server has it
    enqueue({ draftKey: name, kind: parsed.kind, instance: parsed.id, body: area.value, key: key,
              tag: tag ? tag.value : undefined, page: location.pathname + location.search, queuedAt: Date.now() });
    // A later edit is a different request, so it gets a key of its own.
    keyInput.value = newKey();
    return true;
  }

  /* Run fn while holding this item's lock, shared by every tab; null if another holds it. */
  function withLock(item, fn) {
    var name = "attune-send-" + item.key;
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(name, { ifAvailable: true }, function (lock) {
        return lock ? fn() : null;
      });
    }
    var leaseKey = userKey("sending:" + item.key);
    var lease = read(leaseKey, 0);
    if (lease && Date.now() - lease < LEASE_MS) return Promise.resolve(null);
    write(leaseKey, Date.now());
    return Promise.resolve().then(fn).then(function (result) {
      remove(leaseKey);
      return result;
    }, function (error) {
      remove(leaseKey);
      throw error;
    });
  }

  function freshToken() {
    return fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (me) { if (me && me.csrf_token) csrfToken = me.csrf_token; return Boolean(me); })
      .catch(function () { return false; });
  }

  function post(item) {
    var endpoint = ENDPOINTS[item.kind];
    return fetch(endpoint.path(item.instance), {
      method: endpoint.method,
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken || "",
        "Idempotency-Key": item.key
      },
      body: JSON.stringify(item.tag === undefined ? { body: item.body } : { body: item.body, tag: item.tag })
    });
  }

  function problemOf(response) {
    return response.json().then(function (data) {
      return data && typeof data.message === "string" ? data.message : "";
    }, function () { return ""; });
  }

  /* "sent", "retry" (keep it queued) or "refused" (the server said no; the draft stays). */
  function send(item, retriedToken) {
    if (!ENDPOINTS[item.kind]) return Promise.resolve("refused");
    return post(item).then(function (response) {
      if (response.ok) return "sent";
      if (response.status === 401 || response.status === 408 || response.status === 429 || response.status >= 500) {
        return "retry";
      }
      return problemOf(response).then(function (message) {
        if (response.status === 400 && /csrf/i.test(message) && !retriedToken) {
          return freshToken().then(function (ok) { return ok ? send(item, true) : "retry"; });
        }
        item.problem = message || "That couldn't be sent. Your words are still here.";
        return "refused";
      });
    }, function () { return "retry"; });
  }

  var flushing = false;
  var leaving = false;  // set before this script reloads or leaves the page: nothing more to save

  function leave(go) {
    leaving = true;
    go();
  }

  function flush() {
    if (flushing || offlinePage || !signedIn || !navigator.onLine) return Promise.resolve();
    var queue = readQueue();
    if (!queue.length) return Promise.resolve();
    flushing = true;
    var sentKinds = [];
    var problems = [];
    var chain = Promise.resolve();
    queue.forEach(function (queued) {
      chain = chain.then(function () {
        return withLock(queued, function () {
          // Another tab may have sent it while this one waited.
          var item = readQueue().filter(function (q) { return q.key === queued.key; })[0];
          if (!item) return null;
          return send(item).then(function (outcome) {
            if (outcome === "sent") {
              dequeue(item.key);
              var draft = readDraft(item.draftKey);
              if (!draft || !draft.fields || draft.fields.body === item.body) remove(draftKey(item.draftKey));
              sentKinds.push(item.kind);
            } else if (outcome === "refused") {
              dequeue(item.key);
              problems.push(item.problem);
              noteOnForm(item.draftKey, item.problem);
            }
            return outcome;
          });
        });
      });
    });
    return chain.then(function () {
      flushing = false;
      renderBanner();
      if (sentKinds.length) {
        try {
          sessionStorage.setItem(SENT_NOTE, [sentKinds.length === 1
            ? "Your " + NOUNS[sentKinds[0]][0] + " was sent and saved."
            : "What you wrote while offline was sent and saved."].concat(problems).join(" "));
        } catch (e) { /* no note, still reload */ }
        leave(function () { location.reload(); });
      }
    }, function () {
      flushing = false;
      renderBanner();
    });
  }

  // Wiring ----------------------------------------------------------------------------------

  function setUpForm(form, queuedNames) {
    var name = form.getAttribute("data-draft-key");
    var line = document.createElement("p");
    line.className = "draft-status";
    line.setAttribute("role", "status");
    line.setAttribute("aria-live", "polite");
    var submit = form.querySelector("[type='submit']");
    form.insertBefore(line, submit || null);
    formNotes[name] = line;

    restoreDraft(form, queuedNames);
    if (queuedNames[name]) noteOnForm(name, "Waiting to be sent.");

    var timer = null;
    var sentNormally = false;
    form.addEventListener("input", function (event) {
      if (!event.target || event.target.tagName !== "TEXTAREA") return;
      sentNormally = false;
      clearTimeout(timer);
      timer = setTimeout(function () { saveDraft(form); }, SAVE_DELAY);
    });
    var kept = choiceNames(form);
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (!target || target.type !== "radio" || kept.indexOf(target.name) < 0) return;
      sentNormally = false;
      clearTimeout(timer);
      saveDraft(form);  // a tap is a whole choice: keep it at once
    });
    window.addEventListener("pagehide", function () {
      clearTimeout(timer);
      if (!sentNormally && !leaving) saveDraft(form);
    });

    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (navigator.onLine) {
        sentNormally = true;
        // Sent the ordinary way. Keep the draft, marked, until the page it leads to shows it saved.
        var keyInput = form.querySelector("[data-idempotency-key]");
        saveDraft(form, { submittedAt: Date.now(), page: location.pathname + location.search,
                          key: keyInput ? keyInput.value : null });
        return;
      }
      event.preventDefault();
      if (queueFromForm(form)) {
        noteOnForm(name, "Waiting to be sent.");
      } else {
        saveDraft(form);
        noteOnForm(name, "You're offline. Your words are kept on this phone; send them when you're back online.");
      }
      renderBanner();
    });
  }

  function forgetEverything() {
    if (!storage) return;
    for (var i = storage.length - 1; i >= 0; i -= 1) {
      var key = storage.key(i);
      if (key && key.indexOf(ROOT) === 0) storage.removeItem(key);
    }
  }

  function setUp() {
    offlinePage = Boolean(document.querySelector("[data-offline-page]"));
    if (signedIn && storage) {
      try { storage.setItem(ROOT + "user", signedIn); } catch (e) { /* storage full */ }
    }

    var queuedNames = {};
    if (user) readQueue().forEach(function (item) { queuedNames[item.draftKey] = true; });

    if (offlinePage) {
      queueFailedSubmits();
    } else if (signedIn) {
      var present = {};
      document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
        present[form.getAttribute("data-draft-key")] = true;
        setUpForm(form, queuedNames);
      });
      forgetSubmittedDrafts(present, queuedNames);
    }

    // A shared phone: logging out leaves none of this person's words behind.
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", forgetEverything);
    });

    try {
      var sent = sessionStorage.getItem(SENT_NOTE);
      if (sent) {
        sessionStorage.removeItem(SENT_NOTE);
        bannerNote = sent;
      }
    } catch (e) { /* no note */ }
    renderBanner();

    window.addEventListener("offline", renderBanner);
    window.addEventListener("online", function () {
      renderBanner();
      if (offlinePage) {
        // The offline page can't send (it holds no token): go back to where the words were written.
        // (Without a queue it waits for "Try again": this page may stand in for a form's POST.)
        var queue = user ? readQueue() : [];
        if (queue.length && queue[0].page) leave(function () { location.replace(queue[0].page); });
        return;
      }
      flush();
    });
    flush();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
