"""Link tokens never reach a log line, and an invite link says little to whoever holds it (SECURITY.md LOGS, RESIDUE, RATE).

Registration, reset and invite links answer 303 to a token-free page with
the token in the session, so only that first request line carries it, and
the access-log filter redacts that line. The whole flow is run through a real
werkzeug server at DEBUG to prove no token is in any log line.
"""

from __future__ import annotations

import http.cookiejar
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import sqlalchemy as sa
from werkzeug.serving import make_server

from blueprints import link_tokens
from extensions import db
from models import Invite
from services.accounts.mail import outbox
from services.couples import pairing
from tests.helpers import PASSWORD, page_text

LINK = re.compile(r"https?://\S+")


def _mailed_link(app, to: str) -> str:
    with app.app_context():
        mails = [m for m in outbox() if m.to == to]
    return LINK.search(mails[-1].body).group(0)


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _invite_token(factory, person) -> str:
    with factory.session():
        return pairing.create_couple(factory.load(person)).token


# The link pages -------------------------------------------------------------------


def test_each_link_moves_its_token_into_the_session_and_redirects_to_a_page_without_it(client, app, factory):
    alex = factory.user("Alex", email="alex@example.test")
    client.post("/register", data={"email": "robin@example.test"})
    client.post("/password/forgot", data={"email": alex.email})
    links = {
        "/register/finish": _path(_mailed_link(app, "robin@example.test")),
        "/password/reset": _path(_mailed_link(app, alex.email)),
        "/join/invite": f"/join/{_invite_token(factory, alex)}",
    }
    for page, link in links.items():
        token = link.rsplit("/", 1)[1]
        first, second = client.get(link), client.get(link)  # a mail scanner may open it first
        assert first.status_code == second.status_code == 303
        assert first.location == second.location == page
        assert token not in first.location
        assert client.get(page).status_code == 200, page
    reset = client.post("/password/reset", data={"password": "a brand new phrase"})
    assert reset.status_code == 302 and reset.location == "/login"


def test_a_page_opened_without_its_link_explains_instead_of_failing(client):
    assert "Open the link" in page_text(client.get("/register/finish"))
    assert client.get("/password/reset").status_code == 400
    assert client.get("/join/invite").status_code == 404
    assert client.get("/password/reset/" + "x" * 2000).status_code == 303  # too long to keep: dropped
    assert client.get("/password/reset").status_code == 400


# The invite link ----------------------------------------------------------------


def test_an_invite_names_the_inviter_only_after_the_invitee_signs_in(client, auth, factory):
    alex = factory.user("Alexandria")
    sam = factory.user("Sam")
    landing = client.get(f"/join/{_invite_token(factory, alex)}", follow_redirects=True)
    assert landing.status_code == 200
    assert "Alexandria" not in page_text(landing)
    assert "invited you" in page_text(landing)
    auth.login_as(sam)
    assert "Join Alexandria?" in page_text(client.get("/join/invite"))


def test_an_invite_followed_through_login_is_waiting_afterwards(client, factory):
    alex, sam = factory.user("Alex"), factory.user("Sam")
    client.get(f"/join/{_invite_token(factory, alex)}")
    response = client.post("/login", data={"email": sam.email, "password": PASSWORD, "next": "/join/invite"})
    assert response.location == "/join/invite"
    # Joined: each partner's private first run comes before Today.
    assert client.post("/join/invite").location == "/start/pace"


def test_an_invite_followed_through_registration_is_waiting_in_the_browser_that_opens_the_email(app, factory):
    alex = factory.user("Alex")
    invited = app.test_client()
    invited.get(f"/join/{_invite_token(factory, alex)}")
    invited.post("/register", data={"email": "sam@example.test", "next": "/join/invite"})
    mail_app = app.test_client()  # the email opened somewhere else, as phones do
    page = mail_app.get(_path(_mailed_link(app, "sam@example.test"))).location
    finished = mail_app.post(page, data={"display_name": "Sam", "password": PASSWORD})
    assert finished.location == "/join/invite"
    assert "Join Alex?" in page_text(mail_app.get("/join/invite"))


