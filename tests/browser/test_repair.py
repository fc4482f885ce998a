"""A repair conversation and a commitment in a real browser, on two phones at 390x844, axe on every screen.

Alex asks; Sam says "not yet", then accepts. Alex names the hurt, Sam reflects, Alex says "Partly", Sam reflects
again, Alex feels heard, Sam acknowledges, Alex names a need, Sam makes a commitment. Later Sam says "I did this"
and Alex says "I noticed". Screenshots of each screen go to test-artifacts/.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page, log_in, save_screenshot
from tests.helpers import Factory

pytestmark = pytest.mark.browser

HURT = "When you left the party without me, I felt alone and forgotten. Underneath, I was scared I don't matter to you."
SEALED = "Only a draft for now"


def screen(page: Page, name: str) -> None:
    check_page(page, name)
    save_screenshot(page, f"repair-{name}.png", full_page=True)


def send(page: Page, name: str = "Send") -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_a_repair_conversation_on_two_phones(live_server, phone):
    factory = Factory(live_server.app)
    pair = factory.pair(factory.user("Alex"), factory.user("Sam"))
    base = live_server.url
    alex, sam = phone("alex"), phone("sam")
    a, b = alex.page, sam.page
    log_in(a, base, pair.a.email)
    log_in(b, base, pair.b.email)

    # Alex asks.
    a.goto(base + "/repair")
    screen(a, "01-ask")
    a.get_by_label("Something hurt me, and I'd like us to talk about it").check()
    a.get_by_role("textbox", name="A few words about it (optional)", exact=True).fill("The party")
    send(a, "Ask")
    expect(a.get_by_role("heading", name="You've asked")).to_be_visible()
    screen(a, "02-asked")

    # Sam sees only that it was asked, on Today; says not yet, then accepts.
    b.goto(base + "/today")
    expect(b.get_by_text("Alex has asked for a repair conversation")).to_be_visible()
    assert "The party" not in b.content()
    screen(b, "03-today-asked")
    b.get_by_role("link", name="Open the conversation").click()
    screen(b, "04-request")
    b.get_by_label("This evening").check()
    send(b, "Not yet")
    expect(b.get_by_text("It will keep until you're ready")).to_be_visible()
    a.reload()
    expect(a.get_by_text("Sam suggested this evening")).to_be_visible()
    send(b, "I'm ready now")
    expect(b.get_by_text("Your partner is finding the words")).to_be_visible()
    screen(b, "05-waiting-for-step-1")

    # Alex names what happened: a draft first (sealed), then sends it.
    a.reload()
    field = a.get_by_role("textbox", name="What happened, and how it felt", exact=True)
    field.fill(f"you always leave. {SEALED}")
    expect(a.locator("#step-body-coach .coach")).to_be_visible()  # the coach notices, never blocks
    screen(a, "06-step-1-coached")
    send(a, "Keep as a draft")
    expect(a.get_by_text("Kept as a draft")).to_be_visible()
    b.reload()
    assert SEALED not in b.content() and "The party" not in b.content()
    a.get_by_role("textbox", name="What happened, and how it felt", exact=True).fill(HURT)
    send(a, "Send to Sam")
    expect(a.get_by_text("Sent. Your partner will reflect")).to_be_visible()

    # Sam reflects; Alex says partly; Sam reflects again; Alex feels heard.
    b.reload()
    expect(b.get_by_text(HURT)).to_be_visible()
    expect(b.get_by_text("About: The party")).to_be_visible()
    b.get_by_role("button", name="It sounds like you felt …").click()
    b.get_by_role("textbox", name="What you heard", exact=True).press_sequentially("alone at the party.")
    screen(b, "07-step-2-reflect")
    # Sam's phone loses its connection: the reflection waits on the phone and is sent once it is back.
    sam.context.set_offline(True)
    send(b, "Share what I heard")
    expect(b.get_by_text("Waiting to be sent.")).to_be_visible()
    sam.context.set_offline(False)
    for _ in range(40):
        a.reload()
        if a.get_by_role("heading", name="Did that feel heard?").count():
            break
        time.sleep(0.25)
    a.reload()
    screen(a, "08-step-3-heard")
    a.get_by_label("Partly — here's what I'd add").check()
    a.get_by_role("textbox", name="What you'd add (if partly)", exact=True).fill(
        "And scared that I don't matter to you."
    )
    send(a)
    b.reload()
    b.get_by_role("textbox", name="What you heard", exact=True).fill(
        "You felt alone, and scared that you don't matter to me."
    )
    send(b, "Share what I heard")
    a.reload()
    a.get_by_label("I feel heard").check()
    send(a)

    # Sam acknowledges; Alex names a need; Sam answers it with a commitment.
    b.reload()
    screen(b, "09-step-4-acknowledge")
    b.get_by_role("textbox", name="Your part, in your own words", exact=True).fill(
        "When I left without telling you, it left you alone and scared. I'm sorry."
    )
    send(b, "Share")
    a.reload()
    a.get_by_label("A specific change").check()
    a.get_by_role("textbox", name="In your own words (optional)", exact=True).fill(
        "Tell me before you leave somewhere."
    )
    screen(a, "10-step-5-need")
    send(a)
    b.reload()
    b.get_by_label("With a commitment: something I'll do").check()
    b.get_by_role("textbox", name="Your commitment (if you chose one)", exact=True).fill(
        "I'll tell you before I leave anywhere we went together."
    )
    screen(b, "11-step-6-answer")
    send(b)
    expect(b.get_by_role("heading", name="You walked through this together")).to_be_visible()
    a.reload()
    expect(a.get_by_role("heading", name="You walked through this together")).to_be_visible()
    screen(a, "12-ended")

    # Later: Sam says "I did this", Alex says "I noticed".
    b.goto(base + "/repair/commitments")
    screen(b, "13-commitments")
    b.get_by_role("link", name=re.compile("I'll tell you before I leave")).click()
    b.get_by_role("textbox", name="A line about it (optional)", exact=True).fill(
        "Texted you before leaving work drinks."
    )
    send(b, "I did this")
    expect(b.get_by_text("Texted you before leaving work drinks.")).to_be_visible()
    screen(b, "14-i-did-this")
    a.goto(base + "/repair/commitments")
    a.get_by_role("link", name=re.compile("I'll tell you before I leave")).click()
    a.get_by_role("textbox", name="A line about it (optional)", exact=True).fill("It meant a lot.")
    send(a, "I noticed")
    expect(a.locator(".moments")).to_contain_text("I noticed")
    screen(a, "15-i-noticed")
    assert not re.search(r"streak|missed|\d+\s?%", a.locator("main").inner_text(), re.I)

    alex.assert_no_problems()
    sam.assert_no_problems()
