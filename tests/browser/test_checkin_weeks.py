"""Over the weeks in Chromium at phone size: from the weekly check-in to our chart, my safety, my CSI-4 and the
earlier weeks page by page, all by their links, each screen through axe; then the same pages as the partner, where
none of the other's private parts show (the safety score, an unshared CSI-4, a week only one of them answered).

Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from extensions import db
from models import Couple
from services.checkins import checkins
from tests.browser.conftest import check_page, log_in, save_screenshot
from tests.helpers import Factory

pytestmark = pytest.mark.browser

# Check-ins in each of the ten weeks before this one: with one of them sealed, the nine revealed weeks fill
# three pages of earlier weeks (four, four, one).
WEEKS = 10
SEALED = 6  # weeks ago: only Alex answered, so that week is on neither partner's earlier weeks
# The couple was made twelve weeks ago, so 12, 8, 4 and 0 weeks ago are CSI-4 weeks.
MADE = 12
CSI_WEEKS = (8, 4)
# Alex's CSI-4 (6 + 5 + 5 + 3 = 19), kept private; Sam's (2 + 2 + 2 + 1 = 7), shared.
ALEX_CSI = {"csi_happiness": "6", "csi_warm": "5", "csi_rewarding": "5", "csi_satisfied": "3"}
SAM_CSI = {"csi_happiness": "2", "csi_warm": "2", "csi_rewarding": "2", "csi_satisfied": "1", "csi_shared": "y"}
# Words only Alex has written, in weeks Sam has not answered: they must never reach Sam.
SEALED_CANARY = "canary-sealed-week-7f3a: the lift at work"
THIS_WEEK_CANARY = "canary-this-week-c41d: the phone call"


def alex_values(weeks_ago: int) -> tuple[int, int]:
    """(connection, safety) for Alex: connection 5-6, safety 2-3, values Sam's never take."""
    return 5 + weeks_ago % 2, 2 + weeks_ago % 2


def sam_values(weeks_ago: int) -> tuple[int, int]:
    """(connection, safety) for Sam: connection 7-8, safety 9-10."""
    return 7 + weeks_ago % 2, 9 + weeks_ago % 2


@dataclass(frozen=True)
class Seeded:
    this_week: date

    def week(self, weeks_ago: int) -> str:
        return (self.this_week - timedelta(weeks=weeks_ago)).isoformat()


def seed(factory: Factory, pair) -> Seeded:
    """Ten weeks of check-ins from both (Alex alone in one of them), and Alex's, alone, this week."""
    now = datetime.now(UTC)
    alex = (pair.a, alex_values, "guarded", ALEX_CSI)
    sam = (pair.b, sam_values, "hopeful", SAM_CSI)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.created_at = now - timedelta(weeks=MADE)
        this_week = checkins.current_week(couple, now)
        for weeks_ago in range(WEEKS, -1, -1):
            for person, values, feeling, csi in (alex,) if weeks_ago in (SEALED, 0) else (alex, sam):
                connection, safety = values(weeks_ago)
                answers = {
                    "connection": str(connection),
                    "safety": str(safety),
                    "feeling": feeling,
                    "worry": {SEALED: SEALED_CANARY, 0: THIS_WEEK_CANARY}.get(weeks_ago, "That work takes over again."),
                    "appreciation": f"You listened, {weeks_ago} weeks ago.",
                    "need": "A slow Sunday.",
                    **(csi if weeks_ago in (*CSI_WEEKS, 0) else {}),
                }
                checkins.submit(factory.load(person), couple, answers, now - timedelta(weeks=weeks_ago))
    return Seeded(this_week)


# Reading the pages ---------------------------------------------------------------------------


def open_numbers(page: Page, chart_id: str) -> list[tuple[str, str]]:
    """Open a chart's "Show the numbers" and read its table: (row label, value or gap) from oldest to newest."""
    chart = page.locator(f"#{chart_id}")
    chart.get_by_text("Show the numbers").click()
    table = chart.get_by_role("table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('th').innerText, r.querySelector('td').innerText])"
    )
    return [tuple(row) for row in rows]


def week_label(seeded: Seeded, weeks_ago: int) -> str:
    week = seeded.this_week - timedelta(weeks=weeks_ago)
    return f"Week of {week.day} {week:%b %Y}"


def safety_table(seeded: Seeded, values, answered) -> list[tuple[str, str]]:
    """The safety chart's rows as its person should see them: the last twelve weeks, a gap where they didn't answer."""
    return [(week_label(seeded, n), str(values(n)[1]) if n in answered else "no check-in") for n in range(11, -1, -1)]


def csi_table(seeded: Seeded, total: int, answered) -> list[tuple[str, str]]:
    return [(week_label(seeded, n), str(total) if n in answered else "not answered") for n in (12, 8, 4, 0)]


