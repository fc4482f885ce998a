"""The installable app in a real browser: manifest and icons, Chromium's installability check,
the service worker offline, drafts and offline sending, and a push into the real worker.

SECURITY.md HEADERS and SEAL: the service worker's caches may hold only the static shell and
the offline page, never a personal page or an API response.
"""

from __future__ import annotations

import json
import re
import struct
import time
import urllib.request
from datetime import UTC

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from extensions import db
from models.conversation import Answer
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_PUSH_SERVICE,
    IPHONE_SAFARI,
    assert_accessible,
    log_in,
    poll,
    wait_for_controller,
)
from tests.helpers import Factory

pytestmark = pytest.mark.browser

WAITING = "1 answer is waiting to be sent \u2014 it will go as soon as you're back online."


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def stylesheet_url(html: str) -> str:
    """The page's stylesheet link: /static/css/app.<content hash>.css"""
    found = re.search(r'<link rel="stylesheet" href="(/static/css/app\.[0-9a-f]{12}\.css)">', html)
    assert found, "no fingerprinted stylesheet link"
    return found.group(1)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR", "the PNG's first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


CACHED_URLS = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = (await cache.keys()).map((request) => new URL(request.url).pathname + new URL(request.url).search);
  }
  return found;
}"""


@pytest.fixture
def app_profile(browser, tmp_path):
    """app_profile() opens a persistent 390x844 Chromium profile (not incognito: installability and
    push need a real profile); all are closed after the test."""
    contexts = []

    def open_profile():
        context = browser.browser_type.launch_persistent_context(
            user_data_dir=str(tmp_path / f"profile-{len(contexts)}"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 390, "height": 844},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_profile
    for context in contexts:
        context.close()


class RequestCounter:
    """WSGI middleware counting requests by (method, path), installed on the live app."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.seen: list[tuple[str, str]] = []

    def __call__(self, environ, start_response):
        self.seen.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return self.wsgi_app(environ, start_response)

    def count(self, method: str, path: str) -> int:
        return sum(1 for seen in self.seen if seen == (method, path))


# a. The manifest and its icons -----------------------------------------------------------------


def test_manifest_and_icons(live_server):
    base = live_server.url
    status, headers, body = fetch(base + "/manifest.webmanifest")
    assert status == 200
    assert headers["Content-Type"].startswith("application/manifest+json")
    assert "no-store" not in headers["Cache-Control"] and "max-age" in headers["Cache-Control"]
    manifest = json.loads(body)
    assert manifest["name"] == "Attune" and manifest["short_name"] == "Attune"
    assert manifest["id"] == "/" and manifest["start_url"] == "/today" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["description"]
    # The stylesheet is served minified under its fingerprinted name (static_assets.py).
    home = fetch(base + "/")[2].decode()
    css_url = stylesheet_url(home)
    css = fetch(base + css_url)[2].decode().replace(" ", "")
    assert f"--accent:{manifest['theme_color']};" in css
    assert f"--bg:{manifest['background_color']};" in css

    by_purpose: dict[str, set[str]] = {}
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        assert icon["src"].startswith("/static/img/"), icon
        status, headers, data = fetch(base + icon["src"])
        assert status == 200 and headers["Content-Type"] == "image/png"
        width, height = png_size(data)
        assert f"{width}x{height}" == icon["sizes"], icon
        by_purpose.setdefault(icon["purpose"], set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= by_purpose["any"]
    assert "512x512" in by_purpose["maskable"]

    assert '<link rel="manifest" href="/manifest.webmanifest">' in home
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', home)
    assert touch, "no apple-touch-icon link"
    assert png_size(fetch(base + touch.group(1))[2]) == (180, 180)
    for name in ("apple-mobile-web-app-capable", "apple-mobile-web-app-title", "apple-mobile-web-app-status-bar-style"):
        assert f'<meta name="{name}"' in home, name

    status, headers, script = fetch(base + "/sw.js")
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Service-Worker-Allowed"] == "/"
    # The shell's cache is named for a hash of the static files, the same in every response.
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', script.decode())
    assert version and version.group(1) in fetch(base + "/sw.js")[2].decode()

    status, headers, page = fetch(base + "/offline")
    assert status == 200 and "You're offline" in page.decode()
    assert 'name="csrf-token"' not in page.decode()


# b. Chromium's installability check ---------------------------------------------------------------


def test_chromium_finds_attune_installable(live_server, app_profile):
    context = app_profile()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(live_server.url + "/")
    wait_for_controller(page)
    session = context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], f"Chromium says Attune isn't installable: {json.dumps(errors, indent=2)}"
    manifest = session.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")


