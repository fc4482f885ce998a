"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet: argon2id with 19 MiB, 2 iterations, 1 lane.
OWASP_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
# Only for the test suite, where hundreds of accounts are made; never in a deployed app.
FAST_TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}

PROFILES = {"owasp": OWASP_PARAMETERS, "fast-tests": FAST_TEST_PARAMETERS}


@cache
def hasher(profile: str = "owasp") -> PasswordHasher:
    return PasswordHasher(type=Type.ID, **PROFILES[profile])


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # Imported on first use: zxcvbn's word lists are large and only registration needs them.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: str, *, email: str = "", display_name: str = "") -> None:
    """Refuse passwords that are too short, too long, or among the most common ones."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"Use at most {MAX_LENGTH} characters.", field="password")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise Invalid("That password is one of the most common ones. Try a longer phrase.", field="password")
    if lowered in {email.lower(), email.lower().split("@")[0], display_name.lower()}:
        raise Invalid("Choose a password that isn't your email address or name.", field="password")


def hash_password(password: str, profile: str = "owasp") -> str:
    return hasher(profile).hash(normalise(password))


def verify_password(stored_hash: str, password: str, profile: str = "owasp") -> tuple[bool, str | None]:
    """Check a password; when it matches but was hashed with older parameters, also return a new hash."""
    ph = hasher(profile)
    try:
        ph.verify(stored_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False, None
    if ph.check_needs_rehash(stored_hash):
        return True, ph.hash(normalise(password))
    return True, None


@cache
def dummy_hash(profile: str = "owasp") -> str:
    """A hash to verify against when no account matches, so both paths take the same time."""
    return hasher(profile).hash("attune-no-such-account")
