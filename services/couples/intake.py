"""The first run after pairing: each person chooses their pace, privately.

Their depth ceiling (User.max_depth, Light unless they choose otherwise) and,
if they like, what brings them here, whether they see a therapist, and one
question only they can answer: "Do you feel safe with your partner?". None of
it is shown to the partner, a therapist or the partner's export; changes move
only the person's own page version (services/couples/versions.py), never the
couple's, so the partner's pages do not change at all.
"""

from __future__ import annotations

from datetime import datetime

from extensions import db
from models import Intake, User, utcnow
from models.intake import REASONS, SAFE_ANSWERS
from services.common.errors import Invalid
from services.couples import depth as depth_rule
from services.couples import versions


def intake_of(user: User) -> Intake | None:
    """The person's own intake; nothing else in Attune reads it."""
    return db.session.get(Intake, user.id)


def _own(user: User) -> Intake:
    intake = intake_of(user)
    if intake is None:
        intake = Intake(user_id=user.id, reasons=[])
        db.session.add(intake)
    return intake


def choose_depth(user: User, depth: int) -> Intake:
    """The first screen: how deep prompts may go for me (the couple gets the lower of the two choices)."""
    depth_rule.choose_ceiling(user, depth)
    intake = _own(user)
    db.session.flush()
    return intake


def answer(
    user: User, reasons: list[str], sees_therapist: str | None, feels_safe: str | None, now: datetime | None = None
) -> Intake:
    """The second screen, every question optional: it finishes the first run."""
    if any(reason not in REASONS for reason in reasons):
        raise Invalid("Choose from the list, or leave it.", field="reasons")
    if sees_therapist not in (None, "yes", "no"):
        raise Invalid("Choose yes or no, or leave it.", field="sees_therapist")
    if feels_safe not in (None, *SAFE_ANSWERS):
        raise Invalid("Choose an answer, or leave it.", field="feels_safe")
    intake = _own(user)
    intake.reasons = [reason for reason in REASONS if reason in reasons]
    intake.sees_therapist, intake.feels_safe = sees_therapist, feels_safe
    intake.completed_at = intake.completed_at or now or utcnow()
    db.session.flush()
    versions.my_pages_changed(user)
    return intake


def needs_safety_note(intake: Intake | None) -> bool:
    """An answer of no or unsure shows this person, and only them, the safety page and a quiet way out."""
    return intake is not None and intake.feels_safe in ("no", "unsure")


def offers_therapist_invite(user: User) -> bool:
    """Whether to offer this person (only them) to invite their therapist: they said they see one, and the couple
    has no therapist linked yet."""
    from services.therapist import links

    own = intake_of(user)
    return own is not None and own.sees_therapist == "yes" and not links.links_of_couple(user)


def finished(user: User) -> bool:
    """Whether the person finished their first run (loaded with the user: no query here)."""
    return user.intake_finished


def export(user: User) -> dict | None:
    """The person's own intake for their own export (never for anyone else's)."""
    intake = intake_of(user)
    if intake is None:
        return None
    return {
        "reasons": list(intake.reasons),
        "sees_therapist": intake.sees_therapist,
        "feels_safe": intake.feels_safe,
        "completed_at": intake.completed_at.isoformat() if intake.completed_at else None,
    }
