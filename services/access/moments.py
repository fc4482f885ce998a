"""Who may see a reassurance request: the partner who sent it and the partner it was sent to, nobody else.

A therapist never sees a request (only, within the progress scope, how many
were sent and answered each week: services.moments.reassurance.weekly_counts).
"""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import ReassuranceRequest, User
from services.common.errors import NotFound

MISSING = "We couldn't find that."


def sent_by_me(user: User, request_id: int) -> ReassuranceRequest:
    """A request I sent; NotFound otherwise."""
    found = db.session.scalar(
        sa.select(ReassuranceRequest).where(
            ReassuranceRequest.id == request_id, ReassuranceRequest.sender_id == user.id
        )
    )
    if found is None:
        raise NotFound(MISSING)
    return found


def sent_to_me(user: User, request_id: int, *, lock: bool = False) -> ReassuranceRequest:
    """A request my partner sent me; NotFound otherwise. lock=True serialises two replies."""
    statement = sa.select(ReassuranceRequest).where(
        ReassuranceRequest.id == request_id, ReassuranceRequest.recipient_id == user.id
    )
    if lock:
        statement = statement.with_for_update()
    found = db.session.scalar(statement)
    if found is None:
        raise NotFound(MISSING)
    return found
