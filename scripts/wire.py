"""Bytes on the wire for a true first visit and for each page after it (UX.md Budgets).

    .venv/bin/python scripts/wire.py

Starts Attune on loopback with a demo couple (scripts/demo_server.py), opens a fresh headless
Chromium (/usr/bin/chromium: no cache, no service worker) and counts, at the server, every request
and the body bytes it sent (compressed where it was compressed), the service worker's precache
included. Then, with the shell cached, it signs in and opens each page once: what each page costs
beyond the shell. Prints two tables.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_server import demo_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
TEXT_TYPES = ("text/html", "text/css", "javascript", "json")


class Meter:
    """WSGI middleware: (path, content type, encoding, body bytes sent, gzip size of the body) per request."""

    def __init__(self, app):
        self.app, self.seen, self.lock = app, [], threading.Lock()

    def __call__(self, environ, start_response):
        captured = {}

        def start(status, headers, exc_info=None):
            captured.update({k.lower(): v for k, v in headers})
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        encoding = captured.get("content-encoding", "")
        plain_gz = len(gzip.compress(body, 9)) if not encoding else len(body)
        with self.lock:
            path = environ.get("PATH_INFO", "")
            self.seen.append((path, captured.get("content-type", ""), encoding, len(body), plain_gz))
        return [body]

    def take(self):
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


def settle(page, seconds: float = 1.5) -> None:
    page.wait_for_load_state("networkidle")
    time.sleep(seconds)


def summary(rows) -> tuple[int, int, int, int]:
    """(requests, bytes sent, HTML+CSS+JS(+JSON) bytes sent, the same if every text response were gzipped)."""
    text = [r for r in rows if any(t in r[1] for t in TEXT_TYPES)]
    return len(rows), sum(r[3] for r in rows), sum(r[3] for r in text), sum(r[4] for r in text)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with demo_server() as demo, sync_playwright() as p:
        meter = Meter(demo.app.wsgi_app)
        demo.app.wsgi_app = meter
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()

        print("True first visit (a fresh browser opens the landing page; the service worker installs):")
        page.goto(demo.base + "/")
        page.evaluate("navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)")
        settle(page, 3)
        rows = meter.take()
        for path, _type, enc, sent, _gz in rows:
            print(f"  {sent:>7} B  {enc or '-':<4}  {path}")
        n, total, text, text_gz = summary(rows)
        print(f"  = {n} requests, {total / 1024:.1f} KB in all, {text / 1024:.1f} KB HTML+CSS+JS+JSON")

        print("\nEach page after that, signed in, shell cached (bytes the page itself costs):")
        print(f"  {'page':<10} {'requests':>8} {'KB sent':>8} {'HTML KB':>8} {'HTML KB if gzipped':>19}")
        cookies = {}
        for who, header in demo.cookies.items():
            cookies[who] = [
                {"name": k, "value": v, "url": demo.base} for k, v in (c.split("=", 1) for c in header.split("; "))
            ]
        current = None
        for name, path, who in demo.pages:
            if who != current:
                context.clear_cookies()
                if who:
                    context.add_cookies(cookies[who])
                current = who
            page.goto(demo.base + path)
            settle(page, 0.5)
            rows = meter.take()
            html = [r for r in rows if r[0] == path]
            n, total, _text, _gz = summary(rows)
            html_sent = sum(r[3] for r in html)
            html_gz = sum(r[4] for r in html)
            print(f"  {name:<10} {n:>8} {total / 1024:>8.1f} {html_sent / 1024:>8.1f} {html_gz / 1024:>19.1f}")
        browser.close()


if __name__ == "__main__":
    main()
