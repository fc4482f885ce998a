"""Repair conversations (one partner's hurt, named, reflected, acknowledged and answered) and commitments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, one_of, utcnow

# The six steps, in order; who acts at each is decided by services/repair/conversations.py.
STEPS = (1, 2, 3, 4, 5, 6)
STATES = ("asked", "open", "ended")
NEEDS = ("reassurance", "change", "time", "nothing")
ANSWERS = ("words", "commitment", "time")
RESPONSES = ("heard", "partly")
MOMENT_KINDS = ("did", "noticed")


class RepairConversation(db.Model):
    """A guided, asymmetric conversation about one hurt, paced by the speaker (the person who is hurting).

    At most one is asked for or open per couple at a time.
    """

    __tablename__ = "repair_conversations"
    __table_args__ = (
        CheckConstraint(one_of("state", STATES), name="ck_repair_conversations_state"),
        CheckConstraint("step BETWEEN 1 AND 6", name="ck_repair_conversations_step"),
        CheckConstraint("speaker_id <> listener_id", name="ck_repair_conversations_two_people"),
        CheckConstraint("topic IS NULL OR length(topic) BETWEEN 1 AND 120", name="ck_repair_conversations_topic"),
        CheckConstraint("(state = 'ended') = (ended_at IS NOT NULL)", name="ck_repair_conversations_ended"),
        Index(
            "uq_repair_conversations_live",
            "couple_id",
            unique=True,
            sqlite_where=text("state <> 'ended'"),
            postgresql_where=text("state <> 'ended'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    listener_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A few words the asker chose; sealed with step 1 until the speaker sends it.
    topic: Mapped[str | None] = mapped_column(String(120))
    # When a partner says a commitment doesn't feel right yet, the conversation is about it.
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitments.id", ondelete="SET NULL", use_alter=True, name="fk_repair_conversations_commitment")
    )
    state: Mapped[str] = mapped_column(String(8), default="asked")
    step: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Not yet": only the latest answer is kept, never how many times (no counts of declines).
    not_yet_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_yet_when: Mapped[str | None] = mapped_column(String(16))
    speaker_break_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listener_break_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True when the six steps were walked to the end; false when someone closed it sooner.
    reached_end: Mapped[bool] = mapped_column(default=False)

    turns: Mapped[list[RepairTurn]] = relationship(
        back_populates="conversation",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RepairTurn.id",
    )

    @property
    def is_live(self) -> bool:
        return self.state != "ended"


class RepairTurn(db.Model):
    """What one person said at one step (and round: "Partly" loops steps 2 and 3)."""

    __tablename__ = "repair_turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "step", "round", name="uq_repair_turns_step_round"),
        CheckConstraint("step BETWEEN 1 AND 6", name="ck_repair_turns_step"),
        CheckConstraint("body IS NULL OR length(body) BETWEEN 1 AND 5000", name="ck_repair_turns_body"),
        CheckConstraint(
            "choice IS NULL OR " + one_of("choice", tuple(dict.fromkeys(RESPONSES + NEEDS + ANSWERS))),
            name="ck_repair_turns_choice",
        ),
        # Only the speaker's first step is ever a draft.
        CheckConstraint("step = 1 OR sent_at IS NOT NULL", name="ck_repair_turns_draft"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("repair_conversations.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column()
    round: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    choice: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Null while step 1 is the speaker's draft: sealed from everyone else.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[RepairConversation] = relationship(back_populates="turns", lazy="raise_on_sql")


class Commitment(db.Model):
    """A small, concrete action chosen by the person who makes it; both partners see it."""

    __tablename__ = "commitments"
    __table_args__ = (CheckConstraint("length(text) BETWEEN 1 AND 300", name="ck_commitments_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The repair conversation it answered, if any.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("repair_conversations.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    moments: Mapped[list[CommitmentMoment]] = relationship(
        back_populates="commitment",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CommitmentMoment.id",
    )


class CommitmentMoment(db.Model):
    """ "I did this" (the maker) or "I noticed" (the partner), with a date and, if they like, a line."""

    __tablename__ = "commitment_moments"
    __table_args__ = (
        CheckConstraint(one_of("kind", MOMENT_KINDS), name="ck_commitment_moments_kind"),
        CheckConstraint("note IS NULL OR length(note) BETWEEN 1 AND 300", name="ck_commitment_moments_note"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="moments", lazy="raise_on_sql")
