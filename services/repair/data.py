"""Repair work in a person's export and in their account's erasure (called from services.accounts.data_rights)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from extensions import db
from models import Commitment, CommitmentMoment, RepairConversation, RepairTurn, User
from services.access import repair as access


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _by(user: User, user_id: int | None) -> str:
    return "me" if user_id == user.id else "partner"


def export(user: User, couple_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per couple: repair conversations as the person may read them (the partner's unsent words never), commitments."""
    result: dict[int, dict[str, Any]] = defaultdict(lambda: {"conversations": [], "commitments": []})
    if not couple_ids:
        return result
    for c in db.session.scalars(
        sa.select(RepairConversation)
        .where(RepairConversation.couple_id.in_(couple_ids))
        .order_by(RepairConversation.id)
    ):
        result[c.couple_id]["conversations"].append(
            {
                "i_was": "speaker" if c.speaker_id == user.id else "listener",
                "asked_by": _by(user, c.asked_by_id),
                "topic": access.topic_for(user.id, c),
                "state": c.state,
                "reached_end": c.reached_end,
                "created_at": _iso(c.created_at),
                "ended_at": _iso(c.ended_at),
                "steps": [
                    {
                        "step": t.step,
                        "round": t.round,
                        "by": _by(user, t.author_id),
                        "choice": t.choice,
                        "body": t.body,
                        "sent_at": _iso(t.sent_at),
                    }
                    for t in access.turns_for(user.id, c)
                ],
            }
        )
    moments: dict[int, list[CommitmentMoment]] = defaultdict(list)
    commitments = list(
        db.session.scalars(sa.select(Commitment).where(Commitment.couple_id.in_(couple_ids)).order_by(Commitment.id))
    )
    if commitments:
        for m in db.session.scalars(
            sa.select(CommitmentMoment)
            .where(CommitmentMoment.commitment_id.in_([k.id for k in commitments]))
            .order_by(CommitmentMoment.on, CommitmentMoment.id)
        ):
            moments[m.commitment_id].append(m)
    for k in commitments:
        result[k.couple_id]["commitments"].append(
            {
                "by": _by(user, k.maker_id),
                "text": k.text,
                "created_at": _iso(k.created_at),
                "revised_at": _iso(k.revised_at),
                "retired_at": _iso(k.retired_at),
                "moments": [
                    {"kind": m.kind, "by": _by(user, m.author_id), "on": _iso(m.on), "note": m.note}
                    for m in moments[k.id]
                ],
            }
        )
    return result


def delete(user_id: int) -> None:
    """Erase the person's repair work: every conversation they were in (the other side reflects their words),
    their commitments and every moment they marked. The partner's own commitments stay."""
    db.session.execute(
        sa.delete(CommitmentMoment)
        .where(
            sa.or_(
                CommitmentMoment.author_id == user_id,
                CommitmentMoment.commitment_id.in_(sa.select(Commitment.id).where(Commitment.maker_id == user_id)),
            )
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(Commitment).where(Commitment.maker_id == user_id).execution_options(synchronize_session=False)
    )
    theirs = sa.or_(
        RepairConversation.speaker_id == user_id,
        RepairConversation.listener_id == user_id,
        RepairConversation.asked_by_id == user_id,
    )
    db.session.execute(
        sa.delete(RepairTurn)
        .where(RepairTurn.conversation_id.in_(sa.select(RepairConversation.id).where(theirs)))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.delete(RepairConversation).where(theirs).execution_options(synchronize_session=False))
