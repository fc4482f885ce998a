"""Test helpers: a factory for people, couples and answers, login actions for clients (pages and the API),
weekly check-ins, and the prompt library as a deck.

The factory opens its own short request context for each step and hands back
plain records, never live ORM objects, so test clients always run in their
own application context and database session, as real requests do.
"""

from __future__ import annotations

import html
import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import PROMPT_LIBRARY
from database import writing
from extensions import db
from models import Couple, PromptInstance, User
from services.accounts import accounts
from services.accounts.accounts import RegistrationClaim
from services.checkins import checkins
from services.conversation import conversation
from services.couples import pairing
from services.delivery.delivery import Deck, LibraryPrompt
from services.delivery.library import read_library
from services.notifications import devices, vapid
from services.therapist import links

PASSWORD = "quiet harbour lantern"
API = "/api/v1"
_counter = itertools.count(1)


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    display_name: str


@dataclass(frozen=True)
class Pair:
    a: Person
    b: Person
    couple_id: int
    first_prompt_id: int


class Factory:
    """Creates data the way the app does, committing each step."""

    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def session(self):
        """A request context with write transactions, for direct service calls."""
        with self.app.test_request_context(), writing():
            yield db.session
            db.session.commit()

    def load(self, person: Person) -> User:
        """The live User for a person, inside an open factory.session()."""
        return db.session.get(User, person.id)

    def user(
        self, name: str | None = None, *, email: str | None = None, role: str = "partner", max_depth: int = 3
    ) -> Person:
        n = next(_counter)
        name = name or f"Person {n}"
        email = email or f"person{n}@example.test"
        with self.session():
            practice = "Harbour Counselling" if role == "therapist" else None
            user = accounts.create_account(RegistrationClaim(email, role, None), name, PASSWORD, practice)
            user.max_depth = max_depth
            db.session.flush()
            return Person(user.id, user.email, user.display_name)

    def pair(self, a: Person | None = None, b: Person | None = None) -> Pair:
        a = a or self.user("Alex")
        b = b or self.user("Sam")
        with self.session():
            invite = pairing.create_couple(self.load(a))
            code = invite.code
        with self.session():
            couple = pairing.join(self.load(b), code=code)
            couple_id = couple.id
        with self.session():
            first = db.session.scalar(
                sa.select(PromptInstance.id).where(PromptInstance.couple_id == couple_id).order_by(PromptInstance.id)
            )
        return Pair(a, b, couple_id, first)

    def answer(self, person: Person, instance_id: int, body: str, key: str | None = None) -> bool:
        """Submit an answer; returns whether it revealed the prompt."""
        with self.session():
            return conversation.submit_answer(self.load(person), instance_id, body, key).revealed_now

    def reveal(self, pair: Pair, a_text: str = "Alex's answer", b_text: str = "Sam's answer") -> int:
        self.answer(pair.a, pair.first_prompt_id, a_text)
        self.answer(pair.b, pair.first_prompt_id, b_text)
        return pair.first_prompt_id

    def therapist_link(self, pair: Pair, therapist: Person, scope_a: str | None, scope_b: str | None = "same") -> int:
        """Link a therapist to a couple by their code, each partner consenting to a scope (None: not yet);
        scope_b defaults to scope_a. Returns the link's id."""
        scope_b = scope_a if scope_b == "same" else scope_b
        with self.session():
            code = links.link_code(self.load(therapist))
        with self.session():
            link_id = links.link_by_code(self.load(pair.a), code).id
        for person, scope in ((pair.a, scope_a), (pair.b, scope_b)):
            if scope:
                with self.session():
                    links.consent(self.load(person), link_id, scope)
        return link_id


class AuthActions:
    """Log a test client in and out through the real forms."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"email": email, "password": password, **kwargs})

    def login_as(self, person: Person):
        """Log in as person and expect it to work; where the app checks CSRF, with the login page's own token."""
        extra = {}
        if self.client.application.config.get("WTF_CSRF_ENABLED", True):
            extra["csrf_token"] = csrf_token(self.client.get("/login").get_data(as_text=True))
        response = self.login(person.email, **extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def page_text(response) -> str:
    """A response body with HTML entities decoded, for asserting on what a person reads."""
    return html.unescape(response.get_data(as_text=True))


def bulk_pairs(app: Flask, n: int, *, prefix: str = "bulk") -> list[Pair]:
    """n paired couples, each with one open prompt, inserted directly (much faster than the services)."""
    from datetime import datetime

    from models import Couple, Membership, Prompt
    from services.accounts.passwords import hash_password

    now = datetime.now(UTC)
    with app.app_context(), writing():
        prompt = db.session.scalars(sa.select(Prompt).order_by(Prompt.id).limit(1)).one()
        password_hash = hash_password(PASSWORD, app.config["PASSWORD_HASH_PROFILE"])
        start = next(_counter)
        for _ in range(2 * n):
            next(_counter)
        users = [
            {
                "email": f"{prefix}{start + i}@example.test",
                "display_name": f"{prefix} {start + i}",
                "password_hash": password_hash,
                "role": "partner",
                "max_depth": 3,
                "timezone": "UTC",
                "created_at": now,
            }
            for i in range(2 * n)
        ]
        user_ids = list(db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True), users))
        couple_ids = list(
            db.session.scalars(
                sa.insert(Couple).returning(Couple.id, sort_by_parameter_order=True),
                [
                    {
                        "created_at": now,
                        "timezone": "UTC",
                        "cadence": "daily",
                        "cadence_days": 0,
                        "delivery_time": datetime(2000, 1, 1, 19).time(),
                    }
                    for _ in range(n)
                ],
            )
        )
        db.session.execute(
            sa.insert(Membership),
            [
                {"couple_id": c, "user_id": user_ids[2 * i + seat - 1], "seat": seat, "joined_at": now}
                for i, c in enumerate(couple_ids)
                for seat in (1, 2)
            ],
        )
        instance_ids = list(
            db.session.scalars(
                sa.insert(PromptInstance).returning(PromptInstance.id, sort_by_parameter_order=True),
                [
                    {
                        "couple_id": c,
                        "slot_at": now,
                        "source": "first",
                        "prompt_id": prompt.id,
                        "theme_id": prompt.theme_id,
                        "depth": prompt.depth,
                        "text": prompt.text,
                        "delivered_at": now,
                    }
                    for c in couple_ids
                ],
            )
        )
        db.session.commit()
    return [
        Pair(
            Person(user_ids[2 * i], users[2 * i]["email"], users[2 * i]["display_name"]),
            Person(user_ids[2 * i + 1], users[2 * i + 1]["email"], users[2 * i + 1]["display_name"]),
            couple_ids[i],
            instance_ids[i],
        )
        for i in range(n)
    ]


