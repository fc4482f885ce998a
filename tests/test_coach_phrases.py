"""The coach measured against its phrase set: precision and recall in each mode."""

from __future__ import annotations

import pytest

from services.conversation import coach
from tests import coach_phrase_set

PRECISION = 0.9
RECALL = 0.85


@pytest.mark.parametrize("mode", coach.MODES)
def test_precision_and_recall(mode, capsys):
    phrases = coach_phrase_set.load()
    result, mistakes = coach_phrase_set.score(
        mode, phrases, lambda text: {hint.kind for hint in coach.suggestions(text, mode)}
    )
    with capsys.disabled():
        print(f"\ncoach {result}")
        for mistake in mistakes:
            print(f"  {mistake}")
    assert result.precision >= PRECISION and result.recall >= RECALL, str(result)
    # When the coach notices something, it names it rightly nearly always.
    assert result.right_kind >= 0.9 * result.true_positives, str(result)


def test_phrase_set_covers_what_it_must():
    phrases = coach_phrase_set.load()
    texts = {phrase.text for phrase in phrases}
    assert len(phrases) >= 200 and len(texts) == len(phrases), "phrases are unique"
    labels = {phrase.label for phrase in phrases}
    assert labels == {"blame", "defending", "minimising", "none"}
    for example in (
        "You lied to me.",
        "You were never there when I needed you.",
        "You make me feel worthless.",
        "What is wrong with you?",
        "You always know how to hurt me.",
        "You always find a way to blame me.",
        "It's not your fault that I get scared.",
        "None of this was your fault.",
        "You never gave up on us.",
        "You're always so patient with me.",
    ):
        assert example in texts, example
