"""The coach's phrase set (tests/coach_phrases.toml) and how a mode is scored against it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).resolve().parent / "coach_phrases.toml"

# The kinds each mode looks for. A phrase labelled with the other mode's kinds is left out of
# that mode's figures: it belongs in the other field. A phrase labelled "none" counts in both.
MODE_KINDS = {"speaker": {"blame"}, "listener": {"defending", "minimising"}}


@dataclass(frozen=True)
class Phrase:
    text: str
    label: str
    group: str


@dataclass
class Score:
    mode: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    right_kind: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positives + self.false_negatives
        return self.true_positives / relevant if relevant else 1.0

    def __str__(self) -> str:
        return (
            f"{self.mode}: precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"({self.true_positives} found, {self.false_positives} false alarms, {self.false_negatives} missed; "
            f"right kind {self.right_kind}/{self.true_positives})"
        )


def load() -> list[Phrase]:
    data = tomllib.loads(PATH.read_text(encoding="utf-8"))
    return [
        Phrase(text, label, group)
        for label, groups in data.items()
        for group, texts in groups.items()
        for text in texts
    ]


def score(mode: str, phrases: list[Phrase], kinds_found) -> tuple[Score, list[str]]:
    """Score a mode, given kinds_found(text) -> the set of kinds the coach reported; also the mistakes."""
    result, mistakes = Score(mode), []
    for phrase in phrases:
        if phrase.label != "none" and phrase.label not in MODE_KINDS[mode]:
            continue
        found = kinds_found(phrase.text) & MODE_KINDS[mode]
        relevant = phrase.label in MODE_KINDS[mode]
        if relevant and found:
            result.true_positives += 1
            result.right_kind += phrase.label in found
        elif found:
            result.false_positives += 1
            mistakes.append(f"false alarm [{phrase.group}] {phrase.text!r}: {sorted(found)}")
        elif relevant:
            result.false_negatives += 1
            mistakes.append(f"missed [{phrase.label}/{phrase.group}] {phrase.text!r}")
    return result, mistakes
