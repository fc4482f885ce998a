"""Settings in a real browser at 390x844: the short index, every section page (axe at zero, nothing wider
than the phone, a screenshot each), a switch saved the moment it changes, and the time-zone picker offering
the phone's own zone. The phone is in Paris; Attune still thinks Alex is on UTC.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import User
from tests.browser.conftest import PHONE, assert_accessible, log_in, no_horizontal_overflow, save_screenshot, watch
from tests.helpers import Factory

pytestmark = pytest.mark.browser

SECTIONS = [
    ("Schedule", "schedule"),
    ("Pace and pauses", "pace"),
    ("Notifications", "notifications"),
    ("Therapist", "therapists"),
    ("Account", "account"),
]


def _user(factory: Factory, person) -> User:
    with factory.session():
        user = factory.load(person)
        db.session.expunge(user)
        return user


@pytest.fixture
def paris_phone(browser):
    from tests.browser.conftest import Phone

    context = browser.new_context(**PHONE, timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    device = watch(Phone(context, context.new_page()), "Paris phone")
    yield device
    context.close()


def test_settings_is_a_short_list_of_small_sections_each_accessible(live_server, paris_phone):
    base, page = live_server.url, paris_phone.page
    pair = Factory(live_server.app).pair()
    log_in(page, base, pair.a.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    page.get_by_role("link", name=re.compile(r"^Settings")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    menu = page.locator("main ul.menu > li > a")
    expect(menu).to_have_count(len(SECTIONS))
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 844, "the index scrolls"
    assert_accessible(page, "settings index")
    save_screenshot(page, "settings-index.png")
    for title, slug in SECTIONS:
        page.get_by_role("link", name=re.compile(rf"^{title}")).click()
        expect(page).to_have_url(f"{base}/settings/{slug}")
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert_accessible(page, f"settings: {title}")
        no_horizontal_overflow(page, f"settings: {title}")
        save_screenshot(page, f"settings-{slug}.png", full_page=True)
        page.get_by_role("link", name="Settings", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    paris_phone.assert_no_problems()


def test_a_switch_is_saved_the_moment_it_changes(live_server, paris_phone):
    base, page = live_server.url, paris_phone.page
    factory = Factory(live_server.app)
    pair = factory.pair()
    assert _user(factory, pair.a).notify_reveal
    log_in(page, base, pair.a.email)
    page.goto(base + "/settings/notifications")
    switches = page.locator("form[data-save-quietly]")
    expect(switches.get_by_role("button", name="Save", exact=True)).to_be_hidden()  # no Save needed with script
    page.evaluate("() => { window.stillHere = true; }")
    page.get_by_label("Our answers are revealed").uncheck()
    status = switches.get_by_role("status")
    expect(status).to_have_text("Saved.")
    expect(status).to_be_in_viewport()  # in sight, above the tab bar, without scrolling to the end of the form
    assert page.evaluate("() => window.stillHere === true"), "the page reloaded"
    expect(page.locator(".flashes .flash")).to_have_count(0)  # a quiet line, not a banner
    assert not _user(factory, pair.a).notify_reveal
    assert _user(factory, pair.a).notify_new_prompt  # the others are as they were
    assert_accessible(page, "notifications after a switch saved")
    save_screenshot(page, "settings-switch-saved.png")

    # Depth, a choice of three, saves the same way.
    page.goto(base + "/settings/pace")
    page.get_by_label(re.compile(r"^Medium")).check()
    expect(page.locator("form[data-save-quietly]").get_by_role("status")).to_contain_text("Saved.")
    assert _user(factory, pair.a).max_depth == 2
    paris_phone.assert_no_problems()


def test_without_script_the_save_button_still_saves(live_server, browser):
    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair()
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, base, pair.a.email)
        page.goto(base + "/settings/notifications")
        page.get_by_label("Our answers are revealed").uncheck()
        page.locator("form[data-save-quietly]").get_by_role("button", name="Save", exact=True).click()
        expect(page).to_have_url(base + "/settings/notifications")
        expect(page.get_by_text("Saved.")).to_be_visible()
        assert not _user(factory, pair.a).notify_reveal
    finally:
        context.close()


def test_the_zone_picker_offers_the_phones_zone_first_and_refuses_a_made_up_one(live_server, paris_phone):
    base, page = live_server.url, paris_phone.page
    factory = Factory(live_server.app)
    pair = factory.pair()
    log_in(page, base, pair.a.email)
    page.goto(base + "/settings/notifications")
    zone = page.get_by_label("My time zone")
    expect(zone).to_have_value("UTC")
    # Every zone the browser knows is suggested, the phone's own first.
    options = page.locator("#my-timezone-zones option")
    expect(options.first).to_have_attribute("value", "Europe/Paris")
    assert options.count() > 300
    use = page.get_by_role("button", name="Use my phone's zone: Europe/Paris")
    expect(use).to_be_visible()
    assert_accessible(page, "zone picker offering the phone's zone")
    page.locator("#my-timezone").scroll_into_view_if_needed()
    save_screenshot(page, "settings-zone-picker.png")
    use.click()
    expect(zone).to_have_value("Europe/Paris")
    expect(use).to_be_hidden()
    page.get_by_role("button", name="Save quiet hours").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    assert _user(factory, pair.a).timezone == "Europe/Paris"

    # A zone that doesn't exist: refused beside the field, and what was typed is still there to correct.
    zone = page.get_by_label("My time zone")
    zone.fill("Mars/Olympus")
    page.get_by_role("button", name="Save quiet hours").click()
    expect(zone).to_have_value("Mars/Olympus")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#my-timezone-error")).to_contain_text("We don't know the time zone \u201cMars/Olympus\u201d")
    assert "my-timezone-error" in (zone.get_attribute("aria-describedby") or "").split()
    assert_accessible(page, "zone picker refusing a made-up zone")
    save_screenshot(page, "settings-zone-refused.png")
    assert _user(factory, pair.a).timezone == "Europe/Paris"
    # A city alone is enough.
    zone.fill("tokyo")
    page.get_by_role("button", name="Save quiet hours").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    assert _user(factory, pair.a).timezone == "Asia/Tokyo"
