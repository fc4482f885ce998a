"""A Hypothesis state machine over repair conversations: random acts by both partners at every step, checked
against a model, with the invariants (sealing, one live conversation, consistent rounds) after every step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from extensions import db
from models import RepairConversation, RepairTurn
from services.access import repair as access
from services.common.errors import ServiceError
from services.repair import conversations
from tests.conftest import empty_tables
from tests.helpers import Factory

texts = st.one_of(st.just(""), st.just("  "), st.text(alphabet="abc xyz\n💬", min_size=1, max_size=12))
who = st.sampled_from("ab")
DRAFT = "SEALED-DRAFT"


class RepairMachine(RuleBasedStateMachine):
    """The model: the live conversation's state, step, speaker and asker, and whether a draft waits at step 1."""

    app = None
    walked_to_the_end = 0

    def __init__(self):
        super().__init__()
        empty_tables(self.app)
        self.factory = Factory(self.app)
        pair = self.factory.pair()
        self.people = {"a": pair.a, "b": pair.b}
        self.cid: int | None = None
        self.state = None  # None, "asked", "open" or "ended"
        self.step = 1
        self.speaker = self.asker = None
        self.drafted = False

    def other(self, x: str) -> str:
        return "b" if x == "a" else "a"

    def _call(self, x, fn, *args, **kwargs):
        with self.factory.session():
            try:
                fn(self.factory.load(self.people[x]), *args, **kwargs)
                return None
            except ServiceError as error:
                db.session.rollback()
                return error

    def _whose(self) -> str:
        return self.speaker if self.step % 2 else self.other(self.speaker)

    def _may_act(self, x: str, step: int) -> bool:
        return self.state == "open" and self.step == step and self._whose() == x

    # Asking ------------------------------------------------------------------------

    @rule(x=who, as_speaker=st.booleans())
    def ask(self, x, as_speaker):
        error = self._call(x, conversations.ask, role="speaker" if as_speaker else "listener", topic="SEALED-TOPIC")
        live = self.state in ("asked", "open")
        assert (error is None) == (not live), error
        if error is None:
            with self.factory.session():
                self.cid = db.session.scalar(sa.select(sa.func.max(RepairConversation.id)))
            self.state, self.step, self.asker, self.drafted = "asked", 1, x, False
            self.speaker = x if as_speaker else self.other(x)

    @rule(x=who)
    def accept(self, x):
        if self.cid is None:
            return
        error = self._call(x, conversations.accept, self.cid)
        ok = (self.state == "asked" and x != self.asker) or (self.state == "open" and x != self.asker)
        assert (error is None) == ok, error
        if ok:
            self.state = "open"

    @rule(x=who, when=st.sampled_from(["", "evening", "weekend", "nonsense"]))
    def not_yet(self, x, when):
        if self.cid is None:
            return
        error = self._call(x, conversations.not_yet, self.cid, when)
        assert (error is None) == (self.state == "asked" and x != self.asker and when != "nonsense"), error

    # The steps ---------------------------------------------------------------------

    @rule(x=who, body=texts)
    def draft(self, x, body):
        if self.cid is None:
            return
        error = self._call(x, conversations.save_draft, self.cid, f"{DRAFT} {body}")
        assert (error is None) == self._may_act(x, 1), error
        self.drafted = self.drafted or error is None

    @rule(x=who, body=texts)
    def send_first(self, x, body):
        self._words(x, 1, conversations.send_first, body)

    @rule(x=who, body=texts)
    def reflect(self, x, body):
        self._words(x, 2, conversations.reflect, body)

    @rule(x=who, body=texts)
    def acknowledge(self, x, body):
        self._words(x, 4, conversations.acknowledge, body)

    def _words(self, x, step, fn, body):
        if self.cid is None:
            return
        error = self._call(x, fn, self.cid, body)
        ok = self._may_act(x, step) and bool(body.strip())
        assert (error is None) == ok, error
        if ok:
            self.step = step + 1
            self.drafted = False if step == 1 else self.drafted

    @rule(x=who, heard=st.booleans(), addition=texts)
    def respond(self, x, heard, addition):
        if self.cid is None:
            return
        error = self._call(x, conversations.respond, self.cid, "heard" if heard else "partly", addition)
        ok = self._may_act(x, 3) and (heard or bool(addition.strip()))
        assert (error is None) == ok, error
        if ok:
            self.step = 4 if heard else 2

    @rule(x=who, need=st.sampled_from(["reassurance", "change", "time", "nothing", "everything"]))
    def name_need(self, x, need):
        if self.cid is None:
            return
        error = self._call(x, conversations.name_need, self.cid, need)
        ok = self._may_act(x, 5) and need != "everything"
        assert (error is None) == ok, error
        if ok:
            self.step = 6

    @rule(x=who, answer=st.sampled_from(["words", "commitment", "time"]), body=texts)
    def answer_need(self, x, answer, body):
        if self.cid is None:
            return
        error = self._call(x, conversations.answer_need, self.cid, answer, body, body)
        ok = self._may_act(x, 6) and bool(body.strip())
        assert (error is None) == ok, error
        if ok and answer != "time":
            self.state = "ended"

    def _advance(self, x, body, heard):
        """Whatever the current step asks of x: most random walks otherwise never get past step 2."""
        if self.state in (None, "ended"):
            self.ask(x, heard)
        elif self.state == "asked":
            self.accept(x)
        elif self.step in (1, 2, 4):
            {1: self.send_first, 2: self.reflect, 4: self.acknowledge}[self.step](x, body)
        elif self.step == 3:
            self.respond(x, heard, body)
        elif self.step == 5:
            self.name_need(x, "change" if heard else "nothing")
        else:
            self.answer_need(x, "commitment" if heard else "words", body)
            if self.state == "ended":
                RepairMachine.walked_to_the_end += 1

    @rule(x=who, body=texts, heard=st.booleans())
    def advance(self, x, body, heard):
        self._advance(x, body, heard)

    @rule(heard=st.lists(st.booleans(), min_size=1, max_size=10))
    def walk_on(self, heard):
        """A few steps in a row by whoever may take them (an answer, a "partly" round, a need answered)."""
        for each in heard:
            if self.state == "open":
                self._advance(self._whose(), "words", each)
            elif self.state == "asked":
                self._advance(self.other(self.asker), "words", each)
            else:
                self._advance("a", "words", each)

    # Pacing and closing ------------------------------------------------------------

    @rule(x=who, back=st.booleans())
    def take_break(self, x, back):
        if self.cid is None:
            return
        error = self._call(x, conversations.come_back if back else conversations.step_away, self.cid)
        assert (error is None) == (back or self.state != "ended"), error

    @rule(x=who)
    def close(self, x):
        if self.cid is None:
            return
        assert self._call(x, conversations.close, self.cid) is None
        self.state, self.drafted = "ended", False

    # Invariants --------------------------------------------------------------------

    @invariant()
    def database_matches_the_model(self):
        if self.cid is None:
            return
        with self.factory.session():
            c = db.session.get(RepairConversation, self.cid)
            assert (c.state, c.step) == (self.state, self.step)
            live = db.session.scalar(
                sa.select(sa.func.count()).select_from(RepairConversation).where(RepairConversation.state != "ended")
            )
            assert live <= 1

    @invariant()
    def the_first_step_is_sealed_until_sent(self):
        if self.cid is None:
            return
        with self.factory.session():
            c = db.session.get(RepairConversation, self.cid)
            listener = self.people[self.other(self.speaker)]
            seen = access.turns_for(listener.id, c)
            assert all(t.sent_at is not None for t in seen)
            assert all(DRAFT not in (t.body or "") for t in access.turns_for(None, c) if t.step == 1) or c.step > 1
            if c.step == 1 and self.asker != self.other(self.speaker):
                assert access.topic_for(listener.id, c) is None
            drafts = db.session.scalars(
                sa.select(RepairTurn).where(RepairTurn.conversation_id == c.id, RepairTurn.sent_at.is_(None))
            ).all()
            assert len(drafts) == (1 if self.drafted and self.state == "open" else 0)

    @invariant()
    def rounds_are_consistent(self):
        if self.cid is None:
            return
        with self.factory.session():
            turns = db.session.scalars(
                sa.select(RepairTurn)
                .where(RepairTurn.conversation_id == self.cid, RepairTurn.sent_at.is_not(None))
                .order_by(RepairTurn.id)  # in the order they were sent: without it PostgreSQL may return any order
            ).all()
            reflections = [t for t in turns if t.step == 2]
            responses = [t for t in turns if t.step == 3]
            assert len(reflections) - len(responses) in (0, 1)
            assert [t.round for t in reflections] == list(range(1, len(reflections) + 1))
            assert all(t.choice == "partly" for t in responses[:-1])
            for t in turns:
                expected = self.speaker if t.step % 2 else self.other(self.speaker)
                assert t.author_id == self.people[expected].id


@pytest.mark.slow
def test_repair_state_machine(app):
    RepairMachine.app = app
    state_test = RepairMachine.TestCase
    state_test.settings = settings(
        max_examples=30, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)
    )
    state_test().runTest()
    assert RepairMachine.walked_to_the_end > 0, "no run reached the end: the machine isn't exploring the steps"
