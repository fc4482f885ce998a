"""How a couple is doing, in numbers a consented therapist may see (never content, never sealed activity).

"Last activity" and the counts come only from things both partners can
already see: deliveries, reveals, reflections and revealed check-ins. The
time someone answered a still-sealed prompt is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, PromptInstance, Reflection, utcnow

if TYPE_CHECKING:
    from services.access.therapist import TherapistAccess

WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class Progress:
    status: str  # active, paused, ended
    last_activity: datetime | None
    delivered: int
    answered: int  # prompts at least one partner answered
    revealed: int
    felt_heard_rate: float | None  # share of answered reflections that left the speaker feeling heard

    @property
    def felt_heard_percent(self) -> str:
        return "no reflections yet" if self.felt_heard_rate is None else f"{round(self.felt_heard_rate * 100)}%"


def of_couple(access: TherapistAccess, now: datetime | None = None) -> Progress:
    """The couple's engagement over the last four weeks, for a therapist whom both allow at least progress."""
    access.require("progress")
    couple_id = access.couple_id
    now = now or utcnow()
    since = now - WINDOW
    couple = db.session.get(Couple, couple_id)
    status = "ended" if couple.ended_at else "paused" if couple.paused_at else "active"
    recent = sa.select(PromptInstance.id).where(
        PromptInstance.couple_id == couple_id, PromptInstance.delivered_at >= since
    )
    delivered = db.session.scalar(sa.select(sa.func.count()).select_from(recent.subquery()))
    answered = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Answer.instance_id))).where(Answer.instance_id.in_(recent))
    )
    revealed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PromptInstance)
        .where(PromptInstance.couple_id == couple_id, PromptInstance.revealed_at >= since)
    )
    responses = db.session.execute(
        sa.select(Reflection.response, sa.func.count())
        .join(PromptInstance, PromptInstance.id == Reflection.instance_id)
        .where(PromptInstance.couple_id == couple_id, Reflection.responded_at >= since)
        .group_by(Reflection.response)
    ).all()
    counts = dict(responses)
    total = sum(counts.values())
    last_reveal = db.session.scalar(
        sa.select(sa.func.max(PromptInstance.revealed_at)).where(PromptInstance.couple_id == couple_id)
    )
    last_reflection = db.session.scalar(
        sa.select(sa.func.max(Reflection.created_at))
        .join(PromptInstance, PromptInstance.id == Reflection.instance_id)
        .where(PromptInstance.couple_id == couple_id)
    )
    last = max((t for t in (last_reveal, last_reflection) if t is not None), default=None)
    return Progress(
        status=status,
        last_activity=last,
        delivered=delivered,
        answered=answered,
        revealed=revealed,
        felt_heard_rate=(counts.get("heard", 0) / total) if total else None,
    )