def shown_weeks(page: Page) -> list[str]:
    """The weeks an earlier-weeks page lists, by their headings' ids (newest first)."""
    ids = page.locator("section.checkin-week h3").evaluate_all("hs => hs.map(h => h.id)")
    return [re.fullmatch(r"week-(\d{4}-\d\d-\d\d)-title", i).group(1) for i in ids]


def article(page: Page, week: str, heading: str):
    """One person's answers in a week of the earlier weeks ("You", or the partner's name)."""
    section = page.locator(f"section.checkin-week:has(h3#week-{week}-title)")
    return section.locator("article.answer", has=page.get_by_role("heading", name=heading, exact=True))


def weeks_nav(page: Page):
    return page.get_by_role("navigation", name="Over the weeks")


def pager(page: Page):
    return page.get_by_role("navigation", name="Pages of earlier weeks")


def expect_part(page: Page, heading: str, link: re.Pattern | str) -> None:
    """An Over the weeks page: its title, its part's heading, and its link marked as the current page."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Over the weeks")
    expect(page.get_by_role("main").get_by_role("heading", level=2).first).to_contain_text(heading)
    expect(weeks_nav(page).get_by_role("link", name=link)).to_have_attribute("aria-current", "page")


SAFETY_LINK = re.compile(r"^How safe you felt")
CSI_LINK = re.compile(r"^Your CSI-4")
# Pages of four: the nine revealed weeks (weeks ago) on each page of earlier weeks, newest first.
EARLIER_PAGES = ([1, 2, 3, 4], [5, 7, 8, 9], [10])


def test_over_the_weeks_part_by_part_and_page_by_page_with_nothing_private_on_the_partners(live_server, phone):
    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair()
    seeded = seed(factory, pair)
    both = [n for n in range(1, WEEKS + 1) if n != SEALED]

    # --- Alex: from the check-in to each part, by its link ---------------------------------------------
    alex = phone("Alex")
    page = alex.page
    log_in(page, base, pair.a.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly check-in")
    expect(page.get_by_role("button", name="Update my check-in")).to_be_visible()  # this week, still sealed
    # The canary is Alex's to see (so its absence from Sam's pages below means something).
    expect(page.get_by_label("One worry or fear on your mind (if you like)")).to_have_value(THIS_WEEK_CANARY)
    check_page(page, "check-in (Alex)")
    page.get_by_role("link", name="Over the weeks: your charts and earlier weeks").click()

    expect(page).to_have_url(base + "/checkin/weeks")
    expect_part(page, "Both of you", "Both of you")
    expect(page.locator("#checkin-chart svg.chart-svg[role=img]")).to_have_count(1)
    check_page(page, "over the weeks: both of you")
    save_screenshot(page, "checkin-weeks-ours.png", full_page=True)

    weeks_nav(page).get_by_role("link", name=SAFETY_LINK).click()
    expect(page).to_have_url(base + "/checkin/weeks/safety")
    expect_part(page, "How safe you felt", SAFETY_LINK)
    expect(page.get_by_text("Only you see this. Your partner never does.")).to_be_visible()
    # Every week Alex checked in, the sealed week and this one included; Sam's scores nowhere.
    assert open_numbers(page, "own-safety-chart") == safety_table(seeded, alex_values, range(WEEKS + 1))
    check_page(page, "over the weeks: my safety (Alex)")
    save_screenshot(page, "checkin-weeks-safety.png", full_page=True)

    weeks_nav(page).get_by_role("link", name=CSI_LINK).click()
    expect(page).to_have_url(base + "/checkin/weeks/csi-4")
    expect_part(page, "Your CSI-4", CSI_LINK)
    assert open_numbers(page, "own-csi-chart") == csi_table(seeded, 19, (8, 4, 0))
    check_page(page, "over the weeks: my CSI-4 (Alex)")
    save_screenshot(page, "checkin-weeks-csi-4.png", full_page=True)

    weeks_nav(page).get_by_role("link", name="Earlier weeks").click()
    expect(page).to_have_url(base + "/checkin/weeks/earlier")
    expect_part(page, "Earlier weeks", "Earlier weeks")
    assert shown_weeks(page) == [seeded.week(n) for n in EARLIER_PAGES[0]]
    # Mine with my safety score (and my CSI-4, only mine to see); Sam's without theirs, with the CSI-4 Sam shared.
    for n in EARLIER_PAGES[0]:
        mine, sams = article(page, seeded.week(n), "You"), article(page, seeded.week(n), "Sam")
        expect(mine).to_contain_text(f"Safety (only you see this){alex_values(n)[1]} of 10")
        expect(sams).to_contain_text(f"Connection{sam_values(n)[0]} of 10")
        expect(sams).not_to_contain_text("Safety")
    expect(article(page, seeded.week(4), "You")).to_contain_text(
        "Relationship satisfaction (CSI-4) (only you see this)19 of 21"
    )
    expect(article(page, seeded.week(4), "Sam")).to_contain_text("Relationship satisfaction (CSI-4)7 of 21")
    expect(pager(page).get_by_role("link")).to_have_text(["Earlier weeks"])
    check_page(page, "earlier weeks, page 1 (Alex)")
    save_screenshot(page, "checkin-weeks-earlier-1.png", full_page=True)

    # Earlier, and earlier again, then back: each page its own weeks.
    pager(page).get_by_role("link", name="Earlier weeks").click()
    expect(page).to_have_url(base + "/checkin/weeks/earlier?page=2")
    expect(page.get_by_role("main").get_by_role("heading", level=2).first).to_have_text("Earlier weeks (page 2)")
    assert shown_weeks(page) == [seeded.week(n) for n in EARLIER_PAGES[1]]
    expect(pager(page).get_by_role("link")).to_have_text(["Later weeks", "Earlier weeks"])
    check_page(page, "earlier weeks, page 2 (Alex)")
    save_screenshot(page, "checkin-weeks-earlier-2.png", full_page=True)

    pager(page).get_by_role("link", name="Earlier weeks").click()
    expect(page).to_have_url(base + "/checkin/weeks/earlier?page=3")
    assert shown_weeks(page) == [seeded.week(n) for n in EARLIER_PAGES[2]]
    expect(pager(page).get_by_role("link")).to_have_text(["Later weeks"])
    check_page(page, "earlier weeks, page 3 (Alex)")

    pager(page).get_by_role("link", name="Later weeks").click()
    expect(page).to_have_url(base + "/checkin/weeks/earlier?page=2")
    assert shown_weeks(page) == [seeded.week(n) for n in EARLIER_PAGES[1]]
    pager(page).get_by_role("link", name="Later weeks").click()
    expect(page).to_have_url(base + "/checkin/weeks/earlier")
    assert shown_weeks(page) == [seeded.week(n) for n in EARLIER_PAGES[0]]
    alex.assert_no_problems()

    # --- Sam: the same pages, with none of Alex's private parts ----------------------------------------
    sam = phone("Sam")
    page = sam.page
    log_in(page, base, pair.b.email)
    seen = []  # every page's HTML as sent to Sam's phone, for the canaries

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    expect(page.get_by_text("Alex has checked in")).to_be_visible()
    check_page(page, "check-in (Sam)")
    seen.append(page.content())
    page.get_by_role("link", name="Over the weeks: your charts and earlier weeks").click()
    expect_part(page, "Both of you", "Both of you")
    check_page(page, "over the weeks: both of you (Sam)")
    seen.append(page.content())

    weeks_nav(page).get_by_role("link", name=SAFETY_LINK).click()
    expect_part(page, "How safe you felt", SAFETY_LINK)
    # Sam's own scores only: a gap in the week Sam didn't answer, whatever Alex said that week or this one.
    assert open_numbers(page, "own-safety-chart") == safety_table(seeded, sam_values, both)
    check_page(page, "over the weeks: my safety (Sam)")
    save_screenshot(page, "checkin-weeks-safety-partner.png", full_page=True)
    seen.append(page.content())

    weeks_nav(page).get_by_role("link", name=CSI_LINK).click()
    expect_part(page, "Your CSI-4", CSI_LINK)
    assert open_numbers(page, "own-csi-chart") == csi_table(seeded, 7, (8, 4))
    check_page(page, "over the weeks: my CSI-4 (Sam)")
    seen.append(page.content())

    weeks_nav(page).get_by_role("link", name="Earlier weeks").click()
    for number, weeks in enumerate(EARLIER_PAGES, start=1):
        if number > 1:
            pager(page).get_by_role("link", name="Earlier weeks").click()
            expect(page).to_have_url(f"{base}/checkin/weeks/earlier?page={number}")
        assert shown_weeks(page) == [seeded.week(n) for n in weeks]
        for n in weeks:
            mine, alexs = article(page, seeded.week(n), "You"), article(page, seeded.week(n), "Alex")
            expect(mine).to_contain_text(f"Safety (only you see this){sam_values(n)[1]} of 10")
            expect(alexs).to_contain_text(f"Connection{alex_values(n)[0]} of 10")  # what Alex shared is there
            expect(alexs).not_to_contain_text("Safety")
            expect(alexs).not_to_contain_text("CSI-4")
        check_page(page, f"earlier weeks, page {number} (Sam)")
        seen.append(page.content())
    save_screenshot(page, "checkin-weeks-earlier-partner.png", full_page=True)

    everything = "\n".join(seen)
    assert SEALED_CANARY not in everything and THIS_WEEK_CANARY not in everything
    assert "19 of 21" not in everything and not re.search(r"\b[23] of 10\b", everything)
    sam.assert_no_problems()
