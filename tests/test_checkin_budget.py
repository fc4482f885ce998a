"""The check-in page within the 14 KB page budget, at its largest: a CSI-4 week with the low-safety note and an
error to correct, and the revealed week with both entries, the listening guidance and twelve weeks of chart.

Pages are sent uncompressed (BREACH: see the README), so the budget is on the HTML as sent. The charts of
every week, mine alone and earlier weeks moved one tap away, to /checkin/weeks.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.helpers import page_text
from tests.test_checkin_safety import SUNDAY, _couple_made, _submit

PAGE_BUDGET = 14 * 1024
# A full, ordinary entry: a sentence or two in each box (the fields take up to 500 characters each).
WORDS = "You listened when I talked about work, and you made tea without my asking. "


def _twelve_weeks(factory, pair):
    _couple_made(factory, pair, SUNDAY - timedelta(weeks=12))  # this week is a CSI-4 week
    for weeks_ago in range(12, 0, -1):
        for person, safety in ((pair.a, "2"), (pair.b, "8")):
            _submit(
                factory,
                person,
                pair.couple_id,
                SUNDAY - timedelta(weeks=weeks_ago),
                safety=safety,
                feeling="tender",
                worry=WORDS,
                appreciation=WORDS * 2,
                need=WORDS,
            )


def test_the_form_week_at_its_largest_fits_the_budget(factory, client, auth):
    pair = factory.pair()
    _twelve_weeks(factory, pair)
    with time_machine.travel(SUNDAY, tick=False):
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
        _submit(factory, person, pair.couple_id, SUNDAY, worry=WORDS, appreciation=WORDS * 2, need=WORDS)
    with time_machine.travel(SUNDAY, tick=False):
        auth.login_as(pair.a)
        page = client.get("/checkin")
    html = page.get_data(as_text=True)
    assert "You've both checked in." in html and 'id="checkin-chart"' in html  # the chart, on the reveal
    assert "How to listen to each other" in page_text(page)
    assert len(page.data) <= PAGE_BUDGET, f"the revealed check-in is {len(page.data)} bytes"
