"""From a journal entry to a repair conversation: the author asks, as the one sharing, with the entry as a draft of
step 1. Services only flush; the caller commits.

Nothing of the entry reaches the partner: they hear only that a repair conversation is asked for (as with any
ask), and the draft is sealed like every unsent first step (services.access.repair), so they read it only once its
author edits it, if they like, and sends it. The entry itself stays in the journal, private, and is not marked: no
one else can tell a conversation began there unless the author's own words say so.
"""

from __future__ import annotations

from extensions import db
from models import RepairConversation, RepairTurn, User, utcnow
from services.access import journal as access
from services.common.errors import Conflict, Invalid
from services.common.text import ANSWER_MAX
from services.couples import versions
from services.repair import conversations

# The tags that usually carry a hurt between the two of them, so the entry's page offers a repair conversation up
# front: a trigger (something that brought an old hurt back) and a vulnerable moment (where a fear or a wound
# showed). A moment of care is the opposite of a hurt, and a feeling or a question can be about anything, so for
# those the offer waits, folded, until the author opens it: any entry can start one if its author chooses.
HURT_TAGS = ("trigger", "vulnerable")
ALREADY = "There's already a repair conversation between you. There's room for one at a time; this entry will keep."
TOO_LONG = (
    "This entry is longer than a first step can hold ({limit:,} characters). "
    "You can ask for a repair conversation from the Repair page and put it in your own words there."
)


class AlreadyLive(Conflict):
    """The couple already has a repair conversation asked for or open (at most one); `conversation_id` is it."""

    def __init__(self, conversation_id: int):
        super().__init__(ALREADY)
        self.conversation_id = conversation_id


def live_conversation(user: User) -> RepairConversation | None:
    """The couple's repair conversation that is asked for or open, if any (what the entry's page links to)."""
    membership = user.active_membership
    return conversations.live(membership.couple_id) if membership is not None else None


def start_repair(user: User, entry_id: int) -> RepairConversation:
    """Ask my partner for a repair conversation in which I share, with this entry kept as my step 1's draft.

    The ask is the repair service's own (its rules, its lock on the couple, its one quiet notification). The
    draft is written here because the repair service keeps drafts only once a conversation is open, and this one
    is only asked for; it is the same sealed row save_draft keeps (step 1, round 1, by the speaker, unsent), so
    the repair pages show it in the step-1 form once the partner says yes, for its author to change or send.
    """
    entry = access.own_entry(user, entry_id)
    if len(entry.body) > ANSWER_MAX:  # an entry may be longer than a step; nothing is cut off unasked
        raise Invalid(TOO_LONG.format(limit=ANSWER_MAX))
    existing = live_conversation(user)
    if existing is not None:
        raise AlreadyLive(existing.id)
    conversation = conversations.ask(user, role="speaker")
    now = utcnow()
    draft = RepairTurn(
        conversation_id=conversation.id,
        step=1,
        round=1,
        author_id=user.id,
        body=entry.body,
        created_at=now,
        updated_at=now,
    )
    db.session.add(draft)
    db.session.flush()
    # Only my own pages move for the draft: my partner's already moved for the ask, and for nothing more.
    versions.person_changed(user.id, conversation.couple_id)
    return conversation
