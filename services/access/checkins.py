"""Who may see a weekly check-in, and when: the sealing rule for check-ins, as services.access is for prompts.

A partner's check-in is sealed until both have answered the week, like an
answer; then each sees the other's, but never their safety score, and their
CSI-4 only if they chose to share it. The check-in pages, the charts and a
person's export all build what they show from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from extensions import db
from models import CheckIn, Couple, Membership, User
from services.common.errors import NotFound

# The CSI-4 (Funk & Rogge 2007, Couples Satisfaction Index), item by item.
CSI_ITEMS = ("csi_happiness", "csi_warm", "csi_rewarding", "csi_satisfied")


@dataclass(frozen=True)
class Entry:
    """One partner's check-in as plain values (no ORM state reaches a template).

    safety and the CSI-4 are filled in only for the person's own entry (and
    the CSI-4 for the partner's only when they chose to share it).
    """

    user_id: int
    connection: int
    feeling: str
    worry: str | None
    appreciation: str
    need: str
    safety: int | None = None
    csi_total: int | None = None
    csi_shared: bool = False
    csi: tuple[int, int, int, int] | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: CheckIn) -> Entry:
        """The person's own check-in, all of it."""
        items = tuple(getattr(row, name) for name in CSI_ITEMS)
        return cls(
            row.user_id,
            row.connection,
            row.feeling,
            row.worry,
            row.appreciation,
            row.need,
            safety=row.safety,
            csi_total=row.csi_total,
            csi_shared=row.csi_shared,
            csi=None if row.csi_total is None else items,
            created_at=row.created_at,
        )

    @classmethod
    def as_partner(cls, row: CheckIn) -> Entry:
        """The partner's check-in as I may see it: never their safety score; their CSI-4 only if they shared it."""
        return cls(
            row.user_id,
            row.connection,
            row.feeling,
            row.worry,
            row.appreciation,
            row.need,
            csi_total=row.csi_total if row.csi_shared else None,
            csi_shared=row.csi_shared and row.csi_total is not None,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class WeekView:
    """A week's check-ins as one partner may see them: the partner's only once both have answered."""

    week: date
    mine: Entry | None
    partner: Entry | None  # None until both have answered, whatever the database holds
    partner_answered: bool
    revealed: bool


def seal_week(user: User, week: date, rows: list[CheckIn]) -> WeekView:
    """A week's check-in rows as user may see them: their own entry, the partner's only once both answered."""
    mine = next((r for r in rows if r.user_id == user.id), None)
    theirs = next((r for r in rows if r.user_id != user.id), None)
    revealed = mine is not None and theirs is not None
    return WeekView(
        week=week,
        mine=Entry.of(mine) if mine else None,
        partner=Entry.as_partner(theirs) if revealed else None,
        partner_answered=theirs is not None,
        revealed=revealed,
    )


def ensure_member(user: User, couple: Couple) -> None:
    """NotFound unless user is, or was, one of the couple."""
    member = db.session.scalar(
        sa.select(Membership.id).where(Membership.couple_id == couple.id, Membership.user_id == user.id).limit(1)
    )
    if member is None:
        raise NotFound("We couldn't find that couple.")


def revealed_weeks(couple_id: int, first: date, last: date):
    """The weeks in first..last that both partners answered (the only weeks anyone may read)."""
    return (
        sa.select(CheckIn.week)
        .where(CheckIn.couple_id == couple_id, CheckIn.week.between(first, last))
        .group_by(CheckIn.week)
        .having(sa.func.count(sa.distinct(CheckIn.user_id)) == 2)
    )
