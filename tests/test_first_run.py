"""The first run's set-up steps after the intake: time zone, our time and days, notifications.

Each step can be skipped; progress is shown; someone who leaves half way is brought back once; the second
partner sees the schedule as the first left it, and a change is never silent.
"""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from blueprints.couple import first_run as first_run_routes
from extensions import db
from models import Couple, MailMessage, User
from tests.helpers import logged_in, page_text, push_device


def intake_done(client):
    client.post("/start/pace", data={"max_depth": "1"})
    response = client.post("/start/about", data={"feels_safe": "yes"})
    assert response.status_code == 302 and response.location.endswith("/start/time-zone"), response.location
    return response


def couple_of(app, pair) -> Couple:
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        db.session.expunge(couple)
        return couple


def user_of(app, person) -> User:
    with app.app_context():
        user = db.session.get(User, person.id)
        db.session.expunge(user)
        return user


def mail_to(app, address) -> list[MailMessage]:
    with app.app_context():
        return list(db.session.scalars(sa.select(MailMessage).where(MailMessage.to_address == address)))


def set_couple_zone(app, pair, zone):
    with app.app_context():
        db.session.get(Couple, pair.couple_id).timezone = zone
        db.session.commit()


def test_after_the_intake_come_three_set_up_steps_with_progress(app, factory):
    pair = factory.pair()
    set_couple_zone(app, pair, "UTC")
    sam = logged_in(app, pair.b)
    intake_done(sam)

    page = page_text(sam.get("/start/time-zone"))
    assert "Step 2 of 4" in page and "Your time zone" in page
    # The phone's zone is filled in by script (data-fill-timezone); without script it's a plain field.
    assert 'data-fill-timezone=""' in page and 'name="timezone"' in page
    assert "Use it for our prompts too" in page  # the couple's zone is still unset: offered
    moved = sam.post("/start/time-zone", data={"timezone": "Europe/Paris", "for_couple": "y"})
    assert moved.location.endswith("/start/schedule")
    assert user_of(app, pair.b).timezone == "Europe/Paris"
    assert couple_of(app, pair).timezone == "Europe/Paris"

    page = page_text(sam.get("/start/schedule"))
    assert "Step 3 of 4" in page and "Right now: 19:00, every day (Europe/Paris time), for you both." in page
    assert "It changes for Alex too" in page
    kept = sam.post("/start/schedule", data={"skip": "1"})
    assert kept.location.endswith("/start/notifications")
    assert mail_to(app, pair.a.email) == []  # keeping it tells no one anything

    page = page_text(sam.get("/start/notifications"))
    assert "Step 4 of 4" in page
    assert "when a new prompt arrives (19:00, every day)" in page
    assert "They never show what either of you wrote, or a name." in page
    assert "data-push-enable" in page and "Add to Home Screen" in page and "Not now" in page
    done = sam.post("/start/notifications", data={})
    assert done.location.endswith("/today")
    assert "You're all set." in page_text(sam.get("/today"))


