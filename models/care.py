"""A therapist's view of a couple: the link, each partner's consent, assignments, private notes, and the access log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow

SCOPES = ("progress", "conversations")


class TherapistLink(db.Model):
    """A therapist connected to a couple; it shows nothing until both partners consent."""

    __tablename__ = "therapist_links"
    __table_args__ = (
        # One live link per therapist and couple; ended links stay for the access log's sake.
        Index(
            "uq_therapist_links_live",
            "therapist_id",
            "couple_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consents: Mapped[list[Consent]] = relationship(back_populates="link", lazy="raise_on_sql")


class Consent(db.Model):
    """One partner's agreement to a therapist link, and how much it covers."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("link_id", "user_id", name="uq_consents_link_user"),
        CheckConstraint("scope IN ('progress', 'conversations')", name="ck_consents_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("therapist_links.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    link: Mapped[TherapistLink] = relationship(back_populates="consents", lazy="raise_on_sql")


class Assignment(db.Model):
    """A prompt a therapist set for the couple's next slot: from the library, or in their own words."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("(prompt_id IS NULL) <> (text IS NULL)", name="ck_assignments_prompt_or_text"),
        CheckConstraint("text IS NULL OR length(text) BETWEEN 1 AND 5000", name="ck_assignments_text_length"),
        CheckConstraint("depth IS NULL OR depth BETWEEN 1 AND 3", name="ck_assignments_depth"),
        # Waiting assignments are looked up for the due couples on every tick.
        Index(
            "ix_assignments_waiting",
            "couple_id",
            "created_at",
            sqlite_where=text("instance_id IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("instance_id IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("therapist_links.id", ondelete="CASCADE"), index=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    prompt_id: Mapped[str | None] = mapped_column(ForeignKey("prompts.id"))
    text: Mapped[str | None] = mapped_column(Text)
    # A prompt in the therapist's own words names a theme (for its guidance and starters) and a depth.
    theme_id: Mapped[str | None] = mapped_column(ForeignKey("themes.id", name="fk_assignments_theme_id_themes"))
    depth: Mapped[int | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_instances.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AssignmentAnswer(db.Model):
    """One partner's private answer to a therapist's deeper assignment: ready for it, or not now.

    Only that partner ever sees it; the therapist and the other partner see only "waiting" or "delivered".
    """

    __tablename__ = "assignment_answers"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ready: Mapped[bool] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TherapistNote(db.Model):
    """A therapist's private note about a couple: only that therapist ever reads it."""

    __tablename__ = "therapist_notes"
    __table_args__ = (Index("ix_therapist_notes_owner", "therapist_id", "couple_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessEntry(db.Model):
    """One therapist read of a couple's data: who, what kind, when; never the data itself.

    Append-only in the application: nothing updates or deletes entries, and
    they outlive the link (and the therapist's account, keeping their name).
    """

    __tablename__ = "access_log"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('progress', 'conversations', 'conversation', 'checkins', 'export', 'repair', 'journal')",
            name="ck_access_log_kind",
        ),
        Index("ix_access_log_couple", "couple_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    therapist_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # Which conversation was read, by its prompt instance id (never its content).
    instance_id: Mapped[int | None] = mapped_column()
    # Which shared journal entry was read (kind 'journal'), by its id (never its content).
    journal_entry_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(db.Model):
    """One partner's weekly check-in; sealed until both have answered for that week, like a prompt."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("couple_id", "week", "user_id", name="uq_checkins_week_user"),
        CheckConstraint("connection BETWEEN 1 AND 10", name="ck_checkins_connection"),
        CheckConstraint("safety BETWEEN 1 AND 10", name="ck_checkins_safety"),
        # The CSI-4 (Funk & Rogge 2007): all four items or none; item 1 is 0-6, items 2-4 are 0-5.
        CheckConstraint(
            "(csi_happiness IS NULL AND csi_warm IS NULL AND csi_rewarding IS NULL AND csi_satisfied IS NULL)"
            " OR (csi_happiness BETWEEN 0 AND 6 AND csi_warm BETWEEN 0 AND 5"
            " AND csi_rewarding BETWEEN 0 AND 5 AND csi_satisfied BETWEEN 0 AND 5)",
            name="ck_checkins_csi",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # The Monday (in the couple's time zone) of the week this check-in belongs to.
    week: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connection: Mapped[int] = mapped_column()
    safety: Mapped[int] = mapped_column()
    feeling: Mapped[str] = mapped_column(String(40))
    appreciation: Mapped[str] = mapped_column(String(500))
    need: Mapped[str] = mapped_column(String(500))
    # Optional: "one worry or fear on my mind", revealed with the rest once both have answered.
    worry: Mapped[str | None] = mapped_column(String(500))
    # The CSI-4, every fourth week; the person's own unless they share it (csi_shared).
    csi_happiness: Mapped[int | None] = mapped_column()
    csi_warm: Mapped[int | None] = mapped_column()
    csi_rewarding: Mapped[int | None] = mapped_column()
    csi_satisfied: Mapped[int | None] = mapped_column()
    csi_shared: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def csi_total(self) -> int | None:
        """The CSI-4 score, 0 to 21 (the sum of the four items), or None when it wasn't answered."""
        items = (self.csi_happiness, self.csi_warm, self.csi_rewarding, self.csi_satisfied)
        return None if any(i is None for i in items) else sum(items)
