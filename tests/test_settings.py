"""Settings: the time-zone picker, the section pages and their size, toggles saved on change, the access log."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from extensions import db
from models import AccessEntry, Couple, User
from services.delivery import clock
from services.notifications import notify
from services.therapist import links
from tests.helpers import page_text, push_device


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("  europe/paris ", "Europe/Paris"),
        ("America/New York", "America/New_York"),
        ("paris", "Europe/Paris"),
        ("UTC", "UTC"),
        ("Asia/Calcutta", "Asia/Calcutta"),  # the name Chromium still reports for India: a link the database keeps
        ("Mars/Olympus", None),
        ("", None),
        ("Europe", None),
    ],
)
def test_a_typed_zone_is_matched_forgivingly_or_not_at_all(typed, zone):
    assert clock.match_timezone(typed) == zone


def test_the_zone_picker_offers_the_current_area_and_accepts_a_typed_zone(app, factory, client, auth):
    pair = factory.pair()
    with factory.session():
        factory.load(pair.a).timezone = "Europe/Lisbon"
    auth.login_as(pair.a)
    page = client.get("/settings/notifications").get_data(as_text=True)
    picker = re.search(r'<input id="my-timezone"[^>]*>', page).group(0)
    assert 'list="my-timezone-zones"' in picker and 'value="Europe/Lisbon"' in picker
    offered = re.findall(
        r'<option value="([^"]+)">',
        re.search(r'<datalist id="my-timezone-zones">(.*?)</datalist>', page, re.S).group(1),
    )
    # Before any script: the zones of the same area on the same clock (Lisbon's and London's, never Paris's).
    assert offered == clock.zones_near("Europe/Lisbon") and "Europe/London" in offered and "Europe/Paris" not in offered
    assert "Use my phone's zone" in html.unescape(page)  # shown by app.js when the phone's zone differs

    response = client.post("/settings/notifications", data={"timezone": "america/new york"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, pair.a.id).timezone == "America/New_York"


def test_an_unknown_zone_is_refused_and_what_was_typed_stays(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    response = client.post(
        "/settings/schedule", data={"timezone": "Mars/Olympus", "delivery_time": "08:30", "cadence": "daily"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Mars/Olympus"' in page and 'aria-invalid="true"' in page
    assert "We don't know the time zone \u201cMars/Olympus\u201d" in page_text(response)
    assert 'value="08:30"' in page  # nothing else typed is lost either
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).timezone == "UTC"


SECTIONS = (
    "/settings",
    "/settings/schedule",
    "/settings/pace",
    "/settings/notifications",
    "/settings/therapists",
    "/settings/account",
)
# The budget for a page after the first: 14 KB. Measured on the HTML as sent, uncompressed
# (pages are never compressed, for BREACH), so the compressed figure is far lower still.
PAGE_BUDGET = 14 * 1024


def _reads(factory, pair, therapist, *moments, kind="conversation"):
    with factory.session() as session:
        for moment in moments:
            session.add(
                AccessEntry(
                    couple_id=pair.couple_id,
                    therapist_id=therapist.id,
                    therapist_name=therapist.display_name,
                    kind=kind,
                    created_at=moment,
                )
            )


def test_every_settings_section_is_a_small_page(app, factory, push, client, auth):
    """The budget on the largest each page gets: America's zones, two devices, a therapist, a full access log."""
    pair = factory.pair()
    rivera = factory.user("Dr Rivera", role="therapist")
    with factory.session() as session:
        factory.load(pair.a).timezone = "America/Argentina/Buenos_Aires"
        session.get(Couple, pair.couple_id).timezone = "America/New_York"
    push_device(app, factory, push, pair.a, "Pixel phone")
    push_device(app, factory, push, pair.a, "Work laptop")
    start = datetime(2026, 11, 3, 13, tzinfo=UTC)
    # 61 reads: sixty visits of one read each (the page's worst case), then one more than the page shows.
    _reads(factory, pair, rivera, *(start + timedelta(hours=i) for i in range(61)))
    auth.login_as(pair.a)
    for path in SECTIONS:
        response = client.get(path)
        assert response.status_code == 200, path
        size = len(response.data)
        assert size <= PAGE_BUDGET, f"{path} is {size} bytes"


