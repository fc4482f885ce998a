/* Attune's service worker (served from /sw.js with scope "/").

   What it keeps: only the static shell (CSS, scripts, icons, under their fingerprinted names)
   and the offline page, in one cache named for the shell's version. What it never keeps: pages with anyone's writing,
   /api/ responses, anything sent with POST. Those always go to the network, untouched.

   Push: the payload is {"title", "body", "url", "tag"} (no answer text or names; the
   server decides the wording). A missing or unreadable payload shows one neutral line. */
"use strict";

const VERSION = {{ version|tojson }};
const SHELL_CACHE = "attune-shell-" + VERSION;
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const ICON = {{ icon|tojson }};
const BADGE = {{ badge|tojson }};
const HOME = "/today";
const NEUTRAL = { title: "Attune", body: "You have a new update" };

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) =>
        // Fetched without cookies, so the copies are anonymous. Static names carry a hash of their
        // content and never change, so what the page itself just loaded is reused from the HTTP cache.
        cache.addAll(SHELL.map((url) => new Request(url, { credentials: "omit" })))
      )
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name))))
      // Pages start loading while the worker wakes up (the response is still never stored).
      .then(() => self.registration.navigationPreload && self.registration.navigationPreload.enable())
      .then(() => self.clients.claim())
  );
});

function offlinePage() {
  return caches.open(SHELL_CACHE)
    .then((cache) => cache.match(OFFLINE_URL))
    .then((page) => page || Response.error());
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);

  if (request.mode === "navigate") {
    // Pages are personal: always the network, never stored; the offline page when it fails.
    event.respondWith(
      Promise.resolve(event.preloadResponse)
        .then((preloaded) => preloaded || fetch(request))
        .catch(offlinePage)
    );
    return;
  }

  if (request.method === "GET" && url.origin === self.location.origin && url.pathname.startsWith("/static/")) {
    // The shell: cache first. A static file that isn't in the shell goes to the network (and isn't kept).
    event.respondWith(
      caches.open(SHELL_CACHE)
        .then((cache) => cache.match(request))
        .then((hit) => hit || fetch(request))
    );
  }
  // Everything else (the API, POSTs, other origins) is left to the browser: network only.
});

/* Only a same-origin path is followed; anything else opens Today. */
function safePath(value) {
  if (typeof value !== "string" || value.charAt(0) !== "/" || value.charAt(1) === "/" || value.charAt(1) === "\\") {
    return HOME;
  }
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search + url.hash : HOME;
  } catch (error) {
    return HOME;
  }
}

function text(value, limit) {
  return typeof value === "string" && value.trim() ? value.slice(0, limit) : "";
}

self.addEventListener("push", (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch (error) {
    payload = null;
  }
  const valid = payload && typeof payload === "object" && text(payload.title, 120);
  const title = valid ? text(payload.title, 120) : NEUTRAL.title;
  const options = {
    body: valid ? text(payload.body, 300) : NEUTRAL.body,
    icon: ICON,
    badge: BADGE,
    data: { url: safePath(valid ? payload.url : HOME) },
  };
  const tag = valid ? text(payload.tag, 100) : "";
  if (tag) options.tag = tag;
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = safePath(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (!open) return self.clients.openWindow(target);
      return open.focus()
        .then((client) => {
          const win = client || open;
          // navigate() works only for windows this worker controls; focusing is enough otherwise.
          return win.navigate ? win.navigate(target) : win;
        })
        .catch(() => self.clients.openWindow(target));
    })
  );
});
