"""Therapists and couples: linking by code, each partner's consent and scope, revocation, assignments, notes, the access log.

A therapist sees a couple only while every current partner has consented,
and only as much as the narrower of their scopes allows. Revoking is one
partner's decision alone and takes effect on the therapist's next request,
because every therapist read goes through services.access.therapist, which reads it afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from extensions import db
from models import (
    AccessEntry,
    Assignment,
    AssignmentAnswer,
    Consent,
    Couple,
    Membership,
    Prompt,
    Theme,
    TherapistLink,
    TherapistNote,
    User,
    utcnow,
)
from services.common.codes import new_code, normalise_code
from services.common.errors import Conflict, Invalid, NotFound
from services.common.text import ANSWER_MAX, check_text
from services.couples import versions
from services.delivery import clock

if TYPE_CHECKING:
    from services.access.therapist import TherapistAccess

PRACTICE_MAX = 120
NOTE_MAX = 500
SCOPE_ORDER = {"progress": 1, "conversations": 2}
SCOPE_WORDS = {
    "progress": "Progress only: how often you take part, how often you feel heard, and your check-in scores",
    "conversations": "Progress and your revealed conversations (never an answer before you've both answered)",
}


# Therapist identity -------------------------------------------------------------


def check_practice(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("Enter your practice's name.", field="practice_name")
    if len(name) > PRACTICE_MAX:
        raise Invalid(f"Keep the practice name to {PRACTICE_MAX} characters.", field="practice_name")
    return name


def link_code(therapist: User) -> str:
    """The therapist's code for couples to enter (made on first use)."""
    if not therapist.is_therapist:
        raise Conflict("Only therapist accounts have a link code.")
    if not therapist.therapist_code:
        therapist.therapist_code = new_code()
        db.session.flush()
    return therapist.therapist_code


def new_link_code(therapist: User) -> str:
    """Replace the code (the old one stops working; existing links stay)."""
    therapist.therapist_code = None
    db.session.flush()
    return link_code(therapist)


# Linking and consent -------------------------------------------------------------


def _active_membership(user: User) -> Membership:
    membership = db.session.scalar(Membership.active_of(user.id))
    if membership is None:
        raise Conflict("Pair with your partner before adding a therapist.")
    return membership


