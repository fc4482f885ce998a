"""The base of every form, and helpers every blueprint's forms share."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from services.common.text import unstorable
from services.delivery import clock

UNSTORABLE = (
    "This contains a character that can't be stored (NUL or half of a surrogate pair). Remove it and try again."
)


def _printable(value):
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return UNPRINTABLE.sub("\ufffd", value) if isinstance(value, str) else value


UNPRINTABLE = re.compile("[\ud800-\udfff]")


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
                # The page shows the text again for correcting; the one character no page can carry either
                # (half a surrogate pair, which only a JSON body can deliver) shows as a replacement mark.
                field.data = _printable(field.data)
                field.raw_data = [_printable(value) for value in field.raw_data or []]
        return valid


class RetryableForm(Form):
    """A form whose page sends an idempotency key with it, so posting it again (a retry, a second tap) changes
    nothing: the template writes the hidden input, marked data-idempotency-key."""

    client_key = HiddenField()


def text_field(
    label: str,
    limit: int,
    *,
    rows: int | None = None,
    required: str | None = None,
    optional: bool = False,
    **kwargs,
) -> StringField:
    """A field of free text up to limit characters, the browser holding it to the same limit: a box of rows
    lines, or one line when rows is None.

    required is what to say when it is left empty; optional lets it be empty (and skips its other checks
    then); with neither, the service says what empty means. The one text check is Form's, on every field.
    """
    validators = [InputRequired(required)] if required else [Optional()] if optional else []
    validators.append(Length(max=limit))
    if rows is None:
        return StringField(
            label, validators=validators, render_kw={"maxlength": limit, "autocomplete": "off"}, **kwargs
        )
    return TextAreaField(label, validators=validators, render_kw={"maxlength": limit, "rows": rows}, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the form macro like a radio group)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TimezoneField(StringField):
    """A time zone typed into a searchable picker (the `timezone_field` macro): any IANA name, forgiving case and
    spaces, or a city alone when it names one zone. Refused input stays in the box with the reason beside it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form) -> None:
        typed = (self.data or "").strip()
        if not typed:
            raise ValidationError("Choose your time zone: start typing a city, such as Paris or New York.")
        found = clock.match_timezone(typed)
        if found is None:
            raise ValidationError(
                f"We don't know the time zone \u201c{typed}\u201d. Pick one from the list, such as Europe/Paris."
            )
        self.data = found

    def suggestions(self) -> list[str]:
        """The zones offered before any script runs: those of the same area as the current value."""
        return clock.zones_near(clock.match_timezone(self.data or "") or "")
