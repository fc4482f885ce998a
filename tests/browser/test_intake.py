"""The first run in a real browser at 390x844: each partner chooses their pace privately; axe on every screen.

Sam answers "not sure" to "Do you feel safe with your partner?" and alone sees the safety note and the
quiet way out; Alex, on their own phone, chooses the defaults and never sees any of it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Intake
from tests.browser.conftest import check_page, log_in, save_screenshot
from tests.browser.first_run_steps import skip_set_up
from tests.helpers import Factory

pytestmark = pytest.mark.browser


def test_the_first_run_at_a_phone_width(live_server, phone):
    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair(factory.user("Alex"), factory.user("Sam"))

    sam = phone("Sam")
    log_in(sam.page, base, pair.b.email)
    page = sam.page
    page.get_by_role("link", name="Choose your pace").click()
    expect(page).to_have_url(base + "/start/pace")
    expect(page.get_by_role("heading", name="Choose your pace")).to_be_visible()
    # Light is the default; the words say who sees it and that prompts start light anyway.
    expect(page.get_by_label("Light — easy, everyday questions")).to_be_checked()
    expect(page.get_by_text("Only you see this.")).to_be_visible()
    check_page(page, "first run: your pace")
    page.get_by_label("Medium — real feelings and memories").check()
    page.get_by_role("button", name="Next").click()

    expect(page).to_have_url(base + "/start/about")
    check_page(page, "first run: a little about you")
    page.get_by_label("Growing apart").check()
    page.get_by_role("group", name="Do you see a couples therapist?").get_by_label("No").check()
    page.get_by_role("group", name="Do you feel safe with your partner?").get_by_label("I'm not sure").check()
    page.get_by_role("button", name="Done").click()

    expect(page).to_have_url(base + "/start/safety")
    expect(page.get_by_role("heading", name="Your safety comes first")).to_be_visible()
    expect(page.get_by_role("link", name="See safety and support")).to_be_visible()
    expect(page.get_by_role("link", name="Leave quickly")).to_be_visible()
    check_page(page, "first run: the safety note")
    save_screenshot(page, "intake-safety-390.png", full_page=True)
    page.get_by_role("link", name="Go on to Today").click()
    expect(page).to_have_url(base + "/today")
    expect(page.get_by_text("We're keeping things light for now.")).to_be_visible()
    expect(page.get_by_role("link", name="Choose your pace")).to_have_count(0)
    check_page(page, "Today after the first run")
    page.get_by_role("link", name=re.compile("Your path")).click()
    expect(page.get_by_role("heading", name="Your path")).to_be_visible()
    check_page(page, "the path")

    alex = phone("Alex")
    log_in(alex.page, base, pair.a.email)
    page = alex.page
    # Nothing of Sam's answer (a prompt's theme may be "Steadiness and safety", so look for the note's own words).
    main = page.content().split("<main")[1].split("</main>")[0]
    assert "Your safety comes first" not in main and "Only you can see this page" not in main
    page.goto(base + "/start/safety")
    expect(page).to_have_url(base + "/today")  # not theirs to see
    page.get_by_role("link", name="Choose your pace").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("group", name="Do you feel safe with your partner?").get_by_label("Yes").check()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_text("Your answers stay with you.")).to_be_visible()
    skip_set_up(page, base)
    check_page(page, "Today after Alex's first run")

    with live_server.app.app_context():
        assert db.session.get(Intake, pair.b.id).feels_safe == "unsure"
        assert db.session.get(Intake, pair.a.id).feels_safe == "yes"
    sam.assert_no_problems()
    alex.assert_no_problems()


def test_a_quieter_pace_after_a_hard_moment_and_a_deeper_suggestion_at_a_phone_width(live_server, phone):
    """Sam alone sees the kind line about easing, and keeps their usual depth; each partner answers their
    therapist's deeper suggestion on their own phone, and neither sees the other's answer."""
    import sqlalchemy as sa

    from models import Assignment, Prompt, utcnow
    from services.journal import journal
    from services.therapist import links

    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair(factory.user("Alex"), factory.user("Sam"))
    therapist = factory.user("Dr Rivera", role="therapist")
    with factory.session():
        for person in (pair.a, pair.b):
            db.session.add(Intake(user_id=person.id, reasons=[], completed_at=utcnow()))
        code = links.link_code(factory.load(therapist))
        link_id = links.link_by_code(factory.load(pair.a), code).id
    with factory.session():
        for person in (pair.a, pair.b):
            links.consent(factory.load(person), link_id, "progress")
        deep = db.session.scalar(sa.select(Prompt).where(Prompt.depth == 3, Prompt.retired.is_(False)).limit(1))
        db.session.add(
            Assignment(link_id=link_id, couple_id=pair.couple_id, prompt_id=deep.id, note="When you're ready.")
        )
        journal.write(factory.load(pair.b), "A hard evening, written down.", "trigger")

    sam = phone("Sam")
    log_in(sam.page, base, pair.b.email)
    page = sam.page
    page.goto(base + "/today")
    expect(page.get_by_text("After a hard moment we'll keep things lighter for a few days")).to_be_visible()
    expect(page.get_by_role("heading", name="Your therapist suggested a deeper prompt")).to_be_visible()
    check_page(page, "Today: a quieter pace, and a deeper suggestion")
    save_screenshot(page, "pace-eased-and-offer-390.png", full_page=True)
    page.get_by_role("button", name="I'm ready for it").click()
    expect(page.get_by_text("You said you're ready.")).to_be_visible()
    check_page(page, "Today: ready for the suggestion")
    page.get_by_role("button", name="Keep my usual depth").click()
    expect(page.get_by_text("Back to your usual depth.")).to_be_visible()
    expect(page.get_by_text("After a hard moment we'll keep things lighter")).to_have_count(0)
    check_page(page, "Today: the usual depth kept")

    alex = phone("Alex")
    log_in(alex.page, base, pair.a.email)
    page = alex.page
    page.goto(base + "/today")
    expect(page.get_by_text("After a hard moment")).to_have_count(0)
    expect(page.get_by_text("You said you're ready.")).to_have_count(0)  # Sam's answer is Sam's
    page.get_by_role("button", name="Not now").click()
    expect(page.get_by_text("Not now, for you.")).to_be_visible()
    check_page(page, "Today: not now, for the suggestion")
