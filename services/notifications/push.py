"""Sending the push outbox: claim, encrypt and send concurrently, record each outcome.

Exactly once, as far as a network allows: rows are claimed for a short
lease inside a transaction (SKIP LOCKED on PostgreSQL; SQLite serialises
writers), so two senders never send the same row; each outcome is recorded
within milliseconds of its response. A sender only starts a request while
there is time left in its lease for the request to time out and its outcome
to be recorded; a row it could not start in time is released for the next
claim rather than sent late, when another sender may already hold it. Only a
crash between the push service's reply and that record can repeat a message,
and then it carries the same Topic (the push service replaces an undelivered
copy) and the same notification tag (the device replaces a shown one).

Whatever goes wrong with one message (a key that can't encrypt, an endpoint
no longer allowed, a network or TLS error, an exception while encrypting) is
that row's outcome alone: the rest of the batch is still sent once
(SECURITY.md ISOLATE). Outside local testing the sender posts only to the
allowlisted push services, and only at public addresses (SECURITY.md SSRF).

Each message is encrypted here (RFC 8291 aes128gcm, a fresh ECDH key pair
and salt per message, as pywebpush does) and posted with the same headers
pywebpush would send; doing it directly, with the key schedule's few HMACs
from the standard library, costs a fraction of pywebpush's per-message
wrapping (a deep copy of the subscription, a second parse of the key,
HKDF objects, decoding the push service's reply as text).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import queue
import random
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
import sqlalchemy as sa
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask

from database import commit_batch, writing
from extensions import db
from models import PushMessage, PushSubscription, User, utcnow
from services.common.errors import Invalid
from services.notifications import devices, notify
from services.notifications.vapid import Signer

log = logging.getLogger("attune.push")

CLAIM_BATCH = 256  # a round of the default workers (PUSH_WORKERS): always far inside the lease
REQUEST_TIMEOUT = 10  # seconds
RECORD_BATCH = 100
RECORD_EVERY = 0.05  # seconds
MAX_ATTEMPTS = 8
BACKOFF_BASE = 15  # seconds; doubled per attempt, capped below
BACKOFF_CAP = 3600
TTL = 24 * 3600


def payload(kind: str, event_key: str, url: str, discreet: bool) -> dict:
    """What the service worker receives: title, body, where a tap goes, and a tag that collapses repeats."""
    title, body = notify.words(kind, discreet)
    return {"title": title, "body": body, "url": "/today" if discreet else url, "tag": event_key}


def topic(event_key: str) -> str:
    """RFC 8030 Topic (at most 32 base64url characters): the same event replaces its own undelivered copy."""
    return hashlib.sha256(event_key.encode()).hexdigest()[:32]


RECORD_SIZE = 4096  # the aes128gcm record size pywebpush (http_ece) declares
_P256 = ec.SECP256R1()
_ECDH = ec.ECDH()


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def encrypt(keys: devices.SubscriberKeys, data: bytes) -> bytes:
    """A Web Push message body for one subscription (RFC 8291 over RFC 8188 aes128gcm, one record).

    A new ECDH key pair and salt for every message. The HKDFs are single-block (every output is at
    most 32 bytes), so each is two HMAC-SHA-256s: extract, then expand with the counter byte 1.
    """
    if len(data) + 17 > RECORD_SIZE:
        raise ValueError("a push payload must fit one record")
    ephemeral = ec.generate_private_key(_P256)
    sender = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ephemeral.exchange(_ECDH, keys.public_key)
    ikm = _hmac(_hmac(keys.auth, shared), b"WebPush: info\x00" + keys.point + sender + b"\x01")
    salt = os.urandom(16)
    prk = _hmac(salt, ikm)
    key = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    header = salt + RECORD_SIZE.to_bytes(4, "big") + bytes([len(sender)]) + sender
    return header + AESGCM(key).encrypt(nonce, data + b"\x02", None)  # 2: the last (only) record


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


def public_address(text: str) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local, multicast, reserved...

    IPv6 spellings of an IPv4 address (mapped, 6to4, NAT64) are judged by that IPv4 address.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if address.version == 6:
        if address in NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        else:
            address = address.ipv4_mapped or address.sixtofour or address
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


class PublicResolver(AbstractResolver):
    """DNS answers with every non-public address removed, so a push host never resolves into our own network.

    The check is made when connecting, not only when subscribing: a name that was public then may point
    inward now. OSError when nothing public remains, which aiohttp reports as a connection (DNS) error.
    """

    def __init__(self, resolver: AbstractResolver | None = None):
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._resolver.resolve(host, port, family)
        public = [answer for answer in answers if public_address(answer["host"])]
        if not public:
            refused = ", ".join(sorted({answer["host"] for answer in answers}))
            raise OSError(f"{host} resolves only to addresses that aren't public ({refused}); not connecting")
        return public

    async def close(self) -> None:
        await self._resolver.close()


@dataclass
class PushOutcome:
    """What became of one claimed push: the push service's status, or why none came back."""

    message_id: int
    subscription_id: int
    status: int | None  # None: no HTTP response (network error), or never sent
    retry_after: float | None = None
    released_claim: str | None = None  # set when the lease ran short before the request could start
    unsendable: bool = False  # this row can never be sent as it stands (bad key, endpoint not allowed)


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    gone: int = 0
    failed: int = 0
    released: int = 0


