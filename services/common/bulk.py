"""Statements run straight through the database driver, for the scheduler's bulk reads and writes.

The per-minute tick may have tens of thousands of couples to serve at once
(after downtime, or at a popular hour). Going through the ORM, or even Core
with its per-value type processing, costs more than the database work, so
the tick's few statements are written here once, in the SQL both SQLite and
PostgreSQL accept. They share the session's connection and transaction.
Values read here are passed back unchanged (a stored timestamp is compared
with itself, never re-encoded).

`Driver.many` runs a statement for each row of a list. SQLite does it with
the driver's executemany (in-process, each row costs microseconds). On
PostgreSQL a row-by-row executemany is one statement per row on the server,
so an `INSERT ... VALUES (...)` or an `UPDATE ... SET ... WHERE ...` is
rewritten once into a single statement over `unnest` arrays, one array per
parameter, typed from the table's columns in the models:

    INSERT INTO t (a, b, c) VALUES (:a, 'x', :c) ON CONFLICT (a) DO NOTHING
 -> INSERT INTO t (a, b, c) SELECT _v._p_a, 'x', _v._p_c
      FROM unnest(%(a)b::integer[], %(c)b::varchar[]) AS _v(_p_a, _p_c) ON CONFLICT (a) DO NOTHING

The arrays go over in binary (%(name)b): psycopg writes a binary array
without quoting each element, a fraction of the client's work for text.

Same semantics: ON CONFLICT DO NOTHING also skips a row that conflicts with
an earlier row of the same list, and the count returned is the rows changed.
An UPDATE is rewritten only when its rows name distinct primary keys (as
executemany would then change each target row at most once); otherwise, or
for a statement of another shape, it runs row by row as before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from extensions import db

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")
_INSERT = re.compile(
    r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\((.*)\)\s*(ON\s+CONFLICT\b.*)?$", re.I | re.S
)
_UPDATE = re.compile(r"^\s*UPDATE\s+(\w+)\s+SET\s+(.*?)\s+WHERE\s+(.*)$", re.I | re.S)
_ASSIGNED = re.compile(r"\b([a-z_][a-z0-9_]*)\s*=\s*:([a-z_][a-z0-9_]*)\b", re.I)


def _split(values: str) -> list[str]:
    """A VALUES list's expressions (commas inside parentheses or quotes don't split)."""
    parts, depth, quoted, current = [], 0, False, []
    for char in values:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


class _Arrays:
    """One statement rewritten over unnest arrays (PostgreSQL), or None where it can't be."""

    def __init__(self, sql: str, params: list[str], key: list[str]):
        self.sql, self.params, self.key = sql, params, key

    @staticmethod
    def build(statement: str, dialect) -> _Arrays | None:
        insert, update = _INSERT.match(statement), _UPDATE.match(statement)
        if insert:
            table_name = insert.group(1)
        elif update:
            table_name = update.group(1)
        else:
            return None
        table = db.metadata.tables.get(table_name)
        if table is None:
            return None
        types: dict[str, str] = {}  # parameter -> the array's element type

        def typed(column: str, param: str) -> bool:
            if column not in table.c:
                return False
            # The column's type without a length: a cast to varchar(n) would cut, where the column refuses.
            name = re.sub(r"\(\d+\)$", "", table.c[column].type.compile(dialect=dialect))
            types.setdefault(param, name)
            return types[param] == name

        if insert:
            columns = [c.strip() for c in insert.group(2).split(",")]
            values = _split(insert.group(3))
            if len(columns) != len(values):
                return None
            for column, value in zip(columns, values, strict=True):
                plain = re.fullmatch(r":([a-z_][a-z0-9_]*)", value)
                if plain:
                    if not typed(column, plain.group(1)):
                        return None
                elif _NAMED.search(value):
                    return None  # a parameter inside an expression: no column to type it by
            head = f"INSERT INTO {table_name} ({', '.join(columns)}) SELECT {', '.join(values)}"
            tail = insert.group(4) or ""
            key: list[str] = []
        else:
            assignments, where = update.group(2), update.group(3)
            for part in (assignments, where):
                for column, param in _ASSIGNED.findall(part):
                    if not typed(column, param):
                        return None
            if set(_NAMED.findall(assignments + " " + where)) - set(types):
                return None
            primary = {c.name for c in table.primary_key.columns}
            key = [param for column, param in _ASSIGNED.findall(where) if column in primary]
            if not key:
                return None
            head, tail = f"UPDATE {table_name} SET {assignments}", f"WHERE {where}"
        params = list(types)
        arrays = ", ".join(f"%({p})b::{types[p]}[]" for p in params)
        alias = ", ".join(f"_p_{p}" for p in params)
        # The statement's own % signs doubled for psycopg; its :names become the unnested columns.
        body = _NAMED.sub(
            lambda m: f"_v._p_{m.group(1)}", f"{head} FROM unnest(\0) AS _v({alias}) {tail}".replace("%", "%%")
        )
        return _Arrays(body.replace("\0", arrays), params, key)


_ARRAYS: dict[str, _Arrays | None] = {}


class Driver:
    """The session's connection, spoken to in its own driver's terms."""

    def __init__(self):
        self.dialect = db.session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"

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
            arrays = self._arrays(statement)
            if arrays is not None and (
                not arrays.key or len({tuple(row[p] for p in arrays.key) for row in rows}) == len(rows)
            ):
                cursor.execute(arrays.sql, {p: [row[p] for row in rows] for p in arrays.params})
            else:
                cursor.executemany(self._sql(statement), rows)
            return cursor.rowcount
        finally:
            cursor.close()

    def _arrays(self, statement: str) -> _Arrays | None:
        if not self.postgres:
            return None
        if statement not in _ARRAYS:
            _ARRAYS[statement] = _Arrays.build(statement, self.dialect)
        return _ARRAYS[statement]

    def stamp(self, moment: datetime | None):
        """A UTC instant as this database stores it (SQLite: the text SQLAlchemy writes)."""
        if moment is None or self.postgres:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def in_list(self, name: str, values: list) -> tuple[str, dict]:
        """An IN (...) clause with one named parameter per value."""
        params = {f"{name}{i}": value for i, value in enumerate(values)}
        return "(" + ", ".join(f":{key}" for key in params) + ")", params
