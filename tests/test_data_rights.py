"""Data rights: export your own data, delete your account (SECURITY.md DATA, FRESH, SEAL, LOGOUT).

One couple is built with something in every table a person can write to,
and a canary string in everything the person to be deleted wrote. The
export must hold exactly what that person may read; deletion must leave no
row that names them or quotes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.engine import make_url

from extensions import db
from models import (
    AccessEntry,
    Answer,
    Assignment,
    CheckIn,
    Consent,
    Couple,
    LoginSession,
    Membership,
    PromptInstance,
    PushMessage,
    PushSubscription,
    Reflection,
    TherapistLink,
    TherapistNote,
    User,
    utcnow,
)
from services.conversation import conversation
from services.couples import pairing
from tests.conftest import IS_POSTGRES
from tests.helpers import PASSWORD, AuthActions, Person, page_text

CANARY = "zqcanary7731"
THERAPIST_CANARY = "zqtherapist4409"
REMOVED = "This answer was removed when its author deleted their account."


class Iso:
    """Equal to any ISO-8601 timestamp with a zone (the export's timestamps)."""

    def __eq__(self, other):
        return isinstance(other, str) and datetime.fromisoformat(other).tzinfo is not None

    def __repr__(self):
        return "<ISO timestamp>"


ISO = Iso()


@dataclass(frozen=True)
class World:
    me: Person
    partner: Person
    therapist: Person
    couple_id: int
    revealed_id: int
    my_sealed_id: int
    partner_sealed_id: int
    set_aside_id: int
    link_id: int
    texts: dict


def _instance(factory, couple_id: int, days: int, text: str) -> int:
    with factory.session() as session:
        row = PromptInstance(
            couple_id=couple_id, slot_at=utcnow() + timedelta(days=days), source="library", text=text, depth=1
        )
        session.add(row)
        session.flush()
        return row.id


def build_world(factory, *, me_seat: str = "a", ex_couple: bool = False) -> World:
    """A couple where "me" has written something everywhere, each piece carrying the canary."""
    me = factory.user(f"Robin {CANARY}", email=f"{CANARY}@example.test")
    partner = factory.user("Sam")
    therapist = factory.user(f"Dr Lee {THERAPIST_CANARY}", email=f"{THERAPIST_CANARY}@example.test", role="therapist")
    if ex_couple:
        ex = factory.user("Kim")
        old = factory.pair(me, ex)
        factory.reveal(old, f"{CANARY} to my ex", "Kim's words")
        with factory.session():
            pairing.leave(factory.load(me))
    with factory.session() as session:
        session.add(
            PushSubscription(
                user_id=me.id,
                endpoint=f"https://push.example.test/{CANARY}-endpoint",
                p256dh="BKEYSECRETp256dh",
                auth="AUTHSECRETvalue",
                label=f"Phone {CANARY}",
            )
        )
    pair = factory.pair(me, partner) if me_seat == "a" else factory.pair(partner, me)
    couple_id, revealed_id = pair.couple_id, pair.first_prompt_id
    my_sealed_id = _instance(factory, couple_id, 1, "A prompt only I answered")
    partner_sealed_id = _instance(factory, couple_id, 2, "A prompt only my partner answered")
    set_aside_id = _instance(factory, couple_id, 3, "A prompt set aside")

    factory.answer(me, revealed_id, f"{CANARY} my revealed answer", key=f"key-{CANARY}")
    factory.answer(partner, revealed_id, "PARTNER-REVEALED words")
    factory.answer(me, my_sealed_id, f"{CANARY} my sealed answer")
    factory.answer(partner, partner_sealed_id, "PARTNER-SEALED-SECRET")
    factory.answer(partner, set_aside_id, "PARTNER-SETASIDE-SECRET")
    with factory.session() as session:
        session.get(PromptInstance, set_aside_id).set_aside_at = utcnow()

    # Reflections both ways, each answered "partly" with an addition.
    with factory.session():
        mine = conversation.reflect(factory.load(me), revealed_id, f"{CANARY} it sounds like you felt", f"rk-{CANARY}")
        theirs = conversation.reflect(factory.load(partner), revealed_id, "PARTNER-REFLECTION of Robin")
        mine_id, theirs_id = mine.id, theirs.id
    with factory.session():
        conversation.respond(factory.load(partner), revealed_id, mine_id, "partly", "PARTNER-ADDITION")
        conversation.respond(factory.load(me), revealed_id, theirs_id, "partly", f"{CANARY} what I'd add")

    shared_week, my_week, their_week = date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)
    with factory.session() as session:
        for week, user_id, tag in (
            (shared_week, me.id, CANARY),
            (shared_week, partner.id, "PARTNER-CHECKIN-SHARED"),
            (my_week, me.id, CANARY),
            (their_week, partner.id, "PARTNER-CHECKIN-SEALED"),
        ):
            session.add(
                CheckIn(
                    couple_id=couple_id,
                    week=week,
                    user_id=user_id,
                    connection=6,
                    safety=7,
                    feeling=f"hopeful {tag}",
                    appreciation=f"thanks {tag}",
                    need=f"time {tag}",
                )
            )
        session.get(PromptInstance, set_aside_id).set_aside_by_id = me.id
        therapist_row = session.get(User, therapist.id)
        therapist_row.practice_name = "Calm Rooms"
        therapist_row.therapist_code = "TCODE234"
        link = TherapistLink(therapist_id=therapist.id, couple_id=couple_id, created_by_id=me.id)
        session.add(link)
        session.flush()
        session.add_all(
            [
                Consent(link_id=link.id, user_id=me.id, scope="conversations"),
                Consent(link_id=link.id, user_id=partner.id, scope="progress"),
                AccessEntry(
                    couple_id=couple_id,
                    therapist_id=therapist.id,
                    therapist_name=f"Dr Lee {THERAPIST_CANARY} (Calm Rooms)",
                    kind="progress",
                ),
                Assignment(
                    link_id=link.id, couple_id=couple_id, text=f"{THERAPIST_CANARY} assigned prompt", note="A note"
                ),
                TherapistNote(therapist_id=therapist.id, couple_id=couple_id, body=f"{THERAPIST_CANARY} private note"),
            ]
        )
        link_id = link.id
    with factory.session() as session:
        texts = {
            i.id: i.text
            for i in session.scalars(sa.select(PromptInstance).where(PromptInstance.couple_id == couple_id))
        }
        assert session.scalar(sa.select(sa.func.count()).select_from(PushMessage)) > 0
    return World(
        me, partner, therapist, couple_id, revealed_id, my_sealed_id, partner_sealed_id, set_aside_id, link_id, texts
    )


