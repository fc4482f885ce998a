"""Therapist forms."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from blueprints.forms import Form
from services.common.text import ANSWER_MAX


class AssignmentForm(Form):
    prompt_id = SelectField("A prompt from the library", choices=[], validate_choice=False)
    text = TextAreaField(
        "Or write your own",
        validators=[Length(max=ANSWER_MAX)],
        render_kw={"maxlength": ANSWER_MAX, "rows": 3},
    )
    note = StringField(
        "A note to the couple (optional)",
        validators=[Length(max=500)],
        description="For example: \u201cTry this before Thursday.\u201d",
        render_kw={"maxlength": 500},
    )

    def set_library(self, prompts) -> None:
        depth = {1: "light", 2: "medium", 3: "deep"}
        self.prompt_id.choices = [SelectChoice("", "\u2014 none \u2014")] + [
            SelectChoice(p.id, f"{p.theme.name} \u00b7 {depth[p.depth]}: {p.text}") for p in prompts
        ]


class NoteForm(Form):
    body = TextAreaField(
        "Private note",
        validators=[Length(max=5000)],
        description="Only you can read these notes.",
        render_kw={"maxlength": 5000, "rows": 3},
    )
