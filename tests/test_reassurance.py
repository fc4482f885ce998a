"""Hard moments and reassurance requests (issue 12).

The limit, receiving turned off, quiet hours and the urgent override (only
where the recipient allows it), push payloads without the line or names
(end to end through the loopback push service), who may see a request, and
what a therapist may count.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from services.access import therapist as therapist_access
from services.common.errors import Conflict, Invalid, NotFound
from services.moments import reassurance
from tests.helpers import logged_in, page_text, push_device

LINE = "I'm having a hard moment about the trip. I need to hear that we're okay."


def _send(factory, person, line=LINE, urgent=False, now=None) -> int:
    with factory.session():
        return reassurance.send(factory.load(person), line, urgent, now).id


def test_a_few_a_day_at_most_said_kindly_and_never_counted(app, factory, client, auth):
    pair = factory.pair()
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    for minutes in range(reassurance.DAILY_LIMIT):
        _send(factory, pair.a, now=start + timedelta(minutes=minutes))
    with pytest.raises(Conflict, match="a few times today"), factory.session():
        reassurance.send(factory.load(pair.a), None, False, start + timedelta(hours=1))
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        auth.login_as(pair.a)
        text = page_text(client.get("/moments"))
        assert "You've reached out a few times today." in text and 'name="line"' not in text
        assert not any(str(n) in text.split("reached out")[1][:60] for n in range(1, 10))
        assert client.post("/moments/reach-out", data={"line": "again"}).status_code == 422
    # A day later the window has moved on.
    _send(factory, pair.a, now=start + timedelta(hours=24, minutes=1))


def test_receiving_turned_off_is_shown_neutrally_before_sending(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.b)
    client.post("/settings/notifications", data={"timezone": "UTC", "notify_new_prompt": "y"})
    with factory.session():
        assert factory.load(pair.b).receive_reassurance is False
    auth.logout()
    auth.login_as(pair.a)
    text = page_text(client.get("/moments"))
    assert "Sam has turned off reassurance requests for now." in text and 'name="line"' not in text
    with pytest.raises(Conflict, match="turned off"), factory.session():
        reassurance.send(factory.load(pair.a), LINE)
    # The rest of the page is there whatever the partner's setting.
    assert "Breathe slowly" in text and "five things you can see" in text and "/safety" in text


def test_the_line_reaches_only_the_partner_and_the_reply_only_the_sender(app, factory):
    pair = factory.pair()
    stranger = factory.user("Stranger")
    secret = f"REASSURE-{uuid.uuid4().hex}"
    request_id = _send(factory, pair.a, f"Please {secret}")
    sam, alex, outsider = logged_in(app, pair.b), logged_in(app, pair.a), logged_in(app, stranger)
    page = page_text(sam.get(f"/moments/requests/{request_id}"))
    assert secret in page and "Don't defend or explain." in page and "I'm not going anywhere." in page
    assert outsider.get(f"/moments/requests/{request_id}").status_code == 404
    assert outsider.get(f"/moments/sent/{request_id}").status_code == 404
    assert sam.get(f"/moments/sent/{request_id}").status_code == 404  # the recipient's page is the other one
    assert alex.get(f"/moments/requests/{request_id}").status_code == 404
    assert outsider.post(f"/moments/requests/{request_id}/reply", data={"quick": "here"}).status_code == 404
    assert sam.post(f"/moments/requests/{request_id}/reply", data={"quick": "call"}).status_code == 302
    assert "Your partner answered: I'll call you in five minutes." in page_text(alex.get(f"/moments/sent/{request_id}"))
    # Once answered, it stays answered.
    assert sam.post(f"/moments/requests/{request_id}/reply", data={"words": "again"}).status_code == 422
    with pytest.raises(Invalid), factory.session():
        reassurance.reply(factory.load(pair.b), _send(factory, pair.a), quick="make it up to you")


def test_push_payloads_carry_neither_the_line_nor_names(app, factory, push, sender):
    pair = factory.pair()
    alex_sub, _ = push_device(app, factory, push, pair.a)
    sam_sub, _ = push_device(app, factory, push, pair.b)
    request_id = _send(factory, pair.a, LINE)
    sender.drain()
    [received] = push.messages_for(sam_sub["endpoint"])
    assert received.json() == {
        "title": "Attune",
        "body": "Your partner is having a hard moment and would like to hear from you.",
        "url": f"/moments/requests/{request_id}",
        "tag": f"reassurance:{request_id}",
    }
    with factory.session():
        reassurance.reply(factory.load(pair.b), request_id, words="Sam here, Alex. I love you.")
    sender.drain()
    [answer] = push.messages_for(alex_sub["endpoint"])
    assert (
        answer.json()["body"] == "Your partner answered you." and answer.json()["url"] == f"/moments/sent/{request_id}"
    )
    for message in push.messages:
        assert "trip" not in message.text and "love" not in message.text
        assert "Alex" not in message.text and "Sam" not in message.text


def test_discreet_mode_is_one_neutral_line(app, factory, push, sender):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    with factory.session():
        factory.load(pair.b).discreet = True
    _send(factory, pair.a)
    sender.drain()
    [received] = push.messages_for(sam_sub["endpoint"])
    assert received.json()["title"] == "You have a new update" and received.json()["body"] == ""


NIGHT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
MORNING = datetime(2026, 12, 1, 22, 0, 1, tzinfo=UTC)  # 07:00:01 in Tokyo


def _quiet_nights_in_tokyo(factory, person, *, allow_urgent: bool) -> None:
    """person lives in Tokyo with quiet hours from 22:00 to 07:00, allowing urgent requests through or not."""
    with factory.session():
        user = factory.load(person)
        user.timezone, user.quiet_start, user.quiet_end = "Asia/Tokyo", time(22, 0), time(7, 0)
        user.allow_urgent_reassurance = allow_urgent


@pytest.mark.parametrize(
    "urgent, allows, now_at_night",
    [
        (False, False, False),  # an ordinary request waits for the morning
        (False, True, False),  # allowing urgent ones changes nothing for ordinary ones
        (True, False, False),  # urgent, but the recipient hasn't allowed it: it waits
        (True, True, True),  # urgent and allowed: it goes through the quiet hours
    ],
)
def test_quiet_hours_hold_requests_unless_urgent_and_allowed(app, factory, push, sender, urgent, allows, now_at_night):
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    _quiet_nights_in_tokyo(factory, pair.b, allow_urgent=allows)
    with time_machine.travel(NIGHT, tick=False):
        _send(factory, pair.a, urgent=urgent)
        assert sender.drain().sent == (1 if now_at_night else 0)
    with time_machine.travel(MORNING, tick=False):
        sender.drain()
    assert len(push.messages_for(sam_sub["endpoint"])) == 1


def test_urgent_only_ever_overrides_for_reassurance(app, factory, push, sender):
    """Allowing urgent requests never lets anything else through the quiet hours."""
    pair = factory.pair()
    sam_sub, _ = push_device(app, factory, push, pair.b)
    _quiet_nights_in_tokyo(factory, pair.b, allow_urgent=True)
    with time_machine.travel(NIGHT, tick=False):
        factory.answer(pair.a, pair.first_prompt_id, "hello")
        assert sender.drain().sent == 0


def test_a_therapist_sees_counts_per_week_never_the_words(app, factory):
    pair = factory.pair()
    therapist = factory.user("Dr Lee", role="therapist")
    link_id = factory.therapist_link(pair, therapist, "progress")
    monday = datetime(2026, 6, 1, 9, tzinfo=UTC)
    first = _send(factory, pair.a, now=monday)
    _send(factory, pair.b, now=monday + timedelta(days=1))
    _send(factory, pair.a, now=monday - timedelta(days=3))  # the week before
    with factory.session():
        reassurance.reply(factory.load(pair.b), first, quick="here")
        access = therapist_access.resolve(factory.load(therapist), link_id)
        counts = reassurance.weekly_counts(access, weeks=2, now=monday + timedelta(days=2))
    assert [(c.week.isoformat(), c.sent, c.answered) for c in counts] == [("2026-05-25", 1, 0), ("2026-06-01", 2, 1)]


def test_the_counts_need_the_progress_scope_from_both_partners(app, factory):
    pair = factory.pair()
    therapist = factory.user("Dr Lee", role="therapist")
    link_id = factory.therapist_link(pair, therapist, "progress", None)  # Sam has not consented
    _send(factory, pair.a)
    with factory.session(), pytest.raises(NotFound):
        reassurance.weekly_counts(therapist_access.resolve(factory.load(therapist), link_id))
