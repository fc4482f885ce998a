"""Who each blueprint's pages are for: one rule, checked before any view runs.

A partner page opened by a therapist account takes them to their own home,
the dashboard; any other request of theirs to it (a form post) is a 404. A
therapist page is a 404 for anyone else, and one about a couple (a link_id in
its path) resolves the therapist's link and the scope both partners allow
once, here, into g.access: every read of that couple's data takes it as an
argument and checks its scope (services.access.therapist).
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_login import current_user, login_required

from services.access import therapist as therapist_access


def partners_only(bp: Blueprint, *, therapist_views: Collection[str] = ()) -> None:
    """Every view of bp needs a logged-in partner, except the therapist_views (by view name), which need a
    therapist with a live link to the couple."""
    therapist_endpoints = frozenset(f"{bp.name}.{view}" for view in therapist_views)

    @bp.before_request
    @login_required
    def check_reader():
        if request.endpoint in therapist_endpoints:
            return _therapist_reader()
        return _partner_reader()


def therapists_only(bp: Blueprint) -> None:
    """Every view of bp needs a logged-in therapist, and a live link to the couple it names."""

    @bp.before_request
    @login_required
    def check_reader():
        return _therapist_reader()


def _partner_reader():
    if current_user.is_therapist:
        if request.method == "GET":
            return redirect(url_for("therapist.dashboard"))
        abort(404)
    return None


def _therapist_reader():
    if not current_user.is_therapist:
        abort(404)
    link_id = (request.view_args or {}).get("link_id")
    if link_id is not None:
        g.access = therapist_access.resolve(current_user, link_id)
    return None
