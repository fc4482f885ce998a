"""Repair conversations and commitments: asking, the six steps, "I did this" and "I noticed"."""

from flask import Blueprint

bp = Blueprint("repair", __name__)

from blueprints.repair import routes  # noqa: E402,F401  (routes attach themselves to bp)
