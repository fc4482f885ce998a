"""The emotional-language coach: its two modes, its rules file, and where the pages attach it."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from services.conversation import coach
from tests.helpers import PASSWORD, page_text

ROOT = Path(__file__).resolve().parent.parent
BROWSER_COACH = ROOT / "static" / "js" / "coach.js"
PHRASES = Path(__file__).resolve().parent / "coach_phrases.toml"


def ids(text: str, mode: str = "speaker") -> list[str]:
    return [hint.id for hint in coach.suggestions(text, mode)]


# The examples the old coach got wrong ------------------------------------------------------

MISSED_BLAME = [
    "you lied to me",
    "You've never once asked how my day was.",
    "You were never there when I needed you.",
    "You make me feel worthless.",
    "What is wrong with you?",
    "You always know how to hurt me.",
    "You always find a way to blame me.",
]

NOT_BLAME = [
    "It's not your fault that I get scared.",
    "None of this was your fault.",
    "My dad used to yell 'you never listen' and I froze.",
    "She yelled you never listen, and I shut down.",
    "You never know, maybe it will help.",
    "You're always so patient with me.",
    "You never gave up on us.",
    "I felt alone when you stayed late, and I needed a message.",
    "I always worry that I'm too much.",
    "",
]


@pytest.mark.parametrize("text", MISSED_BLAME)
def test_blame_is_noticed_in_answers(text):
    hints = coach.suggestions(text)
    assert hints, text
    assert {hint.kind for hint in hints} == {"blame"}


@pytest.mark.parametrize("text", NOT_BLAME)
def test_reassurance_quotes_idioms_and_warmth_are_left_alone(text):
    assert coach.suggestions(text) == []


def test_the_object_decides_after_an_absolute():
    assert ids("You always make me laugh.") == []
    assert ids("You always make me feel small.") == ["always", "made-me"]
    assert ids("You never judge me.") == []
    assert ids("You never listen.") == ["never"]
    assert ids("You never stop criticising me.") == ["never"]
    assert ids("You never stopped trying.") == []


def test_negation_and_reported_speech():
    assert ids("It is your fault.") == ["fault"]
    assert ids("It was never your fault.") == []
    assert ids("I don't think you're selfish.") == []
    assert ids("You're selfish.") == ["label"]
    assert ids("He told me you never loved me.") == []
    assert ids("I said it because you never listen.") == ["never"]  # "said it because" reports nothing


LISTENER = {
    "I hear you, but I was exhausted.": "defending",
    "I only did it because I didn't want to worry you.": "defending",
    "That's not what happened.": "defending",
    "You're overreacting.": "minimising",
    "It wasn't a big deal.": "minimising",
    "Me too. Nobody asks about me.": "minimising",
    "At least nobody got hurt.": "minimising",
    "You're too sensitive.": "minimising",
}

LISTENER_FINE = [
    "What I heard is that you felt alone when I stayed late. Did I get that right?",
    "It makes sense that you felt scared, given everything.",
    "You're not overreacting.",
    "I'm sorry I said it wasn't a big deal. It was.",
    "I hear you. But I also hear how tired you are.",
    "It happened at least three times, and each time you felt more alone.",
    "You want us to try again. Me too.",
]


@pytest.mark.parametrize("text, kind", LISTENER.items())
def test_defending_and_minimising_are_noticed_in_listener_mode(text, kind):
    assert kind in {hint.kind for hint in coach.suggestions(text, "listener")}
    assert coach.suggestions(text) == []  # the speaker's rules look for blame only


@pytest.mark.parametrize("text", LISTENER_FINE)
def test_staying_with_what_was_heard_is_left_alone(text):
    assert coach.suggestions(text, "listener") == []


def test_modes_are_separate_and_default_to_speaker():
    assert ids("You never listen.") == ids("You never listen.", "speaker") == ["never"]
    assert ids("You never listen.", "listener") == []
    with pytest.raises(ValueError):
        coach.suggestions("anything", "therapist")


def test_every_hint_carries_its_kind_and_a_suggestion():
    blame = coach.suggestions("You always leave.")[0]
    assert (blame.kind, blame.example) == ("blame", "I felt \u2026 when \u2026, and what I needed was \u2026")
    listener = coach.suggestions("I hear you, but it wasn't a big deal.", "listener")
    assert [hint.kind for hint in listener] == ["defending", "minimising"]
    assert listener[0].example != listener[1].example != blame.example
    assert all(hint.hint for hint in [blame, *listener])


# The rules file ----------------------------------------------------------------------------


def _rules() -> dict:
    return json.loads(coach.RULES_PATH.read_text(encoding="utf-8"))


def test_rules_are_one_file_and_the_page_gets_all_of_it():
    assert json.loads(coach.rules_json()) == _rules()


def test_rules_file_is_well_formed():
    data = _rules()
    words = re.compile(r"^[a-z0-9'\-]+$|^,$")
    for name, phrases in data["lists"].items():
        for phrase in phrases:
            assert phrase == phrase.strip() and phrase.lower() == phrase, (name, phrase)
            # Phrases are written as the reader sees them: contractions already expanded.
            assert all(words.match(w) and "'" not in w for w in phrase.split()), (name, phrase)
    patterns = list(coach._all_patterns(data))
    for pattern in patterns:
        for part in pattern.split():
            part = part.rstrip("?*") or part
            if part.startswith("@"):
                assert part[1:] in data["lists"], (pattern, part)
            elif part not in ("^", "$", "_", ","):
                assert all(re.match(r"^[a-z0-9\-]+$", w) for w in part.split("|")), (pattern, part)
    seen = set()
    for rule in data["rules"]:
        assert rule["mode"] in coach.MODES and rule["kind"] in data["kinds"], rule["id"]
        assert rule["hint"].strip() and rule["id"] not in seen
        seen.add(rule["id"])
        for name in ("lenient", "idioms", "bad_start"):
            if name in rule.get("predicate", {}):
                assert rule["predicate"][name] in data["lists"]
    assert {rule["kind"] for rule in data["rules"]} == {"blame", "defending", "minimising"}


def test_phrase_set_is_large_and_labelled():
    data = tomllib.loads(PHRASES.read_text(encoding="utf-8"))
    assert set(data) == {"blame", "defending", "minimising", "none"}
    assert sum(len(texts) for groups in data.values() for texts in groups.values()) >= 200


def test_node_runs_the_same_rules():
    """A quick check without Chromium; tests/browser/test_coach_parity.py runs the whole set in the browser."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    texts = MISSED_BLAME + NOT_BLAME + list(LISTENER) + LISTENER_FINE
    script = (
        f"const coach = require({json.dumps(str(BROWSER_COACH))});"
        f"const rules = {coach.rules_json()};"
        f"const texts = {json.dumps(texts)};"
        "console.log(JSON.stringify(texts.map(t => ['speaker', 'listener']"
        ".map(m => coach.suggestions(t, rules, m).map(h => h.id)))));"
    )
    output = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout
    server = [[ids(t, mode) for mode in coach.MODES] for t in texts]
    assert json.loads(output) == server


