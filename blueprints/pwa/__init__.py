"""The app shell: health check (and, with the PWA work, manifest and service worker)."""

from flask import Blueprint

bp = Blueprint("pwa", __name__)

from blueprints.pwa import routes  # noqa: E402,F401  (routes attach themselves to bp)
