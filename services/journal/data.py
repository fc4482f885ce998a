"""The journal and hard moments in a person's export, and gone with their account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from extensions import db
from models import JournalEntry, ReassuranceRequest, User
from services.access import journal as access


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_journal(user: User) -> list[dict[str, Any]]:
    """My own entries, all of them (never anyone else's: a shared entry is in its author's export only)."""
    return [
        {
            "body": e.body,
            "tag": e.tag,
            "created_at": _iso(e.created_at),
            "updated_at": _iso(e.updated_at),
            "shared_with_partner_at": _iso(e.shared_at),
            "shared_with_therapist_at": _iso(e.therapist_shared_at),
            **_conversation(e),
        }
        for e in db.session.scalars(
            sa.select(JournalEntry).where(JournalEntry.user_id == user.id).order_by(JournalEntry.id)
        )
    ]


def _conversation(e: JournalEntry) -> dict[str, Any]:
    """The reflect-back on a shared entry: between its author and the partner it was shared with."""
    return {
        "partner_reflection": e.reflection,
        "response": e.response,
        "addition": e.addition,
    }


def export_shared_with_me(user: User) -> list[dict[str, Any]]:
    """Entries my partner chose to share with me, with what I reflected back."""
    return [
        {
            "body": e.body,
            "tag": e.tag,
            "shared_at": _iso(e.shared_at),
            "my_reflection": e.reflection,
            "response": e.response,
            "addition": e.addition,
        }
        for e in access.all_shared_with_me(user)
    ]


def export_reassurance(user: User) -> list[dict[str, Any]]:
    """Requests I sent and requests sent to me, with the replies: each was shared between the two of us."""
    return [
        {
            "by": "me" if r.sender_id == user.id else "partner",
            "line": r.line,
            "urgent": r.urgent,
            "created_at": _iso(r.created_at),
            "reply": r.reply,
            "replied_at": _iso(r.replied_at),
        }
        for r in db.session.scalars(
            sa.select(ReassuranceRequest)
            .where(sa.or_(ReassuranceRequest.sender_id == user.id, ReassuranceRequest.recipient_id == user.id))
            .order_by(ReassuranceRequest.id)
        )
    ]


def delete(user_id: int) -> None:
    """Erase my journal, and every reassurance request I sent or received (they quote one of us)."""
    db.session.execute(
        sa.delete(JournalEntry).where(JournalEntry.user_id == user_id).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(ReassuranceRequest)
        .where(sa.or_(ReassuranceRequest.sender_id == user_id, ReassuranceRequest.recipient_id == user_id))
        .execution_options(synchronize_session=False)
    )