# c. Offline: the offline page, the shell from the cache, nothing personal cached -------------------


def test_offline_page_and_nothing_personal_cached(live_server, phone):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    device = phone("Alex")
    page, context = device.page, device.context

    log_in(page, base, pair.a.email)
    wait_for_controller(page)
    # Personal pages and API responses pass through the worker while online...
    page.goto(base + f"/prompts/{pair.first_prompt_id}")
    page.goto(base + "/today")
    statuses = page.evaluate(
        """async () => [
            (await fetch('/api/v1/me')).status,
            (await fetch('/api/v1/prompts')).status,
        ]"""
    )
    assert statuses == [200, 200]

    css_url = stylesheet_url(page.content())
    context.set_offline(True)
    css_responses = []
    page.on("response", lambda r: css_responses.append(r) if r.url == base + css_url else None)
    page.goto(base + "/history?offline-check")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    expect(page.locator("nav.tabbar")).to_have_count(0)
    assert css_responses and all(r.from_service_worker for r in css_responses), (
        "the CSS should come from the service worker"
    )
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(248, 245, 242)", f"the cached CSS was not applied: {background}"
    expect(page.locator("#sync-status")).to_contain_text("You're offline")
    assert_accessible(page, "offline page")

    # ...and none of them were kept: only the static shell and the offline page.
    cached = page.evaluate(CACHED_URLS)
    assert cached, "the service worker cached nothing"
    assert all(name.startswith("attune-shell-") for name in cached), cached
    urls = [url for urls in cached.values() for url in urls]
    assert "/offline" in urls and css_url in urls
    unexpected = [url for url in urls if not (url.startswith("/static/") or url == "/offline")]
    assert not unexpected, f"the service worker cached personal pages or API responses: {unexpected}"

    context.set_offline(False)


# d. Drafts, and an answer written offline sent exactly once -------------------------------------------


def test_draft_survives_reload_and_offline_answer_is_sent_once(live_server, phone):
    base = live_server.url
    counter = RequestCounter(live_server.app.wsgi_app)
    live_server.app.wsgi_app = counter
    pair = Factory(live_server.app).pair()
    prompt_id = pair.first_prompt_id
    put_path = f"/api/v1/prompts/{prompt_id}/answer"
    device = phone("Alex")
    page, context = device.page, device.context
    text = "I noticed how patient you were with me on Tuesday.\nIt meant a lot 💛"

    sent_keys = []
    page.on(
        "request", lambda r: sent_keys.append(r.headers.get("idempotency-key")) if r.url == base + put_path else None
    )

    log_in(page, base, pair.a.email)
    wait_for_controller(page)
    box = page.get_by_label("Your answer")
    box.fill(text)
    page.wait_for_timeout(700)  # the draft is saved half a second after typing stops
    page.reload()
    expect(page.get_by_label("Your answer")).to_have_value(text)
    expect(page.get_by_text("Restored your unsent draft.")).to_be_visible()

    # Offline: the answer is queued on the phone, and the page says so.
    context.set_offline(True)
    page.get_by_role("button", name="Save my answer").click()
    expect(page.locator("#sync-status")).to_contain_text(WAITING)
    assert page.url == base + "/today"
    assert counter.count("PUT", put_path) == 0

    # A reload while still offline: the offline page, with the answer still queued and the draft kept.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    expect(page.locator("#sync-status")).to_contain_text(WAITING)
    stored = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    queue_entries = [json.loads(v) for k, v in stored.items() if k.endswith(":queue")]
    assert len(queue_entries) == 1 and len(queue_entries[0]) == 1, stored
    queued = queue_entries[0][0]
    assert queued["body"] == text and queued["kind"] == "answer" and queued["key"]
    drafts = [json.loads(v) for k, v in stored.items() if k.endswith(f":draft:answer:{prompt_id}")]
    assert drafts and drafts[0]["fields"]["body"] == text

    # Back online: sent once, with the form's idempotency key, then the page shows it saved.
    context.set_offline(False)
    expect(page).to_have_url(base + "/today")
    expect(page.locator("#sync-status")).to_contain_text("Your answer was sent and saved.")
    expect(page.get_by_label("Your answer")).to_have_value(text)
    expect(page.get_by_text("Waiting to be sent.")).to_have_count(0)
    page.wait_for_timeout(500)
    assert counter.count("PUT", put_path) == 1, counter.seen
    assert sent_keys == [queued["key"]], "the queued write must carry the key it was queued with"
    with live_server.app.app_context():
        rows = db.session.scalars(
            sa.select(Answer).where(Answer.instance_id == prompt_id, Answer.user_id == pair.a.id)
        ).all()
        assert [row.body for row in rows] == [text]
        db.session.remove()
    remaining = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.includes(':queue') || k.includes(':draft:'))"
    )
    assert remaining == [], remaining

    # A further reload sends nothing again.
    page.reload()
    expect(page.get_by_label("Your answer")).to_have_value(text)
    page.wait_for_timeout(300)
    assert counter.count("PUT", put_path) == 1
    device.assert_no_problems()


