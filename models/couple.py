"""Couples, who is in them, and the invites that pair them."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Time, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.user import User

CADENCES = ("daily", "weekdays", "days")


class Couple(db.Model):
    """Two partners sharing prompts, with the schedule they chose."""

    __tablename__ = "couples"
    __table_args__ = (
        CheckConstraint(one_of("cadence", CADENCES), name="ck_couples_cadence"),
        CheckConstraint("cadence_days BETWEEN 0 AND 127", name="ck_couples_cadence_days"),
        Index("ix_couples_next_delivery_at", "next_delivery_at"),
        CheckConstraint("checkin_day BETWEEN 0 AND 6", name="ck_couples_checkin_day"),
        CheckConstraint("depth_level BETWEEN 1 AND 3", name="ck_couples_depth_level"),
        CheckConstraint("focus_stage IS NULL OR focus_stage BETWEEN 1 AND 3", name="ck_couples_focus_stage"),
        # Timed pauses that run out are found by the tick.
        Index(
            "ix_couples_pause_ends",
            "paused_until",
            sqlite_where=text("paused_at IS NOT NULL"),
            postgresql_where=text("paused_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    delivery_time: Mapped[time] = mapped_column(Time, default=time(19, 0))
    cadence: Mapped[str] = mapped_column(String(16), default="daily")
    # Bit 0 is Monday; used when cadence is "days".
    cadence_days: Mapped[int] = mapped_column(default=0)
    # UTC instant of the next scheduled prompt; null while the couple is incomplete or ended.
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped with every change either partner would see; rendered pages are cached against it.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Prompts given in the current round through the library, as a hex bitmap of Prompt.seq:
    # choosing the next prompt never has to read the couple's history.
    used_prompts: Mapped[str] = mapped_column(String(200), default="0", server_default="0")
    last_theme_id: Mapped[str | None] = mapped_column(String(40))
    # Set while two prompts wait unrevealed: deliveries resume at the next slot after a reveal.
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Paused while either partner's own pause lasts (Membership.paused_at): from the first pause's start
    # until the last one ends; paused_until null means "until resumed". Never says whose pause it is.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The depth ramp (services/couples/depth.py): the depth the couple has reached, and the revealed
    # conversations (and those where both felt heard) since it got there. Moved in the transactions of
    # the events that move it, so the per-minute tick reads one column.
    depth_level: Mapped[int] = mapped_column(default=1, server_default="1")
    depth_revealed: Mapped[int] = mapped_column(default=0, server_default="0")
    depth_heard: Mapped[int] = mapped_column(default=0, server_default="0")
    # The path: revealed conversations in all, and the stage a therapist set as the focus.
    conversations: Mapped[int] = mapped_column(default=0, server_default="0")
    focus_stage: Mapped[int | None] = mapped_column()
    # The weekly check-in's day (0 is Monday).
    checkin_day: Mapped[int] = mapped_column(default=6, server_default="6")

    memberships: Mapped[list[Membership]] = relationship(back_populates="couple", lazy="raise_on_sql")

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Membership(db.Model):
    """A person's place in a couple; left_at marks someone who unpaired."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("couple_id", "seat", name="uq_memberships_couple_seat"),
        CheckConstraint("seat IN (1, 2)", name="ck_memberships_seat"),
        # Each person's timed pause that runs out is found by the tick.
        Index(
            "ix_memberships_pause_ends",
            "paused_until",
            sqlite_where=text("paused_at IS NOT NULL"),
            postgresql_where=text("paused_at IS NOT NULL"),
        ),
        # A person is in at most one active couple.
        Index(
            "uq_memberships_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seat: Mapped[int] = mapped_column()
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moves on with changes only this person sees (editing a sealed answer), so the partner's cached
    # pages, keyed on the couple's version, stay exactly as they were (SECURITY.md TIMING).
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # This person's own pause: only they can end it early; paused_until null means "until I resume".
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def is_current(self) -> bool:
        """Still in the couple: the one spelling of "an active membership", in Python and in SQL."""
        return self.left_at is None

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls):
        return cls.left_at.is_(None)

    @classmethod
    def current_in(cls, couple_id) -> sa.ColumnElement[bool]:
        """The couple's current partners (two, or one while waiting for the other), as a condition: the one
        spelling of "the partners of this couple now", for a select, a join or an update."""
        return sa.and_(cls.couple_id == couple_id, cls.is_current)

    @classmethod
    def active_of(cls, user_id: int) -> sa.Select:
        """The statement for a person's active membership (at most one row, by a unique index)."""
        return sa.select(cls).where(cls.user_id == user_id, cls.is_current)

    couple: Mapped[Couple] = relationship(back_populates="memberships", lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="raise_on_sql")


class Invite(db.Model):
    """A single-use, expiring way into a couple: a link token and a short code."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The long link token; the short code is for typing it in by hand.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    couple: Mapped[Couple] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined", innerjoin=True)
