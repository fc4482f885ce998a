"""Pacing without pressure: pause deliveries, set a prompt aside, step away from a conversation.

No reason is ever asked, nothing counts against anyone, and the other
partner sees only a neutral "paused" (never who, or why).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, Membership, PromptInstance, User, utcnow
from services import access
from services.common.errors import Conflict, Invalid, NotFound
from services.couples import versions
from services.delivery import delivery

PAUSE_CHOICES = {"day": timedelta(days=1), "week": timedelta(days=7), "resume": None}


def _couple_of(user: User, *, lock: bool = True) -> Couple:
    statement = (
        sa.select(Couple)
        .join(Membership, Membership.couple_id == Couple.id)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None))
    )
    if lock:
        statement = statement.with_for_update(of=Couple)
    couple = db.session.scalar(statement)
    if couple is None:
        raise NotFound("You're not in a couple.")
    return couple


def pause(user: User, length: str, now: datetime | None = None) -> Couple:
    """Pause deliveries for a day, a week, or until someone resumes them."""
    if length not in PAUSE_CHOICES:
        raise Invalid("Choose a day, a week, or until you resume.", field="length")
    now = now or utcnow()
    couple = _couple_of(user)
    span = PAUSE_CHOICES[length]
    couple.paused_at, couple.paused_by_id = now, user.id
    couple.paused_until = now + span if span else None
    couple.next_delivery_at = None
    versions.couple_changed(couple.id)
    return couple


def resume(user: User, now: datetime | None = None) -> Couple:
    """Resume deliveries: the next prompt comes at the next slot, never a backlog."""
    couple = _couple_of(user)
    if couple.paused_at is None:
        raise Conflict("Prompts aren't paused.")
    _unpause(couple, now or utcnow())
    return couple


def _unpause(couple: Couple, now: datetime) -> None:
    couple.paused_at = couple.paused_until = couple.paused_by_id = None
    if couple.ended_at is None and couple.held_since is None:
        couple.next_delivery_at = delivery.next_scheduled(couple, now)
    versions.couple_changed(couple.id)


def expire_pauses(now: datetime | None = None) -> int:
    """Lift timed pauses that have run out (the scheduler's tick calls this)."""
    now = now or utcnow()
    couples = db.session.scalars(
        sa.select(Couple)
        .where(Couple.paused_at.is_not(None), Couple.paused_until <= now)
        .with_for_update(skip_locked=True)
    ).all()
    for couple in couples:
        _unpause(couple, now)
    return len(couples)


def paused_by_me(user: User, couple: Couple) -> bool:
    """Only the person who paused is told it was them."""
    return couple.paused_at is not None and couple.paused_by_id == user.id


def set_aside(user: User, instance_id: int, now: datetime | None = None) -> PromptInstance:
    """Set an unrevealed prompt aside: it leaves Today, answers stay private, and it can come round again."""
    instance = access.instance_for(user, instance_id, lock=True)
    if instance.revealed_at is not None:
        raise Conflict("This one is already revealed; you can close it or take a break instead.")
    if instance.set_aside_at is None:
        # Completed as far as Today and the pile-up rule are concerned; never revealed, so never in history.
        instance.set_aside_at = instance.completed_at = now or utcnow()
        instance.remind_at = None
        couple = instance.couple
        if instance.prompt_id is not None:
            delivery.return_to_deck(couple, instance.prompt_id)
        delivery.release_hold(couple, instance.set_aside_at)
        versions.couple_changed(couple.id)
    return instance


def take_break(user: User, instance_id: int, stepping_away: bool = True) -> Answer:
    """Step away from a revealed conversation for now, or come back to it."""
    instance = access.instance_for(user, instance_id, lock=True)
    answer = db.session.scalar(sa.select(Answer).where(Answer.instance_id == instance.id, Answer.user_id == user.id))
    if answer is None:
        raise Conflict("There's nothing of yours here to step away from.")
    answer.break_at = utcnow() if stepping_away else None
    versions.couple_changed(instance.couple_id)
    return answer