def test_refused_offline_write_keeps_the_draft_and_says_why(live_server, phone):
    """Written offline, refused once back online (the partner answered meanwhile, so answers are final)."""
    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair()
    prompt_id = pair.first_prompt_id
    factory.answer(pair.a, prompt_id, "My first thoughts.")
    device = phone("Alex")
    page, context = device.page, device.context

    log_in(page, base, pair.a.email)
    page.goto(base + f"/prompts/{prompt_id}")
    wait_for_controller(page)
    box = page.get_by_label("Your answer")
    expect(box).to_have_value("My first thoughts.")
    context.set_offline(True)
    box.fill("My first thoughts, and a second look.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#sync-status")).to_contain_text(WAITING)

    factory.answer(pair.b, prompt_id, "Sam's answer.")  # the reveal: A's answer can no longer change
    context.set_offline(False)
    expect(page.locator(".draft-status")).to_have_text("Both answers are revealed, so answers can no longer change.")
    expect(page.locator("#sync-status")).not_to_contain_text("waiting to be sent")
    stored = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    assert not [k for k in stored if k.endswith(":queue")], stored
    drafts = [json.loads(v) for k, v in stored.items() if k.endswith(f":draft:answer:{prompt_id}")]
    assert drafts and drafts[0]["fields"]["body"] == "My first thoughts, and a second look."
    with live_server.app.app_context():
        bodies = db.session.scalars(
            sa.select(Answer.body).where(Answer.instance_id == prompt_id, Answer.user_id == pair.a.id)
        ).all()
        assert bodies == ["My first thoughts."]
        db.session.remove()


def test_offline_reflection_is_sent_when_back_online(live_server, phone):
    base = live_server.url
    counter = RequestCounter(live_server.app.wsgi_app)
    live_server.app.wsgi_app = counter
    factory = Factory(live_server.app)
    pair = factory.pair()
    prompt_id = factory.reveal(pair)
    device = phone("Alex")
    page, context = device.page, device.context
    reflection = "You felt calmer once we'd talked it through."

    log_in(page, base, pair.a.email)
    page.goto(base + f"/prompts/{prompt_id}")
    wait_for_controller(page)
    context.set_offline(True)
    page.locator("#listening").get_by_label("What you heard").fill(reflection)
    page.get_by_role("button", name="Share my reflection").click()
    expect(page.locator("#sync-status")).to_contain_text(
        "1 reflection is waiting to be sent \u2014 it will go as soon as you're back online."
    )
    context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("Your reflection was sent and saved.")
    expect(page.locator("#listening .reflection-body")).to_contain_text(reflection)
    assert counter.count("POST", f"/api/v1/prompts/{prompt_id}/reflections") == 1
    remaining = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.includes(':queue') || k.includes(':draft:'))"
    )
    assert remaining == [], remaining
    device.assert_no_problems()


