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

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Answer, Assignment, Couple, Intake, Membership, Prompt, PromptInstance, Theme, User, utcnow
from services.common import bulk
from services.common.errors import Invalid
from services.common.upsert import insert_ignoring_duplicates
from services.couples import depth, versions
from services.delivery import clock
from services.notifications import notify, quiet_hours
from services.therapist import links

# While this many prompts wait unrevealed, the next slot is held rather than piling on.
MAX_OPEN_PROMPTS = 2
# The first scheduled prompt after pairing comes at least this long after the welcome one.
FIRST_GAP = timedelta(hours=12)
# A partner who hasn't answered gets one gentle nudge this long after delivery.
REMIND_AFTER = timedelta(hours=20)
BATCH = 5000


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

    by_stage: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Deck:
        rows = db.session.execute(
            sa.select(Prompt.seq, Prompt.id, Prompt.theme_id, Prompt.depth, Prompt.text, Prompt.follow_up, Theme.stage)
            .join(Theme, Theme.id == Prompt.theme_id)
            .where(Prompt.retired.is_(False))
        )
        return cls.of((LibraryPrompt(*row[:6]), row[6]) for row in rows)

    @classmethod
    def of(cls, prompts) -> Deck:
        """A deck of (prompt, its theme's stage) pairs: from the database, or straight from the file."""
        deck = cls()
        for prompt, stage in prompts:
            bit = 1 << prompt.seq
            deck.by_seq[prompt.seq] = prompt
            deck.by_theme[prompt.theme_id] = deck.by_theme.get(prompt.theme_id, 0) | bit
            deck.by_stage[stage] = deck.by_stage.get(stage, 0) | bit
            for ceiling in range(prompt.depth, 4):
                deck.within_depth[ceiling] |= bit
        return deck

    def choose(
        self,
        used_hex: str,
        ceiling: int,
        last_theme: str | None,
        seed: str,
        stage: int | None = None,
        lean: frozenset[str] = frozenset(),
    ) -> tuple[LibraryPrompt, str] | None:
        """The next prompt for a couple and its new used-bitmap, or None for an empty library.

        ceiling is the depth allowed now (the ramp within the couple's ceiling); most choices keep to
        the themes of the couple's stage on the path (services/couples/depth.py), never strictly, and
        some lean toward the themes what brings them here points to (depth.lean_themes).
        """
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
        spin = zlib.crc32(seed.encode())
        if stage is not None and depth.follows_path(spin):
            pool = (pool & self.by_stage.get(stage, 0)) or pool
        if lean and depth.leans(zlib.crc32(f"{seed}:lean".encode())):
            leaning = 0
            for theme_id in lean:
                leaning |= self.by_theme.get(theme_id, 0)
            pool = (pool & leaning) or pool
        chosen = _nth_set_bit(pool, (spin // depth.PATH_OF) % pool.bit_count())
        return self.by_seq[chosen], format(used | (1 << chosen), "x")


def _nth_set_bit(mask: int, n: int) -> int:
    """The position of the n-th set bit (from 0), skipping whole 64-bit words at a time."""
    offset = 0
    while True:
        word = mask & 0xFFFFFFFFFFFFFFFF
        count = word.bit_count()
        if n < count:
            break
        n -= count
        mask >>= 64
        offset += 64
    for _ in range(n):
        word &= word - 1
    return offset + (word & -word).bit_length() - 1


def _seed(couple_id: int, slot_at: datetime) -> str:
    return f"{couple_id}:{slot_at.isoformat()}"


def _instance_row(couple_id: int, slot_at: datetime, prompt: LibraryPrompt, source: str, now: datetime) -> dict:
    return {
        "couple_id": couple_id,
        "slot_at": slot_at,
        "source": source,
        "prompt_id": prompt.id,
        "theme_id": prompt.theme_id,
        "depth": prompt.depth,
        "text": prompt.text,
        "follow_up": prompt.follow_up,
        "delivered_at": now,
        "remind_at": now + REMIND_AFTER,
    }


def depth_ceiling(couple_id: int, at: datetime | None = None) -> int:
    """The couple's depth: the lower of the two partners' own ceilings (each quieter while their easing lasts)."""
    value = db.session.scalar(
        sa.select(sa.func.min(depth.own_ceiling_sql(at or utcnow())))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.current_in(couple_id))
    )
    return value or 1


def partner_ids(couple_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Membership.user_id).where(Membership.current_in(couple_id))))