# The pages ---------------------------------------------------------------------------------


def _coached_fields(page: str) -> dict[str, dict[str, str]]:
    fields = {}
    for match in re.finditer(r"<textarea ([^>]*)>", page):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        if "data-coach" in attrs:
            fields[attrs["id"]] = {k: html.unescape(v) for k, v in attrs.items()}
    return fields


def _live_region(page: str, region_id: str) -> bool:
    return re.search(rf'<div class="coach-region" id="{re.escape(region_id)}" aria-live="polite">', page) is not None


def test_answer_field_is_coached_as_the_speaker(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    fields = _coached_fields(client.get(f"/prompts/{pair.first_prompt_id}").get_data(as_text=True))
    (field,) = fields.values()
    assert field.get("data-coach-mode", "speaker") == "speaker"
    assert client.get(field["data-coach-rules-url"]).get_json() == _rules()


def test_reflection_and_addition_fields_are_coached_as_the_listener(client, auth, factory):
    pair = factory.pair()
    instance = factory.reveal(pair)
    auth.login_as(pair.a)
    page = client.get(f"/prompts/{instance}").get_data(as_text=True)
    reflection = _coached_fields(page)["reflection-body"]
    assert reflection["data-coach-mode"] == "listener"
    assert client.get(reflection["data-coach-rules-url"]).get_json() == _rules()
    assert _live_region(page, reflection["data-coach"])

    # Sam reflects Alex's answer, so Alex now has the "what you'd add" field.
    other = client.application.test_client()
    other.post("/login", data={"email": pair.b.email, "password": PASSWORD})
    assert other.post(f"/prompts/{instance}/reflections", data={"body": "You felt unseen."}).status_code == 302
    page = client.get(f"/prompts/{instance}").get_data(as_text=True)
    addition = _coached_fields(page)["addition"]
    assert addition["data-coach-mode"] == "listener"
    assert _live_region(page, addition["data-coach"])


def test_coach_never_blocks_saving(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    response = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "You never listen."})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "You never listen." in page
    assert "I felt" in page


def test_coach_never_blocks_a_defensive_reflection(client, auth, factory):
    pair = factory.pair()
    instance = factory.reveal(pair)
    auth.login_as(pair.a)
    defensive = "I hear you, but you're overreacting."
    assert coach.suggestions(defensive, "listener")
    response = client.post(f"/prompts/{instance}/reflections", data={"body": defensive})
    assert response.status_code == 302
    assert defensive in page_text(client.get(f"/prompts/{instance}"))
