"""Web Push: each device's subscription, and the outbox of messages to send to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import UTCDateTime, one_of, utcnow

# The kinds the outbox accepts (the table's constraint); services/notifications/notify.py defines what each one is.
NOTIFICATION_KINDS = (
    "new_prompt",
    "partner_answered",
    "reveal",
    "reflection",
    "addition",
    "reminder",
    "repair",
    "commitment",
    "reassurance",
    "reassurance_reply",
)


class PushSubscription(db.Model):
    """One device's push subscription (a person may have several)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(50))
    # A name the person recognises on the settings page, such as "Chrome on Android".
    label: Mapped[str] = mapped_column(String(80), default="This device")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def info(self) -> dict:
        """The PushSubscription JSON shape pywebpush expects."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushMessage(db.Model):
    """The outbox: one notification for one device, written in the transaction of the event that caused it.

    A sender claims pending rows for a short lease, sends them, and marks each
    one sent or schedules a retry; event_key is unique per device, so an
    event can never be queued twice.
    """

    __tablename__ = "push_messages"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_push_messages_event"),
        CheckConstraint(one_of("kind", NOTIFICATION_KINDS), name="ck_push_messages_kind"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_push_messages_status"),
        Index(
            "ix_push_messages_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique (subscription_id, event_key) key, which leads with it.
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    event_key: Mapped[str] = mapped_column(String(80))
    # Where a tap on the notification leads (a path on this site).
    url: Mapped[str] = mapped_column(String(200), default="/today")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before this instant: the end of the person's quiet hours, or the next retry.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column()

    subscription: Mapped[PushSubscription] = relationship(lazy="raise_on_sql")
