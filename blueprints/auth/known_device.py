"""The known-device cookie, so strangers' failed guesses can't lock the owner out (SECURITY.md LOCKOUT).

OWASP's device cookies: after a successful login the browser gets a signed,
long-lived cookie holding a random device id and an opaque tag of the account.
A login attempt for that same account carrying it is counted against that
device's own limit instead of the limits strangers share. The cookie only
shows that this browser once knew the password; it never logs anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from extensions import db
from models import User
from services.accounts.accounts import normalise_email

MAX_COOKIE_LENGTH = 512


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _account_tag(user_id: int, created_at: datetime) -> str:
    """The account, opaquely: its id and creation time, so an id reused after a deletion is another account."""
    message = f"{user_id}:{created_at.isoformat()}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()[:32]


def _read() -> dict | None:
    raw = request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE_NAME"])
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return None
    try:
        data = _serializer().loads(raw, max_age=current_app.config["KNOWN_DEVICE_LIFETIME"].total_seconds())
    except BadSignature:  # expired ones too
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("d", "a")):
        return None
    return data


def device_for_login() -> str | None:
    """This browser's device id, when it is a known device of the account this login attempt names."""
    if "known_device" not in g:
        g.known_device = None
        data = _read()
        if data is not None:
            email = normalise_email(request.form.get("email", ""))
            row = db.session.execute(sa.select(User.id, User.created_at).where(User.email == email)).first()
            if row is not None and hmac.compare_digest(data["a"], _account_tag(row.id, row.created_at)):
                g.known_device = data["d"]
    return g.known_device


def is_known() -> bool:
    return device_for_login() is not None


def is_stranger() -> bool:
    return device_for_login() is None


def limit_key() -> str:
    """The rate-limit bucket of a known device: its own, shared with nobody."""
    return "login-device:" + (device_for_login() or "-")


def remember(user: User) -> None:
    """Make this browser a known device of user, on the response of the successful login."""
    data = _read()
    device = data["d"] if data else secrets.token_urlsafe(16)
    value = _serializer().dumps({"d": device, "a": _account_tag(user.id, user.created_at)})
    config = current_app.config

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            config["KNOWN_DEVICE_COOKIE_NAME"],
            value,
            max_age=int(config["KNOWN_DEVICE_LIFETIME"].total_seconds()),
            secure=config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
