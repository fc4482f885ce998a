"""The Today, reveal and history pages cost the same number of queries after a day or a year."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from database import writing
from extensions import db
from models import Answer, PromptInstance, Reflection
from tests.helpers import Factory

# Each page's budget: the login (one statement: session, user, membership, couple), then what the page shows.
# Today: the partner, the open prompts, prompts set aside this week, a live repair conversation, a therapist's
# deeper suggestion offered to me (with my own answer, and the couple's pace written into the one statement).
# The reveal: the prompt, the partner, whether its theme is new to the couple.
# History: one page of conversations, their reflections (who felt heard), ended repair conversations.
MAX_QUERIES = {"today": 6, "reveal": 4, "history": 4}


@contextmanager
def counting(app):
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def add_revealed_history(app, pair, days: int) -> int:
    """days revealed prompts with answers and a reflection each; returns the newest instance id."""
    start = datetime.now(UTC) - timedelta(days=days + 1)
    with app.app_context(), writing():
        first = db.session.get(PromptInstance, pair.first_prompt_id)
        rows = [
            {
                "couple_id": pair.couple_id,
                "slot_at": start + timedelta(days=d),
                "source": "library",
                "prompt_id": first.prompt_id,
                "theme_id": first.theme_id,
                "depth": first.depth,
                "text": f"Prompt of day {d}",
                "delivered_at": start + timedelta(days=d),
                "revealed_at": start + timedelta(days=d, hours=1),
            }
            for d in range(days)
        ]
        ids = list(
            db.session.scalars(
                sa.insert(PromptInstance).returning(PromptInstance.id, sort_by_parameter_order=True), rows
            )
        )
        db.session.execute(
            sa.insert(Answer),
            [
                {
                    "instance_id": i,
                    "user_id": who.id,
                    "body": f"answer {i} by {who.display_name}",
                    "created_at": start,
                    "updated_at": start,
                }
                for i in ids
                for who in (pair.a, pair.b)
            ],
        )
        db.session.execute(
            sa.insert(Reflection),
            [
                {
                    "instance_id": i,
                    "listener_id": pair.a.id,
                    "speaker_id": pair.b.id,
                    "round": 1,
                    "body": "It sounds like ...",
                    "created_at": start,
                    "response": "heard",
                }
                for i in ids
            ],
        )
        db.session.commit()
    return ids[-1]


def measure(app, client, paths):
    counts = {}
    for name, path in paths.items():
        client.get(path)  # warm the login session and caches
        with counting(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(statements)
    return counts


@pytest.fixture
def app(make_app):
    """Rendering afresh every time: these tests count what a page costs to build."""
    return make_app(TODAY_CACHE_SECONDS=0)


@pytest.mark.parametrize("days", [1, 365])
def test_pages_stay_within_their_query_budget(app, factory, auth, client, days):
    pair = factory.pair()
    newest = add_revealed_history(app, pair, days)
    auth.login_as(pair.a)
    counts = measure(app, client, {"today": "/today", "reveal": f"/prompts/{newest}", "history": "/history"})
    assert all(n <= MAX_QUERIES[page] for page, n in counts.items()), counts


def test_counts_equal_for_one_and_a_year(app, factory, auth, client):
    results = {}
    for days in (1, 365):
        pair = factory.pair(factory.user(), factory.user())
        newest = add_revealed_history(app, pair, days)
        viewer = app.test_client()
        viewer.post("/login", data={"email": pair.a.email, "password": "quiet harbour lantern"})
        results[days] = measure(app, viewer, {"today": "/today", "reveal": f"/prompts/{newest}", "history": "/history"})
    print("query counts:", results)
    assert results[1] == results[365]


def test_a_cached_today_page_costs_only_the_login_lookup(make_app, factory):
    app = make_app(TODAY_CACHE_SECONDS=60)
    pair = Factory(app).pair()
    client = app.test_client()
    client.post("/login", data={"email": pair.a.email, "password": "quiet harbour lantern"})
    client.get("/today")  # flashes shown, so not cached
    first = client.get("/today")
    with counting(app) as statements:
        second = client.get("/today")
    assert len(statements) == 1
    assert (
        first.get_data(as_text=True).split('name="csrf_token"')[0]
        == second.get_data(as_text=True).split('name="csrf_token"')[0]
    )
