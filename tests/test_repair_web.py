"""Repair conversations and commitments through the pages: the whole walk with two clients, Today, the therapist view."""

from __future__ import annotations

import re

import sqlalchemy as sa

from extensions import db
from models import AccessEntry, Commitment, RepairConversation
from services.checkins import checkins
from services.repair import commitments
from services.therapist import links
from tests.crawl import normalised
from tests.helpers import logged_in, page_text


def _conversation_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(RepairConversation.id).order_by(RepairConversation.id.desc()))


def test_the_whole_walk_through_the_pages(app, factory):
    pair = factory.pair()
    a, b = logged_in(app, pair.a), logged_in(app, pair.b)
    assert "Ask for a repair conversation" in page_text(a.get("/repair"))
    assert a.post("/repair", data={"role": "speaker", "topic": "TOPIC-CANARY"}).status_code == 302
    cid = _conversation_id(app)
    url = f"/repair/{cid}"
    today_b = page_text(b.get("/today"))
    assert "has asked for a repair conversation" in today_b and "TOPIC-CANARY" not in today_b
    assert "TOPIC-CANARY" not in page_text(b.get(url))
    assert b.post(f"{url}/not-yet", data={"when": "evening"}).status_code == 302
    assert "suggested this evening" in page_text(a.get(url))
    assert b.post(f"{url}/accept").status_code == 302
    # Step 1: a draft is the speaker's alone.
    assert a.post(f"{url}/first", data={"body": "DRAFT-CANARY", "draft": "1"}).status_code == 302
    assert "DRAFT-CANARY" in page_text(a.get(url))
    for page in (url, "/today", "/repair"):
        assert "DRAFT-CANARY" not in page_text(b.get(page))
    assert "finding the words" in page_text(b.get(url))
    assert a.post(f"{url}/first", data={"body": "I felt alone when you left"}).status_code == 302
    shown = page_text(b.get(url))
    assert "I felt alone when you left" in shown and "TOPIC-CANARY" in shown and "Say what you heard" in shown
    assert b.post(f"{url}/reflect", data={"body": "You felt alone"}).status_code == 302
    assert a.post(f"{url}/respond", data={"response": "partly", "addition": "And scared"}).status_code == 302
    assert b.post(f"{url}/reflect", data={"body": "Alone and scared"}).status_code == 302
    assert a.post(f"{url}/respond", data={"response": "heard"}).status_code == 302
    assert b.post(f"{url}/acknowledge", data={"body": "Leaving hurt you"}).status_code == 302
    assert a.post(f"{url}/need", data={"need": "change", "body": "Tell me first"}).status_code == 302
    response = b.post(f"{url}/answer", data={"answer": "commitment", "commitment": "I'll tell you before I go"})
    assert response.status_code == 302
    assert "You walked through this together" in page_text(a.get(url))
    assert "TOPIC-CANARY" in page_text(b.get("/history"))  # ended conversations are in History
    with app.app_context():
        kid = db.session.scalar(sa.select(Commitment.id))
    assert b.post(f"/repair/commitments/{kid}/moments", data={"note": "Told you at noon"}).status_code == 302
    assert a.post(f"/repair/commitments/{kid}/moments", data={"note": "I saw"}).status_code == 302
    shown = page_text(a.get(f"/repair/commitments/{kid}"))
    assert "Told you at noon" in shown and "I noticed" in shown
    assert not re.search(r"\b(streak|missed|\d+ ?%)", shown, re.I)


def test_refusals_are_shown_not_raised(app, factory):
    pair = factory.pair()
    a, b = logged_in(app, pair.a), logged_in(app, pair.b)
    a.post("/repair", data={"role": "speaker"})
    cid = _conversation_id(app)
    b.post(f"/repair/{cid}/accept")
    response = b.post(f"/repair/{cid}/reflect", data={"body": "too soon"})
    assert response.status_code == 422 and "This conversation has moved on" in page_text(response)
    response = a.post(f"/repair/{cid}/first", data={"body": "   "})
    assert response.status_code == 422 and "can't be empty" in page_text(response)