def logged_in(app: Flask, person: Person) -> FlaskClient:
    """A new client (one browser) logged in as person through the real login form."""
    client = app.test_client()
    AuthActions(client).login_as(person)
    return client


@dataclass
class ApiClient:
    """A logged-in test client of the JSON API that sends its CSRF token on state-changing requests."""

    client: FlaskClient
    token: str

    def get(self, path: str, **kwargs):
        return self.client.get(API + path, **kwargs)

    def put(self, path: str, json=None, headers: dict | None = None, **kwargs):
        return self.client.put(API + path, json=json, headers={"X-CSRFToken": self.token, **(headers or {})}, **kwargs)

    def post(self, path: str, json=None, headers: dict | None = None, **kwargs):
        return self.client.post(API + path, json=json, headers={"X-CSRFToken": self.token, **(headers or {})}, **kwargs)

    # The loop, spelled out.
    def answer(self, instance_id: int, body: str, key: str | None = None):
        return self.put(
            f"/prompts/{instance_id}/answer", json={"body": body}, headers={"Idempotency-Key": key} if key else None
        )

    def reflect(self, instance_id: int, body: str, key: str | None = None):
        return self.post(
            f"/prompts/{instance_id}/reflections",
            json={"body": body},
            headers={"Idempotency-Key": key} if key else None,
        )

    def respond(self, instance_id: int, reflection_id: int, response: str, addition: str | None = None):
        payload = {"response": response}
        if addition is not None:
            payload["addition"] = addition
        return self.post(f"/prompts/{instance_id}/reflections/{reflection_id}/response", json=payload)

    def prompt(self, instance_id: int) -> dict:
        response = self.get(f"/prompts/{instance_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def api_logged_in(app: Flask, person: Person) -> ApiClient:
    """logged_in, then the API's CSRF token from GET /me, as the PWA does."""
    client = logged_in(app, person)
    me = client.get(f"{API}/me")
    assert me.status_code == 200, me.get_data(as_text=True)
    return ApiClient(client, me.get_json()["csrf_token"])


def push_device(app: Flask, factory: Factory, push, person: Person, label: str = "Test phone") -> tuple[dict, int]:
    """Subscribe a person's (simulated) browser to the loopback push service, as the page would."""
    key = vapid.application_server_key(app.extensions["attune.vapid"])
    subscription = push.subscribe(key)
    with factory.session():
        row = devices.subscribe(
            factory.load(person),
            subscription["endpoint"],
            subscription["keys"]["p256dh"],
            subscription["keys"]["auth"],
            label,
        )
        row_id = row.id
    return subscription, row_id


# The weekly check-in -------------------------------------------------------------------------

# Sunday 9 March 2025, midday UTC: a check-in day (the default, Sunday) everywhere from UTC-11 to UTC+11.
CHECKIN_SUNDAY = datetime(2025, 3, 9, 12, tzinfo=UTC)
CHECKIN_WEEK = date(2025, 3, 3)  # the Monday that week starts
CHECKIN_ANSWERS = {
    "connection": "7",
    "safety": "6",
    "feeling": "hopeful",
    "appreciation": "You made tea.",
    "need": "A walk together.",
}


def submit_checkin(factory: Factory, person: Person, couple_id: int, now: datetime = CHECKIN_SUNDAY, **overrides):
    """One person's check-in for the week of now: CHECKIN_ANSWERS with the given answers changed."""
    with factory.session():
        return checkins.submit(
            factory.load(person), db.session.get(Couple, couple_id), {**CHECKIN_ANSWERS, **overrides}, now
        )


def set_couple_created(factory: Factory, pair: Pair, when: datetime) -> None:
    """Date the couple from `when`: its CSI-4 weeks are counted from its first week."""
    with factory.session():
        db.session.get(Couple, pair.couple_id).created_at = when


# The prompt library --------------------------------------------------------------------------


def library_deck() -> tuple[Deck, dict[str, int]]:
    """The library file as the tick's deck (no database), and each theme's stage on the path."""
    data = read_library(PROMPT_LIBRARY)
    stages = {theme["id"]: theme["stage"] for theme in data["themes"]}
    prompts = [
        (LibraryPrompt(seq, p["id"], p["theme"], p["depth"], p["text"], p.get("follow_up")), stages[p["theme"]])
        for seq, p in enumerate(data["prompts"])
    ]
    return Deck.of(prompts), stages
