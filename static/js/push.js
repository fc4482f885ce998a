/* Turning on notifications for this device (the settings page's [data-push-enable] button).

   Permission is asked for only when the person taps the button, never on page load. Then:
   subscribe with the server's VAPID key, and POST the subscription to
   /api/v1/push/subscriptions as {"endpoint", "keys": {"p256dh", "auth"}, "label"} with the
   X-CSRFToken header; on success the page reloads to list the device.
   iPhone and iPad only deliver notifications to the home-screen app, so Safari gets the
   Add to Home Screen steps (#push-ios-help) instead.

   Signing out (form[data-logout]) lets this device go first: its subscription is deleted on the
   server and unsubscribed in the browser, so the next person to sign in here can turn
   notifications on for themselves (the server refuses an endpoint another account holds). */
(function () {
  "use strict";

  var API = "/api/v1/push/subscriptions";
  var SIGN_OUT_WAIT_MS = 3000;

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : "";
  }

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

  /* "Chrome on Android", "Safari on iPhone": enough to recognise the device on the settings page. */
  function deviceLabel(ua) {
    ua = ua || "";
    var os = /Android/.test(ua) ? "Android"
      : /iPhone|iPod/.test(ua) ? "iPhone"
      : /iPad/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1) ? "iPad"
      : /CrOS/.test(ua) ? "ChromeOS"
      : /Windows/.test(ua) ? "Windows"
      : /Macintosh|Mac OS X/.test(ua) ? "Mac"
      : /Linux/.test(ua) ? "Linux"
      : "";
    var browser = /SamsungBrowser/.test(ua) ? "Samsung Internet"
      : /EdgA?\/|EdgiOS/.test(ua) ? "Edge"
      : /OPR\/|Opera/.test(ua) ? "Opera"
      : /Firefox\/|FxiOS/.test(ua) ? "Firefox"
      : /Chrome\/|CriOS|Chromium/.test(ua) ? "Chrome"
      : /Safari\//.test(ua) ? "Safari"
      : "Browser";
    return (os ? browser + " on " + os : browser).slice(0, 80);
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
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

  function send(method, url, body) {
    var headers = { Accept: "application/json", "X-CSRFToken": meta("csrf-token") };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function postSubscription(subscription) {
    var json = subscription.toJSON();
    return send("POST", API, {
      endpoint: json.endpoint,
      keys: { p256dh: json.keys.p256dh, auth: json.keys.auth },
      label: deviceLabel(navigator.userAgent)
    });
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
    if (!supported()) {
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
        .then(postSubscription)
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

  /* Free this browser's endpoint on the server, then unsubscribe it. The API names devices by id,
     and posting one's own subscription again answers with its id, so: POST, then DELETE that id.
     A 409 means another account holds the endpoint; it is theirs to turn off, so it is left alone. */
  function letThisDeviceGo() {
    if (!supported()) return Promise.resolve();
    return navigator.serviceWorker.getRegistration()
      .then(function (registration) { return registration && registration.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) return null;
        return postSubscription(subscription)
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (device) { return device && send("DELETE", API + "/" + device.id); })
          .then(function (response) { return response && response.ok ? subscription.unsubscribe() : null; });
      });
  }

  function setUpSignOut() {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      var leaving = false;
      form.addEventListener("submit", function (event) {
        if (!supported()) return;
        event.preventDefault();
        if (leaving) return;
        leaving = true;
        // submit() fires no submit event, so this runs once; sign-out never waits more than a few seconds.
        function signOut() { HTMLFormElement.prototype.submit.call(form); }
        var patience = new Promise(function (resolve) { window.setTimeout(resolve, SIGN_OUT_WAIT_MS); });
        Promise.race([letThisDeviceGo(), patience]).then(signOut, signOut);
      });
    });
  }

  window.AttunePush = { deviceLabel: deviceLabel, base64UrlToBytes: base64UrlToBytes };

  function start() {
    setUpSignOut();
    setUp();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
