"""The whole first run at 390x844, axe on every step: Alex on an Android phone sets up the couple's zone and
time and turns notifications on; Sam, on an iPhone in Safari, sees what Alex chose, keeps it, and gets the Add
to Home Screen steps instead of a button that could not work there.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Couple, User
from tests.browser.conftest import (
    FAKE_PUSH_SERVICE,
    IPHONE_SAFARI,
    PHONE,
    Phone,
    check_page,
    log_in,
    save_screenshot,
    watch,
)
from tests.helpers import Factory

pytestmark = pytest.mark.browser


def intake(page, base):
    page.goto(base + "/start/pace")
    expect(page.get_by_text("Step 1 of 4", exact=True)).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Done").click()
    expect(page).to_have_url(base + "/start/time-zone")


def test_the_whole_first_run_on_two_phones(live_server, browser):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    contexts = []
    try:
        # --- Alex, on an Android phone in Paris -----------------------------------------------------------
        context = browser.new_context(**PHONE, timezone_id="Europe/Paris")
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.add_init_script(FAKE_PUSH_SERVICE)
        alex = watch(Phone(context, context.new_page()), "Alex")
        page = alex.page
        log_in(page, base, pair.a.email)
        intake(page, base)

        expect(page.get_by_text("Step 2 of 4")).to_be_visible()
        zone = page.get_by_role("combobox", name="Time zone")
        expect(zone).to_have_value("Europe/Paris")  # filled in from the phone
        expect(page.get_by_label("Use it for our prompts too")).to_be_checked()
        check_page(page, "first run: time zone")
        save_screenshot(page, "first-run-timezone.png", full_page=True)
        page.get_by_role("button", name="That's right").click()

        expect(page).to_have_url(base + "/start/schedule")
        expect(page.get_by_text("Step 3 of 4")).to_be_visible()
        expect(page.get_by_text("Right now: 19:00, every day (Europe/Paris time), for you both.")).to_be_visible()
        check_page(page, "first run: time and days")
        save_screenshot(page, "first-run-schedule.png", full_page=True)
        page.get_by_label("Time of day").fill("08:30")
        page.get_by_label("Weekdays (Monday to Friday)").check()
        page.get_by_role("button", name="Save for us both").click()

        expect(page).to_have_url(base + "/start/notifications")
        expect(page.get_by_text("Step 4 of 4")).to_be_visible()
        expect(page.get_by_text("when a new prompt arrives (08:30, on weekdays)")).to_be_visible()
        expect(page.locator("#push-ios-help")).to_be_hidden()
        check_page(page, "first run: notifications")
        save_screenshot(page, "first-run-notifications.png", full_page=True)
        context.grant_permissions(["notifications"], origin=base)
        page.get_by_role("button", name="Turn on notifications").click()
        expect(page.get_by_text("Notifications are on for this phone.")).to_be_visible()  # reloaded with the device
        subscribe = json.loads(page.evaluate("() => sessionStorage.getItem('test:subscribe')"))
        assert subscribe["userVisibleOnly"] is True
        check_page(page, "first run: notifications on")
        page.get_by_role("button", name="Done").click()
        expect(page).to_have_url(base + "/today")
        expect(page.get_by_text("You're all set.")).to_be_visible()
        alex.assert_no_problems()

        # --- Sam, on an iPhone in Safari, in New York --------------------------------------------------------
        context = browser.new_context(**PHONE, timezone_id="America/New_York", user_agent=IPHONE_SAFARI)
        contexts.append(context)
        context.set_default_timeout(10_000)
        sam = watch(Phone(context, context.new_page()), "Sam")
        page = sam.page
        log_in(page, base, pair.b.email)
        intake(page, base)
        expect(page.get_by_role("combobox", name="Time zone")).to_have_value("America/New_York")
        expect(page.get_by_label("Use it for our prompts too")).to_have_count(0)  # Alex set the couple's
        expect(page.get_by_text("Your prompts arrive on Europe/Paris time.")).to_be_visible()
        check_page(page, "first run: time zone, second partner")
        page.get_by_role("button", name="That's right").click()

        expect(page.get_by_text("Right now: 08:30, on weekdays (Europe/Paris time), for you both.")).to_be_visible()
        expect(page.get_by_text("It changes for Alex too")).to_be_visible()
        check_page(page, "first run: time and days, second partner")
        save_screenshot(page, "first-run-schedule-second.png", full_page=True)
        page.get_by_role("button", name="Keep it as it is").click()

        expect(page).to_have_url(base + "/start/notifications")
        expect(page.locator("#push-ios-help")).to_be_visible()
        expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
        expect(page.locator("#push-ios-help").get_by_text("Add to Home Screen", exact=True)).to_be_visible()
        expect(page.locator("#install-hint")).to_be_hidden()  # the same steps are said once, here
        check_page(page, "first run: notifications on an iPhone")
        save_screenshot(page, "first-run-iphone.png", full_page=True)
        page.get_by_role("button", name="Not now").click()
        expect(page).to_have_url(base + "/today")
        expect(page.locator("#install-hint")).to_be_hidden()  # "Not now" holds: nothing asks again later
        sam.assert_no_problems()
    finally:
        for context in contexts:
            context.close()

    with live_server.app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert (couple.timezone, couple.delivery_time.strftime("%H:%M"), couple.cadence) == (
            "Europe/Paris",
            "08:30",
            "weekdays",
        )
        assert db.session.get(User, pair.a.id).timezone == "Europe/Paris"
        assert db.session.get(User, pair.b.id).timezone == "America/New_York"
