"""Commitments: small, concrete actions chosen by the person who makes them, and the moments that show them.

The maker says "I did this" with a date (and a line, if they like); the
partner says "I noticed". Only what was done and what was noticed is kept:
no streaks, no percentages, nothing about what was missed. The maker can
revise or retire a commitment at any time. Services flush; the route commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import Commitment, CommitmentMoment, Membership, User, utcnow
from services.access import repair as access
from services.common import idempotency
from services.common.errors import Conflict, Invalid
from services.common.text import check_line
from services.couples import versions
from services.delivery import clock
from services.notifications import notify

TEXT_MAX = 300
NOTE_MAX = 300
# A moment can be given a date up to a year back (people catch up), never in the future.
OLDEST_MOMENT = timedelta(days=366)


def check_commitment(text: str | None) -> str:
    return check_line(text, limit=TEXT_MAX, field="commitment", what="commitment")


def _membership(user: User) -> Membership:
    membership = db.session.scalar(Membership.active_of(user.id))
    if membership is None:
        raise Conflict("Pair with your partner first: commitments are shared between the two of you.")
    return membership


def _partner_ids(couple_id: int, user_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(Membership.current_in(couple_id), Membership.user_id != user_id)
        )
    )


def make(user: User, text: str, *, conversation_id: int | None = None, client_key: str | None = None) -> Commitment:
    """A commitment in the maker's own words, on its own or answering a repair conversation's last step."""
    text = check_commitment(text)
    key = idempotency.check_key(client_key)
    request_print = idempotency.fingerprint("commitment", text, conversation_id)
    membership = _membership(user)
    if idempotency.earlier(user, key, request_print) is not None:
        existing = db.session.scalar(
            sa.select(Commitment)
            .where(Commitment.maker_id == user.id, Commitment.text == text)
            .order_by(Commitment.id.desc())
        )
        if existing is not None:
            return existing
    commitment = Commitment(
        couple_id=membership.couple_id, maker_id=user.id, text=text, conversation_id=conversation_id
    )
    db.session.add(commitment)
    db.session.flush()
    idempotency.remember(user, key, request_print)
    versions.couple_changed(membership.couple_id)
    return commitment


def _mine(user: User, commitment_id: int) -> Commitment:
    commitment = access.commitment_for(user, commitment_id, lock=True)
    if commitment.maker_id != user.id:
        raise Conflict("Only the person who made a commitment can change it.")
    return commitment


def revise(user: User, commitment_id: int, text: str) -> Commitment:
    """The maker puts it differently; what was done and noticed stays with it."""
    text = check_commitment(text)
    commitment = _mine(user, commitment_id)
    if commitment.retired_at is not None:
        raise Conflict("This commitment is retired. You can make a new one whenever you like.")
    if commitment.text != text:
        commitment.text, commitment.revised_at = text, utcnow()
        versions.couple_changed(commitment.couple_id)
    db.session.flush()
    return commitment


def retire(user: User, commitment_id: int) -> Commitment:
    """The maker sets it down, kindly: it stays in the history with what was done and noticed."""
    commitment = _mine(user, commitment_id)
    if commitment.retired_at is None:
        commitment.retired_at = utcnow()
        versions.couple_changed(commitment.couple_id)
    db.session.flush()
    return commitment


def _check_day(user: User, on: date | None) -> date:
    today = datetime.now(clock.zone(user.timezone)).date()
    on = on or today
    if on > today:
        raise Invalid("Choose today or a day before.", field="on")
    if on < today - OLDEST_MOMENT:
        raise Invalid("Choose a day within the last year.", field="on")
    return on


def _check_note(note: str | None) -> str | None:
    if not (note or "").strip():
        return None
    return check_line(note, limit=NOTE_MAX, field="note", what="line")


def add_moment(
    user: User,
    commitment_id: int,
    kind: str,
    on: date | None = None,
    note: str | None = None,
    client_key: str | None = None,
) -> CommitmentMoment:
    """ "I did this" (only the maker) or "I noticed" (only the partner), with a date and an optional line."""
    if kind not in ("did", "noticed"):
        raise Invalid("Choose \u201cI did this\u201d or \u201cI noticed\u201d.", field="kind")
    on = _check_day(user, on)
    note = _check_note(note)
    key = idempotency.check_key(client_key)
    request_print = idempotency.fingerprint("moment", commitment_id, kind, on, note)
    commitment = access.commitment_for(user, commitment_id, lock=True)
    if idempotency.earlier(user, key, request_print) is not None:
        existing = db.session.scalar(
            sa.select(CommitmentMoment)
            .where(CommitmentMoment.commitment_id == commitment.id, CommitmentMoment.author_id == user.id)
            .order_by(CommitmentMoment.id.desc())
        )
        if existing is not None:
            return existing
    if kind == "did" and commitment.maker_id != user.id:
        raise Conflict("\u201cI did this\u201d is for the person who made the commitment. You can say you noticed.")
    if kind == "noticed" and commitment.maker_id == user.id:
        raise Conflict("\u201cI noticed\u201d is your partner's to say. You can say you did this.")
    if commitment.retired_at is not None:
        raise Conflict("This commitment is retired, so it keeps what it has.")
    if user.id not in [m.user_id for m in _current(commitment.couple_id)]:
        raise Conflict("This couple has ended.")
    moment = CommitmentMoment(commitment_id=commitment.id, author_id=user.id, kind=kind, on=on, note=note)
    db.session.add(moment)
    db.session.flush()
    idempotency.remember(user, key, request_print)
    versions.couple_changed(commitment.couple_id)
    notify.queue(_partner_ids(commitment.couple_id, user.id), notify.commitment(moment.id))
    return moment


def _current(couple_id: int) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(Membership.current_in(couple_id))))


# Reading -------------------------------------------------------------------------


@dataclass
class CommitmentView:
    commitment: Commitment
    moments: list[CommitmentMoment]
    mine: bool

    @property
    def did(self) -> list[CommitmentMoment]:
        return [m for m in self.moments if m.kind == "did"]

    @property
    def noticed(self) -> list[CommitmentMoment]:
        return [m for m in self.moments if m.kind == "noticed"]


def of_couple(couple_id: int, viewer_id: int | None = None) -> list[CommitmentView]:
    """The couple's commitments, live ones first, each with its moments in the order they happened."""
    commitments = list(
        db.session.scalars(
            sa.select(Commitment)
            .where(Commitment.couple_id == couple_id)
            .order_by(Commitment.retired_at.is_not(None), Commitment.id.desc())
        )
    )
    moments: dict[int, list[CommitmentMoment]] = {c.id: [] for c in commitments}
    if commitments:
        for moment in db.session.scalars(
            sa.select(CommitmentMoment)
            .where(CommitmentMoment.commitment_id.in_(moments))
            .order_by(CommitmentMoment.on, CommitmentMoment.id)
        ):
            moments[moment.commitment_id].append(moment)
    return [CommitmentView(c, moments[c.id], c.maker_id == viewer_id) for c in commitments]


def for_therapist(seen: access.TherapistRepairView) -> list[CommitmentView]:
    """The couple's commitments with what was done and noticed, for a therapist within the progress scope."""
    return of_couple(seen.couple_id)


def for_partner(user: User) -> list[CommitmentView]:
    membership = db.session.scalar(Membership.active_of(user.id))
    return of_couple(membership.couple_id, user.id) if membership is not None else []


def read(user: User, commitment_id: int) -> CommitmentView:
    commitment = access.commitment_for(user, commitment_id)
    return next(v for v in of_couple(commitment.couple_id, user.id) if v.commitment.id == commitment.id)


def week_moments(couple_id: int, first_day: date, last_day: date) -> list[tuple[Commitment, CommitmentMoment]]:
    """The week's "I did this" and "I noticed" moments, for the weekly check-in's reveal."""
    rows = db.session.execute(
        sa.select(Commitment, CommitmentMoment)
        .join(CommitmentMoment, CommitmentMoment.commitment_id == Commitment.id)
        .where(Commitment.couple_id == couple_id, CommitmentMoment.on.between(first_day, last_day))
        .order_by(CommitmentMoment.on, CommitmentMoment.id)
    ).all()
    return [(c, m) for c, m in rows]
