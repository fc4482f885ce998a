"""Pacing and safety: pause, set aside, a break, and the depth ceiling, with the scheduler."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from jobs import scheduler
from models import Couple, PromptInstance
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
        with factory.session():
            pacing.resume(factory.load(pair.a))
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
    settings = page_text(sam.get("/settings"))
    assert "Prompts are paused" in today and "Prompts are paused" in settings
    assert "You paused them" not in settings and "Alex" not in today.split("Prompts are paused")[1][:200]
    alex = app.test_client()
    alex.post("/login", data={"email": pair.a.email, "password": PASSWORD})
    assert "You paused them" in page_text(alex.get("/settings"))


def test_set_aside_leaves_today_keeps_answers_sealed_and_comes_round_again(app, factory, client, auth):
    pair = factory.pair(factory.user(max_depth=1), factory.user(max_depth=1))
    factory.answer(pair.b, pair.first_prompt_id, "SET-ASIDE-CANARY")
    auth.login_as(pair.a)
    assert client.post(f"/prompts/{pair.first_prompt_id}/set-aside").status_code == 302
    assert "SET-ASIDE-CANARY" not in client.get(f"/prompts/{pair.first_prompt_id}").get_data(as_text=True)
    with app.app_context():
        instance = db.session.get(PromptInstance, pair.first_prompt_id)
        assert instance.set_aside_at is not None and instance.revealed_at is None
    with pytest.raises(Conflict, match="set aside"):
        factory.answer(pair.a, pair.first_prompt_id, "now")
    assert f'id="prompt-{pair.first_prompt_id}-title"' not in client.get("/today").get_data(as_text=True)
    # It returns to the couple's round: once every other light prompt has come, it comes again.
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        set_aside_prompt = db.session.get(PromptInstance, pair.first_prompt_id).prompt_id
        light = delivery.Deck.load().within_depth[1].bit_count()
        base = datetime(2031, 1, 1, tzinfo=UTC)
        seen = [delivery.deliver(couple, base + timedelta(days=d)).prompt_id for d in range(light)]
    assert set_aside_prompt in seen


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
    for path in ("/today", "/history", "/checkin", "/settings", "/couple"):
        text = page_text(client.get(path)).lower()
        for words in prompt_words:
            text = text.replace(words, "")
        for word in ("streak", "days in a row", "you missed", "overdue", "late"):
            # Whole words: "lately" is not a count of who is late.
            assert not re.search(rf"\b{word}\b", text), (path, word)
