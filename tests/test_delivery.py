"""Choosing and delivering prompts: depth ceiling, no repeats, one instance per slot, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from models import Couple, Prompt, PromptInstance
from services.delivery import clock, delivery


def _couple(factory, pair):
    return db.session.get(Couple, pair.couple_id)


def test_depth_ceiling_is_the_lower_choice(factory, app):
    pair = factory.pair(factory.user(max_depth=3), factory.user(max_depth=1))
    with factory.session():
        assert delivery.depth_ceiling(pair.couple_id) == 1
        couple = _couple(factory, pair)
        base = datetime(2030, 1, 1, tzinfo=UTC)
        depths = {delivery.deliver(couple, base + timedelta(days=d)).depth for d in range(30)}
    assert depths == {1}


def test_no_repeats_until_the_library_is_exhausted(factory, app):
    pair = factory.pair(factory.user(max_depth=1), factory.user(max_depth=1))
    with factory.session():
        light = db.session.scalar(sa.select(sa.func.count()).select_from(Prompt).where(Prompt.depth == 1))
        couple = _couple(factory, pair)
        base = datetime(2030, 1, 1, tzinfo=UTC)
        # The welcome prompt is one of them already.
        chosen = [delivery.deliver(couple, base + timedelta(days=d)).prompt_id for d in range(light - 1)]
        first = db.session.get(PromptInstance, pair.first_prompt_id).prompt_id
        assert len(set(chosen + [first])) == light
        again = delivery.deliver(couple, base + timedelta(days=light)).prompt_id
        assert again in set(chosen + [first])


def test_consecutive_prompts_change_theme(factory):
    pair = factory.pair()
    with factory.session():
        couple = _couple(factory, pair)
        base = datetime(2030, 1, 1, tzinfo=UTC)
        themes = [delivery.deliver(couple, base + timedelta(days=d)).theme_id for d in range(20)]
    assert all(a != b for a, b in zip(themes, themes[1:], strict=False))


def test_one_instance_per_couple_and_slot(factory, app):
    pair = factory.pair()
    slot = datetime(2030, 5, 1, 19, tzinfo=UTC)
    with factory.session():
        couple = _couple(factory, pair)
        assert delivery.deliver(couple, slot) is not None
        assert delivery.deliver(couple, slot) is None
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(PromptInstance).where(PromptInstance.slot_at == slot)
            )
            == 1
        )


def test_delivered_text_is_a_copy(factory, app):
    pair = factory.pair()
    with factory.session():
        instance = db.session.get(PromptInstance, pair.first_prompt_id)
        prompt = db.session.get(Prompt, instance.prompt_id)
        assert instance.text == prompt.text and instance.theme_id == prompt.theme_id


def test_deliver_due_command_delivers_once_per_slot(factory, runner, app):
    pair = factory.pair()
    due = datetime.now(UTC) - timedelta(minutes=5)
    with factory.session():
        couple = _couple(factory, pair)
        couple.next_delivery_at = due
        couple.delivery_time = (due).time().replace(microsecond=0)
        db.session.execute(sa.update(PromptInstance).values(revealed_at=due))
    result = runner.invoke(args=["deliver-due"])
    assert result.exit_code == 0 and "Delivered 1 prompt" in result.output
    again = runner.invoke(args=["deliver-due"])
    assert "Delivered 0 prompt" in again.output
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.next_delivery_at > datetime.now(UTC)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PromptInstance)) == 2


def test_pile_up_holds_the_next_prompt(factory, app):
    pair = factory.pair()
    now = datetime.now(UTC)
    with factory.session():
        couple = _couple(factory, pair)
        delivery.deliver(couple, now - timedelta(days=1))
        couple.next_delivery_at = now - timedelta(minutes=1)
        couple.delivery_time = (now - timedelta(minutes=1)).time().replace(microsecond=0)
    with factory.session():
        assert delivery.deliver_due(now) == 0  # two are already open
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PromptInstance)) == 2


def test_next_slot_across_daylight_saving():
    ny = "America/New_York"
    # 2 a.m. never happens on 8 March 2026 in New York: the 02:30 slot still comes that day, once.
    spring = clock.next_slot(datetime(2026, 3, 8, 5, tzinfo=UTC), ny, time(2, 30), "daily", 0)
    assert spring == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    # 1:30 a.m. happens twice on 1 November 2026: only the first counts.
    autumn = clock.next_slot(datetime(2026, 11, 1, 4, tzinfo=UTC), ny, time(1, 30), "daily", 0)
    assert autumn == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    after = clock.next_slot(autumn, ny, time(1, 30), "daily", 0)
    assert after == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def test_cadences():
    monday = datetime(2026, 11, 23, 20, tzinfo=UTC)  # after 19:00 UTC
    assert clock.next_slot(monday, "UTC", time(19), "daily", 0).date().isoformat() == "2026-11-24"
    friday = datetime(2026, 11, 27, 20, tzinfo=UTC)
    assert clock.next_slot(friday, "UTC", time(19), "weekdays", 0).date().isoformat() == "2026-11-30"
    wednesdays_and_sundays = (1 << 2) | (1 << 6)
    assert clock.next_slot(monday, "UTC", time(19), "days", wednesdays_and_sundays).date().isoformat() == "2026-11-25"
    assert clock.next_slot(monday, "UTC", time(19), "days", 0) is None


@pytest.mark.parametrize("name", ["Europe/London", "Asia/Kolkata", "UTC", "America/Argentina/Buenos_Aires"])
def test_valid_timezones(name):
    assert clock.check_timezone(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc", "EST5EDT;drop"])
def test_invalid_timezones(name):
    from services.common.errors import Invalid

    with pytest.raises(Invalid):
        clock.check_timezone(name)
