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
from services.access import therapist as therapist_access
from services.checkins import charts, checkins
from services.moments import reassurance
from services.therapist import links

if TYPE_CHECKING:
    from models import User

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


def of_couple(access: therapist_access.TherapistAccess, now: datetime | None = None) -> Progress:
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


@dataclass(frozen=True)
class Summary:
    """What a therapist within the progress scope sees of a couple at a glance."""

    progress: Progress
    chart: charts.Chart  # each partner's connection and safety, separately
    csi: list[dict]  # each partner's CSI-4 totals
    reassurance: list[reassurance.WeekCount]  # requests sent and answered per week, never their words


def summary(access: therapist_access.TherapistAccess) -> Summary:
    """The couple at a glance, for a therapist whom both partners allow at least progress."""
    return Summary(
        progress=of_couple(access),
        chart=checkins.chart(access),
        csi=checkins.csi_per_person(access),
        reassurance=reassurance.weekly_counts(access),
    )


def dashboard(therapist: User) -> list[tuple[links.LinkState, Summary | None]]:
    """Every live link of the therapist, with the summary of each couple that allows it; each summary shown
    is one entry in that couple's access log."""
    rows = []
    for access in therapist_access.of_dashboard(therapist):
        shown = None
        if access.allows("progress"):
            shown = summary(access)
            links.log_read(access, "progress")
        rows.append((access.state, shown))
    return rows
