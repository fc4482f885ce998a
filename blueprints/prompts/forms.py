"""Forms of the answer and reflect loop."""

from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from blueprints.forms import Form, RetryableForm, text_field
from services.conversation.conversation import ANSWER_MAX, REFLECTION_MAX


class AnswerForm(RetryableForm):
    body = text_field(
        "Your answer", ANSWER_MAX, rows=7, description="Only you can see this until you've both answered."
    )


class ReflectionForm(RetryableForm):
    body = text_field("What you heard", REFLECTION_MAX, rows=5)


class ResponseForm(Form):
    response = RadioField(
        "Did that reflection leave you feeling heard?",
        choices=[SelectChoice("heard", "I feel heard"), SelectChoice("partly", "Partly \u2014 here's what I'd add")],
        validators=[InputRequired("Choose one.")],
    )
    addition = text_field("What you'd add (if partly)", REFLECTION_MAX, rows=3)


class CloseForm(Form):
    """Only CSRF: closing a conversation needs no fields."""
