"""Repair conversations: asked for, accepted (or "not yet"), and walked through six steps paced by the speaker.

The steps follow the repair of an attachment injury (CARE.md): the speaker
names what happened and how it felt (1); the listener reflects only (2); the
speaker feels heard, or adds what was missed, which loops back to 2 (3); the
listener acknowledges their part (4); the speaker names what they need (5);
the listener answers the need in words, with a commitment, or with "I need
time, and I'll come back to it by ..." (6). Odd steps are the speaker's, even
steps the listener's. Either partner can step away and come back, or close
the conversation; nothing times out and nothing is counted.

Every write locks the conversation row first (FOR UPDATE on PostgreSQL; on
SQLite write transactions are serialised by BEGIN IMMEDIATE), so two partners
acting at the same instant are applied one after the other. Services flush;
the route commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from extensions import db
from models import Couple, Membership, RepairConversation, RepairTurn, User, utcnow
from models.repair import NEEDS
from services.access import repair as access
from services.common import idempotency
from services.common.errors import Conflict, Invalid
from services.common.text import ANSWER_MAX, check_line, check_text
from services.couples import versions
from services.notifications import notify
from services.repair import commitments

TOPIC_MAX = 120
# "Not yet", with a time if the person wants to give one; never a reason, never counted.
LATER = {
    "": None,
    "later": "later today",
    "evening": "this evening",
    "tomorrow": "tomorrow",
    "weekend": "at the weekend",
}
STEP_NAMES = {
    1: "What happened, and how it felt",
    2: "Reflecting what you heard",
    3: "Did that feel heard?",
    4: "Acknowledging your part",
    5: "What is needed now",
    6: "Answering the need",
}


def whose_step(step: int) -> str:
    return "speaker" if step % 2 else "listener"


# Fetching and checking -------------------------------------------------------------


def _locked(user: User, conversation_id: int) -> RepairConversation:
    return access.conversation_for(user, conversation_id, lock=True)


def _turns(conversation: RepairConversation) -> list[RepairTurn]:
    return list(
        db.session.scalars(
            sa.select(RepairTurn).where(RepairTurn.conversation_id == conversation.id).order_by(RepairTurn.id)
        )
    )


def _rounds(turns: list[RepairTurn], step: int) -> int:
    return sum(1 for t in turns if t.step == step)


def _ensure_live_couple(conversation: RepairConversation) -> None:
    couple = db.session.get(Couple, conversation.couple_id)
    if couple is None or couple.ended_at is not None:
        raise Conflict("This couple has ended, so this conversation is closed.")


def _ensure_my_step(user: User, conversation: RepairConversation, step: int) -> None:
    if conversation.state == "ended":
        raise Conflict("This conversation is closed. It stays in your history.")
    if conversation.state == "asked":
        raise Conflict("This conversation hasn't started yet.")
    if conversation.step != step:
        raise Conflict("This conversation has moved on. Here is where it is now.")
    role = whose_step(step)
    if getattr(conversation, f"{role}_id") != user.id:
        raise Conflict("This step is your partner's. Take your time; you'll hear when it's yours.")
    _ensure_live_couple(conversation)
    # Acting is coming back from a break.
    setattr(conversation, f"{role}_break_at", None)


def _replayed(user: User, key: str | None, *parts: object) -> tuple[bool, str | None, str]:
    key = idempotency.check_key(key)
    request_print = idempotency.fingerprint("repair", *parts)
    return idempotency.earlier(user, key, request_print) is not None, key, request_print


def _other(conversation: RepairConversation, user_id: int) -> int | None:
    return conversation.listener_id if user_id == conversation.speaker_id else conversation.speaker_id


def _moved(conversation: RepairConversation, key: str) -> None:
    """Something both partners see changed: the couple's pages move on, and the person whose step it is hears."""
    versions.couple_changed(conversation.couple_id)
    if conversation.state == "open":
        next_person = getattr(conversation, f"{whose_step(conversation.step)}_id")
        if next_person is not None:
            notify.queue([next_person], notify.repair(conversation.id, key))


def _add_turn(conversation: RepairConversation, user: User, step: int, turns: list[RepairTurn], **values) -> RepairTurn:
    now = utcnow()
    turn = RepairTurn(
        conversation_id=conversation.id,
        step=step,
        round=_rounds(turns, step) + 1,
        author_id=user.id,
        created_at=now,
        updated_at=now,
        sent_at=now,
        **values,
    )
    db.session.add(turn)
    return turn


