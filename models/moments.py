"""Hard moments: a reassurance request one partner sends the other, and the reply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

REASSURANCE_LINE_MAX = 280


class ReassuranceRequest(db.Model):
    """ "I'm having a hard moment": sent to the partner, who may reply with a quick line or their own words.

    Sending it is the one sharing a hard moment involves: the sender's time on
    the regulation page is never recorded.
    """

    __tablename__ = "reassurance_requests"
    __table_args__ = (
        CheckConstraint(
            f"line IS NULL OR length(line) BETWEEN 1 AND {REASSURANCE_LINE_MAX}", name="ck_reassurance_line"
        ),
        CheckConstraint(
            f"reply IS NULL OR length(reply) BETWEEN 1 AND {REASSURANCE_LINE_MAX}", name="ck_reassurance_reply"
        ),
        CheckConstraint("(reply IS NULL) = (replied_at IS NULL)", name="ck_reassurance_replied"),
        CheckConstraint("sender_id <> recipient_id", name="ck_reassurance_two_people"),
        Index("ix_reassurance_sender", "sender_id", "created_at"),
        Index("ix_reassurance_recipient", "recipient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    line: Mapped[str | None] = mapped_column(String(REASSURANCE_LINE_MAX))
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reply: Mapped[str | None] = mapped_column(String(REASSURANCE_LINE_MAX))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
