"""The safety resources page (SECURITY.md SAFETY): open to anyone, plain about what Attune isn't, practical about getting out."""

from __future__ import annotations

import re

from tests.helpers import page_text


def test_safety_page_is_open_to_anyone_and_says_the_essentials(client):
    response = client.get("/safety")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    text = " ".join(page_text(response).split())
    for phrase in (
        "not crisis support",
        "local emergency number",
        "911",
        "999",
        "112",
        "If you feel unsafe with your partner",
        "Trust that feeling",
        "You don't have to continue",
        "domestic-abuse support line",
        "someone you trust",
        "a device your partner can't get into",
        "shared or monitored phone",
        "Leave quickly",
        "Clear your browser history",
        "Pause prompts",
        "Leave the couple",
        "withdraw consent",
        "Delete your account",
        "A note for therapists",
    ):
        assert phrase in text, phrase


def test_safety_page_loads_nothing_from_elsewhere(app, client):
    html = client.get("/safety").get_data(as_text=True)
    assert all(url.startswith("/") for url in re.findall(r'\bsrc="([^"]*)"', html))
    # The only address off this site is the quick-exit link, a plain link that loads nothing.
    external = set(re.findall(r'\bhref="((?:https?:)?//[^"]*)"', html))
    assert external == {app.config["QUICK_EXIT_URL"]}
    assert "<iframe" not in html and "<object" not in html and "<embed" not in html


def test_every_page_links_to_safety_in_the_footer(client, factory, auth):
    footer = client.get("/").get_data(as_text=True).split("<footer")[1]
    assert 'href="/safety"' in footer
    auth.login_as(factory.user())
    footer = client.get("/account").get_data(as_text=True).split("<footer")[1]
    assert 'href="/safety"' in footer
