"""The core loop in a real browser, on two phones: register, pair, answer sealed, reveal, reflect, feel heard.

Partner A (Alex) and partner B (Sam) each have their own browser context
(their own cookies), both at a 390x844 phone viewport. Every page of the loop
is checked with axe as it is visited, and the browser must report no script
errors or Content-Security-Policy refusals along the way.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page, no_horizontal_overflow, save_screenshot
from tests.browser.first_run_steps import skip_set_up
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

A_ANSWER = "I felt close to you on Sunday 🌊🙂\nwhen we walked by the harbour and you held my hand."
B_BLAMING = "you never listen"
# A very long unbroken word: the side-by-side answers must wrap it, not widen the page.
LONG_WORD = "s" + "o" * 160
B_ANSWER = f"I felt looked after when you made tea this morning. I was {LONG_WORD} happy 💛"
A_REFLECTION = "you felt looked after when I made the tea, and it made your morning."
B_REFLECTION = "Sunday by the harbour felt close for you, and holding hands mattered."
LINK = re.compile(r"https?://\S+")


def link_in(mail, path_part: str) -> str:
    links = [link for link in LINK.findall(mail.body) if path_part in link]
    assert links, f"no {path_part} link in the mail {mail.subject!r}:\n{mail.body}"
    return links[0]


def partner_first_then_mine(page: Page) -> None:
    """On a phone: the partner's answer first at full width, then mine; long words wrap inside."""
    partner = page.locator(".answer-partner").bounding_box()
    mine = page.locator(".answer-mine").bounding_box()
    assert mine and partner, "both answer boxes must be on the page"
    assert partner["y"] + partner["height"] <= mine["y"], f"the partner's answer should come first: {partner} vs {mine}"
    width = page.viewport_size["width"]
    assert partner["width"] >= width * 0.8, f"the partner's answer should be full width: {partner} at {width}px"
    widths = page.eval_on_selector_all(".answer-body", "els => els.map(e => [e.scrollWidth, e.clientWidth])")
    for scroll_width, client_width in widths:
        assert scroll_width <= client_width, f"an answer is wider than its box: {scroll_width} > {client_width}"
    no_horizontal_overflow(page)


def side_by_side_when_wide(page: Page) -> None:
    """On a wide screen the two threads sit side by side, the partner's on the left."""
    partner = page.locator("#listening").bounding_box()
    mine = page.locator("#being-heard").bounding_box()
    assert abs(mine["y"] - partner["y"]) <= 3, f"the threads are not on one row: {partner} vs {mine}"
    assert partner["x"] + partner["width"] <= mine["x"] + 1, (
        f"partner's thread should be on the left: {partner} vs {mine}"
    )


