"""Helpers the templates share: dates in words, the coach rules, the form macro's error lookup."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_wtf.csrf import generate_csrf

from services import coach


def when(moment: datetime | None) -> str:
    """A short, calm date such as '25 Nov 2026'."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y}"


def init_app(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_global(coach.rules_json, "coach_rules_json")
    app.add_template_global(generate_csrf, "csrf_token")
