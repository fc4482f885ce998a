"""Between prompts, in Chromium at phone size (issue 12): the journal offline, sharing one entry,
a hard moment answered with a quick reply, and a check-in whose safety score the partner never sees.
axe runs on every screen; screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from extensions import db
from models import Couple, JournalEntry, ReassuranceRequest, RepairConversation, RepairTurn
from tests.browser.conftest import check_page, log_in, save_screenshot, wait_for_controller
from tests.helpers import Factory

pytestmark = pytest.mark.browser

ENTRY = "The car park at the station brought it all back today.\nI noticed my chest tighten 🌧"


def _rows(app, model, *where):
    with app.app_context():
        rows = db.session.scalars(sa.select(model).where(*where)).all()
        db.session.expunge_all()
        db.session.remove()
        return rows


def test_a_journal_entry_written_offline_is_stored_once_online_then_shared(live_server, phone):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    alex = phone("Alex")
    page, context = alex.page, alex.context
    log_in(page, base, pair.a.email)
    wait_for_controller(page)
    page.goto(base + "/journal")
    check_page(page, "journal (empty)")
    page.get_by_label("What's on your mind").fill(ENTRY)
    page.get_by_role("group", name="Tag it (if you like)").get_by_label("A trigger").check()
    page.wait_for_timeout(700)

    context.set_offline(True)
    page.get_by_role("button", name="Save to my journal").click()
    expect(page.locator("#sync-status")).to_contain_text("1 journal entry is waiting to be sent")
    assert _rows(live_server.app, JournalEntry) == []
    save_screenshot(page, "journal-offline.png")

    context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("Your journal entry was sent and saved.")
    page.wait_for_timeout(500)
    [entry] = _rows(live_server.app, JournalEntry)
    assert (entry.body, entry.tag, entry.user_id) == (ENTRY, "trigger", pair.a.id)
    expect(page.get_by_role("link", name=re.compile("A trigger"))).to_be_visible()
    check_page(page, "journal (one entry)")

    # Share this one entry with Sam.
    page.get_by_role("link", name=re.compile("A trigger")).click()
    check_page(page, "journal entry")
    page.get_by_role("button", name="Share this entry with my partner").click()
    expect(page.get_by_text("Shared with your partner on")).to_be_visible()
    save_screenshot(page, "journal-entry-shared.png", full_page=True)

    sam = phone("Sam")
    log_in(sam.page, base, pair.b.email)
    sam.page.goto(base + "/journal/shared")
    check_page(sam.page, "shared with you (list)")
    sam.page.get_by_role("link", name=re.compile("Shared on")).click()
    expect(sam.page.get_by_text("The car park at the station")).to_be_visible()
    expect(sam.page.get_by_text("How to listen to this")).to_be_visible()
    check_page(sam.page, "a shared entry")
    save_screenshot(sam.page, "journal-shared-with-partner.png", full_page=True)
    alex.assert_no_problems()
    sam.assert_no_problems()


OFFLINE_ENTRY = "On the bus home I wanted to text you and didn't.\nI was scared of the answer."


def _journal_draft(page: Page) -> dict | None:
    stored = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    drafts = [json.loads(v) for k, v in stored.items() if k.endswith(":draft:journal:new")]
    return drafts[0] if drafts else None


def _journal_queue(page: Page) -> list[dict]:
    stored = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    return [item for k, v in stored.items() if k.endswith(":queue") for item in json.loads(v)]


def test_an_offline_journal_draft_keeps_its_tag_through_a_reload_and_the_send(live_server, phone):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    alex = phone("Alex")
    page, context = alex.page, alex.context
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url == base + "/api/v1/journal" else None)
    log_in(page, base, pair.a.email)
    wait_for_controller(page)
    page.goto(base + "/journal")

    # Offline: a tag, then the words; both are kept on the phone.
    context.set_offline(True)
    tags = page.get_by_role("group", name="Tag it (if you like)")
    tags.get_by_label("A vulnerable moment").check()
    page.get_by_label("What's on your mind").fill(OFFLINE_ENTRY)
    page.wait_for_timeout(700)  # the draft is saved half a second after typing stops
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")  # pages are never cached
    draft = _journal_draft(page)
    assert draft and draft["fields"]["body"] == OFFLINE_ENTRY and draft["choices"] == {"tag": "vulnerable"}, draft

    # The journal again: the words and the tag are both back.
    context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_label("What's on your mind")).to_have_value(OFFLINE_ENTRY)
    expect(tags.get_by_label("A vulnerable moment")).to_be_checked()
    expect(page.get_by_text("Restored your unsent draft.")).to_be_visible()
    check_page(page, "journal (draft restored with its tag)")

    # Sent offline: queued with its tag; a reload keeps it queued; online, it is stored once, tagged.
    context.set_offline(True)
    page.get_by_role("button", name="Save to my journal").click()
    expect(page.locator("#sync-status")).to_contain_text("1 journal entry is waiting to be sent")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    [queued] = _journal_queue(page)
    assert (queued["kind"], queued["body"], queued["tag"]) == ("journal", OFFLINE_ENTRY, "vulnerable"), queued
    assert _rows(live_server.app, JournalEntry) == []

    context.set_offline(False)
    expect(page).to_have_url(base + "/journal")
    expect(page.locator("#sync-status")).to_contain_text("Your journal entry was sent and saved.")
    expect(page.get_by_role("link", name=re.compile("A vulnerable moment"))).to_be_visible()
    page.wait_for_timeout(500)
    [entry] = _rows(live_server.app, JournalEntry)
    assert (entry.body, entry.tag, entry.user_id) == (OFFLINE_ENTRY, "vulnerable", pair.a.id)
    assert len(posts) == 1 and posts[0].headers.get("idempotency-key") == queued["key"]
    assert json.loads(posts[0].post_data) == {"body": OFFLINE_ENTRY, "tag": "vulnerable"}
    # Nothing is left to restore: the form is empty, untagged, and nothing is sent again.
    expect(page.get_by_label("What's on your mind")).to_have_value("")
    expect(tags.get_by_label("No tag")).to_be_checked()
    assert _journal_draft(page) is None and _journal_queue(page) == []
    page.reload()
    page.wait_for_timeout(300)
    assert len(posts) == 1 and len(_rows(live_server.app, JournalEntry)) == 1
    check_page(page, "journal (offline entry saved with its tag)")
    alex.assert_no_problems()


HURT = "When you left the party without me, I felt invisible.\nI keep thinking about it."


def test_a_journal_entry_about_a_hurt_starts_a_repair_conversation_as_a_draft(live_server, phone):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    alex, sam = phone("Alex"), phone("Sam")
    log_in(alex.page, base, pair.a.email)
    page = alex.page
    page.goto(base + "/journal")
    page.get_by_label("What's on your mind").fill(HURT)
    page.get_by_role("group", name="Tag it (if you like)").get_by_label("A trigger").check()
    page.get_by_role("button", name="Save to my journal").click()
    expect(page.get_by_role("button", name="Share this entry with my partner")).to_be_visible()
    start = page.get_by_role("button", name="Start a repair conversation with this")
    expect(start).to_be_visible()
    check_page(page, "journal entry about a hurt")
    save_screenshot(page, "journal-entry-repair-offer.png", full_page=True)

    start.click()
    expect(page).to_have_url(re.compile(r"/repair/\d+$"))
    expect(page.get_by_text("Your entry waits as the draft of your first step")).to_be_visible()
    page.get_by_text("Your first step, kept as a draft").click()
    expect(page.get_by_text("When you left the party without me")).to_be_visible()
    check_page(page, "repair asked, with the entry as a draft")
    save_screenshot(page, "journal-to-repair-asked.png", full_page=True)
    [conversation] = _rows(live_server.app, RepairConversation)
    assert (conversation.asked_by_id, conversation.speaker_id, conversation.state) == (pair.a.id, pair.a.id, "asked")

    # Sam hears only that Alex would like to talk about something that hurt.
    log_in(sam.page, base, pair.b.email)
    sam.page.goto(base + f"/repair/{conversation.id}")
    expect(sam.page.get_by_role("heading", name="There's something that hurt Alex")).to_be_visible()
    assert "party" not in sam.page.content()
    check_page(sam.page, "repair asked (Sam)")
    sam.page.get_by_role("button", name="I'm ready now").click()
    assert "party" not in sam.page.content()

    # Alex's first step holds the entry's words, to change before sending.
    page.reload()
    box = page.get_by_role("textbox", name="What happened, and how it felt")
    expect(box).to_have_value(HURT)
    check_page(page, "repair step 1 prefilled from the journal")
    save_screenshot(page, "journal-to-repair-step-1.png", full_page=True)
    box.fill("When you left the party without me, I felt invisible, and I went quiet.")
    page.get_by_role("button", name="Send to Sam").click()
    expect(page.get_by_text("Sent. Your partner will reflect what they heard.")).to_be_visible()
    [turn] = _rows(live_server.app, RepairTurn)
    assert turn.sent_at is not None and turn.body.endswith("I went quiet.")

    sam.page.reload()
    expect(sam.page.get_by_text("I felt invisible, and I went quiet.")).to_be_visible()
    assert "I keep thinking about it" not in sam.page.content()
    check_page(sam.page, "repair step 1 received (Sam)")
    # The entry stays Alex's: Sam has nothing shared from the journal.
    sam.page.goto(base + "/journal/shared")
    assert "party" not in sam.page.content()
    alex.assert_no_problems()
    sam.assert_no_problems()


def test_a_hard_moment_with_a_reassurance_request_answered_by_a_quick_reply(live_server, phone):
    base = live_server.url
    pair = Factory(live_server.app).pair()
    alex, sam = phone("Alex"), phone("Sam")
    log_in(alex.page, base, pair.a.email)
    alex.page.get_by_role("link", name="I'm having a hard moment").click()
    expect(alex.page.get_by_role("heading", level=1)).to_have_text("You're having a hard moment")
    check_page(alex.page, "hard moment")
    save_screenshot(alex.page, "hard-moment.png", full_page=True)
    alex.page.emulate_media(reduced_motion="reduce")
    animation = alex.page.evaluate("getComputedStyle(document.querySelector('.breathe-circle')).animationName")
    assert animation == "none", "the breathing circle must keep still under prefers-reduced-motion"
    alex.page.emulate_media(reduced_motion="no-preference")

    alex.page.get_by_label("A few words for your partner (if you like)").fill(
        "I'm having a hard moment about the trip. I need to hear that we're okay."
    )
    alex.page.get_by_role("button", name="Ask for reassurance").click()
    expect(alex.page.get_by_text("Your partner will see it when they next open Attune.")).to_be_visible()
    check_page(alex.page, "reassurance sent")
    [request] = _rows(live_server.app, ReassuranceRequest)

    log_in(sam.page, base, pair.b.email)
    sam.page.goto(base + "/moments")
    sam.page.get_by_role("link", name=re.compile("Answer them")).click()
    expect(sam.page.get_by_text("about the trip")).to_be_visible()
    expect(sam.page.get_by_text("Don't defend or explain.")).to_be_visible()
    check_page(sam.page, "partner's request")
    save_screenshot(sam.page, "reassurance-request.png", full_page=True)
    sam.page.get_by_role("button", name="I'm here.").click()
    expect(sam.page.get_by_text("You answered: I'm here.")).to_be_visible()
    check_page(sam.page, "request answered")

    alex.page.goto(base + f"/moments/sent/{request.id}")
    expect(alex.page.get_by_text("Your partner answered: I'm here.")).to_be_visible()
    check_page(alex.page, "the reply, for the sender")
    save_screenshot(alex.page, "reassurance-reply.png")
    alex.assert_no_problems()
    sam.assert_no_problems()


def _check_in(page: Page, base: str, *, connection: str, safety: str, feeling: str) -> None:
    page.goto(base + "/checkin")
    # The scale's radio buttons sit under their 44px labels: a tap lands on the label.
    page.locator(f"label[for='connection-{connection}']").click()
    page.locator(f"label[for='safety-{safety}']").click()
    page.get_by_label("One word for how you feel").fill(feeling)
    page.get_by_label("One worry or fear on your mind (if you like)").fill("That I'll say too much.")
    page.get_by_label("One thing you appreciated").fill("You asked about my day.")
    page.get_by_label("One thing you need").fill("A slow Sunday.")
    page.get_by_role("button", name="Save my check-in").click()


def test_a_check_in_where_the_partners_page_shows_no_safety_score(live_server, phone):
    base = live_server.url
    factory = Factory(live_server.app)
    pair = factory.pair()
    with live_server.app.app_context():
        # Not a CSI-4 week, so the form is the weekly one.
        couple = db.session.get(Couple, pair.couple_id)
        couple.created_at = couple.created_at - timedelta(weeks=1)
        db.session.commit()
        db.session.remove()
    alex, sam = phone("Alex"), phone("Sam")
    log_in(alex.page, base, pair.a.email)
    alex.page.goto(base + "/checkin")
    check_page(alex.page, "check-in form")
    _check_in(alex.page, base, connection="6", safety="2", feeling="guarded")
    expect(alex.page.get_by_text("Saved. It stays private until you've both checked in.")).to_be_visible()

    log_in(sam.page, base, pair.b.email)
    _check_in(sam.page, base, connection="8", safety="9", feeling="hopeful")
    expect(sam.page.get_by_text("You've both checked in.").first).to_be_visible()
    check_page(sam.page, "check-in revealed (Sam)")
    save_screenshot(sam.page, "checkin-revealed-partner.png", full_page=True)
    alex_article = sam.page.locator("article.answer", has=sam.page.get_by_role("heading", name="Alex"))
    expect(alex_article).to_contain_text("guarded")
    expect(alex_article).not_to_contain_text("Safety")
    expect(alex_article).not_to_contain_text("2 of 10")
    expect(sam.page.get_by_text("How to listen to each other's week")).to_be_visible()
    # Sam's own safety score is Sam's to see.
    mine = sam.page.locator("article.answer", has=sam.page.get_by_role("heading", name="You"))
    expect(mine).to_contain_text("9 of 10")

    alex.page.goto(base + "/checkin")
    check_page(alex.page, "check-in revealed (Alex)")
    sam_article = alex.page.locator("article.answer", has=alex.page.get_by_role("heading", name="Sam"))
    expect(sam_article).not_to_contain_text("Safety")
    expect(sam_article).not_to_contain_text("9 of 10")
    alex.assert_no_problems()
    sam.assert_no_problems()
