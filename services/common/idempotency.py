"""Recognising retried writes by their client-generated key (the Idempotency-Key header, or a form's hidden key).

Keys are remembered per person with a fingerprint of what they asked for.
A repeat of a remembered key changes nothing, even when it arrives after a
newer edit; the same key reused for different content is refused.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from extensions import db
from models import RequestKey, User
from services.common.errors import Invalid

KEY_MAX = 64


def check_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise Invalid("The idempotency key must be up to 64 printable characters.", field="client_key")
    return key


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def earlier(user: User, key: str | None, print_: str) -> RequestKey | None:
    """The earlier request made with this key, if any; refuses a key reused for something else."""
    if key is None:
        return None
    found = db.session.scalar(sa.select(RequestKey).where(RequestKey.user_id == user.id, RequestKey.key == key))
    if found is not None and found.fingerprint != print_:
        raise Invalid("This idempotency key was already used for a different request.", field="client_key")
    return found


def remember(
    user: User,
    key: str | None,
    print_: str,
    *,
    answer_id: int | None = None,
    reflection_id: int | None = None,
    journal_entry_id: int | None = None,
) -> None:
    if key is not None:
        db.session.add(
            RequestKey(
                user_id=user.id,
                key=key,
                fingerprint=print_,
                answer_id=answer_id,
                reflection_id=reflection_id,
                journal_entry_id=journal_entry_id,
            )
        )
