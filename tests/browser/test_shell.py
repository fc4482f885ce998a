"""The app shell in a real browser: the tab bar, every main screen light and dark at phone and desktop
widths (axe at zero, screenshots for the README), nothing wider than a 360px phone, and the taps the
daily loop costs.

The couple is seeded with the Factory: one conversation both felt heard in (complete), one revealed
and waiting for reflections, and one open prompt Alex has answered (Sam's turn).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from extensions import db
from models import PromptInstance
from services.conversation import conversation
from tests.browser.conftest import (
    ARTIFACTS,
    PHONE,
    assert_accessible,
    log_in,
    no_horizontal_overflow,
    save_screenshot,
    watch,
)
from tests.helpers import Factory

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
DOCS = ARTIFACTS.parent / "docs"
ANSWERS = {
    "a": "I felt close to you on Sunday, when we walked by the harbour and you held my hand.",
    "b": "I felt looked after when you made tea this morning. It's a small thing, and it mattered.",
}


@dataclass
class Seeded:
    factory: Factory
    pair: object
    complete: int
    revealed: int
    open: int


def _deliver(factory: Factory, pair) -> int:
    """Deliver the couple's next prompt now, by the scheduler, and return its id."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from jobs import scheduler
    from models import Couple

    due = datetime.now(UTC) - timedelta(minutes=1)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at, couple.delivery_time = due, due.time()
    assert scheduler.tick(factory.app)["delivered"] == 1
    with factory.session():
        return db.session.scalar(
            sa.select(PromptInstance.id)
            .where(PromptInstance.couple_id == pair.couple_id)
            .order_by(PromptInstance.id.desc())
        )


def _listen(factory: Factory, listener, speaker, instance_id: int, body: str, response: str = "heard") -> None:
    with factory.session():
        reflection = conversation.reflect(factory.load(listener), instance_id, body)
        reflection_id = reflection.id
    if response:
        with factory.session():
            conversation.respond(factory.load(speaker), instance_id, reflection_id, response)


@pytest.fixture
def seeded(live_server) -> Seeded:
    factory = Factory(live_server.app)
    pair = factory.pair()
    complete = factory.reveal(pair, ANSWERS["a"], ANSWERS["b"])
    _listen(factory, pair.a, pair.b, complete, "It sounds like the tea this morning made you feel cared for.")
    _listen(factory, pair.b, pair.a, complete, "It sounds like Sunday by the harbour felt close for you.")
    revealed = _deliver(factory, pair)
    factory.answer(pair.a, revealed, "I felt unsure last week when plans changed without a word.")
    factory.answer(pair.b, revealed, "I felt hopeful when you asked me how my day had been.")
    _listen(factory, pair.b, pair.a, revealed, "You felt unsure when plans changed, and you'd like a word first.", None)
    open_ = _deliver(factory, pair)
    factory.answer(pair.a, open_, "I felt proud of us when we talked it through.")
    return Seeded(factory, pair, complete, revealed, open_)


def open_device(browser, kind: str, scheme: str):
    options = dict(PHONE if kind == "phone" else DESKTOP, color_scheme=scheme)
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    from tests.browser.conftest import Phone

    return watch(Phone(context, context.new_page()), f"{kind} {scheme}")


