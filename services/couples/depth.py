"""The depth ramp and the path: how deep a couple's prompts go now, and which stage of the work comes first.

Both are small pure functions with their numbers here, in one place. The
ceiling stays the lower of the two partners' choices; within it the couple
starts light, goes to medium after a few revealed conversations, and to deep
only after a few medium conversations in which both felt heard. A pause or
stepping away from a conversation eases it back one step. The stored state
(Couple.depth_level, depth_revealed, depth_heard, conversations) moves in the
transaction of the event that moves it, so both delivery paths read columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Couple, PromptInstance, Theme, User
from services.common.errors import Invalid
from services.couples import versions

LIGHT, MEDIUM, DEEP = 1, 2, 3
# Light until this many conversations have been revealed at light.
MEDIUM_AFTER_REVEALED = 4
# Then medium until this many medium (or deeper) conversations in which both partners felt heard.
DEEP_AFTER_HEARD = 3
# Deliveries that can never be deep, whatever the couple chose: 4 light reveals, then 3 medium ones.
NEVER_DEEP_BEFORE = MEDIUM_AFTER_REVEALED + DEEP_AFTER_HEARD

# The path: the stage of the work the couple is on, by revealed conversations in all.
STAGES = {1: "Steadiness", 2: "Deepening", 3: "Repair and a new story"}
STAGE_STARTS = {1: 0, 2: 8, 3: 20}
# Out of every PATH_OF prompts, PATH_SHARE come from the current stage's themes (others still appear).
PATH_SHARE, PATH_OF = 3, 4

# Easing after a hard moment or a low safety check-in: that person's own ceiling is Light for a few days,
# starting only after EASE_WAITS, so no prompt due soon changes and nothing lines up with the moment itself.
# A quieter ceiling is indistinguishable, to the partner, from a private choice of Light.
EASED_CEILING = LIGHT
EASE_WAITS = timedelta(hours=20)
EASE_LASTS = timedelta(days=4)

# What brings each person here leans the path, gently: out of every LEAN_OF choices, LEAN_SHARE prefer the
# leaning themes (when any are in the pool). Both partners' leanings are pooled, so neither's can be read off.
LEANS = {
    "betrayal": ("accountability", "transparency"),
    "promises": ("reliability", "accountability"),
    "distance": ("appreciation", "emotional-language"),
    "hard-season": ("steadiness", "triggers"),
    "other": (),
}
# Repair leanings wait for the first stretch (on steadiness) to pass: they come somewhat later, but they come.
LEAN_LATER = frozenset({"betrayal", "promises"})
LEAN_LATER_AFTER = MEDIUM_AFTER_REVEALED
LEAN_SHARE, LEAN_OF = 1, 2


@dataclass(frozen=True)
class Ramp:
    """Where a couple is on the ramp: the depth reached, and what it has shown since reaching it."""

    level: int = LIGHT
    revealed: int = 0
    heard: int = 0


def _climbed(ramp: Ramp, ceiling: int) -> Ramp:
    if ramp.level == LIGHT and ceiling >= MEDIUM and ramp.revealed >= MEDIUM_AFTER_REVEALED:
        return Ramp(MEDIUM)
    if ramp.level == MEDIUM and ceiling >= DEEP and ramp.heard >= DEEP_AFTER_HEARD:
        return Ramp(DEEP)
    return ramp


def after_reveal(ramp: Ramp, ceiling: int) -> Ramp:
    """A conversation was revealed (both answered)."""
    return _climbed(Ramp(ramp.level, ramp.revealed + 1, ramp.heard), ceiling)


def after_both_heard(ramp: Ramp, conversation_depth: int, ceiling: int) -> Ramp:
    """Both partners felt heard in a conversation; it counts toward going deeper only at the current depth."""
    if conversation_depth < ramp.level:
        return ramp
    return _climbed(Ramp(ramp.level, ramp.revealed, ramp.heard + 1), ceiling)


def eased_back(ramp: Ramp) -> Ramp:
    """After a pause or stepping away: one step lighter, and the next step is earned again."""
    return Ramp(max(LIGHT, ramp.level - 1))


def current_depth(ramp_level: int, ceiling: int) -> int:
    """The deepest a prompt may be now: the ramp within the more cautious partner's ceiling."""
    return max(LIGHT, min(ramp_level, ceiling, DEEP))


def path_stage(conversations: int, focus: int | None = None) -> int:
    """The stage of the work the couple is on: their therapist's focus if set, else by conversations had."""
    if focus in STAGES:
        return focus
    return max(stage for stage, start in STAGE_STARTS.items() if conversations >= start)


def follows_path(seed_hash: int) -> bool:
    """Whether this delivery keeps to the stage's themes (PATH_SHARE in PATH_OF do), from the seeded hash."""
    return seed_hash % PATH_OF < PATH_SHARE


def lean_themes(reasons_each: Iterable[Iterable[str]], conversations: int) -> frozenset[str]:
    """The themes the couple's path leans toward: both partners' reasons pooled, repair ones after the first stretch."""
    themes: set[str] = set()
    for reasons in reasons_each:
        for reason in reasons or ():
            if reason in LEAN_LATER and conversations < LEAN_LATER_AFTER:
                continue
            themes.update(LEANS.get(reason, ()))
    return frozenset(themes)


