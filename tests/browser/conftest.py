"""Real-browser fixtures: a live Attune server, headless Debian Chromium, phones, and axe; and the checks
every browser test shares (each screen accessible and no wider than the phone, waiting on the page or its
service worker, a stand-in for the browser's push service).

Every test in this folder is marked ``browser``. When /usr/bin/chromium is
missing the tests skip, unless ATTUNE_REQUIRE_BROWSER=1 (as in CI), where a
missing browser is a failure instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from services.accounts.mail import outbox as drained_outbox
from tests.conftest import empty_tables, test_settings
from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Mark every test that lives in this folder (the hook sees the whole session's items)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _browser_unavailable(reason: str):
    if os.environ.get("ATTUNE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (ATTUNE_REQUIRE_BROWSER=1, so browser tests must run)", pytrace=False)
    pytest.skip(reason)


# The live server --------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Flask

    def outbox(self) -> list:
        """Mail sent so far (SentMail(to, subject, body)), oldest first, once the mail outbox is drained."""
        with self.app.app_context():
            return list(drained_outbox())

    def mail_to(self, address: str):
        """The latest mail sent to address; fails clearly when there is none."""
        for mail in reversed(self.outbox()):
            if mail.to == address:
                return mail
        raise AssertionError(f"no mail to {address}; outbox holds mail to {[m.to for m in self.outbox()]}")


@pytest.fixture
def live_server():
    """Attune with CSRF on, served by werkzeug on a free port in a daemon thread."""
    app = create_app(test_settings(WTF_CSRF_ENABLED=True, SERVER_NAME=None))
    # One log line per request and static file would bury a failure's report; errors still log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="attune-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        empty_tables(app)


# The browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _browser_unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - playwright is in requirements-dev.txt
        _browser_unavailable(f"Playwright is not importable: {error}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Phone:
    """One person's phone: a browser context with its own cookies, and the problems its pages reported."""

    context: object
    page: object
    problems: list[str] = field(default_factory=list)

    def assert_no_problems(self):
        assert not self.problems, "the browser reported problems:\n" + "\n".join(self.problems)


def watch(device: Phone, name: str) -> Phone:
    """Collect the page's script errors and CSP refusals ("Refused to ...") as the device's problems."""
    device.page.on("pageerror", lambda error: device.problems.append(f"{name}: page error: {error}"))
    device.page.on(
        "console",
        lambda message: (
            device.problems.append(f"{name}: console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    return device


def log_in(page: Page, base: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/today")


@pytest.fixture
def phone(browser):
    """phone(name) opens a new 390x844 touch phone context; all are closed after the test."""
    contexts = []

    def open_phone(name: str = "phone") -> Phone:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        return watch(Phone(context, page), name)

    yield open_phone
    for context in contexts:
        context.close()


# Accessibility ------------------------------------------------------------------

_axe = None


def assert_accessible(page, label: str | None = None) -> None:
    """Run axe-core on the page as it is now; fail listing each violation, its impact and its nodes."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page)
    if results.violations_count == 0:
        return
    lines = [f"axe found {results.violations_count} violation(s) on {label or page.url}:"]
    for violation in results.response["violations"]:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        for node in violation.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


def save_screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG under test-artifacts/ at the repository root (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_horizontal_overflow(page, label: str = "the page") -> None:
    """Nothing wider than the phone (on a phone a too-wide page also makes Chromium zoom out, so innerWidth can
    exceed 390)."""
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{label} scrolls sideways: scrollWidth {scroll_width} > innerWidth {inner_width}"
    )


def check_page(page, label: str) -> None:
    """Every screen: no axe violations, and nothing wider than the phone."""
    assert_accessible(page, label)
    no_horizontal_overflow(page, label)


def poll(page, script: str, *, seconds: float = 10):
    """page.evaluate(script) until it returns something truthy (the CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + seconds
    while True:
        value = page.evaluate(script)
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def wait_for_controller(page) -> None:
    """Until the service worker controls the page (it claims clients on activation; reload once if not)."""
    controlled = "() => navigator.serviceWorker.controller !== null"
    if not poll(page, controlled, seconds=5):
        page.reload()
        assert poll(page, controlled), "the service worker never took control of the page"


# Chromium's real pushManager.subscribe needs Google's push service, which a test can't reach: this
# stands in for it (an init script, so the page's CSP doesn't apply) and records what it was given.
FAKE_PUSH_SERVICE = """(() => {
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  // A real P-256 point (the curve's generator), since subscribing refuses keys that can't encrypt.
  const keys = { p256dh: 'BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU', auth: b64(Array(16).fill(9)) };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(null); };
  PushManager.prototype.subscribe = function (options) {
    sessionStorage.setItem('test:subscribe', JSON.stringify({
      userVisibleOnly: options.userVisibleOnly,
      key: b64(new Uint8Array(options.applicationServerKey)),
    }));
    return Promise.resolve({
      options,
      toJSON: () => ({ endpoint: 'https://push.example.test/send/device-1', expirationTime: null, keys }),
    });
  };
})();"""

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
