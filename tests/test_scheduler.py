"""Delivery on the couple's schedule, with frozen clocks: time zones, daylight saving, cadences, catch-up, pile-up, reminders."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from jobs import scheduler
from models import Couple, PromptInstance, PushMessage, User
from services.delivery import delivery
from tests.helpers import push_device
from tools.push_service import PushService

UTC = UTC


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def set_schedule(factory, pair, tz, hh_mm, cadence="daily", days=0, first_due=None):
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        delivery.set_schedule(couple, tz, time(*hh_mm), cadence, days)
        if first_due is not None:
            couple.next_delivery_at = first_due


def instances(app, couple_id):
    with app.app_context():
        return db.session.execute(
            sa.select(PromptInstance.slot_at, PromptInstance.source)
            .where(PromptInstance.couple_id == couple_id, PromptInstance.source == "library")
            .order_by(PromptInstance.slot_at)
        ).all()


def reveal_all(factory, pair):
    with factory.session():
        ids = db.session.scalars(
            sa.select(PromptInstance.id).where(
                PromptInstance.couple_id == pair.couple_id, PromptInstance.revealed_at.is_(None)
            )
        ).all()
    for instance_id in ids:
        factory.answer(pair.a, instance_id, "a")
        factory.answer(pair.b, instance_id, "b")


def run_ticks(app, factory, pair, start, end, step=timedelta(minutes=30), reveal=True):
    moment = start
    while moment <= end:
        with at(moment):
            scheduler.tick(app, moment)
        if reveal:
            reveal_all(factory, pair)
        moment += step


@pytest.mark.parametrize(
    "tz, hh_mm",
    [("Europe/London", (19, 0)), ("Asia/Tokyo", (7, 30)), ("Asia/Kolkata", (21, 15)), ("America/Los_Angeles", (8, 0))],
)
def test_daily_delivery_at_the_local_time_in_each_zone(app, factory, tz, hh_mm):
    pair = factory.pair()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    set_schedule(factory, pair, tz, hh_mm, first_due=None)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at = delivery.next_scheduled(couple, start)
    run_ticks(app, factory, pair, start, start + timedelta(days=4))
    slots = [row.slot_at.astimezone(ZoneInfo(tz)) for row in instances(app, pair.couple_id)]
    assert len(slots) == 4
    assert {(s.hour, s.minute) for s in slots} == {hh_mm}
    assert len({s.date() for s in slots}) == 4


def test_spring_forward_gap_still_delivers_once_that_day(app, factory):
    pair = factory.pair()
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 6, 12, tzinfo=UTC)
    set_schedule(factory, pair, "America/New_York", (2, 30))
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at = delivery.next_scheduled(couple, start)
    run_ticks(app, factory, pair, start, datetime(2026, 3, 10, 12, tzinfo=UTC), step=timedelta(minutes=15))
    per_day = Counter(row.slot_at.astimezone(tz).date().isoformat() for row in instances(app, pair.couple_id))
    assert per_day == {"2026-03-07": 1, "2026-03-08": 1, "2026-03-09": 1, "2026-03-10": 1}
    gap_day = [r.slot_at for r in instances(app, pair.couple_id) if r.slot_at.astimezone(tz).day == 8][0]
    assert gap_day == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT, just after the missing hour


def test_fall_back_fold_delivers_once(app, factory):
    pair = factory.pair()
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 10, 30, 12, tzinfo=UTC)
    set_schedule(factory, pair, "America/New_York", (1, 30))
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at = delivery.next_scheduled(couple, start)
    run_ticks(app, factory, pair, start, datetime(2026, 11, 3, 12, tzinfo=UTC), step=timedelta(minutes=15))
    per_day = Counter(row.slot_at.astimezone(tz).date().isoformat() for row in instances(app, pair.couple_id))
    assert per_day == {"2026-10-31": 1, "2026-11-01": 1, "2026-11-02": 1, "2026-11-03": 1}


@pytest.mark.parametrize(
    "cadence, days, expected_weekdays",
    [("weekdays", 0, {0, 1, 2, 3, 4}), ("days", (1 << 1) | (1 << 5), {1, 5}), ("daily", 0, set(range(7)))],
)
def test_cadences(app, factory, cadence, days, expected_weekdays):
    pair = factory.pair()
    start = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
    set_schedule(factory, pair, "Europe/Berlin", (18, 0), cadence, days)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at = delivery.next_scheduled(couple, start)
    run_ticks(app, factory, pair, start, start + timedelta(days=14), step=timedelta(hours=1))
    weekdays = [row.slot_at.astimezone(ZoneInfo("Europe/Berlin")).weekday() for row in instances(app, pair.couple_id)]
    assert set(weekdays) == expected_weekdays
    assert len(weekdays) == 2 * len(expected_weekdays)


def test_after_a_long_outage_one_catch_up_prompt_not_a_flood(app, factory):
    pair = factory.pair()
    reveal_all(factory, pair)
    first_due = datetime(2026, 5, 1, 19, tzinfo=UTC)
    set_schedule(factory, pair, "UTC", (19, 0), first_due=first_due)
    back = datetime(2026, 5, 9, 10, tzinfo=UTC)  # eight missed slots
    with at(back):
        assert scheduler.tick(app, back)["delivered"] == 1
        assert scheduler.tick(app, back)["delivered"] == 0
    [row] = instances(app, pair.couple_id)
    assert row.slot_at == datetime(2026, 5, 8, 19, tzinfo=UTC)  # the latest missed slot
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).next_delivery_at == datetime(2026, 5, 9, 19, tzinfo=UTC)


def test_pile_up_holds_until_a_reveal_then_resumes_at_the_next_slot(app, factory):
    pair = factory.pair()  # the welcome prompt is open
    start = datetime(2026, 7, 1, 19, tzinfo=UTC)
    set_schedule(factory, pair, "UTC", (19, 0), first_due=start)
    run_ticks(app, factory, pair, start, start + timedelta(days=3), step=timedelta(hours=6), reveal=False)
    assert len(instances(app, pair.couple_id)) == 1  # 1 library + the welcome = 2 open: then held
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.held_since is not None and couple.next_delivery_at is None
    reveal_moment = datetime(2026, 7, 4, 21, tzinfo=UTC)
    with at(reveal_moment):
        with factory.session():
            first = db.session.scalar(
                sa.select(PromptInstance.id)
                .where(PromptInstance.couple_id == pair.couple_id)
                .order_by(PromptInstance.id)
            )
        factory.answer(pair.a, first, "a")
        factory.answer(pair.b, first, "b")
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.held_since is None
        assert couple.next_delivery_at == datetime(2026, 7, 5, 19, tzinfo=UTC)  # next slot, not a backlog
    run_ticks(
        app, factory, pair, reveal_moment, datetime(2026, 7, 5, 20, tzinfo=UTC), step=timedelta(hours=1), reveal=False
    )
    assert len(instances(app, pair.couple_id)) == 2


DUE = datetime(2026, 8, 1, 19, tzinfo=UTC)


def due_couples(app, n: int, prefix: str) -> list[int]:
    """n couples due at DUE with nothing open; their couple ids."""
    from tests.helpers import bulk_pairs

    couple_ids = [pair.couple_id for pair in bulk_pairs(app, n, prefix=prefix)]
    with app.app_context():
        db.session.execute(sa.update(Couple).where(Couple.id.in_(couple_ids)).values(next_delivery_at=DUE))
        db.session.execute(sa.update(PromptInstance).values(revealed_at=DUE))
        db.session.commit()
    return couple_ids


def prompts_for_the_due_slot(app) -> dict[int, int]:
    """How many prompts each couple got for the DUE slot."""
    with app.app_context():
        return dict(
            db.session.execute(
                sa.select(PromptInstance.couple_id, sa.func.count())
                .where(PromptInstance.slot_at == DUE)
                .group_by(PromptInstance.couple_id)
            ).all()
        )


def test_two_ticks_at_once_deliver_exactly_once(make_app, factory):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "hide_parameters": True})
    couple_ids = due_couples(app, 60, "twin")
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(scheduler.tick(app, DUE + timedelta(seconds=30))["delivered"])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 60
    assert prompts_for_the_due_slot(app) == dict.fromkeys(couple_ids, 1)


def test_one_tick_shares_the_due_couples_among_its_workers_exactly_once(make_app, monkeypatch):
    """On PostgreSQL the tick delivers in DELIVERY_WORKERS threads, each batch its own transaction;
    small batches make the workers take turns over 45 couples, and still each gets one prompt."""
    app = make_app(DELIVERY_WORKERS=3, DELIVERY_BATCH_SIZE=4)
    couple_ids = due_couples(app, 45, "shared")
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    deliver_due, threads = delivery.deliver_due, set()

    def deliver_due_in_this_thread(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return deliver_due(*args, **kwargs)

    monkeypatch.setattr(delivery, "deliver_due", deliver_due_in_this_thread)
    assert scheduler.tick(app, DUE + timedelta(seconds=30))["delivered"] == 45
    assert len(threads) == (3 if postgres else 1)
    assert prompts_for_the_due_slot(app) == dict.fromkeys(couple_ids, 1)
    with app.app_context():
        advanced = db.session.scalar(
            sa.select(sa.func.count()).where(Couple.id.in_(couple_ids), Couple.next_delivery_at > DUE)
        )
    assert advanced == 45


def test_new_prompt_notifications_are_queued_once_per_device(app, factory):
    pair = factory.pair()
    reveal_all(factory, pair)
    with PushService() as push:
        push_device(app, factory, push, pair.a)
        push_device(app, factory, push, pair.b)
        due = datetime(2026, 8, 2, 19, tzinfo=UTC)
        set_schedule(factory, pair, "UTC", (19, 0), first_due=due)
        with at(due + timedelta(seconds=5)):
            scheduler.tick(app, due + timedelta(seconds=5))
            scheduler.tick(app, due + timedelta(seconds=5))
    with app.app_context():
        kinds = db.session.scalars(sa.select(PushMessage.kind)).all()
    assert kinds == ["new_prompt", "new_prompt"]


def test_one_gentle_reminder_for_the_partner_who_has_not_answered(app, factory):
    pair = factory.pair()
    reveal_all(factory, pair)
    with PushService() as push:
        push_device(app, factory, push, pair.a)
        push_device(app, factory, push, pair.b)
        due = datetime(2026, 8, 3, 19, tzinfo=UTC)
        set_schedule(factory, pair, "UTC", (19, 0), first_due=due)
        with at(due):
            scheduler.tick(app, due)
        [slot] = [r for r in instances(app, pair.couple_id) if r.slot_at == due]
        with factory.session():
            new_id = db.session.scalar(sa.select(PromptInstance.id).where(PromptInstance.slot_at == due))
        with at(due + timedelta(hours=1)):
            factory.answer(pair.a, new_id, "done")
        for hours in (10, 19, 21, 30, 40):
            with at(due + timedelta(hours=hours)):
                scheduler.tick(app, due + timedelta(hours=hours))
    with app.app_context():
        reminders = db.session.execute(
            sa.select(PushMessage.event_key, User.display_name)
            .join(PushMessage.subscription)
            .join(User, User.id == sa.text("push_subscriptions.user_id"))
            .where(PushMessage.kind == "reminder")
        ).all()
    assert reminders == [(f"reminder:{new_id}", "Sam")]


def test_reminders_switched_off_or_quiet(app, factory):
    pair = factory.pair()
    reveal_all(factory, pair)
    with PushService() as push:
        push_device(app, factory, push, pair.a)
        push_device(app, factory, push, pair.b)
        with factory.session():
            factory.load(pair.a).notify_reminder = False
            sam = factory.load(pair.b)
            sam.quiet_start, sam.quiet_end = time(14, 0), time(16, 0)
        due = datetime(2026, 8, 3, 19, tzinfo=UTC)
        set_schedule(factory, pair, "UTC", (19, 0), first_due=due)
        with at(due):
            scheduler.tick(app, due)
        with at(due + timedelta(hours=20)):  # 15:00 UTC: inside Sam's quiet hours
            scheduler.tick(app, due + timedelta(hours=20))
    with app.app_context():
        rows = db.session.scalars(sa.select(PushMessage).where(PushMessage.kind == "reminder")).all()
    assert len(rows) == 1
    assert rows[0].next_attempt_at == datetime(2026, 8, 4, 16, tzinfo=UTC)


def test_scheduler_jobs_are_configured_for_reliability(app):
    built = scheduler.build(app)
    jobs = {job.id: job for job in built.get_jobs()}
    assert set(jobs) == {"tick", "send-pushes", "send-mail"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
    again = scheduler.build(app)
    assert {job.id for job in again.get_jobs()} == set(jobs)
