/* Attune's page behaviour: quick exit, the coach as you type, sentence starters,
   copying the invite, the browser's time zone, and idempotency keys. Every
   piece of user text is written with textContent, never as HTML. */
(function () {
  "use strict";

  function quickExit(event) {
    var link = document.querySelector("[data-quick-exit]");
    if (!link) return;
    if (event) event.preventDefault();
    // replace() keeps Attune out of the back button's reach.
    window.location.replace(link.href);
  }

  function setUpQuickExit() {
    var link = document.querySelector("[data-quick-exit]");
    if (link) link.addEventListener("click", quickExit);
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var now = Date.now();
      if (now - lastEscape < 600) quickExit();
      lastEscape = now;
    });
  }

  function setUpCoach() {
    if (!window.AttuneCoach) return;
    // The rules are one static file: fetched once per page (and kept by the service worker), not
    // carried in every page. Until they arrive, and if they never do, the fields simply have no coach.
    var areas = document.querySelectorAll("textarea[data-coach][data-coach-rules-url]");
    if (!areas.length) return;
    fetch(areas[0].getAttribute("data-coach-rules-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (rules) { if (rules) areas.forEach(function (area) { coachField(area, rules); }); })
      .catch(function () {});
  }

  function coachField(area, rules) {
    var box = document.getElementById(area.getAttribute("data-coach"));
    var mode = area.getAttribute("data-coach-mode") || "speaker";
    if (!box) return;
    var timer = null;
    // The box is a live region that stays in the page: only its contents change, and only when
    // the hint itself changes, so a screen reader hears each new hint once rather than every pause.
    var first = box.querySelector(".coach p");
    var shown = first ? first.textContent : "";
    function render() {
      var found = window.AttuneCoach.suggestions(area.value, rules, mode);
      var next = found.length ? found[0].hint : "";
      if (next === shown) return;
      shown = next;
      if (!next) { box.replaceChildren(); return; }
      var panel = document.createElement("div");
      panel.className = "coach";
      var hint = document.createElement("p");
      hint.textContent = next;
      var example = document.createElement("p");
      example.className = "coach-example";
      var em = document.createElement("em");
      em.textContent = found[0].example;
      example.append("Try: ", em);
      panel.append(hint, example);
      box.replaceChildren(panel);
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
  }

  function setUpStarters() {
    document.querySelectorAll("[data-starter]").forEach(function (button) {
      button.addEventListener("click", function () {
        var area = document.getElementById(button.getAttribute("data-target"));
        if (!area) return;
        var starter = button.getAttribute("data-starter").replace(/\s*\u2026\s*$/, " ");
        area.value = area.value ? area.value.replace(/\s*$/, "\n") + starter : starter;
        area.focus();
        area.setSelectionRange(area.value.length, area.value.length);
        area.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  function setUpCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          button.textContent = "Copied";
        });
      });
    });
  }

  function fillTimezone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll("[data-fill-timezone]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
  }

  // "We'll let you know" is said only where it is true: this device has notifications on.
  function showIfNotified() {
    var lines = document.querySelectorAll("[data-if-notified]");
    if (!lines.length || !window.Notification || Notification.permission !== "granted" || !navigator.serviceWorker) return;
    navigator.serviceWorker.getRegistration()
      .then(function (registration) { return registration && registration.pushManager.getSubscription(); })
      .then(function (subscription) { if (subscription) lines.forEach(function (line) { line.hidden = false; }); })
      .catch(function () {});
  }

  // "How to listen" opens by itself on the first three reveals this person reads on this device, then stays folded.
  function openGuidanceFirstTimes() {
    var box = document.querySelector("details[data-guidance]");
    var user = document.querySelector('meta[name="attune-user"]');
    if (!box || !user) return;
    var key = "attune:u:" + user.content + ":guidance-seen", seen = [];
    try { seen = JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return; }
    var id = box.getAttribute("data-guidance");
    if (seen.indexOf(id) < 0) {
      if (seen.length >= 3) return;
      seen.push(id);
      try { localStorage.setItem(key, JSON.stringify(seen)); } catch (e) { /* private mode: just open it */ }
    }
    box.open = true;
  }

  // Filters and toggles save as they change; their submit button is only for pages without script.
  function setUpSubmitOnChange() {
    document.querySelectorAll("[data-submit-on-change]").forEach(function (control) {
      var form = control.form || control.closest("form");
      if (!form) return;
      form.querySelectorAll("[data-hide-with-script]").forEach(function (button) { button.hidden = true; });
      control.addEventListener("change", function () {
        if (form.hasAttribute("data-save-quietly")) saveQuietly(form);
        else if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }

  // A switch saved where it is: the form posts in the background and its status line (a polite live region)
  // says "Saved." once, with no page load and no banner. Anything unexpected (signed out, a refused token)
  // falls back to the ordinary post, so the person sees what the server says.
  function saveQuietly(form) {
    var status = form.querySelector("[data-save-status]");
    if (status) status.textContent = "Saving\u2026";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) throw new Error("not a quiet answer");
        return response.json();
      })
      .then(function (answer) {
        if (status) status.textContent = answer.message || (answer.saved ? "Saved." : "That wasn't saved.");
      })
      .catch(function () {
        if (!navigator.onLine) {
          if (status) status.textContent = "Not saved: you seem to be offline. Try again when you're connected.";
          return;
        }
        form.submit();
      });
  }

  // The time zone step: offered only when the phone's zone is not the one Attune has, and not already declined here.
  function checkTimezone() {
    var form = document.querySelector("[data-timezone-check]");
    var user = document.querySelector('meta[name="attune-user"]');
    if (!form || !user) return;
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    var saved = form.getAttribute("data-timezone-check");
    var key = "attune:u:" + user.content + ":zone-kept";
    var kept = null;
    try { kept = localStorage.getItem(key); } catch (e) { kept = null; }
    // "use>zone": already chosen here (a Today page cached for a minute may still show the old zone).
    if (!zone || zone === saved || kept === saved + ">" + zone || kept === "use>" + zone) return;
    form.querySelector("[data-detected-zone]").value = zone;
    form.querySelector("[data-detected-zone-name]").textContent = zone.replace(/_/g, " ");
    form.hidden = false;
    function remember(value) { try { localStorage.setItem(key, value); } catch (e) { /* nothing to keep it in */ } }
    form.addEventListener("submit", function () { remember("use>" + zone); });
    form.querySelector("[data-keep-zone]").addEventListener("click", function () {
      remember(saved + ">" + zone);
      form.hidden = true;
    });
  }

  // The time-zone picker (the timezone_field macro): every zone the browser knows joins the suggestions,
  // the phone's own zone first, and one button fills it in when it differs from what is in the box.
  function setUpTimezonePickers() {
    var inputs = document.querySelectorAll("[data-tz-picker]");
    if (!inputs.length) return;
    var zone = "", all = [];
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    try { all = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []; } catch (e) { all = []; }
    inputs.forEach(function (input) {
      var list = input.list;
      if (list) {
        var have = {};
        list.querySelectorAll("option").forEach(function (option) { have[option.value] = true; });
        all.forEach(function (name) {
          if (have[name] || name === zone) return;
          var option = document.createElement("option");
          option.value = name;
          list.append(option);
        });
        if (zone) {
          var mine = list.querySelector('option[value="' + zone.replace(/"/g, "") + '"]') || document.createElement("option");
          mine.value = zone;
          list.prepend(mine);
        }
      }
      var button = document.querySelector('[data-tz-use="' + input.id + '"]');
      if (!button || !zone || input.value === zone) return;
      button.querySelector("[data-tz-name]").textContent = zone.replace(/_/g, " ");
      button.parentElement.hidden = false;
      button.addEventListener("click", function () {
        input.value = zone;
        button.parentElement.hidden = true;
        input.focus();
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  // The invite: the phone's own share sheet where there is one; the copy button otherwise.
  function setUpShare() {
    document.querySelectorAll("[data-share]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-share"));
      if (!source || !navigator.share) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share({ title: "Join me on Attune", text: button.getAttribute("data-share-text") || "", url: source.value })
          .catch(function () {});
      });
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function setUpIdempotencyKeys() {
    document.querySelectorAll("form").forEach(function (form) {
      var input = form.querySelector("[data-idempotency-key]");
      if (!input) return;
      input.value = newKey();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpQuickExit();
    setUpCoach();
    setUpStarters();
    setUpCopy();
    fillTimezone();
    setUpIdempotencyKeys();
    showIfNotified();
    openGuidanceFirstTimes();
    setUpSubmitOnChange();
    checkTimezone();
    setUpShare();
    setUpTimezonePickers();
  });
})();
