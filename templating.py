"""Helpers the templates share: dates in words, the coach rules, the form macro's error lookup."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import Flask, current_app, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf


def when(moment: datetime | None) -> str:
    """A short, calm date such as '25 Nov 2026'."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y}"


def coach_rules_url() -> str:
    """Where the browser fetches the coach's rules: one static file, fetched once and cached, never in each page."""
    return url_for("static", filename="js/coach-rules.json")


def device_key() -> str:
    """Who the drafts on this device belong to, as a value never reused for another account.

    A database id can come back after an account is deleted (SQLite reuses the
    highest rowid), so the key also covers the account's creation time.
    """
    user = current_user
    message = f"{user.id}:{user.created_at.isoformat()}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()[:24]


def init_app(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_global(coach_rules_url, "coach_rules_url")
    app.add_template_global(generate_csrf, "csrf_token")
    app.add_template_global(device_key, "device_key")
