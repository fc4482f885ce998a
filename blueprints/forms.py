"""Helpers every blueprint's forms share."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from services.errors import ServiceError


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
