"""Idempotency keys: a retried request (same key) is recognised and changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow


class RequestKey(db.Model):
    """A client-generated key one person used for one write, with what that write produced."""

    __tablename__ = "request_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Hash of what was asked for, so reusing a key for something else is refused rather than ignored.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    reflection_id: Mapped[int | None] = mapped_column(ForeignKey("reflections.id", ondelete="CASCADE"))
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"))
