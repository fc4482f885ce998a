"""Helpers the templates share: dates in words, the coach rules, the form macro's error lookup."""
from __future__ import annotations

from datetime import datetime

from functools import lru_cache

from flask import Flask
from markupsafe import escape
from flask_wtf.csrf import generate_csrf

from services import coach


def when(moment: datetime | None) -> str:
    """A short, calm date such as '25 Nov 2026'."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y}"


@lru_cache(maxsize=1)
def coach_rules_attribute() -> str:
    """The coach's rules, escaped once for an HTML attribute (they are constant, and large)."""
    return escape(coach.rules_json())


def init_app(app: Flask) -> None:
    app.add_template_filter(when, "when")
    app.add_template_global(coach_rules_attribute, "coach_rules_json")
    app.add_template_global(generate_csrf, "csrf_token")
