"""Hard-moment forms; services.moments.reassurance decides what is valid."""

from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from blueprints.forms import Form
from models.moments import REASSURANCE_LINE_MAX


class ReachOutForm(Form):
    line = StringField(
        "A few words for your partner (if you like)",
        validators=[Optional()],
        description="For example: I'm having a hard moment about the trip. I need to hear that we're okay.",
        render_kw={"maxlength": REASSURANCE_LINE_MAX, "autocomplete": "off"},
    )
    urgent = BooleanField(
        "This is urgent",
        description="Only reaches them during their quiet hours if they've said urgent ones may.",
    )


class ReplyForm(Form):
    quick = StringField(validators=[Optional()])
    words = StringField(
        "Or in your own words",
        validators=[Optional()],
        render_kw={"maxlength": REASSURANCE_LINE_MAX, "autocomplete": "off"},
    )
