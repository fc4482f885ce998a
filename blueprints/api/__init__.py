"""The JSON API (/api/v1) for the PWA's offline sync and future clients; documented by flask-smorest."""

import typing

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from security import UnacceptableJSON, strict_loads


class StrictParser(FlaskParser):
    """Request bodies read with the app's strict JSON limits, and refusals that say what was wrong."""

    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        return strict_loads(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        reason = error.reason if isinstance(error, UnacceptableJSON) else "Invalid JSON body."
        abort(400, exc=error, messages={"json": [reason]})


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()


bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="The answer, reveal and reflect loop. Session cookie authentication; "
    "state-changing requests carry the CSRF token (from GET /me) in the X-CSRFToken header.",
)

from blueprints.api import journal, routes  # noqa: E402,F401  (routes attach themselves to bp)
