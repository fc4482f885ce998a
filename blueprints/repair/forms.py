"""Forms of repair conversations and commitments; every word a person reads here is ours, warm and plain."""

from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from blueprints.forms import Form
from services.common.text import ANSWER_MAX
from services.repair.commitments import NOTE_MAX, TEXT_MAX
from services.repair.conversations import TOPIC_MAX


class AskForm(Form):
    role = RadioField(
        "What would you like?",
        choices=[
            SelectChoice("speaker", "Something hurt me, and I'd like us to talk about it"),
            SelectChoice("listener", "I think something I did hurt you, and I'd like to listen"),
        ],
        default="speaker",
        validators=[InputRequired("Choose one.")],
    )
    topic = StringField(
        "A few words about it (optional)",
        validators=[Optional(), Length(max=TOPIC_MAX)],
        description="Only you see these until the first step is shared. Your partner hears only that you've asked.",
        render_kw={"maxlength": TOPIC_MAX, "autocomplete": "off"},
    )
    client_key = HiddenField()


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


class WordsForm(Form):
    """One text step (1, 2 and 4): the label and hint are set per step by the template's caller."""

    body = TextAreaField(
        "Your words", validators=[Length(max=ANSWER_MAX)], render_kw={"maxlength": ANSWER_MAX, "rows": 7}
    )
    action = HiddenField()
    client_key = HiddenField()


class RespondForm(Form):
    response = RadioField(
        "Did that leave you feeling heard?",
        choices=[SelectChoice("heard", "I feel heard"), SelectChoice("partly", "Partly \u2014 here's what I'd add")],
        validators=[InputRequired("Choose one.")],
    )
    addition = TextAreaField(
        "What you'd add (if partly)",
        validators=[Length(max=ANSWER_MAX)],
        render_kw={"maxlength": ANSWER_MAX, "rows": 4},
    )
    client_key = HiddenField()


class NeedForm(Form):
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
    body = TextAreaField(
        "In your own words (optional)",
        validators=[Length(max=ANSWER_MAX)],
        render_kw={"maxlength": ANSWER_MAX, "rows": 4},
    )
    client_key = HiddenField()


class AnswerNeedForm(Form):
    answer = RadioField(
        "How would you like to answer?",
        choices=[
            SelectChoice("words", "With words of reassurance"),
            SelectChoice("commitment", "With a commitment: something I'll do"),
            SelectChoice("time", "I need time to think about this, and I'll come back to it"),
        ],
        validators=[InputRequired("Choose one.")],
    )
    body = TextAreaField(
        "Your words",
        description="For time: say when you'll come back to it, such as \u201cby Sunday evening\u201d.",
        validators=[Length(max=ANSWER_MAX)],
        render_kw={"maxlength": ANSWER_MAX, "rows": 4},
    )
    commitment = StringField(
        "Your commitment (if you chose one)",
        description="Small, concrete, something your partner could see you do.",
        validators=[Length(max=TEXT_MAX)],
        render_kw={"maxlength": TEXT_MAX, "autocomplete": "off"},
    )
    client_key = HiddenField()


class ActionForm(Form):
    """Only CSRF: accepting, stepping away, coming back, closing, retiring."""


class CommitmentForm(Form):
    text = StringField(
        "Your commitment",
        description="Small and concrete, in your own words: \u201cWhen I'm going to be late I'll text before the "
        "time, not after.\u201d",
        validators=[InputRequired("Write your commitment first."), Length(max=TEXT_MAX)],
        render_kw={"maxlength": TEXT_MAX, "autocomplete": "off"},
    )
    client_key = HiddenField()


class MomentForm(Form):
    on = DateField("When", validators=[Optional()], description="Today, unless you choose another day.")
    note = StringField(
        "A line about it (optional)",
        validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw={"maxlength": NOTE_MAX, "autocomplete": "off"},
    )
    client_key = HiddenField()
