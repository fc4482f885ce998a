"""Journal forms; services.journal.journal decides what is valid, so the messages live in one place."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from blueprints.forms import Form
from models.journal import JOURNAL_MAX
from services.journal.journal import SEARCH_MAX, TAG_WORDS

TAG_CHOICES = [SelectChoice("", "No tag"), *(SelectChoice(key, words) for key, words in TAG_WORDS.items())]


class EntryForm(Form):
    body = TextAreaField(
        "What's on your mind",
        description="Only you can read this, unless you choose to share this one entry.",
        render_kw={"maxlength": JOURNAL_MAX, "rows": 6},
    )
    tag = RadioField("Tag it (if you like)", choices=TAG_CHOICES, default="", validate_choice=False)
    client_key = HiddenField(render_kw={"data-idempotency-key": True})


class SearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(
        "Search your entries", validators=[Optional()], render_kw={"maxlength": SEARCH_MAX, "type": "search"}
    )
    tag = RadioField("Show", choices=[SelectChoice("", "Every entry"), *TAG_CHOICES[1:]], validate_choice=False)


class ReflectionForm(Form):
    body = TextAreaField(
        "What I heard",
        description="Try: It sounds like you felt \u2026 Did I get that right?",
        render_kw={"rows": 3},
    )


class ResponseForm(Form):
    response = StringField(validators=[Optional()])
    addition = TextAreaField("What I'd add", validators=[Optional()], render_kw={"rows": 3})


class TherapistShareForm(Form):
    link_id = IntegerField(validators=[Optional()])
