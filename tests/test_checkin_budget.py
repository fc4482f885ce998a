"""The check-in page within the 14 KB page budget, at its largest: a CSI-4 week with the low-safety note and an
error to correct, and the revealed week with both entries, the listening guidance and twelve weeks of chart.

Pages are sent uncompressed (BREACH: see the README), so the budget is on the HTML as sent. The charts of
every week, mine alone and earlier weeks moved one tap away, to /checkin/weeks; there each part is its own page
(our chart, my safety, my CSI-4, the earlier weeks four a page), within the budget at a year of history.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import time_machine

from services.checkins import checkins
from tests.helpers import CHECKIN_SUNDAY, CHECKIN_WEEK, page_text, set_couple_created, submit_checkin

PAGE_BUDGET = 14 * 1024
# A full, ordinary entry: a sentence or two in each box (the fields take up to 500 characters each).
WORDS = "You listened when I talked about work, and you made tea without my asking. "


def _twelve_weeks(factory, pair):
    set_couple_created(factory, pair, CHECKIN_SUNDAY - timedelta(weeks=12))  # this week is a CSI-4 week
    for weeks_ago in range(12, 0, -1):
        for person, safety in ((pair.a, "2"), (pair.b, "8")):
            submit_checkin(
                factory,
                person,
                pair.couple_id,
                CHECKIN_SUNDAY - timedelta(weeks=weeks_ago),
                safety=safety,
                feeling="tender",
                worry=WORDS,
                appreciation=WORDS * 2,
                need=WORDS,
            )


def test_the_form_week_at_its_largest_fits_the_budget(factory, client, auth):
    pair = factory.pair()
    _twelve_weeks(factory, pair)
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        refused = client.post("/checkin", data={"feeling": "x" * 41, "appreciation": WORDS * 2, "csi_warm": "3"})
        weeks = client.get("/checkin/weeks")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Looking after yourself" in html and 'name="csi_happiness"' in html  # the note, and the CSI-4
    assert 'class="error"' in html and WORDS.strip() in page_text(refused)  # what was typed is kept
    assert len(refused.data) <= PAGE_BUDGET, f"the check-in form is {len(refused.data)} bytes"
    # Nothing is lost: the charts and the earlier weeks are one tap away.
    assert 'href="/checkin/weeks"' in html
    assert weeks.status_code == 200 and 'id="checkin-chart"' in weeks.get_data(as_text=True)


def test_the_revealed_week_fits_the_budget_with_its_chart(factory, client, auth):
    pair = factory.pair()
    _twelve_weeks(factory, pair)
    for person in (pair.a, pair.b):
        submit_checkin(factory, person, pair.couple_id, CHECKIN_SUNDAY, worry=WORDS, appreciation=WORDS * 2, need=WORDS)
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        page = client.get("/checkin")
    html = page.get_data(as_text=True)
    assert "You've both checked in." in html and 'id="checkin-chart"' in html  # the chart, on the reveal
    assert "How to listen to each other" in page_text(page)
    assert len(page.data) <= PAGE_BUDGET, f"the revealed check-in is {len(page.data)} bytes"


# Over the weeks: each part is its own page, the earlier weeks a few a page ------------------------

YEAR = 52
CSI = {"csi_happiness": "4", "csi_warm": "3", "csi_rewarding": "3", "csi_satisfied": "3"}
WEEKS_PARTS = ("/checkin/weeks", "/checkin/weeks/safety", "/checkin/weeks/csi-4", "/checkin/weeks/earlier")


def _a_year(factory, pair, sealed=()):
    """A year of weekly check-ins from both (the CSI-4 every fourth week), this week included.

    In the weeks `sealed` (weeks ago) only Alex answers, with words that must never show.
    """
    set_couple_created(
        factory, pair, CHECKIN_SUNDAY - timedelta(weeks=YEAR)
    )  # so this week, and every fourth, is a CSI-4 week
    for weeks_ago in range(YEAR, -1, -1):
        when = CHECKIN_SUNDAY - timedelta(weeks=weeks_ago)
        csi = CSI if weeks_ago % 4 == 0 else {}
        if weeks_ago in sealed:
            submit_checkin(factory, pair.a, pair.couple_id, when, appreciation=f"sealed week {weeks_ago}", **csi)
            continue
        for person, safety in ((pair.a, "2"), (pair.b, "9")):
            submit_checkin(factory, person, pair.couple_id, when, safety=safety, feeling="tender", worry=WORDS,
                    appreciation=WORDS * 2, need=WORDS, **csi)  # fmt: skip


def _pages(client, path="/checkin/weeks/earlier"):
    """Every page of earlier weeks, following the "Earlier weeks" links from the first."""
    pages = []
    while path:
        response = client.get(path)
        assert response.status_code == 200, path
        pages.append(response)
        next_link = re.search(r'<a href="([^"]+)" rel="next">Earlier weeks</a>', response.get_data(as_text=True))
        path = next_link and next_link.group(1)
    return pages


def test_over_the_weeks_at_a_year_fits_the_budget(factory, client, auth):
    pair = factory.pair()
    _a_year(factory, pair)
    with time_machine.travel(CHECKIN_SUNDAY, tick=False):
        auth.login_as(pair.a)
        parts = {path: client.get(path) for path in WEEKS_PARTS}
        earlier = _pages(client)
    for chart_id, path in zip(("checkin-chart", "own-safety-chart", "own-csi-chart"), WEEKS_PARTS, strict=False):
        html = parts[path].get_data(as_text=True)
        assert parts[path].status_code == 200 and f'id="{chart_id}"' in html, path
        assert "<table>" in html and "Show the numbers" in html  # each chart keeps its numbers as a table
        assert "12 of 12 have values" in html  # twelve weeks (twelve CSI-4 weeks) of chart, as before
        # One tap between the parts: each page links to every other.
        assert all(f'href="{other}"' in html for other in WEEKS_PARTS)
    assert len(earlier) == -(-YEAR // checkins.EARLIER_PER_PAGE)  # this week is on /checkin, not here
    for response in (*parts.values(), *earlier):
        assert len(response.data) <= PAGE_BUDGET, f"{response.request.full_path} is {len(response.data)} bytes"


def test_paging_shows_every_revealed_week_once_and_nothing_sealed(factory, client, auth):
    pair = factory.pair()
    sealed = {3, 17, 30}
    _a_year(factory, pair, sealed)
    revealed = {CHECKIN_WEEK - timedelta(weeks=n) for n in range(1, YEAR + 1)} - {
        CHECKIN_WEEK - timedelta(weeks=n) for n in sealed
    }
    for person, own_safety, partners_safety in ((pair.a, "2 of 10", "9 of 10"), (pair.b, "9 of 10", "2 of 10")):
        with time_machine.travel(CHECKIN_SUNDAY, tick=False):
            auth.login_as(person)
            pages = _pages(client)
            auth.logout()
        texts = [page_text(page) for page in pages]
        shown = [week for html in texts for week in re.findall(r'id="week-(\d{4}-\d\d-\d\d)-title"', html)]
        # Every revealed week before this one, once, newest first; no sealed week, not this week.
        assert len(shown) == len(set(shown)) == len(revealed)
        assert {date.fromisoformat(w) for w in shown} == revealed and shown == sorted(shown, reverse=True)
        everything = "".join(texts)
        assert "sealed week" not in everything  # a week only one of them answered stays sealed
        assert own_safety in everything and partners_safety not in everything  # the safety score is mine alone
        # Out of range or not a number: a 404, never a 500 or an empty page.
        for bad in ("0", "-1", "x", "1.5", "²", str(len(pages) + 1), "9" * 5000):
            with time_machine.travel(CHECKIN_SUNDAY, tick=False):
                auth.login_as(person)
                assert client.get(f"/checkin/weeks/earlier?page={bad}").status_code == 404, bad
                auth.logout()
