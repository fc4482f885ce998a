"""The weekly check-in: weeks and opening days by time zone, validation, sealing, locking, races, the page."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import IntegrityError

from database import writing
from extensions import db
from models import CheckIn, Couple, User
from services.checkins import checkins
from services.common.errors import Conflict, Invalid, NotFound
from services.couples import pairing
from tests.helpers import CHECKIN_ANSWERS, CHECKIN_SUNDAY, CHECKIN_WEEK, page_text, submit_checkin


def _setup(factory, pair, *, tz: str = "UTC", day: int = 6) -> None:
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.timezone = tz
        couple.checkin_day = day


def _checked(html: str, name: str) -> str | None:
    """The value of the checked radio button named name, if any."""
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html):
        if re.search(r"\schecked[\s>]", tag):
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def _rows(app, couple_id: int) -> list[CheckIn]:
    with app.app_context():
        return list(db.session.scalars(sa.select(CheckIn).where(CheckIn.couple_id == couple_id).order_by(CheckIn.id)))


# Weeks and opening days -------------------------------------------------------------------


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "tz, moment, monday",
    [
        # Sunday 9 March, 16:00 UTC: still Sunday in London, already Monday 01:00 in Tokyo.
        ("UTC", _utc(2025, 3, 9, 16), date(2025, 3, 3)),
        ("Asia/Tokyo", _utc(2025, 3, 9, 16), date(2025, 3, 10)),
        # Monday 10 March, 05:00 UTC: still Sunday evening in Los Angeles.
        ("America/Los_Angeles", _utc(2025, 3, 10, 5), date(2025, 3, 3)),
        ("UTC", _utc(2025, 3, 10, 5), date(2025, 3, 10)),
        # Around a daylight-saving change (Europe, 30 March 2025) the week is still Monday to Sunday.
        ("Europe/Berlin", _utc(2025, 3, 30, 21, 59), date(2025, 3, 24)),
        ("Europe/Berlin", _utc(2025, 3, 30, 22, 0), date(2025, 3, 31)),
        # A year boundary.
        ("Pacific/Auckland", _utc(2024, 12, 31, 12), date(2024, 12, 30)),
    ],
)
def test_the_week_is_the_local_monday(tz, moment, monday):
    couple = Couple(timezone=tz, checkin_day=6)
    assert checkins.week_of(couple, moment) == monday
    assert checkins.current_week(couple, moment) == monday


def test_a_sunday_evening_in_tokyo_and_in_utc():
    tokyo, london = Couple(timezone="Asia/Tokyo", checkin_day=6), Couple(timezone="UTC", checkin_day=6)
    sunday_evening_tokyo = _utc(2025, 3, 9, 11)  # 20:00 in Tokyo, 11:00 in UTC: Sunday for both
    assert checkins.is_open(tokyo, sunday_evening_tokyo) and checkins.is_open(london, sunday_evening_tokyo)
    after_midnight_tokyo = _utc(2025, 3, 9, 15, 30)  # Monday 00:30 in Tokyo, still Sunday in UTC
    assert not checkins.is_open(tokyo, after_midnight_tokyo)
    assert checkins.next_opening(tokyo, after_midnight_tokyo) == date(2025, 3, 16)
    assert checkins.is_open(london, after_midnight_tokyo)
    assert checkins.next_opening(london, after_midnight_tokyo) == date(2025, 3, 9)


def test_the_check_in_opens_on_the_chosen_day_and_closes_when_the_week_ends():
    sunday = Couple(timezone="UTC", checkin_day=6)
    assert not checkins.is_open(sunday, _utc(2025, 3, 8, 23, 59, 59))
    assert checkins.next_opening(sunday, _utc(2025, 3, 8, 23, 59, 59)) == date(2025, 3, 9)
    assert checkins.is_open(sunday, _utc(2025, 3, 9, 0, 0))
    assert checkins.is_open(sunday, _utc(2025, 3, 9, 23, 59, 59))
    assert not checkins.is_open(sunday, _utc(2025, 3, 10, 0, 0))
    assert checkins.next_opening(sunday, _utc(2025, 3, 10, 0, 0)) == date(2025, 3, 16)

    wednesday = Couple(timezone="America/New_York", checkin_day=2)
    assert not checkins.is_open(wednesday, _utc(2025, 3, 12, 3, 59))  # Tuesday 23:59 in New York
    assert checkins.is_open(wednesday, _utc(2025, 3, 12, 4, 0))  # Wednesday 00:00
    assert checkins.is_open(wednesday, _utc(2025, 3, 15, 12))  # Saturday: still open
    assert checkins.opens_on(wednesday, date(2025, 3, 10)) == date(2025, 3, 12)

    monday = Couple(timezone="UTC", checkin_day=0)
    assert all(checkins.is_open(monday, _utc(2025, 3, 3 + d, 12)) for d in range(7))


# Changed deliberately (issue 12): a person may check in on any day of the week, for that week;
# the couple's day is only when it is suggested.
def test_checking_in_before_the_chosen_day_counts_for_that_week(factory):
    pair = factory.pair()
    _setup(factory, pair, day=6)
    assert submit_checkin(factory, pair.a, pair.couple_id, now=_utc(2025, 3, 3, 0, 1)).week == CHECKIN_WEEK  # Monday
    assert submit_checkin(factory, pair.b, pair.couple_id, now=_utc(2025, 3, 8, 12)).revealed_now  # Saturday


def test_a_sunday_evening_in_tokyo_is_that_week_and_midnight_starts_the_next(factory, app):
    pair = factory.pair()
    _setup(factory, pair, tz="Asia/Tokyo")
    assert (
        submit_checkin(factory, pair.a, pair.couple_id, now=_utc(2025, 3, 9, 14, 59)).week == CHECKIN_WEEK
    )  # 23:59 Sunday
    later = submit_checkin(factory, pair.b, pair.couple_id, now=_utc(2025, 3, 9, 15, 0))  # 00:00 Monday in Tokyo
    assert later.week == date(2025, 3, 10) and not later.revealed_now
    assert [(r.user_id, r.week) for r in _rows(app, pair.couple_id)] == [
        (pair.a.id, CHECKIN_WEEK),
        (pair.b.id, later.week),
    ]


# Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("connection", "", "Choose how connected you felt, from 1 to 10."),
        ("connection", None, "Choose how connected you felt, from 1 to 10."),
        ("connection", "0", "Choose a whole number from 1 to 10 for how connected you felt."),
        ("connection", "11", "Choose a whole number from 1 to 10 for how connected you felt."),
        ("connection", "-1", "Choose a whole number from 1 to 10 for how connected you felt."),
        ("connection", "7.5", "Choose a whole number from 1 to 10 for how connected you felt."),
        ("connection", "seven", "Choose a whole number from 1 to 10 for how connected you felt."),
        ("connection", True, "Choose a whole number from 1 to 10 for how connected you felt."),
        ("safety", "   ", "Choose how safe you felt to be open, from 1 to 10."),
        ("safety", 0, "Choose a whole number from 1 to 10 for how safe you felt to be open."),
        ("safety", "100", "Choose a whole number from 1 to 10 for how safe you felt to be open."),
        ("feeling", "", "Write something first: your feeling word can't be empty."),
        ("feeling", "   ", "Write something first: your feeling word can't be empty."),
        ("feeling", "a" * 41, "Your feeling word is 41 characters; the limit is 40."),
        ("feeling", "happy!", "letters, spaces, hyphens and apostrophes only"),
        ("feeling", "10/10", "letters, spaces, hyphens and apostrophes only"),
        ("feeling", "-calm", "letters, spaces, hyphens and apostrophes only"),
        ("feeling", "<script>", "letters, spaces, hyphens and apostrophes only"),
        ("feeling", "calm\x00", "contains a character that can't be stored"),
        ("appreciation", "", "Write something first: your appreciation can't be empty."),
        ("appreciation", " \n ", "Write something first: your appreciation can't be empty."),
        ("appreciation", "x" * 501, "Your appreciation is 501 characters; the limit is 500."),
        ("appreciation", "thanks \ud800", "contains a character that can't be stored"),
        ("need", None, "Write something first: your need can't be empty."),
        ("need", "y" * 501, "Your need is 501 characters; the limit is 500."),
        ("need", "rest\x00", "contains a character that can't be stored"),
    ],
)
def test_each_field_is_checked(field, value, message):
    with pytest.raises(Invalid) as caught:
        checkins.check_values({**CHECKIN_ANSWERS, field: value})
    assert caught.value.field == field
    assert message in caught.value.message
    assert [p.field for p in caught.value.problems] == [field]


@pytest.mark.parametrize(
    "field, value, stored",
    [
        ("connection", "1", 1),
        ("connection", "10", 10),
        ("safety", 1, 1),
        ("safety", " 10 ", 10),
        ("feeling", "  calm  ", "calm"),
        ("feeling", "let-down", "let-down"),
        ("feeling", "heart\u2019s ease", "heart\u2019s ease"),
        ("feeling", "épuisé", "épuisé"),
        ("feeling", "a" * 40, "a" * 40),
        ("feeling", "a bit   lost", "a bit lost"),
        ("appreciation", "x" * 500, "x" * 500),
        ("appreciation", "  You stayed.\nThank you 💛 ", "  You stayed.\nThank you 💛 "),
        ("need", "n", "n"),
    ],
)
def test_valid_values_are_kept(field, value, stored):
    assert checkins.check_values({**CHECKIN_ANSWERS, field: value})[field] == stored


def test_every_problem_is_reported_at_once():
    with pytest.raises(Invalid) as caught:
        checkins.check_values({"connection": "", "safety": "12", "feeling": "ok", "appreciation": "", "need": "x"})
    assert [p.field for p in caught.value.problems] == ["connection", "safety", "appreciation"]


def test_the_form_comes_back_with_422_keeping_what_was_typed(factory, client, auth):
    pair = factory.pair()
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        response = client.post(
            "/checkin",
            data={"connection": "8", "safety": "", "feeling": "happy!", "appreciation": "Your patience <3", "need": ""},
        )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "Choose how safe you felt to be open, from 1 to 10." in text
    assert "letters, spaces, hyphens and apostrophes only" in text
    assert "Write something first: your need can't be empty." in text
    assert _checked(html, "connection") == "8" and _checked(html, "safety") is None
    assert 'value="happy!"' in html
    assert ">Your patience &lt;3</textarea>" in html
    assert 'aria-invalid="true"' in html
    assert _rows(client.application, pair.couple_id) == []


# Sealing ------------------------------------------------------------------------------------


def test_the_partners_check_in_is_sealed_until_both_have_answered(factory, client, auth, app):
    pair = factory.pair()
    canary = f"canary{uuid.uuid4().hex}"
    feeling_canary = "zanzibarish"
    submit_checkin(
        factory,
        pair.b,
        pair.couple_id,
        appreciation=f"B appreciates {canary}",
        need=f"B needs {canary}",
        feeling=feeling_canary,
        connection="3",
        safety="2",
    )

    with factory.session():
        seen = checkins.view(factory.load(pair.a), db.session.get(Couple, pair.couple_id), CHECKIN_WEEK)
    assert seen.partner is None and seen.partner_answered and not seen.revealed and seen.mine is None
    with factory.session():
        series = checkins.per_person(db.session.get(Couple, pair.couple_id), now=CHECKIN_SUNDAY)
        assert [(one.connection[-1], one.safety[-1]) for one in series] == [(None, None), (None, None)]
        page = checkins.overview(factory.load(pair.a), CHECKIN_SUNDAY)
    assert page.chart is None and page.earlier == [] and page.this_week.partner is None

    def responses():
        yield client.get("/checkin")
        yield client.post("/checkin", data={})
        yield client.post("/checkin", data={**CHECKIN_ANSWERS, "connection": "42"})
        yield client.post("/checkin", data={**CHECKIN_ANSWERS, "appreciation": "x" * 501})
        yield client.post("/checkin", json={"appreciation": "probe"})

    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        for response in responses():
            text = page_text(response)
            assert canary not in text and feeling_canary not in text, response.request
        first = client.get("/checkin")
        assert "Sam has checked in \u2014 your turn." in page_text(first)

        # A checks in: that reveals both, and now A sees B's words side by side with their own.
        response = client.post("/checkin", data=CHECKIN_ANSWERS, follow_redirects=True)
        text = page_text(response)
        assert canary in text and feeling_canary in text
        assert "You've both checked in." in text
    with factory.session():
        seen = checkins.view(factory.load(pair.a), db.session.get(Couple, pair.couple_id), CHECKIN_WEEK)
    assert seen.revealed and seen.partner.appreciation == f"B appreciates {canary}"


def test_my_own_check_in_is_shown_and_prefilled_while_waiting(factory, client, auth):
    pair = factory.pair()
    submit_checkin(
        factory, pair.a, pair.couple_id, appreciation="A private thank you", feeling="tender", connection="9"
    )
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        response = client.get("/checkin")
    html, text = response.get_data(as_text=True), page_text(response)
    assert "Your check-in is saved and private. Sam hasn't checked in yet" in text
    assert ">A private thank you</textarea>" in html
    assert 'value="tender"' in html
    assert _checked(html, "connection") == "9"
    assert "Update my check-in" in text


def test_the_partner_learns_only_that_i_answered(factory, client, auth):
    pair = factory.pair()
    submit_checkin(factory, pair.a, pair.couple_id, feeling="tender", connection="9", safety="4")
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.b)
        response = client.get("/checkin")
    text = page_text(response)
    assert "Alex has checked in \u2014 your turn." in text
    assert "tender" not in text and "You made tea." not in text
    assert '<svg class="chart-svg"' not in text


# One per partner per week, and locking after the reveal -----------------------------------------


def test_a_second_submission_edits_mine_until_both_have_answered(factory, app):
    pair = factory.pair()
    first = submit_checkin(factory, pair.a, pair.couple_id, feeling="tired")
    again = submit_checkin(
        factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY + timedelta(hours=3), feeling="hopeful", connection="9"
    )
    assert not first.revealed_now and not again.revealed_now
    rows = _rows(app, pair.couple_id)
    assert [(r.user_id, r.week, r.feeling, r.connection) for r in rows] == [(pair.a.id, CHECKIN_WEEK, "hopeful", 9)]


def test_after_the_reveal_both_check_ins_are_locked(factory, app, client, auth):
    pair = factory.pair()
    assert not submit_checkin(factory, pair.a, pair.couple_id, feeling="tired").revealed_now
    assert submit_checkin(factory, pair.b, pair.couple_id, feeling="calm").revealed_now
    for person in (pair.a, pair.b):
        with pytest.raises(Conflict, match="can't be changed"):
            submit_checkin(factory, person, pair.couple_id, feeling="different")
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        response = client.post("/checkin", data={**CHECKIN_ANSWERS, "feeling": "different"})
        assert response.status_code == 422
        assert "can't be changed" in page_text(response)
        assert '<form method="post" action="/checkin"' not in response.get_data(as_text=True)
    assert sorted(r.feeling for r in _rows(app, pair.couple_id)) == ["calm", "tired"]


def test_each_week_gets_its_own_check_in_and_the_database_allows_one_per_partner(factory, app):
    pair = factory.pair()
    submit_checkin(factory, pair.a, pair.couple_id)
    submit_checkin(factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY + timedelta(days=7))
    assert [r.week for r in _rows(app, pair.couple_id)] == [CHECKIN_WEEK, CHECKIN_WEEK + timedelta(days=7)]
    with pytest.raises(IntegrityError):
        with app.app_context(), writing():
            db.session.add(
                CheckIn(
                    couple_id=pair.couple_id,
                    week=CHECKIN_WEEK,
                    user_id=pair.a.id,
                    connection=1,
                    safety=1,
                    feeling="x",
                    appreciation="x",
                    need="x",
                )
            )
            db.session.commit()


def test_a_write_marks_the_couple_changed(factory, app):
    pair = factory.pair()
    with app.app_context():
        before = db.session.get(Couple, pair.couple_id).version
    submit_checkin(factory, pair.a, pair.couple_id)
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).version == before + 1


def test_strangers_and_the_unpaired_cannot_check_in_to_a_couple(factory):
    pair = factory.pair()
    stranger = factory.user("Stranger")
    with pytest.raises(NotFound):
        submit_checkin(factory, stranger, pair.couple_id)
    with factory.session(), pytest.raises(NotFound):
        checkins.view(factory.load(stranger), db.session.get(Couple, pair.couple_id), CHECKIN_WEEK)
    lonely = factory.user("Lonely")
    with factory.session():
        pairing.create_couple(factory.load(lonely))
    with factory.session():
        couple = factory.load(lonely).active_membership.couple
        with pytest.raises(Conflict, match="partner has joined"):
            checkins.submit(factory.load(lonely), couple, CHECKIN_ANSWERS, CHECKIN_SUNDAY)


# Both at the same instant -----------------------------------------------------------------------


def test_both_partners_checking_in_at_the_same_instant(factory, app):
    pairs = [factory.pair(factory.user(f"A{i}"), factory.user(f"B{i}")) for i in range(3)]
    outcomes, errors = [], []
    lock = threading.Lock()

    def submit(person_id: int, couple_id: int, barrier: threading.Barrier):
        try:
            with app.test_request_context(), writing():
                barrier.wait(timeout=30)
                user = db.session.get(User, person_id)
                outcome = checkins.submit(user, db.session.get(Couple, couple_id), CHECKIN_ANSWERS, CHECKIN_SUNDAY)
                db.session.commit()
                with lock:
                    outcomes.append((couple_id, outcome.revealed_now))
        except BaseException as error:  # collected and asserted below
            with lock:
                errors.append(error)

    for pair in pairs:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=submit, args=(p.id, pair.couple_id, barrier)) for p in (pair.a, pair.b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert not errors, errors
    for pair in pairs:
        assert sorted(revealed for couple_id, revealed in outcomes if couple_id == pair.couple_id) == [False, True]
        assert sorted(r.user_id for r in _rows(app, pair.couple_id)) == sorted([pair.a.id, pair.b.id])


# The chart's series ---------------------------------------------------------------------------


# Changed deliberately (issue 12): no couple average (it hid the gap that matters); one line per person.
def test_each_partner_has_their_own_series_with_gaps_for_unrevealed_weeks(factory):
    pair = factory.pair()
    weeks_ago = lambda n: CHECKIN_SUNDAY - timedelta(weeks=n)  # noqa: E731
    submit_checkin(factory, pair.a, pair.couple_id, now=weeks_ago(3), connection="7", safety="4")
    submit_checkin(factory, pair.b, pair.couple_id, now=weeks_ago(3), connection="8", safety="5")
    submit_checkin(factory, pair.a, pair.couple_id, now=weeks_ago(1), connection="2", safety="2")  # only one: sealed
    submit_checkin(factory, pair.a, pair.couple_id, connection="10", safety="9")
    submit_checkin(factory, pair.b, pair.couple_id, connection="6", safety="9")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        alex, sam = checkins.per_person(couple, weeks=5, now=CHECKIN_SUNDAY)
        chart = checkins.therapist_chart(couple, weeks=5, now=CHECKIN_SUNDAY)
        mine = checkins.couple_chart(factory.load(pair.a), couple, weeks=5, now=CHECKIN_SUNDAY)
    assert (alex.person.user_id, sam.person.user_id) == (pair.a.id, pair.b.id)
    assert alex.connection == (None, 7, None, None, 10) and alex.safety == (None, 4, None, None, 9)
    assert sam.connection == (None, 8, None, None, 6) and sam.safety == (None, 5, None, None, 9)
    assert [line.name for line in chart.lines] == ["Alex: connection", "Alex: safety", "Sam: connection", "Sam: safety"]
    connection = chart.lines[0]
    assert [p.value for p in connection.points] == [7, 10]
    assert len(connection.segments) == 2
    assert [r.is_gap for r in chart.rows] == [True, False, True, True, False]
    # The couple's own chart: connection for each, never safety.
    assert [line.name for line in mine.lines] == ["You", "Sam"]
    assert "safety" not in mine.title.lower() and "Safety" not in " ".join(mine.columns)


def test_history_stays_readable_after_the_couple_ends(factory, client, auth):
    pair = factory.pair()
    submit_checkin(
        factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=1), appreciation="Last week's thanks"
    )
    submit_checkin(
        factory, pair.b, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=1), appreciation="Sam's thanks"
    )
    submit_checkin(factory, pair.b, pair.couple_id, appreciation=f"sealed {uuid.uuid4().hex}", connection="1")
    with time_machine.travel(CHECKIN_SUNDAY + timedelta(days=2), tick=False), factory.session():
        pairing.leave(factory.load(pair.a))
    later = CHECKIN_SUNDAY + timedelta(weeks=3)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        alex, _ = checkins.per_person(couple, weeks=3, now=later)
        weeks = checkins.revealed(factory.load(pair.a), couple, now=later)
        with pytest.raises(Conflict, match="ended"):
            checkins.submit(factory.load(pair.b), couple, CHECKIN_ANSWERS, CHECKIN_SUNDAY)
    # The weeks run up to the week the couple ended, however much later they are read.
    assert alex.weeks == (
        CHECKIN_WEEK - timedelta(weeks=1),
        CHECKIN_WEEK,
        CHECKIN_WEEK + timedelta(weeks=1),
    )  # to the week it ended
    # Only Sam answered CHECKIN_WEEK: sealed for good, so a gap; nothing the week the couple ended.
    assert alex.connection == (7, None, None) and alex.safety == (6, None, None)
    assert [w.week for w in weeks] == [CHECKIN_WEEK - timedelta(weeks=1)]
    with time_machine.travel(later, tick=False):
        auth.login_as(pair.a)
        text = page_text(client.get("/checkin"))
        weeks = page_text(client.get("/checkin/weeks"))
        earlier = page_text(client.get("/checkin/weeks/earlier"))
    assert "Your couple has ended" in text and 'href="/checkin/weeks"' in text
    assert "Sam's thanks" in earlier and "sealed " not in earlier and "sealed " not in weeks
    assert 'role="img"' in weeks


# The page ------------------------------------------------------------------------------------


def test_the_page_names_the_check_in_day_and_takes_a_check_in_any_day(factory, client, auth):
    pair = factory.pair()
    _setup(factory, pair, day=6)
    with time_machine.travel(_utc(2025, 3, 5, 9), tick=False):
        auth.login_as(pair.a)
        response = client.get("/checkin")
        text = page_text(response)
        assert response.status_code == 200
        assert "Your check-in day is Sunday, but any day this week is fine." in text
        assert 'name="connection"' in text
        assert client.post("/checkin", data=CHECKIN_ANSWERS).status_code == 302


def test_the_page_as_a_tokyo_partner_on_a_sunday_night(factory, client, auth, app):
    pair = factory.pair()
    _setup(factory, pair, tz="Asia/Tokyo")
    with time_machine.travel(_utc(2025, 3, 9, 14, 30), tick=False):  # 23:30 Sunday in Tokyo
        auth.login_as(pair.a)
        assert 'name="connection"' in page_text(client.get("/checkin"))
        assert client.post("/checkin", data=CHECKIN_ANSWERS).status_code == 302
    with time_machine.travel(_utc(2025, 3, 9, 15, 30), tick=False):  # 00:30 Monday: a new week
        text = page_text(client.get("/checkin"))
        assert "Week of 10 Mar 2025" in text and 'name="connection"' in text
    assert [r.week for r in _rows(app, pair.couple_id)] == [CHECKIN_WEEK]


def test_the_page_form_is_accessible(factory, client, auth):
    pair = factory.pair()
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        html = client.get("/checkin").get_data(as_text=True)
    for name in ("feeling", "appreciation", "need"):
        assert f'<label for="{name}">' in html and f'id="{name}"' in html
    for name in ("connection", "safety"):
        assert len(re.findall(rf'<input[^>]*name="{name}"[^>]*type="radio"', html)) == 10
        for n in range(1, 11):
            # One label holding its radio: the whole box is the target (templates/checkins/_choices.html).
            assert (
                f'<label for="{name}-{n}"><input id="{name}-{n}" name="{name}" type="radio" value="{n}">{n}</label>'
                in html
            )
    assert "<legend>How connected did you feel this week?</legend>" in html
    levels = [int(level) for level in re.findall(r"<h([1-6])", html[html.index("<main") : html.index("</main>")])]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    # The tab bar marks the check-in tab as the current page (its icon, then its label).
    assert re.search(r'href="/checkin" aria-current="page">.*?<span>Check-in</span></a>', html, re.S)
    assert "style=" not in html


def test_the_feeling_word_never_reaches_the_chart(factory, client, auth):
    pair = factory.pair()
    submit_checkin(factory, pair.a, pair.couple_id, feeling="wistful")
    submit_checkin(factory, pair.b, pair.couple_id, feeling="luminous")
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        html = client.get("/checkin").get_data(as_text=True)
    assert "wistful" in html and "luminous" in html  # side by side
    start = html.index('<div class="chart" id="checkin-chart">')
    chart = html[start : html.index("</details>", start)]
    assert '<title id="checkin-chart-title">' in chart and '<desc id="checkin-chart-desc">' in chart
    assert "wistful" not in chart and "luminous" not in chart and "You made tea." not in chart
    assert chart.count("no check-in</td>") == 11


def test_pages_for_the_unpaired_and_for_therapists(factory, client, auth):
    single = factory.user("Single")
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(single)
        text = page_text(client.get("/checkin"))
        assert "once you're paired" in text and 'href="/couple"' in text
        response = client.post("/checkin", data=CHECKIN_ANSWERS)
        assert response.status_code == 302
        assert "once you and your partner are paired" in page_text(client.get("/checkin"))
        with factory.session():
            pairing.create_couple(factory.load(single))
        assert "Check-ins start once your partner has joined." in page_text(client.get("/checkin"))
        auth.logout()

        therapist = factory.user("Dr Lee", role="therapist")
        auth.login_as(therapist)
        # A therapist account has no partner pages: a page takes them home, anything else is a 404.
        assert client.get("/checkin").location == "/therapist/"
        assert client.post("/checkin", data=CHECKIN_ANSWERS).status_code == 404
        assert 'href="/checkin"' not in client.get("/settings", follow_redirects=True).get_data(as_text=True)
        auth.logout()
    assert client.get("/checkin").status_code in (302, 401)