def test_each_form_returns_to_its_own_section(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    posts = [
        (
            "/settings/schedule",
            {"timezone": "Europe/Paris", "delivery_time": "08:30", "cadence": "daily"},
            "/settings/schedule",
        ),
        ("/settings/checkin-day", {"checkin_day": "6"}, "/settings/schedule"),
        ("/settings/depth", {"max_depth": "2"}, "/settings/pace"),
        ("/settings/pause", {"length": "day"}, "/settings/pace"),
        ("/settings/resume", {}, "/settings/pace"),
        ("/settings/notifications", {"part": "switches", "notify_reveal": "y"}, "/settings/notifications"),
        ("/settings/notifications", {"part": "quiet", "timezone": "UTC"}, "/settings/notifications"),
    ]
    for path, data, back in posts:
        response = client.post(path, data=data)
        assert response.status_code == 302 and response.headers["Location"] == back, path
    with app.app_context():
        couple, user = db.session.get(Couple, pair.couple_id), db.session.get(User, pair.a.id)
        assert (couple.timezone, couple.delivery_time, couple.checkin_day) == ("Europe/Paris", time(8, 30), 6)
        assert user.max_depth == 2 and user.notify_reveal and not user.notify_new_prompt


def test_a_switch_saved_as_it_changes_answers_quietly_and_touches_nothing_else(app, factory, client, auth):
    pair = factory.pair()
    with factory.session():
        user = factory.load(pair.a)
        user.timezone, user.quiet_start, user.quiet_end = "Europe/Paris", time(22), time(7)
    auth.login_as(pair.a)
    before = {name: value for name, value in _switches(app, pair.a).items()}
    assert before["notify_new_prompt"]

    changed = {name: "y" for name, on in before.items() if on and name != "notify_new_prompt"}
    response = client.post(
        "/settings/notifications", data={"part": "switches", **changed}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200 and json.loads(response.data) == {"saved": True, "message": "Saved."}
    after = _switches(app, pair.a)
    assert after == {**before, "notify_new_prompt": False}
    with app.app_context():
        user = db.session.get(User, pair.a.id)
        assert (user.timezone, user.quiet_start, user.quiet_end) == ("Europe/Paris", time(22), time(7))

    # Quiet hours saved on their own leave the switches as they are.
    client.post("/settings/notifications", data={"part": "quiet", "timezone": "Europe/Paris", "quiet_start": "23:00"})
    assert _switches(app, pair.a) == after
    with app.app_context():
        assert db.session.get(User, pair.a.id).quiet_start == time(22)  # one end alone is refused, nothing kept
    page = page_text(
        client.post(
            "/settings/notifications", data={"part": "quiet", "timezone": "Europe/Paris", "quiet_start": "23:00"}
        )
    )
    assert "Give both ends of your quiet hours, or neither." in page and 'value="23:00"' in page


def test_the_switches_work_without_script_and_carry_the_save_on_change_hook(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    page = client.get("/settings/notifications").get_data(as_text=True)
    switches = re.search(r"<form[^>]*data-save-quietly>.*?</form>", page, re.S).group(0)
    assert "data-submit-on-change" in switches and 'role="status" aria-live="polite"' in switches
    assert re.search(r'<button type="submit" data-hide-with-script>Save</button>', switches)
    response = client.post("/settings/notifications", data={"part": "switches"}, follow_redirects=True)
    assert "Saved." in page_text(response)
    assert not any(_switches(app, pair.a).values())


def test_a_post_with_every_setting_at_once_still_saves_them_all(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    client.post(
        "/settings/notifications",
        data={"timezone": "Asia/Tokyo", "notify_reveal": "y", "quiet_start": "22:00", "quiet_end": "06:00"},
    )
    with app.app_context():
        user = db.session.get(User, pair.a.id)
        assert (user.timezone, user.quiet_start, user.notify_reveal, user.notify_new_prompt) == (
            "Asia/Tokyo",
            time(22),
            True,
            False,
        )


def _switches(app, person) -> dict:
    with app.app_context():
        user = db.session.get(User, person.id)
        return {name: getattr(user, name) for name in notify.PREFERENCE_FIELDS}


# The access log: visits --------------------------------------------------------------------------------


def test_reads_within_half_an_hour_of_each_other_are_one_visit(app, factory):
    pair = factory.pair()
    rivera, okafor = factory.user("Dr Rivera", role="therapist"), factory.user("Dr Okafor", role="therapist")
    t = datetime(2026, 11, 3, 13, 5, tzinfo=UTC)
    _reads(factory, pair, rivera, t, t + timedelta(minutes=15), t + timedelta(minutes=45))  # gaps 15, 30: one visit
    _reads(factory, pair, rivera, t + timedelta(minutes=75, seconds=1))  # 30 min 1 s after: a new visit
    _reads(factory, pair, okafor, t + timedelta(minutes=80))  # someone else: a visit of their own
    _reads(factory, pair, rivera, t + timedelta(minutes=85))  # Rivera again, after Okafor: new, though close
    with factory.session():
        history = links.access_visits(factory.load(pair.a))
    assert [(v.therapist_name, len(v.reads)) for v in history.visits] == [
        ("Dr Rivera", 1),
        ("Dr Okafor", 1),
        ("Dr Rivera", 1),
        ("Dr Rivera", 3),
    ]
    assert history.visits[-1].start == t and history.visits[-1].end == t + timedelta(minutes=45)
    assert not history.more


def test_the_log_shows_visits_in_my_own_time_with_each_read_inside(app, factory, client, auth):
    pair = factory.pair()
    rivera = factory.user("Dr Rivera", role="therapist")
    with factory.session():
        factory.load(pair.a).timezone = "Europe/Paris"  # UTC+1 in November
    t = datetime(2026, 11, 3, 13, 5, tzinfo=UTC)
    _reads(factory, pair, rivera, t, kind="progress")
    _reads(factory, pair, rivera, t + timedelta(minutes=5), t + timedelta(minutes=15))
    auth.login_as(pair.a)
    page = page_text(client.get("/settings/therapists"))
    text = _text(page)
    assert "Dr Rivera read 3 things, Tue 3 Nov 14:05\u201314:20" in text
    details = re.search(r"<details>.*?</details>", page, re.S).group(0)
    assert [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li>.*?</li>", details)] == [
        "14:05 Progress and check-ins",
        "14:10 A revealed conversation",
        "14:20 A revealed conversation",
    ]
    assert "Times are yours (Europe/Paris)" in text
    # Sam, in another zone, reads the same visit by his own clock.
    with factory.session():
        factory.load(pair.b).timezone = "America/New_York"
    auth.logout()
    auth.login_as(pair.b)
    assert "Dr Rivera read 3 things, Tue 3 Nov 08:05\u201308:20" in re.sub(
        r"<[^>]+>", "", page_text(client.get("/settings/therapists"))
    )


def test_a_visit_across_the_clocks_going_back_shows_each_read_by_the_clock_then(app, factory):
    pair = factory.pair()
    rivera = factory.user("Dr Rivera", role="therapist")
    with factory.session():
        factory.load(pair.a).timezone = "Europe/Paris"
    # Paris goes from CEST (UTC+2) to CET (UTC+1) at 01:00 UTC on 25 October 2026.
    change = datetime(2026, 10, 25, 1, tzinfo=UTC)
    _reads(factory, pair, rivera, change - timedelta(minutes=10), change + timedelta(minutes=10))
    with factory.session():
        [visit] = links.access_visits(factory.load(pair.a)).visits
    assert [(r.at.strftime("%H:%M"), r.at.utcoffset()) for r in visit.reads] == [
        ("02:50", timedelta(hours=2)),
        ("02:10", timedelta(hours=1)),
    ]
    assert visit.end.astimezone(UTC) - visit.start.astimezone(UTC) == timedelta(
        minutes=20
    )  # one visit: twenty minutes apart, whatever the clock says


def test_only_the_most_recent_reads_are_listed_and_the_rest_are_pointed_to(app, factory, client, auth):
    pair = factory.pair()
    rivera = factory.user("Dr Rivera", role="therapist")
    start = datetime(2026, 11, 3, 13, tzinfo=UTC)
    _reads(factory, pair, rivera, *(start + timedelta(hours=i) for i in range(25)))
    with factory.session():
        history = links.access_visits(factory.load(pair.a))
    assert len(history.visits) == 20 and history.more
    assert history.visits[0].start == start + timedelta(hours=24)
    auth.login_as(pair.a)
    assert "Older visits are in your data download" in _text(client.get("/settings/therapists"))


def _text(page) -> str:
    """What a person reads: the page without its tags, entities decoded."""
    body = page if isinstance(page, str) else page_text(page)
    return re.sub(r"<[^>]+>", "", body)


def test_the_check_in_day_and_depth_save_as_they_change_too(app, factory, client, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    schedule = client.get("/settings/schedule").get_data(as_text=True)
    assert re.search(r'<select id="checkin_day" name="checkin_day"[^>]*data-submit-on-change', schedule)
    pace = client.get("/settings/pace").get_data(as_text=True)
    assert re.search(r"<form[^>]*data-save-quietly>\s*<input[^>]*>\s*<div data-submit-on-change>", pace)
    quiet = {"Accept": "application/json"}
    answer = client.post("/settings/checkin-day", data={"checkin_day": "4"}, headers=quiet)
    assert answer.status_code == 200 and answer.get_json()["message"] == "Check-in day saved. It applies to you both."
    refused = client.post("/settings/depth", data={"max_depth": "9"}, headers=quiet)
    assert refused.status_code == 422 and refused.get_json() == {
        "saved": False,
        "message": "Choose one of the three depths.",
    }
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).checkin_day == 4
