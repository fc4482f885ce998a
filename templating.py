"""Helpers the templates share: dates in words, the coach rules, the form macro's error lookup."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from services.common import codes


def when(moment: datetime | None) -> str:
    """A short, calm date such as '25 Nov 2026'."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y}"


def _zone() -> ZoneInfo:
    """The signed-in person's own time zone (UTC when unknown)."""
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime | None, style: str = "datetime") -> str:
    """A moment in the person's own time zone: 'Mon 3 Dec, 19:00', or only the 'time' or the 'day'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    here = moment.astimezone(_zone())
    if style == "time":
        return f"{here:%H:%M}"
    if style == "day":
        return f"{here:%a} {here.day} {here:%b %Y}"
    return f"{here:%a} {here.day} {here:%b}, {here:%H:%M}"


def next_prompt(couple) -> str:
    """When the couple's next prompt arrives, in the person's time, as 'today 19:00' or 'Mon 19:00'; '' if not scheduled."""
    moment = getattr(couple, "next_delivery_at", None)
    if couple is None or moment is None or couple.ended_at is not None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if moment <= now:
        return ""
    zone = _zone()
    here, today = moment.astimezone(zone), now.astimezone(zone).date()
    if here.date() == today:
        return f"today {here:%H:%M}"
    if here.date() == today + timedelta(days=1):
        return f"tomorrow {here:%H:%M}"
    if here.date() < today + timedelta(days=7):
        return f"{here:%a} {here:%H:%M}"
    return f"{here:%a} {here.day} {here:%b}, {here:%H:%M}"


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
    app.add_template_filter(codes.as_code, "as_code")
    app.add_template_filter(local, "local")
    app.add_template_global(next_prompt, "next_prompt")
    app.add_template_global(coach_rules_url, "coach_rules_url")
    app.add_template_global(generate_csrf, "csrf_token")
    app.add_template_global(device_key, "device_key")
