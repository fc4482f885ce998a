"""Accounts: registration by email link, login, logout, passwords, sessions (SECURITY.md PW, ENUM, SESS, LOGOUT, REDIRECT, RATE).

The outbox, lock-out and link-token rules have their own files: test_mail_outbox.py, test_lockout.py, test_link_tokens.py.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from database import writing
from extensions import db
from models import Couple, LoginSession, User
from services.accounts import passwords
from services.accounts.mail import outbox
from tests.helpers import PASSWORD, Factory, csrf_token, page_text


def _link(app, index: int = -1) -> str:
    with app.app_context():
        body = outbox()[index].body
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def open_link(client, link: str) -> str:
    """Follow an emailed link the way a browser does: a 303 to the token-free page, whose path is returned."""
    response = client.get(link)
    assert response.status_code == 303, response.status_code
    assert link.rsplit("/", 1)[1] not in response.location
    return response.location


def register(client, app, email="new@example.test", name="Robin", password=PASSWORD, next_path=None):
    data = {"email": email}
    if next_path:
        data["next"] = next_path
    client.post("/register", data=data)
    page = open_link(client, _link(app))
    return client.post(page, data={"display_name": name, "password": password})


def test_registration_by_email_link_logs_in(client, app):
    response = register(client, app)
    assert response.status_code == 302
    assert response.location.endswith("/couple")
    assert client.get("/couple").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@example.test"))
        assert user.display_name == "Robin"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_registration_answers_the_same_for_existing_accounts(client, app, factory):
    existing = factory.user(email="taken@example.test")
    first = client.post("/register", data={"email": "taken@example.test"})
    second = client.post("/register", data={"email": "fresh@example.test"})
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    page_taken = page_text(client.get(first.location))
    page_fresh = page_text(client.get(second.location))
    assert page_taken == page_fresh
    with app.app_context():
        mails = outbox()
        assert [m.to for m in mails] == [existing.email, "fresh@example.test"]
        assert "already have one" in mails[0].body
        assert "/register/finish/" not in mails[0].body


def test_registration_link_is_single_use_and_tamper_proof(client, app):
    client.post("/register", data={"email": "once@example.test"})
    link = _link(app)
    page = open_link(client, link)
    assert client.post(page, data={"display_name": "A", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    again = client.post(open_link(client, link), data={"display_name": "B", "password": PASSWORD})
    assert "already been used" in page_text(again)
    assert client.get(link[:-3] + "abc", follow_redirects=True).status_code == 400


def test_registration_link_expires(client, app):
    client.post("/register", data={"email": "late@example.test"})
    link = _link(app)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
        response = client.get(link, follow_redirects=True)
    assert response.status_code == 400
    assert "expired" in page_text(response)


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
        ("password123", "most common"),
        ("iloveyou", "most common"),
    ],
)
def test_weak_passwords_refused(client, app, password, message):
    response = register(client, app, email="weak@example.test", password=password)
    assert response.status_code == 200
    assert message in page_text(response)


def test_long_passphrases_allowed(client, app):
    response = register(client, app, email="long@example.test", password="a sentence that is long " * 3)
    assert response.status_code == 302


def test_owasp_parameters_and_rehash_on_login(app, factory, client):
    assert passwords.OWASP_PARAMETERS == {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    user = factory.user(email="old@example.test")
    old = passwords.hasher("fast-tests").hash(PASSWORD)
    weaker = passwords.PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(password_hash=weaker))
        db.session.commit()
    assert old != weaker
    client.post("/login", data={"email": "old@example.test", "password": PASSWORD})
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored != weaker
    assert "m=64,t=1,p=1" in stored


def test_login_failure_is_the_same_for_unknown_email_and_wrong_password(client, factory):
    factory.user(email="known@example.test")
    wrong_password = client.post("/login", data={"email": "known@example.test", "password": "not it at all"})
    unknown = client.post("/login", data={"email": "nobody@example.test", "password": "not it at all"})
    assert wrong_password.status_code == unknown.status_code == 200
    assert page_text(wrong_password).replace("known@", "X@") == page_text(unknown).replace("nobody@", "X@")


def test_login_starts_a_new_session(client, factory, app):
    user = factory.user(email="fixation@example.test")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
        token = sess["_user_id"]
    assert str(user.id) != token
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_session_cookie_flags(make_app, factory):
    app = make_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    user = factory.user(email="cookie@example.test")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"attune_session", "attune_device"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_kills_a_copied_cookie(client, factory, app):
    user = factory.user(email="copy@example.test")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    stolen = client.get_cookie("attune_session", domain="attune.test").value
    response = client.post("/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    thief = app.test_client()
    thief.set_cookie("attune_session", stolen, domain="attune.test")
    assert thief.get("/today").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0


def test_idle_and_absolute_timeouts(client, factory, app):
    user = factory.user(email="idle@example.test")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/today").status_code == 200
    now = datetime.now(UTC)
    with time_machine.travel(now + app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)):
        assert client.get("/today").status_code == 302
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    # Keep it busy every few days: still ends at the absolute limit.
    day = now
    while day < now + app.config["PERMANENT_SESSION_LIFETIME"] - timedelta(days=1):
        day += timedelta(days=3)
        with time_machine.travel(day):
            assert client.get("/today").status_code == 200
    with time_machine.travel(now + app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(hours=1)):
        assert client.get("/today").status_code == 302


def test_change_password_needs_current_and_ends_other_sessions(app, factory):
    user = factory.user(email="change@example.test")
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
    wrong = phone.post("/account/password", data={"current_password": "nope nope", "password": "brand new phrase"})
    assert "isn't your current password" in page_text(wrong)
    ok = phone.post("/account/password", data={"current_password": PASSWORD, "password": "brand new phrase"})
    assert ok.status_code == 302
    assert phone.get("/today").status_code == 200
    assert laptop.get("/today").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": "brand new phrase"}).status_code == 302


def test_sign_out_everywhere(app, factory):
    user = factory.user(email="all@example.test")
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
    phone.post("/account/sign-out-everywhere")
    assert phone.get("/today").status_code == 302
    assert laptop.get("/today").status_code == 302


def test_password_reset_is_silent_about_accounts_and_single_use(client, app, factory):
    factory.user(email="reset@example.test")
    known = page_text(client.post("/password/forgot", data={"email": "reset@example.test"}))
    unknown = page_text(client.post("/password/forgot", data={"email": "ghost@example.test"}))
    assert known == unknown
    with app.app_context():
        assert [m.to for m in outbox()] == ["reset@example.test"]
    link = _link(app)
    assert client.post(open_link(client, link), data={"password": "a fresh new phrase"}).status_code == 302
    again = client.post(open_link(client, link), data={"password": "another new phrase"})
    assert again.status_code == 400
    assert (
        client.post("/login", data={"email": "reset@example.test", "password": "a fresh new phrase"}).status_code == 302
    )


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/couple", "/couple"),
        ("https://evil.example/", "/today"),
        ("//evil.example/", "/today"),
        ("/\\evil.example", "/today"),
        ("javascript:alert(1)", "/today"),
        ("https:/evil.example", "/today"),
    ],
)
def test_next_redirects_only_to_local_paths(client, factory, target, expected):
    user = factory.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.location == expected


def test_login_is_rate_limited(make_app, factory):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": "someone@example.test", "password": "wrong guess"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[-1] == 429


def test_registration_and_reset_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [client.post("/register", data={"email": f"r{i}@example.test"}).status_code for i in range(11)]
    assert codes[-1] == 429
    codes = [client.post("/password/forgot", data={"email": f"r{i}@example.test"}).status_code for i in range(11)]
    assert codes[-1] == 429


def test_rate_limits_are_shared_through_redis(make_app):
    """Two app instances (two gunicorn workers) with Redis storage count attempts together."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    uri = "redis://127.0.0.1:6379/15"
    # A prefix of this run's own: CI runs the suite on both databases at once, against the one Redis.
    shared = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": uri, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first = make_app(**shared).test_client()
    second = make_app(**shared).test_client()
    codes = []
    for i in range(6):
        worker = first if i % 2 == 0 else second
        codes.append(worker.post("/login", data={"email": "shared@example.test", "password": "x"}).status_code)
    assert codes[-1] == 429


