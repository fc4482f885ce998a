"""Forms of the answer and reflect loop."""

from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from blueprints.forms import Form
from services.conversation.conversation import ANSWER_MAX, REFLECTION_MAX


class AnswerForm(Form):
    body = TextAreaField(
        "Your answer",
        validators=[Length(max=ANSWER_MAX)],
        description="Only you can see this until you've both answered.",
        render_kw={"maxlength": ANSWER_MAX, "rows": 7},
    )
    client_key = HiddenField()


class ReflectionForm(Form):
    body = TextAreaField(
        "What you heard",
        validators=[Length(max=REFLECTION_MAX)],
        render_kw={"maxlength": REFLECTION_MAX, "rows": 5},
    )
    client_key = HiddenField()


class ResponseForm(Form):
    response = RadioField(
        "Did that reflection leave you feeling heard?",
        choices=[SelectChoice("heard", "I feel heard"), SelectChoice("partly", "Partly \u2014 here's what I'd add")],
        validators=[InputRequired("Choose one.")],
    )
    addition = TextAreaField(
        "What you'd add (if partly)",
        validators=[Length(max=REFLECTION_MAX)],
        render_kw={"maxlength": REFLECTION_MAX, "rows": 3},
    )


class CloseForm(Form):
    """Only CSRF: closing a conversation needs no fields."""
