"""Settings: the couple's schedule and depth, my notifications, my devices."""

from flask import Blueprint

bp = Blueprint("settings", __name__)

from blueprints.settings import routes  # noqa: E402,F401  (routes attach themselves to bp)
