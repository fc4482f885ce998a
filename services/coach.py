"""The emotional-language coach: notices blame phrasing and offers the "I felt … when …" form.

It only ever suggests; nothing is blocked. The rules are plain data so the
browser runs exactly the same ones as you type (they reach the page as JSON
in a data attribute); every pattern uses the syntax that Python's re and
JavaScript's RegExp share, matched case-insensitively in both.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache, lru_cache

APOSTROPHE = "['\u2019]"

# Endings after "you always" / "you never" that are warm, not blaming.
_WARM_ALWAYS = (
    "make me (?:laugh|smile|feel (?:safe|loved|better|special|seen|heard|cared for))",
    "know (?:how|what|when)",
    "remember",
    "find (?:a way|the words)",
    "help",
    "bring",
    "cheer",
    "listen",
    "show up",
    "notice",
    "look out",
    "support",
    "try",
    "have my back",
    "manage to",
)
_WARM_NEVER = (
    "fail to",
    "let me down",
    "give up",
    "judge",
    "stop (?:trying|caring|making)",
    "forget",
    "make me feel (?:small|stupid|judged|alone)",
    "complain",
    "hold it against me",
)


@dataclass(frozen=True)
class CoachRule:
    id: str
    pattern: str
    hint: str


RULES: tuple[CoachRule, ...] = (
    CoachRule(
        "always",
        r"\byou(?: are| re|" + APOSTROPHE + r"re)? always\b(?! (?:" + "|".join(_WARM_ALWAYS) + r"))",
        "\u201cYou always\u201d can sound like a verdict. Could you name one moment and the feeling it left you with?",
    ),
    CoachRule(
        "never",
        r"\byou(?: are| re|" + APOSTROPHE + r"re)? never\b(?! (?:" + "|".join(_WARM_NEVER) + r"))",
        "\u201cYou never\u201d can make it hard to hear the hurt underneath. Try one moment and how it felt.",
    ),
    CoachRule(
        "fault",
        r"\b(?:(?:it"
        + APOSTROPHE
        + r"?s|it is|that"
        + APOSTROPHE
        + r"?s|that is|all) )?your fault\b|\bbecause of you\b",
        "Blame can close the door your words are trying to open. What did you feel, underneath?",
    ),
    CoachRule(
        "made-me",
        r"\byou made me (?:feel|do|say|act|so|this)\b|\byou make me so\b",
        "Owning the feeling can help it land: \u201cI felt \u2026 when \u2026\u201d.",
    ),
    CoachRule(
        "should-have",
        r"\byou (?:should|shouldn"
        + APOSTROPHE
        + r"?t|should not|could have|could"
        + APOSTROPHE
        + r"?ve) (?:have|ha"
        + APOSTROPHE
        + r"?ve)?\b|\bwhy (?:can"
        + APOSTROPHE
        + r"?t|don"
        + APOSTROPHE
        + r"?t|won"
        + APOSTROPHE
        + r"?t) you (?:ever|just)\b",
        "It may help to say what you needed rather than what they should have done: \u201cI needed \u2026\u201d.",
    ),
    CoachRule(
        "label",
        r"\byou(?:"
        + APOSTROPHE
        + r"re| are)(?: so| such an?| just| being| a| an)? (?:selfish|lazy|cold|useless|pathetic|a liar|liar|heartless|cruel|impossible|crazy|ridiculous|careless|dishonest|manipulative)\b",
        "Labels tend to start a defence. Try describing what happened and what you felt: \u201cI felt \u2026 when \u2026\u201d.",
    ),
    CoachRule(
        "dont-care",
        r"\byou (?:don"
        + APOSTROPHE
        + r"?t|do not|didn"
        + APOSTROPHE
        + r"?t|did not) (?:even )?care\b|\bwhat"
        + APOSTROPHE
        + r"?s wrong with you\b",
        "This sounds painful. Naming the fear underneath, like \u201cI felt unimportant when \u2026\u201d, can help them hear it.",
    ),
)

EXAMPLE = "I felt \u2026 when \u2026, and what I needed was \u2026"


@cache
def _compiled() -> tuple[tuple[CoachRule, re.Pattern], ...]:
    return tuple((rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in RULES)


def suggestions(text: str) -> list[CoachRule]:
    """The rules the text trips, in rule order (empty when the wording is fine)."""
    return [rule for rule, pattern in _compiled() if pattern.search(text or "")]


@lru_cache(maxsize=1)
def rules_json() -> str:
    """The rules as JSON for the browser's copy of the coach."""
    return json.dumps({"rules": [asdict(rule) for rule in RULES], "example": EXAMPLE}, ensure_ascii=False)
