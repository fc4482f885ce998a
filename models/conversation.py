"""A delivered prompt, the two sealed answers, and the reflections after the reveal."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.couple import Couple
    from models.library import Theme
    from models.user import User

SOURCES = ("first", "library", "therapist")


class PromptInstance(db.Model):
    """A prompt given to one couple for one slot; its text is a copy, so library edits never rewrite it."""

    __tablename__ = "prompt_instances"
    __table_args__ = (
        UniqueConstraint("couple_id", "slot_at", name="uq_prompt_instances_couple_slot"),
        CheckConstraint(one_of("source", SOURCES), name="ck_prompt_instances_source"),
        CheckConstraint("depth BETWEEN 1 AND 3", name="ck_prompt_instances_depth"),
        Index("ix_prompt_instances_couple_revealed", "couple_id", "revealed_at"),
        Index(
            "ix_prompt_instances_remind_at",
            "remind_at",
            sqlite_where=text("remind_at IS NOT NULL"),
            postgresql_where=text("remind_at IS NOT NULL"),
        ),
        # Set-aside prompts whose answers still wait to come round again with them.
        Index(
            "ix_prompt_instances_kept",
            "couple_id",
            "prompt_id",
            sqlite_where=text("set_aside_at IS NOT NULL AND carried_to_id IS NULL"),
            postgresql_where=text("set_aside_at IS NOT NULL AND carried_to_id IS NULL"),
        ),
        # Today reads only the unfinished few, whatever the length of the history.
        Index(
            "ix_prompt_instances_unfinished",
            "couple_id",
            "slot_at",
            sqlite_where=text("completed_at IS NULL"),
            postgresql_where=text("completed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="library")
    prompt_id: Mapped[str | None] = mapped_column(ForeignKey("prompts.id"))
    theme_id: Mapped[str | None] = mapped_column(ForeignKey("themes.id"))
    depth: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When to nudge a partner who hasn't answered; cleared once nudged or revealed.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Set aside - it will keep": off Today, never revealed, and its prompt can come round again.
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who set it aside (only they may undo it, for a few minutes), and the instance its answers went on to
    # when the prompt came round again.
    set_aside_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_prompt_instances_set_aside_by_id_users")
    )
    carried_to_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "prompt_instances.id", ondelete="SET NULL", name="fk_prompt_instances_carried_to_id_prompt_instances"
        )
    )
    # A therapist's note to the couple, for an assigned prompt.
    note: Mapped[str | None] = mapped_column(String(500))

    couple: Mapped[Couple] = relationship(lazy="raise_on_sql")
    theme: Mapped[Theme | None] = relationship(lazy="raise_on_sql")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="instance", lazy="raise_on_sql", cascade="all, delete-orphan", passive_deletes=True
    )
    reflections: Mapped[list[Reflection]] = relationship(
        back_populates="instance",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Reflection.id",
    )


class Answer(db.Model):
    """One partner's answer to one prompt instance; sealed until both have answered."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("instance_id", "user_id", name="uq_answers_instance_user"),
        CheckConstraint("length(body) BETWEEN 1 AND 5000", name="ck_answers_body_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("prompt_instances.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When this partner closed the conversation after the reveal.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "I need a break": this partner stepped away from the conversation for now.
    break_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[PromptInstance] = relationship(back_populates="answers", lazy="raise_on_sql")
    user: Mapped[User] = relationship(lazy="raise_on_sql")


class Reflection(db.Model):
    """One round of reflective listening: the listener mirrors the speaker's answer, the speaker says if they felt heard."""

    __tablename__ = "reflections"
    __table_args__ = (
        UniqueConstraint("instance_id", "listener_id", "round", name="uq_reflections_round"),
        CheckConstraint("response IS NULL OR response IN ('heard', 'partly')", name="ck_reflections_response"),
        CheckConstraint("length(body) BETWEEN 1 AND 2000", name="ck_reflections_body_length"),
        CheckConstraint(
            "addition IS NULL OR length(addition) BETWEEN 1 AND 2000", name="ck_reflections_addition_length"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("prompt_instances.id", ondelete="CASCADE"), index=True)
    listener_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response: Mapped[str | None] = mapped_column(String(8))
    addition: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance: Mapped[PromptInstance] = relationship(back_populates="reflections", lazy="raise_on_sql")
