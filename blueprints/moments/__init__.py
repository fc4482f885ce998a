"""Hard moments: the regulation page, reaching out for reassurance, and answering a partner who did."""

from flask import Blueprint

bp = Blueprint("moments", __name__)

from blueprints.moments import routes  # noqa: E402,F401  (routes attach themselves to bp)