def test_the_second_partner_sees_the_first_ones_choice_and_a_change_is_not_silent(app, factory):
    pair = factory.pair()
    set_couple_zone(app, pair, "UTC")
    alex, sam = logged_in(app, pair.a), logged_in(app, pair.b)

    intake_done(alex)
    alex.post("/start/time-zone", data={"timezone": "America/New_York", "for_couple": "y"})
    alex.post(
        "/start/schedule", data={"delivery_time": "08:30", "cadence": "days", "days": ["0", "3"]}
    )  # Monday and Thursday
    chosen = couple_of(app, pair)
    assert (chosen.delivery_time, chosen.cadence, chosen.cadence_days) == (time(8, 30), "days", 0b1001)
    [told_sam] = mail_to(app, pair.b.email)
    assert "08:30, on Monday and Thursday" in told_sam.body and "Alex" not in told_sam.body

    intake_done(sam)
    page = page_text(sam.get("/start/time-zone"))
    # The couple's zone is Alex's now: not offered again, only said.
    assert "Use it for our prompts too" not in page
    assert "Your prompts arrive on America/New York time." in page
    sam.post("/start/time-zone", data={"timezone": "Europe/London", "for_couple": "y"})
    assert couple_of(app, pair).timezone == "America/New_York"  # Sam's own zone only
    assert user_of(app, pair.b).timezone == "Europe/London"

    page = page_text(sam.get("/start/schedule"))
    assert "Right now: 08:30, on Monday and Thursday (America/New York time), for you both." in page
    assert 'value="08:30"' in page
    changed = sam.post("/start/schedule", data={"delivery_time": "20:00", "cadence": "weekdays"})
    assert changed.location.endswith("/start/notifications")
    assert "We've let your partner know the new time by email." in page_text(sam.get("/start/notifications"))
    told_alex = mail_to(app, pair.a.email)
    assert len(told_alex) == 1 and "20:00, on weekdays (America/New York time)" in told_alex[0].body
    assert "Sam" not in told_alex[0].body and "/settings" in told_alex[0].body


def test_every_step_can_be_skipped_and_nothing_changes(app, factory):
    pair = factory.pair()
    before = couple_of(app, pair)
    sam = logged_in(app, pair.b)
    intake_done(sam)
    assert sam.post("/start/time-zone", data={"skip": "1"}).location.endswith("/start/schedule")
    assert sam.post("/start/schedule", data={"skip": "1"}).location.endswith("/start/notifications")
    assert sam.post("/start/notifications", data={}).location.endswith("/today")
    after = couple_of(app, pair)
    assert (after.timezone, after.delivery_time, after.cadence) == (
        before.timezone,
        before.delivery_time,
        before.cadence,
    )
    assert user_of(app, pair.b).timezone == "UTC"
    assert mail_to(app, pair.a.email) == []


def test_bad_input_is_refused_beside_the_field_and_keeps_what_was_typed(app, factory):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    intake_done(sam)
    refused = sam.post("/start/time-zone", data={"timezone": "Atlantis/Lost City"})
    assert refused.status_code == 422
    page = page_text(refused)
    assert "We don't know the time zone" in page and 'value="Atlantis/Lost City"' in page
    assert "Step 2 of 4" in page
    assert user_of(app, pair.b).timezone == "UTC"

    no_days = sam.post("/start/schedule", data={"delivery_time": "21:15", "cadence": "days"})
    assert no_days.status_code == 422
    page = page_text(no_days)
    assert "Pick at least one day." in page and 'value="21:15"' in page
    assert couple_of(app, pair).delivery_time == time(19, 0)
    assert mail_to(app, pair.a.email) == []


def test_leaving_half_way_brings_you_back_to_the_next_step_once(app, factory, monkeypatch):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    intake_done(sam)
    sam.post("/start/time-zone", data={"timezone": "Europe/Paris"})
    sam.get("/start/schedule")
    # Straight to Today from a step: that was on purpose, so no detour.
    assert sam.get("/today").status_code == 200
    # A later visit: back to the next unfinished step, once.
    later = first_run_routes.clock_time.time() + first_run_routes.RESUME_AFTER_SECONDS + 1
    monkeypatch.setattr(first_run_routes.clock_time, "time", lambda: later)
    back = sam.get("/today")
    assert back.status_code == 302 and back.location.endswith("/start/schedule")
    assert sam.get("/today").status_code == 200  # never twice: no one is trapped
    # Someone who finished, or never started, is never redirected.
    alex = logged_in(app, pair.a)
    assert alex.get("/today").status_code == 200


def test_a_phone_with_notifications_on_says_so(app, factory, push):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    intake_done(sam)
    push_device(app, factory, push, pair.b)
    page = page_text(sam.get("/start/notifications"))
    assert "Notifications are on for this phone." in page and "data-push-enable" not in page
    assert ">Done</button>" in page