def register(page: Page, live_server, email: str, name: str) -> None:
    """From the register page: email, the link from the outbox, name and password."""
    check_page(page, "register")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me the link").click()
    expect(page).to_have_url(re.compile(r"/register/sent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    check_page(page, "check inbox")

    link = link_in(live_server.mail_to(email), "/register/finish/")
    assert link.startswith(live_server.url + "/"), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish creating your account")
    expect(page.get_by_text(email)).to_be_visible()
    check_page(page, "finish registration")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text(f"Welcome, {name}.")).to_be_visible()


def respond_heard(page: Page) -> None:
    section = page.locator("#being-heard")
    # One tap: the box for "what you'd add" stays folded until "Partly" is chosen.
    expect(section.get_by_label("What you'd add (if partly)")).to_be_hidden()
    section.get_by_role("button", name="I feel heard").click()
    expect(page.get_by_text("Thank you for letting them know.")).to_be_visible()


def reflect(page: Page, partner_name: str, text: str) -> None:
    section = page.locator("#listening")
    expect(section.get_by_role("heading", level=3)).to_have_text(f"{partner_name}'s answer")
    starter = section.locator("button.starter").first
    starter_text = starter.inner_text().rstrip("… ").strip()
    starter.click()
    box = section.get_by_label("What you heard")
    expect(box).to_be_focused()
    assert box.input_value().startswith(starter_text), box.input_value()
    box.press_sequentially(text)
    section.get_by_role("button", name="Share my reflection").click()
    expect(page.get_by_text("Reflection shared.")).to_be_visible()
    expect(page.locator("#listening .reflection-body")).to_contain_text(text)


def test_two_partners_answer_reveal_and_feel_heard(live_server, phone):
    base = live_server.url
    alex, sam = phone("Alex"), phone("Sam")
    a, b = alex.page, sam.page

    # --- A registers and starts a couple -------------------------------------------------------
    a.goto(base + "/")
    expect(a.get_by_role("heading", level=1)).to_have_text("Rebuild trust, a few minutes a day")
    check_page(a, "home")
    a.get_by_role("link", name="Create an account").click()
    expect(a).to_have_url(re.compile(r"/register$"))
    register(a, live_server, "alex@example.test", "Alex")
    expect(a).to_have_url(base + "/couple")
    check_page(a, "couple (not paired)")
    a.get_by_role("button", name="Start our couple").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Invite your partner")
    check_page(a, "couple (waiting, with invite)")
    invite_link = a.locator("input#invite-link").input_value()
    code = a.locator(".code").inner_text()
    assert re.fullmatch(rf"{re.escape(base)}/join/[\w-]+", invite_link), invite_link
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code

    # --- B follows the invite, registers through it, and joins ---------------------------------
    b.goto(invite_link)
    # The link hands its token to the session and moves on; who sent it is said only after signing in.
    expect(b).to_have_url(base + "/join/invite")
    expect(b.get_by_role("heading", level=1)).to_have_text("You've been invited to Attune")
    check_page(b, "invite landing")
    b.get_by_role("link", name="Create an account").click()
    expect(b).to_have_url(re.compile(r"/register\?next="))
    assert parse_qs(urlsplit(b.url).query)["next"] == ["/join/invite"], b.url
    register(b, live_server, "sam@example.test", "Sam")
    expect(b).to_have_url(base + "/join/invite")  # the invite carried through the email link
    expect(b.get_by_role("heading", level=1)).to_have_text("Join Alex?")
    check_page(b, "confirm join")
    b.get_by_role("button", name="Join Alex").click()
    # The first run: the pace, then a few optional private questions, the set-up steps (skipped here;
    # tests/browser/test_first_run.py goes through them), then Today.
    expect(b).to_have_url(base + "/start/pace")
    check_page(b, "first run: pace")
    b.get_by_role("button", name="Next").click()
    check_page(b, "first run: about you")
    b.get_by_role("button", name="Done").click()
    skip_set_up(b, base)
    prompt_text = b.locator(".prompt-card .prompt-text").first.inner_text()
    assert prompt_text.strip()

    # --- A answers privately (emoji and a line break survive) ----------------------------------
    a.get_by_role("link", name="Today").click()
    expect(a).to_have_url(base + "/today")
    expect(a.locator(".prompt-card .prompt-text").first).to_have_text(prompt_text)
    expect(a.get_by_text("Neither of you has answered yet.")).to_be_visible()
    check_page(a, "today (answer form)")
    a.get_by_label("Your answer").fill(A_ANSWER)
    a.get_by_role("button", name="Save my answer").click()
    expect(a).to_have_url(re.compile(r"/prompts/\d+$"))
    prompt_url = a.url
    expect(a.get_by_text("Saved. It stays private until you've both answered.")).to_be_visible()
    expect(a.get_by_text("Sam hasn't answered yet")).to_be_visible()
    assert a.get_by_label("Your answer").input_value() == A_ANSWER
    check_page(a, "prompt page (sealed, waiting)")

    # --- B sees that A answered, but not what ---------------------------------------------------
    b.reload()
    expect(b.get_by_text("Alex has answered — your turn.")).to_be_visible()
    content = b.content()
    for line in A_ANSWER.splitlines():
        assert line not in content, f"B can see A's sealed answer ({line!r}) before answering"
    assert "🌊" not in content, "B can see A's sealed answer before answering"
    save_screenshot(b, "answer-page.png")

    # --- The coach notices blame as B types, then B answers kindly ------------------------------
    box = b.get_by_label("Your answer")
    # The live region is in the page from the start; the hint panel appears inside it as B types.
    live_region = b.locator("#" + box.get_attribute("data-coach"))
    expect(live_region).to_have_attribute("aria-live", "polite")
    hint = live_region.locator(".coach")
    expect(hint).to_have_count(0)
    box.press_sequentially(B_BLAMING)
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("You never")
    expect(hint).to_contain_text("I felt … when …")
    save_screenshot(b, "coach-hint.png")
    box.fill(B_ANSWER)
    expect(hint).to_have_count(0)
    expect(live_region).to_be_attached()
    expect(b.get_by_text("Saving shows you both answers at once")).to_be_visible()
    b.get_by_role("button", name="Save and reveal both").click()
    expect(b).to_have_url(prompt_url)
    expect(b.get_by_text("You've both answered. Here's what you each wrote.")).to_be_visible()

    # --- The reveal: the partner's answer first, then mine, on both phones -------------------------
    a.reload()
    for page, mine, theirs, partner_name in ((a, A_ANSWER, B_ANSWER, "Sam"), (b, B_ANSWER, A_ANSWER, "Alex")):
        expect(page.locator("#listening .thread-title")).to_have_text(f"{partner_name}'s answer")
        # Exactly as typed: emoji and the line break, which is shown as a line break.
        assert page.locator(".answer-mine .answer-body").text_content() == mine
        assert page.locator(".answer-partner .answer-body").text_content() == theirs
        shown = page.locator(".answer-mine .answer-body" if mine == A_ANSWER else ".answer-partner .answer-body")
        assert "🌊🙂\nwhen we walked" in shown.inner_text()
        partner_first_then_mine(page)
    check_page(a, "reveal page (Alex)")
    check_page(b, "reveal page (Sam)")
    b.emulate_media(color_scheme="dark")
    check_page(b, "reveal page (Sam, dark mode)")
    b.emulate_media(color_scheme="light")
    save_screenshot(b, "reveal-page.png", full_page=True)

    # A narrower phone: the long unbroken word still wraps inside its box; a wide screen puts them side by side.
    b.set_viewport_size({"width": 360, "height": 780})
    partner_first_then_mine(b)
    b.set_viewport_size({"width": 1280, "height": 800})
    side_by_side_when_wide(b)
    check_page(b, "reveal page (Sam, desktop)")
    b.set_viewport_size({"width": 390, "height": 844})

    # --- Each reflects; each feels heard --------------------------------------------------------
    reflect(a, "Sam", A_REFLECTION)
    expect(a.get_by_text("Waiting for Sam to say whether they felt heard.")).to_be_visible()

    b.reload()
    expect(b.locator("#being-heard .reflection-body")).to_contain_text(A_REFLECTION)
    check_page(b, "reveal page (responding to a reflection)")
    respond_heard(b)
    reflect(b, "Alex", B_REFLECTION)

    a.reload()
    expect(a.get_by_text("Sam feels heard.")).to_be_visible()
    respond_heard(a)
    expect(a.get_by_text("This conversation is complete")).to_be_visible()
    check_page(a, "reveal page (complete)")
    b.reload()
    expect(b.get_by_text("This conversation is complete")).to_be_visible()
    expect(b.get_by_text("Alex feels heard.")).to_be_visible()

    # --- History, account, and logging out and back in ------------------------------------------
    expect(a.get_by_role("heading", name="You both felt heard.")).to_be_visible()
    tabs = a.get_by_role("navigation", name="Main")
    tabs.get_by_role("link", name="Conversations").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Conversations")
    expect(tabs.get_by_role("link", name="Conversations")).to_have_attribute("aria-current", "page")
    item = a.locator(".history-item").first
    expect(item).to_contain_text(prompt_text)
    expect(item).to_contain_text("You felt heard")
    expect(item).to_contain_text("Sam felt heard")
    check_page(a, "history")
    item.get_by_role("link").click()
    expect(a.locator(".answer-mine .answer-body")).to_have_text(A_ANSWER)
    expect(a.locator(".answer-partner .answer-body")).to_have_text(B_ANSWER)
    tabs.get_by_role("link", name="More").click()
    check_page(a, "more")
    a.get_by_role("link", name="Account").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Your account")
    check_page(a, "account")
    a.get_by_role("button", name="Log out").click()
    expect(a).to_have_url(base + "/")
    a.goto(base + "/login")
    check_page(a, "login")
    a.get_by_label("Email").fill("alex@example.test")
    a.get_by_label("Password").fill(PASSWORD)
    a.get_by_role("button", name="Log in").click()
    expect(a).to_have_url(base + "/today")

    alex.assert_no_problems()
    sam.assert_no_problems()
