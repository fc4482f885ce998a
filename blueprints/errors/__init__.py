"""Errors in one place: friendly pages for people, JSON for the API, the session rolled back."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from extensions import db
from services.common.errors import ServiceError

FRIENDLY = {
    400: ("That didn't work", "Something about that request wasn't right. Go back and try again."),
    403: ("Not yours to see", "You don't have access to this page."),
    404: ("We couldn't find that", "The page may have moved, or the link may be incomplete."),
    405: ("That didn't work", "This page can't be used that way."),
    409: ("That has changed", "Something changed in the meantime. Go back and look again."),
    410: ("That's no longer available", "This link has expired or was already used."),
    413: ("That's too big", "What you sent is larger than Attune accepts."),
    422: ("Please check what you entered", "Something in the form needs another look."),
    429: ("Let's slow down a little", "There have been too many attempts. Wait a minute, then try again."),
    500: ("Something went wrong on our side", "Your words are safe. Please try again in a moment."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _json(code: int, name: str, message: str, errors: dict | None = None):
    payload = {"code": code, "status": name, "message": message}
    if errors:
        payload["errors"] = errors
    return payload, code


def _page(code: int, message: str | None = None):
    title, default_message = FRIENDLY.get(code, FRIENDLY[400] if code < 500 else FRIENDLY[500])
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def _by_field(messages) -> dict | None:
    """Input problems by field name, as the API documents them.

    webargs reports them by location first ({"json": {"body": [...]}},
    {"query": {"page": [...]}}); a location whose problem is the whole input
    ({"json": ["Invalid JSON body."]}) keeps the location as its key.
    """
    if not isinstance(messages, dict):
        return None
    by_field: dict = {}
    for location, problems in messages.items():
        if isinstance(problems, dict):
            for name, field_problems in problems.items():
                by_field.setdefault(name, [])
                by_field[name] += field_problems if isinstance(field_problems, list) else [field_problems]
        else:
            by_field[location] = problems if isinstance(problems, list) else [problems]
    return by_field or None


def _first_text(problems) -> str | None:
    """The first problem written out (validation messages are written for the person)."""
    if isinstance(problems, str):
        return problems
    values = problems.values() if isinstance(problems, dict) else problems if isinstance(problems, list) else ()
    for value in values:
        text = _first_text(value)
        if text:
            return text
    return None


def handle_http_exception(error: HTTPException):
    """HTTP errors: JSON under /api/, friendly pages elsewhere; the generic text never echoes input."""
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if wants_json():
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or _by_field(data.get("messages"))
        message = data.get("message") or (_first_text(errors) if code in (400, 422) else None)
        message = message or FRIENDLY.get(code, FRIENDLY[400] if code < 500 else FRIENDLY[500])[1]
        response = _json(code, error.name, message, errors)
        # Keep the exception's own headers (such as Allow on a 405), but not its HTML content type.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return (*response, headers) if headers else response
    return _page(code)


def handle_csrf_error(error: CSRFError):
    message = "Your session expired or the form was stale. Reload the page and try again; what you typed is kept on this device."
    if wants_json():
        return _json(
            400,
            "Bad Request",
            "Missing or invalid CSRF token: send the token from GET /api/v1/me in the X-CSRFToken header.",
        )
    return _page(400, message)


def handle_service_error(error: ServiceError):
    """A business rule said no outside a form; its message is written for the person."""
    db.session.rollback()
    if wants_json():
        errors = {error.field: [error.message]} if error.field else None
        name = {404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}.get(error.status, "Bad Request")
        return _json(error.status, name, error.message, errors)
    return _page(error.status, error.message)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(ServiceError, handle_service_error)
