"""Attune on loopback with a fresh demo couple, for the wire and Lighthouse measurements.

A throwaway instance folder and SQLite database, the real migrations and prompt library, the demo
from `flask demo` (services/demo), and a signed-in cookie for each demo person obtained through
their one-time link, exactly as a person would. Nothing here is used by the app itself.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Demo:
    app: object  # the Flask app being served (wrap app.wsgi_app to watch requests)
    base: str
    cookies: dict[str, str]  # "alex", "therapist": the Cookie header of a signed-in browser
    pages: list[tuple[str, str, str | None]]  # (name, path, whose cookie or None)


def _sign_in(base: str, path: str) -> str:
    """Open a one-time link, press the button, and return the Cookie header it left."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + path).read().decode()  # 303 to /demo/sign-in, followed
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"csrf_token": html.unescape(token.group(1))} if token else {}
    opener.open(base + "/demo/sign-in", urllib.parse.urlencode(data).encode()).read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


@contextmanager
def demo_server():
    """Yield a Demo: the server's address, signed-in cookies and the pages to measure."""
    folder = Path(tempfile.mkdtemp(prefix="attune-bench-"))
    os.environ["ATTUNE_INSTANCE_PATH"] = str(folder)
    os.environ.setdefault("RATELIMIT_ENABLED", "0")  # one loopback client making many requests
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from database import writing
    from extensions import db
    from models import PromptInstance, User
    from services.delivery import library
    from services.demo import seed, sign_in

    app = create_app()
    with app.app_context():
        upgrade()
        with writing():
            library.load_library(app.config["PROMPT_LIBRARY_PATH"])
            people = seed.create_demo_couple()
            tokens = {
                "alex": sign_in.issue(db.session.get(User, people.alex_id)),
                "therapist": sign_in.issue(db.session.get(User, people.therapist_id)),
            }
            instances = db.session.scalars(
                sa.select(PromptInstance)
                .where(PromptInstance.couple_id == people.couple_id)
                .order_by(PromptInstance.id)
            ).all()
            db.session.commit()
        open_id = next(i.id for i in instances if i.revealed_at is None)
        revealed_id = max(i.id for i in instances if i.revealed_at is not None)
    for noisy in ("werkzeug", "alembic"):  # no access or migration log lines between the results
        logging.getLogger(noisy).setLevel(logging.WARNING)
    server = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        cookies = {who: _sign_in(base, f"/demo/sign-in/{token}") for who, token in tokens.items()}
        pages = [
            ("landing", "/", None),
            ("login", "/login", None),
            ("today", "/today", "alex"),
            ("prompt", f"/prompts/{open_id}", "alex"),
            ("reveal", f"/prompts/{revealed_id}", "alex"),
            ("history", "/history", "alex"),
            ("check-in", "/checkin", "alex"),
            ("settings", "/settings", "alex"),
            ("therapist", "/therapist/", "therapist"),
        ]
        for _name, path, who in pages:  # warm up: templates compiled, caches filled, before anything is timed
            headers = {"Cookie": cookies[who]} if who else {}
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)).read()
        yield Demo(app, base, cookies, pages)
    finally:
        server.shutdown()
