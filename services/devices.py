"""The devices a person receives notifications on: their push subscriptions."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from extensions import db
from models import PushSubscription, User
from services.errors import Invalid, NotFound

LABEL_MAX = 80


def _b64url_bytes(value: str, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Invalid("That subscription key isn't valid base64url.", field=field)


def check_endpoint(endpoint: str) -> str:
    """A push service URL: https, and never an address inside our own network (unless allowed for local testing)."""
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    if len(endpoint) > 2000 or parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("The subscription endpoint must be a push service URL.", field="endpoint")
    if current_app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"]:
        return endpoint
    if parts.scheme != "https" or parts.hostname == "localhost":
        raise Invalid("The subscription endpoint must be an https push service URL.", field="endpoint")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return endpoint
    if not address.is_global:
        raise Invalid("The subscription endpoint must be a public push service.", field="endpoint")
    return endpoint


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, label: str | None = None) -> PushSubscription:
    """Add (or refresh) this device; a browser's endpoint belongs to whoever subscribed it last."""
    endpoint = check_endpoint(endpoint)
    if len(_b64url_bytes(p256dh, "p256dh")) != 65 or not _b64url_bytes(p256dh, "p256dh").startswith(b"\x04"):
        raise Invalid("The p256dh key must be an uncompressed P-256 public key.", field="p256dh")
    if len(_b64url_bytes(auth, "auth")) != 16:
        raise Invalid("The auth secret must be 16 bytes.", field="auth")
    label = " ".join((label or "This device").split())[:LABEL_MAX] or "This device"
    subscription = db.session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is None:
        subscription = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label)
        db.session.add(subscription)
    else:
        subscription.user_id, subscription.p256dh, subscription.auth, subscription.label = user.id, p256dh, auth, label
    db.session.flush()
    return subscription


def devices_of(user: User) -> list[PushSubscription]:
    return list(
        db.session.scalars(
            sa.select(PushSubscription).where(PushSubscription.user_id == user.id).order_by(PushSubscription.created_at)
        )
    )


def remove(user: User, subscription_id: int) -> None:
    """Forget one of the person's devices (and anything still queued for it)."""
    deleted = db.session.execute(
        sa.delete(PushSubscription).where(PushSubscription.id == subscription_id, PushSubscription.user_id == user.id)
    ).rowcount
    if not deleted:
        raise NotFound("We couldn't find that device.")
