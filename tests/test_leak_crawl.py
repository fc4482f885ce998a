"""Sealed until both (SECURITY.md SEAL): crawl every route as the partner and as a stranger.

A unique canary is planted in partner B's answer, and another in B's weekly
check-in. Before the reveal, no route (HTML or JSON, any method, any
sensible path argument) may show either to partner A or to a stranger.
After the reveal A sees the answer, the stranger still not.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from extensions import db
from models import Couple, Invite, Reflection
from services.checkins import checkins
from tests.crawl import crawl
from tests.helpers import logged_in


@pytest.fixture
def planted(factory, app):
    pair = factory.pair()
    stranger = factory.user("Stranger")
    other_pair = factory.pair()  # the stranger may also be paired elsewhere
    canary = f"CANARY-{uuid.uuid4().hex}"
    factory.answer(pair.b, pair.first_prompt_id, f"My sealed words {canary} stay mine")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.checkin_day = datetime.now(UTC).weekday()  # the check-in is open today
        checkins.submit(
            factory.load(pair.b),
            couple,
            {"connection": 7, "safety": 6, "feeling": "hopeful", "appreciation": f"Thanks {canary}", "need": "time"},
        )
    with app.app_context():
        token = db.session.scalar(sa.select(Invite.token))
    return pair, stranger, other_pair, canary, {"instance": pair.first_prompt_id, "reflection": 1, "token": token}


def test_sealed_answer_never_reaches_partner_or_stranger(app, planted, factory):
    pair, stranger, other_pair, canary, ids = planted
    partner = logged_in(app, pair.a)
    outsider = logged_in(app, stranger)
    other_couple = logged_in(app, other_pair.a)
    anonymous = app.test_client()
    crawled = crawl(app, partner, ids, canary, participating_ok=False)
    assert len(crawled) > 100
    for client in (outsider, other_couple, anonymous):
        crawl(app, client, ids, canary, participating_ok=True)

    # The partner learns only that B answered: nothing about length or timing.
    payload = partner.get(f"/api/v1/prompts/{pair.first_prompt_id}").get_json()
    assert payload["partner_answered"] is True and payload["partner_answer"] is None
    sealed_length = len(f"My sealed words {canary} stay mine")

    def values(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert not any(word in key for word in ("length", "size", "count", "preview", "edited", "updated")), key
                yield from values(value)
        elif isinstance(node, list):
            for item in node:
                yield from values(item)
        else:
            yield node

    assert sealed_length not in [v for v in values(payload) if isinstance(v, int) and not isinstance(v, bool)]

    # Now A answers for real: the prompt is revealed, and A (only A) may read B's words.
    assert partner.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "Mine"}).status_code == 302
    assert canary in partner.get(f"/prompts/{pair.first_prompt_id}").get_data(as_text=True)
    assert canary in partner.get(f"/api/v1/prompts/{pair.first_prompt_id}").get_data(as_text=True)
    # History lists the conversation (prompt, date, theme); its words are on the conversation page above.
    assert f'href="/prompts/{pair.first_prompt_id}"' in partner.get("/history").get_data(as_text=True)
    with app.app_context():
        db.session.add(
            Reflection(instance_id=pair.first_prompt_id, listener_id=pair.a.id, speaker_id=pair.b.id, round=1, body="r")
        )
        db.session.commit()
        ids["reflection"] = db.session.scalar(sa.select(Reflection.id))
    for client in (outsider, other_couple, anonymous):
        crawl(app, client, ids, canary, participating_ok=True)