# Asking --------------------------------------------------------------------------


def _membership(user: User) -> Membership:
    membership = db.session.scalar(Membership.active_of(user.id))
    if membership is None:
        raise Conflict("Pair with your partner first: a repair conversation is for the two of you.")
    return membership


# Built once: Today asks for it on every render, and building the statement cost twice running it.
_LIVE = sa.select(RepairConversation).where(
    RepairConversation.couple_id == sa.bindparam("couple_id"), RepairConversation.state != "ended"
)


def live(couple_id: int) -> RepairConversation | None:
    """The couple's conversation that is asked for or open (there is at most one)."""
    return db.session.scalar(_LIVE, {"couple_id": couple_id})


def ask(
    user: User,
    *,
    role: str = "speaker",
    topic: str | None = None,
    commitment_id: int | None = None,
    client_key: str | None = None,
) -> RepairConversation:
    """Ask for a repair conversation: as the one who was hurt (speaker), or offering to listen (listener)."""
    if role not in ("speaker", "listener"):
        raise Invalid("Choose whether you'd like to share or to listen.", field="role")
    topic = check_line(topic, limit=TOPIC_MAX, field="topic", what="topic") if (topic or "").strip() else None
    replay, key, request_print = _replayed(user, client_key, "ask", role, topic, commitment_id)
    membership = _membership(user)
    # The couple row is the lock: two asks at the same instant become one conversation and one refusal.
    couple = db.session.scalar(sa.select(Couple).where(Couple.id == membership.couple_id).with_for_update())
    if couple.ended_at is not None:
        raise Conflict("This couple has ended.")
    partner_id = db.session.scalar(
        sa.select(Membership.user_id).where(Membership.current_in(couple.id), Membership.user_id != user.id)
    )
    if partner_id is None:
        raise Conflict("Your partner hasn't joined yet.")
    existing = live(couple.id)
    if replay and existing is not None and existing.asked_by_id == user.id:
        return existing
    if existing is not None:
        raise Conflict(
            "There's already a repair conversation between you. Finish or close it first; another can follow."
        )
    speaker, listener = (user.id, partner_id) if role == "speaker" else (partner_id, user.id)
    conversation = RepairConversation(
        couple_id=couple.id,
        asked_by_id=user.id,
        speaker_id=speaker,
        listener_id=listener,
        topic=topic,
        commitment_id=commitment_id,
        state="asked",
        step=1,
    )
    db.session.add(conversation)
    db.session.flush()
    idempotency.remember(user, key, request_print)
    versions.couple_changed(couple.id)
    notify.queue([partner_id], notify.repair(conversation.id, "asked"))
    return conversation


def about_commitment(user: User, commitment_id: int, client_key: str | None = None) -> RepairConversation:
    """The partner says a commitment doesn't feel right yet: a repair conversation about it, with them speaking."""
    commitment = access.commitment_for(user, commitment_id)
    if commitment.maker_id == user.id:
        raise Conflict("This commitment is yours: you can revise it or retire it instead.")
    return ask(user, role="speaker", commitment_id=commitment.id, client_key=client_key)


def _ensure_asked_of(user: User, conversation: RepairConversation) -> None:
    if conversation.asked_by_id == user.id:
        raise Conflict("You asked for this conversation; your partner will say when they're ready.")
    _ensure_live_couple(conversation)


def accept(user: User, conversation_id: int) -> RepairConversation:
    """The partner who was asked says yes, now; a second yes changes nothing."""
    conversation = _locked(user, conversation_id)
    if conversation.state == "open" and conversation.asked_by_id != user.id:
        return conversation
    if conversation.state != "asked":
        raise Conflict("This conversation is closed. It stays in your history.")
    _ensure_asked_of(user, conversation)
    conversation.state = "open"
    conversation.accepted_at = utcnow()
    conversation.not_yet_at = conversation.not_yet_when = None
    db.session.flush()
    _moved(conversation, "open")
    return conversation


