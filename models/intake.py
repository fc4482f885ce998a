"""A person's first-run intake: private to them, never shown to their partner, a therapist or anyone's export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

REASONS = ("betrayal", "promises", "distance", "hard-season", "other")
SAFE_ANSWERS = ("yes", "no", "unsure")


class Intake(db.Model):
    """What a person told Attune when they began (their depth choice lives on User.max_depth)."""

    __tablename__ = "intakes"
    __table_args__ = (
        CheckConstraint("sees_therapist IS NULL OR sees_therapist IN ('yes', 'no')", name="ck_intakes_sees_therapist"),
        CheckConstraint("feels_safe IS NULL OR feels_safe IN ('yes', 'no', 'unsure')", name="ck_intakes_feels_safe"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    sees_therapist: Mapped[str | None] = mapped_column(String(8))
    # "Do you feel safe with your partner?" Only this person ever sees it, or anything that follows from it.
    feels_safe: Mapped[str | None] = mapped_column(String(8))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