def test_the_invite_link_and_page_are_rate_limited(make_app, factory):
    factory.user()  # the factory's app first: the last app made decides whether the shared limiter is on
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [client.get("/join/" + "guess" * 5 + str(n)).status_code for n in range(25)]
    assert codes[:20] == [303] * 20
    assert 429 in codes
    assert client.get("/join/invite").status_code == 429  # one budget for the link and its page


# Logs ------------------------------------------------------------------------------


class Browser:
    """A cookie-keeping HTTP client against a real server, following redirects like a browser."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=20) as response:
                return response.status, _path(response.geturl()), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, _path(error.geturl()), error.read().decode()


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_no_token_reaches_any_log_line_across_registration_invite_and_reset(make_app, caplog):
    app = make_app(SERVER_NAME=None)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    with serving(app) as base:
        alex = Browser(base)
        alex.open("/register", {"email": "alex@example.test"})
        registration_a = _mailed_link(app, "alex@example.test")
        assert alex.open(registration_a)[:2] == (200, "/register/finish")
        assert alex.open("/register/finish", {"display_name": "Alex", "password": PASSWORD})[1] == "/couple"
        couple_page = alex.open("/couple", {"timezone": "UTC"})[2]
        invite_link = re.search(r'value="(http[^"]+/join/[^"]+)"', couple_page).group(1)

        sam = Browser(base)
        status, where, landing = sam.open(invite_link)
        assert (status, where) == (200, "/join/invite") and "Alex" not in landing
        sam.open("/register", {"email": "sam@example.test", "next": "/join/invite"})
        registration_s = _mailed_link(app, "sam@example.test")
        sam.open(registration_s)
        status, where, confirm = sam.open("/register/finish", {"display_name": "Sam", "password": PASSWORD})
        assert (status, where) == (200, "/join/invite") and "Join Alex?" in confirm
        assert sam.open("/join/invite", {})[1] == "/start/pace"

        phone = Browser(base)
        phone.open("/password/forgot", {"email": "sam@example.test"})
        reset = _mailed_link(app, "sam@example.test")
        assert phone.open(reset)[:2] == (200, "/password/reset")
        assert phone.open("/password/reset", {"password": "a brand new phrase"})[1] == "/login"
        assert phone.open(reset)[0] == 400  # used: the failure page, not a token in an error log
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Invite).where(Invite.used_at.is_not(None)))

    tokens = [_path(link).rsplit("/", 1)[1] for link in (registration_a, registration_s, invite_link, reset)]
    lines = [record.getMessage() for record in caplog.records]
    requests = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("/register/finish" in line for line in requests), "werkzeug's request log was not captured"
    # Exactly one redacted line per link opened: nothing after the redirect carried a token.
    assert sum("[redacted]" in line for line in requests) == 5
    for token in tokens:
        leaks = [line for line in lines if token in line]
        assert not leaks, leaks


def test_the_access_log_filter_redacts_token_segments_in_werkzeug_and_gunicorn_lines(app, caplog):
    token = "IjEyMyI.aw96uA.rEB3YT06-oKmfulyFXdkxHS4sJE"
    # Each logger's own level too: other tests (the browser's live server) quieten werkzeug's.
    for name in (None, "werkzeug", "gunicorn.access"):
        caplog.set_level(logging.INFO, logger=name)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s" %s -', f"GET /password/reset/{token} HTTP/1.1", 303)
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s "%(f)s"',
        {"h": "10.0.0.1", "r": f"GET /join/{token}?x=1 HTTP/1.1", "s": "303", "f": f"/login?next=%2Fjoin%2F{token}"},
    )
    assert token not in caplog.text
    assert caplog.text.count("[redacted]") == 3
    icon = "GET /static/icons/icon-maskable-512.png HTTP/1.1"
    assert link_tokens.redact(icon) == icon
