"""Both partners acting on a repair conversation at the same instant leave one consistent state (SQLite and PostgreSQL).

Every write locks the conversation row (FOR UPDATE; BEGIN IMMEDIATE on SQLite), so racing calls are applied
one after the other: the second sees the first's result and is refused kindly or changes nothing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from database import writing
from extensions import db
from models import Commitment, RepairConversation, RepairTurn, User
from services.common.errors import ServiceError
from services.repair import conversations

ROUNDS = 8


def race(app, calls):
    """Run (person_id, fn, args) calls at the same instant, each in its own request and transaction."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, person_id, fn, args):
        with app.test_request_context(), writing():
            barrier.wait(timeout=30)
            try:
                fn(db.session.get(User, person_id), *args)
                db.session.commit()
                outcomes[index] = "ok"
            except ServiceError as error:
                db.session.rollback()
                outcomes[index] = type(error).__name__
            except BaseException as error:  # reported by the assertion below
                db.session.rollback()
                outcomes[index] = error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        for index, (person_id, fn, args) in enumerate(calls):
            pool.submit(run, index, person_id, fn, args)
    assert all(isinstance(o, str) for o in outcomes), outcomes
    return outcomes


def _conversation(app, conversation_id):
    with app.app_context():
        c = db.session.get(RepairConversation, conversation_id)
        turns = db.session.scalars(
            sa.select(RepairTurn).where(RepairTurn.conversation_id == conversation_id).order_by(RepairTurn.id)
        ).all()
        return c.state, c.step, [(t.step, t.round, t.choice) for t in turns]


@pytest.fixture
def engine_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0})


@pytest.fixture
def pairs(engine_app, factory):
    """ROUNDS new couples, one at a time, made on the app whose pool the racing threads share."""
    factory.app = engine_app
    return (factory.pair() for _ in range(ROUNDS))


def test_two_asks_at_once_make_one_conversation(engine_app, pairs):
    for pair in pairs:
        outcomes = race(engine_app, [(pair.a.id, conversations.ask, ()), (pair.b.id, conversations.ask, ())])
        assert sorted(outcomes) == ["Conflict", "ok"]
        with engine_app.app_context():
            count = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RepairConversation)
                .where(RepairConversation.couple_id == pair.couple_id)
            )
        assert count == 1


def _asked(factory, pair):
    with factory.session():
        return conversations.ask(factory.load(pair.a)).id


def test_two_accepts_at_once_open_it_once(engine_app, factory, pairs):
    for pair in pairs:
        cid = _asked(factory, pair)
        outcomes = race(
            engine_app, [(pair.b.id, conversations.accept, (cid,)), (pair.b.id, conversations.accept, (cid,))]
        )
        assert outcomes == ["ok", "ok"]  # the second yes changes nothing
        assert _conversation(engine_app, cid)[:2] == ("open", 1)


def test_accept_racing_a_withdrawal(engine_app, factory, pairs):
    for pair in pairs:
        cid = _asked(factory, pair)
        outcomes = race(
            engine_app, [(pair.b.id, conversations.accept, (cid,)), (pair.a.id, conversations.close, (cid,))]
        )
        state = _conversation(engine_app, cid)[0]
        # Either the withdrawal came first (accept refused) or the yes did (and the close then closed it).
        assert state == "ended"
        assert outcomes[1] == "ok" and outcomes[0] in ("ok", "Conflict")


def _at_step_three(factory, pair):
    cid = _asked(factory, pair)
    with factory.session():
        conversations.accept(factory.load(pair.b), cid)
    with factory.session():
        conversations.send_first(factory.load(pair.a), cid, "what happened")
    with factory.session():
        conversations.reflect(factory.load(pair.b), cid, "what I heard")
    return cid


def test_feeling_heard_racing_a_new_reflection(engine_app, factory, pairs):
    for pair in pairs:
        cid = _at_step_three(factory, pair)
        outcomes = race(
            engine_app,
            [
                (pair.a.id, conversations.respond, (cid, "heard")),
                (pair.b.id, conversations.reflect, (cid, "another try")),
            ],
        )
        assert outcomes == ["ok", "Conflict"]
        state, step, turns = _conversation(engine_app, cid)
        assert (state, step) == ("open", 4)
        assert turns == [(1, 1, None), (2, 1, None), (3, 1, "heard")]


def test_partly_racing_a_close(engine_app, factory, pairs):
    for pair in pairs:
        cid = _at_step_three(factory, pair)
        outcomes = race(
            engine_app,
            [
                (pair.a.id, conversations.respond, (cid, "partly", "and more")),
                (pair.b.id, conversations.close, (cid,)),
            ],
        )
        state, step, turns = _conversation(engine_app, cid)
        assert state == "ended" and outcomes[1] == "ok"
        if outcomes[0] == "ok":
            assert (step, turns[-1]) == (2, (3, 1, "partly"))
        else:
            assert outcomes[0] == "Conflict" and step == 3 and len(turns) == 2


def test_two_answers_to_the_need_make_one_commitment(engine_app, factory):
    factory.app = engine_app
    pair = factory.pair()
    cid = _at_step_three(factory, pair)
    for person, fn, args in (
        (pair.a, conversations.respond, (cid, "heard")),
        (pair.b, conversations.acknowledge, (cid, "my part")),
        (pair.a, conversations.name_need, (cid, "change")),
    ):
        with factory.session():
            fn(factory.load(person), *args)
    outcomes = race(
        engine_app,
        [
            (pair.b.id, conversations.answer_need, (cid, "commitment", None, "I'll text first")),
            (pair.b.id, conversations.answer_need, (cid, "commitment", None, "I'll text first")),
        ],
    )
    assert sorted(outcomes) == ["Conflict", "ok"]
    with engine_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 1
    assert _conversation(engine_app, cid)[0] == "ended"
