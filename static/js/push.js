/* Turning on notifications for this device (the [data-push-enable] button, in Settings and the first run).

   Permission is asked for only when the person taps the button, never on page load. Then:
   subscribe with the server's VAPID key, and POST the subscription to
   /api/v1/push/subscriptions as {"endpoint", "keys": {"p256dh", "auth"}, "label"} with the
   X-CSRFToken header; on success the page reloads to show the device.
   iPhone and iPad only deliver notifications to the home-screen app, so Safari gets the
   Add to Home Screen steps (#push-ios-help) instead.

   Loaded only on pages with that button. Letting this device go at sign-out is signout.js's, which
   every signed-in page loads (before this file): the device helpers below come from there. */
(function () {
  "use strict";

  // This device's helpers, shared with signing out (signout.js, loaded on every signed-in page before this file).
  var device = window.AttuneDevice;

  function base64UrlToBytes(value) {
    var padded = (value + "===".slice((value.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function bytesToBase64Url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) raw += String.fromCharCode(bytes[i]);
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function askPermission() {
    // Older Safari takes a callback instead of returning a promise.
    return new Promise(function (resolve) {
      var answer = Notification.requestPermission(resolve);
      if (answer && answer.then) answer.then(resolve, function () { resolve("default"); });
    });
  }

  /* An error whose message is written for the person (others are the browser's, and technical). */
  function problem(message) {
    var error = new Error(message);
    error.forPerson = true;
    return error;
  }

  function subscribe(registration, key) {
    var options = { userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) };
    return registration.pushManager.getSubscription().then(function (existing) {
      if (!existing) return registration.pushManager.subscribe(options);
      var current = existing.options && existing.options.applicationServerKey;
      if (!current || bytesToBase64Url(current) === key.replace(/=+$/, "")) return existing;
      // Subscribed with another server key (it was rotated): start again with the new one.
      return existing.unsubscribe().then(function () { return registration.pushManager.subscribe(options); });
    });
  }

  function setUp() {
    var button = document.querySelector("[data-push-enable]");
    if (!button) return;
    var status = document.getElementById("push-status");
    var iosHelp = document.getElementById("push-ios-help");

    function say(message) {
      if (status) status.textContent = message;
    }

    if (window.AttuneInstall.appleMobile() && !window.AttuneInstall.standalone()) {
      // Safari only delivers notifications to the home-screen app.
      button.hidden = true;
      if (iosHelp) iosHelp.hidden = false;
      return;
    }
    if (!device.supported()) {
      button.disabled = true;
      say("This browser can't receive notifications.");
      return;
    }
    var key = button.getAttribute("data-vapid-key") || "";
    if (!key) {
      button.disabled = true;
      say("Notifications aren't set up on this server yet.");
      return;
    }
    if (Notification.permission === "denied") {
      say("Notifications are blocked for Attune. You can allow them in your browser's site settings.");
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      say("Asking your browser for permission…");
      askPermission()
        .then(function (permission) {
          if (permission !== "granted") {
            throw problem(permission === "denied"
              ? "Notifications are blocked for Attune. You can allow them in your browser's site settings."
              : "Notifications weren't turned on. You can try again whenever you like.");
          }
          say("Turning on notifications…");
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) { return subscribe(registration, key); })
        .then(device.postSubscription)
        .then(function (response) {
          if (response.ok) {
            say("Notifications are on for this device.");
            window.location.reload();
            return;
          }
          return response.json().then(function (data) { return data && data.message; }, function () { return ""; })
            .then(function (message) {
              throw problem(message || "This device couldn't be added. Please try again.");
            });
        })
        .catch(function (error) {
          button.disabled = false;
          say(error && error.forPerson ? error.message : "Notifications couldn't be turned on. Please try again.");
        });
    });
  }

  window.AttunePush = { deviceLabel: device.deviceLabel, base64UrlToBytes: base64UrlToBytes };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
