"""Pairing: create, invite by link or code, join, errors, leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from models import Couple, Membership, PromptInstance
from services.common.errors import Conflict, Invalid, NotFound
from services.couples import pairing
from tests.helpers import page_text


def _invite(factory, person):
    with factory.session():
        invite = pairing.create_couple(factory.load(person))
        return invite.code, invite.token


def test_invite_link_and_code_pair_and_deliver_first_prompt(client, auth, factory, app):
    alex, sam = factory.user("Alex"), factory.user("Sam")
    _code, token = _invite(factory, alex)
    auth.login_as(sam)
    landing = client.get(f"/join/{token}", follow_redirects=True)
    assert "Join Alex?" in page_text(landing)
    response = client.post("/join/invite")
    assert response.status_code == 302 and response.location.endswith("/start/pace")  # the first run comes next
    with app.app_context():
        couple = db.session.scalar(sa.select(Couple))
        members = db.session.scalars(sa.select(Membership).where(Membership.couple_id == couple.id)).all()
        assert sorted(m.user_id for m in members) == sorted([alex.id, sam.id])
        instances = db.session.scalars(sa.select(PromptInstance)).all()
        assert len(instances) == 1 and instances[0].source == "first"
        assert couple.next_delivery_at is not None
    today = page_text(client.get("/today"))
    assert instances[0].text in today


def test_code_is_forgiving_about_case_and_dashes(factory, app):
    alex, sam = factory.user(), factory.user()
    code, _ = _invite(factory, alex)
    with factory.session():
        couple = pairing.join(factory.load(sam), code=f" {code[:4].lower()} - {code[4:].lower()} ")
        assert couple.id


@pytest.mark.parametrize("bad", ["", "ABC", "ABCD-EFGH-J", "0000-1111", "ABCD*EFG"])
def test_mistyped_codes_get_a_clear_error(factory, bad):
    sam = factory.user()
    with factory.session():
        with pytest.raises((Invalid, NotFound)) as error:
            pairing.join(factory.load(sam), code=bad)
    assert "code" in error.value.message.lower() or "invite" in error.value.message.lower()


def test_unknown_code(factory):
    sam = factory.user()
    with factory.session():
        with pytest.raises(NotFound, match="couldn't find that invite"):
            pairing.join(factory.load(sam), code="ABCD-EFGH")


def test_invite_is_single_use(factory):
    alex, sam, third = factory.user(), factory.user(), factory.user()
    code, _ = _invite(factory, alex)
    with factory.session():
        pairing.join(factory.load(sam), code=code)
    with factory.session():
        with pytest.raises(Conflict, match="already been used"):
            pairing.join(factory.load(third), code=code)


def test_invite_expires_after_seven_days(factory):
    alex, sam = factory.user(), factory.user()
    code, _ = _invite(factory, alex)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        with factory.session():
            with pytest.raises(Conflict, match="expired"):
                pairing.join(factory.load(sam), code=code)


def test_new_invite_replaces_the_old_one(factory):
    alex, sam = factory.user(), factory.user()
    old_code, _ = _invite(factory, alex)
    with factory.session():
        new_code = pairing.new_invite(factory.load(alex)).code
    with factory.session():
        with pytest.raises(Conflict, match="replaced"):
            pairing.join(factory.load(sam), code=old_code)
    with factory.session():
        pairing.join(factory.load(sam), code=new_code)


def test_cannot_join_own_invite_or_two_couples(factory):
    alex, sam, robin = factory.user(), factory.user(), factory.user()
    code, _ = _invite(factory, alex)
    with factory.session():
        with pytest.raises(Conflict, match="your own invite"):
            pairing.join(factory.load(alex), code=code)
    with factory.session():
        with pytest.raises(Conflict, match="already in a couple"):
            pairing.create_couple(factory.load(alex))
    other_code, _ = _invite(factory, robin)
    with factory.session():
        pairing.join(factory.load(sam), code=code)
    with factory.session():
        with pytest.raises(Conflict, match="already in a couple"):
            pairing.join(factory.load(sam), code=other_code)


def test_database_refuses_two_active_couples_for_one_person(factory, app):
    alex = factory.user()
    _invite(factory, alex)
    with app.app_context():
        couple = Couple()
        db.session.add(couple)
        db.session.flush()
        db.session.add(Membership(couple_id=couple.id, user_id=alex.id, seat=1))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_therapists_cannot_pair(factory):
    therapist = factory.user(role="therapist")
    with factory.session():
        with pytest.raises(Conflict, match="Therapist"):
            pairing.create_couple(factory.load(therapist))


def test_join_page_errors_are_clear(client, auth, factory):
    sam = factory.user()
    auth.login_as(sam)
    assert client.get("/join/not-a-real-token", follow_redirects=True).status_code == 404
    response = client.post("/join", data={"code": "zz"})
    assert response.status_code == 200
    assert "doesn't look right" in page_text(response)


def test_invite_landing_for_strangers_offers_register_with_next(client, factory):
    alex = factory.user("Alex")
    _, token = _invite(factory, alex)
    page = page_text(client.get(f"/join/{token}", follow_redirects=True))
    # Who sent it is said only after signing in (anyone may hold a forwarded link).
    assert "You've been invited" in page and "Alex" not in page
    assert "/register?next=/join/invite" in page and token not in page


def test_join_is_rate_limited(make_app, factory):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    sam = factory.user()
    client.post("/login", data={"email": sam.email, "password": "quiet harbour lantern"})
    codes = [client.post("/join", data={"code": "ABCD-EFGH"}).status_code for _ in range(12)]
    assert 429 in codes


def test_leave_ends_couple_for_both_and_keeps_revealed_history(client, auth, factory, app):
    pair = factory.pair()
    factory.reveal(pair, "Alex wrote this", "Sam wrote that")
    auth.login_as(pair.a)
    response = client.post("/couple/leave", data={"confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.ended_at is not None and couple.next_delivery_at is None
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(Membership.left_at.is_(None)))
            == 0
        )
    # The history lists the conversation; opening it shows both answers.
    history = page_text(client.get("/history"))
    assert f'href="/prompts/{pair.first_prompt_id}"' in history
    conversation = page_text(client.get(f"/prompts/{pair.first_prompt_id}"))
    assert "Alex wrote this" in conversation and "Sam wrote that" in conversation
    other = app.test_client()
    other.post("/login", data={"email": pair.b.email, "password": "quiet harbour lantern"})
    assert f'href="/prompts/{pair.first_prompt_id}"' in page_text(other.get("/history"))
    assert "Alex wrote this" in page_text(other.get(f"/prompts/{pair.first_prompt_id}"))
    # Both are free to pair again.
    with factory.session():
        pairing.create_couple(factory.load(pair.b))


def test_leave_needs_confirmation(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    response = client.post("/couple/leave", data={})
    assert response.status_code == 200
    assert "Tick the box" in page_text(response)


def test_depth_choice_sets_couple_ceiling(client, auth, factory, app):
    from services.delivery.delivery import depth_ceiling

    pair = factory.pair()
    auth.login_as(pair.a)
    client.post("/settings/depth", data={"max_depth": "1"})
    with app.app_context():
        assert depth_ceiling(pair.couple_id) == 1
    assert client.post("/settings/depth", data={"max_depth": "7"}).status_code == 302
    with app.app_context():
        assert depth_ceiling(pair.couple_id) == 1
