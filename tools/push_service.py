"""A strict Web Push service on loopback, for tests that send real pushes.

``PushService`` plays the part of a browser vendor's push service (the thing
behind ``https://fcm.googleapis.com/...`` or ``https://updates.push.services.mozilla.com/...``):

* ``subscribe(application_server_key)`` does what ``pushManager.subscribe()``
  does in a browser: it makes a P-256 key pair and an auth secret and returns
  the ``PushSubscription.toJSON()`` shape, with an endpoint on this server.
* ``POST /push/<id>`` is checked the way a real push service checks it
  (RFC 8030 Web Push, RFC 8292 VAPID, RFC 8291 aes128gcm message encryption),
  then decrypted with the subscription's private key, so tests assert on the
  plaintext the browser's service worker would have received.

Nothing here is mocked on the sending side: the application under test uses
pywebpush over real HTTP/1.1 (keep-alive included) to a real socket.

The HTTP side is aiohttp's server on an event loop of the service's own (a
thread), as a real push service is an event-driven server: a thread per
kept-alive connection cost the benchmark's service twice what checking and
decrypting each message does (1,000 against 300 microseconds of CPU a push).

Typical use::

    with PushService() as push:
        sub = push.subscribe(vapid_application_server_key)
        ...  # make the app send to sub
        [msg] = push.wait_for(1)
        assert msg.json() == {...}

What pywebpush 2.5.0 actually puts on the wire (observed, and read from its
source) for ``content_encoding="aes128gcm"``:

* ``ttl: <int>``  (always sent; ``"0"`` unless ``ttl=`` is given)
* ``content-encoding: aes128gcm``  (only when there is a payload)
* ``authorization: vapid t=<JWT>,k=<key>``  when the key is a ``py_vapid.Vapid``
  (= ``Vapid02``) object, a PEM file path or a raw/DER key string;
* ``authorization: WebPush <JWT>`` plus ``crypto-key: p256ecdsa=<key>``  when
  the caller hands it a ``py_vapid.Vapid01`` object.  Both are accepted here,
  as real push services still accept the draft form; set
  ``accept_legacy_vapid = False`` to insist on RFC 8292, and look at
  ``PushMessage.auth_scheme`` to see which one the app used.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import functools
import json
import re
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = ["PushService", "PushMessage", "b64url_encode", "b64url_decode"]

# RFC 8292 section 2: a token may not be valid for more than 24 hours.
MAX_TOKEN_LIFETIME = 24 * 60 * 60
# RFC 8030 section 5.3.
URGENCIES = frozenset({"very-low", "low", "normal", "high"})
# RFC 8030 section 5.4: at most 32 characters of the base64url alphabet.
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
# Bodies beyond this are refused before being read; it only protects the
# fixture itself, the push-service limit is ``PushService.max_payload``.
MAX_REQUEST_BYTES = 1 << 20
# A burst of new connections beyond a short backlog waits out SYN retransmits, which looks like a slow
# push service when it is not.
BACKLOG = 256


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as the Push API and VAPID use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Strict base64url decoding (padding optional).

    The stdlib decoder silently drops characters outside the alphabet, which
    would let malformed keys and tokens through, so the alphabet is checked
    first.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii")
    if not B64URL_RE.match(text):
        raise ValueError("not base64url")
    text = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def _uncompressed(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _p256_point(raw: bytes) -> ec.EllipticCurvePublicKey:
    # from_encoded_point also takes compressed points; the Push API and VAPID
    # only ever use the 65-byte uncompressed form.
    if len(raw) != 65 or raw[0] != 0x04:
        raise ValueError("not an uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


@functools.lru_cache(maxsize=1024)
def _signature_verifies(key: bytes, signed: str, signature: bytes) -> bool:
    """Whether an ES256 signature (r||s) over signed verifies under the raw P-256 key.

    A sender signs one JWT per push service origin and reuses it for up to a day (RFC 8292 allows
    it), so the same three inputs arrive thousands of times; the answer for them never changes, and
    working it out again cost a quarter of this service's time per push. Claims (aud, exp, sub) are
    still checked on every push.
    """
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        _p256_point(key).verify(encode_dss_signature(r, s), signed.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):  # ValueError includes text that is not ASCII
        return False
    return True


@dataclass(frozen=True)
class PushMessage:
    """One push the service accepted (what the service worker would get).

    ``data`` is the decrypted plaintext (``b""`` for a push without payload),
    or ``None`` when the service ran with ``verify = False``.
    """

    subscription_id: str
    endpoint: str
    data: bytes | None
    ttl: int
    urgency: str | None
    topic: str | None
    received_at: float
    auth_scheme: str  # "vapid" (RFC 8292) or "WebPush" (draft, Crypto-Key)
    claims: Mapping[str, Any]
    headers: Mapping[str, str] = field(repr=False)

    @property
    def text(self) -> str:
        if self.data is None:
            raise ValueError("payload was not decrypted (verify=False)")
        return self.data.decode("utf-8")

    def json(self) -> Any:
        """The payload parsed as JSON; raises ValueError if it is not JSON."""
        return json.loads(self.text)


class _Rejected(Exception):
    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


@dataclass
class _Subscription:
    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: bytes
    gone: bool = False


class PushService:
    """A Web Push service on ``127.0.0.1`` with an OS-assigned port.

    Use as a context manager, or call ``start()`` / ``stop()``.

    Knobs tests may set at any time:

    * ``delay`` (seconds, default 0): slept before answering every push.
    * ``verify`` (default True): when False, the ECDSA signature check and the
      decryption are skipped (cheap header and claim checks still run) and
      accepted messages are recorded with ``data=None``; for benchmarks.
    * ``accept_legacy_vapid`` (default True): accept ``Authorization: WebPush``
      with ``Crypto-Key: p256ecdsa=``, which pywebpush sends for Vapid01 keys.
    * ``max_payload`` (default 4096): larger encrypted bodies get 413, the
      limit RFC 8030 section 7.2 lets push services enforce and real ones do.

    Records (all safe to read from any thread; each read is a snapshot):

    * ``messages``: accepted ``PushMessage`` objects, in arrival order.
    * ``attempts``: ``Counter`` of every POST per subscription id, including
      refused and programmed-failure ones.
    * ``rejections``: ``(status, reason)`` for every push this service refused
      on its own account (400/401/403/404/410/413); programmed failures from
      ``fail_next`` are not rejections.
    * ``connections_accepted``: TCP connections opened so far, for asserting
      that a client reuses connections.
    """

    def __init__(self) -> None:
        self.delay: float = 0.0
        self.verify: bool = True
        self.accept_legacy_vapid: bool = True
        self.max_payload: int = 4096
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._subscriptions: dict[str, _Subscription] = {}
        self._messages: list[PushMessage] = []
        self._rejections: list[tuple[int, str]] = []
        self._attempts: collections.Counter[str] = collections.Counter()
        self._failures: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._connections: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self._connections_accepted = 0
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> PushService:
        """Bind and serve on an event loop in a background thread; returns self."""
        if self._runner is not None:
            return self
        listening = socket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
        self._port = listening.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"push-service-{self._port}", daemon=True)
        self._thread.start()

        async def serve() -> web.AppRunner:
            app = web.Application(client_max_size=MAX_REQUEST_BYTES)
            app.router.add_route("*", "/{path:.*}", self._serve)
            runner = web.AppRunner(
                app,
                handle_signals=False,
                access_log=None,
                shutdown_timeout=1,
                # Idle keep-alive connections are dropped after this long, so a client that never
                # closes holds nothing for ever.
                keepalive_timeout=30,
                # A body is what the sender sent: aes128gcm is the push service's own reading, never
                # the HTTP layer's (which would try to inflate a body labelled gzip).
                auto_decompress=False,
            )
            await runner.setup()
            await web.SockSite(runner, listening).start()
            return runner

        self._runner = asyncio.run_coroutine_threadsafe(serve(), self._loop).result()
        return self

    def stop(self) -> None:
        """Stop serving and drop kept-alive connections. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._thread = self._loop = None

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("PushService is not running")
        return self._port

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: what a VAPID ``aud`` claim must equal."""
        return f"http://127.0.0.1:{self.port}"

    # -- subscriptions -----------------------------------------------------

    def subscribe(self, application_server_key: str) -> dict:
        """Create a subscription as ``pushManager.subscribe()`` would.

        ``application_server_key`` is the VAPID public key the app hands the
        browser (base64url, uncompressed P-256 point); pushes to the
        subscription must be signed by its private half. Returns the
        ``PushSubscription.toJSON()`` shape
        ``{"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}``.
        """
        try:
            server_key = b64url_decode(application_server_key)
            _p256_point(server_key)
        except ValueError as exc:
            # Browsers reject such keys in subscribe() (InvalidAccessError).
            raise ValueError(f"invalid application server key: {exc}") from None
        sub_id = secrets.token_urlsafe(16)
        private_key = ec.generate_private_key(ec.SECP256R1())
        sub = _Subscription(
            id=sub_id,
            endpoint=f"{self.origin}/push/{sub_id}",
            private_key=private_key,
            auth=secrets.token_bytes(16),
            application_server_key=server_key,
        )
        with self._lock:
            self._subscriptions[sub_id] = sub
        return {
            "endpoint": sub.endpoint,
            "keys": {
                "p256dh": b64url_encode(_uncompressed(private_key.public_key())),
                "auth": b64url_encode(sub.auth),
            },
        }

    def unsubscribe(self, endpoint_or_id: str) -> None:
        """Revoke a subscription: later pushes get 410 Gone (RFC 8030 7.3)."""
        sub_id = self.subscription_id(endpoint_or_id)
        with self._lock:
            self._subscriptions[sub_id].gone = True

    def delete(self, endpoint_or_id: str) -> None:
        """Forget a subscription entirely: later pushes get 404 Not Found."""
        sub_id = self.subscription_id(endpoint_or_id)
        with self._lock:
            self._subscriptions.pop(sub_id, None)

    @staticmethod
    def subscription_id(endpoint_or_id: str) -> str:
        """The id part of ``.../push/<id>``; an id is returned unchanged."""
        if "/" in endpoint_or_id:
            return endpoint_or_id.rsplit("/push/", 1)[-1].split("?", 1)[0]
        return endpoint_or_id

    # -- programming failures ----------------------------------------------

    def fail_next(
        self,
        endpoint_or_id: str,
        status: int,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` pushes to this subscription with ``status``.

        Checked before anything else (even before 404/410), so e.g. a 429 with
        ``{"Retry-After": "1"}`` or a 500 can be injected for any endpoint.
        Attempts are still counted; nothing is recorded as a message or a
        rejection. Successive calls queue up in order.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        sub_id = self.subscription_id(endpoint_or_id)
        with self._lock:
            for _ in range(times):
                self._failures[sub_id].append((int(status), dict(headers or {})))

    # -- records -----------------------------------------------------------

    @property
    def messages(self) -> list[PushMessage]:
        with self._lock:
            return list(self._messages)

    def messages_for(self, endpoint_or_id: str) -> list[PushMessage]:
        sub_id = self.subscription_id(endpoint_or_id)
        return [m for m in self.messages if m.subscription_id == sub_id]

    @property
    def rejections(self) -> list[tuple[int, str]]:
        with self._lock:
            return list(self._rejections)

    @property
    def attempts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._attempts)

    @property
    def connections_accepted(self) -> int:
        with self._lock:
            return self._connections_accepted

    def wait_for(self, n: int, timeout: float = 5.0) -> list[PushMessage]:
        """Block until at least ``n`` messages were accepted; return them all.

        Raises TimeoutError (with what did arrive and what was refused) if
        ``timeout`` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"waited {timeout}s for {n} push messages, got {len(self._messages)}; "
                        f"rejections: {self._rejections[-5:]}"
                    )
                self._arrived.wait(remaining)
            return list(self._messages)

    def clear(self) -> None:
        """Forget messages, attempts, rejections and pending ``fail_next``
        programs. Subscriptions (and their unsubscribed state) are kept."""
        with self._lock:
            self._messages.clear()
            self._rejections.clear()
            self._attempts.clear()
            self._failures.clear()

    # -- HTTP (on the service's event loop) ---------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        """Every request: POST to a push resource is judged by _handle_push, anything else is 405."""
        transport = request.transport
        if transport is not None and transport not in self._connections:
            with self._lock:
                self._connections.add(transport)
                self._connections_accepted += 1
        try:
            # Every body is read to its end, even for refused requests, so a kept-alive connection
            # stays in step; a body over MAX_REQUEST_BYTES is refused before it is read.
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._reply(413, "request body too large", {"Connection": "close"})
        if request.method != "POST":
            return self._reply(405, "only POST is supported", {"Allow": "POST"})
        delay = self.delay
        if delay > 0:
            await asyncio.sleep(delay)
        return self._reply(
            *self._handle_push(request.path_qs, {k.lower(): v for k, v in request.headers.items()}, body)
        )

    @staticmethod
    def _reply(status: int, text: str, headers: Mapping[str, str] | None = None) -> web.Response:
        # Content-Length is always sent: without it an HTTP/1.1 client cannot reuse the connection.
        if text:
            return web.Response(status=status, text=text + "\n", charset="utf-8", headers=headers)
        return web.Response(status=status, headers=headers)

    # -- the push resource -------------------------------------------------

    def _handle_push(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, dict[str, str]]:
        """Decide the response to one POST (after the delay); returns (status, text, headers)."""
        route = path.split("?", 1)[0]
        match = re.fullmatch(r"/push/([A-Za-z0-9_-]+)", route)
        if not match:
            return self._reject(404, "no such push resource")
        sub_id = match.group(1)
        with self._lock:
            self._attempts[sub_id] += 1
            programmed = self._failures[sub_id].popleft() if self._failures.get(sub_id) else None
            sub = self._subscriptions.get(sub_id)
        if programmed is not None:
            status, extra = programmed
            return status, f"programmed failure {status}", extra
        if sub is None:
            return self._reject(404, "no such subscription")
        if sub.gone:
            return self._reject(410, "subscription is gone")
        try:
            message = self._accept(sub, headers, body)
        except _Rejected as rej:
            return self._reject(rej.status, rej.reason, rej.headers)
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return 201, "", {"Location": f"{self.origin}/message/{secrets.token_urlsafe(12)}"}

    def _reject(
        self, status: int, reason: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        with self._lock:
            self._rejections.append((status, reason))
        return status, reason, dict(headers or {})

    def _accept(self, sub: _Subscription, headers: dict[str, str], body: bytes) -> PushMessage:
        ttl = self._check_ttl(headers.get("ttl"))
        urgency = headers.get("urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise _Rejected(400, f"bad Urgency {urgency!r}")
        topic = headers.get("topic")
        if topic is not None and not TOPIC_RE.match(topic):
            raise _Rejected(400, "bad Topic: at most 32 base64url characters")
        scheme, token, key = self._parse_authorization(headers)
        if key != sub.application_server_key:
            raise _Rejected(403, "VAPID key does not match the subscription's application server key")
        claims = self._check_token(token, key)
        data = self._decrypt(sub, headers, body)
        return PushMessage(
            subscription_id=sub.id,
            endpoint=sub.endpoint,
            data=data,
            ttl=ttl,
            urgency=urgency,
            topic=topic,
            received_at=time.time(),
            auth_scheme=scheme,
            claims=claims,
            headers=dict(headers),
        )

    @staticmethod
    def _check_ttl(value: str | None) -> int:
        # RFC 8030 5.2: TTL is required; a push service answers 400 without it.
        if value is None:
            raise _Rejected(400, "TTL header missing")
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            raise _Rejected(400, f"TTL must be a non-negative integer, got {value!r}")
        return int(value)

    def _parse_authorization(self, headers: dict[str, str]) -> tuple[str, str, bytes]:
        """Return (scheme, JWT, raw public key) from the VAPID headers."""
        auth = headers.get("authorization")
        if not auth:
            raise _Rejected(401, "Authorization header missing")
        scheme, _, rest = auth.strip().partition(" ")
        rest = rest.strip()
        if scheme.lower() == "vapid":
            # RFC 8292 3: auth-params "t" and "k", comma separated, any order.
            params: dict[str, str] = {}
            for part in rest.split(","):
                name, eq, value = part.strip().partition("=")
                name = name.strip().lower()
                if not eq or not name or name in params:
                    raise _Rejected(401, "malformed vapid Authorization parameters")
                params[name] = value.strip().strip('"')
            if "t" not in params or "k" not in params:
                raise _Rejected(401, "vapid Authorization needs t= and k=")
            scheme, token, key_text = "vapid", params["t"], params["k"]
        elif scheme.lower() == "webpush" and self.accept_legacy_vapid:
            # draft-ietf-webpush-vapid-01: the key travels in Crypto-Key.
            token = rest
            key_text = None
            for param in re.split(r"[;,]", headers.get("crypto-key", "")):
                name, _, value = param.strip().partition("=")
                if name.strip().lower() == "p256ecdsa":
                    key_text = value.strip().strip('"')
            if not token or key_text is None:
                raise _Rejected(401, "WebPush Authorization needs a Crypto-Key p256ecdsa=")
            scheme = "WebPush"
        else:
            raise _Rejected(401, f"unsupported Authorization scheme {scheme!r}")
        try:
            key = b64url_decode(key_text)
            _p256_point(key)
        except ValueError:
            raise _Rejected(401, "VAPID public key is not a base64url P-256 point") from None
        return scheme, token, key

    def _check_token(self, token: str, key: bytes) -> dict[str, Any]:
        """Check the JWT (RFC 8292 2) and return its claims."""
        parts = token.split(".")
        if len(parts) != 3:
            raise _Rejected(401, "VAPID token is not a JWS compact serialization")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            raise _Rejected(401, "VAPID token is not valid base64url JSON") from None
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise _Rejected(401, "VAPID token alg must be ES256")
        if not isinstance(claims, dict):
            raise _Rejected(401, "VAPID claims must be a JSON object")
        if len(signature) != 64:
            raise _Rejected(401, "ES256 signature must be 64 bytes (r||s)")
        if self.verify and not _signature_verifies(key, f"{parts[0]}.{parts[1]}", signature):
            raise _Rejected(401, "VAPID signature does not verify")
        aud = claims.get("aud")
        if aud != self.origin:
            raise _Rejected(401, f"VAPID aud {aud!r} is not {self.origin!r}")
        exp = claims.get("exp")
        now = time.time()
        # bool is an int subclass; JSON true is not an expiry time.
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise _Rejected(401, "VAPID exp must be an integer")
        if exp <= now:
            raise _Rejected(401, "VAPID token expired")
        if exp > now + MAX_TOKEN_LIFETIME:
            raise _Rejected(401, "VAPID exp is more than 24 hours ahead")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not re.match(r"^(mailto:|https://).+", sub):
            raise _Rejected(401, "VAPID sub must be a mailto: or https: URI")
        return claims

    def _decrypt(self, sub: _Subscription, headers: dict[str, str], body: bytes) -> bytes | None:
        encoding = headers.get("content-encoding")
        if not body:
            # A push without payload is valid (RFC 8030 5): the service worker
            # gets a push event whose data is null.
            if encoding is not None:
                raise _Rejected(400, "Content-Encoding given without a body")
            return b"" if self.verify else None
        if encoding is None or encoding.strip().lower() != "aes128gcm":
            raise _Rejected(400, f"Content-Encoding must be aes128gcm, got {encoding!r}")
        if len(body) > self.max_payload:
            raise _Rejected(413, f"payload of {len(body)} bytes exceeds {self.max_payload}")
        # RFC 8291 4: the header's keyid is the 65-byte sender public key.
        if len(body) < 21 + 65 or body[20] != 65:
            raise _Rejected(400, "aes128gcm header must carry a 65-byte keyid")
        if not self.verify:
            return None
        try:
            return http_ece.decrypt(
                body,
                private_key=sub.private_key,
                auth_secret=sub.auth,
                version="aes128gcm",
            )
        except Exception as exc:  # http_ece raises several unrelated types
            raise _Rejected(400, f"payload does not decrypt: {type(exc).__name__}") from None
