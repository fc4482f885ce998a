"""Pairing forms."""

from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from blueprints.forms import Form, MultiCheckboxField

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


class IntakeDepthForm(Form):
    """The first screen of the first run: my depth, Light unless I choose otherwise."""

    max_depth = RadioField(
        "How deep can prompts go for you?",
        choices=DEPTH_CHOICES,
        default="1",
        validators=[InputRequired("Choose one of the three.")],
        description="Only you see this. Your couple's prompts go no deeper than the more cautious choice of you two, "
        "and they start light whatever you choose. You can change it any time in Settings.",
    )


class IntakeAboutForm(Form):
    """The second screen: every question optional, every answer private to me."""

    reasons = MultiCheckboxField(
        "What brings you here?",
        choices=[
            SelectChoice("betrayal", "A betrayal or an affair"),
            SelectChoice("promises", "Broken promises"),
            SelectChoice("distance", "Growing apart"),
            SelectChoice("hard-season", "A hard season"),
            SelectChoice("other", "Something else"),
        ],
        validators=[Optional()],
        description="Choose any that fit, or none.",
    )
    sees_therapist = RadioField(
        "Do you see a couples therapist?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[Optional()],
    )
    feels_safe = RadioField(
        "Do you feel safe with your partner?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No"), SelectChoice("unsure", "I'm not sure")],
        validators=[Optional()],
        description="Only you will ever see this answer.",
    )
