"""Generate a benchmark database: N couples, each with a year of answered, revealed prompts.

Rows go in through the database driver in bulk (executemany on SQLite, COPY on
PostgreSQL): the ORM would take hours for millions of rows. The schema comes
from the real migrations.
"""

from __future__ import annotations

import hashlib
import io
import random
import secrets
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa
from flask import Flask

from database import writing
from extensions import db
from models import LoginSession, Prompt
from services.accounts.passwords import hash_password
from services.delivery import library

HISTORY_DAYS = 365


def _fmt(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")


def _sqlite_value(value):
    # The exact text SQLAlchemy's SQLite DateTime writes, so stored and bound values compare equal.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


BATCH = 50_000


@contextmanager
def progress(label: str, total: int | None):
    """A progress bar on a terminal (Click's), and one line per table in a log: seeding takes minutes."""
    started = time.perf_counter()
    if total is None:
        yield lambda n: None
        return
    with click.progressbar(length=total, label=f"{label:<18}", file=sys.stderr, show_pos=True) as bar:
        yield bar.update
    if not sys.stderr.isatty():
        click.echo(f"{label}: {total:,} rows in {time.perf_counter() - started:.1f} s", err=True)


class Writer:
    """Bulk rows into one table at a time, through the fastest path each backend has."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def rows(self, table: str, columns: list[str], rows, total: int | None = None):
        """Write rows (any iterable); with their number given as total, show the progress."""
        raw = self.connection.connection.driver_connection
        with progress(table, total) as advance:
            if self.postgres:
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        buffer, pending = io.StringIO(), 0
                        for row in rows:
                            buffer.write("\t".join(_fmt(v) for v in row) + "\n")
                            pending += 1
                            if pending == BATCH:
                                copy.write(buffer.getvalue())
                                buffer, pending = io.StringIO(), 0
                                advance(BATCH)
                        copy.write(buffer.getvalue())
                        advance(pending)
            else:
                placeholders = ", ".join("?" for _ in columns)
                cursor = raw.cursor()
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
                batch = []
                for row in rows:
                    batch.append(tuple(_sqlite_value(v) for v in row))
                    if len(batch) == BATCH:
                        cursor.executemany(statement, batch)
                        advance(len(batch))
                        batch = []
                if batch:
                    cursor.executemany(statement, batch)
                    advance(len(batch))


def seed(app: Flask, couples: int, logged_in: int = 200) -> list[str]:
    """Fill the database; returns session cookies for `logged_in` partners."""
    started = time.perf_counter()
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    first_day = now - timedelta(days=HISTORY_DAYS)
    with app.app_context():
        with writing():
            library.load_library(app.config["PROMPT_LIBRARY_PATH"])
            db.session.commit()
        prompts = db.session.execute(sa.select(Prompt.id, Prompt.theme_id, Prompt.depth, Prompt.text)).all()
        password_hash = hash_password("benchmark passphrase", app.config["PASSWORD_HASH_PROFILE"])
        db.session.remove()  # end the read transaction before the bulk writer commits
        with db.engine.begin() as connection:
            w = Writer(connection)
            w.rows(
                "users",
                ["id", "email", "display_name", "password_hash", "role", "max_depth", "timezone", "created_at"],
                (
                    (u, f"p{u}@bench.test", f"Partner {u}", password_hash, "partner", 3, "UTC", first_day)
                    for u in range(1, 2 * couples + 1)
                ),
                total=2 * couples,
            )
            w.rows(
                "couples",
                ["id", "created_at", "timezone", "delivery_time", "cadence", "cadence_days", "next_delivery_at"],
                (
                    (c, first_day, "UTC", "19:00:00", "daily", 0, now + timedelta(hours=rng.randint(1, 23)))
                    for c in range(1, couples + 1)
                ),
                total=couples,
            )
            w.rows(
                "memberships",
                ["id", "couple_id", "user_id", "seat", "joined_at"],
                ((2 * (c - 1) + s, c, 2 * (c - 1) + s, s, first_day) for c in range(1, couples + 1) for s in (1, 2)),
                total=2 * couples,
            )

            def instances():
                n = 0
                for c in range(1, couples + 1):
                    for d in range(HISTORY_DAYS):
                        n += 1
                        pid, theme, depth, text = prompts[(c * 7 + d) % len(prompts)]
                        slot = first_day + timedelta(days=d)
                        last = d >= HISTORY_DAYS - 2
                        revealed = None if d == HISTORY_DAYS - 1 else slot + timedelta(hours=2)
                        completed = None if last else slot + timedelta(hours=5)
                        yield (n, c, slot, "library", pid, theme, depth, text, slot, revealed, completed)

            w.rows(
                "prompt_instances",
                [
                    "id",
                    "couple_id",
                    "slot_at",
                    "source",
                    "prompt_id",
                    "theme_id",
                    "depth",
                    "text",
                    "delivered_at",
                    "revealed_at",
                    "completed_at",
                ],
                instances(),
                total=couples * HISTORY_DAYS,
            )

            def answers():
                n = 0
                for c in range(1, couples + 1):
                    a, b = 2 * c - 1, 2 * c
                    for d in range(HISTORY_DAYS):
                        instance = (c - 1) * HISTORY_DAYS + d + 1
                        slot = first_day + timedelta(days=d)
                        authors = (b,) if d == HISTORY_DAYS - 1 else (a, b)
                        for user in authors:
                            n += 1
                            yield (
                                n,
                                instance,
                                user,
                                f"Answer {d} from {user}: I felt heard when we talked.",
                                slot,
                                slot,
                            )

            w.rows(
                "answers",
                ["id", "instance_id", "user_id", "body", "created_at", "updated_at"],
                answers(),
                total=couples * (2 * HISTORY_DAYS - 1),
            )

            def reflections():
                n = 0
                for c in range(1, couples + 1):
                    for d in range(0, HISTORY_DAYS - 1, 3):
                        n += 1
                        instance = (c - 1) * HISTORY_DAYS + d + 1
                        yield (
                            n,
                            instance,
                            2 * c - 1,
                            2 * c,
                            1,
                            "It sounds like you felt ...",
                            first_day + timedelta(days=d, hours=3),
                            "heard",
                        )

            w.rows(
                "reflections",
                ["id", "instance_id", "listener_id", "speaker_id", "round", "body", "created_at", "response"],
                reflections(),
                total=couples * len(range(0, HISTORY_DAYS - 1, 3)),
            )
            if connection.dialect.name == "postgresql":
                for table in ("users", "couples", "memberships", "prompt_instances", "answers", "reflections"):
                    connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")

    print(f"seeded {couples} couples x {HISTORY_DAYS} days in {time.perf_counter() - started:.1f}s")
    return log_in_sample(app, couples, logged_in)


def log_in_sample(app: Flask, couples: int, logged_in: int = 200) -> list[str]:
    """Fresh login sessions for a random sample of partners; returns their session cookies.

    Each cookie is what a browser holds after its first page: the login token and the session's CSRF
    secret. Without the secret every request would mint one and send a new cookie back, which a
    browser does once and wrk, replaying the same cookie, would do on every request.
    """
    rng = random.Random()
    cookies = []
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context(), writing():
        for user_id in rng.sample(range(1, 2 * couples + 1), min(logged_in, 2 * couples)):
            token = secrets.token_urlsafe(32)
            db.session.add(LoginSession(id=hashlib.sha256(token.encode()).hexdigest(), user_id=user_id))
            csrf_secret = hashlib.sha1(secrets.token_bytes(64)).hexdigest()  # as Flask-WTF makes it
            cookies.append(
                serializer.dumps({"_user_id": token, "_fresh": True, "_permanent": True, "csrf_token": csrf_secret})
            )
        db.session.commit()
    return cookies
