"""What a partner reads: the Today page, one conversation, and the history.

Each view is built from a fixed number of queries however long the
couple's history grows, and every answer passes through access.answers_for,
so a sealed answer never reaches a template.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from extensions import db
from models import Answer, Couple, Membership, PromptInstance, Reflection, Theme, User
from services import access
from services.common.errors import NotFound
from services.conversation.conversation import Direction, directions
from services.delivery.delivery import MAX_OPEN_PROMPTS

if TYPE_CHECKING:
    from services.access.therapist import TherapistAccess

HISTORY_PAGE_SIZE = 20
# Past this a page number is nonsense (two million conversations), and a bound keeps OFFSET inside a 64-bit integer.
HISTORY_MAX_PAGE = 100_000
TODAY_CONVERSATIONS = 3


@dataclass
class Card:
    """One prompt as one partner may see it."""

    instance: PromptInstance | PromptView
    sealed: access.SealedPair
    partner: User | None
    listening: Direction | None = None  # me reflecting my partner's answer
    being_heard: Direction | None = None  # my partner reflecting mine

    @property
    def state(self) -> str:
        if self.sealed.revealed:
            return "complete" if self.instance.completed_at else "revealed"
        return "waiting" if self.sealed.mine else "yours"

    @property
    def guidance(self) -> Theme | ThemeView | None:
        """The theme, whose listening guidance is offered once both answers are in (None before, or without one)."""
        return self.instance.theme if self.sealed.revealed else None

    @property
    def partner_name(self) -> str:
        return self.partner.display_name if self.partner else "Your partner"


@dataclass
class TodayView:
    couple: Couple | None
    partner: User | None
    open_cards: list[Card] = field(default_factory=list)
    conversations: list[Card] = field(default_factory=list)


def _partner_from_answers(user: User, answers: list[Answer]) -> User | None:
    return next((a.user for a in answers if a.user_id != user.id), None)


@dataclass(frozen=True, slots=True)
class ThemeView:
    id: str
    name: str
    mirror: str
    validate: str
    empathise: str
    avoid: list[str]
    starters: list[str]


@dataclass(slots=True)
class PromptView:
    """A prompt instance as the Today page reads it: plain values, no ORM state."""

    id: int
    text: str
    follow_up: str | None
    depth: int
    source: str
    delivered_at: datetime
    revealed_at: datetime | None
    completed_at: datetime | None
    set_aside_at: datetime | None
    theme: ThemeView | None
    note: str | None = None
    answers: list[AnswerView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AnswerView:
    id: int
    user_id: int
    body: str


# The Today page is the most visited page: its statements are built once and read
# plain rows (building an ORM statement, or ORM objects, costs more than the query).
_PARTNER = (
    sa.select(User)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.couple_id == sa.bindparam("couple_id"), Membership.user_id != sa.bindparam("user_id"))
)
_instances, _themes, _answers = PromptInstance.__table__, Theme.__table__, Answer.__table__
_recent_unfinished = (
    sa.select(_instances)
    .where(_instances.c.couple_id == sa.bindparam("couple_id"), _instances.c.completed_at.is_(None))
    .order_by(_instances.c.slot_at.desc())
    .limit(MAX_OPEN_PROMPTS + TODAY_CONVERSATIONS + 1)
    .subquery()
)
_TODAY = (
    sa.select(
        _recent_unfinished.c.id,
        _recent_unfinished.c.text,
        _recent_unfinished.c.follow_up,
        _recent_unfinished.c.depth,
        _recent_unfinished.c.source,
        _recent_unfinished.c.delivered_at,
        _recent_unfinished.c.revealed_at,
        _recent_unfinished.c.completed_at,
        _recent_unfinished.c.set_aside_at,
        _recent_unfinished.c.slot_at,
        _recent_unfinished.c.note,
        _themes.c.id.label("theme_id"),
        _themes.c.name,
        _themes.c.mirror,
        _themes.c.validate,
        _themes.c.empathise,
        _themes.c.avoid,
        _themes.c.starters,
        _answers.c.id.label("answer_id"),
        _answers.c.user_id,
        _answers.c.body,
    )
    .select_from(
        _recent_unfinished.outerjoin(_themes, _themes.c.id == _recent_unfinished.c.theme_id).outerjoin(
            _answers, _answers.c.instance_id == _recent_unfinished.c.id
        )
    )
    .order_by(_recent_unfinished.c.slot_at, _answers.c.id)
)


def partner_in(user: User, couple_id: int) -> User | None:
    """The other person in a couple (present or former), or None while waiting for them."""
    return db.session.scalar(_PARTNER, {"couple_id": couple_id, "user_id": user.id})


def _today_prompts(couple_id: int) -> list[PromptView]:
    prompts: dict[int, PromptView] = {}
    for row in db.session.execute(_TODAY, {"couple_id": couple_id}):
        prompt = prompts.get(row.id)
        if prompt is None:
            theme = (
                ThemeView(row.theme_id, row.name, row.mirror, row.validate, row.empathise, row.avoid, row.starters)
                if row.theme_id
                else None
            )
            prompt = prompts[row.id] = PromptView(
                row.id,
                row.text,
                row.follow_up,
                row.depth,
                row.source,
                row.delivered_at,
                row.revealed_at,
                row.completed_at,
                row.set_aside_at,
                theme,
                row.note,
            )
        if row.answer_id is not None:
            prompt.answers.append(AnswerView(row.answer_id, row.user_id, row.body))
    return list(prompts.values())


def today(user: User) -> TodayView:
    """The open prompts and the few most recent unfinished conversations of user's couple."""
    membership = user.active_membership
    if membership is None:
        return TodayView(couple=None, partner=None)
    couple = membership.couple
    partner = partner_in(user, couple.id)
    view = TodayView(couple=couple, partner=partner)
    for prompt in _today_prompts(couple.id):
        card = Card(prompt, access.answers_for(user, prompt, prompt.answers), partner)
        if card.sealed.revealed:
            view.conversations.append(card)
        else:
            view.open_cards.append(card)
    view.conversations = view.conversations[-TODAY_CONVERSATIONS:][::-1]
    return view


