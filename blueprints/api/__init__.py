"""The JSON API (/api/v1) for the PWA's offline sync and future clients; documented by flask-smorest."""

from flask_smorest import Blueprint

bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="The answer, reveal and reflect loop. Session cookie authentication; "
    "state-changing requests carry the CSRF token (from GET /me) in the X-CSRFToken header.",
)

from blueprints.api import routes  # noqa: E402,F401  (routes attach themselves to bp)
