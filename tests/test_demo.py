"""`flask demo`: a demo couple with weeks of revealed history, and one-time sign-in links (development only)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from jobs import scheduler
from models import CheckIn, Membership, PromptInstance, Reflection, RequestKey, User
from services.accounts import accounts
from tests.helpers import csrf_token, page_text

LINK = re.compile(r"(Alex|Sam|Dr Rivera \(therapist\)): https?://[^/]+(/demo/sign-in/\S+)")


def run_demo(runner) -> dict[str, str]:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return dict(LINK.findall(result.output))


def test_demo_creates_a_couple_with_weeks_of_revealed_history(app, runner):
    links = run_demo(runner)
    assert set(links) == {"Alex", "Sam", "Dr Rivera (therapist)"}
    with app.app_context():
        alex = db.session.scalar(sa.select(User).where(User.display_name == "Alex"))
        couple_id = db.session.scalar(sa.select(Membership.couple_id).where(Membership.user_id == alex.id))
        instances = db.session.scalars(sa.select(PromptInstance).where(PromptInstance.couple_id == couple_id)).all()
        revealed = [i for i in instances if i.revealed_at is not None]
        assert len(revealed) >= 4
        assert max(i.slot_at for i in revealed) - min(i.slot_at for i in revealed) >= timedelta(days=14)
        assert all(i.completed_at is not None for i in revealed)  # both felt heard every time
        assert any(i.revealed_at is None for i in instances)  # today's prompt is waiting
        heard = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Reflection)
            .join(PromptInstance, PromptInstance.id == Reflection.instance_id)
            .where(PromptInstance.couple_id == couple_id, Reflection.response == "heard")
        )
        assert heard == 2 * len(revealed)
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn).where(CheckIn.couple_id == couple_id))
            == 6
        )
        # Only hashes of the nonces are kept: no token in the database.
        keys = db.session.scalars(sa.select(RequestKey.key).where(RequestKey.fingerprint == "demo-sign-in")).all()
        assert len(keys) == 3 and not any(key in link for key in keys for link in links.values())


def sign_in(client, path: str):
    opened = client.get(path)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/demo/sign-in")
    page = client.get("/demo/sign-in")
    if page.status_code != 200:
        return page
    return client.post("/demo/sign-in", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_each_link_signs_in_once_and_never_twice(csrf_app):
    links = run_demo(csrf_app.test_cli_runner())
    for name, home in (("Alex", "/today"), ("Sam", "/today"), ("Dr Rivera (therapist)", "/therapist/")):
        first = csrf_app.test_client()
        response = sign_in(first, links[name])
        assert response.status_code == 303 and response.headers["Location"].endswith(home), name
        assert first.get(home).status_code == 200, name
        assert first.get("/demo/sign-in").status_code == 400  # the token left the session with its use

        again = csrf_app.test_client()
        response = sign_in(again, links[name])
        assert response.status_code == 400 and "already been used" in page_text(response), name
        assert again.get(home).status_code in (302, 401), name


def test_a_forged_or_missing_token_signs_nobody_in(client):
    assert client.get("/demo/sign-in").status_code == 400
    client.get("/demo/sign-in/" + "x" * 40)
    response = client.post("/demo/sign-in")
    assert response.status_code == 400 and "isn't valid" in page_text(response)


def test_refused_in_production(make_app, monkeypatch):
    monkeypatch.setenv("ATTUNE_ENV", "production")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SMTP_HOST", "mail.example.test")
    production = make_app(MAIL_BACKEND="smtp")
    result = production.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "development only" in result.output
    with production.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert production.test_client().get("/demo/sign-in/" + "x" * 40).status_code == 404


def test_scheduler_chatter_is_quiet_by_default_and_dev_links_are_printed(make_app, caplog):
    """The first five minutes: APScheduler's per-run INFO lines are off; a development mail's link is logged."""
    app = make_app(MAIL_BACKEND="console")
    scheduler.quiet_apscheduler(app)
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert logging.getLogger("apscheduler").isEnabledFor(logging.WARNING)
    with caplog.at_level(logging.WARNING, logger="attune.mail"), app.test_request_context():
        accounts.start_registration("new.person@example.test")
        db.session.rollback()
    assert any("/register/finish/" in record.getMessage() for record in caplog.records)
