"""The therapist view in a real browser, at a phone width (390x844) and a desktop width (1280x800).

A therapist registers through the emailed link; a couple (seeded with the Factory, then logged in
through /login) links them by code; nothing shows until both partners consent, then only the
narrower of their two scopes. The therapist assigns a prompt, the scheduler delivers it marked
"From your therapist", and the partner's settings list every look in the access log with no content.

Every person has a phone context and a desktop context sharing one login, so each therapist and
settings page is checked with axe at both widths, and for sideways scrolling at 390px.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from extensions import db
from models import Couple, PromptInstance
from tests.browser.conftest import (
    ARTIFACTS,
    Phone,
    assert_accessible,
    log_in,
    no_horizontal_overflow,
    save_screenshot,
    watch,
)
from tests.helpers import PASSWORD, Factory

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
DOCS = ARTIFACTS.parent / "docs"
THERAPIST_EMAIL = "rivera@example.test"
THERAPIST_NAME = "Dr Rivera"
PRACTICE = "Harbour Counselling"
# A revealed conversation the therapist must never see: the couple allows "progress only" between them.
REVEALED_A = "CANARY-A: the harbour walk on Sunday"
REVEALED_B = "CANARY-B: the tea you made this morning"
ASSIGNED = "What would a kind evening look like?"
NOTE = "Try this before Thursday"
LINK = re.compile(r"https?://\S+")
LOG_KINDS = {
    "Progress and check-ins",
    "List of revealed conversations",
    "A revealed conversation",
    "Check-ins",
    "Downloaded a copy",
}


# Devices -----------------------------------------------------------------------------------------


class Person:
    """One person's phone and desktop browsers, logged in as the same account."""

    def __init__(self, name: str, phone: Phone, desktop: Phone):
        self.name, self.phone, self.desktop = name, phone, desktop

    def assert_no_problems(self):
        self.phone.assert_no_problems()
        self.desktop.assert_no_problems()


@pytest.fixture
def desktop(browser):
    """desktop(name, storage_state=None) opens a 1280x800 context; all are closed after the test."""
    contexts = []

    def open_desktop(name: str = "desktop", storage_state=None) -> Phone:
        context = browser.new_context(**DESKTOP, storage_state=storage_state)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return watch(Phone(context, context.new_page()), f"{name} (desktop)")

    yield open_desktop
    for context in contexts:
        context.close()


def check_both(person: Person, label: str, *, lead: str = "phone") -> None:
    """axe on the page `lead` is showing, and on the same URL in the other device; no sideways scroll at 390px."""
    first, second = (person.phone, person.desktop) if lead == "phone" else (person.desktop, person.phone)
    second.page.goto(first.page.url)
    for device in (person.phone, person.desktop):
        width = device.page.viewport_size["width"]
        assert_accessible(device.page, f"{label} at {width}px")
        if width == 390:
            no_horizontal_overflow(device.page, label)


def expected_error_status(device: Phone, since: int, status: int) -> None:
    """Chromium logs an error status it was deliberately asked for: drop that one line, keep any other."""
    device.problems[since:] = [p for p in device.problems[since:] if f"status of {status} " not in p]


def confirm_if_asked(page: Page) -> None:
    """The fresh-login check may or may not step in: enter the password when it does."""
    if "/account/confirm" in page.url:
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()


def last_sunday_noon() -> datetime:
    """Midday UTC on the Sunday of last week (a check-in day, in a week already over)."""
    today = datetime.now(UTC).date()
    sunday = today - timedelta(days=today.weekday() + 1)
    return datetime(sunday.year, sunday.month, sunday.day, 12, tzinfo=UTC)


def seed_checkins(factory: Factory, pair) -> None:
    from services.checkins import checkins

    when = last_sunday_noon()
    for person, connection, safety in ((pair.a, "7", "6"), (pair.b, "8", "5")):
        with factory.session():
            couple = db.session.get(Couple, pair.couple_id)
            values = {
                "connection": connection,
                "safety": safety,
                "feeling": "hopeful",
                "appreciation": "You made tea.",
                "need": "A walk together.",
            }
            checkins.submit(factory.load(person), couple, values, when)


