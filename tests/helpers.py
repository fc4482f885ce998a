"""Test helpers: a factory for people, couples and answers, and login actions for clients."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from database import writing
from extensions import db
from models import PromptInstance, User
from services import accounts, conversation, pairing
from services.accounts import RegistrationClaim

PASSWORD = "quiet harbour lantern"
_counter = itertools.count(1)


@dataclass
class Pair:
    a: User
    b: User
    couple_id: int
    first_prompt_id: int


class Factory:
    """Creates data the way the app does, committing each step."""

    def __init__(self, app: Flask):
        self.app = app

    def user(self, name: str | None = None, *, email: str | None = None, role: str = "partner", max_depth: int = 3) -> User:
        n = next(_counter)
        name = name or f"Person {n}"
        email = email or f"person{n}@example.test"
        with writing():
            user = accounts.create_account(RegistrationClaim(email, role, None), name, PASSWORD)
            user.max_depth = max_depth
            db.session.commit()
        return user

    def pair(self, a: User | None = None, b: User | None = None) -> Pair:
        a = a or self.user("Alex")
        b = b or self.user("Sam")
        with writing():
            invite = pairing.create_couple(a)
            db.session.commit()
            couple = pairing.join(b, code=invite.code)
            db.session.commit()
        first = db.session.scalar(
            db.select(PromptInstance.id).where(PromptInstance.couple_id == couple.id).order_by(PromptInstance.id)
        )
        return Pair(a, b, couple.id, first)

    def answer(self, user: User, instance_id: int, body: str, key: str | None = None):
        with writing():
            outcome = conversation.submit_answer(user, instance_id, body, key)
            db.session.commit()
        return outcome

    def reveal(self, pair: Pair, a_text: str = "Alex's answer", b_text: str = "Sam's answer") -> int:
        self.answer(pair.a, pair.first_prompt_id, a_text)
        self.answer(pair.b, pair.first_prompt_id, b_text)
        return pair.first_prompt_id


class AuthActions:
    """Log a test client in and out through the real forms."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"email": email, "password": password, **kwargs})

    def login_as(self, user: User):
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.client.post("/logout")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
