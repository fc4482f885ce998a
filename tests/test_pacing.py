"""Pacing and safety: pause, set aside, a break, and the depth ceiling, with the scheduler."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from jobs import scheduler
from models import Answer, Couple, Membership, Prompt, PromptInstance
from services.common.errors import Conflict
from services.couples import pacing
from services.delivery import delivery
from tests.helpers import PASSWORD, page_text


def on_schedule(factory, pair, first_due):
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        delivery.set_schedule(couple, "UTC", time(19, 0), "daily", 0)
        couple.next_delivery_at = first_due
        db.session.execute(sa.update(PromptInstance).values(revealed_at=first_due - timedelta(days=1)))


def library_count(app, couple_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PromptInstance)
            .where(PromptInstance.couple_id == couple_id, PromptInstance.source == "library")
        )


def tick_at(app, moment):
    with time_machine.travel(moment, tick=False):
        return scheduler.tick(app, moment)


def test_no_delivery_while_paused_and_resume_at_the_next_slot_not_a_backlog(app, factory):
    """Changed with per-person pauses: Sam paused, so only Sam can end it (Alex is refused)."""
    pair = factory.pair()
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    with time_machine.travel(start - timedelta(hours=2), tick=False):
        with factory.session():
            pacing.pause(factory.load(pair.b), "resume")
    for day in range(5):
        tick_at(app, start + timedelta(days=day, minutes=1))
    assert library_count(app, pair.couple_id) == 0
    resumed = start + timedelta(days=5, hours=3)  # 22:00 on the sixth day
    with time_machine.travel(resumed, tick=False):
        with pytest.raises(Conflict, match="start again by themselves"):
            with factory.session():
                pacing.resume(factory.load(pair.a))
        with factory.session():
            pacing.resume(factory.load(pair.b))
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).next_delivery_at == start + timedelta(days=6)
    tick_at(app, resumed + timedelta(minutes=1))
    assert library_count(app, pair.couple_id) == 0
    tick_at(app, start + timedelta(days=6, minutes=1))
    assert library_count(app, pair.couple_id) == 1


def test_a_timed_pause_ends_by_itself(app, factory):
    pair = factory.pair()
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        with factory.session():
            pacing.pause(factory.load(pair.a), "day")
    tick_at(app, start + timedelta(minutes=1))
    assert library_count(app, pair.couple_id) == 0
    tick_at(app, start + timedelta(hours=23, minutes=1))  # the pause runs out at 18:00 next day
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.paused_at is None and couple.next_delivery_at == start + timedelta(days=1)
    tick_at(app, start + timedelta(days=1, minutes=1))
    assert library_count(app, pair.couple_id) == 1


def test_the_other_partner_sees_a_neutral_paused_state(app, factory):
    pair = factory.pair()
    with factory.session():
        pacing.pause(factory.load(pair.a), "week")
    sam = app.test_client()
    sam.post("/login", data={"email": pair.b.email, "password": PASSWORD})
    today = page_text(sam.get("/today"))
    settings = page_text(sam.get("/settings/pace"))
    assert "Prompts are paused" in today and "Prompts are paused" in settings
    assert "You paused" not in settings and "End my pause" not in settings
    assert "Alex" not in today.split("Prompts are paused")[1][:200]
    alex = app.test_client()
    alex.post("/login", data={"email": pair.a.email, "password": PASSWORD})
    mine = page_text(alex.get("/settings/pace"))
    assert "You paused prompts" in mine and "End my pause" in mine


def _round_until(factory, pair, prompt_id, base):
    """Deliver day after day until prompt_id comes round again; returns that new instance's id."""
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        light = delivery.Deck.load().within_depth[1].bit_count()
        for day in range(light + 1):
            instance = delivery.deliver(couple, base + timedelta(days=day))
            if instance.prompt_id == prompt_id:
                return instance.id
            instance.set_aside_at = instance.completed_at = base  # keep the pile-up rule out of the way
    raise AssertionError("the set-aside prompt never came round again")


