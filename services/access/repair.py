"""Who may see and act on repair conversations and commitments. Routes and jobs fetch them only through here.

A partner sees their own couple's conversations and commitments; anyone else gets
NotFound (a 404, never someone else's data). The speaker's first step is sealed
until they send it: until then nobody else learns its words, its length or when
it was written, and the topic the asker gave is sealed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from extensions import db
from models import Commitment, Membership, RepairConversation, RepairTurn, User
from services.access import therapist as therapist_access
from services.common.errors import NotFound


def _couple_ids(user: User, *, current_only: bool) -> sa.Select:
    statement = sa.select(Membership.couple_id).where(Membership.user_id == user.id)
    if current_only:
        statement = statement.where(Membership.is_current)
    return statement


def conversation_for(user: User, conversation_id: int, *, lock: bool = False) -> RepairConversation:
    """A repair conversation of a couple user is (or was) in; NotFound otherwise.

    With lock=True the row is locked FOR UPDATE: every write to a conversation
    takes this lock first, so two partners acting at once are applied in turn.
    """
    statement = sa.select(RepairConversation).where(
        RepairConversation.id == conversation_id,
        RepairConversation.couple_id.in_(_couple_ids(user, current_only=False)),
    )
    if lock:
        statement = statement.with_for_update()
    conversation = db.session.scalar(statement)
    if conversation is None:
        raise NotFound("We couldn't find that conversation.")
    return conversation


def commitment_for(user: User, commitment_id: int, *, lock: bool = False) -> Commitment:
    """A commitment of a couple user is (or was) in; NotFound otherwise."""
    statement = sa.select(Commitment).where(
        Commitment.id == commitment_id, Commitment.couple_id.in_(_couple_ids(user, current_only=False))
    )
    if lock:
        statement = statement.with_for_update()
    commitment = db.session.scalar(statement)
    if commitment is None:
        raise NotFound("We couldn't find that commitment.")
    return commitment


def is_sealed(turn: RepairTurn) -> bool:
    return turn.sent_at is None


def turns_for(user_id: int | None, conversation: RepairConversation) -> list[RepairTurn]:
    """The turns this person may read: every sent one, and their own draft (user_id None: sent ones only)."""
    turns = db.session.scalars(
        sa.select(RepairTurn).where(RepairTurn.conversation_id == conversation.id).order_by(RepairTurn.id)
    )
    return [t for t in turns if not is_sealed(t) or (user_id is not None and t.author_id == user_id)]


def topic_for(user_id: int | None, conversation: RepairConversation) -> str | None:
    """The asker's few words: theirs alone until the speaker has sent the first step."""
    if user_id is not None and user_id == conversation.asked_by_id:
        return conversation.topic
    return conversation.topic if first_step_sent(conversation) else None


def first_step_sent(conversation: RepairConversation) -> bool:
    """Sending step 1 is the only way past it."""
    return conversation.step > 1


# Therapists ------------------------------------------------------------------------


@dataclass(frozen=True)
class TherapistRepairView:
    """What a therapist may read of a couple's repair work, decided once per request."""

    access: therapist_access.TherapistAccess
    conversations: bool  # the conversations scope: repair conversations and commitments in full

    @property
    def couple_id(self) -> int:
        return self.access.couple_id


def therapist_view(access: therapist_access.TherapistAccess) -> TherapistRepairView:
    """The therapist's view of repair work: progress scope at least (commitments exist, moments noticed)."""
    access.require("progress")
    return TherapistRepairView(access=access, conversations=access.allows("conversations"))
