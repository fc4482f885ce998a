"""The loop itself: today's prompt, answering, the reveal, reflecting, history."""

from flask import Blueprint

bp = Blueprint("prompts", __name__)

from blueprints.prompts import routes  # noqa: E402,F401  (routes attach themselves to bp)
