"""The therapist's view: couples they're linked to, within what both partners consented to."""

from flask import Blueprint

bp = Blueprint("therapist", __name__, url_prefix="/therapist")

from blueprints.therapist import routes  # noqa: E402,F401  (routes attach themselves to bp)
