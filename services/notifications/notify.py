"""Every notification Attune sends, defined once, and queueing them in the push outbox.

Each kind has its words, the switch in a person's settings that turns it off,
an event key (unique per device, so an event is never queued twice however
often the code that caused it runs) and where a tap leads. Every writer (the
ORM delivery path, the bulk tick, conversations, reminders) builds its events
here, the sender takes the words from here, and settings and the export list
the switches from here.

Rows are written in the transaction of the event. Only people who want this
kind get it, on every device they have; during their quiet hours it waits
until the hours end, unless the sender marked it urgent and the recipient
lets urgent ones through (a reassurance request, nothing else). Nothing queued carries answer text or names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from extensions import db
from models import NOTIFICATION_KINDS, PushMessage, PushSubscription, User, utcnow
from services.common.errors import Invalid
from services.common.upsert import insert_ignoring_duplicates
from services.couples import versions
from services.delivery import clock
from services.notifications import quiet_hours


@dataclass(frozen=True)
class Kind:
    name: str
    switch: str  # the User column (and settings field) that turns this kind off
    body: str  # what the lock screen shows: never an answer, never a name (SECURITY.md PUSH)
    title: str = "Attune"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("new_prompt", "notify_new_prompt", "A new prompt is waiting for you both."),
        Kind("partner_answered", "notify_partner_answered", "Your partner has answered \u2014 your turn."),
        Kind("reveal", "notify_reveal", "You've both answered. Your answers are ready to read."),
        Kind("reflection", "notify_reflection", "Your partner reflected on what you shared."),
        Kind("addition", "notify_reflection", "Your partner would like to add something \u2014 have another listen."),
        Kind("reminder", "notify_reminder", "A gentle nudge: today's prompt is still waiting, whenever you're ready."),
        # A repair conversation was asked for, or its next step is yours: "your turn", like an answer.
        Kind("repair", "notify_partner_answered", "A conversation is waiting for you, whenever you're ready."),
        # Your partner did something they committed to, or noticed something you did: "your partner listened".
        Kind("commitment", "notify_reflection", "Your partner added a moment to a commitment."),
        # A hard moment: the partner asked for reassurance. Never the line they wrote, never a name.
        Kind(
            "reassurance",
            "receive_reassurance",
            "Your partner is having a hard moment and would like to hear from you.",
        ),
        # The answer to my request: "your partner listened", like a reflection.
        Kind("reassurance_reply", "notify_reflection", "Your partner answered you."),
    )
}
assert tuple(KINDS) == NOTIFICATION_KINDS, "models.push.NOTIFICATION_KINDS (the table's constraint) lists the kinds"
# The switches, in the order settings and the export show them: one per kind, except that a reflection
# and a request to add something are both "your partner listened".
SWITCHES: tuple[str, ...] = tuple(dict.fromkeys(kind.switch for kind in KINDS.values()))
DISCREET = ("You have a new update", "")
# A person's own choice that lets an urgent event through their quiet hours (only reassurance is ever urgent).
URGENT_SWITCH = "allow_urgent_reassurance"


@dataclass(frozen=True)
class Event:
    """One notification to queue: its kind, its key (unique per device) and where a tap leads."""

    kind: str
    key: str
    url: str
    # Sent through quiet hours, but only to someone whose URGENT_SWITCH is on.
    urgent: bool = False


def new_prompt(couple_id: int, slot_at: datetime, instance_id: int) -> Event:
    """One per couple and slot, however many times delivery is attempted; a tap opens the prompt."""
    return Event("new_prompt", f"prompt:{couple_id}:{int(slot_at.timestamp())}", f"/prompts/{instance_id}")


def partner_answered(instance_id: int) -> Event:
    return Event("partner_answered", f"answered:{instance_id}", f"/prompts/{instance_id}")


def reveal(instance_id: int) -> Event:
    return Event("reveal", f"reveal:{instance_id}", f"/prompts/{instance_id}")


def reflection(instance_id: int, reflection_id: int) -> Event:
    return Event("reflection", f"reflection:{reflection_id}", f"/prompts/{instance_id}#being-heard")


def addition(instance_id: int, reflection_id: int) -> Event:
    return Event("addition", f"addition:{reflection_id}", f"/prompts/{instance_id}#listening")


def reminder(instance_id: int) -> Event:
    return Event("reminder", f"reminder:{instance_id}", f"/prompts/{instance_id}")


def repair(conversation_id: int, step_key: str) -> Event:
    """A repair conversation asked for, accepted, or moved on to a step that is this person's."""
    return Event("repair", f"repair:{conversation_id}:{step_key}", f"/repair/{conversation_id}")


