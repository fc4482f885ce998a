"""Pacing without pressure: pause deliveries, set a prompt aside, step away from a conversation.

No reason is ever asked, nothing counts against anyone, and the other
partner sees only a neutral "paused" (never who, or why). Each person's
pause is their own: only they can end it early, and the couple is paused
while either lasts. Setting a prompt aside keeps every answer written to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, Membership, PromptInstance, User, utcnow
from services import access
from services.common.errors import Conflict, Invalid, NotFound
from services.couples import depth, intake, versions
from services.delivery import delivery
from services.therapist import offers

PAUSE_CHOICES = {"day": timedelta(days=1), "week": timedelta(days=7), "resume": None}


class NeedsConfirming(Conflict):
    """The step takes something the partner wrote along with it: ask the person first."""


UNDO_SET_ASIDE = timedelta(minutes=5)


def _membership_of(user: User) -> Membership:
    """The person's place in their couple, with the couple's row locked for the change."""
    membership = db.session.scalar(Membership.active_of(user.id))
    if membership is None:
        raise NotFound("You're not in a couple.")
    db.session.execute(sa.select(Couple.id).where(Couple.id == membership.couple_id).with_for_update())
    db.session.refresh(membership.couple)
    return membership


def _pauses(couple_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership).where(Membership.current_in(couple_id), Membership.paused_at.is_not(None))
        )
    )


def _settle(couple: Couple, now: datetime) -> None:
    """The couple is paused while either partner's pause lasts: from the first start to the last end."""
    pauses = _pauses(couple.id)
    was_paused = couple.paused_at is not None
    if pauses:
        couple.paused_at = min(p.paused_at for p in pauses)
        ends = [p.paused_until for p in pauses]
        couple.paused_until = None if None in ends else max(ends)
        couple.next_delivery_at = None
    else:
        couple.paused_at = couple.paused_until = None
        if was_paused and couple.ended_at is None and couple.held_since is None:
            couple.next_delivery_at = delivery.next_scheduled(couple, now)
    versions.couple_changed(couple.id)


def pause(user: User, length: str, now: datetime | None = None) -> Couple:
    """Pause deliveries for a day, a week, or until I resume them: my pause, which only I can end early."""
    if length not in PAUSE_CHOICES:
        raise Invalid("Choose a day, a week, or until you resume.", field="length")
    now = now or utcnow()
    membership = _membership_of(user)
    couple = membership.couple
    span = PAUSE_CHOICES[length]
    membership.paused_at = now
    membership.paused_until = now + span if span else None
    depth.ease_back(couple)
    db.session.flush()
    _settle(couple, now)
    return couple


def resume(user: User, now: datetime | None = None) -> Couple:
    """End my own pause. Prompts come again at the next slot (never a backlog) once no pause is left."""
    membership = _membership_of(user)
    if membership.paused_at is None:
        if membership.couple.paused_at is not None:
            raise Conflict("Prompts are paused for now. They'll start again by themselves when the pause ends.")
        raise Conflict("Prompts aren't paused.")
    membership.paused_at = membership.paused_until = None
    db.session.flush()
    _settle(membership.couple, now or utcnow())
    return membership.couple


def expire_pauses(now: datetime | None = None) -> int:
    """Lift each person's timed pause that has run out (the scheduler's tick calls this)."""
    now = now or utcnow()
    # No DISTINCT and no left_at test: either would turn SQLite from the pause index to a scan of every
    # membership, making the tick cost what exists rather than what is due (bench/tick.py).
    couple_ids = sorted(
        set(
            db.session.scalars(
                sa.select(Membership.couple_id).where(Membership.paused_at.is_not(None), Membership.paused_until <= now)
            )
        )
    )
    lifted = 0
    for couple_id in couple_ids:
        couple = db.session.scalar(sa.select(Couple).where(Couple.id == couple_id).with_for_update(skip_locked=True))
        if couple is None:
            continue  # another scheduler is lifting it
        ended = now
        for membership in _pauses(couple.id):
            if membership.paused_until is not None and membership.paused_until <= now:
                ended = membership.paused_until
                membership.paused_at = membership.paused_until = None
        db.session.flush()
        # The next slot after the pause ended, even when this tick comes a little later.
        _settle(couple, ended)
        lifted += 1
    return lifted


def my_pause(user: User) -> Membership | None:
    """Only the person who paused is told it was them (and may end it)."""
    membership = user.active_membership
    return membership if membership is not None and membership.paused_at is not None else None


def partner_has_answered(user: User, instance: PromptInstance) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Answer)
            .where(Answer.instance_id == instance.id, Answer.user_id != user.id)
        )
        > 0
    )


def asks_first(user: User, instance_id: int) -> bool:
    """Whether setting this prompt aside takes the partner's answer along: then the person is asked first."""
    instance = access.instance_for(user, instance_id)
    return instance.set_aside_at is None and instance.revealed_at is None and partner_has_answered(user, instance)


