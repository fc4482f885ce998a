"""The devices a person receives notifications on: their push subscriptions.

An endpoint belongs to one account at a time. Another account posting it is
refused (409), never reassigned: otherwise anyone who learns an endpoint could
silently take over someone's notifications. The endpoint is freed when its
owner removes the device, signs out on it, or the push service reports it gone.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

from extensions import db
from models import PushSubscription, User, utcnow
from services.common.errors import Conflict, Invalid, NotFound
from services.common.text import check_line
from services.common.upsert import insert_ignoring_duplicates

LABEL_MAX = 80
ENDPOINT_MAX = 2000
TAKEN = (
    "This device is already receiving another account's notifications. "
    "That account needs to turn them off on this device first."
)
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# Lowercase DNS labels only: no percent-encoding, brackets, underscores or Unicode for a parser to read two ways.
DNS_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
# A URL's own characters (RFC 3986): nothing, such as a backslash, that URL parsers disagree about.
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
NOT_A_PUSH_SERVICE = "The subscription endpoint must be a browser's push service."


def _b64url_bytes(value: str, field: str) -> bytes:
    if not BASE64URL.fullmatch(value or ""):
        raise Invalid("That subscription key isn't valid base64url.", field=field)
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Invalid("That subscription key isn't valid base64url.", field=field)


@dataclass(frozen=True)
class SubscriberKeys:
    """A subscription's keys, decoded and checked, as RFC 8291 encrypts with them."""

    point: bytes  # the browser's P-256 public key, uncompressed, as it sent it
    public_key: ec.EllipticCurvePublicKey
    auth: bytes  # the 16-byte auth secret


_P256 = ec.SECP256R1()


def subscriber_keys(p256dh: str, auth: str) -> SubscriberKeys:
    """The keys RFC 8291 encrypts with: a real P-256 public point and a 16-byte auth secret (else Invalid)."""
    point = _b64url_bytes(p256dh, "p256dh")
    if len(point) != 65 or point[0] != 4:
        raise Invalid("The p256dh key must be an uncompressed P-256 public key.", field="p256dh")
    try:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(_P256, point)
    except ValueError:
        raise Invalid("The p256dh key isn't a point on the P-256 curve.", field="p256dh")
    secret = _b64url_bytes(auth, "auth")
    if len(secret) != 16:
        raise Invalid("The auth secret must be 16 bytes.", field="auth")
    return SubscriberKeys(point, public_key, secret)


def check_keys(p256dh: str, auth: str) -> None:
    """Refuse (Invalid) keys that subscriber_keys can't use."""
    subscriber_keys(p256dh, auth)


def _ip_literal(host: str) -> bool:
    """Whether a URL host is an IP address in any spelling (127.1, 2130706433, 0x7f000001, 0177.0.0.1, ::1)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # the BSD spellings that getaddrinfo and URL parsers still accept
        return True
    except OSError:
        pass
    # The WHATWG URL standard reads a host whose last label is a number as IPv4, whatever comes before.
    return bool(re.fullmatch(r"0x[0-9a-f]*|[0-9]+", host.rsplit(".", 1)[-1]))


def host_allowed(host: str, allowed_hosts: Iterable[str] | str) -> bool:
    """Whether a host is on the allowlist: exact names, and subdomains of entries written ".x" or "*.x"."""
    if isinstance(allowed_hosts, str):
        allowed_hosts = allowed_hosts.split(",")
    for entry in allowed_hosts:
        entry = entry.strip().lower().removesuffix(".").removeprefix("*")
        if not entry:
            continue
        if host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


def _split(endpoint: str):
    """urlsplit, with its ValueError (bad brackets, a port out of range) made a clear Invalid."""
    try:
        parts = urlsplit(endpoint)
        return parts, parts.port
    except ValueError:
        raise Invalid("The subscription endpoint must be a push service URL.", field="endpoint")


def check_push_service(endpoint: str, allowed_hosts: Iterable[str] | str) -> str:
    """An endpoint production may post to: https, port 443, a named host on the allowlist; Invalid otherwise.

    Used when subscribing and again by the sender for every request it makes, redirects included.
    """
    parts, port = _split(endpoint)
    if not URL_CHARACTERS.fullmatch(endpoint) or parts.scheme != "https":
        raise Invalid("The subscription endpoint must be an https push service URL.", field="endpoint")
    if port not in (None, 443):
        raise Invalid("The subscription endpoint must use the standard https port.", field="endpoint")
    if parts.username is not None or parts.password is not None:
        raise Invalid(NOT_A_PUSH_SERVICE, field="endpoint")
    host = (parts.hostname or "").lower().removesuffix(".")
    if _ip_literal(host):
        raise Invalid("The subscription endpoint must name a push service, not an IP address.", field="endpoint")
    if not DNS_NAME.fullmatch(host) or not host_allowed(host, allowed_hosts):
        raise Invalid(NOT_A_PUSH_SERVICE, field="endpoint")
    return endpoint


def check_endpoint(endpoint: str) -> str:
    """A push service URL; outside local testing, only an allowed push service (SECURITY.md SSRF)."""
    endpoint = check_line(endpoint, limit=ENDPOINT_MAX, field="endpoint", what="subscription endpoint")
    parts, _ = _split(endpoint)
    if " " in endpoint or parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid("The subscription endpoint must be a push service URL.", field="endpoint")
    if current_app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"]:
        return endpoint
    return check_push_service(endpoint, current_app.config["PUSH_SERVICE_HOSTS"])


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, label: str | None = None) -> PushSubscription:
    """Add (or refresh) this person's device; an endpoint another account holds is refused (Conflict)."""
    endpoint = check_endpoint(endpoint)
    check_keys(p256dh, auth)
    if not (label or "").strip():
        label = "This device"
    label = check_line(label, limit=LABEL_MAX, field="label", what="device name")
    row = {"user_id": user.id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth, "label": label}
    # Insert first, so two people posting one endpoint at once meet the unique key, not each other's reads.
    insert_ignoring_duplicates(PushSubscription, [{**row, "created_at": utcnow()}], ["endpoint"])
    subscription = db.session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription.user_id != user.id:
        raise Conflict(TAKEN, field="endpoint")
    subscription.p256dh, subscription.auth, subscription.label = p256dh, auth, label
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
