"""The base of every form, and helpers every blueprint's forms share."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from services.common.errors import ServiceError
from services.common.text import unstorable

UNSTORABLE = (
    "This contains a character that can't be stored (NUL or half of a surrogate pair). Remove it and try again."
)


class Form(FlaskForm):
    """Every Attune form: Flask-WTF's CSRF, plus the one text check on every field it carries.

    A NUL typed into any field would otherwise reach the database, which PostgreSQL refuses with a 500.
    """

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(value, str) and unstorable(value) for value in values):
                field.errors = [*field.errors, UNSTORABLE]
                valid = False
        return valid


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
