"""People and their login sessions."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Time, UniqueConstraint, exists
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, utcnow
from models.intake import Intake

if TYPE_CHECKING:
    from models.couple import Membership

ROLE_PARTNER = "partner"
ROLE_THERAPIST = "therapist"


class User(UserMixin, db.Model):
    """Someone with an account: a partner by default, or a therapist."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('partner', 'therapist')", name="ck_users_role"),
        CheckConstraint("max_depth BETWEEN 1 AND 3", name="ck_users_max_depth"),
        UniqueConstraint("therapist_code", name="uq_users_therapist_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_PARTNER)
    # The depth ceiling this person chose: Light until they choose otherwise (the first run asks).
    max_depth: Mapped[int] = mapped_column(default=1, server_default="1")
    # After a hard moment or a low safety check-in, this person's own ceiling is Light from ease_from until
    # ease_until (services/couples/depth.py): private to them, and to the partner just like a ceiling choice.
    ease_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Notifications: each kind can be switched off; quiet hours hold them; discreet mode says one neutral line.
    notify_new_prompt: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_partner_answered: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_reveal: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_reflection: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_reminder: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    discreet: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hard moments: whether my partner may ask me for reassurance, and whether an urgent one may pass quiet hours.
    receive_reassurance: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    allow_urgent_reassurance: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    # Therapists: the practice shown to couples, and the code a partner types to link them.
    practice_name: Mapped[str | None] = mapped_column(String(120))
    therapist_code: Mapped[str | None] = mapped_column(String(8))

    # Whether the person has finished their private first run: read with every load of the user (the login's
    # one statement included), so Today needs no query of its own to know.
    intake_finished: Mapped[bool] = column_property(
        exists().where(Intake.user_id == id, Intake.completed_at.is_not(None)), deferred=False
    )

    active_membership: Mapped[Membership | None] = relationship(
        primaryjoin="and_(Membership.user_id == User.id, Membership.left_at.is_(None))",
        viewonly=True,
        uselist=False,
    )

    # Set by the user loader (not a column): the server-side login this request runs under.
    login_session = None

    def get_id(self) -> str:
        """Flask-Login stores the login session's token, never the user id, in the cookie."""
        if self.login_session is None or self.login_session.token is None:
            raise RuntimeError("a user is only logged in through a LoginSession")
        return self.login_session.token

    @property
    def is_partner(self) -> bool:
        return self.role == ROLE_PARTNER

    @property
    def is_therapist(self) -> bool:
        return self.role == ROLE_THERAPIST


class LoginSession(db.Model):
    """One login on one device; deleting the row ends that login everywhere it was copied."""

    __tablename__ = "login_sessions"

    # SHA-256 of the token kept in the signed cookie, so a database leak yields no live sessions.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    # Not a column: the raw token, known only in the request that created or presented it.
    token = None


__all__ = ["User", "LoginSession", "ROLE_PARTNER", "ROLE_THERAPIST"]
