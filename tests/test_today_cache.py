"""The cached Today page is never stale: every change either partner could see moves the couple's version on."""

from __future__ import annotations

from datetime import UTC

import pytest

from services.conversation import conversation
from services.couples import pairing
from services.delivery import delivery
from tests.helpers import PASSWORD, page_text


@pytest.fixture
def app(make_app):
    return make_app(TODAY_CACHE_SECONDS=3600)


def _phone(app, person):
    client = app.test_client()
    client.post("/login", data={"email": person.email, "password": PASSWORD})
    client.get("/today")  # drain the welcome flash so later pages come from the cache
    return client


def test_partner_answer_shows_at_once(app, factory):
    pair = factory.pair()
    sam = _phone(app, pair.b)
    before = page_text(sam.get("/today"))
    assert "has answered \u2014 your turn" not in before
    assert page_text(sam.get("/today")) == before  # served from the cache
    factory.answer(pair.a, pair.first_prompt_id, "mine")
    assert "Alex has answered \u2014 your turn." in page_text(sam.get("/today"))


def test_reveal_reflection_and_completion_show_at_once(app, factory):
    pair = factory.pair()
    alex = _phone(app, pair.a)
    factory.answer(pair.a, pair.first_prompt_id, "mine")
    assert "hasn't answered yet" in page_text(alex.get("/today"))
    factory.answer(pair.b, pair.first_prompt_id, "theirs")
    page = page_text(alex.get("/today"))
    assert "ready to reflect" in page
    with factory.session():
        conversation.close(factory.load(pair.a), pair.first_prompt_id)
    with factory.session():
        conversation.close(factory.load(pair.b), pair.first_prompt_id)
    assert "ready to reflect" not in page_text(alex.get("/today"))


def test_new_prompt_and_unpairing_show_at_once(app, factory):
    from datetime import datetime, timedelta

    from extensions import db
    from models import Couple

    pair = factory.pair()
    alex = _phone(app, pair.a)
    before = page_text(alex.get("/today"))
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        marker = f'id="prompt-{delivery.deliver(couple, datetime.now(UTC) + timedelta(days=1)).id}-title"'
    assert marker not in before
    assert marker in page_text(alex.get("/today"))
    with factory.session():
        pairing.leave(factory.load(pair.b))
    assert "Pair with your partner" in page_text(alex.get("/today"))


def test_pages_are_never_shared_between_people(app, factory):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "ALEX-PRIVATE-WORDS")
    alex, sam = _phone(app, pair.a), _phone(app, pair.b)
    assert "ALEX-PRIVATE-WORDS" in alex.get("/today").get_data(as_text=True)
    assert "ALEX-PRIVATE-WORDS" not in sam.get("/today").get_data(as_text=True)


def test_each_serve_carries_a_working_csrf_token(make_app, factory):
    app = make_app(TODAY_CACHE_SECONDS=3600, WTF_CSRF_ENABLED=True)
    pair = factory.pair()
    client = app.test_client()
    from tests.helpers import csrf_token

    client.post(
        "/login",
        data={
            "email": pair.a.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
        },
    )
    client.get("/today")
    client.get("/today")
    token = csrf_token(client.get("/today").get_data(as_text=True))
    response = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "hello", "csrf_token": token})
    assert response.status_code == 302


def test_a_sealed_edit_leaves_the_partners_cached_page_as_it_was(app, factory):
    """Editing a sealed answer must not move the partner's cache (SECURITY.md TIMING): a re-render, even one
    with identical bytes, would be measurably slower, and so would tell the partner *when* the edit happened."""
    pair = factory.pair()
    factory.answer(pair.b, pair.first_prompt_id, "Sam's first words")
    alex = _phone(app, pair.a)
    sam = _phone(app, pair.b)
    alex.get("/today")
    pages = app.extensions["attune.today_pages"]
    rendered = []
    original = pages.put
    pages.put = lambda key, page: (rendered.append(key[0]), original(key, page))
    factory.answer(pair.b, pair.first_prompt_id, "Sam's second thoughts")
    alex.get("/today")
    assert pair.a.id not in rendered  # served from the same cache entry
    assert "second thoughts" in page_text(sam.get("/today"))  # the editor sees their own edit at once
    assert pair.b.id in rendered


@pytest.mark.parametrize(
    "path, data",
    [
        ("/settings/timezone", {"timezone": "Europe/Paris"}),  # Today's own "use my phone's time zone"
        ("/settings/notifications", {"part": "quiet", "timezone": "Europe/Paris"}),
    ],
)
def test_my_new_time_zone_shows_at_once(app, factory, path, data):
    """Today shows times in my zone, and its script offers the phone's zone when it differs from the page's: a
    page cached before the change would offer it again after I had taken it."""
    pair = factory.pair()
    alex = _phone(app, pair.a)
    assert 'data-timezone-check="UTC"' in page_text(alex.get("/today"))
    assert alex.post(path, data=data).status_code == 302
    alex.get("/today")  # the page with the "saved" message is never cached
    assert 'data-timezone-check="Europe/Paris"' in page_text(alex.get("/today"))
