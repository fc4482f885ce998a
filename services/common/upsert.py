"""INSERT ... ON CONFLICT DO NOTHING in the dialect at hand (SQLite and PostgreSQL both have it)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from extensions import db


def insert_ignoring_duplicates(model, rows: list[dict], conflict_columns: list[str], returning=None):
    """Insert rows, silently skipping any that would break the given unique key; optionally RETURNING."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    # The Core table, not the ORM entity: Core batches many rows into each statement, RETURNING included.
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)
    statement = insert.on_conflict_do_nothing(index_elements=conflict_columns)
    if returning is not None:
        return db.session.execute(statement.returning(*returning), rows).all()
    db.session.execute(statement, rows)
    return []
