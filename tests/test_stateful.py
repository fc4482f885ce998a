"""A Hypothesis state machine over answer -> reveal -> reflect -> felt heard, checking the invariants after every step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from extensions import db
from models import Answer, PromptInstance, Reflection
from services.common.errors import ServiceError
from services.conversation import conversation, reading
from tests.conftest import empty_tables
from tests.helpers import Factory

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=40
)


class LoopMachine(RuleBasedStateMachine):
    """Random sequences of everything the two partners can do, with a model of what must be true."""

    app = None

    def __init__(self):
        super().__init__()
        empty_tables(self.app)
        self.factory = Factory(self.app)
        self.pair = self.factory.pair()
        self.instance = self.pair.first_prompt_id
        self.people = {"a": self.pair.a, "b": self.pair.b}
        self.answers: dict[str, str] = {}
        self.revealed = False
        self.reveal_count = 0

    def _call(self, func, *args):
        with self.factory.session():
            try:
                return func(*args), None
            except ServiceError as error:
                db.session.rollback()
                return None, error

    @rule(who=st.sampled_from("ab"), body=texts)
    def answer(self, who, body):
        result, error = self._call(
            lambda: conversation.submit_answer(self.factory.load(self.people[who]), self.instance, body)
        )
        if not body.strip():
            assert error is not None
            return
        if self.revealed:
            assert error is not None and error.status == 409
            return
        assert error is None
        self.answers[who] = body.replace("\r\n", "\n")
        if result.revealed_now:
            self.reveal_count += 1
            self.revealed = True
        assert self.revealed == (len(self.answers) == 2)

    @rule(who=st.sampled_from("ab"), body=texts)
    def reflect(self, who, body):
        _, error = self._call(lambda: conversation.reflect(self.factory.load(self.people[who]), self.instance, body))
        if not self.revealed or not body.strip():
            assert error is not None

    @precondition(lambda self: self.revealed)
    @rule(who=st.sampled_from("ab"), heard=st.booleans(), addition=texts)
    def respond(self, who, heard, addition):
        with self.factory.session():
            pending = db.session.scalar(
                sa.select(Reflection.id).where(
                    Reflection.instance_id == self.instance,
                    Reflection.speaker_id == self.people[who].id,
                    Reflection.response.is_(None),
                )
            )
        if pending is None:
            return
        _, error = self._call(
            lambda: conversation.respond(
                self.factory.load(self.people[who]), self.instance, pending, "heard" if heard else "partly", addition
            )
        )
        completed = self._completed()
        if not heard and not addition.strip():
            assert error is not None
        elif not completed:
            assert error is None

    @rule(who=st.sampled_from("ab"))
    def close(self, who):
        self._call(lambda: conversation.close(self.factory.load(self.people[who]), self.instance))

    def _completed(self):
        with self.app.app_context():
            return db.session.get(PromptInstance, self.instance).completed_at is not None

    @invariant()
    def sealed_until_both(self):
        for who, other in (("a", "b"), ("b", "a")):
            with self.factory.session():
                card = reading.conversation(self.factory.load(self.people[who]), self.instance)
                mine = card.sealed.mine.body if card.sealed.mine else None
                partner = card.sealed.partner.body if card.sealed.partner else None
            assert mine == self.answers.get(who)
            if self.revealed:
                assert partner == self.answers[other]
            else:
                assert partner is None

    @invariant()
    def database_agrees(self):
        with self.app.app_context():
            instance = db.session.get(PromptInstance, self.instance)
            answers = db.session.scalar(
                sa.select(sa.func.count()).select_from(Answer).where(Answer.instance_id == self.instance)
            )
            assert answers == len(self.answers)
            assert (instance.revealed_at is not None) == self.revealed
            assert self.reveal_count <= 1
            rounds = db.session.execute(
                sa.select(Reflection.listener_id, Reflection.round, Reflection.response).order_by(Reflection.id)
            ).all()
        by_listener: dict[int, list] = {}
        for listener, number, response in rounds:
            by_listener.setdefault(listener, []).append((number, response))
        for listener_rounds in by_listener.values():
            assert [n for n, _ in listener_rounds] == list(range(1, len(listener_rounds) + 1))
            # Only the newest round may await a response, and nothing follows "heard".
            assert all(r is not None for _, r in listener_rounds[:-1])
            assert all(r == "partly" for _, r in listener_rounds[:-1])
        if rounds:
            assert self.revealed


@pytest.mark.slow
def test_loop_state_machine(app):
    LoopMachine.app = app
    state_test = LoopMachine.TestCase
    state_test.settings = settings(
        max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
    )
    state_test().runTest()
