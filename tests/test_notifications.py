"""One notification writer: every kind is defined once, and both delivery paths queue the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
import time_machine

from extensions import db
from models import NOTIFICATION_KINDS, Couple, PromptInstance, PushMessage, PushSubscription
from services.delivery import clock, delivery
from services.notifications import notify

NOW = datetime(2026, 3, 2, 19, 0, 30, tzinfo=UTC)


def _devices(factory, pair) -> None:
    with factory.session() as session:
        for person in (pair.a, pair.b):
            session.add(
                PushSubscription(
                    user_id=person.id, endpoint=f"https://push.test/{person.id}", p256dh="k", auth="a", label="Phone"
                )
            )


def _scheduled(factory, pair) -> None:
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        delivery.set_schedule(couple, "Europe/London", time(19, 0), "daily", 0, now=NOW.replace(hour=12))


def _queued_for(app, couple_id: int) -> set[tuple]:
    """The couple's new-prompt rows with the couple's and prompt's own ids written as placeholders."""
    with app.app_context():
        instance_id = db.session.scalar(
            sa.select(sa.func.max(PromptInstance.id)).where(PromptInstance.couple_id == couple_id)
        )
        rows = (
            db.session.execute(
                sa.select(PushMessage)
                .where(PushMessage.kind == "new_prompt", PushMessage.created_at == NOW)
                .join(PushSubscription)
                .join(
                    db.metadata.tables["memberships"],
                    db.metadata.tables["memberships"].c.user_id == PushSubscription.user_id,
                )
                .where(db.metadata.tables["memberships"].c.couple_id == couple_id)
            )
            .scalars()
            .all()
        )
        return {
            (
                row.kind,
                row.event_key.replace(f":{couple_id}:", ":COUPLE:"),
                row.url.replace(str(instance_id), "PROMPT"),
                row.status,
                row.attempts,
                row.next_attempt_at,
            )
            for row in rows
        }


def test_both_delivery_paths_queue_identical_rows(app, factory):
    one_by_one, in_bulk = factory.pair(), factory.pair()
    for pair in (one_by_one, in_bulk):
        _devices(factory, pair)
        _scheduled(factory, pair)
    with time_machine.travel(NOW, tick=False):
        with factory.session():
            couple = db.session.get(Couple, one_by_one.couple_id)
            slot_at = clock.latest_slot_at_or_before(NOW, "Europe/London", time(19, 0), "daily", 0)
            assert delivery.deliver(couple, slot_at) is not None
            couple.next_delivery_at = None  # the bulk tick below takes only the other couple
        with factory.session():
            assert delivery.deliver_due(NOW) == 1
    by_hand, by_tick = _queued_for(app, one_by_one.couple_id), _queued_for(app, in_bulk.couple_id)
    assert len(by_hand) == 1 and by_hand == by_tick  # one row per device, the same on both paths
    (row,) = by_tick
    assert row[1] == f"prompt:COUPLE:{int(slot_at.timestamp())}" and row[2] == "/prompts/PROMPT"


def test_every_kind_is_defined_once_with_words_a_switch_and_the_tables_constraint():
    assert tuple(notify.KINDS) == NOTIFICATION_KINDS
    assert set(notify.SWITCHES) == {kind.switch for kind in notify.KINDS.values()}
    for kind in notify.KINDS.values():
        title, body = notify.words(kind.name, discreet=False)
        assert title == "Attune" and body
        assert notify.words(kind.name, discreet=True) == notify.DISCREET
    events = [
        notify.new_prompt(1, NOW, 7),
        notify.partner_answered(7),
        notify.reveal(7),
        notify.reflection(7, 3),
        notify.addition(7, 3),
        notify.reminder(7),
    ]
    assert all(event.url.startswith("/prompts/7") for event in events)
    events += [notify.repair(9, "asked"), notify.commitment(4), notify.reassurance(5), notify.reassurance_reply(5)]
    assert [event.kind for event in events] == list(NOTIFICATION_KINDS)
    assert len({event.key for event in events}) == len(events)
