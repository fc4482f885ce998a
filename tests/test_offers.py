"""A therapist's deeper assignment is offered to both partners, each accepting privately.

It is delivered only once both have said they're ready (or once the
couple's pace reaches it). A "not now" is never shown to the partner or the
therapist as who declined: the partner's pages are byte-identical whatever
the other answered, and the therapist sees only "waiting" or "delivered".
Run on SQLite and PostgreSQL, including both partners accepting at once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from database import writing
from extensions import db
from models import Assignment, AssignmentAnswer, Couple, Prompt, PromptInstance, User
from services.common.errors import NotFound
from services.delivery import delivery
from services.therapist import offers
from tests.crawl import snapshot
from tests.helpers import logged_in, page_text

NOW = datetime(2031, 5, 1, 9, tzinfo=UTC)
OFFER = "Your therapist suggested a deeper prompt"


def _setup(app, factory):
    """A couple (both chose Deep, the ramp still light) whose consented therapist assigned a deep prompt."""
    pair = factory.pair()
    therapist = factory.user("Dr Rivera", role="therapist")
    link_id = factory.therapist_link(pair, therapist, "progress")
    with app.app_context():
        deep = db.session.scalar(sa.select(Prompt).where(Prompt.depth == 3, Prompt.retired.is_(False)).limit(1))
        deep_id, deep_text = deep.id, deep.text
    client = logged_in(app, therapist)
    assert client.post(f"/therapist/couples/{link_id}/assignments", data={"prompt_id": deep_id}).status_code == 302
    with app.app_context():
        assignment_id = db.session.scalar(sa.select(Assignment.id).where(Assignment.link_id == link_id))
    # The welcome prompt out of the way, so the pile-up rule never holds a slot here.
    factory.reveal(pair)
    return pair, therapist, link_id, assignment_id, deep_text


def _answer(factory, person, assignment_id, ready):
    with factory.session():
        offers.answer(factory.load(person), assignment_id, ready)


def _deliver(factory, pair, at):
    with factory.session():
        instance = delivery.deliver(db.session.get(Couple, pair.couple_id), at)
        source, depth = instance.source, instance.depth
        instance.revealed_at = instance.completed_at = at  # out of the way of the next slot
        return source, depth


def test_both_partners_are_offered_it_and_it_comes_only_once_both_are_ready(app, factory):
    pair, _, _, assignment_id, text = _setup(app, factory)
    for person in (pair.a, pair.b):
        page = page_text(logged_in(app, person).get("/today"))
        assert OFFER in page and text in page
    _answer(factory, pair.b, assignment_id, True)
    assert _deliver(factory, pair, NOW) == ("library", 1)  # one of two is not enough
    _answer(factory, pair.a, assignment_id, False)
    assert _deliver(factory, pair, NOW + timedelta(days=1)) == ("library", 1)  # nor a yes and a "not now"
    _answer(factory, pair.a, assignment_id, True)  # changed their mind
    assert _deliver(factory, pair, NOW + timedelta(days=2)) == ("therapist", 3)
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).instance_id is not None
    assert _deliver(factory, pair, NOW + timedelta(days=3))[0] == "library"  # delivered once
    assert OFFER not in page_text(logged_in(app, pair.a).get("/today"))
    with pytest.raises(NotFound), factory.session():
        offers.answer(factory.load(pair.b), assignment_id, False)  # too late to change: it came


def test_the_form_answers_privately_and_can_be_changed(app, factory):
    pair, _, _, assignment_id, _ = _setup(app, factory)
    sam = logged_in(app, pair.b)
    assert sam.post(f"/offers/{assignment_id}", data={"ready": "maybe"}).status_code == 400
    assert sam.post(f"/offers/{assignment_id}", data={"ready": "no"}).status_code == 302
    assert "Not now, for you" in page_text(sam.get("/today"))
    assert sam.post(f"/offers/{assignment_id}", data={"ready": "yes"}).status_code == 302
    assert "You said you're ready" in page_text(sam.get("/today"))
    with app.app_context():
        assert db.session.get(AssignmentAnswer, (assignment_id, pair.b.id)).ready is True
    # My answer is in my own export, and in no one else's.
    assert sam.get("/account/export.json").get_json()["suggestion_answers"][0]["ready"] is True
    assert "suggestion_answers" not in logged_in(app, pair.a).get("/account/export.json").get_json()
    # Someone else's couple's suggestion is nobody's to answer.
    stranger = factory.pair(factory.user("Kim"), factory.user("Lee"))
    response = logged_in(app, stranger.a).post(f"/offers/{assignment_id}", data={"ready": "yes"}, follow_redirects=True)
    assert "already come, or your therapist took it back" in page_text(response)
    with app.app_context():
        assert db.session.get(AssignmentAnswer, (assignment_id, stranger.a.id)) is None


@pytest.mark.parametrize("answer", [True, False])
def test_neither_the_partner_nor_the_therapist_can_tell_how_the_other_answered(app, factory, answer):
    pair, therapist, link_id, assignment_id, _ = _setup(app, factory)
    with time_machine.travel(NOW, tick=False):
        alex, doctor = logged_in(app, pair.a), logged_in(app, therapist)
        ids = {"instance": pair.first_prompt_id, "reflection": 1, "token": "x", "more": (assignment_id, link_id)}
        # The therapist's read first: each read is in the couple's access log, which the partner's export holds.
        therapist_before = page_text(doctor.get(f"/therapist/couples/{link_id}"))
        before = snapshot(app, alex, ids)
        _answer(factory, pair.b, assignment_id, answer)
        after = snapshot(app, alex, ids)
        therapist_after = page_text(doctor.get(f"/therapist/couples/{link_id}"))
    for path in before:
        assert after[path] == before[path], path
    assert therapist_after == therapist_before
    assert "Waiting: it goes deeper than the couple's pace" in therapist_after
    export = doctor.get(f"/therapist/couples/{link_id}/export.json").get_data(as_text=True)
    assert "ready" not in export and "not now" not in export.lower()


def test_a_deeper_assignment_declined_is_never_delivered_above_the_pace(app, factory):
    pair, _, _, assignment_id, _ = _setup(app, factory)
    _answer(factory, pair.a, assignment_id, True)
    _answer(factory, pair.b, assignment_id, False)
    for day in range(5):
        assert _deliver(factory, pair, NOW + timedelta(days=day)) == ("library", 1)


def test_a_partner_who_leaves_takes_their_yes_with_them(app, factory):
    """Both *current* partners must be ready: answers from a couple that has changed do not count."""
    pair, _, _, assignment_id, _ = _setup(app, factory)
    _answer(factory, pair.a, assignment_id, True)
    with factory.session():
        stale = AssignmentAnswer(assignment_id=assignment_id, user_id=factory.user("Someone else").id, ready=True)
        db.session.add(stale)
    assert _deliver(factory, pair, NOW) == ("library", 1)


def test_both_accepting_at_once_then_two_schedulers_deliver_it_exactly_once(make_app, factory):
    from jobs import scheduler

    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0})
    factory.app = app
    pair, _, _, assignment_id, _ = _setup(app, factory)
    with app.app_context(), writing():
        couple = db.session.get(Couple, pair.couple_id)
        couple.timezone, couple.cadence, couple.delivery_time = "UTC", "daily", time(19, 0)
        couple.next_delivery_at = NOW.replace(hour=19)
        db.session.commit()
    errors: list[BaseException] = []

    def run(barrier, work):
        try:
            with app.test_request_context(), writing():
                barrier.wait(timeout=30)
                work()
                db.session.commit()
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    def accept(person_id):
        return lambda: offers.answer(db.session.get(User, person_id), assignment_id, True)

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=run, args=(barrier, accept(p.id))) for p in (pair.a, pair.b)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors, errors

    due = NOW.replace(hour=19, minute=1)
    barrier = threading.Barrier(2)

    def tick():
        try:
            barrier.wait(timeout=30)
            scheduler.tick(app, due)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors, errors
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentAnswer)) == 2
        delivered = db.session.scalars(
            sa.select(PromptInstance).where(
                PromptInstance.couple_id == pair.couple_id, PromptInstance.source == "therapist"
            )
        ).all()
        assert len(delivered) == 1 and delivered[0].depth == 3
        assert db.session.get(Assignment, assignment_id).instance_id == delivered[0].id


def test_a_cached_today_shows_a_new_suggestion_and_not_one_taken_back(make_app, factory):
    app = make_app(TODAY_CACHE_SECONDS=600)
    factory.app = app
    pair = factory.pair()
    therapist = factory.user("Dr Rivera", role="therapist")
    link_id = factory.therapist_link(pair, therapist, "progress")
    alex = logged_in(app, pair.a)
    alex.get("/today")
    assert OFFER not in page_text(alex.get("/today"))  # cached now
    with app.app_context():
        deep = db.session.scalar(sa.select(Prompt.id).where(Prompt.depth == 3, Prompt.retired.is_(False)).limit(1))
    doctor = logged_in(app, therapist)
    assert doctor.post(f"/therapist/couples/{link_id}/assignments", data={"prompt_id": deep}).status_code == 302
    assert OFFER in page_text(alex.get("/today"))
    with app.app_context():
        assignment_id = db.session.scalar(sa.select(Assignment.id))
    doctor.post(f"/therapist/couples/{link_id}/assignments/{assignment_id}/cancel")
    assert OFFER not in page_text(alex.get("/today"))
