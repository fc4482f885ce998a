"""Forms of repair conversations and commitments; every word a person reads here is ours, warm and plain."""

from wtforms import DateField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from blueprints.forms import Form, RetryableForm, text_field
from services.common.text import ANSWER_MAX
from services.repair.commitments import NOTE_MAX, TEXT_MAX
from services.repair.conversations import TOPIC_MAX


class AskForm(RetryableForm):
    role = RadioField(
        "What would you like?",
        choices=[
            SelectChoice("speaker", "Something hurt me, and I'd like us to talk about it"),
            SelectChoice("listener", "I think something I did hurt you, and I'd like to listen"),
        ],
        default="speaker",
        validators=[InputRequired("Choose one.")],
    )
    topic = text_field(
        "A few words about it (optional)",
        TOPIC_MAX,
        optional=True,
        description="Only you see these until the first step is shared. Your partner hears only that you've asked.",
    )


class NotYetForm(Form):
    when = RadioField(
        "Not yet. When might suit you? (optional)",
        choices=[
            SelectChoice("", "I'm not sure yet"),
            SelectChoice("later", "Later today"),
            SelectChoice("evening", "This evening"),
            SelectChoice("tomorrow", "Tomorrow"),
            SelectChoice("weekend", "At the weekend"),
        ],
        default="",
        validators=[Optional()],
    )


class WordsForm(RetryableForm):
    """One text step (1, 2 and 4): the label and hint are set per step by the template's caller."""

    body = text_field("Your words", ANSWER_MAX, rows=7)
    action = HiddenField()


class RespondForm(RetryableForm):
    response = RadioField(
        "Did that leave you feeling heard?",
        choices=[SelectChoice("heard", "I feel heard"), SelectChoice("partly", "Partly \u2014 here's what I'd add")],
        validators=[InputRequired("Choose one.")],
    )
    addition = text_field("What you'd add (if partly)", ANSWER_MAX, rows=4)


class NeedForm(RetryableForm):
    need = RadioField(
        "What do you need now?",
        choices=[
            SelectChoice("reassurance", "Reassurance"),
            SelectChoice("change", "A specific change"),
            SelectChoice("time", "Time"),
            SelectChoice("nothing", "Nothing yet"),
        ],
        validators=[InputRequired("Choose one. \u201cNothing yet\u201d is a fine answer.")],
    )
    body = text_field("In your own words (optional)", ANSWER_MAX, rows=4)


class AnswerNeedForm(RetryableForm):
    answer = RadioField(
        "How would you like to answer?",
        choices=[
            SelectChoice("words", "With words of reassurance"),
            SelectChoice("commitment", "With a commitment: something I'll do"),
            SelectChoice("time", "I need time to think about this, and I'll come back to it"),
        ],
        validators=[InputRequired("Choose one.")],
    )
    body = text_field(
        "Your words",
        ANSWER_MAX,
        rows=4,
        description="For time: say when you'll come back to it, such as \u201cby Sunday evening\u201d.",
    )
    commitment = text_field(
        "Your commitment (if you chose one)",
        TEXT_MAX,
        description="Small, concrete, something your partner could see you do.",
    )


class ActionForm(Form):
    """Only CSRF: accepting, stepping away, coming back, closing, retiring."""


class CommitmentForm(RetryableForm):
    text = text_field(
        "Your commitment",
        TEXT_MAX,
        required="Write your commitment first.",
        description="Small and concrete, in your own words: \u201cWhen I'm going to be late I'll text before the "
        "time, not after.\u201d",
    )


class MomentForm(RetryableForm):
    on = DateField("When", validators=[Optional()], description="Today, unless you choose another day.")
    note = text_field("A line about it (optional)", NOTE_MAX, optional=True)
