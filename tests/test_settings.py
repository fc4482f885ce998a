"""Settings: the time-zone picker, the section pages and their size, toggles saved on change, the access log."""

from __future__ import annotations

import pytest

from extensions import db
from models import Couple
from services.delivery import clock
from tests.helpers import page_text


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
