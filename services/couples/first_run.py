"""The first run's set-up steps, after each person's private intake: time zone, the couple's schedule, notifications.

Each step is skippable. A person's own time zone is theirs (quiet hours and every time they are shown follow it);
the couple's time zone, time and days are shared, so the partner who comes second sees what is set and may keep it
or change it, and a change is never silent: the other partner gets a short, neutral email saying what changed.
Which steps a person has done is kept in their browser session (blueprints/couple/first_run.py), not here.
"""

from __future__ import annotations

from datetime import time

from extensions import db
from models import Couple, User
from services.accounts import mail
from services.conversation import reading
from services.couples import versions
from services.delivery import clock, delivery

STEPS = ("timezone", "schedule", "notifications")
# Not a zone anyone chose: a couple (or a person) still on it is offered the zone their phone reports.
UNSET_ZONE = "UTC"


def offers_couple_zone(couple: Couple | None) -> bool:
    """Whether the time-zone step offers "use it for our prompts too": only while the couple's zone is unset."""
    return couple is not None and couple.timezone == UNSET_ZONE


def confirm_timezone(user: User, name: str, for_couple: bool = False) -> str:
    """Set my own time zone and, while the couple has none yet, theirs too (the next prompt moves with it)."""
    zone = clock.check_timezone(name)
    user.timezone = zone
    membership = user.active_membership
    if membership is not None:
        couple = membership.couple
        if for_couple and offers_couple_zone(couple):
            delivery.set_schedule(couple, zone, couple.delivery_time, couple.cadence, couple.cadence_days)
        versions.person_changed(user.id, couple.id)
    db.session.flush()
    return zone


def describe(at: time, cadence: str, days: int) -> str:
    """A schedule in words: "19:00, every day", "08:30, on weekdays", "20:00, on Monday and Thursday"."""
    when = at.strftime("%H:%M")
    if cadence == "daily":
        return f"{when}, every day"
    if cadence == "weekdays":
        return f"{when}, on weekdays"
    names = [name for i, name in enumerate(clock.WEEKDAY_NAMES) if days & (1 << i)]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{when}, on {listed}"


def schedule_of(couple: Couple) -> str:
    return describe(couple.delivery_time, couple.cadence, couple.cadence_days)


def choose_schedule(user: User, at: time, cadence: str, days: int, settings_url: str) -> bool:
    """Set the couple's time and days (their time zone stays); True when it changed, and then the partner is told.

    The email names no one and carries nothing private: only the new time, and where to change it back.
    """
    membership = user.active_membership
    if membership is None:
        return False
    couple = membership.couple
    before = schedule_of(couple)
    delivery.set_schedule(couple, couple.timezone, at, cadence, days)
    after = schedule_of(couple)
    if after == before:
        return False
    partner = reading.partner_in(user, couple.id)
    if partner is not None:
        mail.queue_mail(
            partner.email,
            "Your Attune prompts have a new time",
            f"Your partner changed when your prompts come. They now arrive at {after} "
            f"({couple.timezone.replace('_', ' ')} time).\n\n"
            f"If that doesn't suit you, you can change it in Settings: {settings_url}\n",
        )
    db.session.flush()
    return True
