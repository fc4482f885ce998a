"""The first run: each person chooses their pace privately; the safety answer is theirs alone."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from extensions import db
from models import Couple, Intake, Membership, User
from services.therapist import links
from tests.crawl import crawl
from tests.helpers import logged_in, page_text

# The words only a person who said "no" or "not sure" ever sees: the crawl's canary.
SAFETY_NOTE = "Thank you for telling us. Only you can see this page"


def versions(app, pair):
    with app.app_context():
        couple = db.session.scalar(sa.select(Couple.version).where(Couple.id == pair.couple_id))
        mine = dict(db.session.execute(sa.select(Membership.user_id, Membership.version)).all())
        return couple, mine


def tokenless(response) -> str:
    """A page without its per-request CSRF tokens, to compare two renderings of it."""
    return re.sub(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"', r"\1", page_text(response))


def answer_intake(client, *, depth="1", safe="no", reasons=("betrayal",), therapist="no"):
    first = client.post("/start/pace", data={"max_depth": depth})
    assert first.status_code == 302 and first.location.endswith("/start/about")
    return client.post("/start/about", data={"reasons": list(reasons), "sees_therapist": therapist, "feels_safe": safe})


def test_the_first_run_defaults_to_light_and_stores_my_answers_for_me(app, factory):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    page = sam.get("/start/pace").get_data(as_text=True)
    assert '<input checked id="max_depth-1"' in page and "checked" not in page.split('id="max_depth-2"')[0][-40:]
    done = answer_intake(sam, depth="2", safe="yes", reasons=("distance", "other"))
    assert done.status_code == 302 and done.location.endswith(
        "/start/time-zone"
    )  # then the set-up steps (test_first_run.py)
    with app.app_context():
        intake = db.session.get(Intake, pair.b.id)
        assert (intake.reasons, intake.sees_therapist, intake.feels_safe) == (["distance", "other"], "no", "yes")
        assert db.session.get(User, pair.b.id).max_depth == 2
    assert "Choose your pace" not in page_text(sam.get("/today"))
    assert "Choose your pace" in page_text(logged_in(app, pair.a).get("/today"))


def test_every_question_but_depth_may_be_left(app, factory):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    sam.post("/start/pace", data={"max_depth": "1"})
    assert sam.post("/start/about", data={}).location.endswith("/start/time-zone")
    with app.app_context():
        intake = db.session.get(Intake, pair.b.id)
        assert (intake.reasons, intake.sees_therapist, intake.feels_safe) == ([], None, None)
        assert intake.completed_at is not None


def test_not_feeling_safe_shows_only_that_person_the_safety_page_and_a_quiet_way_out(app, factory):
    pair = factory.pair()
    before = versions(app, pair)
    sam = logged_in(app, pair.b)
    for answer in ("no", "unsure"):
        done = answer_intake(sam, safe=answer)
        assert done.location.endswith("/start/safety")
        note = page_text(sam.get("/start/safety"))
        assert SAFETY_NOTE in note and "Leave quickly" in note and "not the right tool" in note
        assert "/safety" in sam.get("/start/safety").get_data(as_text=True)
    # Nothing the partner's pages depend on moved: only Sam's own version did.
    after = versions(app, pair)
    assert after[0] == before[0] and after[1][pair.a.id] == before[1][pair.a.id]
    assert after[1][pair.b.id] > before[1][pair.b.id]
    # Alex, who answered nothing, is sent on: the page is never theirs to see.
    alex = logged_in(app, pair.a)
    assert alex.get("/start/safety").location.endswith("/today")


def test_the_safety_answer_never_reaches_the_partner_a_therapist_or_the_partners_export(app, factory):
    pair = factory.pair()
    therapist_person = factory.user("Dr Rivera", role="therapist")
    with factory.session():
        code = links.link_code(factory.load(therapist_person))
        link_id = links.link_by_code(factory.load(pair.a), code).id
    sam = logged_in(app, pair.b)
    alex = logged_in(app, pair.a)
    alex_before = tokenless(alex.get("/today"))
    answer_intake(sam, safe="no", reasons=("betrayal", "hard-season"), therapist="yes")
    assert tokenless(alex.get("/today")) == alex_before
    assert SAFETY_NOTE in page_text(sam.get("/start/safety"))
    ids = {"instance": pair.first_prompt_id, "reflection": 1, "token": "x", "more": (link_id, pair.b.id)}

    # A therapist, in every scope the couple could give.
    def consent(person, scope):
        with factory.session():
            links.consent(factory.load(person), link_id, scope)

    for step in ("none", "progress", "conversations", "revoked"):
        if step == "progress":
            consent(pair.a, "progress")
            consent(pair.b, "progress")
        elif step == "conversations":
            consent(pair.a, "conversations")
            consent(pair.b, "conversations")
        elif step == "revoked":
            with factory.session():
                links.revoke(factory.load(pair.b), link_id)
        therapist = logged_in(app, therapist_person)
        crawl(app, therapist, ids, SAFETY_NOTE, participating_ok=True, skip=frozenset({"therapist.end"}))
        for path in (f"/therapist/couples/{link_id}", f"/therapist/couples/{link_id}/export.json", "/therapist/"):
            body = therapist.get(path).get_data(as_text=True)
            assert "feels_safe" not in body and "hard-season" not in body and "betrayal or an affair" not in body

    # The partner (last: their crawl ends the therapist link): every route.
    crawl(app, alex, ids, SAFETY_NOTE, participating_ok=False)
    export = alex.get("/account/export.json")
    assert export.status_code in (200, 302)
    if export.status_code == 200:
        text = export.get_data(as_text=True)
        # Alex's export may hold Alex's own first run (the crawl posted it), never Sam's.
        assert '"feels_safe": "no"' not in text and "hard-season" not in text and "betrayal" not in text


def test_my_own_export_holds_my_intake(app, factory):
    from tests.helpers import PASSWORD

    pair = factory.pair()
    sam = logged_in(app, pair.b)
    answer_intake(sam, safe="unsure")
    sam.post("/account/confirm", data={"password": PASSWORD})
    response = sam.get("/account/export.json")
    if response.status_code != 200:  # a fresh login is asked first
        sam.post(response.location, data={"password": PASSWORD})
        response = sam.get("/account/export.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["intake"]["feels_safe"] == "unsure" and data["intake"]["reasons"] == ["betrayal"]