def not_yet(user: User, conversation_id: int, when: str | None = None) -> RepairConversation:
    """ "Not yet", with a time if they like; no reason asked, and only the latest answer is kept."""
    if (when or "") not in LATER:
        raise Invalid("Choose when, or leave it open.", field="when")
    conversation = _locked(user, conversation_id)
    if conversation.state != "asked":
        raise Conflict("This conversation isn't waiting for an answer.")
    _ensure_asked_of(user, conversation)
    conversation.not_yet_at = utcnow()
    conversation.not_yet_when = when or None
    versions.couple_changed(conversation.couple_id)
    db.session.flush()
    return conversation


# The six steps ------------------------------------------------------------------


def save_draft(user: User, conversation_id: int, body: str) -> RepairTurn:
    """Keep the speaker's first step as a draft: sealed, so only the speaker's own pages move."""
    body = check_text(body, limit=ANSWER_MAX, field="body", what="words")
    conversation = _locked(user, conversation_id)
    _ensure_my_step(user, conversation, 1)
    turn = _draft(conversation)
    now = utcnow()
    if turn is None:
        turn = RepairTurn(
            conversation_id=conversation.id, step=1, round=1, author_id=user.id, body=body, created_at=now
        )
        db.session.add(turn)
    turn.body, turn.updated_at = body, now
    db.session.flush()
    # Nothing the listener may see has changed, not even that a draft exists or when it was touched.
    versions.person_changed(user.id, conversation.couple_id)
    return turn


def _draft(conversation: RepairConversation) -> RepairTurn | None:
    return db.session.scalar(
        sa.select(RepairTurn).where(RepairTurn.conversation_id == conversation.id, RepairTurn.step == 1)
    )


def _take_step(
    user: User,
    conversation_id: int,
    step: int,
    request: tuple[object, ...],
    write: Callable[[RepairConversation], str],
    client_key: str | None,
) -> RepairConversation:
    """What every one of the six steps does, so a step is declared by its checks and its write.

    A retried request (the same key with the same words) changes nothing. Otherwise, once it is
    checked to be user's step, write adds the turn and moves the conversation on, returning the key
    of what the partner hears; then both partners' pages move on and the partner is told (after any
    step, what comes next is the partner's).
    """
    name, *values = request
    replay, key, request_print = _replayed(user, client_key, name, conversation_id, *values)
    conversation = _locked(user, conversation_id)
    if replay:
        return conversation
    _ensure_my_step(user, conversation, step)
    event = write(conversation)
    db.session.flush()
    idempotency.remember(user, key, request_print)
    versions.couple_changed(conversation.couple_id)
    partner_id = _other(conversation, user.id)
    if partner_id is not None:
        notify.queue([partner_id], notify.repair(conversation.id, event))
    return conversation


def send_first(user: User, conversation_id: int, body: str, client_key: str | None = None) -> RepairConversation:
    """Step 1: the speaker sends what happened and how it felt; the listener may read it from now on."""
    body = check_text(body, limit=ANSWER_MAX, field="body", what="words")

    def write(conversation: RepairConversation) -> str:
        turn = _draft(conversation)
        now = utcnow()
        if turn is None:
            turn = RepairTurn(conversation_id=conversation.id, step=1, round=1, author_id=user.id, created_at=now)
            db.session.add(turn)
        turn.body, turn.updated_at, turn.sent_at = body, now, now
        conversation.step = 2
        return "2:1"

    return _take_step(user, conversation_id, 1, ("first", body), write, client_key)


def reflect(user: User, conversation_id: int, body: str, client_key: str | None = None) -> RepairConversation:
    """Step 2: the listener says what they heard, only that."""
    body = check_text(body, limit=ANSWER_MAX, field="body", what="reflection")

    def write(conversation: RepairConversation) -> str:
        turn = _add_turn(conversation, user, 2, _turns(conversation), body=body)
        conversation.step = 3
        return f"3:{turn.round}"

    return _take_step(user, conversation_id, 2, ("reflect", body), write, client_key)


def respond(
    user: User, conversation_id: int, response: str, addition: str | None = None, client_key: str | None = None
) -> RepairConversation:
    """Step 3: "I feel heard" moves on to 4; "Partly", with what they'd add, asks for another reflection."""
    if response not in ("heard", "partly"):
        raise Invalid("Choose \u201cI feel heard\u201d or \u201cPartly\u201d.", field="response")
    addition = (
        check_text(addition, limit=ANSWER_MAX, field="addition", what="addition") if response == "partly" else None
    )

    def write(conversation: RepairConversation) -> str:
        turn = _add_turn(conversation, user, 3, _turns(conversation), choice=response, body=addition)
        conversation.step = 4 if response == "heard" else 2
        return f"{conversation.step}:{turn.round}"

    return _take_step(user, conversation_id, 3, ("respond", response, addition), write, client_key)


