"""Response headers that keep pages private and the browser strict (SECURITY.md HEADERS), and the limits
on what a request may carry (SECURITY.md INPUT): a body size cap (MAX_CONTENT_LENGTH), JSON of bounded
depth and numbers, and path and query arguments that can be stored. Text fields are checked one by one
by services.common.text, through the forms' base class and the API's schemas, so each refusal names its field."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask, Response, abort, request
from flask.json.provider import DefaultJSONProvider

from services.common.text import unstorable

JSON_MAX_DEPTH = 16
JSON_MAX_NUMBER_LENGTH = 24  # far past any id, score or count; Python's int() refuses 4,300+ digits with a 500

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

# Static files may be cached; everything else can carry personal content.
CACHEABLE_PREFIXES = ("/static/",)


def secure_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if production:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    # The app shell's routes (blueprint "pwa": manifest, service worker, offline page) serve nothing
    # personal and may set their own Cache-Control; every other view's is replaced.
    if not request.path.startswith(CACHEABLE_PREFIXES) and not (
        request.blueprint == "pwa" and "Cache-Control" in headers
    ):
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Vary", "Cookie")
    return response


class UnacceptableJSON(json.JSONDecodeError):
    """A body that parses but that Attune refuses: too deep, an outsized number, or an unstorable string.

    A JSONDecodeError, so every JSON reader (Flask's and the API's argument parser) turns it into a 400.
    """

    def __init__(self, reason: str):
        super().__init__(reason, "(refused)", 0)  # webargs reads an empty doc as "no body"
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _number(text: str, parse):
    if len(text) > JSON_MAX_NUMBER_LENGTH:
        raise UnacceptableJSON(f"A number in the body is longer than {JSON_MAX_NUMBER_LENGTH} characters.")
    value = parse(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise UnacceptableJSON("Numbers in the body must be finite.")
    return value


def _refuse_constant(name: str):
    raise UnacceptableJSON(f"{name} is not a number Attune accepts.")


def _check_parsed(node: Any, depth: int = 1) -> None:
    if depth > JSON_MAX_DEPTH:
        raise UnacceptableJSON(f"The body is nested more than {JSON_MAX_DEPTH} levels deep.")
    if isinstance(node, dict):
        for key, value in node.items():
            _check_parsed(key, depth + 1)
            _check_parsed(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _check_parsed(item, depth + 1)


def strict_loads(text: str | bytes) -> Any:
    """json.loads with Attune's limits; every refusal is an UnacceptableJSON (a JSONDecodeError) saying why."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise UnacceptableJSON("The body is not valid UTF-8.") from None
    try:
        parsed = json.loads(
            text,
            parse_int=lambda t: _number(t, int),
            parse_float=lambda t: _number(t, float),
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise UnacceptableJSON(f"The body is nested more than {JSON_MAX_DEPTH} levels deep.") from None
    _check_parsed(parsed)
    return parsed


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with strict_loads for everything a request carries."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


def refuse_unstorable_arguments() -> None:
    """A path or query argument no database can keep (NUL, a lone surrogate) names nothing: 404, or 400."""
    if any(isinstance(value, str) and unstorable(value) for value in (request.view_args or {}).values()):
        abort(404)
    if any(unstorable(value) for value in request.args.values()):
        abort(400)


def init_app(app: Flask) -> None:
    production = app.config["ATTUNE_ENV"] == "production"
    app.before_request(refuse_unstorable_arguments)
    app.json = StrictJSONProvider(app)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        return secure_headers(response, production=production)
