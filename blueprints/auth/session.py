"""Binding Flask-Login to server-side login sessions."""

from __future__ import annotations

from flask import abort, redirect, request, session, url_for
from flask_login import login_user

from blueprints import link_tokens
from blueprints.auth import known_device
from extensions import db
from models import User
from services.accounts import accounts


def load_user(token: str) -> User | None:
    """Flask-Login's loader: the cookie holds a login-session token, checked against the database."""
    return accounts.load_login_session(token)


def log_in(user: User) -> None:
    """Start a brand-new session for user (never reusing one from before the login), on a now-known device.

    Only an invite being followed survives the reset, so logging in from an invite page leads back to it.
    """
    invite = link_tokens.held("invite")
    session.clear()
    if invite is not None:
        link_tokens.hold("invite", invite)
    accounts.begin_login_session(user)
    db.session.commit()
    session.permanent = True
    login_user(user)
    known_device.remember(user)


def unauthorized():
    """Not logged in: 401 JSON for the API, the login page (coming back here after) for people."""
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
