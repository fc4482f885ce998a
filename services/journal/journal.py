"""Writing, finding and sharing journal entries. Services only flush; the caller commits.

Everything here moves only the author's own page version
(versions.person_changed), never the couple's, so the partner's cached pages
never change, nor get slower, because of a journal they cannot see
(SECURITY.md TIMING). Sharing one entry is the exception: from then on that
entry is the partner's to read, so the couple's version moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from extensions import db
from models import JOURNAL_TAGS, JournalEntry, User, utcnow
from models.journal import JOURNAL_MAX
from services.access import journal as access
from services.common import idempotency
from services.common.errors import Conflict, Invalid, NotFound
from services.common.text import REFLECTION_MAX, check_text
from services.couples import depth, versions
from services.therapist import links

# What each tag says, in the order the form offers them.
TAG_WORDS = {
    "trigger": "A trigger",
    "vulnerable": "A vulnerable moment",
    "care": "A moment of care I noticed",
    "feeling": "A feeling",
    "question": "A question I want to bring up",
}
assert tuple(TAG_WORDS) == JOURNAL_TAGS
SEARCH_MAX = 100
PAGE = 50


def check_tag(tag: str | None) -> str | None:
    """A tag from the list, or None for no tag."""
    if tag is None or tag == "":
        return None
    if tag not in TAG_WORDS:
        raise Invalid("Choose one of the tags, or none.", field="tag")
    return tag


def _moved(user: User) -> None:
    membership = user.active_membership
    if membership is not None:
        versions.person_changed(user.id, membership.couple_id)


def write(user: User, body: str, tag: str | None = None, client_key: str | None = None) -> JournalEntry:
    """A new entry, mine alone. Retrying with the same client key returns the first entry, unchanged."""
    if not user.is_partner:
        raise NotFound("We couldn't find that page.")
    body = check_text(body, limit=JOURNAL_MAX, field="body", what="entry")
    tag = check_tag(tag)
    client_key = idempotency.check_key(client_key)
    request_print = idempotency.fingerprint("journal", body, tag or "")
    replay = idempotency.earlier(user, client_key, request_print)
    if replay is not None and replay.journal_entry_id is not None:
        return access.own_entry(user, replay.journal_entry_id)
    now = utcnow()
    entry = JournalEntry(user_id=user.id, body=body, tag=tag, created_at=now, updated_at=now)
    db.session.add(entry)
    db.session.flush()
    idempotency.remember(user, client_key, request_print, journal_entry_id=entry.id)
    if tag == "trigger":
        # Writing down a trigger is a hard moment: my own ceiling goes quiet for a few days, later, privately.
        depth.ease_after_hard_moment(user, now)
    _moved(user)
    return entry


def edit(user: User, entry_id: int, body: str, tag: str | None) -> JournalEntry:
    """Change one of my entries, until I share it (then what was shared stays as it was read)."""
    entry = access.own_entry(user, entry_id)
    if entry.shared_at is not None or entry.therapist_shared_at is not None:
        raise Conflict("You've shared this entry, so it stays as it was. You can write a new one.")
    entry.body = check_text(body, limit=JOURNAL_MAX, field="body", what="entry")
    entry.tag = check_tag(tag)
    entry.updated_at = utcnow()
    db.session.flush()
    _moved(user)
    return entry


def delete(user: User, entry_id: int) -> None:
    """Delete one of my entries for good (from whoever I shared it with, too)."""
    entry = access.own_entry(user, entry_id)
    shared_couple = entry.shared_couple_id
    db.session.delete(entry)
    db.session.flush()
    if shared_couple is not None:
        versions.couple_changed(shared_couple)
    else:
        _moved(user)


def share_with_partner(user: User, entry_id: int) -> JournalEntry:
    """Share this one entry with my partner: from now on they can read it (and only it)."""
    entry = access.own_entry(user, entry_id)
    membership = user.active_membership
    if membership is None or not membership.couple.is_active:
        raise Conflict("You can share an entry once you're paired with your partner.")
    if entry.shared_at is None:
        entry.shared_couple_id = membership.couple_id
        entry.shared_at = utcnow()
        db.session.flush()
        versions.couple_changed(membership.couple_id)
    return entry


def share_with_therapist(user: User, entry_id: int, link_id: int) -> JournalEntry:
    """Share this one entry with a therapist linked to our couple, once both of us have consented to the link."""
    entry = access.own_entry(user, entry_id)
    state = next((s for s in links.links_of_couple(user) if s.link.id == link_id), None)
    if state is None or state.scope is None:
        raise Conflict("You can share with a therapist once you've both agreed to their link in Settings.")
    if entry.therapist_link_id is None:
        entry.therapist_link_id = link_id
        entry.therapist_shared_at = utcnow()
        db.session.flush()
        _moved(user)
    return entry


def stop_sharing_with_therapist(user: User, entry_id: int) -> JournalEntry:
    """Take an entry back from the therapist: they no longer see it (what they read stays in the access log)."""
    entry = access.own_entry(user, entry_id)
    entry.therapist_link_id = None
    entry.therapist_shared_at = None
    db.session.flush()
    _moved(user)
    return entry


def reflect(user: User, entry_id: int, body: str) -> JournalEntry:
    """Say back what I heard in an entry my partner shared (again, after they said "partly")."""
    entry = access.shared_with_me(user, entry_id)
    if entry.response == "heard":
        raise Conflict("They've said they feel heard. That's a good place to leave it.")
    entry.reflection = check_text(body, limit=REFLECTION_MAX, field="body", what="reflection")
    entry.reflected_at = utcnow()
    entry.response = entry.responded_at = None
    db.session.flush()
    versions.couple_changed(entry.shared_couple_id)
    return entry


def respond(user: User, entry_id: int, response: str, addition: str | None = None) -> JournalEntry:
    """Answer my partner's reflection on my entry: "heard", or "partly" with what I'd add."""
    entry = access.own_entry(user, entry_id)
    if entry.reflection is None or entry.response is not None:
        raise Conflict("There's no reflection waiting for your answer.")
    if response not in ("heard", "partly"):
        raise Invalid("Choose \u201cI feel heard\u201d or \u201cPartly\u201d.", field="response")
    entry.addition = (
        check_text(addition, limit=REFLECTION_MAX, field="addition", what="addition") if response == "partly" else None
    )
    entry.response = response
    entry.responded_at = utcnow()
    db.session.flush()
    versions.couple_changed(entry.shared_couple_id)
    return entry


@dataclass(frozen=True)
class Listing:
    entries: list[JournalEntry]
    tag: str | None
    query: str


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def mine(user: User, *, tag: str | None = None, query: str | None = None, limit: int = PAGE) -> Listing:
    """My entries, newest first, filtered by tag and a search of their words (for me alone)."""
    tag = tag if tag in TAG_WORDS else None  # a filter for a tag that doesn't exist shows everything
    query = " ".join((query or "").split())[:SEARCH_MAX]
    statement = sa.select(JournalEntry).where(JournalEntry.user_id == user.id)
    if tag:
        statement = statement.where(JournalEntry.tag == tag)
    if query:
        statement = statement.where(sa.func.lower(JournalEntry.body).like(_like(query.lower()), escape="\\"))
    entries = db.session.scalars(
        statement.order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc()).limit(limit)
    )
    return Listing(list(entries), tag, query)
