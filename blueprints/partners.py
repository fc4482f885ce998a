"""The one rule for partner-only blueprints: a therapist account has no partner pages."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required


def partners_only(bp: Blueprint) -> None:
    """Every view of bp needs a logged-in partner. A therapist opening one of its pages is taken to their own
    home, the dashboard; any other request from a therapist (a form post, an API call) is a 404."""

    @bp.before_request
    @login_required
    def require_partner():
        if current_user.is_therapist:
            if request.method == "GET":
                return redirect(url_for("therapist.dashboard"))
            abort(404)