def test_answer_whose_post_fails_on_the_network_is_queued(live_server, phone):
    """The phone believes it's online, but the form's POST never arrives: the service worker's offline
    page queues what was sent, with the form's own idempotency key, and it goes once back online."""
    base = live_server.url
    counter = RequestCounter(live_server.app.wsgi_app)
    live_server.app.wsgi_app = counter
    pair = Factory(live_server.app).pair()
    prompt_id = pair.first_prompt_id
    device = phone("Alex")
    page, context = device.page, device.context
    text = "Lie-fi: the bars say yes, the network says no."

    log_in(page, base, pair.a.email)
    wait_for_controller(page)
    page.get_by_label("Your answer").fill(text)
    form_key = page.locator("[data-idempotency-key]").first.input_value()
    context.set_offline(True)
    page.evaluate("() => Object.defineProperty(Navigator.prototype, 'onLine', { get: () => true })")
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    expect(page.locator("#sync-status")).to_contain_text(WAITING)
    assert counter.count("POST", f"/prompts/{prompt_id}/answer") == 0

    context.set_offline(False)
    expect(page).to_have_url(base + "/today")
    expect(page.locator("#sync-status")).to_contain_text("Your answer was sent and saved.")
    expect(page.get_by_label("Your answer")).to_have_value(text)
    put = [seen for seen in counter.seen if seen[0] == "PUT"]
    assert put == [("PUT", f"/api/v1/prompts/{prompt_id}/answer")], counter.seen
    with live_server.app.app_context():
        from models.idempotency import RequestKey

        keys = db.session.scalars(sa.select(RequestKey.key).where(RequestKey.user_id == pair.a.id)).all()
        assert keys == [form_key], keys
        db.session.remove()


# e. A push message into the real service worker ---------------------------------------------------------


def service_worker_registration(session, page, base: str) -> str:
    """The registration id of Attune's service worker, as the DevTools protocol names it."""
    registrations: dict[str, str] = {}

    def registration_updated(params):
        for registration in params.get("registrations", []):
            if not registration.get("isDeleted") and registration["scopeURL"] == base + "/":
                registrations[registration["registrationId"]] = registration["scopeURL"]

    def version_updated(params):
        for version in params.get("versions", []):
            if version.get("scriptURL") == base + "/sw.js" and version.get("status") == "activated":
                registrations[version["registrationId"]] = version["scriptURL"]

    session.on("ServiceWorker.workerRegistrationUpdated", registration_updated)
    session.on("ServiceWorker.workerVersionUpdated", version_updated)
    session.send("ServiceWorker.enable")
    page.goto(base + "/")
    wait_for_controller(page)
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert registrations, "no service worker registration reported over CDP"
    return next(iter(registrations))


NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
     .map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}))"""


def push_into_worker(session, page: Page, base: str, registration_id: str, data: str, shown: str):
    """Hand a push message to the service worker and wait until `shown` finds its notification.

    The DevTools protocol acknowledges deliverPushMessage before the worker has run; a worker that
    a loaded machine was still starting (or had stopped as idle) can miss it. The message is handed
    over again then, up to three times: its tag makes a second copy replace the first, so what the
    test asserts about the notifications shown is unchanged."""
    for _ in range(3):
        session.send(
            "ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": registration_id, "data": data}
        )
        found = poll(page, shown, seconds=8)
        if found:
            return found
    return found


def test_prompt_from_the_scheduler_arrives_as_a_notification(live_server, app_profile):
    """Scheduler delivers, the sender signs and encrypts with pywebpush, the loopback push service
    checks VAPID and decrypts, and that plaintext goes into the real service worker."""
    from datetime import datetime, timedelta

    from jobs import scheduler
    from models import Couple, PromptInstance
    from services.notifications import devices, vapid
    from services.notifications.push import PushSender
    from tools.push_service import PushService

    app, base = live_server.app, live_server.url
    factory = Factory(app)
    pair = factory.pair()
    context = app_profile()
    context.grant_permissions(["notifications"], origin=base)
    page = context.pages[0] if context.pages else context.new_page()
    session = context.new_cdp_session(page)
    registration_id = service_worker_registration(session, page, base)

    with PushService() as push:
        browser_like = push.subscribe(vapid.application_server_key(app.extensions["attune.vapid"]))
        with factory.session():
            devices.subscribe(
                factory.load(pair.b),
                browser_like["endpoint"],
                browser_like["keys"]["p256dh"],
                browser_like["keys"]["auth"],
                "Test phone",
            )
            db.session.execute(sa.update(PromptInstance).values(revealed_at=datetime.now(UTC)))
            db.session.execute(sa.update(Couple).values(next_delivery_at=datetime.now(UTC) - timedelta(minutes=1)))
        assert scheduler.tick(app)["delivered"] == 1
        with app.app_context():
            delivered_id = db.session.scalar(sa.select(sa.func.max(PromptInstance.id)))
        sender = PushSender(app, workers=4)
        try:
            assert sender.drain().sent == 1
        finally:
            sender.close()
        [received] = push.wait_for(1)

    payload = received.json()
    # A tap opens the new prompt itself, however it was delivered (the bulk tick here).
    assert payload["body"] == "A new prompt is waiting for you both." and payload["url"] == f"/prompts/{delivered_id}"
    shown = push_into_worker(session, page, base, registration_id, received.text, NOTIFICATIONS)
    assert shown == [
        {"title": "Attune", "body": payload["body"], "tag": payload["tag"], "data": {"url": payload["url"]}}
    ]

    # An unreadable payload still shows something, and nothing from it.
    neutral_only = NOTIFICATIONS.replace(".map(", ".filter((n) => n.body === 'You have a new update').map(")
    neutral = push_into_worker(session, page, base, registration_id, "not json", neutral_only)
    assert neutral and neutral[0]["title"] == "Attune"


# The settings page's "Turn on notifications" button (push.js) -------------------------------------------

ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"


def test_turning_on_notifications_subscribes_this_device(live_server, phone):
    base = live_server.url
    counter = RequestCounter(live_server.app.wsgi_app)
    live_server.app.wsgi_app = counter
    pair = Factory(live_server.app).pair()
    device = phone("Alex")
    page, context = device.page, device.context
    context.add_init_script(FAKE_PUSH_SERVICE)

    log_in(page, base, pair.a.email)
    page.goto(base + "/settings/notifications")
    wait_for_controller(page)
    button = page.locator("[data-push-enable]")
    vapid_key = button.get_attribute("data-vapid-key")
    assert vapid_key
    # Nothing is asked on page load.
    assert page.evaluate("() => Notification.permission") == "default"
    assert page.evaluate("() => sessionStorage.getItem('test:subscribe')") is None
    labels = page.evaluate(
        "(uas) => uas.map((ua) => window.AttunePush.deviceLabel(ua))", [ANDROID_CHROME, IPHONE_SAFARI]
    )
    assert labels == ["Chrome on Android", "Safari on iPhone"]

    context.grant_permissions(["notifications"], origin=base)
    button.click()
    expect(page.locator(".device-list .device")).to_have_count(1)  # the page reloaded with the device listed
    subscribe = json.loads(page.evaluate("() => sessionStorage.getItem('test:subscribe')"))
    assert subscribe == {"userVisibleOnly": True, "key": vapid_key.rstrip("=")}
    label = page.evaluate("() => window.AttunePush.deviceLabel(navigator.userAgent)")
    expect(page.locator(".device-list .device").first).to_contain_text(label)
    assert counter.count("POST", "/api/v1/push/subscriptions") == 1
    assert_accessible(page, "settings with a device")
    device.assert_no_problems()


def test_iphone_safari_gets_home_screen_steps_instead(live_server, browser):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE_SAFARI
    )
    try:
        page = context.new_page()
        log_in(page, base, pair.a.email)
        page.goto(base + "/settings/notifications")
        expect(page.locator("#push-ios-help")).to_be_visible()
        expect(page.locator("[data-push-enable]")).to_be_hidden()
        # The install hint shows the Add to Home Screen steps too.
        expect(page.locator("#install-ios-steps")).to_be_visible()
        page.get_by_role("button", name="Not now").click()
        expect(page.locator("#install-hint")).to_be_hidden()
        page.reload()
        expect(page.locator("#install-hint")).to_be_hidden()
    finally:
        context.close()