def depth_now(couple: Couple, at: datetime | None = None) -> int:
    """The deepest a prompt may be for this couple now: the ramp, within the more cautious partner's ceiling."""
    return depth.current_depth(couple.depth_level, depth_ceiling(couple.id, at))


def leanings(couple_ids: list[int]) -> dict[int, list[list[str]]]:
    """Each couple's partners' reasons for coming (private intakes), read only to lean the path, never shown."""
    found: dict[int, list[list[str]]] = {}
    for start in range(0, len(couple_ids), 500):
        rows = db.session.execute(
            sa.select(Membership.couple_id, Intake.reasons)
            .join(Intake, Intake.user_id == Membership.user_id)
            .where(Membership.couple_id.in_(couple_ids[start : start + 500]), Membership.is_current)
        )
        for couple_id, reasons in rows:
            if reasons:
                found.setdefault(couple_id, []).append(list(reasons))
    return found


def deliver(
    couple: Couple, slot_at: datetime, *, source: str = "library", deck: Deck | None = None
) -> PromptInstance | None:
    """Store the couple's prompt for this slot and notify both; None when the slot already has one.

    A prompt their therapist assigned comes first, ahead of the library, when it is within the
    couple's depth now; a deeper one waits until they get there.
    """
    allowed = depth_now(couple, slot_at)
    if source == "library":
        assignment = links.next_assignment(couple.id, allowed)
        if assignment is not None:
            return deliver_assignment(couple, slot_at, assignment)
    deck = deck or Deck.load()
    stage = depth.path_stage(couple.conversations, couple.focus_stage)
    lean = depth.lean_themes(leanings([couple.id]).get(couple.id, []), couple.conversations)
    choice = deck.choose(couple.used_prompts, allowed, couple.last_theme_id, _seed(couple.id, slot_at), stage, lean)
    if choice is None:
        return None
    prompt, used = choice
    now = utcnow()
    inserted = insert_ignoring_duplicates(
        PromptInstance,
        [_instance_row(couple.id, slot_at, prompt, source, now)],
        ["couple_id", "slot_at"],
        returning=[PromptInstance.id],
    )
    if not inserted:
        return None
    couple.used_prompts, couple.last_theme_id = used, prompt.theme_id
    instance_id = inserted[0].id
    carry_kept_answers(couple.id, prompt.id, instance_id)
    versions.couple_changed(couple.id)
    notify.queue(partner_ids(couple.id), notify.new_prompt(couple.id, slot_at, instance_id), now)
    return db.session.get(PromptInstance, instance_id)


