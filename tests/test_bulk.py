"""The scheduler's bulk statements (services.common.bulk): the same results on both backends.

On PostgreSQL `Driver.many` runs an INSERT or UPDATE as one statement over unnest arrays instead of
row by row; these check it keeps executemany's meaning: conflicts skipped (also between rows of the
same list), counts returned, NULL-only columns typed, repeated keys updated in order.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