def test_therapist_sees_repair_work_only_within_scope_and_logged(app, factory):
    pair = factory.pair()
    therapist = factory.user("Dr Lee", role="therapist")
    a, b = logged_in(app, pair.a), logged_in(app, pair.b)
    a.post("/repair", data={"role": "speaker"})
    cid = _conversation_id(app)
    b.post(f"/repair/{cid}/accept")
    a.post(f"/repair/{cid}/first", data={"body": "SENT-WORDS"})
    b.post("/repair/commitments", data={"text": "COMMITMENT-WORDS"})
    with factory.session():
        link = links.link_by_code(factory.load(pair.a), links.link_code(factory.load(therapist)))
        link_id = link.id
    t = logged_in(app, therapist)
    assert t.get(f"/therapist/couples/{link_id}/repair").status_code == 404  # no consent yet
    for person in (pair.a, pair.b):
        with factory.session():
            links.consent(factory.load(person), link_id, "progress")
    shown = page_text(t.get(f"/therapist/couples/{link_id}/repair"))
    assert "A commitment" in shown and "COMMITMENT-WORDS" not in shown and "SENT-WORDS" not in shown
    for person in (pair.a, pair.b):
        with factory.session():
            links.consent(factory.load(person), link_id, "conversations")
    shown = page_text(t.get(f"/therapist/couples/{link_id}/repair"))
    assert "COMMITMENT-WORDS" in shown and "SENT-WORDS" in shown
    with app.app_context():
        kinds = db.session.scalars(sa.select(AccessEntry.kind)).all()
    assert kinds.count("repair") == 2
    assert "Repair conversations and commitments" in page_text(
        a.get("/settings/therapists")
    )  # the couple reads the log
    assert f"/therapist/couples/{link_id}/repair" in page_text(t.get(f"/therapist/couples/{link_id}"))
    # A partner never reaches the therapist page; a therapist never reaches a couple's repair pages (opening
    # one takes them to their dashboard, as every partner page does; anything else is a 404).
    assert a.get(f"/therapist/couples/{link_id}/repair").status_code == 404
    assert t.get(f"/repair/{cid}").location == "/therapist/"
    assert t.post(f"/repair/{cid}/close").status_code == 404


def test_the_check_in_reveal_shows_the_weeks_moments(app, factory):
    pair = factory.pair()
    with factory.session():
        kid = commitments.make(factory.load(pair.b), "Text before I'm late").id
    with factory.session():
        commitments.add_moment(factory.load(pair.b), kid, "did", note="Texted at five")
    a = logged_in(app, pair.a)
    assert "in your commitments" not in page_text(a.get("/checkin"))  # not before the reveal
    values = {"connection": "7", "safety": "6", "feeling": "hopeful", "appreciation": "Tea.", "need": "A walk."}
    for person in (pair.a, pair.b):
        with factory.session():
            checkins.submit(factory.load(person), factory.load(person).active_membership.couple, values)
    shown = page_text(a.get("/checkin"))
    assert "This week, in your commitments" in shown and "Texted at five" in shown and "Sam: I did this" in shown


def test_a_draft_leaves_the_partners_today_page_exactly_as_it_was(make_app, factory):
    app = make_app(TODAY_CACHE_SECONDS=60)
    factory.app = app
    pair = factory.pair()
    a, b = logged_in(app, pair.a), logged_in(app, pair.b)
    a.post("/repair", data={"role": "speaker"})
    cid = _conversation_id(app)
    b.post(f"/repair/{cid}/accept")

    def today(client):
        # Every serve carries a freshly signed CSRF token (its timestamp moves each second), and a render its own
        # form keys: both taken out, what is left is what the partner sees.
        return normalised(re.sub(r'value="[^"]+"', "", client.get("/today").get_data(as_text=True)))

    today(b)  # the flash from saying yes is shown once
    before = today(b)
    assert a.post(f"/repair/{cid}/first", data={"body": "a draft", "draft": "1"}).status_code == 302
    assert a.post(f"/repair/{cid}/first", data={"body": "a longer draft", "draft": "1"}).status_code == 302
    assert today(b) == before
    assert a.post(f"/repair/{cid}/first", data={"body": "sent"}).status_code == 302
    assert today(b) != before  # sending is something the partner may see: the next step is theirs
