"""Statements run straight through the database driver, for the scheduler's bulk reads and writes.

The per-minute tick may have tens of thousands of couples to serve at once
(after downtime, or at a popular hour). Going through the ORM, or even Core
with its per-value type processing, costs more than the database work, so
the tick's few statements are written here once, in the SQL both SQLite and
PostgreSQL accept, and run with the driver's executemany. They share the
session's connection and transaction. Values read here are passed back
unchanged (a stored timestamp is compared with itself, never re-encoded).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from extensions import db

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class Driver:
    """The session's connection, spoken to in its own driver's terms."""

    def __init__(self):
        self.postgres = db.session.get_bind().dialect.name == "postgresql"

    @property
    def raw(self):
        # Asked for afresh each time: after a commit this begins the session's next transaction
        # (BEGIN IMMEDIATE on SQLite), so every batch is one atomic transaction.
        return db.session.connection().connection.dbapi_connection

    def _sql(self, statement: str) -> str:
        # sqlite3 takes :name natively; psycopg wants %(name)s.
        return _NAMED.sub(r"%(\1)s", statement.replace("%", "%%")) if self.postgres else statement

    def rows(self, statement: str, params: dict | None = None) -> list[tuple]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(self._sql(statement), params or {})
            return cursor.fetchall()
        finally:
            cursor.close()

    def many(self, statement: str, rows: list[dict]) -> int:
        """Run a statement once per row; returns the rows it changed (a skipped conflict changes none)."""
        if not rows:
            return 0
        cursor = self.raw.cursor()
        try:
            cursor.executemany(self._sql(statement), rows)
            return cursor.rowcount
        finally:
            cursor.close()

    def stamp(self, moment: datetime | None):
        """A UTC instant as this database stores it (SQLite: the text SQLAlchemy writes)."""
        if moment is None or self.postgres:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def in_list(self, name: str, values: list) -> tuple[str, dict]:
        """An IN (...) clause with one named parameter per value."""
        params = {f"{name}{i}": value for i, value in enumerate(values)}
        return "(" + ", ".join(f":{key}" for key in params) + ")", params
