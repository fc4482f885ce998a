"""The weekly check-in form, with the CSI-4 every fourth week.

services.checkins.checkins decides what is valid, so the messages live in one place.
"""

from __future__ import annotations

from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from blueprints.forms import Form
from services.checkins.checkins import CSI_FIELDS, CSI_ITEMS, FEELING_MAX, FIELDS, SCALE_MAX, SCALE_MIN, TEXT_MAX

SCALE = [SelectChoice(str(n), str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)]
# The CSI-4's items and answer labels as published (Funk & Rogge 2007); the values are the scoring key.
HAPPINESS = [
    SelectChoice(str(value), label)
    for value, label in enumerate(
        ("Extremely unhappy", "Fairly unhappy", "A little unhappy", "Happy", "Very happy", "Extremely happy", "Perfect")
    )
]
TRUE_SCALE = [
    SelectChoice(str(value), label)
    for value, label in enumerate(
        (
            "Not at all true",
            "A little true",
            "Somewhat true",
            "Mostly true",
            "Almost completely true",
            "Completely true",
        )
    )
]
AMOUNT_SCALE = [
    SelectChoice(str(value), label)
    for value, label in enumerate(("Not at all", "A little", "Somewhat", "Mostly", "Almost completely", "Completely"))
]


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
        description="1 is not at all, 10 is completely. This one is yours alone: your partner never sees it.",
    )
    feeling = StringField(
        "One word for how you feel",
        description="For example: hopeful, tired, let down.",
        render_kw={"maxlength": FEELING_MAX, "autocomplete": "off"},
    )
    worry = TextAreaField(
        "One worry or fear on your mind (if you like)",
        description="Your partner reads it once you've both checked in.",
        render_kw={"maxlength": TEXT_MAX, "rows": 2},
    )
    appreciation = TextAreaField(
        "One thing you appreciated",
        render_kw={"maxlength": TEXT_MAX, "rows": 3},
    )
    need = TextAreaField(
        "One thing you need",
        render_kw={"maxlength": TEXT_MAX, "rows": 3},
    )

    # The CSI-4, every fourth week; all four or none.
    csi_happiness = RadioField(
        "Please indicate the degree of happiness, all things considered, of your relationship.",
        choices=HAPPINESS,
        validate_choice=False,
    )
    csi_warm = RadioField(
        "I have a warm and comfortable relationship with my partner.", choices=TRUE_SCALE, validate_choice=False
    )
    csi_rewarding = RadioField(
        "How rewarding is your relationship with your partner?", choices=AMOUNT_SCALE, validate_choice=False
    )
    csi_satisfied = RadioField(
        "In general, how satisfied are you with your relationship?", choices=AMOUNT_SCALE, validate_choice=False
    )
    csi_shared = BooleanField("Show my score to my partner too")

    def values(self) -> dict:
        return {name: self[name].data for name in (*FIELDS, *CSI_FIELDS)}

    @classmethod
    def for_entry(cls, mine) -> CheckInForm:
        """The form filled in with my saved check-in (services.access.checkins.Entry), or empty."""
        if mine is None:
            return cls()
        data = {name: getattr(mine, name) for name in FIELDS}
        data = {name: (str(value) if isinstance(value, int) else value) for name, value in data.items()}
        if mine.csi:
            data.update({name: str(value) for name, value in zip(CSI_ITEMS, mine.csi, strict=False)})
            data["csi_shared"] = mine.csi_shared
        return cls(data=data)
