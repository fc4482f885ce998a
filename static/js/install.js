/* The installable app: registers the service worker on every page, offers "Install Attune"
   where the browser allows it (or the Add to Home Screen steps on iPhone and iPad), and
   hides both once Attune runs from the home screen. Also wires the offline page's
   "Try again" button. */
(function () {
  "use strict";

  var DISMISSED = "attune:install-dismissed";

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // Without a service worker Attune still works; it just can't open offline.
    });
  }

  function standalone() {
    return (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) ||
      navigator.standalone === true;
  }

  function appleMobile() {
    var ua = navigator.userAgent || "";
    // iPadOS reports itself as a Mac; touch gives it away.
    return /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  }

  function dismissed() {
    try { return window.localStorage.getItem(DISMISSED) === "1"; } catch (e) { return false; }
  }

  function setUpInstallHint() {
    var hint = document.getElementById("install-hint");
    var button = document.getElementById("install-button");
    var steps = document.getElementById("install-ios-steps");
    var dismiss = document.getElementById("install-dismiss");
    if (!hint || !button || !steps) return;

    var deferred = null;

    function hide() {
      hint.hidden = true;
      button.hidden = true;
      steps.hidden = true;
    }

    if (dismiss) {
      dismiss.addEventListener("click", function () {
        try { window.localStorage.setItem(DISMISSED, "1"); } catch (e) { /* hide for now only */ }
        hide();
      });
    }

    if (standalone()) return hide();
    // A page that gives the same steps itself (the first run's notifications step): say them once.
    if (document.querySelector("[data-install-steps-here]")) return hide();

    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();  // show our own button instead of the browser's mini bar
      deferred = event;
      if (dismissed() || standalone()) return;
      button.hidden = false;
      hint.hidden = false;
    });

    button.addEventListener("click", function () {
      if (!deferred) return;
      var prompt = deferred;
      deferred = null;
      prompt.prompt();
      var choice = prompt.userChoice || Promise.resolve({});
      choice.then(function (result) {
        if (result && result.outcome === "accepted") hide();
      }, function () { /* left as it was */ });
    });

    window.addEventListener("appinstalled", hide);

    if (appleMobile() && !dismissed()) {
      steps.hidden = false;
      hint.hidden = false;
    }
  }

  // "Not now" in the first run also means not now for the home-screen hint: nothing asks again later.
  function setUpNotNow() {
    document.querySelectorAll("[data-install-not-now]").forEach(function (button) {
      button.addEventListener("click", function () {
        try { window.localStorage.setItem(DISMISSED, "1"); } catch (e) { /* nothing to keep it in */ }
      });
    });
  }

  function setUpReload() {
    document.querySelectorAll("[data-reload]").forEach(function (button) {
      button.addEventListener("click", function () { window.location.reload(); });
    });
  }

  registerServiceWorker();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpInstallHint(); setUpReload(); setUpNotNow(); });
  } else {
    setUpInstallHint();
    setUpReload();
    setUpNotNow();
  }

  // push.js (loaded after this file) asks the same questions about the device.
  window.AttuneInstall = { standalone: standalone, appleMobile: appleMobile };
})();
