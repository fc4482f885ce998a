"""The emotional-language coach: the same rules on the server and in the browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from services import coach

TRIGGERS = {
    "You always leave me to sort everything out.": "always",
    "you never listen to me": "never",
    "You\u2019re never home before nine.": "never",
    "It's your fault we missed it.": "fault",
    "it\u2019s your fault": "fault",
    "All of this is because of you.": "fault",
    "You made me feel stupid.": "made-me",
    "You should have called.": "should-have",
    "Why can't you just listen?": "should-have",
    "You're so selfish.": "label",
    "you are a liar": "label",
    "You don't care about us.": "dont-care",
    "What's wrong with you?": "dont-care",
}

CALM = [
    "You always make me laugh.",
    "you always know how to cheer me up",
    "You never fail to surprise me.",
    "You never let me down when it counts.",
    "I felt lonely when you stayed late, and I needed a message.",
    "I always worry that I'm too much.",
    "I never said that to anyone before.",
    "Thank you for listening.",
    "",
]

BROWSER_COACH = Path(__file__).resolve().parent.parent / "static" / "js" / "coach.js"


@pytest.mark.parametrize("text, rule", TRIGGERS.items())
def test_blame_phrasing_is_noticed(text, rule):
    assert rule in [r.id for r in coach.suggestions(text)]


@pytest.mark.parametrize("text", CALM)
def test_warm_or_owned_phrasing_is_left_alone(text):
    assert coach.suggestions(text) == []


def test_hints_offer_the_i_felt_form():
    assert "I felt" in coach.EXAMPLE
    assert all(rule.hint for rule in coach.RULES)


def test_browser_runs_the_same_rules():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    texts = list(TRIGGERS) + CALM
    script = (
        f"const coach = require({json.dumps(str(BROWSER_COACH))});"
        f"const rules = {coach.rules_json()}.rules;"
        f"const texts = {json.dumps(texts)};"
        "console.log(JSON.stringify(texts.map(t => coach.suggestions(t, rules).map(r => r.id))));"
    )
    output = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout
    browser = json.loads(output)
    server = [[r.id for r in coach.suggestions(t)] for t in texts]
    assert browser == server


def test_coach_never_blocks_saving(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    response = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "You never listen."})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "You never listen." in page
    assert "I felt" in page