def _host(endpoint: str) -> str:
    """An endpoint's host, for the log: the rest of it is a bearer capability."""
    try:
        return urlsplit(endpoint).hostname or "?"
    except ValueError:
        return "?"


def _describe(error: BaseException) -> str:
    """An exception for the log without its text where that could hold the endpoint (a bearer capability)."""
    cause = getattr(error, "os_error", None)  # aiohttp's connection errors wrap the OSError that explains them
    return f"{type(error).__name__}: {cause}" if cause is not None else type(error).__name__


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
        except (TypeError, ValueError):
            return None


def most_unrecorded(workers: int, batch: int = CLAIM_BATCH) -> int:
    """The most messages a sender can have sent without their outcome recorded: what a crash can send
    twice (each copy with the same topic and tag, so the phone still shows one notification).

    More are claimed once no more than `workers` are in flight; answers waiting to be recorded are
    written before that, unless fewer than RECORD_BATCH and younger than RECORD_EVERY.
    """
    return workers + batch + RECORD_BATCH


class PushSender:
    """Workers over one keep-alive HTTP session, draining the outbox.

    The workers are asyncio tasks on an event loop of the sender's own (a
    thread), sharing one aiohttp session: a request costs a fraction of what
    a thread-per-request client spends holding the interpreter lock, which is
    what lets one process keep hundreds of pushes in flight. Outcomes are
    recorded by the calling thread as they arrive, so the database never
    blocks the loop.
    """

    def __init__(self, app: Flask, *, workers: int | None = None, batch: int = CLAIM_BATCH):
        self.app = app
        self.batch = batch
        self.workers = app.config["PUSH_WORKERS"] if workers is None else workers
        if self.workers < 1:
            raise ValueError(
                f"PUSH_WORKERS must be at least 1, not {self.workers}: with none in flight nothing is sent"
            )
        lease = app.config["PUSH_LEASE_SECONDS"]
        self.lease = timedelta(seconds=lease)
        # Every request must be answered (or time out) and recorded while its lease holds, so a
        # request starts at most start_within seconds after the claim; a quarter of the lease is
        # kept for recording the outcome.
        self.request_timeout = aiohttp.ClientTimeout(total=min(REQUEST_TIMEOUT, lease / 4))
        self.start_within = lease - self.request_timeout.total - lease / 4
        self.signer = Signer(app.extensions["attune.vapid"], app.config["VAPID_SUBJECT"])
        # Outside local testing, only the browsers' push services, reached at public addresses (SECURITY.md SSRF).
        self.allow_local = app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"]
        self.push_hosts = app.config["PUSH_SERVICE_HOSTS"]
        self._stopping = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="push-sender", daemon=True)
        self._thread.start()
        self._session = self._run(self._open_session())

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _open_session(self) -> aiohttp.ClientSession:
        if self.allow_local:
            connector = aiohttp.TCPConnector(limit=self.workers, limit_per_host=self.workers)
            return aiohttp.ClientSession(connector=connector, timeout=self.request_timeout)
        connector = aiohttp.TCPConnector(limit=self.workers, limit_per_host=self.workers, resolver=PublicResolver())
        return aiohttp.ClientSession(
            connector=connector, timeout=self.request_timeout, middlewares=(self._only_push_services,)
        )

    async def _only_push_services(self, request: aiohttp.ClientRequest, handler) -> aiohttp.ClientResponse:
        """Every request the session makes, redirects included, goes to an allowed push service or not at all.

        The resolver can't see IP literals (aiohttp connects to them without asking it): refusing them
        here, as the allowlist does, is what keeps a redirect to one from reaching our network.
        """
        devices.check_push_service(str(request.url), self.push_hosts)
        return await handler(request)

    def stop(self) -> None:
        """Finish the batch in hand and send no more (for a graceful shutdown)."""
        self._stopping.set()

    def close(self) -> None:
        self._run(self._session.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # Claiming --------------------------------------------------------------

    def claim(self, now: datetime) -> list:
        """Lease up to one batch of due messages to this sender and return what sending them needs."""
        token = secrets.token_hex(16)
        with self.app.app_context(), writing():
            due = (
                sa.select(PushMessage.id)
                .where(
                    PushMessage.status == "pending",
                    PushMessage.next_attempt_at <= now,
                    sa.or_(PushMessage.claimed_until.is_(None), PushMessage.claimed_until < now),
                )
                .order_by(PushMessage.next_attempt_at, PushMessage.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            )
            ids = list(db.session.scalars(due))
            if not ids:
                db.session.rollback()
                return []
            db.session.execute(
                sa.update(PushMessage)
                .where(PushMessage.id.in_(ids))
                .values(claimed_until=now + self.lease, claim=token)
                .execution_options(synchronize_session=False)
            )
            rows = db.session.execute(
                sa.select(
                    PushMessage.id,
                    PushMessage.subscription_id,
                    PushMessage.kind,
                    PushMessage.event_key,
                    PushMessage.url,
                    PushMessage.attempts,
                    PushMessage.claim,
                    PushSubscription.endpoint,
                    PushSubscription.p256dh,
                    PushSubscription.auth,
                    User.discreet,
                )
                .join(PushSubscription, PushSubscription.id == PushMessage.subscription_id)
                .join(User, User.id == PushSubscription.user_id)
                .where(PushMessage.id.in_(ids), PushMessage.claim == token)
            ).all()
            commit_batch()
        return rows

    # Sending ---------------------------------------------------------------

    async def _send(self, row) -> PushOutcome:
        """Send one message; whatever goes wrong becomes this row's outcome, never the batch's."""
        try:
            # Rows stored before keys were validated may hold one that can never encrypt (Invalid).
            keys = devices.subscriber_keys(row.p256dh, row.auth)
            if not self.allow_local:
                devices.check_push_service(row.endpoint, self.push_hosts)
            body = json.dumps(payload(row.kind, row.event_key, row.url, row.discreet), separators=(",", ":"))
            # The headers pywebpush sends (lowercase, as it writes them), and the VAPID header signed per origin.
            headers = {
                **self.signer.headers_for(row.endpoint),
                "topic": topic(row.event_key),
                "urgency": "low" if row.kind == "reminder" else "normal",
                "content-encoding": "aes128gcm",
                "ttl": str(TTL),
            }
            status, retry_after = await self._post(row.endpoint, encrypt(keys, body.encode()), headers)
        except Invalid as error:
            log.warning("push %s to %s can't be sent: %s", row.id, _host(row.endpoint), error.message)
            return PushOutcome(row.id, row.subscription_id, None, unsendable=True)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            log.warning("push to %s failed without an answer: %s", _host(row.endpoint), _describe(error))
            return PushOutcome(row.id, row.subscription_id, None)
        except Exception as error:
            # Anything else (encryption, a malformed answer): retried with backoff until it gives up.
            log.error("push to %s failed: %s", _host(row.endpoint), _describe(error))
            return PushOutcome(row.id, row.subscription_id, None)
        return PushOutcome(row.id, row.subscription_id, status, _retry_after(retry_after))

    async def _post(self, endpoint: str, body: bytes, headers: dict) -> tuple[int, str | None]:
        """POST one encrypted message; its status and Retry-After. The reply is read to its end, so the
        keep-alive connection goes back to the pool."""
        async with self._session.post(endpoint, data=body, headers=headers, timeout=self.request_timeout) as response:
            await response.read()
            return response.status, response.headers.get("Retry-After")

    async def _send_all(self, rows, outcomes: queue.SimpleQueue, start_by: float) -> None:
        gate = asyncio.Semaphore(self.workers)

        async def one(row):
            async with gate:
                if time.monotonic() > start_by:
                    outcomes.put(PushOutcome(row.id, row.subscription_id, None, released_claim=row.claim))
                else:
                    outcomes.put(await self._send(row))

        await asyncio.gather(*(one(row) for row in rows))

    def _record(self, outcomes: list[PushOutcome], attempts: dict[int, int], report: Report) -> None:
        if not outcomes:
            return
        now = utcnow()
        sent, retry, failed, released, gone = [], [], [], [], set()
        for outcome in outcomes:
            code = outcome.status
            if outcome.released_claim is not None:
                released.append({"m_id": outcome.message_id, "m_claim": outcome.released_claim})
            elif outcome.unsendable:
                failed.append({"m_id": outcome.message_id, "m_status": None})
            elif code is not None and 200 <= code < 300:
                sent.append({"m_id": outcome.message_id, "m_status": code})
            elif code in (404, 410):
                gone.add(outcome.subscription_id)
            elif code is None or code == 429 or code >= 500:
                tries = attempts[outcome.message_id] + 1
                if tries >= MAX_ATTEMPTS:
                    failed.append({"m_id": outcome.message_id, "m_status": code})
                else:
                    backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (tries - 1)) * random.uniform(0.8, 1.2)
                    delay = max(backoff, outcome.retry_after or 0)
                    retry.append(
                        {
                            "m_id": outcome.message_id,
                            "m_status": code,
                            "m_tries": tries,
                            "m_next": now + timedelta(seconds=delay),
                        }
                    )
            else:
                if code in (401, 403):
                    log.error(
                        "Push service refused our VAPID credentials (HTTP %s): check VAPID keys and subject", code
                    )
                failed.append({"m_id": outcome.message_id, "m_status": code})
        table = PushMessage.__table__
        by_id = table.c.id == sa.bindparam("m_id")
        with self.app.app_context(), writing():
            if sent:
                db.session.execute(
                    sa.update(table)
                    .where(by_id)
                    .values(
                        status="sent",
                        sent_at=now,
                        last_status=sa.bindparam("m_status"),
                        attempts=table.c.attempts + 1,
                        claimed_until=None,
                    ),
                    sent,
                )
            if retry:
                db.session.execute(
                    sa.update(table)
                    .where(by_id)
                    .values(
                        attempts=sa.bindparam("m_tries"),
                        next_attempt_at=sa.bindparam("m_next"),
                        last_status=sa.bindparam("m_status"),
                        claimed_until=None,
                        claim=None,
                    ),
                    retry,
                )
            if failed:
                db.session.execute(
                    sa.update(table)
                    .where(by_id)
                    .values(
                        status="failed",
                        last_status=sa.bindparam("m_status"),
                        attempts=table.c.attempts + 1,
                        claimed_until=None,
                    ),
                    failed,
                )
            if released:
                # Only while the lease is still ours: after it lapses another sender may hold the row.
                db.session.execute(
                    sa.update(table)
                    .where(by_id, table.c.claim == sa.bindparam("m_claim"), table.c.status == "pending")
                    .values(claimed_until=None, claim=None),
                    released,
                )
            if gone:
                # The browser dropped this subscription: forget it (and everything queued for it) for good.
                db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(gone)))
            commit_batch()
        report.sent += len(sent)
        report.retried += len(retry)
        report.released += len(released)
        report.failed += len(failed)
        report.gone += len(gone)

    def drain(self, max_seconds: float = 30.0, now: datetime | None = None) -> Report:
        """Send due messages until none are due or time is up; each outcome is recorded within milliseconds.

        The next batch is claimed while the last pushes of the current one are
        still on the wire, so the workers never wait for the database.
        """
        report = Report()
        started = time.monotonic()
        outcomes: queue.SimpleQueue = queue.SimpleQueue()
        attempts: dict[int, int] = {}
        sending = []
        in_flight = 0
        exhausted = False
        noted: list[PushOutcome] = []
        last_record = time.monotonic()

        def claim_more() -> bool:
            nonlocal in_flight
            start_by = time.monotonic() + self.start_within
            rows = self.claim(now or utcnow())
            if not rows:
                return False
            report.claimed += len(rows)
            attempts.update((row.id, row.attempts) for row in rows)
            in_flight += len(rows)
            sending.append(asyncio.run_coroutine_threadsafe(self._send_all(rows, outcomes, start_by), self._loop))
            return True

        def may_claim() -> bool:
            return not exhausted and not self._stopping.is_set() and time.monotonic() - started < max_seconds

        exhausted = not (may_claim() and claim_more())
        while in_flight or noted:
            if in_flight:
                try:
                    noted.append(outcomes.get(timeout=RECORD_EVERY))
                    in_flight -= 1
                except queue.Empty:
                    if any(f.done() and f.exception() is not None for f in sending):
                        break
            if noted and (
                not in_flight or len(noted) >= RECORD_BATCH or time.monotonic() - last_record >= RECORD_EVERY
            ):
                released = report.released
                self._record(noted, attempts, report)
                noted, last_record = [], time.monotonic()
                exhausted = exhausted and report.released == released  # handed-back rows are due again
            if in_flight <= self.workers and may_claim():
                exhausted = not claim_more()
        self._record(noted, attempts, report)
        for future in sending:
            future.result()
        return report