def set_aside(user: User, instance_id: int, now: datetime | None = None, *, confirmed: bool = False) -> PromptInstance:
    """Set an unrevealed prompt aside: it leaves Today, both answers are kept for when it comes round again.

    When the partner has already answered, the person is asked first (confirmed=False refuses with
    NeedsConfirming); the partner is told only, neutrally, that it was set aside and will come back.
    """
    instance = access.instance_for(user, instance_id, lock=True)
    if instance.revealed_at is not None:
        raise Conflict("This one is already revealed; you can close it or take a break instead.")
    if instance.set_aside_at is None:
        if not confirmed and partner_has_answered(user, instance):
            raise NeedsConfirming("Your partner has already answered this one.")
        # Completed as far as Today and the pile-up rule are concerned; never revealed, so never in history.
        instance.set_aside_at = instance.completed_at = now or utcnow()
        instance.set_aside_by_id = user.id
        instance.remind_at = None
        couple = instance.couple
        if instance.prompt_id is not None:
            delivery.return_to_deck(couple, instance.prompt_id)
        delivery.release_hold(couple, instance.set_aside_at)
        versions.couple_changed(couple.id)
    return instance


def undo_set_aside(user: User, instance_id: int, now: datetime | None = None) -> PromptInstance:
    """Bring back a prompt I set aside a moment ago, with its answers, as if nothing happened."""
    now = now or utcnow()
    instance = access.instance_for(user, instance_id, lock=True)
    if (
        instance.set_aside_at is None
        or instance.set_aside_by_id != user.id
        or instance.carried_to_id is not None
        or now - instance.set_aside_at > UNDO_SET_ASIDE
    ):
        raise Conflict("It's set aside now, and it will come back another day.")
    instance.set_aside_at = instance.completed_at = instance.set_aside_by_id = None
    if instance.prompt_id is not None:
        delivery.take_from_deck(instance.couple, instance.prompt_id)
    versions.couple_changed(instance.couple_id)
    return instance


@dataclass(frozen=True)
class Pace:
    """What Today shows one person about the couple's pace: only what either partner may see, and their own."""

    depth: int
    words: str
    stage: int
    stage_name: str
    set_aside: list[PromptInstance]
    undo: set[int]
    intake_done: bool
    eased: bool = False  # my own ceiling is quieter for a few days after a hard moment: shown to me alone
    offers: list = ()  # a therapist's deeper assignments, with my own private answer to each


def pace_for(user: User, now: datetime | None = None) -> Pace | None:
    """The depth status, the path, set-aside prompts (and my undo) and, for me alone, whether I chose my pace."""
    membership = user.active_membership
    if membership is None:
        return None
    now = now or utcnow()
    couple = membership.couple
    own = depth.own_ceiling(user.max_depth, user.ease_from, user.ease_until, now)
    level, words, stage, stage_name = depth.status(couple, own)
    aside = _recently_set_aside(couple.id, now)
    undo = {i.id for i in aside if i.set_aside_by_id == user.id and now - i.set_aside_at <= UNDO_SET_ASIDE}
    return Pace(
        level,
        words,
        stage,
        stage_name,
        aside,
        undo,
        intake.finished(user),
        eased=depth.easing_shown(user, now),
        offers=offers.offers_for(user, now),
    )


# Built once, as Today runs it on every render (building it cost more than running it).
_RECENTLY_SET_ASIDE = (
    sa.select(PromptInstance)
    .where(
        PromptInstance.couple_id == sa.bindparam("couple_id"),
        PromptInstance.set_aside_at.is_not(None),
        PromptInstance.carried_to_id.is_(None),
        PromptInstance.set_aside_at > sa.bindparam("since"),
    )
    .order_by(PromptInstance.set_aside_at.desc())
    .limit(3)
)


def _recently_set_aside(couple_id: int, now: datetime) -> list[PromptInstance]:
    """Prompts set aside this past week and not yet come round again."""
    return list(db.session.scalars(_RECENTLY_SET_ASIDE, {"couple_id": couple_id, "since": now - timedelta(days=7)}))


def take_break(user: User, instance_id: int, stepping_away: bool = True) -> Answer:
    """Step away from a revealed conversation for now, or come back to it."""
    instance = access.instance_for(user, instance_id, lock=True)
    answer = db.session.scalar(sa.select(Answer).where(Answer.instance_id == instance.id, Answer.user_id == user.id))
    if answer is None:
        raise Conflict("There's nothing of yours here to step away from.")
    answer.break_at = utcnow() if stepping_away else None
    if stepping_away:
        depth.ease_back(db.session.get(Couple, instance.couple_id))
    versions.couple_changed(instance.couple_id)
    return answer
