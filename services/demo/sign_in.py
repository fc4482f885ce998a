"""One-time sign-in links for the demo accounts: short-lived, single-use, development only.

The link carries a signed token naming the account and a random nonce. Only a hash of the nonce is
kept on the server, as a row of request_keys marked "demo-sign-in"; signing in deletes that row in
the same statement that checks it, so a link works once and never twice, even opened in two
windows at the same moment. Tokens live LINK_AGE and are refused outright in production.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from extensions import db
from models import RequestKey, User, utcnow
from services.common.errors import Invalid

LINK_AGE = timedelta(minutes=15)
MARK = "demo-sign-in"


class NotInProduction(RuntimeError):
    """Demo sign-in links exist only outside production."""


def _refuse_in_production() -> None:
    if current_app.config["ATTUNE_ENV"] == "production":
        raise NotInProduction("Demo sign-in links are for development only; ATTUNE_ENV is production.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="attune.demo-sign-in")


def _key(nonce: str) -> str:
    return hashlib.sha256(f"{MARK}:{nonce}".encode()).hexdigest()


def issue(user: User) -> str:
    """A token that signs user in once within LINK_AGE (its nonce is stored; the caller commits)."""
    _refuse_in_production()
    nonce = secrets.token_urlsafe(16)
    db.session.add(RequestKey(user_id=user.id, key=_key(nonce), fingerprint=MARK, created_at=utcnow()))
    return _serializer().dumps({"user": user.id, "nonce": nonce})


def consume(token: str | None) -> User:
    """The account a token signs in, used up now; Invalid if it is unknown, expired or already used."""
    _refuse_in_production()
    try:
        data = _serializer().loads(token or "", max_age=int(LINK_AGE.total_seconds()))
        user_id, nonce = int(data["user"]), str(data["nonce"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Invalid("This sign-in link has expired or isn't valid. Run `flask demo` for new ones.") from None
    used = db.session.execute(
        sa.delete(RequestKey).where(
            RequestKey.user_id == user_id,
            RequestKey.key == _key(nonce),
            RequestKey.fingerprint == MARK,
            RequestKey.created_at > utcnow() - LINK_AGE,
        )
    )
    user = db.session.get(User, user_id)
    if used.rowcount != 1 or user is None:
        raise Invalid("This sign-in link has already been used. Run `flask demo` for new ones.")
    return user
