"""Reassurance requests: "I'm having a hard moment", sent to the partner, answered with presence.

Sending one is the person's choice each time, and it is a sharing (PRODUCT.md
invariant 7): the partner receives it, and nobody else. A few a day at most,
a limit that protects both. Either partner may turn receiving them off; the
other then sees, neutrally, that it is off before they try. The push
notification never carries the line or a name (notify.reassurance); an urgent
one passes quiet hours only for someone who allows urgent ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from extensions import db
from models import Couple, ReassuranceRequest, User, utcnow
from models.moments import REASSURANCE_LINE_MAX
from services.access import moments as access
from services.common.errors import Conflict, Invalid
from services.common.text import check_line
from services.conversation import reading
from services.couples import depth, versions
from services.notifications import notify

if TYPE_CHECKING:
    from services.access.therapist import TherapistAccess

DAILY_LIMIT = 3
WINDOW = timedelta(hours=24)
# Our own quick replies: presence, not defending, not fixing, not debating facts.
QUICK_REPLIES = {
    "here": "I'm here.",
    "call": "I'll call you in five minutes.",
    "staying": "I'm not going anywhere.",
}


@dataclass(frozen=True)
class ReachOut:
    """What the hard-moment page may offer for reaching out, as of now."""

    partner: User | None
    receiving: bool  # the partner has receiving turned on
    within_limit: bool  # fewer than DAILY_LIMIT sent in the last day (the number itself is never shown)

    @property
    def can_send(self) -> bool:
        return self.partner is not None and self.receiving and self.within_limit


def _recent(user: User, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ReassuranceRequest)
        .where(ReassuranceRequest.sender_id == user.id, ReassuranceRequest.created_at > now - WINDOW)
    )


def reach_out(user: User, now: datetime | None = None) -> ReachOut:
    now = now or utcnow()
    membership = user.active_membership
    partner = reading.partner_in(user, membership.couple_id) if membership else None
    return ReachOut(
        partner=partner,
        receiving=bool(partner and partner.receive_reassurance),
        within_limit=_recent(user, now) < DAILY_LIMIT,
    )


def send(user: User, line: str | None = None, urgent: bool = False, now: datetime | None = None) -> ReassuranceRequest:
    """Ask my partner for reassurance, with an optional short line; they are notified (without the line)."""
    now = now or utcnow()
    membership = user.active_membership
    if membership is None:
        raise Conflict("Reaching out needs a partner in Attune. The steps on this page are yours whatever happens.")
    # The sender's own couple row, locked: two sends at once are counted one after the other.
    db.session.scalar(sa.select(Couple.id).where(Couple.id == membership.couple_id).with_for_update())
    state = reach_out(user, now)
    if state.partner is None:
        raise Conflict("Reaching out needs a partner in Attune. The steps on this page are yours whatever happens.")
    if not state.receiving:
        raise Conflict("Your partner has turned off reassurance requests for now.")
    if not state.within_limit:
        raise Conflict(
            "You've reached out a few times today. There's a daily limit, to look after you both. "
            "The breathing and grounding here are still yours, any time."
        )
    if line is not None and not line.strip():
        line = None
    if line is not None:
        line = check_line(line, limit=REASSURANCE_LINE_MAX, field="line", what="message")
    request = ReassuranceRequest(
        couple_id=membership.couple_id,
        sender_id=user.id,
        recipient_id=state.partner.id,
        line=line,
        urgent=bool(urgent),
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    # A hard moment: my own ceiling goes quiet for a few days, starting later (depth.ease_after_hard_moment).
    depth.ease_after_hard_moment(user, now)
    versions.couple_changed(membership.couple_id)
    notify.queue([state.partner.id], notify.reassurance(request.id, urgent=bool(urgent)), now)
    return request


def reply(user: User, request_id: int, *, quick: str | None = None, words: str | None = None) -> ReassuranceRequest:
    """Answer a request my partner sent me, once: one of our quick replies, or my own words."""
    request = access.sent_to_me(user, request_id, lock=True)
    if request.replied_at is not None:
        raise Conflict("You've already answered this one. Thank you for being there.")
    if quick:
        if quick not in QUICK_REPLIES:
            raise Invalid("Choose one of the replies, or write your own.", field="words")
        text = QUICK_REPLIES[quick]
    else:
        text = check_line(words, limit=REASSURANCE_LINE_MAX, field="words", what="reply")
    request.reply = text
    request.replied_at = utcnow()
    db.session.flush()
    versions.couple_changed(request.couple_id)
    notify.queue([request.sender_id], notify.reassurance_reply(request.id))
    return request


def sent_recently(user: User, now: datetime | None = None, days: int = 7) -> list[ReassuranceRequest]:
    """The requests I sent in the last week, newest first, with any replies."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(ReassuranceRequest)
            .where(ReassuranceRequest.sender_id == user.id, ReassuranceRequest.created_at > now - timedelta(days=days))
            .order_by(ReassuranceRequest.created_at.desc(), ReassuranceRequest.id.desc())
        )
    )


def received_recently(user: User, now: datetime | None = None, days: int = 7) -> list[ReassuranceRequest]:
    """The requests my partner sent me in the last week, newest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(ReassuranceRequest)
            .where(
                ReassuranceRequest.recipient_id == user.id,
                ReassuranceRequest.created_at > now - timedelta(days=days),
            )
            .order_by(ReassuranceRequest.created_at.desc(), ReassuranceRequest.id.desc())
        )
    )


@dataclass(frozen=True)
class WeekCount:
    week: date  # the Monday (UTC) of the week
    sent: int
    answered: int


def weekly_counts(access_: TherapistAccess, weeks: int = 8, now: datetime | None = None) -> list[WeekCount]:
    """For a consented therapist (progress scope): requests sent and answered per week, never their words."""
    access_.require("progress")
    couple_id = access_.couple_id
    now = now or utcnow()
    today = now.date()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    rows = db.session.execute(
        sa.select(ReassuranceRequest.created_at, ReassuranceRequest.replied_at).where(
            ReassuranceRequest.couple_id == couple_id,
            ReassuranceRequest.created_at >= datetime(first.year, first.month, first.day, tzinfo=now.tzinfo),
        )
    ).all()
    counts = {first + timedelta(weeks=i): [0, 0] for i in range(weeks)}
    for created_at, replied_at in rows:
        day = created_at.date()
        week = day - timedelta(days=day.weekday())
        if week in counts:
            counts[week][0] += 1
            counts[week][1] += replied_at is not None
    return [WeekCount(week, sent, answered) for week, (sent, answered) in counts.items()]
