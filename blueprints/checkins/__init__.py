"""The weekly check-in: rate the week, sealed until both have answered, then side by side and charted."""

from flask import Blueprint

bp = Blueprint("checkins", __name__)

from blueprints.checkins import routes  # noqa: E402,F401  (routes attach themselves to bp)