def commitment(moment_id: int) -> Event:
    return Event("commitment", f"commitment:{moment_id}", "/repair/commitments")


def reassurance(request_id: int, urgent: bool = False) -> Event:
    """My partner asked me for reassurance: a tap opens the page with how to respond."""
    return Event("reassurance", f"reassurance:{request_id}", f"/moments/requests/{request_id}", urgent)


def reassurance_reply(request_id: int) -> Event:
    return Event("reassurance_reply", f"reassurance_reply:{request_id}", f"/moments/sent/{request_id}")


def words(kind: str, discreet: bool) -> tuple[str, str]:
    """The title and body a device shows for this kind; discreet mode shows one neutral line."""
    if discreet:
        return DISCREET
    return KINDS[kind].title, KINDS[kind].body


def outbox_row(subscription_id: int, event: Event, now: datetime, release: datetime) -> dict:
    """One push_messages row, the same whichever path writes it."""
    return {
        "subscription_id": subscription_id,
        "kind": event.kind,
        "event_key": event.key,
        "url": event.url,
        "created_at": now,
        "next_attempt_at": release,
        "status": "pending",
        "attempts": 0,
    }


def queue_many(events: Iterable[tuple[int, Event]], now: datetime | None = None) -> int:
    """Queue (user_id, event) pairs in bulk; returns the rows written."""
    now = now or utcnow()
    by_user: dict[int, list[Event]] = {}
    for user_id, event in events:
        by_user.setdefault(user_id, []).append(event)
    rows = []
    user_ids = list(by_user)
    switches = {name: getattr(User, name) for name in SWITCHES}
    for start in range(0, len(user_ids), 5000):
        chunk = user_ids[start : start + 5000]
        devices = db.session.execute(
            sa.select(
                PushSubscription.id,
                PushSubscription.user_id,
                User.timezone,
                User.quiet_start,
                User.quiet_end,
                getattr(User, URGENT_SWITCH).label("allows_urgent"),
                *switches.values(),
            )
            .join(User, User.id == PushSubscription.user_id)
            .where(PushSubscription.user_id.in_(chunk))
        ).all()
        for device in devices:
            release = quiet_hours.release_time(now, device.timezone, device.quiet_start, device.quiet_end)
            for event in by_user[device.user_id]:
                if getattr(device, KINDS[event.kind].switch):
                    urgent = event.urgent and device.allows_urgent
                    rows.append(outbox_row(device.id, event, now, now if urgent else release))
    insert_ignoring_duplicates(PushMessage, rows, ["subscription_id", "event_key"])
    return len(rows)


def queue(user_ids: Iterable[int], event: Event, now: datetime | None = None) -> int:
    """Queue one event for some people (the usual case: one partner, or both)."""
    return queue_many(((user_id, event) for user_id in user_ids), now)


PREFERENCE_FIELDS = (*SWITCHES, "discreet", URGENT_SWITCH)


def update_preferences(user: User, values: dict, tz_name: str, quiet_start, quiet_end) -> None:
    """Save which notifications a person wants, their time zone and their quiet hours (both ends or neither)."""
    if (quiet_start is None) != (quiet_end is None):
        raise Invalid("Give both ends of your quiet hours, or neither.", field="quiet_end")
    zone = clock.check_timezone(tz_name)
    if zone != user.timezone:
        versions.my_pages_changed(user)  # Today shows times in my zone
    user.timezone = zone
    for name in PREFERENCE_FIELDS:
        setattr(user, name, bool(values.get(name)))
    user.quiet_start, user.quiet_end = quiet_start, quiet_end
