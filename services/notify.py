"""Queueing notifications: rows in the push outbox, written in the transaction of the event.

Only people who want this kind get it, on every device they have; during
their quiet hours it waits until the hours end. Nothing queued here carries
answer text or names: the words are chosen when the message is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from extensions import db
from models import PushMessage, PushSubscription, User, utcnow
from services import quiet_hours, schedule
from services.errors import Invalid
from services.upsert import insert_ignoring_duplicates

PREFERENCE = {
    "new_prompt": User.notify_new_prompt,
    "partner_answered": User.notify_partner_answered,
    "reveal": User.notify_reveal,
    "reflection": User.notify_reflection,
    "reminder": User.notify_reminder,
}


def queue_many(events: Iterable[tuple[int, str, str, str]], now: datetime | None = None) -> int:
    """Queue (user_id, kind, event_key, url) events in bulk; returns the rows written."""
    now = now or utcnow()
    events = list(events)
    if not events:
        return 0
    by_user: dict[int, list[tuple[str, str, str]]] = {}
    for user_id, kind, event_key, url in events:
        by_user.setdefault(user_id, []).append((kind, event_key, url))
    rows = []
    user_ids = list(by_user)
    for start in range(0, len(user_ids), 5000):
        chunk = user_ids[start : start + 5000]
        devices = db.session.execute(
            sa.select(
                PushSubscription.id,
                PushSubscription.user_id,
                User.timezone,
                User.quiet_start,
                User.quiet_end,
                *[column.label(kind) for kind, column in PREFERENCE.items()],
            )
            .join(User, User.id == PushSubscription.user_id)
            .where(PushSubscription.user_id.in_(chunk))
        ).all()
        for device in devices:
            release = quiet_hours.release_time(now, device.timezone, device.quiet_start, device.quiet_end)
            for kind, event_key, url in by_user[device.user_id]:
                if getattr(device, kind):
                    rows.append(
                        {
                            "subscription_id": device.id,
                            "kind": kind,
                            "event_key": event_key,
                            "url": url,
                            "created_at": now,
                            "next_attempt_at": release,
                            "status": "pending",
                            "attempts": 0,
                        }
                    )
    insert_ignoring_duplicates(PushMessage, rows, ["subscription_id", "event_key"])
    return len(rows)


def queue(user_ids: Iterable[int], kind: str, event_key: str, url: str, now: datetime | None = None) -> int:
    """Queue one event for some people (the usual case: one partner, or both)."""
    return queue_many(((user_id, kind, event_key, url) for user_id in user_ids), now)


PREFERENCE_FIELDS = tuple(column.key for column in PREFERENCE.values()) + ("discreet",)


def update_preferences(user: User, values: dict, tz_name: str, quiet_start, quiet_end) -> None:
    """Save which notifications a person wants, their time zone and their quiet hours (both ends or neither)."""
    if (quiet_start is None) != (quiet_end is None):
        raise Invalid("Give both ends of your quiet hours, or neither.", field="quiet_end")
    user.timezone = schedule.check_timezone(tz_name)
    for name in PREFERENCE_FIELDS:
        setattr(user, name, bool(values.get(name)))
    user.quiet_start, user.quiet_end = quiet_start, quiet_end
