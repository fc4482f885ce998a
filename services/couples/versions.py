"""Marking that what someone sees changed, in the same transaction as the change.

The couple's version number moves on with every change both partners can see
(delivery, a first answer, a reveal, reflections, pairing); a membership's
version with changes only its person sees (editing a sealed answer). The
rendered Today page is cached against both, so it is never served after what
it showed has moved on, and a partner's cached page never moves, nor gets
slower, because of something sealed from them (SECURITY.md TIMING).
"""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import Couple, Membership, User


def couple_changed(couple_id: int) -> None:
    db.session.execute(
        sa.update(Couple)
        .where(Couple.id == couple_id)
        .values(version=Couple.version + 1)
        .execution_options(synchronize_session=False)
    )


def person_changed(user_id: int, couple_id: int) -> None:
    """Something only this person sees changed (their sealed answer): the partner's pages stay as they were."""
    db.session.execute(
        sa.update(Membership)
        .where(Membership.user_id == user_id, Membership.couple_id == couple_id)
        .values(version=Membership.version + 1)
        .execution_options(synchronize_session=False)
    )


def my_pages_changed(user: User) -> None:
    """A setting only this person sees (their depth, easing, time zone) changed: their own cached pages go, if
    they are in a couple; nobody else's move."""
    membership = user.active_membership
    if membership is not None:
        person_changed(user.id, membership.couple_id)