@pytest.mark.parametrize("kind", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_screens_pass_axe_and_are_photographed(live_server, browser, seeded, kind, scheme):
    base, pair = live_server.url, seeded.pair
    device = open_device(browser, kind, scheme)
    page = device.page
    try:
        log_in(page, base, pair.b.email)
        tabs = page.get_by_role("navigation", name="Main")
        expect(tabs.get_by_role("link")).to_have_count(5)
        expect(tabs.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("link", name="Leave quickly")).to_be_visible()
        screens = [
            ("today", "/today"),
            ("reveal", f"/prompts/{seeded.revealed}"),
            ("complete", f"/prompts/{seeded.complete}"),
            ("history", "/history"),
            ("settings", "/settings"),
            ("more", "/more"),
            ("us", "/couple"),
            ("checkin", "/checkin"),
        ]
        for name, path in screens:
            page.goto(base + path)
            assert_accessible(page, f"{name} ({kind}, {scheme})")
            no_horizontal_overflow(page, f"{name} ({kind}, {scheme})")
            save_screenshot(page, f"screenshot-{name}-{kind}-{scheme}.png")
        device.assert_no_problems()
    finally:
        device.context.close()
    if kind == "phone":
        DOCS.mkdir(exist_ok=True)
        for name in ("today", "reveal", "complete", "history", "settings"):
            shutil.copy(ARTIFACTS / f"screenshot-{name}-phone-{scheme}.png", DOCS / f"screenshot-{name}-{scheme}.png")


def test_no_page_scrolls_sideways_at_360px(live_server, browser, seeded):
    base, pair = live_server.url, seeded.pair
    context = browser.new_context(**dict(PHONE, viewport={"width": 360, "height": 740}))
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for path in ("/", "/login", "/register", "/safety"):
            page.goto(base + path)
            no_horizontal_overflow(page, f"{path} at 360px")
        log_in(page, base, pair.a.email)
        for path in (
            "/today",
            f"/prompts/{seeded.open}",
            f"/prompts/{seeded.revealed}",
            f"/prompts/{seeded.complete}",
            "/history",
            "/checkin",
            "/couple",
            "/more",
            "/settings",
            "/settings/schedule",
            "/settings/pace",
            "/settings/notifications",
            "/settings/therapists",
            "/settings/account",
            "/account",
            "/path",
            "/repair",
            "/journal",
        ):
            response = page.goto(base + path)
            assert response is not None and response.status < 400, (path, response and response.status)
            no_horizontal_overflow(page, f"{path} at 360px")
    finally:
        context.close()


class Taps:
    """Every tap the person makes, counted: typing is not a tap, and a notification opening a page is one."""

    def __init__(self):
        self.count = 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()


# The daily loop, for the partner who answers second, counted by one rule (a tap is a click or a
# notification opened; typing is not): open the notification (1), tap the answer box (2), tap "Save and
# reveal both" (3: the reveal is the page that follows), tap a sentence starter (4: it focuses the
# reflection box, which sits right under the partner's answer), tap "Share my reflection" (5); later,
# open the notification (6) and tap "I feel heard" (7). By the same rule the old pages took 8 (a radio,
# then Send), after scrolling past the 911px guidance block to reach the box.
DAILY_LOOP_TAPS = 7


def test_the_daily_loop_takes_seven_taps(live_server, browser, seeded):
    base, pair, factory = live_server.url, seeded.pair, seeded.factory
    device = open_device(browser, "phone", "light")
    page, taps = device.page, Taps()
    try:
        log_in(page, base, pair.b.email)
        page.goto(base + f"/prompts/{seeded.open}")  # the notification opens the prompt itself
        taps.count += 1
        box = page.get_by_label("Your answer")
        taps.tap(box)
        box.press_sequentially("I felt proud too, and a little shy saying it.")
        taps.tap(page.get_by_role("button", name="Save and reveal both"))
        expect(page.locator(".answer-partner .answer-body")).to_have_text(
            "I felt proud of us when we talked it through."
        )
        listening = page.locator("#listening")
        taps.tap(listening.locator("button.starter").first)
        expect(listening.get_by_label("What you heard")).to_be_focused()
        listening.get_by_label("What you heard").press_sequentially(" talking it through made you proud of us.")
        taps.tap(listening.get_by_role("button", name="Share my reflection"))
        expect(page.get_by_text("Reflection shared.")).to_be_visible()

        _listen(factory, pair.a, pair.b, seeded.open, "It sounds like saying it felt a little shy.", None)
        page.reload()  # the notification of Alex's reflection opens this same prompt
        taps.count += 1
        taps.tap(page.locator("#being-heard").get_by_role("button", name="I feel heard"))
        expect(page.get_by_text("Thank you for letting them know.")).to_be_visible()
        expect(page.get_by_text("You said you feel heard.")).to_be_visible()
        assert taps.count == DAILY_LOOP_TAPS, f"the daily loop took {taps.count} taps, designed for {DAILY_LOOP_TAPS}"
        device.assert_no_problems()
    finally:
        device.context.close()


def test_the_phones_time_zone_is_offered_once_and_kept(live_server, browser, seeded):
    base, pair = live_server.url, seeded.pair
    context = browser.new_context(**PHONE, timezone_id="Europe/Lisbon")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, base, pair.a.email)
        card = page.locator("form.tz-check")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Europe/Lisbon")
        assert_accessible(page, "today with the time zone step")
        card.get_by_role("button", name="Use my phone's time zone").click()
        expect(page.get_by_text("Your time zone is now Europe/Lisbon.")).to_be_visible()
        expect(page.locator("form.tz-check")).to_be_hidden()
        page.reload()
        expect(page.locator("form.tz-check")).to_be_hidden()
    finally:
        context.close()
