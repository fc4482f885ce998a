"""A therapist's assignment that goes deeper than the couple's pace: offered to both partners, each privately.

It is delivered (at the couple's next prompt time) once both partners have said
they are ready, or once the couple's pace reaches it. Each answer is its
person's alone: it moves only their own page version, so the partner's pages
stay byte for byte the same, and the therapist sees only "waiting" or
"delivered", never who said "not now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from extensions import db
from models import Assignment, AssignmentAnswer, Membership, Prompt, Theme, User, utcnow
from services.common.errors import NotFound
from services.couples import depth, versions


@dataclass(frozen=True)
class Offer:
    """A deeper assignment as one partner sees it: what it is, and their own answer (None: not answered)."""

    assignment_id: int
    text: str
    theme: str | None
    note: str | None
    ready: bool | None


def _waiting_deeper_statement() -> sa.Select:
    """The statement offers_for runs, built once: Today renders it for every couple, and building this
    one (a correlated ceiling, a CASE, three outer joins) cost ten times running it."""
    now = sa.bindparam("now")
    ceiling = (
        sa.select(sa.func.min(depth.own_ceiling_sql(now)))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.current_in(sa.bindparam("couple_id")))
        .scalar_subquery()
    )
    deeper = sa.func.coalesce(Prompt.depth, Assignment.depth, 1)  # links.assignment_depth, with Prompt joined
    return (
        sa.select(Assignment, Prompt.text, Theme.name, AssignmentAnswer.ready)
        .outerjoin(Prompt, Prompt.id == Assignment.prompt_id)
        .outerjoin(Theme, Theme.id == sa.func.coalesce(Prompt.theme_id, Assignment.theme_id))
        .outerjoin(
            AssignmentAnswer,
            sa.and_(
                AssignmentAnswer.assignment_id == Assignment.id, AssignmentAnswer.user_id == sa.bindparam("user_id")
            ),
        )
        .where(
            Assignment.couple_id == sa.bindparam("couple_id"),
            Assignment.instance_id.is_(None),
            Assignment.cancelled_at.is_(None),
            deeper > depth.LIGHT,
            sa.or_(deeper > sa.bindparam("level"), deeper > ceiling),
        )
        .order_by(Assignment.created_at)
    )


_WAITING_DEEPER = _waiting_deeper_statement()


def offers_for(user: User, now: datetime | None = None) -> list[Offer]:
    """The waiting assignments deeper than the couple's pace now, with my own answer to each (one query).

    Deeper than the pace: deeper than Light, and deeper than the ramp or than the lower of the two ceilings
    (delivery.depth_now, written out in the statement so Today pays one query for it).
    """
    membership = user.active_membership
    if membership is None:
        return []
    rows = db.session.execute(
        _WAITING_DEEPER,
        {
            "couple_id": membership.couple_id,
            "user_id": user.id,
            "now": now or utcnow(),
            "level": membership.couple.depth_level,
        },
    ).all()
    return [
        Offer(assignment.id, assignment.text or prompt_text, theme, assignment.note, ready)
        for assignment, prompt_text, theme, ready in rows
    ]


def answer(user: User, assignment_id: int, ready: bool, now: datetime | None = None) -> AssignmentAnswer:
    """My private answer to a deeper assignment: ready for it, or not now (changeable until it is delivered)."""
    membership = user.active_membership
    if membership is None:
        raise NotFound("We couldn't find that suggestion.")
    # The assignment's row, locked: two partners answering at once are serialised, and a delivery in between
    # (which also takes it) either sees both answers or neither.
    assignment = db.session.scalar(
        sa.select(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.couple_id == membership.couple_id,
            Assignment.instance_id.is_(None),
            Assignment.cancelled_at.is_(None),
        )
        .with_for_update()
    )
    if assignment is None:
        raise NotFound("That suggestion has already come, or your therapist took it back.")
    row = db.session.get(AssignmentAnswer, (assignment.id, user.id))
    if row is None:
        row = AssignmentAnswer(assignment_id=assignment.id, user_id=user.id, ready=bool(ready))
        db.session.add(row)
    row.ready, row.answered_at = bool(ready), now or utcnow()
    db.session.flush()
    versions.person_changed(user.id, membership.couple_id)
    return row
