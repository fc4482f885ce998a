"""Outgoing email through an outbox, so no page waits for a mail server (SECURITY.md TIMING).

A request only writes its mail to the outbox, in its own transaction; an
address without an account costs the same insert (a void row), so a reset
answers in the same time either way. The scheduler process and `flask
send-mail` drain the outbox: rows are claimed for a lease (SKIP LOCKED on
PostgreSQL; SQLite serialises writers), so two drainers never send the same
message; a drainer never starts a send its lease cannot cover, and deletes
each sent message at once. Only a crash between the mail server's reply and
that delete can send a message twice.

Backends: SMTP in production; .eml files in instance/outbox for local
development (the link itself is also logged when the mail is queued); memory
in tests, delivered when the outbox is drained.
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from database import commit_batch, writing
from extensions import db
from models import MailMessage, utcnow

log = logging.getLogger("attune.mail")

CLAIM_BATCH = 50
MAX_ATTEMPTS = 8
BACKOFF_BASE = 60  # seconds; doubled per attempt, capped below
BACKOFF_CAP = 3600
KEEP_FAILED = timedelta(days=30)
SMTP_EXCHANGES = 4
_LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class SentMail:
    to: str
    subject: str
    body: str


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


# Writing (inside a request) ------------------------------------------------------


def queue_mail(to: str, subject: str, body: str) -> None:
    """Add one email to the outbox in the caller's transaction; it is sent after the commit, off the request."""
    db.session.add(MailMessage(to_address=to, subject=subject, body=body))
    if current_app.config["MAIL_BACKEND"] == "console":
        link = _LINK.search(body)
        log.warning("Development mail to %s, %r: %s", to, subject, link.group(0) if link else "(no link)")


def queue_nothing(subject: str, body: str) -> None:
    """The same insert as queue_mail, of a void row drainers delete unsent: for a request that must look like it sent.

    The body is kept so the row costs what a real one does (its link names no account); the address is not.
    """
    db.session.add(MailMessage(to_address="", subject=subject, body=body, status="void"))


# Sending (the scheduler, `flask send-mail`, tests) --------------------------------


def _message(app: Flask, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def deliver(app: Flask, to: str, subject: str, body: str, *, timeout: float) -> None:
    """Hand one message to the configured backend: the only code that talks to a mail server."""
    config = app.config
    backend = config["MAIL_BACKEND"]
    if backend == "memory":
        app.extensions.setdefault("attune.outbox", []).append(SentMail(to, subject, body))
    elif backend == "console":
        folder = Path(app.instance_path) / "outbox"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}.eml"
        path.write_bytes(bytes(_message(app, to, subject, body)))
        log.info("Development mail saved to %s", path)
    elif backend == "smtp":
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(_message(app, to, subject, body))
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def drain(app: Flask, *, max_seconds: float | None = None, batch: int = CLAIM_BATCH) -> Report:
    """Send every message that is due, each exactly once; claims no new batch after max_seconds."""
    report = Report()
    lease = app.config["MAIL_LEASE_SECONDS"]
    # A send must end (or time out) and be recorded while its lease holds. smtplib's timeout bounds
    # each exchange (connect, STARTTLS, login, the message), not the whole send, so a send is allowed
    # SMTP_EXCHANGES of them, and a quarter of the lease is kept for recording the outcome.
    timeout = min(app.config["SMTP_TIMEOUT"], lease / (4 * SMTP_EXCHANGES))
    start_within = lease - SMTP_EXCHANGES * timeout - lease / 4
    started = time.monotonic()
    while max_seconds is None or time.monotonic() - started < max_seconds:
        claimed_at = time.monotonic()
        token, rows = _claim(app, batch, timedelta(seconds=lease))
        if not rows:
            break
        for index, row in enumerate(rows):
            if time.monotonic() - claimed_at > start_within:
                report.released += _release(app, token, [r.id for r in rows[index:]])
                break
            try:
                deliver(app, row.to_address, row.subject, row.body, timeout=timeout)
            except Exception as error:  # noqa: BLE001  (any failure of one message is that message's)
                _record_failure(app, token, row, error, report)
            else:
                _record_sent(app, token, row.id)
                report.sent += 1
    return report


def _claim(app: Flask, batch: int, lease: timedelta) -> tuple[str, list]:
    """Lease up to batch due messages to this drainer (and drop void and long-failed rows on the way)."""
    now = utcnow()
    token = secrets.token_hex(16)
    with app.app_context(), writing():
        db.session.execute(
            sa.delete(MailMessage).where(
                sa.or_(
                    MailMessage.status == "void",
                    sa.and_(MailMessage.status == "failed", MailMessage.created_at < now - KEEP_FAILED),
                )
            )
        )
        due = (
            sa.select(MailMessage.id)
            .where(
                MailMessage.status == "pending",
                MailMessage.next_attempt_at <= now,
                sa.or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until < now),
            )
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        ids = list(db.session.scalars(due))
        rows = []
        if ids:
            db.session.execute(
                sa.update(MailMessage)
                .where(MailMessage.id.in_(ids))
                .values(claimed_until=now + lease, claim=token)
                .execution_options(synchronize_session=False)
            )
            rows = db.session.execute(
                sa.select(
                    MailMessage.id, MailMessage.to_address, MailMessage.subject, MailMessage.body, MailMessage.attempts
                )
                .where(MailMessage.id.in_(ids), MailMessage.claim == token)
                .order_by(MailMessage.id)
            ).all()
        commit_batch()
    return token, rows


def _record_sent(app: Flask, token: str, message_id: int) -> None:
    with app.app_context(), writing():
        db.session.execute(sa.delete(MailMessage).where(MailMessage.id == message_id, MailMessage.claim == token))
        commit_batch()


def _record_failure(app: Flask, token: str, row, error: Exception, report: Report) -> None:
    """Retry later with backoff; after MAX_ATTEMPTS keep the row as failed, its body (and link) cleared."""
    attempts = row.attempts + 1
    values: dict = {"attempts": attempts, "claim": None, "claimed_until": None}
    if attempts >= MAX_ATTEMPTS:
        values.update(status="failed", body="")
        report.failed += 1
    else:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP))
        report.retried += 1
    # The error's class only: SMTP errors can quote the recipient's address.
    log.warning("mail %d not sent (attempt %d): %s", row.id, attempts, type(error).__name__)
    with app.app_context(), writing():
        db.session.execute(
            sa.update(MailMessage).where(MailMessage.id == row.id, MailMessage.claim == token).values(**values)
        )
        commit_batch()


def _release(app: Flask, token: str, ids: list[int]) -> int:
    with app.app_context(), writing():
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id.in_(ids), MailMessage.claim == token)
            .values(claim=None, claimed_until=None)
        )
        commit_batch()
    return len(ids)


def outbox() -> list[SentMail]:
    """Mail the memory backend has delivered, after draining the outbox (tests read links from it)."""
    app = current_app._get_current_object()
    if app.config["MAIL_BACKEND"] == "memory":
        drain(app)
    return app.extensions.setdefault("attune.outbox", [])
