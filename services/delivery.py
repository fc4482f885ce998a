"""Giving couples their prompts: choosing one and storing it once per couple and slot."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Couple, Membership, Prompt, PromptInstance, User, utcnow
from services import activity, schedule

# While this many prompts wait unrevealed, the next slot is held rather than piling on.
MAX_OPEN_PROMPTS = 2
# The first scheduled prompt after pairing comes at least this long after the welcome one.
FIRST_GAP = timedelta(hours=12)


def depth_ceiling(couple_id: int) -> int:
    """The couple's depth: the lower of the two partners' chosen maximums."""
    value = db.session.scalar(
        sa.select(sa.func.min(User.max_depth))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.couple_id == couple_id, Membership.left_at.is_(None))
    )
    return value or 1


def choose_prompt(couple_id: int, ceiling: int, seed: str) -> Prompt | None:
    """A prompt within the ceiling that this couple has had least often (never, until all have been used).

    Ties are broken by a seeded shuffle, preferring a theme other than the last
    one, so two schedulers choosing for the same slot choose the same prompt.
    """
    used = dict(
        db.session.execute(
            sa.select(PromptInstance.prompt_id, sa.func.count())
            .where(PromptInstance.couple_id == couple_id, PromptInstance.prompt_id.is_not(None))
            .group_by(PromptInstance.prompt_id)
        ).all()
    )
    last_theme = db.session.scalar(
        sa.select(PromptInstance.theme_id)
        .where(PromptInstance.couple_id == couple_id)
        .order_by(PromptInstance.slot_at.desc())
        .limit(1)
    )
    candidates = db.session.execute(
        sa.select(Prompt.id, Prompt.theme_id).where(Prompt.depth <= ceiling, Prompt.retired.is_(False)).order_by(Prompt.id)
    ).all()
    if not candidates:
        return None
    fewest = min(used.get(pid, 0) for pid, _ in candidates)
    pool = [(pid, theme) for pid, theme in candidates if used.get(pid, 0) == fewest]
    fresh_theme = [row for row in pool if row[1] != last_theme]
    pool = fresh_theme or pool
    chosen_id = random.Random(seed).choice(pool)[0]
    return db.session.get(Prompt, chosen_id)


def deliver(couple: Couple, slot_at: datetime, *, source: str = "library") -> PromptInstance | None:
    """Store the couple's prompt for this slot; None when the slot already has one (or nothing fits)."""
    prompt = choose_prompt(couple.id, depth_ceiling(couple.id), f"{couple.id}:{slot_at.isoformat()}")
    if prompt is None:
        return None
    instance = PromptInstance(
        couple_id=couple.id,
        slot_at=slot_at,
        source=source,
        prompt_id=prompt.id,
        theme_id=prompt.theme_id,
        depth=prompt.depth,
        text=prompt.text,
        follow_up=prompt.follow_up,
        delivered_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(instance)
    except IntegrityError:
        return None
    activity.couple_changed(couple.id)
    return instance


def open_prompt_count(couple_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PromptInstance)
        .where(PromptInstance.couple_id == couple_id, PromptInstance.revealed_at.is_(None))
    )


def start_schedule(couple: Couple, now: datetime) -> None:
    """Welcome a newly paired couple with a prompt at once and set their first scheduled slot."""
    deliver(couple, now.replace(microsecond=0), source="first")
    couple.next_delivery_at = schedule.next_slot(
        now + FIRST_GAP, couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days
    )


def deliver_due(now: datetime | None = None, batch_size: int = 500) -> int:
    """Deliver to every couple whose slot has come (at most one catch-up each); returns prompts delivered.

    Each couple's next_delivery_at is advanced with a compare-and-set, so a
    second process running at once claims nothing twice; the unique
    (couple, slot) key is the backstop.
    """
    now = now or utcnow()
    delivered = 0
    while True:
        couples = db.session.scalars(
            sa.select(Couple)
            .where(Couple.next_delivery_at <= now, Couple.ended_at.is_(None))
            .order_by(Couple.next_delivery_at)
            .limit(batch_size)
        ).all()
        if not couples:
            return delivered
        for couple in couples:
            delivered += _deliver_one(couple, now)
        db.session.commit()


def _deliver_one(couple: Couple, now: datetime) -> int:
    due = couple.next_delivery_at
    slot = schedule.latest_slot_at_or_before(now, couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days)
    following = schedule.next_slot(now, couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days)
    claimed = db.session.execute(
        sa.update(Couple)
        .where(Couple.id == couple.id, Couple.next_delivery_at == due)
        .values(next_delivery_at=following)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1 or slot is None:
        return 0
    if open_prompt_count(couple.id) >= MAX_OPEN_PROMPTS:
        return 0
    return 1 if deliver(couple, slot) is not None else 0
