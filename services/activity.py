"""Marking that a couple's shared state changed, in the same transaction as the change.

The couple's version number moves on with every delivery, answer, reveal,
reflection and pairing change, so anything cached against it (the rendered
Today page) is never served after the state it showed has moved on.
"""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import Couple


def couple_changed(couple_id: int) -> None:
    db.session.execute(
        sa.update(Couple)
        .where(Couple.id == couple_id)
        .values(version=Couple.version + 1)
        .execution_options(synchronize_session=False)
    )
