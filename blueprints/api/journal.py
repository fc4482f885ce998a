"""The journal's JSON route: how the offline queue saves an entry written without a connection.

Retrying with the same Idempotency-Key stores the entry once. The answer
carries only the author's own entry, never anyone else's.
"""

from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate

from blueprints.api.routes import documented_errors, operation
from blueprints.api.schemas import InputSchema, _text_field
from models import JOURNAL_TAGS
from models.journal import JOURNAL_MAX
from services.journal import journal


class JournalInputSchema(InputSchema):
    body = _text_field("entry", JOURNAL_MAX, required=True)
    tag = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["", *JOURNAL_TAGS], error="Choose one of the tags, or none."),
    )


class JournalEntrySchema(Schema):
    """Dumped from the author's own JournalEntry row."""

    id = fields.Integer(required=True)
    body = fields.String(required=True)
    tag = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


@operation("/journal", "POST", body=JournalInputSchema, keyed=True, response=JournalEntrySchema, status=201)
@documented_errors(404)
def post_journal_entry(data: dict, idempotency_key: str | None = None):
    """Save a new entry in my private journal (only I can see it)."""
    entry = journal.write(current_user, data["body"], data.get("tag") or None, idempotency_key)
    return entry