def conversation(user: User, instance_id: int) -> Card:
    """One prompt with both answers (once revealed) and the reflection rounds."""
    instance = access.instance_for(user, instance_id)
    sealed = access.answers_for(user, instance, instance.answers)
    if sealed.revealed:
        reflections = list(
            db.session.scalars(
                sa.select(Reflection).where(Reflection.instance_id == instance.id).order_by(Reflection.id)
            )
        )
        partner = _partner_from_answers(user, instance.answers)
        flows = directions(instance, instance.answers, reflections)
    else:
        # Before the reveal the partner is looked up by membership: their answer row must not be used.
        partner = partner_in(user, instance.couple_id)
        flows = {}
    card = Card(instance, sealed, partner)
    card.listening = flows.get(user.id)
    card.being_heard = next((d for d in flows.values() if d.speaker_id == user.id), None)
    return card


@dataclass
class HistoryPage:
    cards: list[Card]
    page: int
    has_next: bool


def history(user: User, page: int = 1) -> HistoryPage:
    """Revealed conversations from every couple user has been in, newest first, a page at a time."""
    page = min(max(1, page), HISTORY_MAX_PAGE)
    my_couples = sa.select(Membership.couple_id).where(Membership.user_id == user.id)
    instances = (
        db.session.scalars(
            sa.select(PromptInstance)
            .where(PromptInstance.couple_id.in_(my_couples), PromptInstance.revealed_at.is_not(None))
            .order_by(PromptInstance.revealed_at.desc(), PromptInstance.id.desc())
            .offset((page - 1) * HISTORY_PAGE_SIZE)
            .limit(HISTORY_PAGE_SIZE + 1)
            .options(joinedload(PromptInstance.answers).joinedload(Answer.user), joinedload(PromptInstance.theme))
        )
        .unique()
        .all()
    )
    has_next = len(instances) > HISTORY_PAGE_SIZE
    instances = instances[:HISTORY_PAGE_SIZE]
    by_instance: dict[int, list[Reflection]] = defaultdict(list)
    if instances:
        for reflection in db.session.scalars(
            sa.select(Reflection).where(Reflection.instance_id.in_([i.id for i in instances])).order_by(Reflection.id)
        ):
            by_instance[reflection.instance_id].append(reflection)
    cards = []
    for instance in instances:
        flows = directions(instance, instance.answers, by_instance[instance.id])
        card = Card(
            instance,
            access.answers_for(user, instance, instance.answers),
            _partner_from_answers(user, instance.answers),
        )
        card.listening = flows.get(user.id)
        card.being_heard = next((d for d in flows.values() if d.speaker_id == user.id), None)
        cards.append(card)
    return HistoryPage(cards=cards, page=page, has_next=has_next)


@dataclass
class SharedConversation:
    """A revealed conversation as a consented therapist reads it: both answers by name, and the rounds."""

    instance: PromptInstance
    answers: list[tuple[str, str]]
    rounds: list[tuple[str, Reflection]]


def revealed_instances(access: TherapistAccess, limit: int = 20) -> list[PromptInstance]:
    """The couple's most recently revealed prompts (never one still sealed), for a therapist whom both allow
    conversations."""
    access.require("conversations")
    return list(
        db.session.scalars(
            sa.select(PromptInstance)
            .where(PromptInstance.couple_id == access.couple_id, PromptInstance.revealed_at.is_not(None))
            .order_by(PromptInstance.revealed_at.desc())
            .limit(limit)
        )
    )


def shared_conversations(
    access: TherapistAccess, *, instance_id: int | None = None, limit: int = 200
) -> list[SharedConversation]:
    """Revealed conversations of the couple, newest first, for a therapist whom both allow conversations:
    one (instance_id), or the latest `limit`. Sealed prompts are never among them. Two queries in all."""
    access.require("conversations")
    statement = (
        sa.select(PromptInstance)
        .where(PromptInstance.couple_id == access.couple_id, PromptInstance.revealed_at.is_not(None))
        .order_by(PromptInstance.revealed_at.desc(), PromptInstance.id.desc())
        .options(joinedload(PromptInstance.answers).joinedload(Answer.user), joinedload(PromptInstance.theme))
        .limit(limit)
    )
    if instance_id is not None:
        statement = statement.where(PromptInstance.id == instance_id)
    instances = db.session.scalars(statement).unique().all()
    rounds: dict[int, list[Reflection]] = defaultdict(list)
    if instances:
        for reflection in db.session.scalars(
            sa.select(Reflection).where(Reflection.instance_id.in_([i.id for i in instances])).order_by(Reflection.id)
        ):
            rounds[reflection.instance_id].append(reflection)
    shared = []
    for instance in instances:
        names = {a.user_id: a.user.display_name for a in instance.answers}
        shared.append(
            SharedConversation(
                instance=instance,
                answers=[(a.user.display_name, a.body) for a in instance.answers],
                rounds=[(names.get(r.listener_id, "A partner"), r) for r in rounds[instance.id]],
            )
        )
    return shared


def shared_conversation(access: TherapistAccess, instance_id: int) -> SharedConversation:
    """One revealed conversation of this couple; NotFound for anything sealed, not theirs, or not shared."""
    found = shared_conversations(access, instance_id=instance_id, limit=1)
    if not found:
        raise NotFound("We couldn't find that conversation.")
    return found[0]
