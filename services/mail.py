"""Outgoing email: SMTP in production, files in instance/outbox for local development, memory in tests."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


@dataclass(frozen=True)
class SentMail:
    to: str
    subject: str
    body: str


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def outbox() -> list[SentMail]:
    """Mail kept by the memory backend (tests read links from it)."""
    return current_app.extensions.setdefault("attune.outbox", [])


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text email through the configured backend; never logs its content."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(SentMail(to, subject, body))
    elif backend == "console":
        folder = Path(current_app.instance_path) / "outbox"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{stamp}.eml"
        path.write_bytes(bytes(_message(to, subject, body)))
        current_app.logger.warning("Development mail saved to %s", path)
    elif backend == "smtp":
        config = current_app.config
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(_message(to, subject, body))
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")
