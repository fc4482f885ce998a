"""Pairing: start a couple, invite, join, set depth, leave."""

from flask import Blueprint

bp = Blueprint("couple", __name__)

from blueprints.couple import first_run, routes  # noqa: E402,F401  (routes attach themselves to bp)
