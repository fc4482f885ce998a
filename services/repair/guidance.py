"""The words of each repair step: what to do, what to try to avoid, sentence starters, and what the other sees.

Written by us, after CARE.md ("Repairing an injury", "Listening well").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    title: str
    yours: str  # for the person whose step it is
    waiting: str  # for the other partner, while it is not theirs
    avoid: tuple[str, ...] = ()
    starters: tuple[str, ...] = ()
    label: str = "Your words"
    coach: str | None = None  # "speaker" or "listener": the coach's mode on this step's field


STEPS: dict[int, Step] = {
    1: Step(
        title="What happened, and how it felt",
        yours=(
            "Name one specific moment or pattern, and how it felt for you. If you want to, say the fear "
            "underneath it too. Go at your own pace: nothing is shared until you send it."
        ),
        waiting=(
            "Your partner is finding the words for what hurt. There's nothing you need to do yet. "
            "When they send it, you'll be asked only to listen and say what you heard."
        ),
        avoid=("Summing up who they are (\u201cyou always\u2026\u201d, \u201cyou never\u2026\u201d)",),
        starters=(
            "When \u2026 happened, I felt \u2026",
            "What hurt most was \u2026",
            "Underneath, I was scared that \u2026",
            "I've been carrying \u2026",
        ),
        label="What happened, and how it felt",
        coach="speaker",
    ),
    2: Step(
        title="Say what you heard",
        yours=(
            "Reflect what your partner said, and the feeling in it, especially the tender part. Only that, "
            "for now: there will be room for your side another time. Reflecting is not agreeing."
        ),
        waiting="Your partner is reflecting what they heard. You'll be able to say whether it felt right.",
        avoid=(
            "Defending or explaining (\u201cbut\u2026\u201d, \u201cI only did it because\u2026\u201d)",
            "Making it smaller (\u201cit wasn't a big deal\u201d, \u201cyou're overreacting\u201d)",
            "Turning to your own hurt (\u201cme too\u201d)",
            "Fixing, or asking for more detail",
        ),
        starters=(
            "What I heard is \u2026",
            "It sounds like you felt \u2026",
            "It makes sense that you felt \u2026, because \u2026",
            "I wonder if you also felt \u2026",
            "Did I get that right?",
        ),
        label="What you heard",
        coach="listener",
    ),
    3: Step(
        title="Did that feel heard?",
        yours=(
            "Read what your partner heard. If it feels right, say so. If part is missing, say what you'd "
            "add and they'll listen again, as many times as it takes."
        ),
        waiting="Your partner is reading your reflection.",
        label="What you'd add (if partly)",
        coach="listener",
    ),
    4: Step(
        title="Your part in it",
        yours=(
            "Say, in your own words, the impact your actions had on your partner. Leave out \u201cbut\u201d, and "
            "don't lead with what you meant: what you intended can come later, if they want to hear it."
        ),
        waiting="Your partner is putting their part into words.",
        avoid=(
            "\u201cBut\u2026\u201d, or what you meant, first",
            "Making it smaller, or hurrying to a happy ending",
        ),
        starters=(
            "When I \u2026, it left you feeling \u2026",
            "I see now that what I did \u2026",
            "I'm sorry that I \u2026",
        ),
        label="Your part, in your own words",
        coach="listener",
    ),
    5: Step(
        title="What you need now",
        yours=(
            "What would help now? Reassurance, a specific change, some time, or nothing yet: all of them "
            "are fine answers, and you can say more in your own words if you like."
        ),
        waiting="Your partner is thinking about what they need now.",
        starters=("What would help me is \u2026", "I need to know that \u2026", "I'd like you to \u2026"),
        label="In your own words (optional)",
        coach="speaker",
    ),
    6: Step(
        title="Answering the need",
        yours=(
            "Answer what your partner asked for: with words of reassurance, with a commitment (a small, "
            "concrete thing you'll do, that they could see), or honestly with \u201cI need time to think "
            "about this, and I'll come back to it by \u2026\u201d."
        ),
        waiting="Your partner is thinking about how to answer what you need.",
        starters=("I want you to know that \u2026", "From now on I'll \u2026", "I'll come back to this by \u2026"),
        label="Your words",
        coach="listener",
    ),
}

NEED_WORDS = {
    "reassurance": "Reassurance",
    "change": "A specific change",
    "time": "Time",
    "nothing": "Nothing yet",
}
ANSWER_WORDS = {
    "words": "Words of reassurance",
    "commitment": "A commitment",
    "time": "Time to think, and a time to come back to it",
}
CHOICE_WORDS = {"heard": "I feel heard", "partly": "Partly", **NEED_WORDS, **ANSWER_WORDS}
