"""Giving couples their prompts: choosing one and storing it exactly once per couple and slot.

Each couple carries a bitmap of the library prompts it has had in the
current round (Couple.used_prompts, one bit per Prompt.seq). Choosing the
next prompt is then a few integer operations: never a repeat until every
prompt within the couple's depth has been given, a different theme from
last time where possible, and a seeded choice, so that two schedulers
choosing for the same slot would choose the same prompt. The unique
(couple, slot) key makes a second delivery for a slot impossible.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Couple, Membership, Prompt, PromptInstance, User, utcnow
from services import activity, notify, schedule
from services.errors import Invalid
from services.upsert import insert_ignoring_duplicates

# While this many prompts wait unrevealed, the next slot is held rather than piling on.
MAX_OPEN_PROMPTS = 2
# The first scheduled prompt after pairing comes at least this long after the welcome one.
FIRST_GAP = timedelta(hours=12)
# A partner who hasn't answered gets one gentle nudge this long after delivery.
REMIND_AFTER = timedelta(hours=20)
BATCH = 2000


@dataclass(frozen=True)
class LibraryPrompt:
    seq: int
    id: str
    theme_id: str
    depth: int
    text: str
    follow_up: str | None


@dataclass
class Deck:
    """The active library as bitmaps: which prompts each depth ceiling allows, and each theme's prompts."""

    by_seq: dict[int, LibraryPrompt] = field(default_factory=dict)
    within_depth: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    by_theme: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Deck":
        deck = cls()
        rows = db.session.execute(
            sa.select(Prompt.seq, Prompt.id, Prompt.theme_id, Prompt.depth, Prompt.text, Prompt.follow_up).where(
                Prompt.retired.is_(False)
            )
        )
        for row in rows:
            prompt = LibraryPrompt(*row)
            bit = 1 << prompt.seq
            deck.by_seq[prompt.seq] = prompt
            deck.by_theme[prompt.theme_id] = deck.by_theme.get(prompt.theme_id, 0) | bit
            for ceiling in range(prompt.depth, 4):
                deck.within_depth[ceiling] |= bit
        return deck

    def choose(self, used_hex: str, ceiling: int, last_theme: str | None, seed: str) -> tuple[LibraryPrompt, str] | None:
        """The next prompt for a couple and its new used-bitmap, or None for an empty library."""
        allowed = self.within_depth.get(max(1, min(3, ceiling)), 0)
        if not allowed:
            return None
        used = int(used_hex or "0", 16)
        available = allowed & ~used
        if not available:
            # Every allowed prompt has been given: a new round begins for them.
            used &= ~allowed
            available = allowed
        fresh_theme = available & ~self.by_theme.get(last_theme, 0)
        pool = fresh_theme or available
        chosen = _nth_set_bit(pool, random.Random(seed).randrange(pool.bit_count()))
        return self.by_seq[chosen], format(used | (1 << chosen), "x")


def _nth_set_bit(mask: int, n: int) -> int:
    for _ in range(n):
        mask &= mask - 1
    return (mask & -mask).bit_length() - 1


def _seed(couple_id: int, slot_at: datetime) -> str:
    return f"{couple_id}:{slot_at.isoformat()}"


def _instance_row(couple_id: int, slot_at: datetime, prompt: LibraryPrompt, source: str, now: datetime) -> dict:
    return {
        "couple_id": couple_id, "slot_at": slot_at, "source": source, "prompt_id": prompt.id,
        "theme_id": prompt.theme_id, "depth": prompt.depth, "text": prompt.text, "follow_up": prompt.follow_up,
        "delivered_at": now, "remind_at": now + REMIND_AFTER,
    }


def depth_ceiling(couple_id: int) -> int:
    """The couple's depth: the lower of the two partners' chosen maximums."""
    value = db.session.scalar(
        sa.select(sa.func.min(User.max_depth))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.couple_id == couple_id, Membership.left_at.is_(None))
    )
    return value or 1


def partner_ids(couple_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(Membership.couple_id == couple_id, Membership.left_at.is_(None))
        )
    )


def deliver(couple: Couple, slot_at: datetime, *, source: str = "library", deck: Deck | None = None) -> PromptInstance | None:
    """Store the couple's prompt for this slot and notify both; None when the slot already has one."""
    deck = deck or Deck.load()
    choice = deck.choose(couple.used_prompts, depth_ceiling(couple.id), couple.last_theme_id, _seed(couple.id, slot_at))
    if choice is None:
        return None
    prompt, used = choice
    now = utcnow()
    inserted = insert_ignoring_duplicates(
        PromptInstance, [_instance_row(couple.id, slot_at, prompt, source, now)], ["couple_id", "slot_at"],
        returning=[PromptInstance.id],
    )
    if not inserted:
        return None
    couple.used_prompts, couple.last_theme_id = used, prompt.theme_id
    instance_id = inserted[0].id
    activity.couple_changed(couple.id)
    notify.queue(partner_ids(couple.id), "new_prompt", f"prompt:{instance_id}", f"/prompts/{instance_id}", now)
    return db.session.get(PromptInstance, instance_id)


def open_prompt_count(couple_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PromptInstance)
        .where(PromptInstance.couple_id == couple_id, PromptInstance.revealed_at.is_(None))
    )


def next_scheduled(couple: Couple, after: datetime) -> datetime | None:
    return schedule.next_slot(after, couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days)


