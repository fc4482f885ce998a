"""The demo's one-time sign-in links (`flask demo`): registered only outside production."""

from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")

from blueprints.demo import routes  # noqa: E402,F401  (routes attach themselves to bp)
