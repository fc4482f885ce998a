"""Answering, the reveal, and the reflect-back loop that follows it.

Every write here locks the prompt instance first (FOR UPDATE on PostgreSQL;
SQLite write transactions are already serialised by BEGIN IMMEDIATE), so two
partners acting at the same instant are applied one after the other: the
reveal happens exactly once and no answer or reflection is lost or doubled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa

from extensions import db
from models import Answer, PromptInstance, Reflection, User, utcnow
from services import access
from services.common import idempotency
from services.common.errors import Conflict, Invalid, NotFound
from services.common.text import ANSWER_MAX, REFLECTION_MAX, check_text
from services.couples import depth, versions
from services.delivery import delivery
from services.notifications import notify

DirectionState = Literal["awaiting_reflection", "awaiting_response", "heard"]


def _locked(user: User, instance_id: int) -> tuple[PromptInstance, list[Answer]]:
    instance = access.instance_for(user, instance_id, lock=True)
    answers = list(db.session.scalars(sa.select(Answer).where(Answer.instance_id == instance.id)))
    return instance, answers


def _ensure_couple_active(instance: PromptInstance) -> None:
    if instance.couple.ended_at is not None:
        raise Conflict("This couple has ended, so this conversation is closed.")


# Answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Answer
    revealed_now: bool


def submit_answer(user: User, instance_id: int, body: str, client_key: str | None = None) -> AnswerOutcome:
    """Save or edit user's answer; the second answer reveals the prompt (the caller commits)."""
    body = check_text(body, limit=ANSWER_MAX, field="body", what="answer")
    client_key = idempotency.check_key(client_key)
    instance, answers = _locked(user, instance_id)
    mine = next((a for a in answers if a.user_id == user.id), None)
    request_print = idempotency.fingerprint("answer", instance.id, body)
    if idempotency.earlier(user, client_key, request_print) is not None and mine is not None:
        return AnswerOutcome(mine, revealed_now=False)
    if instance.revealed_at is not None:
        raise Conflict("Both answers are revealed, so answers can no longer change.")
    if instance.set_aside_at is not None:
        raise Conflict("This prompt was set aside. It will come round again another day.")
    _ensure_couple_active(instance)
    now = utcnow()
    first_answer = mine is None
    if first_answer:
        mine = Answer(instance_id=instance.id, user_id=user.id, body=body, created_at=now, updated_at=now)
        db.session.add(mine)
        answers.append(mine)
    else:
        mine.body = body
        mine.updated_at = now
    revealed_now = len(answers) == 2
    db.session.flush()
    idempotency.remember(user, client_key, request_print, answer_id=mine.id)
    if first_answer or revealed_now:
        versions.couple_changed(instance.couple_id)
    else:
        # An edit while sealed: nothing the partner may see has changed, not even when it happened.
        versions.person_changed(user.id, instance.couple_id)
    if revealed_now:
        instance.revealed_at = now
        instance.remind_at = None
        depth.conversation_revealed(instance.couple_id, delivery.depth_ceiling(instance.couple_id))
        delivery.release_hold(instance.couple, now)
        notify.queue([a.user_id for a in answers], notify.reveal(instance.id), now)
    elif first_answer:
        partners = [pid for pid in delivery.partner_ids(instance.couple_id) if pid != user.id]
        notify.queue(partners, notify.partner_answered(instance.id), now)
    db.session.flush()
    return AnswerOutcome(mine, revealed_now)


# Reflections -----------------------------------------------------------------


@dataclass
class Direction:
    """One partner listening to the other's answer, round by round."""

    listener_id: int
    speaker_id: int
    rounds: list[Reflection] = field(default_factory=list)

    @property
    def state(self) -> DirectionState:
        if not self.rounds:
            return "awaiting_reflection"
        last = self.rounds[-1]
        if last.response is None:
            return "awaiting_response"
        return "heard" if last.response == "heard" else "awaiting_reflection"

    @property
    def latest(self) -> Reflection | None:
        return self.rounds[-1] if self.rounds else None


def directions(instance: PromptInstance, answers: list[Answer], reflections: list[Reflection]) -> dict[int, Direction]:
    """Directions keyed by listener id, for the partners who still have an answer on this prompt."""
    author_ids = [a.user_id for a in answers]
    result: dict[int, Direction] = {}
    if len(author_ids) == 2:
        first, second = author_ids
        result[first] = Direction(listener_id=first, speaker_id=second)
        result[second] = Direction(listener_id=second, speaker_id=first)
    for reflection in sorted(reflections, key=lambda r: r.round):
        direction = result.get(reflection.listener_id)
        if direction is not None:
            direction.rounds.append(reflection)
    return result