def test_set_aside_asks_first_keeps_the_partners_answer_and_brings_it_back(app, factory, client, auth):
    """Changed: with the partner's answer already in, setting aside asks first, then keeps that answer."""
    pair = factory.pair(factory.user(max_depth=1), factory.user(max_depth=1))
    factory.answer(pair.b, pair.first_prompt_id, "SET-ASIDE-CANARY")
    auth.login_as(pair.a)
    asked = client.post(f"/prompts/{pair.first_prompt_id}/set-aside")
    assert asked.status_code == 200 and "Your partner has already answered it" in page_text(asked)
    with app.app_context():
        assert db.session.get(PromptInstance, pair.first_prompt_id).set_aside_at is None
    assert client.post(f"/prompts/{pair.first_prompt_id}/set-aside", data={"confirm": "1"}).status_code == 302
    assert "SET-ASIDE-CANARY" not in client.get(f"/prompts/{pair.first_prompt_id}").get_data(as_text=True)
    with app.app_context():
        instance = db.session.get(PromptInstance, pair.first_prompt_id)
        assert instance.set_aside_at is not None and instance.revealed_at is None
        prompt_id = instance.prompt_id
    with pytest.raises(Conflict, match="set aside"):
        factory.answer(pair.a, pair.first_prompt_id, "now")
    assert f'id="prompt-{pair.first_prompt_id}-title"' not in client.get("/today").get_data(as_text=True)
    # The partner is told, neutrally, that it was set aside and will come back.
    sam = app.test_client()
    sam.post("/login", data={"email": pair.b.email, "password": PASSWORD})
    sams_today = page_text(sam.get("/today"))
    assert "A prompt was set aside for now" in sams_today and "it will come back" in sams_today
    assert "Undo" not in sams_today
    # It returns to the couple's round and, when it comes again, Sam's answer comes with it, still sealed.
    again = _round_until(factory, pair, prompt_id, datetime(2031, 1, 1, tzinfo=UTC))
    with app.app_context():
        carried = db.session.scalars(sa.select(Answer).where(Answer.instance_id == again)).all()
        assert [a.body for a in carried] == ["SET-ASIDE-CANARY"]
        assert db.session.get(PromptInstance, pair.first_prompt_id).carried_to_id == again
    page = client.get(f"/prompts/{again}").get_data(as_text=True)
    assert "SET-ASIDE-CANARY" not in page
    text = page_text(client.get(f"/prompts/{again}"))
    assert "has answered \u2014 your turn" in text
    factory.answer(pair.a, again, "Alex, at last")
    assert "SET-ASIDE-CANARY" in client.get(f"/prompts/{again}").get_data(as_text=True)


