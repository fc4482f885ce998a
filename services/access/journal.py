"""Who may see a journal entry. Every journal route fetches entries only through here.

An entry is its author's alone (PRODUCT.md invariant 7): nobody else learns
that it exists, how long it is or when it was written. The author may share
one entry with their partner (it names the couple it was shared in, so a
later couple never sees it), and separately with a therapist linked to that
couple. Anyone else asking for an entry gets NotFound, the same answer as for
an entry that doesn't exist.
"""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import JournalEntry, Membership, User
from services.access.therapist import TherapistAccess
from services.common.errors import NotFound

MISSING = "We couldn't find that entry."


def own_entry(user: User, entry_id: int) -> JournalEntry:
    """One of my own entries; NotFound for anyone else's, shared or not."""
    entry = db.session.scalar(
        sa.select(JournalEntry).where(JournalEntry.id == entry_id, JournalEntry.user_id == user.id)
    )
    if entry is None:
        raise NotFound(MISSING)
    return entry


def _my_couples(user: User) -> sa.Select:
    return sa.select(Membership.couple_id).where(Membership.user_id == user.id)


def shared_with_me(user: User, entry_id: int) -> JournalEntry:
    """An entry my partner shared with me, in a couple we were both in; NotFound otherwise."""
    entry = db.session.scalar(
        sa.select(JournalEntry).where(
            JournalEntry.id == entry_id,
            JournalEntry.user_id != user.id,
            JournalEntry.shared_couple_id.in_(_my_couples(user)),
        )
    )
    if entry is None:
        raise NotFound(MISSING)
    return entry


def all_shared_with_me(user: User) -> list[JournalEntry]:
    """Every entry my partner (in any couple I was in) chose to share with me, newest shared first."""
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.user_id != user.id, JournalEntry.shared_couple_id.in_(_my_couples(user)))
            .order_by(JournalEntry.shared_at.desc(), JournalEntry.id.desc())
        )
    )


def shared_with_therapist(access: TherapistAccess) -> list[JournalEntry]:
    """The entries a partner shared with this therapist's link, while both partners consent to the link."""
    if access.state.scope is None:
        return []
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.therapist_link_id == access.state.link.id)
            .order_by(JournalEntry.therapist_shared_at.desc(), JournalEntry.id.desc())
        )
    )


def therapist_entry(access: TherapistAccess, entry_id: int) -> JournalEntry:
    """One entry shared with this therapist's link, while both partners consent to it; NotFound otherwise."""
    access.require("progress")
    entry = db.session.scalar(
        sa.select(JournalEntry).where(
            JournalEntry.id == entry_id, JournalEntry.therapist_link_id == access.state.link.id
        )
    )
    if entry is None:
        raise NotFound(MISSING)
    return entry
