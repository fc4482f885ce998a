"""The scheduler's bulk statements (services.common.bulk): the same results on both backends.

On PostgreSQL `Driver.many` copies the rows into a temporary table and runs an INSERT or UPDATE as one
statement over it instead of row by row; these check it keeps executemany's meaning: conflicts skipped (also between rows of the
same list), counts returned, NULL-only columns typed, repeated keys updated in order.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from database import writing
from extensions import db
from services.common import bulk
from services.delivery import delivery

_INSERT = """
INSERT INTO users (email, display_name, password_hash, role, max_depth, timezone, created_at, quiet_start)
VALUES (:email, :name, 'x', 'partner', 2, 'UTC', :at, :quiet)
ON CONFLICT (email) DO NOTHING
"""
_RENAME = "UPDATE users SET display_name = :name, quiet_end = :quiet WHERE id = :id AND role = 'partner'"


def _user_rows(driver, *emails):
    at = driver.stamp(datetime(2026, 1, 1, tzinfo=UTC))
    return [{"email": email, "name": email.split("@")[0], "at": at, "quiet": None} for email in emails]


def test_insert_skips_conflicts_and_counts_rows_written(app):
    with app.app_context(), writing():
        driver = bulk.Driver()
        assert driver.many(_INSERT, _user_rows(driver, "a@x.test", "b@x.test", "a@x.test")) == 2
        assert driver.many(_INSERT, _user_rows(driver, "b@x.test", "c@x.test")) == 1
        assert driver.many(_INSERT, []) == 0
        db.session.commit()
        names = driver.rows("SELECT display_name, quiet_start FROM users ORDER BY id")
        assert names == [("a", None), ("b", None), ("c", None)]


def test_update_counts_rows_and_applies_repeated_keys_in_order(app):
    with app.app_context(), writing():
        driver = bulk.Driver()
        driver.many(_INSERT, _user_rows(driver, "a@x.test", "b@x.test"))
        ids = [row[0] for row in driver.rows("SELECT id FROM users ORDER BY id")]
        renames = [{"id": i, "name": f"n{i}", "quiet": None} for i in ids + [10**6]]
        assert driver.many(_RENAME, renames) == 2
        assert (
            driver.many(
                _RENAME, [{"id": ids[0], "name": "first", "quiet": None}, {"id": ids[0], "name": "last", "quiet": None}]
            )
            == 2
        )
        db.session.commit()
        assert driver.rows("SELECT display_name FROM users ORDER BY id") == [("last",), (f"n{ids[1]}",)]


def test_the_tick_writes_are_single_statements_on_postgresql(app):
    with app.app_context():
        driver = bulk.Driver()
        for statement in (delivery._ADVANCE, delivery._INSERT_INSTANCE, delivery._INSERT_PUSH):
            assert (driver._arrays(statement) is not None) == driver.postgres


def test_many_copies_rows_with_every_column_type_the_tick_writes(app):
    """Times, timestamps, booleans, NULLs and text with quotes and percent signs arrive as they were sent."""
    with app.app_context(), writing():
        driver = bulk.Driver()
        rows = _user_rows(driver, "o'neil@x.test", "100%@x.test")
        rows[0]["quiet"] = "22:30:00" if not driver.postgres else datetime(2026, 1, 1, 22, 30).time()
        assert driver.many(_INSERT, rows) == 2
        db.session.commit()
        found = driver.rows("SELECT email, quiet_start FROM users ORDER BY id")
        assert [email for email, _ in found] == ["o'neil@x.test", "100%@x.test"]
        assert str(found[0][1]).startswith("22:30") and found[1][1] is None


def test_postgresql_sessions_plan_without_jit(app):
    """JIT compilation cost more than the bulk statements it compiled (see database.py)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        assert db.session.execute(db.text("SHOW jit")).scalar() == "off"


def test_each_in_finds_exactly_the_ids_asked_for(app):
    """One array parameter on PostgreSQL, chunked IN lists on SQLite: the same rows, none missed past a chunk."""
    with app.app_context(), writing():
        driver = bulk.Driver()
        driver.many(_INSERT, _user_rows(driver, *(f"u{i}@x.test" for i in range(7))))
        ids = [row[0] for row in driver.rows("SELECT id FROM users ORDER BY id")]
        asked = ids[::2] + [10**6]
        found = []
        for condition, params in driver.each_in("u", asked, chunk=2):
            found += [row[0] for row in driver.rows(f"SELECT id FROM users WHERE id {condition}", params)]
        assert sorted(found) == ids[::2]
        nothing = [
            row
            for condition, params in driver.each_in("u", [], chunk=2)
            for row in driver.rows(f"SELECT id FROM users WHERE id {condition}", params)
        ]
        assert nothing == []
