"""Therapist forms."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from blueprints.forms import Form, text_field
from services.common.text import ANSWER_MAX


class AssignmentForm(Form):
    prompt_id = SelectField("A prompt from the library", choices=[], validate_choice=False)
    text = text_field("Or write your own", ANSWER_MAX, rows=3)
    theme_id = SelectField(
        "Its theme (for your own prompt)",
        choices=[],
        validate_choice=False,
        description="The couple gets that theme's listening guidance and sentence starters with it.",
    )
    depth = SelectField(
        "How deep it goes (for your own prompt)",
        choices=[SelectChoice("1", "Light"), SelectChoice("2", "Medium"), SelectChoice("3", "Deep")],
        default="1",
        description="It arrives once the couple's pace reaches this depth; until then it waits, and you'll see why.",
    )
    note = StringField(
        "A note to the couple (optional)",
        validators=[Length(max=500)],
        description="For example: \u201cTry this before Thursday.\u201d",
        render_kw={"maxlength": 500},
    )

    def set_library(self, prompts, themes=()) -> None:
        depth = {1: "light", 2: "medium", 3: "deep"}
        self.prompt_id.choices = [SelectChoice("", "\u2014 none \u2014")] + [
            SelectChoice(p.id, f"{p.theme.name} \u00b7 {depth[p.depth]}: {p.text}") for p in prompts
        ]
        self.theme_id.choices = [SelectChoice("", "\u2014 choose a theme \u2014")] + [
            SelectChoice(t.id, t.name) for t in themes
        ]


class NoteForm(Form):
    body = text_field("Private note", 5000, rows=3, description="Only you can read these notes.")


class FocusForm(Form):
    stage = SelectField(
        "The stage to lean toward",
        choices=[
            SelectChoice("", "Follow the couple's conversations"),
            SelectChoice("1", "1. Steadiness"),
            SelectChoice("2", "2. Deepening"),
            SelectChoice("3", "3. Repair and a new story"),
        ],
        description="Most of the couple's prompts come from this stage's themes; others still appear.",
    )
