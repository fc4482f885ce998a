"""The engine's handling of PostgreSQL connections: reads outside a transaction, and checking a rested one.

A server may drop its connections (a restart, a failover); a pooled connection that has rested is
checked before a request gets it, and one that fails the check is replaced, so nobody sees the error.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus

import config
import database
from database import writing
from extensions import db
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's connection handling")

ONE_CONNECTION = {**config.engine_options(), "pool_size": 1, "max_overflow": 0}


def _backend_pid(app) -> int:
    with app.app_context():
        return db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()


@pytest.fixture
def pings(monkeypatch):
    """The checks made, counted (each still goes to the server)."""
    made = []
    real = database.ping

    def counted(dbapi_connection):
        made.append(dbapi_connection)
        real(dbapi_connection)

    monkeypatch.setattr(database, "ping", counted)
    return made


def test_a_rested_connection_the_server_dropped_is_replaced_before_a_request_uses_it(make_app, pings):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION, DATABASE_PING_AFTER_IDLE_SECONDS=0)
    dropped = _backend_pid(app)
    # The pool's only connection is ended by the server, from a connection of its own, as a restart would (and
    # waited for: up to 5 s for that process to be gone).
    with app.app_context():
        other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        with other.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": dropped})
        other.dispose()

    assert _backend_pid(app) != dropped
    assert len(pings) == 1


def test_a_connection_back_from_a_request_moments_ago_is_handed_out_without_a_round_trip(make_app, pings):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION, DATABASE_PING_AFTER_IDLE_SECONDS=60)
    first = _backend_pid(app)
    for _ in range(3):
        assert _backend_pid(app) == first
    assert pings == []


def test_reads_run_outside_a_transaction_and_writes_inside_one(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION)
    with app.test_request_context("/today"):
        db.session.execute(sa.text("SELECT 1"))
        assert db.session.connection().connection.dbapi_connection.autocommit is True
    with app.app_context(), writing():
        db.session.execute(sa.text("SELECT 1"))
        raw = db.session.connection().connection.dbapi_connection
        assert raw.autocommit is False
        assert raw.info.transaction_status == TransactionStatus.INTRANS
        db.session.commit()
    # Back in the pool, the connection rests in autocommit again for the next reader.
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        assert db.session.connection().connection.dbapi_connection.autocommit is True
