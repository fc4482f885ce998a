"""Migrations keep what people wrote: rebuilding a table on SQLite must not cascade-delete what refers to it.

SQLite can't alter a column in place, so a batch migration copies the table and drops the old one; with
foreign keys enforced, that DROP deletes every referencing row first (ON DELETE CASCADE). Revision
a4d6e8f0b2c1 rebuilds `users`, which everything refers to. This runs on a SQLite file of its own
whatever DATABASE_URL says, since the hazard is SQLite's alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from database import writing
from extensions import db
from services.delivery import library
from tests.conftest import test_settings as settings_for_tests
from tests.helpers import Factory

BEFORE_USERS_REBUILT = "9c3e4a5b6d7f"
KEPT = ("users", "couples", "memberships", "prompt_instances", "answers")


def _counts() -> dict[str, int]:
    return {table: db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() for table in KEPT}


def test_rebuilding_the_users_table_keeps_every_row_that_refers_to_it(tmp_path):
    # Not the make_app fixture: its clean-up speaks the run's database (TRUNCATE on PostgreSQL), and this file is gone after.
    app = create_app(settings_for_tests(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.db'}"))
    with app.app_context():
        upgrade()
        with writing():
            library.load_library(app.config["PROMPT_LIBRARY_PATH"])
            db.session.commit()
    factory = Factory(app)
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "Something worth keeping.")
    with app.app_context():
        before = _counts()
        assert before["answers"] == 1 and before["memberships"] == 2
        db.session.remove()
        downgrade(revision=BEFORE_USERS_REBUILT)  # rebuilds users without the easing columns
        assert _counts() == before
        upgrade()  # and with them again
        assert _counts() == before
        assert db.session.execute(sa.text("SELECT body FROM answers")).scalar() == "Something worth keeping."
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # enforced again afterwards
        db.session.remove()
        db.engine.dispose()
