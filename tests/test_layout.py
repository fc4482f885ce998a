"""One way to do each thing, held in place: where changes are committed, and who each page is for.

The first test reads the code; the others ask the running app, so a new route
or blueprint is covered without being listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import url_for

from tests.helpers import logged_in

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = ["app.py", "cli.py", "config.py", "database.py", "blueprints", "jobs", "models", "services"]
# Requests commit in blueprints/commit.py; the login's own bookkeeping (ending an expired login, refreshing
# its idle clock, starting one) in blueprints/auth/session.py before any view runs; jobs and commands at
# database.commit_batch.
COMMITS_ALLOWED = {"blueprints/commit.py", "blueprints/auth/session.py", "database.py"}

PARTNER_BLUEPRINTS = {"prompts", "checkins", "settings", "moments", "repair", "journal"}
THERAPIST_VIEWS = {"repair.therapist_view", "journal.therapist_list", "journal.therapist_entry"}


def _python_files():
    for name in APP_CODE:
        path = ROOT / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def _commits(path: Path) -> list[int]:
    """The lines of path that call .commit() on a session."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            target = node.func.value
            if isinstance(target, ast.Attribute) and target.attr == "session":
                lines.append(node.lineno)
    return lines


def test_changes_are_committed_only_at_the_named_boundaries():
    found = {str(path.relative_to(ROOT)): lines for path in _python_files() if (lines := _commits(path))}
    assert set(found) == COMMITS_ALLOWED, found


def _routes(app, chosen):
    """Every route whose endpoint is chosen, its path built with 1 for each id, and its methods."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if chosen(rule.endpoint):
                yield url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1)), rule.methods - {"HEAD", "OPTIONS"}


def _partner_page(endpoint: str) -> bool:
    return endpoint.split(".")[0] in PARTNER_BLUEPRINTS and endpoint not in THERAPIST_VIEWS


def _therapist_page(endpoint: str) -> bool:
    return endpoint.startswith("therapist.") or endpoint in THERAPIST_VIEWS


@pytest.fixture
def therapist_client(app, factory):
    return logged_in(app, factory.user("Dr Lee", role="therapist"))


def test_a_therapist_opening_any_partner_page_goes_to_their_dashboard(app, therapist_client):
    checked = 0
    for path, methods in _routes(app, _partner_page):
        if "GET" in methods:
            response = therapist_client.get(path)
            assert (response.status_code, response.location) == (302, "/therapist/"), path
            checked += 1
    assert checked >= 20


def test_anything_else_a_therapist_sends_to_a_partner_page_is_a_404(app, therapist_client):
    checked = 0
    for path, methods in _routes(app, _partner_page):
        for method in methods - {"GET"}:
            assert therapist_client.open(path, method=method).status_code == 404, (method, path)
            checked += 1
    assert checked >= 30


def test_every_therapist_page_is_a_404_for_a_partner(app, factory):
    pair = factory.pair()
    partner = logged_in(app, pair.a)
    checked = 0
    for path, methods in _routes(app, _therapist_page):
        for method in methods:
            assert partner.open(path, method=method).status_code == 404, (method, path)
            checked += 1
    assert checked >= 10
