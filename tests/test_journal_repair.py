"""From a journal entry about a hurt to a repair conversation (issue 12): the author asks, as the one sharing, and
the entry waits as the sealed draft of step 1. The partner learns only that a repair conversation is asked for;
the entry stays private; one conversation at a time; anyone else gets a 404."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from extensions import db
from models import Invite, JournalEntry, RepairConversation, RepairTurn
from services.common.errors import Conflict, Invalid
from services.journal import journal
from services.journal import repair as journal_repair
from services.repair import conversations
from services.therapist import links
from tests.crawl import crawl
from tests.helpers import logged_in, page_text

# Closing the conversation (or ending the link) would end what the walk is looking at.
SKIP = frozenset({"repair.close", "api.close_repair", "therapist.end"})


def _write(factory, person, body, tag=None) -> int:
    with factory.session():
        return journal.write(factory.load(person), body, tag).id


def _rows(app, model, *where):
    with app.app_context():
        rows = db.session.scalars(sa.select(model).where(*where).order_by(model.id)).all()
        db.session.expunge_all()
        return rows


def test_the_entry_becomes_the_sealed_draft_of_step_one_asked_by_its_author(app, factory):
    pair = factory.pair()
    words = f"When you left the party without me I felt invisible. {uuid.uuid4().hex}"
    entry_id = _write(factory, pair.a, words, "trigger")
    with factory.session():
        conversation = journal_repair.start_repair(factory.load(pair.a), entry_id)
        cid = conversation.id
        assert (conversation.state, conversation.step, conversation.topic) == ("asked", 1, None)
        assert (conversation.asked_by_id, conversation.speaker_id, conversation.listener_id) == (
            pair.a.id,
            pair.a.id,
            pair.b.id,
        )
    [draft] = _rows(app, RepairTurn, RepairTurn.conversation_id == cid)
    assert (draft.step, draft.round, draft.author_id, draft.body, draft.sent_at) == (1, 1, pair.a.id, words, None)
    # The entry is untouched: still private, not shared, not marked.
    [entry] = _rows(app, JournalEntry)
    assert (entry.body, entry.shared_at, entry.therapist_shared_at) == (words, None, None)
    with factory.session():
        theirs = conversations.read(factory.load(pair.b), cid)
        assert (theirs.turns, theirs.topic, theirs.draft) == ([], None, None)
        mine = conversations.read(factory.load(pair.a), cid)
        assert mine.draft.body == words


def test_too_long_for_a_first_step_is_refused_clearly_and_asks_nothing(app, factory):
    pair = factory.pair()
    entry_id = _write(factory, pair.a, "x" * 5001, "trigger")
    with pytest.raises(Invalid) as refused, factory.session():
        journal_repair.start_repair(factory.load(pair.a), entry_id)
    assert "longer than a first step can hold (5,000 characters)" in refused.value.message
    assert _rows(app, RepairConversation) == []


def test_unpaired_the_offer_is_not_made_and_the_service_says_why(app, factory, client, auth):
    alone = factory.user("Robin")
    entry_id = _write(factory, alone, "Something hurt.", "trigger")
    auth.login_as(alone)
    assert "Start a repair conversation with this" not in page_text(client.get(f"/journal/{entry_id}"))
    with pytest.raises(Conflict), factory.session():
        journal_repair.start_repair(factory.load(alone), entry_id)


def test_the_offer_is_up_front_for_a_hurt_and_folded_for_other_entries(app, factory):
    pair = factory.pair()
    hurt = _write(factory, pair.a, "The car park brought it back.", "trigger")
    vulnerable = _write(factory, pair.a, "I wanted to say I was scared.", "vulnerable")
    care = _write(factory, pair.a, "You made tea.", "care")
    untagged = _write(factory, pair.a, "Just a note.")
    alex = logged_in(app, pair.a)
    for entry_id in (hurt, vulnerable):
        html = alex.get(f"/journal/{entry_id}").get_data(as_text=True)
        assert "Start a repair conversation with this" in html and "Is this about a hurt between you?" not in html
    for entry_id in (care, untagged):
        html = alex.get(f"/journal/{entry_id}").get_data(as_text=True)
        # Still possible whenever the author chooses: inside the folded question.
        folded = html.split("<summary>Is this about a hurt between you?</summary>", 1)
        assert len(folded) == 2 and "Start a repair conversation with this" in folded[1].split("</details>")[0]
    # Any entry can start one: the care entry does.
    response = alex.post(f"/journal/{care}/repair")
    assert response.status_code == 302 and response.headers["Location"].startswith("/repair/")


def test_from_the_entry_page_to_a_sent_first_step_and_the_partner_sees_only_what_is_sent(app, factory):
    pair = factory.pair()
    secret = f"ENTRY-{uuid.uuid4().hex}"
    entry_id = _write(factory, pair.a, f"I froze when you laughed at my plan. {secret}", "vulnerable")
    alex, sam = logged_in(app, pair.a), logged_in(app, pair.b)
    assert "Start a repair conversation with this" in page_text(alex.get(f"/journal/{entry_id}"))

    response = alex.post(f"/journal/{entry_id}/repair")
    assert response.status_code == 302
    [conversation] = _rows(app, RepairConversation)
    assert response.headers["Location"] == f"/repair/{conversation.id}"
    page = page_text(alex.get(f"/repair/{conversation.id}"))
    assert "Your entry waits as the draft of your first step" in page
    assert "Your first step, kept as a draft" in page and secret in page

    # Sam hears only that Alex would like a repair conversation.
    for path in (f"/repair/{conversation.id}", "/repair", "/today", f"/api/v1/repair/{conversation.id}"):
        body = sam.get(path).get_data(as_text=True)
        assert secret not in body and "froze" not in body, path
    assert "There's something that hurt Alex" in page_text(sam.get(f"/repair/{conversation.id}"))

    # Sam is ready: Alex's step-1 form holds the entry's words, still Alex's alone.
    assert sam.post(f"/repair/{conversation.id}/accept").status_code == 302
    form = alex.get(f"/repair/{conversation.id}").get_data(as_text=True)
    assert secret in form and 'name="body"' in form
    assert secret not in sam.get(f"/repair/{conversation.id}").get_data(as_text=True)

    # Alex changes the words and sends them: Sam reads what was sent, never the entry.
    sent = "I felt small when you laughed at my plan, and I went quiet."
    assert alex.post(f"/repair/{conversation.id}/first", data={"body": sent}).status_code == 302
    page = sam.get(f"/repair/{conversation.id}").get_data(as_text=True)
    assert "I felt small when you laughed" in page and secret not in page
    assert sam.get(f"/journal/shared/{entry_id}").status_code == 404
    assert "froze" not in sam.get("/journal/shared").get_data(as_text=True)
    # The entry is still Alex's, unchanged.
    assert secret in alex.get(f"/journal/{entry_id}").get_data(as_text=True)


def test_a_second_start_is_refused_kindly_and_points_to_the_one_there_is(app, factory):
    pair = factory.pair()
    first = _write(factory, pair.a, "The first hurt.", "trigger")
    second = _write(factory, pair.a, "Another hurt.", "trigger")
    alex = logged_in(app, pair.a)
    cid = int(alex.post(f"/journal/{first}/repair").headers["Location"].rsplit("/", 1)[1])

    response = alex.post(f"/journal/{second}/repair")
    assert response.status_code == 302 and response.headers["Location"] == f"/repair/{cid}"
    assert journal_repair.ALREADY in page_text(alex.get(response.headers["Location"]))
    assert len(_rows(app, RepairConversation)) == 1
    [draft] = _rows(app, RepairTurn)
    assert draft.body == "The first hurt."  # the live conversation's draft is left as it was
    with pytest.raises(journal_repair.AlreadyLive) as refused, factory.session():
        journal_repair.start_repair(factory.load(pair.a), second)
    assert refused.value.conversation_id == cid
    # The entry's page says so, with a link instead of the button.
    page = alex.get(f"/journal/{second}").get_data(as_text=True)
    assert "There's a repair conversation between you already." in page
    assert f'href="/repair/{cid}"' in page and "Start a repair conversation with this" not in page


def test_a_conversation_the_partner_asked_for_counts_too(app, factory):
    pair = factory.pair()
    with factory.session():
        cid = conversations.ask(factory.load(pair.b), role="listener").id
    entry_id = _write(factory, pair.a, "It still stings.", "trigger")
    alex = logged_in(app, pair.a)
    assert f'href="/repair/{cid}"' in alex.get(f"/journal/{entry_id}").get_data(as_text=True)
    assert alex.post(f"/journal/{entry_id}/repair").headers["Location"] == f"/repair/{cid}"
    assert _rows(app, RepairTurn) == []
    # Once it has ended, the entry can start a new one.
    with factory.session():
        conversations.close(factory.load(pair.a), cid)
    assert alex.post(f"/journal/{entry_id}/repair").headers["Location"] != f"/repair/{cid}"
    assert len(_rows(app, RepairConversation)) == 2


def test_nobody_else_can_start_one_from_an_entry(app, factory):
    pair = factory.pair()
    other = factory.pair()
    stranger = factory.user("Stranger")
    entry_id = _write(factory, pair.a, "Mine alone.", "trigger")
    for person in (pair.b, other.a, stranger):
        assert logged_in(app, person).post(f"/journal/{entry_id}/repair").status_code == 404
    assert app.test_client().post(f"/journal/{entry_id}/repair").status_code in (302, 401)
    assert _rows(app, RepairConversation) == []
    # Shared with the partner, it is still not theirs to start from.
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entry_id)
    assert logged_in(app, pair.b).post(f"/journal/{entry_id}/repair").status_code == 404
    assert _rows(app, RepairConversation) == []


def test_the_draft_from_an_entry_reaches_nobody_before_it_is_sent(app, factory):
    """The crawl: every route as the partner (asked, then open), another couple, a stranger and a therapist."""
    pair = factory.pair()
    other = factory.pair()
    stranger = factory.user("Stranger")
    therapist = factory.user("Dr Lee", role="therapist")
    canary = f"JREPAIR-{uuid.uuid4().hex}"
    entry_id = _write(factory, pair.a, f"From my journal {canary}", "trigger")
    with factory.session():
        link_id = links.link_by_code(factory.load(pair.a), links.link_code(factory.load(therapist))).id
        for person in (pair.a, pair.b):
            links.consent(factory.load(person), link_id, "conversations")
    with factory.session():
        cid = journal_repair.start_repair(factory.load(pair.a), entry_id).id
    with app.app_context():
        token = db.session.scalar(sa.select(Invite.token)) or "x"
    ids = {"instance": cid, "reflection": entry_id, "token": token, "more": (link_id, pair.first_prompt_id)}
    sam = logged_in(app, pair.b)
    crawl(app, sam, ids, canary, participating_ok=True, skip=SKIP | {"settings.revoke", "settings.end_link"})
    with factory.session():
        conversation = db.session.get(RepairConversation, cid)
        if conversation.state == "asked":  # the walk may have said yes already
            conversations.accept(factory.load(pair.b), cid)
    crawl(app, sam, ids, canary, participating_ok=True, skip=SKIP | {"settings.revoke", "settings.end_link"})
    for person in (other.a, stranger, therapist):
        crawl(app, logged_in(app, person), ids, canary, participating_ok=True, skip=SKIP)
    assert canary not in sam.get("/account/export.json").get_data(as_text=True)
    doctor = logged_in(app, therapist)
    assert canary not in doctor.get(f"/therapist/couples/{link_id}/export.json").get_data(as_text=True)
    # Still sealed, and still Alex's to send.
    [draft] = _rows(app, RepairTurn, RepairTurn.conversation_id == cid)
    assert draft.sent_at is None and canary in draft.body