def link_by_code(partner: User, code: str) -> TherapistLink:
    """A partner adds a therapist by their code; nothing is shared until both partners consent."""
    membership = _active_membership(partner)
    code = normalise_code(code)
    therapist = (
        db.session.scalar(sa.select(User).where(User.therapist_code == code, User.role == "therapist"))
        if code
        else None
    )
    if therapist is None:
        # A refusal of what was typed (shown beside the field), not a missing page.
        raise Invalid("We couldn't find a therapist with that code. Check it with them.", field="code")
    existing = db.session.scalar(
        sa.select(TherapistLink).where(
            TherapistLink.couple_id == membership.couple_id,
            TherapistLink.therapist_id == therapist.id,
            TherapistLink.ended_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    link = TherapistLink(therapist_id=therapist.id, couple_id=membership.couple_id, created_by_id=partner.id)
    db.session.add(link)
    db.session.flush()
    return link


def link_for_partner(partner: User, link_id: int, *, lock: bool = False) -> TherapistLink:
    """A live link of the partner's current couple, or NotFound."""
    membership = _active_membership(partner)
    statement = sa.select(TherapistLink).where(
        TherapistLink.id == link_id, TherapistLink.couple_id == membership.couple_id, TherapistLink.ended_at.is_(None)
    )
    if lock:
        statement = statement.with_for_update()
    link = db.session.scalar(statement)
    if link is None:
        raise NotFound("We couldn't find that therapist link.")
    return link


def consent(partner: User, link_id: int, scope: str) -> Consent:
    """Give (or change) this partner's consent and scope."""
    if scope not in SCOPE_ORDER:
        raise Invalid("Choose what your therapist may see.", field="scope")
    link = link_for_partner(partner, link_id, lock=True)
    row = db.session.scalar(sa.select(Consent).where(Consent.link_id == link.id, Consent.user_id == partner.id))
    if row is None:
        row = Consent(link_id=link.id, user_id=partner.id, scope=scope)
        db.session.add(row)
    else:
        row.scope, row.given_at = scope, utcnow()
    db.session.flush()
    return row


def revoke(partner: User, link_id: int) -> None:
    """Withdraw this partner's consent: the therapist sees nothing again from their next request."""
    link = link_for_partner(partner, link_id, lock=True)
    db.session.execute(sa.delete(Consent).where(Consent.link_id == link.id, Consent.user_id == partner.id))


def end_link(user: User, link_id: int) -> None:
    """End a link: either partner, or the therapist."""
    if user.is_therapist:
        link = db.session.scalar(
            sa.select(TherapistLink).where(
                TherapistLink.id == link_id, TherapistLink.therapist_id == user.id, TherapistLink.ended_at.is_(None)
            )
        )
        if link is None:
            raise NotFound("We couldn't find that couple.")
    else:
        link = link_for_partner(user, link_id, lock=True)
    link.ended_at = utcnow()
    db.session.execute(sa.delete(Consent).where(Consent.link_id == link.id))
    db.session.execute(
        sa.update(Assignment)
        .where(Assignment.link_id == link.id, Assignment.instance_id.is_(None), Assignment.cancelled_at.is_(None))
        .values(cancelled_at=link.ended_at)
    )


@dataclass(frozen=True)
class LinkState:
    link: TherapistLink
    therapist: User
    partner_names: list[str]
    my_scope: str | None
    consented_user_ids: set[int]
    scope: str | None  # the effective scope; None until everyone has consented

    @property
    def status(self) -> str:
        return "active" if self.scope else "waiting for consent"


def link_states(links: list[TherapistLink], viewer: User | None = None) -> list[LinkState]:
    if not links:
        return []
    link_ids = [link.id for link in links]
    couple_ids = list({link.couple_id for link in links})
    consents = db.session.execute(
        sa.select(Consent.link_id, Consent.user_id, Consent.scope).where(Consent.link_id.in_(link_ids))
    ).all()
    members = db.session.execute(
        sa.select(Membership.couple_id, User.id, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.couple_id.in_(couple_ids), Membership.is_current)
        .order_by(Membership.seat)
    ).all()
    therapists = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({link.therapist_id for link in links})))
    }
    states = []
    for link in links:
        partners = [(uid, name) for cid, uid, name in members if cid == link.couple_id]
        given = {uid: scope for lid, uid, scope in consents if lid == link.id}
        everyone = len(partners) == 2 and all(uid in given for uid, _ in partners)
        scope = min((given[uid] for uid, _ in partners), key=SCOPE_ORDER.get) if everyone else None
        states.append(
            LinkState(
                link=link,
                therapist=therapists[link.therapist_id],
                partner_names=[name for _, name in partners],
                my_scope=given.get(viewer.id) if viewer else None,
                consented_user_ids=set(given),
                scope=scope,
            )
        )
    return states


def links_of_couple(partner: User) -> list[LinkState]:
    """The couple's live therapist links, as a partner sees them."""
    membership = db.session.scalar(Membership.active_of(partner.id))
    if membership is None:
        return []
    links = db.session.scalars(
        sa.select(TherapistLink)
        .where(TherapistLink.couple_id == membership.couple_id, TherapistLink.ended_at.is_(None))
        .order_by(TherapistLink.created_at)
    ).all()
    return link_states(list(links), partner)


def links_of_therapist(therapist: User) -> list[LinkState]:
    links = db.session.scalars(
        sa.select(TherapistLink)
        .where(TherapistLink.therapist_id == therapist.id, TherapistLink.ended_at.is_(None))
        .order_by(TherapistLink.created_at)
    ).all()
    return link_states(list(links))


def log_read(
    access: TherapistAccess, kind: str, instance_id: int | None = None, *, journal_entry_id: int | None = None
) -> None:
    """Append one entry to the couple's access log (who, what kind, when; never content)."""
    therapist = access.state.therapist
    practice = f" ({therapist.practice_name})" if therapist.practice_name else ""
    db.session.add(
        AccessEntry(
            couple_id=access.couple_id,
            therapist_id=therapist.id,
            therapist_name=therapist.display_name + practice,
            kind=kind,
            instance_id=instance_id,
            journal_entry_id=journal_entry_id,
        )
    )


