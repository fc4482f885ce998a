"""Web Push end to end: real pywebpush against the loopback push service, which checks VAPID and decrypts.

Nothing is mocked: the outbox rows are written by the events themselves,
the sender signs and encrypts with pywebpush, and assertions are made on
the plaintext the service worker would receive.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from models import PushMessage, PushSubscription
from services.conversation import conversation
from services.notifications import devices, vapid
from services.notifications.push import PushSender
from tests.helpers import push_device

SECRET_WORDS = "my secret words about us"


def messages(app, **where):
    with app.app_context():
        query = sa.select(PushMessage)
        for name, value in where.items():
            query = query.where(getattr(PushMessage, name) == value)
        return db.session.scalars(query.order_by(PushMessage.id)).all()


def test_partner_answered_and_reveal_arrive_decrypted_without_words_or_names(app, factory, push, sender):
    pair = factory.pair()
    alex_sub, _ = push_device(app, factory, push, pair.a)
    sam_sub, _ = push_device(app, factory, push, pair.b)
    factory.answer(pair.a, pair.first_prompt_id, SECRET_WORDS)
    report = sender.drain()
    assert report.sent == 1
    [received] = push.messages_for(sam_sub["endpoint"])
    assert received.json() == {
        "title": "Attune",
        "body": "Your partner has answered \u2014 your turn.",
        "url": f"/prompts/{pair.first_prompt_id}",
        "tag": f"answered:{pair.first_prompt_id}",
    }
    assert received.ttl > 0 and received.urgency == "normal" and received.topic
    assert received.claims["sub"].startswith("mailto:") and received.claims["aud"] == push.origin
    factory.answer(pair.b, pair.first_prompt_id, SECRET_WORDS + " too")
    sender.drain()
    reveal = [m.json() for m in push.messages if m.json()["tag"].startswith("reveal:")]
    assert len(reveal) == 2 and {r["body"] for r in reveal} == {"You've both answered. Your answers are ready to read."}
    for message in push.messages:
        text = message.text
        assert SECRET_WORDS not in text and "Alex" not in text and "Sam" not in text


def test_an_edit_does_not_notify_again(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    factory.answer(pair.a, pair.first_prompt_id, "first")
    factory.answer(pair.a, pair.first_prompt_id, "second")
    sender.drain()
    assert len(push.messages_for(sam_sub["endpoint"])) == 1


def test_every_device_gets_it_and_each_message_is_sent_once(app, factory, push, sender):
    pair = factory.pair()
    phone, _ = push_device(app, factory, push, pair.b, "Phone")
    tablet, _ = push_device(app, factory, push, pair.b, "Tablet")
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    sender.drain()
    sender.drain()
    assert len(push.messages_for(phone["endpoint"])) == 1
    assert len(push.messages_for(tablet["endpoint"])) == 1
    assert {m.status for m in messages(app)} == {"sent"}


def test_discreet_mode_shows_one_neutral_line(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    with factory.session():
        factory.load(pair.b).discreet = True
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    sender.drain()
    [received] = push.messages_for(sam_sub["endpoint"])
    assert received.json() == {
        "title": "You have a new update",
        "body": "",
        "url": "/today",
        "tag": f"answered:{pair.first_prompt_id}",
    }


def test_switched_off_kinds_are_not_queued(app, factory, push, sender):
    pair = factory.pair()
    push_device(app, factory, push, pair.b)
    with factory.session():
        factory.load(pair.b).notify_partner_answered = False
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    assert messages(app) == []


def test_gone_subscriptions_are_deleted_and_never_retried(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, row_id = push_device(app, factory, push, pair.b)
    push.unsubscribe(sam_sub["endpoint"])
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    report = sender.drain()
    assert report.gone == 1
    with app.app_context():
        assert db.session.get(PushSubscription, row_id) is None
    assert messages(app) == []
    attempts = push.attempts[push.subscription_id(sam_sub["endpoint"])]
    factory.answer(pair.b, pair.first_prompt_id, "reveal now")
    sender.drain()
    assert push.attempts[push.subscription_id(sam_sub["endpoint"])] == attempts


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_both_remove(app, factory, push, sender, status):
    pair = factory.pair()
    sam_sub, row_id = push_device(app, factory, push, pair.b)
    push.fail_next(sam_sub["endpoint"], status)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    sender.drain()
    with app.app_context():
        assert db.session.get(PushSubscription, row_id) is None


def test_429_is_retried_after_retry_after(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    push.fail_next(sam_sub["endpoint"], 429, {"Retry-After": "120"})
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    before = datetime.now(UTC)
    report = sender.drain()
    assert report.retried == 1 and report.sent == 0
    [row] = messages(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_status == 429
    assert row.next_attempt_at >= before + timedelta(seconds=120)
    assert sender.drain().claimed == 0  # not before Retry-After
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert sender.drain().sent == 1
    assert len(push.messages_for(sam_sub["endpoint"])) == 1
    assert messages(app)[0].status == "sent"


def test_5xx_backs_off_and_gives_up_eventually(app, factory, push, sender):
    from services.notifications.push import MAX_ATTEMPTS

    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    push.fail_next(sam_sub["endpoint"], 503, times=MAX_ATTEMPTS)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    waits = []
    moment = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(moment):
            sender.drain()
        [row] = messages(app)
        if row.status != "pending":
            break
        waits.append((row.next_attempt_at - moment).total_seconds())
        moment = row.next_attempt_at + timedelta(seconds=1)
    assert waits == sorted(waits) and waits[-1] > waits[0] * 8  # exponential
    assert messages(app)[0].status == "failed"
    assert push.messages_for(sam_sub["endpoint"]) == []


def test_401_is_logged_as_a_configuration_error(app, factory, push, sender, caplog):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    push.fail_next(sam_sub["endpoint"], 401)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    with caplog.at_level(logging.ERROR, logger="attune.push"):
        sender.drain()
    assert "VAPID" in caplog.text
    assert messages(app)[0].status == "failed"


def test_quiet_hours_hold_notifications_until_they_end(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    with factory.session():
        sam = factory.load(pair.b)
        sam.timezone, sam.quiet_start, sam.quiet_end = "Asia/Tokyo", time(22, 0), time(7, 0)
    # 23:30 in Tokyo: inside the quiet hours.
    night = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        factory.answer(pair.a, pair.first_prompt_id, "hello")
        assert sender.drain().claimed == 0
    with time_machine.travel(datetime(2026, 12, 1, 21, 59, tzinfo=UTC), tick=False):  # 06:59 in Tokyo
        assert sender.drain().claimed == 0
    assert push.messages == []
    with time_machine.travel(datetime(2026, 12, 1, 22, 0, 1, tzinfo=UTC), tick=False):  # 07:00:01
        assert sender.drain().sent == 1
    assert len(push.messages_for(sam_sub["endpoint"])) == 1


def test_reflections_notify_the_speaker_and_partly_notifies_the_listener(app, factory, push, sender):
    pair = factory.pair()
    alex_sub, _ = push_device(app, factory, push, pair.a)
    sam_sub, _ = push_device(app, factory, push, pair.b)
    instance = factory.reveal(pair)
    sender.drain()
    push.clear()
    with factory.session():
        reflection_id = conversation.reflect(factory.load(pair.a), instance, "It sounds like you felt ...").id
    sender.drain()
    [to_sam] = push.messages_for(sam_sub["endpoint"])
    assert to_sam.json()["body"] == "Your partner reflected on what you shared."
    with factory.session():
        conversation.respond(factory.load(pair.b), instance, reflection_id, "partly", "and I was scared")
    sender.drain()
    [to_alex] = push.messages_for(alex_sub["endpoint"])
    assert to_alex.json()["body"] == "Your partner would like to add something \u2014 have another listen."
    assert "scared" not in to_alex.text


def test_two_senders_at_once_send_each_message_once(app, factory, push):
    pairs = [factory.pair(factory.user(), factory.user()) for _ in range(12)]
    endpoints = []
    for pair in pairs:
        endpoints.append(push_device(app, factory, push, pair.b)[0]["endpoint"])
        factory.answer(pair.a, pair.first_prompt_id, "hello")
    senders = [PushSender(app, workers=4, batch=3) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda s: s.drain(), senders))
    finally:
        for s in senders:
            s.close()
    assert sum(r.sent for r in reports) == 12
    assert all(len(push.messages_for(e)) == 1 for e in endpoints)


def test_pushes_in_flight_come_from_the_settings_and_are_at_least_one(make_app):
    sender = PushSender(make_app(PUSH_WORKERS=7))
    try:
        assert sender.workers == 7
    finally:
        sender.close()
    with pytest.raises(ValueError, match="PUSH_WORKERS must be at least 1"):
        PushSender(make_app(PUSH_WORKERS=0))


def test_a_slow_push_service_never_outlasts_the_lease(make_app, factory, push):
    """Rows a sender cannot start in time are handed back, never sent after their lease may have passed."""
    app = make_app(PUSH_LEASE_SECONDS=1.6)  # requests time out after 0.4 s and start within 0.8 s of the claim
    pairs = [factory.pair(factory.user(), factory.user()) for _ in range(6)]
    endpoints = []
    for pair in pairs:
        endpoints.append(push_device(app, factory, push, pair.b)[0]["endpoint"])
        factory.answer(pair.a, pair.first_prompt_id, "hello")
    push.delay = 0.3
    sender = PushSender(app, workers=1, batch=6)
    try:
        report = sender.drain()
    finally:
        sender.close()
    assert report.released >= 3  # one worker gets through about three in 0.8 s
    assert report.sent == 6 and report.retried == 0
    assert all(len(push.messages_for(e)) == 1 for e in endpoints)
    assert {m.status for m in messages(app)} == {"sent"}


def test_a_request_that_hangs_times_out_and_is_retried(make_app, factory, push):
    app = make_app(PUSH_LEASE_SECONDS=2)  # a quarter of the lease: 0.5 s per request
    pair = factory.pair()
    push_device(app, factory, push, pair.b)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    push.delay = 1.5
    sender = PushSender(app, workers=2)
    try:
        report = sender.drain()
    finally:
        sender.close()
    assert report.retried == 1 and report.sent == 0
    [row] = messages(app)
    assert row.status == "pending" and row.last_status is None and row.claim is None
    push.wait_for(1)  # the service answers after the sender gave up: the retry is what delivers


def test_devices_are_listed_and_removable_from_settings(app, factory, push, client, auth):
    pair = factory.pair()
    _, row_id = push_device(app, factory, push, pair.b, "Pixel phone")
    auth.login_as(pair.b)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "Pixel phone" in page and "data-vapid-key" in page
    client.post(f"/settings/devices/{row_id}/remove")
    with app.app_context():
        assert db.session.get(PushSubscription, row_id) is None
    assert "Pixel phone" not in client.get("/settings/notifications").get_data(as_text=True)


def test_subscription_api_validates_and_is_idempotent_per_endpoint(app, factory, push, client, auth):
    pair = factory.pair()
    auth.login_as(pair.b)
    sub = push.subscribe(vapid.application_server_key(app.extensions["attune.vapid"]))
    first = client.post("/api/v1/push/subscriptions", json={**sub, "label": "Chrome on Android"})
    again = client.post("/api/v1/push/subscriptions", json={**sub, "label": "Chrome on Android"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    bad = client.post("/api/v1/push/subscriptions", json={**sub, "keys": {"p256dh": "A" * 87, "auth": "B" * 22}})
    assert bad.status_code == 422
    assert client.get("/api/v1/push/subscriptions").get_json()["devices"][0]["label"] == "Chrome on Android"
    assert client.delete(f"/api/v1/push/subscriptions/{first.get_json()['id']}").status_code == 204
    assert client.delete(f"/api/v1/push/subscriptions/{first.get_json()['id']}").status_code == 404


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/push/x",
        "https://10.0.0.5/push",
        "https://localhost/push",
        "http://push.example.com/x",
        "https://[::1]/push",
        "ftp://push.example.com/x",
    ],
)
def test_production_refuses_endpoints_inside_our_network(make_app, factory, endpoint):
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False)
    from services.common.errors import Invalid

    with app.test_request_context():
        with pytest.raises(Invalid):
            devices.check_endpoint(endpoint)
        assert (
            devices.check_endpoint("https://fcm.googleapis.com/fcm/send/abc")
            == "https://fcm.googleapis.com/fcm/send/abc"
        )