def test_set_aside_with_no_partner_answer_does_not_ask(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    assert client.post(f"/prompts/{pair.first_prompt_id}/set-aside").status_code == 302
    with app.app_context():
        assert db.session.get(PromptInstance, pair.first_prompt_id).set_aside_at is not None


def test_the_one_who_set_it_aside_can_undo_for_a_few_minutes(app, factory):
    pair = factory.pair()
    factory.answer(pair.b, pair.first_prompt_id, "kept")
    start = datetime(2031, 3, 1, 12, tzinfo=UTC)
    with factory.session():
        pacing.set_aside(factory.load(pair.a), pair.first_prompt_id, start, confirmed=True)
    with factory.session(), pytest.raises(Conflict):
        pacing.undo_set_aside(factory.load(pair.b), pair.first_prompt_id, start + timedelta(minutes=1))
    with factory.session():
        pacing.undo_set_aside(factory.load(pair.a), pair.first_prompt_id, start + timedelta(minutes=4))
    with app.app_context():
        instance = db.session.get(PromptInstance, pair.first_prompt_id)
        assert instance.set_aside_at is None and instance.completed_at is None
        assert [a.body for a in db.session.scalars(sa.select(Answer).where(Answer.instance_id == instance.id))] == [
            "kept"
        ]
    factory.answer(pair.a, pair.first_prompt_id, "and mine")
    with app.app_context():
        assert db.session.get(PromptInstance, pair.first_prompt_id).revealed_at is not None


def test_undo_runs_out(app, factory):
    pair = factory.pair()
    start = datetime(2031, 3, 1, 12, tzinfo=UTC)
    with factory.session():
        pacing.set_aside(factory.load(pair.a), pair.first_prompt_id, start)
    with factory.session(), pytest.raises(Conflict, match="come back another day"):
        pacing.undo_set_aside(
            factory.load(pair.a), pair.first_prompt_id, start + pacing.UNDO_SET_ASIDE + timedelta(seconds=1)
        )


def test_set_aside_answers_come_back_through_the_per_minute_tick_too(app, factory):
    pair = factory.pair(factory.user(max_depth=1), factory.user(max_depth=1))
    factory.answer(pair.b, pair.first_prompt_id, "TICK-KEPT")
    with factory.session():
        pacing.set_aside(factory.load(pair.a), pair.first_prompt_id, confirmed=True)
        prompt_id = db.session.get(PromptInstance, pair.first_prompt_id).prompt_id
        couple = db.session.get(Couple, pair.couple_id)
        # Everything else in the light round has been given: the tick must choose the set-aside prompt.
        couple.used_prompts = format(delivery.Deck.load().within_depth[1] & ~(1 << _seq(prompt_id)), "x")
    start = datetime(2031, 5, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    tick_at(app, start + timedelta(minutes=1))
    with app.app_context():
        again = db.session.scalar(
            sa.select(PromptInstance).where(
                PromptInstance.prompt_id == prompt_id, PromptInstance.id != pair.first_prompt_id
            )
        )
        assert [a.body for a in db.session.scalars(sa.select(Answer).where(Answer.instance_id == again.id))] == [
            "TICK-KEPT"
        ]


def _seq(prompt_id):
    return db.session.scalar(sa.select(Prompt.seq).where(Prompt.id == prompt_id))


# Pauses belong to the person who paused ----------------------------------------------


def test_the_other_partner_cannot_end_a_pause(app, factory):
    pair = factory.pair()
    with factory.session():
        pacing.pause(factory.load(pair.a), "resume")
    with factory.session(), pytest.raises(Conflict):
        pacing.resume(factory.load(pair.b))
    sam = app.test_client()
    sam.post("/login", data={"email": pair.b.email, "password": PASSWORD})
    settings = page_text(sam.get("/settings/pace"))
    assert "End my pause" not in settings and "Resume" not in settings
    sam.post("/settings/resume")
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).paused_at is not None


def test_two_pauses_overlap_and_prompts_resume_at_the_next_slot_after_both_end(app, factory):
    pair = factory.pair()
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    with time_machine.travel(start - timedelta(hours=1), tick=False):  # 18:00 on day 0
        with factory.session():
            pacing.pause(factory.load(pair.a), "week")  # until 18:00 on day 7
        with factory.session():
            pacing.pause(factory.load(pair.b), "resume")  # until Sam resumes
    # Alex's pause ends first: the couple stays paused for Sam's.
    for day in range(9):
        tick_at(app, start + timedelta(days=day, minutes=1))
    assert library_count(app, pair.couple_id) == 0
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.paused_at is not None and couple.paused_until is None
        alex = db.session.scalar(sa.select(Membership).where(Membership.user_id == pair.a.id))
        assert alex.paused_at is None
    resumed = start + timedelta(days=9, hours=1)  # 20:00 on day 9: after today's slot
    with time_machine.travel(resumed, tick=False):
        with factory.session():
            pacing.resume(factory.load(pair.b))
    tick_at(app, resumed + timedelta(minutes=1))
    assert library_count(app, pair.couple_id) == 0
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).next_delivery_at == start + timedelta(days=10)
    tick_at(app, start + timedelta(days=10, minutes=1))
    assert library_count(app, pair.couple_id) == 1


