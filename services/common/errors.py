"""Errors that services raise and routes turn into pages or JSON."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the request; message is safe to show to the person who made it."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    status = 404

    def __init__(self, message: str = "We couldn't find that.", **kwargs):
        super().__init__(message, **kwargs)


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422
