"""Who may see what. Every route and job asks here; sealing is decided here, never in templates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from extensions import db
from models import Answer, Membership, PromptInstance, User
from services.common.errors import NotFound


def instance_for(user: User, instance_id: int, *, lock: bool = False) -> PromptInstance:
    """The prompt instance, if user is (or was) a partner in its couple; NotFound otherwise.

    With lock=True the row is locked FOR UPDATE, which serialises the writes
    that decide a reveal or a reflection round (SQLite gets the same effect
    from its BEGIN IMMEDIATE write transactions).
    """
    statement = (
        sa.select(PromptInstance)
        .join(Membership, Membership.couple_id == PromptInstance.couple_id)
        .join(PromptInstance.couple)
        .options(contains_eager(PromptInstance.couple))
        .where(PromptInstance.id == instance_id, Membership.user_id == user.id)
    )
    if lock:
        statement = statement.with_for_update(of=PromptInstance)
    else:
        statement = statement.options(
            joinedload(PromptInstance.answers).joinedload(Answer.user), joinedload(PromptInstance.theme)
        )
    instance = db.session.scalars(statement).unique().one_or_none()
    if instance is None:
        raise NotFound("We couldn't find that prompt.")
    return instance


@dataclass(frozen=True)
class SealedPair:
    """What one partner may know about the two answers to an instance."""

    mine: Answer | None
    partner: Answer | None  # None until the reveal, whatever exists in the database
    partner_answered: bool
    revealed: bool


def is_revealed(instance: PromptInstance) -> bool:
    """Whether both answers (and the reflections after them) are open to both partners. A set-aside prompt never
    is: it can only be set aside unrevealed, and the second test keeps it so even if that ever changed."""
    return instance.revealed_at is not None and instance.set_aside_at is None


def answers_for(user: User, instance: PromptInstance, answers: Iterable[Answer]) -> SealedPair:
    """Sort answers into mine and my partner's, hiding the partner's until both have answered."""
    mine = None
    partner = None
    for answer in answers:
        if answer.user_id == user.id:
            mine = answer
        else:
            partner = answer
    revealed = is_revealed(instance)
    return SealedPair(
        mine=mine,
        partner=partner if revealed else None,
        partner_answered=partner is not None,
        revealed=revealed,
    )
