"""The leak crawl for repair work: a canary in the speaker's unsent first step (and the topic sealed with it), in a
commitment's text and in an "I did this" line; every route, as the other partner before sending, a stranger,
another couple, an anonymous visitor, and a therapist in each scope."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from extensions import db
from models import Invite
from services.repair import commitments, conversations
from services.therapist import links
from tests.crawl import crawl
from tests.helpers import logged_in

# Ending the walk's own objects (closing the conversation, ending the therapist link) would empty the test.
SKIP = frozenset({"repair.close", "therapist.end", "api.close_repair"})


def _therapist(factory, pair, scope):
    therapist = factory.user("Dr Lee", role="therapist")
    return therapist, factory.therapist_link(pair, therapist, scope)


def _ids(app, *ints):
    with app.app_context():
        token = db.session.scalar(sa.select(Invite.token)) or "x"
    first, second = (list(ints) + [1, 1])[:2]
    return {"instance": first, "reflection": second, "token": token}


def _outsiders(factory) -> list:
    """A stranger, and both partners of another couple."""
    stranger, other = factory.user("Stranger"), factory.pair()
    return [stranger, other.a, other.b]


def _crawl_as_outsiders(app, outsiders, ids, canary) -> None:
    """Each outsider, and a browser not logged in, crawls every page and API route: the canary is nowhere."""
    for person in outsiders:
        crawl(app, logged_in(app, person), ids, canary, participating_ok=True, skip=SKIP)
    crawl(app, app.test_client(), ids, canary, participating_ok=True, skip=SKIP)


@pytest.fixture
def unsent(factory, app):
    """A asks with a sealed topic, B accepts, A drafts step 1 with the canary and has not sent it."""
    pair = factory.pair()
    canary = f"CANARY-{uuid.uuid4().hex}"
    with factory.session():
        cid = conversations.ask(factory.load(pair.a), topic=f"topic {canary}").id
    with factory.session():
        conversations.accept(factory.load(pair.b), cid)
    with factory.session():
        conversations.save_draft(factory.load(pair.a), cid, f"My unsent words {canary}")
    return pair, cid, canary


def test_unsent_first_step_reaches_nobody(app, factory, unsent):
    pair, cid, canary = unsent
    outsiders = _outsiders(factory)
    ids = _ids(app, cid, cid)
    crawled = crawl(app, logged_in(app, pair.b), ids, canary, participating_ok=False, skip=SKIP)
    assert any(path == f"/repair/{cid}" for _, path, _ in crawled)
    _crawl_as_outsiders(app, outsiders, ids, canary)
    # The speaker still has it: the crawl didn't pass for want of a draft.
    assert canary in logged_in(app, pair.a).get(f"/repair/{cid}").get_data(as_text=True)


@pytest.mark.parametrize("scope", ["progress", "conversations"])
def test_unsent_first_step_never_reaches_a_therapist(app, factory, unsent, scope):
    pair, cid, canary = unsent
    therapist, link_id = _therapist(factory, pair, scope)
    client = logged_in(app, therapist)
    assert client.get(f"/therapist/couples/{link_id}/repair").status_code == 200
    crawl(app, client, _ids(app, cid, link_id), canary, participating_ok=True, skip=SKIP)


@pytest.fixture
def committed_words(factory):
    """B made a commitment and said "I did this" with a line; both carry the canary."""
    pair = factory.pair()
    canary = f"CANARY-{uuid.uuid4().hex}"
    with factory.session():
        kid = commitments.make(factory.load(pair.b), f"I will text first {canary}").id
    with factory.session():
        commitments.add_moment(factory.load(pair.b), kid, "did", note=f"Texted {canary}")
    return pair, kid, canary


def test_commitment_words_reach_no_outsider(app, factory, committed_words):
    pair, kid, canary = committed_words
    outsiders = _outsiders(factory)
    _crawl_as_outsiders(app, outsiders, _ids(app, kid, kid), canary)
    # Both partners see it.
    assert canary in logged_in(app, pair.a).get(f"/repair/commitments/{kid}").get_data(as_text=True)


def test_commitment_words_only_within_the_conversations_scope(app, factory, committed_words):
    pair, kid, canary = committed_words
    therapist, link_id = _therapist(factory, pair, "progress")
    client = logged_in(app, therapist)
    crawl(app, client, _ids(app, kid, link_id), canary, participating_ok=True, skip=SKIP)
    with factory.session():
        for person in (pair.a, pair.b):
            links.consent(factory.load(person), link_id, "conversations")
    assert canary in client.get(f"/therapist/couples/{link_id}/repair").get_data(as_text=True)
