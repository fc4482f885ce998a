"""One gentle nudge for a partner who hasn't answered: at most one a day, never in quiet hours, switchable off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, Membership, PromptInstance, User, utcnow
from services.notifications import notify

ONCE_A_DAY = timedelta(hours=23)
BATCH = 2000


def queue_due(now: datetime | None = None, end_batch: Callable[[], None] = lambda: None) -> int:
    """Queue reminders for prompts whose nudge time has come; returns how many people were nudged.

    Each batch ends with end_batch (the job's commit), which must make its rows
    no longer due: the next batch is read after it."""
    now = now or utcnow()
    nudged = 0
    while True:
        due = db.session.execute(
            sa.select(PromptInstance.id, PromptInstance.couple_id, PromptInstance.revealed_at)
            .where(PromptInstance.remind_at <= now)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=PromptInstance)
        ).all()
        if not due:
            return nudged
        open_ids = [row.id for row in due if row.revealed_at is None]
        waiting = (
            db.session.execute(
                sa.select(PromptInstance.id, User.id.label("user_id"))
                .join(Couple, Couple.id == PromptInstance.couple_id)
                .join(Membership, Membership.current_in(Couple.id))
                .join(User, User.id == Membership.user_id)
                .outerjoin(Answer, sa.and_(Answer.instance_id == PromptInstance.id, Answer.user_id == User.id))
                .where(
                    PromptInstance.id.in_(open_ids),
                    Couple.ended_at.is_(None),
                    Answer.id.is_(None),
                    User.notify_reminder.is_(True),
                    sa.or_(User.last_reminded_at.is_(None), User.last_reminded_at < now - ONCE_A_DAY),
                )
            ).all()
            if open_ids
            else []
        )
        chosen: dict[int, int] = {}
        for row in waiting:
            chosen.setdefault(row.user_id, row.id)  # one nudge per person per run
        notify.queue_many(((user_id, notify.reminder(instance_id)) for user_id, instance_id in chosen.items()), now)
        if chosen:
            db.session.execute(sa.update(User).where(User.id.in_(list(chosen))).values(last_reminded_at=now))
        db.session.execute(
            sa.update(PromptInstance).where(PromptInstance.id.in_([row.id for row in due])).values(remind_at=None)
        )
        end_batch()
        nudged += len(chosen)