def test_a_shorter_pause_inside_a_longer_one_changes_nothing(app, factory):
    pair = factory.pair()
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        with factory.session():
            pacing.pause(factory.load(pair.a), "week")
    with time_machine.travel(start + timedelta(days=2), tick=False):
        with factory.session():
            pacing.pause(factory.load(pair.b), "day")
        with factory.session():
            pacing.resume(factory.load(pair.b))  # Sam ends their own pause; Alex's still holds
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.paused_at is not None and couple.paused_until == start + timedelta(days=7, hours=-1)
    for day in range(7):
        tick_at(app, start + timedelta(days=day, minutes=1))
    assert library_count(app, pair.couple_id) == 0
    tick_at(app, start + timedelta(days=7, minutes=1))
    assert library_count(app, pair.couple_id) == 1


def test_set_aside_frees_the_pile_up_hold(app, factory):
    pair = factory.pair()
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        delivery.deliver(couple, datetime(2031, 1, 1, tzinfo=UTC))
        couple.held_since, couple.next_delivery_at = datetime.now(UTC), None
    with factory.session():
        pacing.set_aside(factory.load(pair.a), pair.first_prompt_id)
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.held_since is None and couple.next_delivery_at is not None


def test_a_break_steps_away_without_penalty(app, factory):
    pair = factory.pair()
    instance = factory.reveal(pair)
    alex = app.test_client()
    alex.post("/login", data={"email": pair.a.email, "password": PASSWORD})
    assert alex.post(f"/prompts/{instance}/break").status_code == 302
    page = page_text(alex.get(f"/prompts/{instance}"))
    assert "You're taking a break" in page and "Share my reflection" not in page
    sam = app.test_client()
    sam.post("/login", data={"email": pair.b.email, "password": PASSWORD})
    assert "Alex is taking a break from this one. No rush." in page_text(sam.get(f"/prompts/{instance}"))
    alex.post(f"/prompts/{instance}/break", data={"back": "1"})
    assert "Share my reflection" in page_text(alex.get(f"/prompts/{instance}"))


def test_depth_is_set_by_the_more_cautious_partner_in_scheduled_deliveries(app, factory):
    pair = factory.pair(factory.user(max_depth=3), factory.user(max_depth=3))
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    on_schedule(factory, pair, start)
    with factory.session():
        factory.load(pair.b).max_depth = 1
    for day in range(6):
        tick_at(app, start + timedelta(days=day, minutes=1))
        with app.app_context():
            db.session.execute(sa.update(PromptInstance).values(revealed_at=start))
            db.session.commit()
    with app.app_context():
        depths = db.session.scalars(sa.select(PromptInstance.depth).where(PromptInstance.source == "library")).all()
    assert len(depths) == 6 and set(depths) == {1}


def test_no_streaks_or_counts_of_who_is_late(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    with app.app_context():
        # The prompts themselves may speak of "a late reply"; only the app's own words are checked.
        prompt_words = [
            words.lower()
            for instance in db.session.scalars(sa.select(PromptInstance))
            for words in (instance.text, instance.follow_up)
            if words
        ]
    for path in (
        "/today",
        "/history",
        "/checkin",
        "/checkin/weeks",
        "/checkin/weeks/safety",
        "/checkin/weeks/csi-4",
        "/checkin/weeks/earlier",
        "/settings",
        "/settings/schedule",
        "/settings/pace",
        "/settings/notifications",
        "/couple",
    ):
        text = page_text(client.get(path)).lower()
        for words in prompt_words:
            text = text.replace(words, "")
        for word in ("streak", "days in a row", "you missed", "overdue", "late"):
            # Whole words: "lately" is not a count of who is late.
            assert not re.search(rf"\b{word}\b", text), (path, word)