def acknowledge(user: User, conversation_id: int, body: str, client_key: str | None = None) -> RepairConversation:
    """Step 4: the listener acknowledges their part and its impact, in their own words."""
    body = check_text(body, limit=ANSWER_MAX, field="body", what="acknowledgement")

    def write(conversation: RepairConversation) -> str:
        _add_turn(conversation, user, 4, _turns(conversation), body=body)
        conversation.step = 5
        return "5"

    return _take_step(user, conversation_id, 4, ("acknowledge", body), write, client_key)


def name_need(
    user: User, conversation_id: int, need: str, body: str | None = None, client_key: str | None = None
) -> RepairConversation:
    """Step 5: the speaker names what they need now: reassurance, a change, time, or nothing yet."""
    if need not in NEEDS:
        raise Invalid("Choose what you need now (\u201cnothing yet\u201d is a fine answer).", field="need")
    body = check_text(body, limit=ANSWER_MAX, field="body", what="words") if (body or "").strip() else None

    def write(conversation: RepairConversation) -> str:
        _add_turn(conversation, user, 5, _turns(conversation), choice=need, body=body)
        conversation.step = 6
        return "6"

    return _take_step(user, conversation_id, 5, ("need", need, body), write, client_key)


def answer_need(
    user: User,
    conversation_id: int,
    answer: str,
    body: str | None = None,
    commitment: str | None = None,
    client_key: str | None = None,
) -> RepairConversation:
    """Step 6: words of reassurance, a commitment, or "I need time, and I'll come back to it by ..."

    Words or a commitment reach the end, marked calmly; time keeps the step open for the listener to return to.
    """
    if answer not in ("words", "commitment", "time"):
        raise Invalid("Choose how you'd like to answer.", field="answer")
    if answer == "commitment":
        commitment = commitments.check_commitment(commitment)
        body = check_text(body, limit=ANSWER_MAX, field="body", what="words") if (body or "").strip() else None
    else:
        what = "words" if answer == "words" else "note of when you'll come back to it"
        body = check_text(body, limit=ANSWER_MAX, field="body", what=what)

    def write(conversation: RepairConversation) -> str:
        turn = _add_turn(conversation, user, 6, _turns(conversation), choice=answer, body=body)
        if answer == "commitment":
            commitments.make(user, commitment, conversation_id=conversation.id)
        if answer != "time":
            conversation.state = "ended"
            conversation.ended_at = utcnow()
            conversation.reached_end = True
        return f"answer:{turn.round}"

    return _take_step(user, conversation_id, 6, ("answer", answer, body, commitment), write, client_key)


# Pacing and closing ---------------------------------------------------------------


def _role(user: User, conversation: RepairConversation) -> str:
    return "speaker" if user.id == conversation.speaker_id else "listener"


def step_away(user: User, conversation_id: int) -> RepairConversation:
    """ "I need a break, this will keep": either partner, at any step; nothing times out."""
    conversation = _locked(user, conversation_id)
    if conversation.state == "ended":
        raise Conflict("This conversation is closed. It stays in your history.")
    role = _role(user, conversation)
    if getattr(conversation, f"{role}_break_at") is None:
        setattr(conversation, f"{role}_break_at", utcnow())
        versions.couple_changed(conversation.couple_id)
    db.session.flush()
    return conversation


def come_back(user: User, conversation_id: int) -> RepairConversation:
    conversation = _locked(user, conversation_id)
    role = _role(user, conversation)
    if getattr(conversation, f"{role}_break_at") is not None:
        setattr(conversation, f"{role}_break_at", None)
        versions.couple_changed(conversation.couple_id)
    db.session.flush()
    return conversation


