"""A person's private journal: entries of any length, optionally tagged, shared one at a time by choice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import UTCDateTime, utcnow

# What an entry may be tagged as (the words people read are in services/journal/journal.py).
JOURNAL_TAGS = ("trigger", "vulnerable", "care", "feeling", "question")
JOURNAL_MAX = 20000


class JournalEntry(db.Model):
    """One entry, its author's alone until they share it (with their partner, or a linked therapist)."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint(
            "tag IS NULL OR tag IN ({})".format(", ".join(f"'{t}'" for t in JOURNAL_TAGS)), name="ck_journal_tag"
        ),
        CheckConstraint(f"length(body) BETWEEN 1 AND {JOURNAL_MAX}", name="ck_journal_body_length"),
        # Sharing with a partner names the couple it was shared in: a later couple never sees it.
        CheckConstraint("(shared_couple_id IS NULL) = (shared_at IS NULL)", name="ck_journal_shared"),
        CheckConstraint("(therapist_link_id IS NULL) = (therapist_shared_at IS NULL)", name="ck_journal_therapist"),
        CheckConstraint("response IS NULL OR response IN ('heard', 'partly')", name="ck_journal_response"),
        Index("ix_journal_entries_author", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    tag: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shared_couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="SET NULL"), index=True)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    therapist_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("therapist_links.id", ondelete="SET NULL"), index=True
    )
    therapist_shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Once shared with the partner: what they heard, and whether the author feels heard ("partly" adds more).
    reflection: Mapped[str | None] = mapped_column(Text)
    reflected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(String(8))
    addition: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
