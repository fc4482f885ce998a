"""Pairing forms."""

from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints.forms import Form

DEPTH_CHOICES = [
    SelectChoice("1", "Light — easy, everyday questions"),
    SelectChoice("2", "Medium — real feelings and memories"),
    SelectChoice("3", "Deep — the hurt, the fears, the hardest things"),
]


class JoinCodeForm(Form):
    code = StringField(
        "Invite code",
        validators=[DataRequired("Enter the code your partner gave you."), Length(max=20)],
        description="8 letters and numbers, like ABCD-2345.",
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )


class DepthForm(Form):
    max_depth = RadioField("How deep can prompts go for you?", choices=DEPTH_CHOICES, validators=[InputRequired()])


class LeaveForm(Form):
    confirm = BooleanField(
        "I understand this ends our couple for both of us",
        validators=[InputRequired("Tick the box to confirm.")],
    )


class StartCoupleForm(Form):
    """No fields beyond CSRF; the browser's time zone rides along when JavaScript is on."""

    timezone = StringField("Time zone", validators=[Length(max=64)])
