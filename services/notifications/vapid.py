"""The app's VAPID identity (RFC 8292): a key pair made on first run, and signed headers per push service.

The private key comes from VAPID_PRIVATE_KEY, or from instance/vapid_private.pem,
created on first run. Signing costs more than encrypting a message, so the
Authorization header for each push service origin is signed once and reused
for an hour (tokens are valid for twelve); each origin gets its own fresh
claims dict, because pywebpush and py-vapid write "aud" into the dict they are given.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

TOKEN_LIFETIME = 12 * 3600
REUSE_FOR = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create(instance_path: str, private_key: str | None = None) -> Vapid02:
    """The VAPID key from the environment, or the one kept in the instance folder (made on first run)."""
    if private_key:
        if "BEGIN" in private_key:
            return Vapid02.from_pem(private_key.encode())
        return Vapid02.from_string(private_key)
    path = Path(instance_path) / "vapid_private.pem"
    if not path.exists():
        vapid = Vapid02()
        vapid.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(vapid.private_pem())
    return Vapid02.from_file(str(path))


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers want it for pushManager.subscribe: base64url, uncompressed point."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)


class Signer:
    """VAPID Authorization headers, one per push-service origin, re-signed hourly."""

    def __init__(self, vapid: Vapid02, subject: str):
        self.vapid = vapid
        self.subject = subject
        self._headers: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def headers_for(self, endpoint: str) -> dict:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self._lock:
            cached = self._headers.get(audience)
            if cached and now - cached[0] < REUSE_FOR:
                return dict(cached[1])
        claims = {"sub": self.subject, "aud": audience, "exp": int(now) + TOKEN_LIFETIME}
        headers = self.vapid.sign(claims)
        with self._lock:
            self._headers[audience] = (now, headers)
        return dict(headers)
