"""Free text as people type it: kept exactly (emoji, line breaks), refusing only what can't be stored or is empty."""

from __future__ import annotations

import unicodedata

from services.common.errors import Invalid

ANSWER_MAX = 5000
REFLECTION_MAX = 2000


def unstorable(text: str) -> bool:
    """NUL (PostgreSQL text refuses it) or a lone surrogate (no driver can encode it as UTF-8)."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def check_text(text: str | None, *, limit: int, field: str, what: str) -> str:
    """The text with Windows line endings made plain; Invalid with a clear message when empty, too long or unstorable."""
    text = (text or "").replace("\r\n", "\n")
    if unstorable(text):
        raise Invalid(f"Your {what} contains a character that can't be stored. Remove it and try again.", field=field)
    if not text.strip():
        raise Invalid(f"Write something first: your {what} can't be empty.", field=field)
    if len(text) > limit:
        raise Invalid(f"Your {what} is {len(text):,} characters; the limit is {limit:,}.", field=field)
    return text


def check_line(value: str | None, *, limit: int, field: str, what: str) -> str:
    """A short single-line field (a name, a label): whitespace runs become one space; Invalid like check_text.

    Control characters other than whitespace (which is folded) are refused too: on one line they are
    invisible, so nobody meant to type them.
    """
    text = " ".join((value or "").split())
    if unstorable(text):
        raise Invalid(f"Your {what} contains a character that can't be stored. Remove it and try again.", field=field)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise Invalid(f"Your {what} contains an invisible control character. Remove it and try again.", field=field)
    if not text:
        raise Invalid(f"Write something first: your {what} can't be empty.", field=field)
    if len(text) > limit:
        raise Invalid(f"Your {what} is {len(text):,} characters; the limit is {limit:,}.", field=field)
    return text