def scan(app, user_id: int, canary: str) -> list[str]:
    """Every row, in every table, that still names the user in a user column or contains the canary."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            user_columns = [c for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)]
            if table.name == "users":
                user_columns.append(table.c.id)
            for column in user_columns:
                if db.session.scalar(sa.select(sa.func.count()).select_from(table).where(column == user_id)):
                    found.append(f"{table.name}.{column.name} = {user_id}")
            for column in table.columns:
                if isinstance(column.type, sa.String) or isinstance(getattr(column.type, "impl", None), sa.String):
                    if db.session.scalar(sa.select(sa.func.count()).select_from(table).where(column.contains(canary))):
                        found.append(f"{table.name}.{column.name} contains the canary")
    return found


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# Export --------------------------------------------------------------------------


def test_export_holds_exactly_what_i_may_read(app, factory, client, auth):
    world = build_world(factory)
    auth.login_as(world.me)
    response = client.get("/account/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert re.fullmatch(
        r'attachment; filename="attune-export-\d{4}-\d{2}-\d{2}\.json"', response.headers["Content-Disposition"]
    )
    assert "no-store" in response.headers["Cache-Control"]
    raw = response.get_data(as_text=True)
    exported = json.loads(raw)

    def prompt(instance_id, mine, partner=None, reflections=(), revealed=False, set_aside=False):
        return {
            "text": world.texts[instance_id],
            "follow_up": None,
            "source": "first" if instance_id == world.revealed_id else "library",
            "therapist_note": None,
            "delivered_at": ISO,
            "revealed_at": ISO if revealed else None,
            "set_aside_at": ISO if set_aside else None,
            "completed_at": None,
            "my_answer": {"body": mine, "created_at": ISO, "updated_at": ISO} if mine else None,
            "partner_answer": {"body": partner, "created_at": ISO} if partner else None,
            "reflections": list(reflections),
        }

    def checkin(week, by, tag):
        row = {
            "week": week,
            "by": by,
            "connection": 6,
            "feeling": f"hopeful {tag}",
            "worry": None,
            "appreciation": f"thanks {tag}",
            "need": f"time {tag}",
            "created_at": ISO,
        }
        # Changed deliberately (issue 12): the safety score (and CSI-4) is its person's own, never the partner's.
        if by == "me":
            row.update(safety=7, csi4=None)
        return row

    with app.app_context():
        first_follow_up = db.session.get(PromptInstance, world.revealed_id).follow_up
    revealed = prompt(
        world.revealed_id,
        f"{CANARY} my revealed answer",
        "PARTNER-REVEALED words",
        revealed=True,
        reflections=[
            {
                "by": "me",
                "round": 1,
                "body": f"{CANARY} it sounds like you felt",
                "created_at": ISO,
                "response_by": "partner",
                "response": "partly",
                "addition": "PARTNER-ADDITION",
                "responded_at": ISO,
            },
            {
                "by": "partner",
                "round": 1,
                "body": "PARTNER-REFLECTION of Robin",
                "created_at": ISO,
                "response_by": "me",
                "response": "partly",
                "addition": f"{CANARY} what I'd add",
                "responded_at": ISO,
            },
        ],
    )
    revealed["follow_up"] = first_follow_up
    assert exported == {
        "format": "attune-export/1",
        "exported_at": ISO,
        "account": {
            "email": f"{CANARY}@example.test",
            "display_name": f"Robin {CANARY}",
            "role": "partner",
            "created_at": ISO,
            "timezone": "UTC",
            "max_depth": 3,
            "notifications": {
                "new_prompt": True,
                "partner_answered": True,
                "reveal": True,
                "reflection": True,
                "reminder": True,
                "receive_reassurance": True,
                "discreet": False,
                "allow_urgent_reassurance": False,
                "quiet_hours": None,
            },
        },
        "couples": [
            {
                "started_at": ISO,
                "ended_at": None,
                "joined_at": ISO,
                "left_at": None,
                "partner": {"display_name": "Sam"},
                "prompts": [
                    revealed,
                    prompt(world.my_sealed_id, f"{CANARY} my sealed answer"),
                    prompt(world.partner_sealed_id, None),
                    prompt(world.set_aside_id, None, set_aside=True),
                ],
                "checkins": [
                    checkin("2026-01-05", "me", CANARY),
                    checkin("2026-01-05", "partner", "PARTNER-CHECKIN-SHARED"),
                    checkin("2026-01-12", "me", CANARY),
                ],
                "therapist_access_log": [
                    {"therapist_name": f"Dr Lee {THERAPIST_CANARY} (Calm Rooms)", "kind": "progress", "created_at": ISO}
                ],
                "repair": {"conversations": [], "commitments": []},
            }
        ],
        "push_devices": [{"label": f"Phone {CANARY}", "created_at": ISO}],
        "journal": [],
        "journal_shared_with_me": [],
        "reassurance_requests": [],
    }
    # Nothing sealed, and no secrets, anywhere in the file.
    with app.app_context():
        user = db.session.get(User, world.me.id)
        secrets = [
            user.password_hash,
            "scrypt",
            "password",
            "TCODE234",
            "BKEYSECRETp256dh",
            "AUTHSECRETvalue",
            "push.example.test",
            "endpoint",
            f"key-{CANARY}",
            f"rk-{CANARY}",
        ]
        secrets += list(db.session.scalars(sa.select(LoginSession.id)))
    for leak in ["PARTNER-SEALED-SECRET", "PARTNER-SETASIDE-SECRET", "PARTNER-CHECKIN-SEALED", *secrets]:
        assert leak not in raw, leak


def test_partner_sealed_answer_appears_once_revealed(app, factory, client, auth):
    world = build_world(factory)
    factory.answer(world.me, world.partner_sealed_id, "now I answered too")
    auth.login_as(world.me)
    prompts = client.get("/account/export.json").get_json()["couples"][0]["prompts"]
    now_revealed = next(p for p in prompts if p["text"] == world.texts[world.partner_sealed_id])
    assert now_revealed["partner_answer"]["body"] == "PARTNER-SEALED-SECRET"


def test_the_data_page_explains_and_links(app, factory, client, auth):
    world = build_world(factory)
    auth.login_as(world.me)
    page = page_text(client.get("/account/data"))
    for phrase in (
        "Download my data",
        "/account/export.json",
        "/couple/leave",
        "/account/delete",
        "only where both of you answered",
    ):
        assert phrase in page
    assert "/account/data" in page_text(client.get("/account"))


def test_a_therapist_exports_their_own_writing(app, factory, client, auth):
    world = build_world(factory)
    auth.login_as(world.therapist)
    exported = client.get("/account/export.json").get_json()
    assert exported["account"]["role"] == "therapist" and exported["account"]["practice_name"] == "Calm Rooms"
    assert exported["couples"] == []
    assert [n["body"] for n in exported["therapist"]["notes"]] == [f"{THERAPIST_CANARY} private note"]
    assert [a["text"] for a in exported["therapist"]["assignments"]] == [f"{THERAPIST_CANARY} assigned prompt"]
    assert "TCODE234" not in json.dumps(exported)


# Fresh login -------------------------------------------------------------------


def test_export_and_deletion_need_a_fresh_login(app, factory, client, auth):
    me = factory.user("Robin")
    auth.login_as(me)
    assert client.get("/account/export.json").status_code == 200
    later = datetime.now(UTC) + app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    with time_machine.travel(later):
        for path in ("/account/export.json", "/account/data", "/account/delete"):
            stale = client.get(path)
            assert stale.status_code == 302 and stale.location.startswith("/account/confirm?next="), path
        refused = client.post("/account/delete", data={"phrase": "delete my account"})
        assert refused.status_code == 302 and "/account/confirm" in refused.location
        assert count(app, User, User.id == me.id) == 1
        stale = client.get("/account/export.json")
        wrong = client.post(stale.location, data={"password": "not my password", "next": "/account/export.json"})
        assert "isn't your password" in page_text(wrong)
        assert client.get("/account/export.json").status_code == 302
        confirmed = client.post(stale.location, data={"password": PASSWORD, "next": "/account/export.json"})
        assert confirmed.status_code == 302 and confirmed.location == "/account/export.json"
        assert client.get("/account/export.json").status_code == 200


def test_logged_out_people_are_sent_to_log_in(client):
    for path in ("/account/data", "/account/export.json", "/account/delete"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path


# Deletion ------------------------------------------------------------------------


def _delete_through_the_page(app, client, person: Person) -> str:
    """Log in, delete the account by the form, and return the cookie the browser held."""
    AuthActions(client).login_as(person)
    cookie = client.get_cookie("attune_session", domain="attune.test").value
    page = page_text(client.get("/account/delete"))
    assert "delete my account" in page
    refused = client.post("/account/delete", data={"phrase": "delete it"})
    assert refused.status_code == 200 and "exactly" in page_text(refused)
    assert count(app, User, User.id == person.id) == 1
    response = client.post("/account/delete", data={"phrase": "  Delete my  ACCOUNT "})
    assert response.status_code == 302 and response.location == "/"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "have been deleted" in page_text(client.get("/"))
    return cookie


@pytest.mark.parametrize("me_seat", ["a", "b"])
def test_deletion_leaves_no_row_that_names_or_quotes_me(app, factory, client, me_seat):
    world = build_world(factory, me_seat=me_seat, ex_couple=True)
    phone = app.test_client()
    phone.post("/login", data={"email": world.me.email, "password": PASSWORD})
    assert scan(app, world.me.id, CANARY)  # the scan does see the person before deletion
    cookie = _delete_through_the_page(app, client, world.me)

    assert scan(app, world.me.id, CANARY) == []
    assert count(app, LoginSession) == 0
    for stale in (cookie, phone.get_cookie("attune_session", domain="attune.test").value):
        thief = app.test_client()
        thief.set_cookie("attune_session", stale, domain="attune.test")
        assert thief.get("/today").status_code == 302
    assert app.test_client().post("/login", data={"email": world.me.email, "password": PASSWORD}).status_code == 200

    # The partner keeps the couple's prompts and their own words; the couple has ended.
    with app.app_context():
        couple = db.session.get(Couple, world.couple_id)
        assert couple.ended_at is not None and couple.next_delivery_at is None
        assert db.session.get(PromptInstance, world.set_aside_id).set_aside_by_id is None
        assert (
            db.session.scalar(sa.select(Membership.left_at).where(Membership.user_id == world.partner.id)) is not None
        )
        assert len(world.texts) == db.session.scalar(
            sa.select(sa.func.count()).select_from(PromptInstance).where(PromptInstance.couple_id == world.couple_id)
        )
        assert set(db.session.scalars(sa.select(Answer.body).where(Answer.user_id == world.partner.id))) == {
            "PARTNER-REVEALED words",
            "PARTNER-SEALED-SECRET",
            "PARTNER-SETASIDE-SECRET",
        }
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reflection)) == 0
        assert list(db.session.scalars(sa.select(CheckIn.user_id))) == [world.partner.id, world.partner.id]
        # The therapist's link stays, but no longer has everyone's consent.
        assert list(db.session.scalars(sa.select(Consent.user_id))) == [world.partner.id]
        assert db.session.get(TherapistLink, world.link_id).created_by_id is None


def test_the_partner_still_reads_the_history_with_my_side_removed(app, factory, client, auth):
    world = build_world(factory)
    _delete_through_the_page(app, app.test_client(), world.me)
    auth.login_as(world.partner)
    page = page_text(client.get(f"/prompts/{world.revealed_id}"))
    assert "PARTNER-REVEALED words" in page and REMOVED in page and CANARY not in page
    history = page_text(client.get("/history"))
    assert f'href="/prompts/{world.revealed_id}"' in client.get("/history").get_data(as_text=True)
    assert CANARY not in history
    sealed = client.get(f"/prompts/{world.partner_sealed_id}")
    assert sealed.status_code == 200 and "This couple has ended" in page_text(sealed)
    couple = client.get("/couple")
    assert couple.status_code == 200 and CANARY not in page_text(couple)
    api = client.get(f"/api/v1/prompts/{world.revealed_id}")
    assert api.status_code == 200 and CANARY not in api.get_data(as_text=True)
    exported = client.get("/account/export.json").get_json()
    revealed = exported["couples"][0]["prompts"][0]
    assert exported["couples"][0]["partner"] is None
    assert revealed["partner_answer"] is None and revealed["reflections"] == []
    assert CANARY not in json.dumps(exported)


def test_deleting_a_therapist_keeps_the_access_log_with_their_name(app, factory, client):
    world = build_world(factory)
    _delete_through_the_page(app, client, world.therapist)
    assert scan(app, world.therapist.id, f"{THERAPIST_CANARY} private") == []
    assert scan(app, world.therapist.id, f"{THERAPIST_CANARY} assigned") == []
    with app.app_context():
        entries = db.session.execute(sa.select(AccessEntry.therapist_id, AccessEntry.therapist_name)).all()
        assert entries == [(None, f"Dr Lee {THERAPIST_CANARY} (Calm Rooms)")]
        for model in (TherapistLink, Consent, Assignment, TherapistNote):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
        # The couple carries on untouched.
        assert db.session.get(Couple, world.couple_id).ended_at is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 5


def test_deleting_someone_alone_or_waiting_for_a_partner(app, factory, client):
    alone = factory.user("Alone")
    waiting = factory.user("Waiting")
    with factory.session():
        pairing.create_couple(factory.load(waiting))
    _delete_through_the_page(app, client, alone)
    _delete_through_the_page(app, app.test_client(), waiting)
    assert count(app, User) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Couple.ended_at)) is not None


def test_the_database_alone_erases_a_user_row(app, factory):
    """The foreign keys are the backstop: a bare DELETE of the user row cascades or nulls everything that names them."""
    world = build_world(factory)
    with factory.session() as session:
        session.execute(sa.delete(User).where(User.id == world.me.id))
    assert scan(app, world.me.id, CANARY) == []


def _database_file_bytes(app) -> bytes:
    """Every byte SQLite keeps for the database: the main file, and its write-ahead log if any."""
    path = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL keeps dead row versions until VACUUM; see the README")
def test_deleted_writing_is_gone_from_the_database_files(app, factory, client):
    world = build_world(factory)
    assert CANARY.encode() in _database_file_bytes(app)  # the scan can see it before deletion
    _delete_through_the_page(app, client, world.me)
    assert CANARY.encode() not in _database_file_bytes(app)
