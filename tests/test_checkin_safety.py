"""The weekly check-in made safe (issue 12): the safety score and the CSI-4 stay their person's own.

The safety score is never shown to the partner (page, JSON, export), the
person sees their own trend, the low-safety note reaches only that person,
and the CSI-4 is scored exactly as Funk & Rogge (2007) publish it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from extensions import db
from models import CheckIn, Couple
from services.checkins import checkins
from services.common.errors import Invalid
from tests.helpers import CHECKIN_ANSWERS, CHECKIN_SUNDAY, CHECKIN_WEEK, page_text, set_couple_created, submit_checkin


def _article(html: str, heading: str) -> str:
    """The <article> of a revealed week headed `heading` ("You", or the partner's name)."""
    match = re.search(rf'<article class="answer"[^>]*>\s*<h\d[^>]*>{heading}</h\d>(.*?)</article>', html, re.S)
    assert match, heading
    return match.group(1)


# The safety score ---------------------------------------------------------------------------


def test_the_partner_never_sees_my_safety_score_on_the_page_or_in_the_export(factory, client, auth):
    pair = factory.pair()
    set_couple_created(factory, pair, CHECKIN_SUNDAY - timedelta(weeks=1))  # not a CSI-4 week
    submit_checkin(factory, pair.b, pair.couple_id, safety="2", connection="8")
    submit_checkin(factory, pair.a, pair.couple_id, safety="9", connection="5")
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        html = page_text(client.get("/checkin"))
        exported = client.get("/account/export.json").get_json()
    mine, theirs = _article(html, "You"), _article(html, "Sam")
    assert "Safety" in mine and "9 of 10" in mine
    assert "Safety" not in theirs and "2 of 10" not in theirs and "8 of 10" in theirs
    # No safety chart or safety wording about the partner anywhere on the page.
    assert "2 of 10" not in html
    shared_chart = html[html.index('id="checkin-chart"') : html.index("</details>", html.index('id="checkin-chart"'))]
    assert "safety" not in shared_chart.lower()
    rows = _find_checkins(exported)
    partner_rows = [r for r in rows if r["by"] == "partner"]
    my_rows = [r for r in rows if r["by"] == "me"]
    assert partner_rows and my_rows
    assert all("safety" not in r for r in partner_rows) and my_rows[0]["safety"] == 9
    assert partner_rows[0]["connection"] == 8


def _find_checkins(node):
    """Every check-in row in an export, wherever its couple section keeps them."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "checkins" and isinstance(value, list):
                found.extend(value)
            else:
                found.extend(_find_checkins(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_find_checkins(item))
    return found


def test_the_partners_view_is_built_without_the_safety_score(factory):
    pair = factory.pair()
    submit_checkin(factory, pair.b, pair.couple_id, safety="3")
    submit_checkin(factory, pair.a, pair.couple_id, safety="8")
    with factory.session():
        week = checkins.view(factory.load(pair.a), db.session.get(Couple, pair.couple_id), CHECKIN_WEEK)
    assert week.revealed and week.mine.safety == 8 and week.partner.safety is None


def test_my_own_safety_trend_is_mine_alone(factory):
    pair = factory.pair()
    submit_checkin(
        factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=1), safety="4"
    )  # never revealed
    submit_checkin(factory, pair.a, pair.couple_id, safety="6")
    submit_checkin(factory, pair.b, pair.couple_id, safety="1")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        mine = checkins.own_chart(factory.load(pair.a), couple, weeks=3, now=CHECKIN_SUNDAY)
        theirs = checkins.own_chart(factory.load(pair.b), couple, weeks=3, now=CHECKIN_SUNDAY)
    # My own weeks, even the one only I answered; gaps as gaps.
    assert [p.value for p in mine.lines[0].points] == [4, 6] and [r.is_gap for r in mine.rows] == [True, False, False]
    assert [p.value for p in theirs.lines[0].points] == [1]


# The low-safety note ------------------------------------------------------------------------


def test_the_low_safety_note_shows_only_to_that_person(factory, client, auth, app):
    pair = factory.pair()
    for weeks_ago in (1, 0):
        when = CHECKIN_SUNDAY - timedelta(weeks=weeks_ago)
        submit_checkin(factory, pair.b, pair.couple_id, now=when, safety="3")
        submit_checkin(factory, pair.a, pair.couple_id, now=when, safety="8")
    note = "You've said for two weeks now that it hasn't felt safe to be open."
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.b)
        text = page_text(client.get("/checkin"))
        assert note in text and "Only you can see this note." in text and "/safety" in text
        auth.logout()
        auth.login_as(pair.a)
        assert note not in page_text(client.get("/checkin"))
        assert note not in json.dumps(client.get("/account/export.json").get_json())


def test_one_low_week_or_two_weeks_apart_is_not_two_weeks_running(factory):
    pair = factory.pair()
    submit_checkin(factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=2), safety="2")
    submit_checkin(factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=1), safety="7")
    submit_checkin(factory, pair.a, pair.couple_id, safety="1")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        assert not checkins.low_safety(factory.load(pair.a), couple, CHECKIN_SUNDAY)
        # Before this week's check-in, the two weeks before it count.
        assert not checkins.low_safety(factory.load(pair.a), couple, CHECKIN_SUNDAY - timedelta(weeks=1))
    submit_checkin(factory, pair.a, pair.couple_id, now=CHECKIN_SUNDAY - timedelta(weeks=1), safety="3")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        assert checkins.low_safety(factory.load(pair.a), couple, CHECKIN_SUNDAY)
        assert checkins.low_safety(factory.load(pair.a), couple, CHECKIN_SUNDAY + timedelta(days=3))
        assert not checkins.low_safety(factory.load(pair.b), couple, CHECKIN_SUNDAY)


# The CSI-4 --------------------------------------------------------------------------------

# The published key (Funk & Rogge 2007): item 1, 0 (Extremely unhappy) to 6 (Perfect); items 2-4, 0 to 5.
KEY = [
    ({"csi_happiness": 6, "csi_warm": 5, "csi_rewarding": 5, "csi_satisfied": 5}, 21),
    ({"csi_happiness": 0, "csi_warm": 0, "csi_rewarding": 0, "csi_satisfied": 0}, 0),
    ({"csi_happiness": 3, "csi_warm": 3, "csi_rewarding": 4, "csi_satisfied": 3}, 13),  # below 13.5
    ({"csi_happiness": 4, "csi_warm": 4, "csi_rewarding": 3, "csi_satisfied": 3}, 14),
]


@pytest.mark.parametrize("items, total", KEY)
def test_the_csi4_is_scored_as_published(items, total):
    assert checkins.csi_score(items) == total
    assert CheckIn(**items).csi_total == total
    assert (total < checkins.CSI_CUTOFF) == (total <= 13)


def test_the_form_labels_carry_the_published_values():
    from blueprints.checkins.forms import AMOUNT_SCALE, HAPPINESS, TRUE_SCALE

    assert [(c.value, c.label) for c in HAPPINESS][0] == ("0", "Extremely unhappy")
    assert [(c.value, c.label) for c in HAPPINESS][3] == ("3", "Happy")
    assert [(c.value, c.label) for c in HAPPINESS][-1] == ("6", "Perfect")
    assert [c.value for c in TRUE_SCALE] == [str(n) for n in range(6)] and TRUE_SCALE[-1].label == "Completely true"
    assert [c.value for c in AMOUNT_SCALE] == [str(n) for n in range(6)] and AMOUNT_SCALE[0].label == "Not at all"


@pytest.mark.parametrize(
    "items, field",
    [
        ({"csi_happiness": "7"}, "csi_happiness"),
        ({"csi_warm": "6"}, "csi_warm"),
        ({"csi_happiness": "3"}, "csi_warm"),  # all four or none
        ({"csi_rewarding": "-1"}, "csi_rewarding"),
    ],
)
def test_csi4_answers_outside_the_key_or_half_answered_are_refused(items, field):
    with pytest.raises(Invalid) as caught:
        checkins.check_values({**CHECKIN_ANSWERS, **items}, with_csi=True)
    assert field in [p.field for p in caught.value.problems]


def test_the_csi4_comes_every_fourth_week_and_is_mine_unless_i_share_it(factory, client, auth):
    pair = factory.pair()
    set_couple_created(factory, pair, CHECKIN_SUNDAY - timedelta(weeks=4))  # this week is the fifth: a CSI-4 week
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        assert checkins.csi_due(couple, CHECKIN_WEEK)
        assert [checkins.csi_due(couple, CHECKIN_WEEK + timedelta(weeks=n)) for n in range(1, 5)] == [
            False,
            False,
            False,
            True,
        ]
    items = {"csi_happiness": "2", "csi_warm": "3", "csi_rewarding": "2", "csi_satisfied": "1"}  # 8
    submit_checkin(factory, pair.b, pair.couple_id, **items)
    submit_checkin(factory, pair.a, pair.couple_id, **{**items, "csi_happiness": "5", "csi_shared": "y"})  # 11, shared
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        html = page_text(client.get("/checkin"))
        own_charts = page_text(client.get("/checkin/weeks/csi-4"))
        exported = json.dumps(client.get("/account/export.json").get_json())
        auth.logout()
        auth.login_as(pair.b)
        b_html = page_text(client.get("/checkin"))
    # A sees their own score and trend; not Sam's (unshared).
    assert "11 of 21" in _article(html, "You") and "of 21" not in _article(html, "Sam")
    assert 'id="own-csi-chart"' in own_charts  # two taps from the check-in: Over the weeks, Your CSI-4
    assert '"total": 8' not in exported
    # Sam sees A's score, because A chose to share it, and their own.
    assert "11 of 21" in _article(b_html, "Alex") and "8 of 21" in _article(b_html, "You")
    with factory.session():
        series = checkins.csi_series(pair.b.id, db.session.get(Couple, pair.couple_id), now=CHECKIN_SUNDAY)
    assert [(p.week, p.total) for p in series] == [(CHECKIN_WEEK - timedelta(weeks=4), None), (CHECKIN_WEEK, 8)]


def test_outside_a_csi4_week_the_questions_are_not_asked(factory, client, auth):
    pair = factory.pair()
    set_couple_created(factory, pair, CHECKIN_SUNDAY - timedelta(weeks=1))
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        assert 'name="csi_happiness"' not in client.get("/checkin").get_data(as_text=True)
        client.post("/checkin", data={**CHECKIN_ANSWERS, "csi_happiness": "6", "csi_warm": "5"})
    with factory.session():
        row = db.session.query(CheckIn).one()
        assert row.csi_total is None and row.csi_happiness is None


# The worry, the guidance, the day -------------------------------------------------------


def test_the_worry_is_optional_sealed_then_shared_with_listening_guidance(factory, client, auth):
    pair = factory.pair()
    submit_checkin(factory, pair.b, pair.couple_id, worry="That the trip brings it all back.")
    submit_checkin(factory, pair.a, pair.couple_id)  # no worry: fine
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        html = page_text(client.get("/checkin"))
    assert "That the trip brings it all back." in _article(html, "Sam")
    assert "How to listen to each other's week" in html and "Try to avoid" in html


def test_the_couple_chooses_the_check_in_day_in_settings(factory, client, auth, app):
    pair = factory.pair()
    auth.login_as(pair.a)
    assert 'name="checkin_day"' in client.get("/settings/schedule").get_data(as_text=True)
    assert client.post("/settings/checkin-day", data={"checkin_day": "2"}).status_code == 302
    assert client.post("/settings/checkin-day", data={"checkin_day": "9"}).status_code == 302
    with factory.session():
        assert db.session.get(Couple, pair.couple_id).checkin_day == 2
    assert "Your check-in day is Wednesday" in page_text(client.get("/checkin"))


# The therapist --------------------------------------------------------------------------------


def test_a_therapist_sees_each_partners_series_only_within_progress_scope(app, factory):
    from services.moments import reassurance
    from services.therapist import links
    from tests.helpers import PASSWORD

    pair = factory.pair()
    therapist = factory.user("Dr Lee", role="therapist")
    submit_checkin(factory, pair.a, pair.couple_id, now=datetime.now(UTC), safety="2")
    submit_checkin(factory, pair.b, pair.couple_id, now=datetime.now(UTC), safety="9")
    with factory.session():
        request_id = reassurance.send(factory.load(pair.a), "SECRET-LINE about the trip").id
    with factory.session():
        reassurance.reply(factory.load(pair.b), request_id, words="REPLY-SECRET I'm on my way")
    with factory.session():
        code = links.link_code(factory.load(therapist))
    with factory.session():
        link_id = links.link_by_code(factory.load(pair.a), code).id
    with factory.session():
        links.consent(factory.load(pair.a), link_id, "progress")
    doctor = app.test_client()
    doctor.post("/login", data={"email": therapist.email, "password": PASSWORD})
    waiting = page_text(doctor.get(f"/therapist/couples/{link_id}"))
    assert "Alex: safety" not in waiting and "Reassurance requests" not in waiting
    assert doctor.get(f"/therapist/couples/{link_id}/export.json").status_code == 404
    with factory.session():
        links.consent(factory.load(pair.b), link_id, "progress")
    page = page_text(doctor.get(f"/therapist/couples/{link_id}"))
    assert "Alex: safety" in page and "Sam: safety" in page and "CSI-4" in page
    exported = doctor.get(f"/therapist/couples/{link_id}/export.json").get_json()
    by_partner = {one["partner"]: one["weeks"][-1]["safety"] for one in exported["checkins"]}
    assert by_partner == {"Alex": 2, "Sam": 9}
    assert exported["reassurance_requests_per_week"][-1] == {
        "week": exported["reassurance_requests_per_week"][-1]["week"],
        "sent": 1,
        "answered": 1,
    }
    assert "SECRET-LINE" not in page, "the line"
    assert "SECRET-LINE" not in json.dumps(exported), "the line in the export"
    assert "REPLY-SECRET" not in page and "REPLY-SECRET" not in json.dumps(exported), "the reply"