def log_couple_page(access: TherapistAccess) -> None:
    """One view of a couple's page is one entry in their log, named by the widest thing it showed."""
    if access.allows("conversations"):
        log_read(access, "conversations")
    elif access.allows("progress"):
        log_read(access, "progress")


def access_log(partner: User, limit: int = 100) -> list[AccessEntry]:
    """Every therapist read of the partner's current couple, newest first."""
    membership = db.session.scalar(Membership.active_of(partner.id))
    if membership is None:
        return []
    return list(
        db.session.scalars(
            sa.select(AccessEntry)
            .where(AccessEntry.couple_id == membership.couple_id)
            .order_by(AccessEntry.id.desc())
            .limit(limit)
        )
    )


# Reads this close together (each within this long of the one before, by the same therapist) are one visit.
VISIT_GAP = timedelta(minutes=30)


@dataclass(frozen=True)
class Read:
    """One entry of the access log, at the reader's own wall-clock time."""

    kind: str
    at: datetime


@dataclass(frozen=True)
class Visit:
    """Consecutive reads by one therapist, none more than VISIT_GAP after the one before; times are local."""

    therapist_name: str
    reads: tuple[Read, ...]  # oldest first

    @property
    def start(self) -> datetime:
        return self.reads[0].at

    @property
    def end(self) -> datetime:
        return self.reads[-1].at


@dataclass(frozen=True)
class AccessHistory:
    """The most recent visits, newest first; more is True when older reads exist (the data download has them all)."""

    visits: list[Visit]
    more: bool


def access_visits(partner: User, visits: int = 20, reads: int = 60) -> AccessHistory:
    """The access log grouped into visits, newest first, in the partner's own time zone (each moment converted
    on its own, so a visit either side of a daylight-saving change shows the clock as it was then).

    At most `visits` visits of at most `reads` reads in all, so the page stays small.
    """
    zone = clock.zone(partner.timezone)
    entries = access_log(partner, reads + 1)
    more = len(entries) > reads
    groups: list[list[AccessEntry]] = []
    for entry in reversed(entries[:reads]):  # oldest first
        last = groups[-1][-1] if groups else None
        same_reader = last is not None and (last.therapist_id, last.therapist_name) == (
            entry.therapist_id,
            entry.therapist_name,
        )
        if same_reader and entry.created_at - last.created_at <= VISIT_GAP:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    if more and groups:
        groups.pop(0)  # the oldest visit may have begun before the reads fetched: leave it to the download
    groups.reverse()
    return AccessHistory(
        [
            Visit(group[0].therapist_name, tuple(Read(e.kind, e.created_at.astimezone(zone)) for e in group))
            for group in groups[:visits]
        ],
        more or len(groups) > visits,
    )


# Assignments and notes -----------------------------------------------------------


def assign(
    access: TherapistAccess,
    *,
    prompt_id: str | None,
    text: str | None,
    note: str | None,
    theme_id: str | None = None,
    depth: int | None = None,
) -> Assignment:
    """Set a library prompt, or one in the therapist's own words with a theme and depth, for the couple's next slot.

    It is delivered at the couple's next slot once it is within the couple's depth now; a deeper one waits.
    """
    access.require("progress")
    if bool(prompt_id) == bool(text and text.strip()):
        raise Invalid("Choose a prompt from the library, or write your own, but not both.", field="text")
    if prompt_id:
        if db.session.scalar(sa.select(Prompt.id).where(Prompt.id == prompt_id, Prompt.retired.is_(False))) is None:
            raise Invalid("Choose a prompt from the library.", field="prompt_id")
        text = theme_id = depth = None
    else:
        text = check_text(text, limit=ANSWER_MAX, field="text", what="prompt")
        if not theme_id or db.session.get(Theme, theme_id) is None:
            raise Invalid("Choose the theme it belongs to, so its listening guidance comes with it.", field="theme_id")
        if depth not in (1, 2, 3):
            raise Invalid("Choose how deep it goes.", field="depth")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise Invalid(f"Keep the note to {NOTE_MAX} characters.", field="note")
    assignment = Assignment(
        link_id=access.state.link.id,
        couple_id=access.couple_id,
        prompt_id=prompt_id,
        text=text,
        note=note,
        theme_id=theme_id,
        depth=depth,
    )
    db.session.add(assignment)
    db.session.flush()
    # A deeper one is offered on both partners' Today at once (services/therapist/offers.py).
    versions.couple_changed(access.couple_id)
    return assignment