def reveal_everything(factory: Factory, pair) -> None:
    """Answer every open prompt, so the pile-up rule doesn't hold the next delivery back."""
    from services.common.errors import Conflict

    with factory.session():
        ids = db.session.scalars(
            sa.select(PromptInstance.id).where(
                PromptInstance.couple_id == pair.couple_id, PromptInstance.revealed_at.is_(None)
            )
        ).all()
    for instance_id in ids:
        for person in (pair.a, pair.b):
            try:
                factory.answer(person, instance_id, "an answer")
            except Conflict:
                pass  # already revealed by the other's answer


def deliver_now(live_server, pair) -> None:
    from jobs import scheduler

    due = datetime.now(UTC) - timedelta(minutes=1)
    factory = Factory(live_server.app)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at, couple.delivery_time = due, due.time()
    assert scheduler.tick(live_server.app)["delivered"] == 1


# The test ----------------------------------------------------------------------------------------


def test_therapist_links_sees_only_what_both_allow_and_is_logged(live_server, phone, desktop):
    base, app = live_server.url, live_server.app
    factory = Factory(app)
    pair = factory.pair()
    factory.reveal(pair, REVEALED_A, REVEALED_B)
    therapist_saw: list[str] = []

    def therapist_looks(page: Page) -> None:
        therapist_saw.append(page.content())

    # --- 1. The therapist registers through the emailed link, on a desktop ---------------------------
    rivera_desk = desktop(THERAPIST_NAME)
    stranger = phone("anonymous")
    t = rivera_desk.page
    t.goto(base + "/register/therapist")
    expect(t.get_by_role("heading", level=1)).to_have_text("Register as a therapist")
    stranger.page.goto(base + "/register/therapist")
    check_both(Person("anonymous", stranger, rivera_desk), "register as a therapist", lead="desktop")
    t.get_by_label("Email").fill(THERAPIST_EMAIL)
    t.get_by_role("button", name="Send me the link").click()
    expect(t).to_have_url(re.compile(r"/register/sent$"))
    mail = live_server.mail_to(THERAPIST_EMAIL)
    links = [link for link in LINK.findall(mail.body) if "/register/finish/" in link]
    assert links, f"no /register/finish/ link in {mail.subject!r}:\n{mail.body}"
    t.goto(links[0])
    expect(t.get_by_role("heading", level=1)).to_have_text("Finish creating your therapist account")
    # The link hands its token to the session of the browser that opens it: the phone opens it too.
    stranger.page.goto(links[0])
    check_both(Person("anonymous", stranger, rivera_desk), "finish therapist registration", lead="desktop")
    t.get_by_label("Your name").fill(THERAPIST_NAME)
    t.get_by_label("Your practice").fill(PRACTICE)
    t.get_by_label("Choose a password").fill(PASSWORD)
    t.get_by_role("button", name="Create my account").click()
    expect(t).to_have_url(base + "/therapist/")
    expect(t.get_by_text(f"Welcome, {THERAPIST_NAME}.")).to_be_visible()
    expect(t.get_by_role("heading", name="Your link code")).to_be_visible()
    code = t.locator(".code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    expect(t.get_by_text("No couples yet. Share your code to get started.")).to_be_visible()
    rivera_phone = phone(f"{THERAPIST_NAME} phone")
    rivera_phone.context.add_cookies(rivera_desk.context.cookies())
    rivera = Person(THERAPIST_NAME, rivera_phone, rivera_desk)
    check_both(rivera, "therapist dashboard (no couples)", lead="desktop")

    # --- The couple log in, each on their own phone (and a desktop sharing the login) ----------------
    people = {}
    for person in (pair.a, pair.b):
        handset = phone(person.display_name)
        log_in(handset.page, base, person.email)
        people[person.display_name] = Person(
            person.display_name, handset, desktop(person.display_name, handset.context.storage_state())
        )
    alex, sam = people["Alex"], people["Sam"]
    a, b = alex.phone.page, sam.phone.page

    # Check-ins before there is a chart, then a shared week so there is one.
    a.goto(base + "/checkin")
    expect(a.get_by_role("heading", level=1)).to_have_text("Weekly check-in")
    expect(a.locator("svg.chart-svg")).to_have_count(0)
    check_both(alex, "check-in (no chart yet)")
    seed_checkins(factory, pair)
    a.reload()
    a.get_by_role("link", name="Over the weeks: your charts and earlier weeks").click()  # one tap from the check-in
    expect(a.locator("#checkin-chart svg.chart-svg[role=img]")).to_have_count(1)
    check_both(alex, "check-in (with a chart)")

    # --- 2. Alex enters the code; the therapist sees only names and "Waiting for consent" ----------
    a.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    a.get_by_role("main").get_by_role("link", name=re.compile(r"^Settings")).click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Settings")
    a.get_by_role("link", name=re.compile(r"^Therapist")).click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Therapist")
    # A wrong code first: the error is tied to its field, and the page stays accessible.
    before = len(alex.phone.problems)
    a.get_by_label("Therapist's code").fill("ZZZZ-ZZZZ")
    a.get_by_role("button", name="Add therapist").click()
    code_box = a.get_by_label("Therapist's code")
    expect(code_box).to_have_attribute("aria-invalid", "true")
    expect(a.locator("#code-error")).to_contain_text("We couldn't find a therapist with that code.")
    assert "code-error" in (code_box.get_attribute("aria-describedby") or "").split()
    assert_accessible(a, "settings (wrong therapist code) at 390px")
    no_horizontal_overflow(a, "settings (wrong therapist code)")
    expected_error_status(alex.phone, before, 422)
    code_box.fill(code)
    a.get_by_role("button", name="Add therapist").click()
    confirm_if_asked(a)
    expect(a).to_have_url(re.compile(r"/settings/therapists/\d+$"))
    link_id = int(a.url.rsplit("/", 1)[1])
    expect(a.get_by_text("Therapist added. They see nothing until you both consent.")).to_be_visible()
    expect(a.get_by_role("heading", level=1)).to_have_text(f"{THERAPIST_NAME}, therapist")
    expect(a.get_by_text(PRACTICE)).to_be_visible()
    expect(a.get_by_text("Right now they see nothing: waiting for your consent.")).to_be_visible()
    check_both(alex, "consent page (before consenting)")

    a.goto(base + "/settings/therapists")
    therapists = a.locator("section[aria-labelledby=therapists-title]")
    expect(therapists).to_contain_text(f"{THERAPIST_NAME}, therapist at {PRACTICE}")
    expect(therapists).to_contain_text("Sees nothing yet: waiting for your consent")
    check_both(alex, "settings (therapist pending)")

    t.goto(base + "/therapist/")
    therapist_looks(t)
    row = t.locator("section.therapist-couple")
    expect(row).to_have_count(1)
    expect(row.get_by_role("heading", level=2)).to_have_text("Alex & Sam")
    expect(row.locator(".tag")).to_have_text("Waiting for consent")
    expect(row).to_contain_text("Waiting for both partners to consent. Until then you see only their names.")
    # Nothing else: no progress numbers, no chart.
    expect(row.locator("dl")).to_have_count(0)
    expect(row.locator("svg, .chart, table")).to_have_count(0)
    row_text = row.inner_text()
    for absent in ("Felt heard", "delivered", "answered", "revealed", "Last activity"):
        assert absent not in row_text, f"the dashboard shows {absent!r} before both partners consent"
    assert not re.search(r"\d", row_text), f"the dashboard shows numbers before consent: {row_text!r}"
    check_both(rivera, "therapist dashboard (waiting for consent)", lead="desktop")

    row.get_by_role("link", name="Alex & Sam").click()
    expect(t).to_have_url(f"{base}/therapist/couples/{link_id}")
    therapist_looks(t)
    expect(t.get_by_role("heading", level=1)).to_have_text("Alex & Sam")
    expect(t.locator("main .tag")).to_have_text("Waiting for consent")
    expect(t.get_by_role("heading", name="Progress")).to_have_count(0)
    expect(t.get_by_role("heading", name="Assign a prompt")).to_have_count(0)
    expect(t.locator("main svg, main .chart")).to_have_count(0)
    check_both(rivera, "therapist couple page (waiting for consent)", lead="desktop")

    # --- 3. Alex consents to conversations, through the fresh-login check ---------------------------
    consent_path = f"/settings/therapists/{link_id}"
    a.goto(f"{base}/account/confirm?next={consent_path}")
    expect(a.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    check_both(alex, "confirm password")
    a.get_by_label("Your password").fill(PASSWORD)
    a.get_by_role("button", name="Continue").click()
    expect(a).to_have_url(base + consent_path)
    a.get_by_label("Progress and your revealed conversations").check()
    a.get_by_role("button", name="I consent").click()
    expect(a.get_by_text("Your consent is saved. You can change or withdraw it at any time.")).to_be_visible()
    expect(a.get_by_text("Right now they see nothing: waiting for your partner's consent.")).to_be_visible()
    expect(a.get_by_label("Progress and your revealed conversations")).to_be_checked()
    check_both(alex, "consent page (consented, waiting for partner)")

    # Sam consents to progress only, from Settings.
    b.get_by_role("navigation", name="Main").get_by_role("link", name="More").click()
    b.get_by_role("main").get_by_role("link", name=re.compile(r"^Settings")).click()
    b.get_by_role("link", name=re.compile(r"^Therapist")).click()
    expect(b.locator("section[aria-labelledby=therapists-title]")).to_contain_text(
        "Sees nothing yet: waiting for your consent"
    )
    b.get_by_role("link", name="Consent and options").click()
    confirm_if_asked(b)
    expect(b).to_have_url(base + consent_path)
    b.get_by_label("Progress only").check()
    b.get_by_role("button", name="I consent").click()
    expect(b.get_by_text("Your consent is saved.")).to_be_visible()
    expect(b.get_by_text("Right now they see: progress only.")).to_be_visible()
    check_both(sam, "consent page (both consented)")

    # The therapist sees progress and the chart, but not the conversations (the narrower scope).
    t.goto(base + "/therapist/")
    therapist_looks(t)
    row = t.locator("section.therapist-couple")
    expect(row.locator(".tag")).to_have_text("Progress only")
    expect(row.locator("dl")).to_contain_text("Felt heard")
    expect(row.locator("svg.chart-svg[role=img]")).to_have_count(1)
    check_both(rivera, "therapist dashboard (progress)", lead="desktop")
    save_screenshot(t, "therapist-dashboard-desktop.png", full_page=True)
    # Dark mode too, at both widths, photographed for the README (the phone ones are copied to docs/).
    for device, kind in ((rivera.desktop, "desktop"), (rivera.phone, "phone")):
        for scheme in ("light", "dark"):
            device.page.emulate_media(color_scheme=scheme)
            assert_accessible(device.page, f"therapist dashboard ({kind}, {scheme})")
            shot = save_screenshot(device.page, f"screenshot-therapist-{kind}-{scheme}.png")
            if kind == "phone":
                DOCS.mkdir(exist_ok=True)
                shutil.copy(shot, DOCS / f"screenshot-therapist-{scheme}.png")
        device.page.emulate_media(color_scheme="light")

    t.goto(f"{base}/therapist/couples/{link_id}")
    therapist_looks(t)
    progress = t.locator("section[aria-labelledby=progress-title]")
    expect(progress.get_by_role("heading", level=2)).to_have_text("Progress")
    expect(progress.locator("dt", has_text="Felt heard")).to_have_count(1)
    chart = progress.locator("#couple-chart")
    svg = chart.locator("svg.chart-svg")
    expect(svg).to_have_attribute("role", "img")
    title = chart.locator("svg title").text_content()
    expect(svg).to_have_accessible_name(re.compile("^" + re.escape(title)))
    # The table is the chart's text alternative: every week, and the shared week's averages.
    chart.get_by_text("Show the numbers").click()
    table = chart.locator("details.chart-numbers table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_text(title)
    expect(table.locator("tbody tr")).to_have_count(12)
    sunday = last_sunday_noon() - timedelta(days=6)
    shared_week = table.locator("tbody tr", has_text=f"Week of {sunday.day} {sunday:%b %Y}")
    # One line per partner (no couple average): Alex's 7 and Sam's 8 for connection.
    cells = shared_week.locator("td").all_inner_texts()
    assert "7" in cells and "8" in cells, cells
    assert "7.5" not in cells, cells
    expect(t.get_by_role("heading", name="Revealed conversations")).to_have_count(0)
    expect(t.locator(".conversation-list")).to_have_count(0)
    check_both(rivera, "therapist couple page (progress only)", lead="desktop")
    # Asking for the revealed conversation directly is a 404, like anything not shared.
    before = len(rivera_desk.problems)
    hidden = t.goto(f"{base}/therapist/couples/{link_id}/conversations/{pair.first_prompt_id}")
    assert hidden is not None and hidden.status == 404, hidden and hidden.status
    expected_error_status(rivera_desk, before, 404)
    therapist_looks(t)
    export = t.request.get(f"{base}/therapist/couples/{link_id}/export.json")
    assert export.status == 200
    assert "conversations" not in export.json()
    therapist_saw.append(export.text())

    # --- 4. The therapist assigns a prompt; the scheduler delivers it -------------------------------
    t.goto(f"{base}/therapist/couples/{link_id}")
    t.get_by_label("Or write your own").fill(ASSIGNED)
    t.get_by_label("Its theme (for your own prompt)").select_option(index=1)
    t.get_by_label("A note to the couple (optional)").fill(NOTE)
    t.get_by_role("button", name="Assign").click()
    expect(t).to_have_url(f"{base}/therapist/couples/{link_id}")
    expect(t.get_by_text("Assigned. It arrives at the couple's next prompt time")).to_be_visible()
    expect(t.get_by_role("heading", name="Waiting to be delivered")).to_be_visible()
    expect(t.locator(".device-list")).to_contain_text(ASSIGNED)
    therapist_looks(t)
    check_both(rivera, "therapist couple page (assignment waiting)", lead="desktop")
    save_screenshot(rivera.phone.page, "therapist-couple-phone.png", full_page=True)

    reveal_everything(factory, pair)
    deliver_now(live_server, pair)
    b.goto(base + "/today")
    card = b.locator(".prompt-card").first
    expect(card.locator(".prompt-text")).to_have_text(ASSIGNED)
    expect(card.locator(".from-therapist")).to_have_text(f"From your therapist: {NOTE}")

    # --- 5. Alex's settings: who has looked, with no content ------------------------------------------
    a.goto(base + "/settings/therapists")
    section = a.locator("section[aria-labelledby=therapists-title]")
    expect(section).to_contain_text("Sees: progress only")
    log = a.locator("section[aria-labelledby=log-title] ul.access-log")
    expect(log).to_be_visible()
    # Each visit is one line (the therapist, what or how much, when, by Alex's own clock); a visit of several
    # reads opens to list them.
    for details in log.locator("details").all():
        details.locator("summary").click()
    visits = log.locator(":scope > li").evaluate_all(
        """items => items.map(item => {
            const details = item.querySelector("details");
            return details
                ? {line: details.querySelector("summary").textContent.trim(),
                   reads: [...details.querySelectorAll("li")].map(li => li.textContent.trim())}
                : {line: item.textContent.trim(), reads: [item.textContent.trim()]};
        })"""
    )
    assert visits, "the access log lists no visit"
    seen_kinds = set()
    for visit in visits:
        assert visit["line"].startswith(f"{THERAPIST_NAME} ({PRACTICE})"), visit
        assert re.search(r"\w{3} \d{1,2} \w{3} \d\d:\d\d", visit["line"]), visit
        if len(visit["reads"]) > 1:
            assert f"read {len(visit['reads'])} things" in visit["line"], visit
            for read in visit["reads"]:
                when, what = read.split(" ", 1)
                assert re.fullmatch(r"\d\d:\d\d", when) and what in LOG_KINDS, read
                seen_kinds.add(what)
        else:
            seen_kinds.add(next(kind for kind in LOG_KINDS if f": {kind}, " in visit["line"]))
    assert "Progress and check-ins" in seen_kinds, seen_kinds
    assert not seen_kinds & {"List of revealed conversations", "A revealed conversation"}, seen_kinds
    assert "Downloaded a copy" in seen_kinds, seen_kinds
    log_text = log.inner_text()
    for content in (REVEALED_A, REVEALED_B, ASSIGNED, NOTE, "7.5"):
        assert content not in log_text, f"the access log shows content: {content!r}"
    check_both(alex, "settings (therapist linked, access log)")
    a.locator("#log-title").evaluate("heading => heading.scrollIntoView({block: 'start'})")
    save_screenshot(a, "settings-therapist-phone.png")

    # --- 6. Account pages and safety at both widths ----------------------------------------------
    for path, heading in (
        ("/account", "Your account"),
        ("/account/data", None),
        ("/account/delete", None),
        ("/safety", "Safety and support"),
    ):
        a.goto(base + path)
        assert "/account/confirm" not in a.url, f"{path} asked for the password right after confirming"
        if heading:
            expect(a.get_by_role("heading", level=1)).to_have_text(heading)
        check_both(alex, path)

    # The revealed conversation never reached any therapist page.
    everything = "\n".join(therapist_saw)
    for canary in (REVEALED_A, REVEALED_B, "CANARY"):
        assert canary not in everything, f"a therapist page shows the revealed conversation ({canary!r})"

    for person in (rivera, alex, sam):
        person.assert_no_problems()
    stranger.assert_no_problems()


# With both partners allowing conversations: the conversation pages, a library assignment, long words ----

LONG_WORD = "s" + "o" * 160


def test_conversation_scope_pages_fit_a_phone_and_pass_axe(live_server, phone, desktop):
    from services.therapist import links

    base, app = live_server.url, live_server.app
    factory = Factory(app)
    pair = factory.pair()
    factory.reveal(pair, f"I was {LONG_WORD} glad", "Sam's answer,\nover two lines")
    therapist = factory.user(THERAPIST_NAME, role="therapist")
    with factory.session():
        link_id = links.link_by_code(factory.load(pair.a), links.link_code(factory.load(therapist))).id
        for person in (pair.a, pair.b):
            links.consent(factory.load(person), link_id, "conversations")

    handset = phone(THERAPIST_NAME)
    t = handset.page
    t.goto(base + "/login")
    t.get_by_label("Email").fill(therapist.email)
    t.get_by_label("Password").fill(PASSWORD)
    t.get_by_role("button", name="Log in").click()
    expect(t).to_have_url(base + "/therapist/")
    rivera = Person(THERAPIST_NAME, handset, desktop(THERAPIST_NAME, handset.context.storage_state()))

    t.goto(f"{base}/therapist/couples/{link_id}")
    expect(t.locator("main .tag")).to_have_text("Progress and conversations")

    # An empty assignment: the error is shown, and the page stays accessible and phone-wide.
    before = len(handset.problems)
    t.get_by_role("button", name="Assign").click()
    expect(t.locator("main .error").first).to_be_visible()
    assert_accessible(t, "therapist couple page (assignment error) at 390px")
    no_horizontal_overflow(t, "therapist couple page (assignment error)")
    expected_error_status(handset, before, 422)

    # A library prompt with a long unbroken note: shown as the prompt's words, wrapped inside the phone.
    library = t.get_by_label("A prompt from the library")
    option = library.locator("option").nth(3)
    prompt_id, prompt_words = option.get_attribute("value"), option.inner_text()
    library.select_option(prompt_id)
    t.get_by_label("A note to the couple (optional)").fill(f"Read {LONG_WORD} first")
    t.get_by_role("button", name="Assign").click()
    expect(t.get_by_text("Assigned.")).to_be_visible()
    waiting = t.locator("section[aria-labelledby=assign-title] .device")
    expect(waiting).to_have_count(1)
    expect(waiting.locator("> span")).to_contain_text(prompt_words)
    assert waiting.locator("> span").inner_text().split(" (")[0].strip() == prompt_words.strip(), (
        f"the waiting assignment shows {waiting.inner_text()!r}, not the prompt's words"
    )
    expect(waiting.get_by_role("button", name=re.compile(r"^Remove the assignment: "))).to_be_visible()
    check_both(rivera, "therapist couple page (library assignment, long note)")
    t.emulate_media(color_scheme="dark")
    assert_accessible(t, "therapist couple page (dark) at 390px")
    t.emulate_media(color_scheme="light")

    # The revealed conversation: both answers, the long word wrapped.
    t.locator(".conversation-list a").first.click()
    expect(t).to_have_url(re.compile(rf"/therapist/couples/{link_id}/conversations/{pair.first_prompt_id}$"))
    expect(t.locator(".answer-body").first).to_contain_text(LONG_WORD)
    widths = t.eval_on_selector_all(".answer-body", "els => els.map(e => [e.scrollWidth, e.clientWidth])")
    assert all(scroll <= client for scroll, client in widths), f"an answer is wider than its box: {widths}"
    check_both(rivera, "therapist conversation page")

    # Dark mode, where the danger buttons are (they were white on light red, 2:1).
    alex = phone("Alex")
    log_in(alex.page, base, pair.a.email)
    alex.page.emulate_media(color_scheme="dark")
    for path in (
        f"/settings/therapists/{link_id}",
        "/account/data",
        "/account/delete",
        "/settings",
        "/settings/therapists",
    ):
        alex.page.goto(base + path)
        confirm_if_asked(alex.page)
        expect(alex.page).to_have_url(base + path)
        assert_accessible(alex.page, f"{path} (dark) at 390px")
        no_horizontal_overflow(alex.page, f"{path} (dark)")

    rivera.assert_no_problems()
    alex.assert_no_problems()