def test_csrf_is_enforced_on_forms(make_app, factory):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = factory.user(email="csrf@example.test")
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    token = csrf_token(page_text(client.get("/login")))
    accepted = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302


def test_the_login_loads_all_four_rows_into_the_session_and_changes_to_them_are_saved(app):
    """load_user builds the login, person, membership and couple from one row; each must be the
    session's own object (so a change made during a request is flushed), and a second load reuses them."""
    from blueprints.auth.session import load_user
    from services.accounts import accounts as account_service

    factory = Factory(app)
    pair = factory.pair()
    with factory.session():
        token = account_service.begin_login_session(factory.load(pair.a)).token
    with app.test_request_context(), writing():
        user = load_user(token)
        membership = user.active_membership
        assert {user, user.login_session, membership, membership.couple} <= set(db.session)
        assert load_user(token) is user
        user.display_name, membership.couple.delivery_time = "Renamed", time(6, 45)
        db.session.commit()
    with app.app_context():
        assert db.session.get(User, pair.a.id).display_name == "Renamed"
        assert db.session.get(Couple, pair.couple_id).delivery_time == time(6, 45)


def test_the_login_read_through_the_driver_gives_the_values_sqlalchemy_would(app):
    """load_user runs its statement on the driver's cursor with the result processors SQLAlchemy would
    apply; every column of the four rows (times, time zones, booleans, NULLs) must come out the same, of the same type."""
    from blueprints.auth.session import _login_row, _statement
    from services.accounts import accounts as account_service

    factory = Factory(app)
    pair = factory.pair()
    with factory.session():
        token = account_service.begin_login_session(factory.load(pair.a)).token
    digest = hashlib.sha256(token.encode()).hexdigest()
    with app.app_context():
        statement, _ = _statement()
        expected = list(db.session.execute(statement, {"digest": digest}).one())
        assert _login_row(digest) == expected
        assert [type(value) for value in _login_row(digest)] == [type(value) for value in expected]
        assert any(isinstance(value, datetime) and value.tzinfo is not None for value in expected)
        assert _login_row(hashlib.sha256(b"no such login").hexdigest()) is None
