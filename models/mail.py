"""The mail outbox: email leaves the request path (SECURITY.md TIMING)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow


class MailMessage(db.Model):
    """One email, written in the transaction of the request that asked for it and sent later by a drainer.

    A request that sends nothing (a reset for an address with no account)
    writes a void row instead, so both answers cost the same work; drainers
    delete void rows unsent. A sent message is deleted, because its body holds
    a live link (SECURITY.md RESIDUE); one that keeps failing is kept as failed,
    with its body cleared, for the operator to see.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'void', 'failed')", name="ck_mail_outbox_status"),
        Index(
            "ix_mail_outbox_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # A drainer's lease: nobody else sends this row before claimed_until.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
