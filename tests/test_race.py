"""Both partners submitting at the same instant (SECURITY.md RACE): revealed exactly once, nothing lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from database import writing
from extensions import db
from models import Answer, PromptInstance, User
from services.conversation import conversation
from tests.helpers import bulk_pairs

COUPLES = 200
WAVE = 20  # couples released together: 40 threads, one database connection each


@pytest.mark.slow
def test_two_hundred_couples_answering_at_the_same_instant(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2 * WAVE + 2, "max_overflow": 0, "hide_parameters": True})
    pairs = bulk_pairs(app, COUPLES, prefix="race")
    outcomes: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(person_id: int, instance_id: int, barrier: threading.Barrier):
        try:
            with app.test_request_context(), writing():
                user = None
                barrier.wait(timeout=60)
                user = db.session.get(User, person_id)
                outcome = conversation.submit_answer(user, instance_id, f"answer of {person_id} 💬")
                db.session.commit()
                with lock:
                    outcomes.append((instance_id, outcome.revealed_now))
        except BaseException as error:  # collected and asserted below
            with lock:
                errors.append(error)

    for start in range(0, COUPLES, WAVE):
        wave = pairs[start : start + WAVE]
        barrier = threading.Barrier(2 * len(wave))
        with ThreadPoolExecutor(max_workers=2 * len(wave)) as pool:
            for pair in wave:
                pool.submit(submit, pair.a.id, pair.first_prompt_id, barrier)
                pool.submit(submit, pair.b.id, pair.first_prompt_id, barrier)

    assert not errors, errors[:3]
    assert len(outcomes) == 2 * COUPLES
    reveals = {}
    for instance_id, revealed in outcomes:
        reveals[instance_id] = reveals.get(instance_id, 0) + revealed
    assert set(reveals.values()) == {1}, "every prompt revealed by exactly one of the two submissions"
    with app.app_context():
        ids = [p.first_prompt_id for p in pairs]
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(PromptInstance)
                .where(PromptInstance.id.in_(ids), PromptInstance.revealed_at.is_not(None))
            )
            == COUPLES
        )
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.instance_id.in_(ids)))
            == 2 * COUPLES
        )
