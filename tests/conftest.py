"""One set of fixtures for every test: the app, clients, database reset, and helpers.

The suite runs against SQLite (a file, so concurrency is real) by default, and
against PostgreSQL when DATABASE_URL is set. The schema is built once per run
by the real migrations; each test then starts from empty tables with the
prompt library loaded.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="attune-tests-"))
os.environ.setdefault("ATTUNE_INSTANCE_PATH", str(_SESSION_DIR / "instance"))

import config  # noqa: E402
from app import create_app  # noqa: E402
from database import writing  # noqa: E402
from extensions import db  # noqa: E402
from services.delivery import library  # noqa: E402
from services.notifications.push import PushSender  # noqa: E402
from tests.helpers import AuthActions, Factory  # noqa: E402
from tools.push_service import PushService  # noqa: E402

LIBRARY_TABLES = {"themes", "prompts"}
BASE_DATABASE_URI = config.database_url(os.environ["ATTUNE_INSTANCE_PATH"])
IS_POSTGRES = BASE_DATABASE_URI.startswith("postgresql")
# On PostgreSQL each run gets its own schema, so concurrent runs never share tables.
PG_SCHEMA = f"attune_test_{os.getpid()}"
DATABASE_URI = (
    BASE_DATABASE_URI + ("&" if "?" in BASE_DATABASE_URI else "?") + f"options=-csearch_path%3D{PG_SCHEMA}"
    if IS_POSTGRES
    else BASE_DATABASE_URI
)


def test_settings(**overrides) -> dict:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URI,
        "MAIL_BACKEND": "memory",
        "PASSWORD_HASH_PROFILE": "fast-tests",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "attune.test",
    }
    settings.update(overrides)
    return settings


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        with writing():
            library.load_library(app.config["PROMPT_LIBRARY_PATH"])
            db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _database():
    """Build the schema with the real migrations, once per run."""
    if IS_POSTGRES:
        _pg_admin(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE", f"CREATE SCHEMA {PG_SCHEMA}")
    app = create_app(test_settings())
    _reset_schema(app)
    yield
    if IS_POSTGRES:
        _pg_admin(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")


def _pg_admin(*statements: str) -> None:
    engine = sa.create_engine(BASE_DATABASE_URI)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def empty_tables(app) -> None:
    """Delete every row except the prompt library's."""
    with app.app_context(), writing():
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in LIBRARY_TABLES]
        # DELETE, children first, on both backends: a TRUNCATE of every table cost PostgreSQL 100-200 ms a
        # test (it replaces each table's files), several minutes of a run; a DELETE of a test's few rows, ms.
        for table in tables:
            db.session.execute(table.delete())
        if IS_POSTGRES:
            # Ids start again at 1, as SQLite's do once a table is empty (what TRUNCATE's RESTART IDENTITY did).
            db.session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(quote_ident(table_name), column_name), 1, false) "
                    "FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES') AND NOT table_name = ANY(:kept)"
                ),
                {"kept": sorted(LIBRARY_TABLES)},
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app():
    """Build an app with extra settings; tables are emptied after the test."""
    apps = []

    def build(**overrides):
        app = create_app(test_settings(**overrides))
        apps.append(app)
        return app

    yield build
    if apps:
        empty_tables(apps[0])
        for app in apps[1:]:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app):
    """Make users, couples and answers directly through the services."""
    return Factory(app)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def push():
    """The project's own push service on loopback, which checks VAPID and decrypts every message."""
    with PushService() as service:
        yield service


@pytest.fixture
def sender(app):
    """The production push sender, draining the app's outbox."""
    sender = PushSender(app, workers=8)
    yield sender
    sender.close()