def close(user: User, conversation_id: int) -> RepairConversation:
    """Either partner closes it, at any step (the speaker may choose not to go on). An unsent first step goes."""
    conversation = _locked(user, conversation_id)
    if conversation.state == "ended":
        return conversation
    draft = _draft(conversation)
    if draft is not None and draft.sent_at is None:
        # Never sent, so never anyone's but the speaker's: it isn't kept.
        db.session.delete(draft)
    conversation.state = "ended"
    conversation.ended_at = utcnow()
    db.session.flush()
    versions.couple_changed(conversation.couple_id)
    return conversation


# Reading -------------------------------------------------------------------------


@dataclass
class RepairView:
    """One conversation as one partner may see it: the speaker's draft only to the speaker."""

    conversation: RepairConversation
    me: User
    partner: User | None
    role: str  # "speaker" or "listener"
    turns: list[RepairTurn]
    topic: str | None

    @property
    def partner_name(self) -> str:
        return self.partner.display_name if self.partner else "Your partner"

    @property
    def asked_by_me(self) -> bool:
        return self.conversation.asked_by_id == self.me.id

    @property
    def my_step(self) -> bool:
        c = self.conversation
        return c.state == "open" and whose_step(c.step) == self.role

    @property
    def my_break(self) -> bool:
        return getattr(self.conversation, f"{self.role}_break_at") is not None

    @property
    def partner_break(self) -> bool:
        other = "listener" if self.role == "speaker" else "speaker"
        return getattr(self.conversation, f"{other}_break_at") is not None

    @property
    def draft(self) -> RepairTurn | None:
        return next((t for t in self.turns if t.step == 1 and t.sent_at is None), None)

    @property
    def sent(self) -> list[RepairTurn]:
        return [t for t in self.turns if t.sent_at is not None]

    @property
    def latest_addition(self) -> RepairTurn | None:
        return next((t for t in reversed(self.sent) if t.step == 3 and t.choice == "partly"), None)

    @property
    def waiting_for_time(self) -> RepairTurn | None:
        """The listener's "I need time" at step 6, if that is the latest word."""
        last = self.sent[-1] if self.sent else None
        return last if last is not None and last.step == 6 and last.choice == "time" else None

    @property
    def step_name(self) -> str:
        return STEP_NAMES[self.conversation.step]

    @property
    def not_yet_when(self) -> str | None:
        """The time given with "not yet", while the ask still waits for an answer."""
        c = self.conversation
        return c.not_yet_when if c.state == "asked" else None

    @property
    def not_yet_words(self) -> str | None:
        return LATER.get(self.conversation.not_yet_when or "")


def view(user: User, conversation: RepairConversation) -> RepairView:
    role = _role(user, conversation)
    partner_id = _other(conversation, user.id)
    partner = db.session.get(User, partner_id) if partner_id else None
    return RepairView(
        conversation=conversation,
        me=user,
        partner=partner,
        role=role,
        turns=access.turns_for(user.id, conversation),
        topic=access.topic_for(user.id, conversation),
    )


def read(user: User, conversation_id: int) -> RepairView:
    return view(user, access.conversation_for(user, conversation_id))


def live_for(user: User) -> RepairView | None:
    """The conversation Today shows: the couple's live one, if any."""
    membership = user.active_membership  # loaded with the login, no query of its own
    if membership is None:
        return None
    conversation = live(membership.couple_id)
    return view(user, conversation) if conversation is not None else None


def history_for(user: User, limit: int = 50) -> list[RepairView]:
    """The couple's ended conversations, newest first, each as this partner may see it."""
    membership = user.active_membership
    if membership is None:
        return []
    ended = db.session.scalars(
        sa.select(RepairConversation)
        .where(RepairConversation.couple_id == membership.couple_id, RepairConversation.state == "ended")
        .order_by(RepairConversation.id.desc())
        .limit(limit)
    )
    return [view(user, c) for c in ended]


def for_therapist(
    seen: access.TherapistRepairView, *, limit: int = 50
) -> list[tuple[RepairConversation, list[RepairTurn]]]:
    """Every conversation of the couple with its sent turns only, for a therapist in the conversations scope
    (nothing within the progress scope alone)."""
    if not seen.conversations:
        return []
    conversations = db.session.scalars(
        sa.select(RepairConversation)
        .where(RepairConversation.couple_id == seen.couple_id)
        .order_by(RepairConversation.id.desc())
        .limit(limit)
    )
    return [(c, access.turns_for(None, c)) for c in conversations]
