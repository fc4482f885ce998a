"""Sensitive actions need a recent password check (SECURITY.md FRESH)."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from extensions import login_manager
from services.accounts import accounts


def fresh_login_required(view):
    """Send the person to confirm their password first unless they logged in or confirmed within a few minutes.

    Routes protected this way are reached by GET first (a page or a download),
    so after confirming, the person comes straight back to where they were.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not accounts.is_fresh(current_user):
            if request.path.startswith("/api/"):
                abort(401)
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("auth.confirm_password", next=target))
        return view(*args, **kwargs)

    return wrapped
