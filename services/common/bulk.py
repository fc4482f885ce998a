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
rewritten once into a single statement over a temporary table that the rows
are first copied into (COPY in binary, one column per parameter, typed from
the table's columns in the models):

    INSERT INTO t (a, b, c) VALUES (:a, 'x', :c) ON CONFLICT (a) DO NOTHING
 -> CREATE TEMP TABLE _bulk_7 (_p_a integer, _p_c varchar) ON COMMIT DROP
    COPY _bulk_7 FROM STDIN (FORMAT BINARY)
    INSERT INTO t (a, b, c) SELECT _v._p_a, 'x', _v._p_c FROM _bulk_7 AS _v ON CONFLICT (a) DO NOTHING

Binary COPY is psycopg's fastest way in: 50,000 rows of nine columns went
over in 57 ms, where the same rows as binary unnest arrays took 300 ms of
client time (each array element is written in Python) and as text 900 ms.

Same semantics: ON CONFLICT DO NOTHING also skips a row that conflicts with
an earlier row of the same list, and the count returned is the rows changed.
An UPDATE is rewritten only when its rows name distinct primary keys (as
executemany would then change each target row at most once); otherwise, or
for a statement of another shape, it runs row by row as before.
"""

from __future__ import annotations

import itertools
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
    """One statement rewritten to read its rows from a temporary table (PostgreSQL), or None where it can't be."""

    _names = itertools.count(1)

    def __init__(self, sql: str, params: list[str], types: list[str], key: list[str]):
        self.sql, self.params, self.types, self.key = sql, params, types, key

    def run(self, cursor, rows: list[dict]) -> int:
        """Copy the rows in, run the statement over them; returns the rows it changed."""
        table = f"_bulk_{next(self._names)}"
        columns = ", ".join(f"_p_{p} {t}" for p, t in zip(self.params, self.types, strict=True))
        cursor.execute(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP")
        with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(self.types)
            for row in rows:
                copy.write_row([row[p] for p in self.params])
        cursor.execute(self.sql.format(rows=table))
        changed = cursor.rowcount
        cursor.execute(f"DROP TABLE {table}")
        return changed

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
        types: dict[str, str] = {}  # parameter -> its column type in the temporary table

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
        # The statement's :names become the copied columns; braces doubled for the table's name to go in.
        body = _NAMED.sub(
            lambda m: f"_v._p_{m.group(1)}", f"{head} FROM \0 AS _v {tail}".replace("{", "{{").replace("}", "}}")
        )
        return _Arrays(body.replace("\0", "{rows}"), params, [types[p].lower() for p in params], key)


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
                return arrays.run(cursor, rows)
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

    def each_in(self, name: str, ids: list[int], chunk: int = 500):
        """(condition, params) pairs that together test membership of every id, to follow an integer column.

        PostgreSQL gets one `= ANY(array)`: one statement and one parameter however many ids, where
        a long IN list costs psycopg a parse of every placeholder and the planner a poor plan. The array
        goes as its text form, made in one join: psycopg would write a list element by element in
        Python (16 ms of the tick's CPU per 25,000 ids, against 4 ms). SQLite gets IN lists of at most
        `chunk` ids, which it plans well.
        """
        if self.postgres:
            yield f"= ANY(CAST(:{name} AS integer[]))", {name: "{" + ",".join(map(str, map(int, ids))) + "}"}
            return
        for start in range(0, len(ids), chunk):
            clause, params = self.in_list(name, ids[start : start + chunk])
            yield f"IN {clause}", params

    def in_list(self, name: str, values: list) -> tuple[str, dict]:
        """An IN (...) clause with one named parameter per value."""
        params = {f"{name}{i}": value for i, value in enumerate(values)}
        return "(" + ", ".join(f":{key}" for key in params) + ")", params
