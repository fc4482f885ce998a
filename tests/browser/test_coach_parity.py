"""The coach in Chromium: the served coach.js agrees with services/conversation/coach.py on every phrase, in
both modes, and the listener's hint appears beside the reflection field as someone types.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from flask import url_for
from playwright.sync_api import expect

from services.conversation import coach
from tests import coach_phrase_set
from tests.browser.conftest import log_in, save_screenshot
from tests.helpers import Factory

pytestmark = pytest.mark.browser

# A few texts beyond the phrase set, for the reading steps: quotes, emoji, stray marks, line breaks.
EDGES = [
    "",
    "\u201cYou never listen,\u201d she said. And you never do.",
    "it's 'fine' \u2014 you always know \U0001f600 what's up",
    "'",
    '"you always',
    "a\r\nyou never call\r\nb",
    "\u0130 never mind; YOU\u2019RE ALWAYS LATE!!!",
    "don't'  ''  you're'",
]


def test_browser_and_server_agree_on_every_phrase(live_server, phone):
    device = phone("coach")
    page = device.page
    page.goto(live_server.url + "/")  # a real page: coach.js as served, under the app's CSP
    # The landing page has nothing to coach, so it doesn't load the coach (templates/base.html): add it as served.
    with live_server.app.test_request_context():
        page.add_script_tag(url=live_server.url + url_for("static", filename="js/coach.js"))
    texts = [phrase.text for phrase in coach_phrase_set.load()] + EDGES
    browser = page.evaluate(
        """([texts, rules, modes]) => texts.map(t => modes.map(m => window.AttuneCoach.suggestions(t, rules, m)))""",
        [texts, json.loads(coach.rules_json()), list(coach.MODES)],
    )
    server = [[[asdict(hint) for hint in coach.suggestions(text, mode)] for mode in coach.MODES] for text in texts]
    differences = [
        f"{text!r}: server {s}, browser {b}" for text, s, b in zip(texts, server, browser, strict=True) if s != b
    ]
    assert not differences, f"{len(differences)} of {len(texts)} differ:\n" + "\n".join(differences[:20])
    assert any(any(modes) for modes in server)  # not vacuous
    device.assert_no_problems()


def test_listener_hint_appears_beside_the_reflection_and_never_blocks(live_server, phone):
    factory = Factory(live_server.app)
    pair = factory.pair()
    prompt_id = factory.reveal(pair)
    device = phone("alex")
    page = device.page
    log_in(page, live_server.url, pair.a.email)
    page.goto(f"{live_server.url}/prompts/{prompt_id}")

    box = page.get_by_label("What you heard")
    region = page.locator("#" + box.get_attribute("data-coach"))
    expect(region).to_have_attribute("aria-live", "polite")
    hint = region.locator(".coach")
    expect(hint).to_have_count(0)

    box.press_sequentially("I hear you, but it wasn't a big deal.")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("but")
    expect(hint).to_contain_text("What I heard is")
    box.scroll_into_view_if_needed()
    save_screenshot(page, "coach-listener-hint.png")
    box.fill("What I heard is that you felt alone. Did I get that right?")
    box.dispatch_event("input")
    expect(hint).to_have_count(0)

    box.fill("You're overreacting.")
    box.dispatch_event("input")
    expect(hint).to_contain_text("Their feelings make sense to them")
    page.get_by_role("button", name="Share my reflection").click()
    expect(page.get_by_text("You're overreacting.")).to_be_visible()  # saved as written
    device.assert_no_problems()


def test_speaker_hint_appears_beside_the_answer(live_server, phone):
    pair = Factory(live_server.app).pair()
    device = phone("alex")
    page = device.page
    log_in(page, live_server.url, pair.a.email)
    page.goto(f"{live_server.url}/prompts/{pair.first_prompt_id}")
    box = page.get_by_label("Your answer")
    hint = page.locator("#" + box.get_attribute("data-coach")).locator(".coach")
    box.press_sequentially("you always know how to hurt me")
    expect(hint).to_contain_text("You always")
    expect(hint).to_contain_text("I felt \u2026 when \u2026")
    box.fill("You always know how to make me laugh.")
    box.dispatch_event("input")
    expect(hint).to_have_count(0)
    device.assert_no_problems()
