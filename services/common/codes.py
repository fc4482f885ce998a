"""Short codes people read aloud and type on phones (invites, therapist links)."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """Upper case without spaces or dashes, as typed codes are compared."""
    return re.sub(r"[\s-]", "", (raw or "")).upper()


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def as_code(code: str) -> str:
    """A code as people read and type it: two groups of four, ABCD-EFGH."""
    return f"{code[:4]}-{code[4:]}"
