"""Sending the push outbox: claim, send concurrently through pywebpush, record each outcome.

Exactly once, as far as a network allows: rows are claimed for a short
lease inside a transaction (SKIP LOCKED on PostgreSQL; SQLite serialises
writers), so two senders never send the same row; each outcome is recorded
as soon as its response arrives. Only a crash between the push service's
reply and that record can repeat a message, and then it carries the same
Topic (the push service replaces an undelivered copy) and the same
notification tag (the device replaces a shown one).
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import secrets
import threading
import time
from email.utils import parsedate_to_datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from flask import Flask
from pywebpush import WebPusher
from requests.adapters import HTTPAdapter

from database import writing
from extensions import db
from models import PushMessage, PushSubscription, User, utcnow
from services.vapid import Signer

log = logging.getLogger("attune.push")

CLAIM_BATCH = 500
MAX_ATTEMPTS = 8
BACKOFF_BASE = 15  # seconds; doubled per attempt, capped below
BACKOFF_CAP = 3600
TTL = 24 * 3600

# The words on a lock screen: never an answer, never a name (SECURITY.md PUSH).
TEXT = {
    "new_prompt": ("Attune", "A new prompt is waiting for you both."),
    "partner_answered": ("Attune", "Your partner has answered \u2014 your turn."),
    "reveal": ("Attune", "You've both answered. Your answers are ready to read."),
    "reflection": ("Attune", "Your partner reflected on what you shared."),
    "addition": ("Attune", "Your partner would like to add something \u2014 have another listen."),
    "reminder": ("Attune", "A gentle nudge: today's prompt is still waiting, whenever you're ready."),
}
DISCREET = ("You have a new update", "")


def payload(kind: str, event_key: str, url: str, discreet: bool) -> dict:
    """What the service worker receives: title, body, where a tap goes, and a tag that collapses repeats."""
    if discreet:
        title, body = DISCREET
        url = "/today"
    else:
        title, body = TEXT["addition" if event_key.startswith("addition:") else kind]
    return {"title": title, "body": body, "url": url, "tag": event_key}


def topic(event_key: str) -> str:
    """RFC 8030 Topic (at most 32 base64url characters): the same event replaces its own undelivered copy."""
    return hashlib.sha256(event_key.encode()).hexdigest()[:32]


@dataclass
class Outcome:
    message_id: int
    subscription_id: int
    status: int | None  # None: no HTTP response (network error)
    retry_after: float | None = None


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    gone: int = 0
    failed: int = 0


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


class PushSender:
    """A pool of workers over one keep-alive HTTP session, draining the outbox."""

    def __init__(self, app: Flask, *, workers: int = 64, batch: int = CLAIM_BATCH):
        self.app = app
        self.batch = batch
        self.lease = timedelta(seconds=app.config["PUSH_LEASE_SECONDS"])
        self.signer = Signer(app.extensions["attune.vapid"], app.config["VAPID_SUBJECT"])
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=workers, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")
        self._record_lock = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the batch in hand and send no more (for a graceful shutdown)."""
        self._stopping.set()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.session.close()

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
                    PushMessage.id, PushMessage.subscription_id, PushMessage.kind, PushMessage.event_key,
                    PushMessage.url, PushMessage.attempts, PushSubscription.endpoint, PushSubscription.p256dh,
                    PushSubscription.auth, User.discreet,
                )
                .join(PushSubscription, PushSubscription.id == PushMessage.subscription_id)
                .join(User, User.id == PushSubscription.user_id)
                .where(PushMessage.id.in_(ids), PushMessage.claim == token)
            ).all()
            db.session.commit()
        return rows

    # Sending ---------------------------------------------------------------

    def _send(self, row) -> Outcome:
        subscription = {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}
        headers = self.signer.headers_for(row.endpoint)
        headers["Topic"] = topic(row.event_key)
        headers["Urgency"] = "low" if row.kind == "reminder" else "normal"
        body = json.dumps(payload(row.kind, row.event_key, row.url, row.discreet), separators=(",", ":"))
        try:
            response = WebPusher(subscription, requests_session=self.session).send(
                body, headers=headers, ttl=TTL, timeout=10
            )
        except requests.RequestException:
            return Outcome(row.id, row.subscription_id, None)
        return Outcome(row.id, row.subscription_id, response.status_code, _retry_after(response.headers.get("Retry-After")))

    def send_batch(self, rows) -> Report:
        """Send claimed rows concurrently; outcomes are recorded within milliseconds, in small batches.

        The workers record outcomes themselves (whichever finds the batch full
        writes it), so a busy pool cannot delay the record of a sent message.
        """
        report = Report(claimed=len(rows))
        attempts = {row.id: row.attempts for row in rows}
        noted: list[Outcome] = []
        noted_lock = threading.Lock()
        last_flush = [time.monotonic()]

        def flush() -> None:
            with self._record_lock:
                with noted_lock:
                    batch = noted[:]
                    noted.clear()
                    last_flush[0] = time.monotonic()
                self._record(batch, attempts, report)

        def send_and_note(row) -> None:
            outcome = self._send(row)
            with noted_lock:
                noted.append(outcome)
                due = len(noted) >= 20 or time.monotonic() - last_flush[0] > 0.02
            if due:
                flush()

        for future in [self.pool.submit(send_and_note, row) for row in rows]:
            future.result()
        flush()
        return report

    def _record(self, outcomes: list[Outcome], attempts: dict[int, int], report: Report) -> None:
        if not outcomes:
            return
        now = utcnow()
        sent, retry, failed, gone = [], [], [], set()
        for outcome in outcomes:
            code = outcome.status
            if code is not None and 200 <= code < 300:
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
                    retry.append({"m_id": outcome.message_id, "m_status": code, "m_tries": tries,
                                  "m_next": now + timedelta(seconds=delay)})
            else:
                if code in (401, 403):
                    log.error("Push service refused our VAPID credentials (HTTP %s): check VAPID keys and subject", code)
                failed.append({"m_id": outcome.message_id, "m_status": code})
        table = PushMessage.__table__
        by_id = table.c.id == sa.bindparam("m_id")
        with self.app.app_context(), writing():
            if sent:
                db.session.execute(
                    sa.update(table).where(by_id).values(
                        status="sent", sent_at=now, last_status=sa.bindparam("m_status"),
                        attempts=table.c.attempts + 1, claimed_until=None,
                    ),
                    sent,
                )
            if retry:
                db.session.execute(
                    sa.update(table).where(by_id).values(
                        attempts=sa.bindparam("m_tries"), next_attempt_at=sa.bindparam("m_next"),
                        last_status=sa.bindparam("m_status"), claimed_until=None, claim=None,
                    ),
                    retry,
                )
            if failed:
                db.session.execute(
                    sa.update(table).where(by_id).values(
                        status="failed", last_status=sa.bindparam("m_status"), attempts=table.c.attempts + 1,
                        claimed_until=None,
                    ),
                    failed,
                )
            if gone:
                # The browser dropped this subscription: forget it (and everything queued for it) for good.
                db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(gone)))
            db.session.commit()
        report.sent += len(sent)
        report.retried += len(retry)
        report.failed += len(failed)
        report.gone += len(gone)

    def drain(self, max_seconds: float = 30.0, now: datetime | None = None) -> Report:
        """Send due messages batch after batch until none are due or time is up."""
        total = Report()
        started = time.monotonic()
        while time.monotonic() - started < max_seconds and not self._stopping.is_set():
            rows = self.claim(now or utcnow())
            if not rows:
                break
            report = self.send_batch(rows)
            for name in ("claimed", "sent", "retried", "gone", "failed"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total