def leans(lean_hash: int) -> bool:
    """Whether this delivery prefers the leaning themes (LEAN_SHARE in LEAN_OF do), from its own seeded hash."""
    return lean_hash % LEAN_OF < LEAN_SHARE


def ease_window(event_at: datetime, ease_from: datetime | None, ease_until: datetime | None):
    """The (from, until) of a person's easing after a hard moment at event_at, joined with any easing they have.

    It never starts sooner than EASE_WAITS after the moment; an easing already running or waiting keeps its start
    and lasts at least EASE_LASTS from the new one's start.
    """
    start = event_at + EASE_WAITS
    until = start + EASE_LASTS
    if ease_until is not None and ease_until > event_at:
        return min(ease_from or start, start), max(ease_until, until)
    return start, until


def own_ceiling(chosen: int, ease_from: datetime | None, ease_until: datetime | None, at: datetime) -> int:
    """A person's ceiling at a moment: their choice, quieter (EASED_CEILING) while their easing lasts."""
    if ease_from is not None and ease_until is not None and ease_from <= at < ease_until:
        return min(chosen, EASED_CEILING)
    return chosen


def own_ceiling_sql(at):
    """own_ceiling as SQL over users' columns, for the delivery queries (at: a bound parameter or value)."""
    eased = sa.and_(User.ease_from <= at, User.ease_until > at, User.max_depth > EASED_CEILING)
    return sa.case((eased, EASED_CEILING), else_=User.max_depth)


# The same, for the per-minute tick's statement (services/delivery/delivery.py), at its :now.
OWN_CEILING_TEXT = (
    f"CASE WHEN u.ease_from <= :now AND u.ease_until > :now AND u.max_depth > {EASED_CEILING} "
    f"THEN {EASED_CEILING} ELSE u.max_depth END"
)


def ease_after_hard_moment(user: User, now: datetime) -> None:
    """After a hard moment or a low safety check-in: this person's own ceiling goes quiet for a few days, later.

    Only the person's own row and page version move; the partner's pages stay byte for byte the same.
    """
    user.ease_from, user.ease_until = ease_window(now, user.ease_from, user.ease_until)
    versions.my_pages_changed(user)


def choose_ceiling(user: User, ceiling: int) -> None:
    """How deep prompts may go for me, from Settings; the couple gets the lower of the two choices."""
    if ceiling not in (1, 2, 3):
        raise Invalid("Choose one of the three depths.", field="max_depth")
    user.max_depth = ceiling
    versions.my_pages_changed(user)


def keep_usual_depth(user: User) -> None:
    """The person's undo: no easing, their own choice as it was."""
    user.ease_from = user.ease_until = None
    versions.my_pages_changed(user)


def easing_shown(user: User, now: datetime) -> bool:
    """Whether to show the person (only them) the kind line about easing: while it waits or lasts."""
    return user.ease_until is not None and now < user.ease_until


# Moving the stored ramp, in the transaction of the event ------------------------------------------


def _ramp_of(couple: Couple) -> Ramp:
    return Ramp(couple.depth_level, couple.depth_revealed, couple.depth_heard)


def _store(couple: Couple, ramp: Ramp) -> None:
    couple.depth_level, couple.depth_revealed, couple.depth_heard = ramp.level, ramp.revealed, ramp.heard


def _locked(couple_id: int) -> Couple:
    return db.session.scalar(sa.select(Couple).where(Couple.id == couple_id).with_for_update())


def conversation_revealed(couple_id: int, ceiling: int) -> None:
    """A reveal moves the ramp and the path on (the caller's transaction also moves the couple's version)."""
    couple = _locked(couple_id)
    _store(couple, after_reveal(_ramp_of(couple), ceiling))
    couple.conversations += 1


def both_felt_heard(couple_id: int, conversation_depth: int, ceiling: int) -> None:
    couple = _locked(couple_id)
    _store(couple, after_both_heard(_ramp_of(couple), conversation_depth, ceiling))


def ease_back(couple: Couple) -> None:
    _store(couple, eased_back(_ramp_of(couple)))


def status(couple: Couple, own_ceiling: int) -> tuple[int, str, int, str]:
    """(depth, the words for it, stage, the stage's name) for one partner's Today.

    It reads only the couple's ramp and the viewer's own choice, never the partner's (their choice is
    theirs alone), so the words say "within what you each chose" rather than naming a depth.
    """
    level = current_depth(couple.depth_level, own_ceiling)
    words = {
        LIGHT: "We're keeping things light for now.",
        MEDIUM: "Your prompts can go a little deeper now, within what you each chose.",
        DEEP: "The deeper prompts are open to you now, within what you each chose.",
    }[level]
    stage = path_stage(couple.conversations, couple.focus_stage)
    return level, words, stage, STAGES[stage]


def theme_intro(instance) -> Theme | None:
    """The theme to introduce on this prompt: the first time a theme comes to the couple, a few words about it."""
    if instance.theme_id is None:
        return None
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PromptInstance)
        .where(
            PromptInstance.couple_id == instance.couple_id,
            PromptInstance.theme_id == instance.theme_id,
            PromptInstance.id < instance.id,
        )
    )
    return None if earlier else db.session.get(Theme, instance.theme_id)
