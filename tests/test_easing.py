"""Depth eases back after a hard moment or a low safety check-in, without the partner being able to trace it.

The person's own ceiling goes quiet (Light) for a few days, starting only
later; the couple's depth is the lower of the two ceilings, so to the
partner it looks exactly like a private choice of Light. The partner's
pages and JSON are byte-identical whether or not it happened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from models import Couple, Membership, User
from services.checkins import checkins
from services.couples import depth
from services.couples.depth import DEEP, EASE_LASTS, EASE_WAITS, LIGHT, MEDIUM
from services.delivery import delivery
from services.journal import journal
from services.moments import reassurance
from tests.crawl import snapshot
from tests.helpers import logged_in, page_text

KIND_LINE = "After a hard moment we'll keep things lighter for a few days"
T = datetime(2031, 3, 9, 12, tzinfo=UTC)  # a Sunday, the couple's check-in day


# The rule itself ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "offset", "ceiling"),
    [
        (DEEP, timedelta(0), DEEP),  # the moment itself: nothing changes at once
        (DEEP, EASE_WAITS - timedelta(minutes=1), DEEP),  # nor at a prompt due soon after
        (DEEP, EASE_WAITS, LIGHT),
        (MEDIUM, EASE_WAITS + timedelta(days=1), LIGHT),
        (LIGHT, EASE_WAITS + timedelta(days=1), LIGHT),
        (DEEP, EASE_WAITS + EASE_LASTS - timedelta(minutes=1), LIGHT),
        (DEEP, EASE_WAITS + EASE_LASTS, DEEP),  # then back to what they chose
    ],
)
def test_own_ceiling_is_quieter_only_later_and_only_for_a_few_days(chosen, offset, ceiling):
    start, until = depth.ease_window(T, None, None)
    assert depth.own_ceiling(chosen, start, until, T + offset) == ceiling
    assert depth.own_ceiling(chosen, None, None, T + offset) == chosen


def test_a_second_hard_moment_extends_the_easing_and_keeps_its_start():
    start, until = depth.ease_window(T, None, None)
    # During the wait, and while it lasts: the start stays, the end moves on.
    assert depth.ease_window(T + timedelta(hours=2), start, until) == (
        start,
        T + timedelta(hours=2) + EASE_WAITS + EASE_LASTS,
    )
    later = start + timedelta(days=1)
    assert depth.ease_window(later, start, until) == (start, later + EASE_WAITS + EASE_LASTS)
    # Long after it ended: a new window of its own.
    gone = until + timedelta(days=10)
    assert depth.ease_window(gone, start, until) == (gone + EASE_WAITS, gone + EASE_WAITS + EASE_LASTS)


# In the app ------------------------------------------------------------------------------------------------


def _deep_couple(factory):
    pair = factory.pair()  # the Factory makes both partners Deep
    with factory.session():
        db.session.get(Couple, pair.couple_id).depth_level = DEEP  # the ramp has climbed all the way
    return pair


def _depth_at(factory, pair, at):
    with factory.session():
        return delivery.depth_now(db.session.get(Couple, pair.couple_id), at)


def _versions(app, pair):
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id).version
        partner = db.session.scalar(sa.select(Membership.version).where(Membership.user_id == pair.a.id))
        return couple, partner


@pytest.mark.parametrize("moment", ["trigger", "low check-in", "reassurance"])
def test_each_hard_moment_eases_the_persons_own_ceiling_later_never_at_once(app, factory, moment):
    pair = _deep_couple(factory)
    with time_machine.travel(T, tick=False), factory.session():
        sam = factory.load(pair.b)
        if moment == "trigger":
            journal.write(sam, "A hard evening.", "trigger")
        elif moment == "low check-in":
            couple = db.session.get(Couple, pair.couple_id)
            values = {"connection": "6", "safety": "2", "feeling": "tired", "appreciation": "Tea.", "need": "Rest."}
            checkins.submit(sam, couple, values, T)
        else:
            reassurance.send(sam, None, now=T)
    assert _depth_at(factory, pair, T) == DEEP
    assert _depth_at(factory, pair, T + timedelta(hours=19)) == DEEP  # tomorrow's prompt, if it is soon, as it was
    assert _depth_at(factory, pair, T + EASE_WAITS + timedelta(hours=1)) == LIGHT
    assert _depth_at(factory, pair, T + EASE_WAITS + EASE_LASTS + timedelta(hours=1)) == DEEP


def test_a_safety_score_above_low_eases_nothing(app, factory):
    pair = _deep_couple(factory)
    values = {"connection": "6", "safety": "7", "feeling": "ok", "appreciation": "Tea.", "need": "Rest."}
    with factory.session():
        checkins.submit(factory.load(pair.b), db.session.get(Couple, pair.couple_id), values, T)
        assert factory.load(pair.b).ease_from is None


def test_both_delivery_paths_give_a_light_prompt_while_it_lasts(app, factory):
    from jobs import scheduler

    pair = _deep_couple(factory)
    factory.reveal(pair)
    with factory.session():
        journal.write(factory.load(pair.b), "A hard evening.", "trigger")
        user = factory.load(pair.b)
        user.ease_from, user.ease_until = T - timedelta(days=1), T + timedelta(days=3)
    with factory.session():
        by_hand = delivery.deliver(db.session.get(Couple, pair.couple_id), T)
        assert by_hand.depth == LIGHT
        by_hand.revealed_at = by_hand.completed_at = T  # out of the way of the pile-up rule
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at = T + timedelta(hours=7)
    scheduler.tick(app, T + timedelta(hours=7, minutes=1))
    with factory.session():
        newest = db.session.scalar(
            sa.text("SELECT depth FROM prompt_instances WHERE couple_id = :c ORDER BY id DESC LIMIT 1"),
            {"c": pair.couple_id},
        )
        assert newest == LIGHT


def test_the_partners_pages_and_json_are_byte_identical_after_a_hard_moment_or_a_low_score(app, factory):
    pair = _deep_couple(factory)
    high = {"connection": "6", "safety": "8", "feeling": "ok", "appreciation": "Tea.", "need": "Rest."}
    with time_machine.travel(T, tick=False):
        alex, sam = logged_in(app, pair.a), logged_in(app, pair.b)
        # Sam's check-in is there in both worlds (the partner sees that Sam checked in, never the score).
        with factory.session():
            checkins.submit(factory.load(pair.b), db.session.get(Couple, pair.couple_id), high, T)
        ids = {"instance": pair.first_prompt_id, "reflection": 1, "token": "x", "more": (pair.b.id,)}
        before, versions_before = snapshot(app, alex, ids), _versions(app, pair)
        with factory.session():
            sam_user = factory.load(pair.b)
            journal.write(sam_user, "A hard evening.", "trigger")
            checkins.submit(sam_user, db.session.get(Couple, pair.couple_id), dict(high, safety="1"), T)
            assert sam_user.ease_from is not None
        assert KIND_LINE in page_text(sam.get("/today"))
        assert _versions(app, pair) == versions_before
        after = snapshot(app, alex, ids)
    assert after.keys() == before.keys()
    for path in before:
        assert after[path] == before[path], path


def test_to_the_partner_an_eased_ceiling_is_the_same_as_a_private_choice_of_light(app, factory):
    eased, chose = _deep_couple(factory), _deep_couple(factory)
    with factory.session():
        factory.load(eased.b).ease_from, factory.load(eased.b).ease_until = T, T + EASE_LASTS
        factory.load(chose.b).max_depth = LIGHT
    at = T + timedelta(days=1)
    assert _depth_at(factory, eased, at) == _depth_at(factory, chose, at) == LIGHT
    # The partner's own words about the pace read only the ramp and the partner's own choice.
    with time_machine.travel(at, tick=False):
        for pair in (eased, chose):
            assert "The deeper prompts are open to you now" in page_text(logged_in(app, pair.a).get("/today"))


def test_the_person_sees_the_kind_line_privately_and_can_keep_their_usual_depth(app, factory):
    pair = _deep_couple(factory)
    with time_machine.travel(T, tick=False):
        with factory.session():
            journal.write(factory.load(pair.b), "A hard evening.", "trigger")
        sam, alex = logged_in(app, pair.b), logged_in(app, pair.a)
        assert KIND_LINE in page_text(sam.get("/today"))
        assert KIND_LINE in page_text(sam.get("/settings/pace"))
        assert KIND_LINE not in page_text(alex.get("/today"))
        # In Sam's own export, and in no one else's.
        assert "lighter_for_now" in sam.get("/account/export.json").get_json()
        assert "lighter_for_now" not in alex.get("/account/export.json").get_json()
        response = sam.post("/settings/depth/usual", data={})
        assert response.status_code == 302
        assert KIND_LINE not in page_text(sam.get("/today"))
    with app.app_context():
        user = db.session.get(User, pair.b.id)
        assert (user.ease_from, user.ease_until, user.max_depth) == (None, None, DEEP)
    assert _depth_at(factory, pair, T + timedelta(days=2)) == DEEP