def carry_kept_answers(couple_id: int, prompt_id: str, instance_id: int) -> None:
    """A prompt set aside comes round again with the answers written to it: nothing typed is lost."""
    kept = db.session.scalars(
        sa.select(PromptInstance.id).where(
            PromptInstance.couple_id == couple_id,
            PromptInstance.prompt_id == prompt_id,
            PromptInstance.set_aside_at.is_not(None),
            PromptInstance.carried_to_id.is_(None),
            PromptInstance.id != instance_id,
        )
    ).all()
    if not kept:
        return
    # Each partner has at most one answer per prompt; the newest kept one goes on.
    for old_id in sorted(kept, reverse=True):
        taken = sa.select(Answer.user_id).where(Answer.instance_id == instance_id).scalar_subquery()
        db.session.execute(
            sa.update(Answer)
            .where(Answer.instance_id == old_id, Answer.user_id.not_in(taken))
            .values(instance_id=instance_id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.update(PromptInstance)
        .where(PromptInstance.id.in_(kept))
        .values(carried_to_id=instance_id)
        .execution_options(synchronize_session=False)
    )


def deliver_assignment(couple: Couple, slot_at: datetime, assignment: Assignment) -> PromptInstance | None:
    """Deliver an assignment as the couple's prompt for this slot, marked as from their therapist.

    A prompt in the therapist's own words carries the theme they chose, and so its guidance and starters.
    """
    prompt = db.session.get(Prompt, assignment.prompt_id) if assignment.prompt_id else None
    now = utcnow()
    instance = PromptInstance(
        couple_id=couple.id,
        slot_at=slot_at,
        source="therapist",
        prompt_id=prompt.id if prompt else None,
        theme_id=prompt.theme_id if prompt else assignment.theme_id,
        depth=prompt.depth if prompt else assignment.depth or 1,
        text=prompt.text if prompt else assignment.text,
        follow_up=prompt.follow_up if prompt else None,
        note=assignment.note,
        delivered_at=now,
        remind_at=now + REMIND_AFTER,
    )
    try:
        with db.session.begin_nested():
            db.session.add(instance)
    except IntegrityError:
        return None
    assignment.instance_id = instance.id
    if prompt is not None:
        carry_kept_answers(couple.id, prompt.id, instance.id)
    versions.couple_changed(couple.id)
    notify.queue(partner_ids(couple.id), notify.new_prompt(couple.id, slot_at, instance.id), now)
    return instance


def next_scheduled(couple: Couple, after: datetime) -> datetime | None:
    return clock.next_slot(after, couple.timezone, couple.delivery_time, couple.cadence, couple.cadence_days)


def start_schedule(couple: Couple, now: datetime) -> None:
    """Welcome a newly paired couple with a prompt at once and set their first scheduled slot."""
    deliver(couple, now.replace(microsecond=0), source="first")
    couple.next_delivery_at = next_scheduled(couple, now + FIRST_GAP)


def set_schedule(couple: Couple, tz_name: str, at: time, cadence: str, days: int, now: datetime | None = None) -> None:
    """Change when a couple's prompts arrive; the next one moves to the first new slot."""
    tz_name = clock.check_timezone(tz_name)
    if cadence not in ("daily", "weekdays", "days"):
        raise Invalid("Choose every day, weekdays, or the days you pick.", field="cadence")
    if cadence == "days" and not days & clock.EVERY_DAY_MASK:
        raise Invalid("Pick at least one day.", field="days")
    couple.timezone, couple.cadence, couple.cadence_days = tz_name, cadence, days
    couple.delivery_time = at.replace(second=0, microsecond=0)
    if couple.next_delivery_at is not None:
        couple.next_delivery_at = next_scheduled(couple, now or utcnow())
    versions.couple_changed(couple.id)


def return_to_deck(couple: Couple, prompt_id: str) -> None:
    """A prompt set aside goes back into the couple's current round, so it comes again later."""
    seq = db.session.scalar(sa.select(Prompt.seq).where(Prompt.id == prompt_id))
    if seq is not None:
        couple.used_prompts = format(int(couple.used_prompts or "0", 16) & ~(1 << seq), "x")


def take_from_deck(couple: Couple, prompt_id: str) -> None:
    """An undone set-aside: the prompt counts as given again in the couple's round."""
    seq = db.session.scalar(sa.select(Prompt.seq).where(Prompt.id == prompt_id))
    if seq is not None:
        couple.used_prompts = format(int(couple.used_prompts or "0", 16) | (1 << seq), "x")


def release_hold(couple: Couple, now: datetime) -> None:
    """After a reveal, a couple held by the pile-up rule goes back on schedule at the next slot."""
    if couple.held_since is not None and couple.ended_at is None and couple.paused_at is None:
        couple.held_since = None
        couple.next_delivery_at = next_scheduled(couple, now)


# The per-minute tick -----------------------------------------------------------

_DUE_COLUMNS = f"""
SELECT c.id, c.timezone, c.delivery_time, c.cadence, c.cadence_days, c.next_delivery_at, c.used_prompts,
       c.last_theme_id, c.depth_level, c.conversations, c.focus_stage,
       (SELECT min({depth.OWN_CEILING_TEXT}) FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.couple_id = c.id AND m.left_at IS NULL) AS ceiling,
       (SELECT count(*) FROM prompt_instances p
         WHERE p.couple_id = c.id AND p.revealed_at IS NULL AND p.set_aside_at IS NULL) AS open_count
"""
_DUE_BATCH = """
  FROM couples c
 WHERE c.next_delivery_at <= :now AND c.ended_at IS NULL
 ORDER BY c.next_delivery_at
 LIMIT :batch
"""
_DUE = _DUE_COLUMNS + _DUE_BATCH
# A second scheduler (or the tick's other worker) skips the couples this one is working on rather than
# waiting for them. The batch is locked first and only then are its ceilings and open prompts counted:
# in one statement they were counted for every row passed over as well.
_DUE_LOCKED = (
    "WITH c AS (SELECT c.id, c.timezone, c.delivery_time, c.cadence, c.cadence_days, c.next_delivery_at,"
    " c.used_prompts, c.last_theme_id, c.depth_level, c.conversations, c.focus_stage"
    + _DUE_BATCH
    + " FOR UPDATE OF c SKIP LOCKED)"
    + _DUE_COLUMNS
    + "  FROM c ORDER BY c.next_delivery_at"
)
_ADVANCE = """
UPDATE couples SET next_delivery_at = :next, used_prompts = :used, last_theme_id = :theme, held_since = :held,
       version = version + 1
 WHERE id = :id AND next_delivery_at = :due
"""
_INSERT_INSTANCE = """
INSERT INTO prompt_instances (couple_id, slot_at, source, prompt_id, theme_id, depth, text, follow_up,
                              delivered_at, remind_at)
VALUES (:couple_id, :slot_at, 'library', :prompt_id, :theme_id, :depth, :text, :follow_up, :now, :remind_at)
ON CONFLICT (couple_id, slot_at) DO NOTHING
"""
# The couple's newest prompt is the one this batch just delivered (ids only grow). Found in one grouped pass
# rather than a subquery per device: within the burst the planner's statistics still describe the table as it
# was before this transaction's inserts, and on PostgreSQL a per-row subquery was planned as a scan per row.
_DEVICES = """
SELECT m.couple_id, s.id, u.timezone, u.quiet_start, u.quiet_end, newest.id
  FROM (SELECT couple_id, max(id) AS id FROM prompt_instances WHERE couple_id {couples} GROUP BY couple_id) newest
  JOIN memberships m ON m.couple_id = newest.couple_id
  JOIN users u ON u.id = m.user_id
  JOIN push_subscriptions s ON s.user_id = u.id
 WHERE m.left_at IS NULL AND u.notify_new_prompt
"""
_INSERT_PUSH = """
INSERT INTO push_messages (subscription_id, kind, event_key, url, created_at, next_attempt_at, status, attempts)
VALUES (:subscription_id, :kind, :event_key, :url, :created_at, :next_attempt_at, :status, :attempts)
ON CONFLICT (subscription_id, event_key) DO NOTHING
"""


def _parse_time(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


class _Plans:
    """Schedule arithmetic done once per distinct (zone, time, cadence, days), not once per couple."""

    def __init__(self, driver: bulk.Driver, now: datetime):
        self.driver, self.now, self._slots, self._releases = driver, now, {}, {}

    def slots(self, tz_name, at, cadence, days):
        """(slot as stored, following slot as stored, slot) for a schedule."""
        key = (tz_name, at, cadence, days)
        if key not in self._slots:
            plan = (tz_name, _parse_time(at), cadence, days)
            slot = clock.latest_slot_at_or_before(self.now, *plan)
            self._slots[key] = (
                self.driver.stamp(slot),
                self.driver.stamp(clock.next_slot(self.now, *plan)),
                slot,
            )
        return self._slots[key]

    def release(self, tz_name, start, end):
        key = (tz_name, start, end)
        if key not in self._releases:
            quiet = (_parse_time(start) if start is not None else None, _parse_time(end) if end is not None else None)
            self._releases[key] = self.driver.stamp(quiet_hours.release_time(self.now, tz_name, *quiet))
        return self._releases[key]


def deliver_due(
    now: datetime | None = None, batch_size: int = BATCH, end_batch: Callable[[], None] = lambda: None
) -> int:
    """Deliver to every couple whose slot has come, in batches; returns the prompts delivered.

    After downtime a couple gets one prompt, for its latest slot, never one per
    missed slot. A couple with two prompts still waiting is held instead.
    Each batch (the prompts, the couples' next-delivery times, the notifications
    queued) ends with end_batch: the job's commit, so each batch is one transaction.
    """
    now = now or utcnow()
    deck = Deck.load()
    driver = bulk.Driver()
    plans = _Plans(driver, now)
    stamp_now, stamp_remind, stamp_held = driver.stamp(now), driver.stamp(now + REMIND_AFTER), driver.stamp(now)
    delivered = 0
    seen: set[int] = set()
    while True:
        due = driver.rows(_DUE_LOCKED if driver.postgres else _DUE, {"now": stamp_now, "batch": batch_size})
        # A couple still due after its turn was advanced by someone else meanwhile; never loop on it.
        due = [row for row in due if row[0] not in seen]
        if not due:
            return delivered
        seen.update(row[0] for row in due)
        # Rare: a therapist's assignment, or a set-aside prompt's kept answers; delivered one by one.
        assigned = _delivered_by_hand(driver, [row[0] for row in due])
        reasons = _leanings(driver, [row[0] for row in due])
        advances, instances, events, by_hand = [], [], {}, []
        for row in due:
            couple_id, tz_name, at, cadence, days, due_at, used, last_theme, level, conversations, focus = row[:11]
            ceiling, open_count = row[11:]
            slot, following, slot_at = plans.slots(tz_name, at, cadence, days)
            advance = {
                "id": couple_id,
                "due": due_at,
                "next": following,
                "used": used,
                "theme": last_theme,
                "held": None,
            }
            if open_count >= MAX_OPEN_PROMPTS:
                advance.update(next=None, held=stamp_held)
            elif slot is not None and couple_id in assigned:
                by_hand.append((couple_id, slot_at))
            elif slot is not None:
                allowed = depth.current_depth(level, ceiling or 1)
                stage = depth.path_stage(conversations, focus)
                lean = depth.lean_themes(reasons.get(couple_id, []), conversations)
                choice = deck.choose(used, allowed, last_theme, f"{couple_id}:{slot}", stage, lean)
                if choice is not None:
                    prompt, advance["used"] = choice
                    advance["theme"] = prompt.theme_id
                    instances.append(
                        {
                            "couple_id": couple_id,
                            "slot_at": slot,
                            "prompt_id": prompt.id,
                            "theme_id": prompt.theme_id,
                            "depth": prompt.depth,
                            "text": prompt.text,
                            "follow_up": prompt.follow_up,
                            "now": stamp_now,
                            "remind_at": stamp_remind,
                        }
                    )
                    events[couple_id] = slot_at
            advances.append(advance)
        driver.many(_ADVANCE, advances)
        delivered += driver.many(_INSERT_INSTANCE, instances)
        _notify_new_prompts(driver, plans, events, stamp_now)
        for couple_id, slot_at in by_hand:
            delivered += deliver(db.session.get(Couple, couple_id), slot_at) is not None
        end_batch()


def _delivered_by_hand(driver: bulk.Driver, couple_ids: list[int]) -> set[int]:
    """The due couples with a therapist's assignment waiting, or answers kept on a prompt set aside."""
    found: set[int] = set()
    for couples, params in driver.each_in("c", couple_ids):
        found.update(
            row[0]
            for row in driver.rows(
                f"SELECT DISTINCT couple_id FROM assignments WHERE instance_id IS NULL AND cancelled_at IS NULL "
                f"AND couple_id {couples} "
                f"UNION SELECT DISTINCT couple_id FROM prompt_instances "
                f"WHERE set_aside_at IS NOT NULL AND carried_to_id IS NULL AND couple_id {couples} "
                f"AND EXISTS (SELECT 1 FROM answers a WHERE a.instance_id = prompt_instances.id)",
                params,
            )
        )
    return found


def _leanings(driver: bulk.Driver, couple_ids: list[int]) -> dict[int, list[list[str]]]:
    """leanings() for the tick: the same answers, read through the driver (one statement on PostgreSQL)."""
    found: dict[int, list[list[str]]] = {}
    for couples, params in driver.each_in("c", couple_ids):
        for couple_id, reasons in driver.rows(
            f"SELECT m.couple_id, i.reasons FROM memberships m JOIN intakes i ON i.user_id = m.user_id "
            f"WHERE m.left_at IS NULL AND m.couple_id {couples}",
            params,
        ):
            # A JSON column: SQLite's driver hands back its text, psycopg the decoded list.
            reasons = json.loads(reasons) if isinstance(reasons, str) else reasons
            if reasons:
                found.setdefault(couple_id, []).append(list(reasons))
    return found


def _notify_new_prompts(driver: bulk.Driver, plans: _Plans, slots: dict[int, datetime], stamp_now) -> None:
    """Queue "a new prompt is waiting" for every device of both partners of these couples: the same rows
    notify.queue writes for a prompt delivered one at a time."""
    pushes = []
    for couples, params in driver.each_in("c", list(slots)):
        for couple_id, subscription_id, tz_name, quiet_start, quiet_end, instance_id in driver.rows(
            _DEVICES.format(couples=couples), params
        ):
            event = notify.new_prompt(couple_id, slots[couple_id], instance_id)
            release = plans.release(tz_name, quiet_start, quiet_end)
            pushes.append(notify.outbox_row(subscription_id, event, stamp_now, release))
    driver.many(_INSERT_PUSH, pushes)