def _maybe_complete(instance: PromptInstance, answers: list[Answer], reflections: list[Reflection]) -> None:
    flows = directions(instance, answers, reflections)
    all_heard = bool(flows) and all(d.state == "heard" for d in flows.values())
    all_closed = bool(answers) and all(a.closed_at is not None for a in answers)
    if instance.completed_at is None and (all_heard or all_closed):
        instance.completed_at = utcnow()
        if all_heard:
            depth.both_felt_heard(instance.couple_id, instance.depth, delivery.depth_ceiling(instance.couple_id))


def _reflections(instance_id: int) -> list[Reflection]:
    return list(
        db.session.scalars(sa.select(Reflection).where(Reflection.instance_id == instance_id).order_by(Reflection.id))
    )


def _ensure_conversation_open(instance: PromptInstance) -> None:
    if instance.revealed_at is None:
        raise Conflict("Reflections start once both answers are revealed.")
    if instance.completed_at is not None:
        raise Conflict("This conversation is complete.")
    _ensure_couple_active(instance)


def reflect(user: User, instance_id: int, body: str, client_key: str | None = None) -> Reflection:
    """Add user's reflection of what they heard in their partner's answer."""
    body = check_text(body, limit=REFLECTION_MAX, field="body", what="reflection")
    client_key = idempotency.check_key(client_key)
    instance, answers = _locked(user, instance_id)
    reflections = _reflections(instance.id)
    request_print = idempotency.fingerprint("reflect", instance.id, body)
    replay = idempotency.earlier(user, client_key, request_print)
    if replay is not None:
        done = next((r for r in reflections if r.id == replay.reflection_id), None)
        if done is not None:
            return done
    _ensure_conversation_open(instance)
    direction = directions(instance, answers, reflections).get(user.id)
    if direction is None:
        raise Conflict("There's no answer from your partner to reflect on.")
    if direction.state == "awaiting_response":
        raise Conflict("Your partner hasn't responded to your last reflection yet.")
    if direction.state == "heard":
        raise Conflict("Your partner already feels heard on this one.")
    reflection = Reflection(
        instance_id=instance.id,
        listener_id=user.id,
        speaker_id=direction.speaker_id,
        round=len(direction.rounds) + 1,
        body=body,
    )
    db.session.add(reflection)
    db.session.flush()
    idempotency.remember(user, client_key, request_print, reflection_id=reflection.id)
    versions.couple_changed(instance.couple_id)
    notify.queue([direction.speaker_id], notify.reflection(instance.id, reflection.id))
    db.session.flush()
    return reflection


def respond(user: User, instance_id: int, reflection_id: int, response: str, addition: str | None = None) -> Reflection:
    """The speaker says whether a reflection left them feeling heard, or what they'd add."""
    if response not in ("heard", "partly"):
        raise Invalid("Choose \u201cI feel heard\u201d or \u201cPartly\u201d.", field="response")
    instance, answers = _locked(user, instance_id)
    reflections = _reflections(instance.id)
    reflection = next((r for r in reflections if r.id == reflection_id), None)
    if reflection is None or reflection.speaker_id != user.id:
        raise NotFound("We couldn't find that reflection.")
    if reflection.response is not None:
        if reflection.response == response and (response == "heard" or reflection.addition == addition):
            return reflection
        raise Conflict("You've already responded to this reflection.")
    _ensure_conversation_open(instance)
    direction = directions(instance, answers, reflections)[reflection.listener_id]
    if direction.latest is not reflection:
        raise Conflict("You can only respond to the latest reflection.")
    if response == "partly":
        reflection.addition = check_text(addition, limit=REFLECTION_MAX, field="addition", what="addition")
        notify.queue([reflection.listener_id], notify.addition(instance.id, reflection.id))
    reflection.response = response
    reflection.responded_at = utcnow()
    _maybe_complete(instance, answers, reflections)
    versions.couple_changed(instance.couple_id)
    db.session.flush()
    return reflection


def close(user: User, instance_id: int) -> PromptInstance:
    """User is done with this conversation; it completes once both partners close it."""
    instance, answers = _locked(user, instance_id)
    if instance.revealed_at is None:
        raise Conflict("You can close a conversation once both answers are revealed.")
    mine = next((a for a in answers if a.user_id == user.id), None)
    if mine is None:
        raise Conflict("There's nothing of yours to close here.")
    if mine.closed_at is None:
        mine.closed_at = utcnow()
    _maybe_complete(instance, answers, _reflections(instance.id))
    versions.couple_changed(instance.couple_id)
    db.session.flush()
    return instance
