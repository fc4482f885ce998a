"""The private journal: my entries (mine alone), the ones my partner shared with me, and a therapist's shared ones."""

from flask import Blueprint

bp = Blueprint("journal", __name__)

from blueprints.journal import routes  # noqa: E402,F401  (routes attach themselves to bp)
