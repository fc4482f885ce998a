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

from dataclasses import dataclass

import sqlalchemy as sa

from extensions import db
from models import Couple, PromptInstance, Theme

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