def start_schedule(couple: Couple, now: datetime) -> None:
    """Welcome a newly paired couple with a prompt at once and set their first scheduled slot."""
    deliver(couple, now.replace(microsecond=0), source="first")
    couple.next_delivery_at = next_scheduled(couple, now + FIRST_GAP)


def release_hold(couple: Couple, now: datetime) -> None:
    """After a reveal, a couple held by the pile-up rule goes back on schedule at the next slot."""
    if couple.held_since is not None and couple.ended_at is None:
        couple.held_since = None
        couple.next_delivery_at = next_scheduled(couple, now)


# The per-minute tick -----------------------------------------------------------

_couples = Couple.__table__
_ceiling = (
    sa.select(sa.func.min(User.max_depth))
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.couple_id == _couples.c.id, Membership.left_at.is_(None))
    .scalar_subquery()
)
_open = (
    sa.select(sa.func.count())
    .select_from(PromptInstance)
    .where(PromptInstance.couple_id == _couples.c.id, PromptInstance.revealed_at.is_(None))
    .scalar_subquery()
)
_advance = (
    sa.update(_couples)
    .where(_couples.c.id == sa.bindparam("b_id"), _couples.c.next_delivery_at == sa.bindparam("b_due"))
    .values(
        next_delivery_at=sa.bindparam("b_next"),
        used_prompts=sa.bindparam("b_used"),
        last_theme_id=sa.bindparam("b_theme"),
        held_since=sa.bindparam("b_held"),
        version=_couples.c.version + 1,
    )
)


def _due_batch(now: datetime, limit: int):
    return db.session.execute(
        sa.select(
            _couples.c.id, _couples.c.timezone, _couples.c.delivery_time, _couples.c.cadence,
            _couples.c.cadence_days, _couples.c.next_delivery_at, _couples.c.used_prompts,
            _couples.c.last_theme_id, _ceiling.label("ceiling"), _open.label("open_count"),
        )
        .where(_couples.c.next_delivery_at <= now, _couples.c.ended_at.is_(None))
        .order_by(_couples.c.next_delivery_at)
        .limit(limit)
        # A second scheduler skips the couples this one is working on rather than waiting for them.
        .with_for_update(skip_locked=True, of=_couples)
    ).all()


def deliver_due(now: datetime | None = None, batch_size: int = BATCH) -> int:
    """Deliver to every couple whose slot has come, in batches; returns the prompts delivered.

    After downtime a couple gets one prompt, for its latest slot, never one per
    missed slot. A couple with two prompts still waiting is held instead.
    Each batch commits on its own, together with the couples' new
    next-delivery times and the notifications it queued.
    """
    now = now or utcnow()
    deck = Deck.load()
    slots: dict[tuple, tuple[datetime | None, datetime | None]] = {}
    delivered = 0
    while True:
        batch = _due_batch(now, batch_size)
        if not batch:
            return delivered
        advances, instances = [], []
        for couple in batch:
            plan_key = (couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days)
            if plan_key not in slots:
                slots[plan_key] = (
                    schedule.latest_slot_at_or_before(now, *plan_key),
                    schedule.next_slot(now, *plan_key),
                )
            slot, following = slots[plan_key]
            advance = {"b_id": couple.id, "b_due": couple.next_delivery_at, "b_next": following,
                       "b_used": couple.used_prompts, "b_theme": couple.last_theme_id, "b_held": None}
            if couple.open_count >= MAX_OPEN_PROMPTS:
                advance.update(b_next=None, b_held=now)
            elif slot is not None:
                choice = deck.choose(couple.used_prompts, couple.ceiling or 1, couple.last_theme_id, _seed(couple.id, slot))
                if choice is not None:
                    prompt, advance["b_used"] = choice
                    advance["b_theme"] = prompt.theme_id
                    instances.append(_instance_row(couple.id, slot, prompt, "library", now))
            advances.append(advance)
        db.session.execute(_advance, advances)
        created = insert_ignoring_duplicates(
            PromptInstance, instances, ["couple_id", "slot_at"], returning=[PromptInstance.id, PromptInstance.couple_id]
        )
        delivered += len(created)
        _notify_new_prompts(created, now)
        db.session.commit()


def _notify_new_prompts(created, now: datetime) -> None:
    if not created:
        return
    instance_of = {row.couple_id: row.id for row in created}
    members = db.session.execute(
        sa.select(Membership.couple_id, Membership.user_id).where(
            Membership.couple_id.in_(list(instance_of)), Membership.left_at.is_(None)
        )
    ).all()
    notify.queue_many(
        ((m.user_id, "new_prompt", f"prompt:{instance_of[m.couple_id]}", f"/prompts/{instance_of[m.couple_id]}")
         for m in members),
        now,
    )


def set_schedule(couple: Couple, tz_name: str, at, cadence: str, days: int, now: datetime | None = None) -> None:
    """Change when a couple's prompts arrive; the next one moves to the first new slot."""
    tz_name = schedule.check_timezone(tz_name)
    if cadence not in ("daily", "weekdays", "days"):
        raise Invalid("Choose every day, weekdays, or the days you pick.", field="cadence")
    if cadence == "days" and not days & schedule.EVERY_DAY_MASK:
        raise Invalid("Pick at least one day.", field="days")
    couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days = tz_name, at.replace(second=0, microsecond=0), cadence, days
    if couple.next_delivery_at is not None:
        couple.next_delivery_at = next_scheduled(couple, now or utcnow())
    activity.couple_changed(couple.id)
