"""The weekly check-in form; services.checkins.checkins decides what is valid, so the messages live in one place."""

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from blueprints.forms import Form
from services.checkins.checkins import FEELING_MAX, FIELDS, SCALE_MAX, SCALE_MIN, TEXT_MAX

SCALE = [SelectChoice(str(n), str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)]


class CheckInForm(Form):
    # Ten radio buttons, laid out as a grid of 44px targets: one tap on a phone, no keyboard to summon.
    connection = RadioField(
        "How connected did you feel this week?",
        choices=SCALE,
        validate_choice=False,
        description="1 is not at all, 10 is completely.",
    )
    safety = RadioField(
        "How safe did you feel to be open?",
        choices=SCALE,
        validate_choice=False,
        description="1 is not at all, 10 is completely.",
    )
    feeling = StringField(
        "One word for how you feel",
        description="For example: hopeful, tired, let down.",
        render_kw={"maxlength": FEELING_MAX, "autocomplete": "off"},
    )
    appreciation = TextAreaField(
        "One thing you appreciated",
        render_kw={"maxlength": TEXT_MAX, "rows": 3},
    )
    need = TextAreaField(
        "One thing you need",
        render_kw={"maxlength": TEXT_MAX, "rows": 3},
    )

    def values(self) -> dict:
        return {name: self[name].data for name in FIELDS}
