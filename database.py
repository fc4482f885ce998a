"""Engine tuning that keeps SQLite honest under concurrent writers (and PostgreSQL from over-planning).

SQLite's default deferred transaction reads first and upgrades to a write
lock later, which fails with "database is locked" when another writer got
there first. Write transactions therefore start with BEGIN IMMEDIATE, so
racing writers queue on the busy timeout instead. Reads run without an
explicit transaction, and WAL lets them proceed while a write is in progress.
PostgreSQL reads likewise run in autocommit, each statement on its own; writes
begin a transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, request
from sqlalchemy import Engine, event, exc

from extensions import db

_write_intent: ContextVar[bool] = ContextVar("attune_write_intent", default=False)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def writing() -> Iterator[None]:
    """Mark the transactions begun inside this block as write transactions (jobs, CLI, tests)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def commit_batch() -> None:
    """The one commit of the jobs and commands (the tick, the push and mail senders, the CLI): services only
    flush, and each batch is committed here once it is whole, so a crash loses at most the batch in hand and
    never half of one. Requests commit in blueprints/commit.py."""
    db.session.commit()


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Hand transaction control to the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros rather than left in free pages (SECURITY.md RESIDUE).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # Reads need no explicit transaction: each statement sees a consistent snapshot, and an
        # occasional write from a read request (touching a login) then waits its turn like any other.
        if _write_intent.get():
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def ping(dbapi_connection) -> None:
    """One round trip to the server; raises the driver's error if the connection has gone."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _configure_postgresql(engine: Engine, ping_after_idle: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Attune's statements are short and indexed; PostgreSQL's JIT compiler, which switches on by
        # cost estimate, spent longer compiling the scheduler's bulk statements than running them
        # (the tick's due-couples read: 378 ms with JIT, 49 ms without).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
        dbapi_connection.autocommit = True

    # Reads run as on SQLite: each statement on its own snapshot, without a transaction around them. A
    # transaction there cost a read request three extra round trips (BEGIN for the pool's ping, which
    # otherwise opened it, the ping inside it, and ROLLBACK when the connection went back). Connections
    # rest in autocommit; a write transaction (a state-changing request, a job, the CLI) turns it off
    # when it begins, and it is turned back on when the connection returns to the pool.
    @event.listens_for(engine, "begin")
    def on_begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        wanted = not _write_intent.get()
        if dbapi_connection.autocommit != wanted:
            dbapi_connection.autocommit = wanted

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection, record):
        # The pool has already rolled back whatever was left open, so the connection is idle here.
        if dbapi_connection is not None and not dbapi_connection.closed and not dbapi_connection.autocommit:
            dbapi_connection.autocommit = True
        record.info["attune.idle_since"] = time.monotonic()

    # A restarted or failed-over server drops every connection, so one that has rested in the pool is
    # checked before use; a connection back from a request moments ago is handed out as it is (a check
    # on every checkout was a round trip on every request). A connection that fails its check is
    # replaced: raising DisconnectionError here makes the pool retry with a fresh one.
    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("attune.idle_since")
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle:
            return  # new (just connected) or recently used
        try:
            ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error


def forget_deleted(engine: Engine) -> None:
    """After a deletion is committed, leave no copy of the deleted writing in the database's files.

    With secure_delete the main file keeps zeros where the rows were, but the write-ahead log still
    holds every earlier version of those pages until it is checkpointed; TRUNCATE copies it into the
    main file and empties it. PostgreSQL keeps dead row versions until VACUUM (see the README).
    """
    if engine.dialect.name != "sqlite":
        return
    # Straight through the driver: SQLAlchemy would open a transaction first, inside which SQLite refuses.
    with engine.connect() as connection:
        connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").close()


def init_app(app: Flask, engine: Engine) -> None:
    """Tune the engine for its dialect and mark state-changing requests as writers."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_SECONDS"])
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])

    @app.before_request
    def mark_write_requests():
        if request.method not in _SAFE_METHODS:
            request.environ["attune.write_token"] = _write_intent.set(True)

    @app.teardown_request
    def clear_write_mark(_exc):
        token = request.environ.pop("attune.write_token", None)
        if token is not None:
            _write_intent.reset(token)
