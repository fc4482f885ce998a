"""Settings forms."""

from wtforms import BooleanField, RadioField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from blueprints.forms import Form, MultiCheckboxField, TimezoneField
from services.delivery.clock import WEEKDAY_NAMES
from services.therapist.links import SCOPE_WORDS


def checked_days(mask: int) -> list[str]:
    """A couple's days (a bitmask, Monday = bit 0) as the days field's checked values."""
    return [str(i) for i in range(7) if mask & (1 << i)]


def days_mask(checked: list[str] | None) -> int:
    """The days field's checked values as the couple's bitmask."""
    return sum(1 << int(day) for day in checked or [])


class ScheduleForm(Form):
    timezone = TimezoneField("Our time zone", description="Prompts arrive by the clock of this zone, for you both.")
    delivery_time = TimeField(
        "Time of day",
        validators=[InputRequired("Choose a time.")],
        description="Both of you get the prompt at this time.",
    )
    cadence = RadioField(
        "How often",
        choices=[
            SelectChoice("daily", "Every day"),
            SelectChoice("weekdays", "Weekdays (Monday to Friday)"),
            SelectChoice("days", "On the days I choose"),
        ],
        validators=[InputRequired("Choose how often.")],
    )
    days = MultiCheckboxField(
        "Which days",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        description="Only used for \u201cOn the days I choose\u201d.",
    )


class NotificationSwitchesForm(Form):
    """Which notifications I get: yes/no switches, each saved the moment it changes (or with Save, without script)."""

    notify_new_prompt = BooleanField("A new prompt arrives")
    notify_partner_answered = BooleanField("My partner has answered (my turn)")
    notify_reveal = BooleanField("Our answers are revealed")
    notify_reflection = BooleanField("My partner reflected, or asked me to add something")
    notify_reminder = BooleanField("One gentle reminder if I haven't answered (at most once a day)")
    receive_reassurance = BooleanField(
        "My partner can ask me for reassurance in a hard moment",
        description="If you turn this off, your partner sees that it's off before they try, and nothing else.",
    )
    allow_urgent_reassurance = BooleanField(
        "Let an urgent request through my quiet hours",
        description="Only when your partner marks it urgent. Everything else still waits.",
    )
    discreet = BooleanField(
        "Discreet mode: show one neutral line only",
        description="Notifications then say \u201cYou have a new update\u201d and nothing else.",
    )


class QuietHoursForm(Form):
    """My time zone and quiet hours: notifications wait until my quiet hours end."""

    timezone = TimezoneField("My time zone")
    quiet_start = TimeField("Quiet hours from", validators=[Optional()])
    quiet_end = TimeField(
        "until", validators=[Optional()], description="Notifications wait until your quiet hours end."
    )


class NotificationsForm(NotificationSwitchesForm, QuietHoursForm):
    """Every notification setting in one post (what the page sent before the switches saved on their own)."""


class TimezoneForm(Form):
    """Only my time zone: the first run's (and a traveller's) one-tap confirmation of the phone's zone."""

    timezone = TimezoneField("My time zone")


class CheckinDayForm(Form):
    checkin_day = SelectField(
        "Our check-in day",
        choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)],
        validators=[InputRequired("Choose a day.")],
        description="The day the weekly check-in is suggested to you both. Any day of that week still works.",
    )


class TherapistCodeForm(Form):
    code = StringField(
        "Therapist's code",
        validators=[InputRequired("Enter the code your therapist gave you."), Length(max=20)],
        description="Nothing is shared until both of you have agreed, and only what you both agree to.",
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )


class ConsentForm(Form):
    scope = RadioField(
        "What may your therapist see?",
        choices=[SelectChoice(key, words) for key, words in SCOPE_WORDS.items()],
        validators=[InputRequired("Choose what your therapist may see.")],
        description="If you two choose differently, your therapist sees the narrower choice.",
    )


class PauseForm(Form):
    length = RadioField(
        "Pause prompts for",
        choices=[
            SelectChoice("day", "A day"),
            SelectChoice("week", "A week"),
            SelectChoice("resume", "Until I resume"),
        ],
        validators=[InputRequired("Choose how long.")],
    )
