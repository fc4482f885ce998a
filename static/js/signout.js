/* Signing out on a shared phone (form[data-logout], on every signed-in page), and this device's push helpers.

   Signing out lets this device go first: its push subscription is deleted on the server and unsubscribed in
   the browser, so the next person to sign in here can turn notifications on for themselves (the server refuses
   an endpoint another account holds); and every "attune:" key (drafts, the queue) leaves this browser's
   storage. The server's Clear-Site-Data does the same again. push.js, on the pages that turn notifications on,
   uses the helpers this file exposes as window.AttuneDevice. */
(function () {
  "use strict";

  var API = "/api/v1/push/subscriptions";
  var SIGN_OUT_WAIT_MS = 3000;

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : "";
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

  function forgetThisPersonsWords() {
    try {
      var storage = window.localStorage;
      for (var i = storage.length - 1; i >= 0; i -= 1) {
        var key = storage.key(i);
        if (key && key.indexOf("attune:") === 0) storage.removeItem(key);
      }
    } catch (e) { /* no storage to clear */ }
  }

  window.AttuneDevice = { deviceLabel: deviceLabel, supported: supported, postSubscription: postSubscription };

  function start() {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", forgetThisPersonsWords);
    });
    setUpSignOut();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