def set_focus(access: TherapistAccess, stage: int | None) -> None:
    """The stage of the path the couple's prompts lean toward, set by their therapist (None: by their pace)."""
    access.require("progress")
    if stage not in (None, 1, 2, 3):
        raise Invalid("Choose a stage, or let the path follow the couple's conversations.", field="stage")
    couple = db.session.scalar(sa.select(Couple).where(Couple.id == access.couple_id).with_for_update())
    couple.focus_stage = stage
    versions.couple_changed(couple.id)


def waiting_assignments(access: TherapistAccess) -> list[Assignment]:
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.link_id == access.state.link.id,
                Assignment.instance_id.is_(None),
                Assignment.cancelled_at.is_(None),
            )
            .order_by(Assignment.created_at)
        )
    )


def cancel_assignment(access: TherapistAccess, assignment_id: int) -> None:
    updated = db.session.execute(
        sa.update(Assignment)
        .where(
            Assignment.id == assignment_id, Assignment.link_id == access.state.link.id, Assignment.instance_id.is_(None)
        )
        .values(cancelled_at=utcnow())
    ).rowcount
    if not updated:
        raise NotFound("That assignment was already delivered or removed.")
    versions.couple_changed(access.couple_id)


def add_note(access: TherapistAccess, body: str) -> TherapistNote:
    note = TherapistNote(
        therapist_id=access.state.therapist.id,
        couple_id=access.couple_id,
        body=check_text(body, limit=5000, field="body", what="note"),
    )
    db.session.add(note)
    db.session.flush()
    return note


def notes(access: TherapistAccess) -> list[TherapistNote]:
    return list(
        db.session.scalars(
            sa.select(TherapistNote)
            .where(TherapistNote.therapist_id == access.state.therapist.id, TherapistNote.couple_id == access.couple_id)
            .order_by(TherapistNote.created_at.desc())
        )
    )


# Delivery of assignments (used by the scheduler) ---------------------------------


def assignment_depth():
    """How deep an assignment goes: its library prompt's depth, or the depth the therapist gave their own."""
    return sa.func.coalesce(
        sa.select(Prompt.depth).where(Prompt.id == Assignment.prompt_id).scalar_subquery(), Assignment.depth, 1
    )


def both_ready():
    """SQL: whether both current partners of the assignment's couple said, privately, they're ready for it."""
    return (
        sa.select(sa.func.count())
        .select_from(AssignmentAnswer)
        .join(
            Membership,
            sa.and_(
                Membership.user_id == AssignmentAnswer.user_id,
                Membership.current_in(Assignment.couple_id),
            ),
        )
        .where(AssignmentAnswer.assignment_id == Assignment.id, AssignmentAnswer.ready.is_(True))
        .scalar_subquery()
        >= 2
    )


def held_assignments(access: TherapistAccess, depth_now: int) -> set[int]:
    """The waiting assignments deeper than the couple's pace now: offered to both partners (services/therapist/
    offers.py). The therapist is told only that they wait, never how either partner answered."""
    return set(
        db.session.scalars(
            sa.select(Assignment.id).where(
                Assignment.link_id == access.state.link.id,
                Assignment.instance_id.is_(None),
                Assignment.cancelled_at.is_(None),
                assignment_depth() > depth_now,
            )
        )
    )


def next_assignment(couple_id: int, depth_now: int = 3) -> Assignment | None:
    """The oldest waiting assignment within the couple's depth now, or deeper but accepted by both partners,
    from a therapist they still have."""
    for assignment in db.session.scalars(
        sa.select(Assignment)
        .where(
            Assignment.couple_id == couple_id,
            Assignment.instance_id.is_(None),
            Assignment.cancelled_at.is_(None),
            sa.or_(assignment_depth() <= depth_now, both_ready()),
        )
        .order_by(Assignment.created_at)
        .with_for_update(of=Assignment)
    ):
        link = db.session.get(TherapistLink, assignment.link_id)
        if link is not None and link.ended_at is None and link_states([link])[0].scope:
            return assignment
    return None
