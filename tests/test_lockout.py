"""Login limits stop guessing without giving strangers a lock-out button (SECURITY.md LOCKOUT, RATE).

Strangers are limited per client address and per account at that address;
a browser that has logged in to the account before (a signed known-device
cookie) has a limit of its own instead. Time is frozen so no limit window
rolls over mid-test.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import time_machine

from tests.helpers import PASSWORD

OWNER_IP = "198.51.100.7"
ATTACKER_IPS = [f"203.0.113.{n}" for n in range(1, 21)]


@pytest.fixture
def limited(make_app, factory):
    """An app with rate limits on. Made after the factory's app: the limiter is one shared instance,
    and the last app initialised decides whether it is enabled."""
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        yield make_app(RATELIMIT_ENABLED=True)


def attempt(client, email, password, ip):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def forget_login(client):
    """The session ends (idle, expired) but the browser keeps its other cookies."""
    client.delete_cookie("attune_session", domain="attune.test")


def test_failures_from_many_addresses_never_lock_the_owner_out(limited, factory):
    owner = factory.user(email="owner@example.test")
    phone = limited.test_client()
    assert attempt(phone, owner.email, PASSWORD, OWNER_IP).status_code == 302
    forget_login(phone)

    attacker = limited.test_client()
    codes = [attempt(attacker, owner.email, "wrong guess", ip).status_code for ip in ATTACKER_IPS for _ in range(7)]
    assert codes.count(429) == 2 * len(ATTACKER_IPS)  # each address is cut off after five tries

    # Her phone, even on an address the attacker has exhausted, and a new browser at her usual address.
    assert attempt(phone, owner.email, PASSWORD, ATTACKER_IPS[0]).status_code == 302
    assert attempt(limited.test_client(), owner.email, PASSWORD, OWNER_IP).status_code == 302
    # The attacker is still held back.
    assert attempt(attacker, owner.email, "one more guess", ATTACKER_IPS[3]).status_code == 429


def test_a_known_device_has_a_limit_of_its_own(limited, factory):
    owner = factory.user(email="device@example.test")
    phone = limited.test_client()
    attempt(phone, owner.email, PASSWORD, OWNER_IP)
    forget_login(phone)
    codes = [attempt(phone, owner.email, "wrong guess", OWNER_IP).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    # Its bucket is not the strangers' one: a new browser at the same address may still try.
    assert attempt(limited.test_client(), owner.email, PASSWORD, OWNER_IP).status_code == 302


def test_a_device_cookie_counts_only_for_its_own_account_and_only_when_signed(limited, factory):
    bob = factory.user(email="bob@example.test")
    alice = factory.user(email="alice@example.test")
    bobs_phone = limited.test_client()
    attempt(bobs_phone, bob.email, PASSWORD, OWNER_IP)
    forget_login(bobs_phone)
    codes = [attempt(bobs_phone, alice.email, "guess", OWNER_IP).status_code for _ in range(6)]
    assert codes[-1] == 429  # Bob's device is a stranger to Alice's account

    forged = limited.test_client()
    cookie = bobs_phone.get_cookie("attune_device", domain="attune.test").value
    forged.set_cookie("attune_device", cookie[:-4] + "AAAA", domain="attune.test")
    codes = [attempt(forged, bob.email, "guess", "192.0.2.9").status_code for _ in range(6)]
    assert codes[-1] == 429


def test_one_address_guessing_at_many_accounts_is_limited(limited):
    client = limited.test_client()
    codes = [attempt(client, f"person{n}@example.test", "guess", "192.0.2.1").status_code for n in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_the_known_device_cookie_is_signed_long_lived_and_out_of_scripts_reach(make_app, factory):
    app = make_app(SESSION_COOKIE_SECURE=True)
    owner = factory.user(email="flags@example.test")
    response = app.test_client().post("/login", data={"email": owner.email, "password": PASSWORD})
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("attune_device=")]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
    assert max_age >= 90 * 24 * 3600
    payload = cookie.split(";")[0].split("=", 1)[1].split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"d", "a"}  # a device id and an opaque account tag: no email, no user id
    assert owner.email not in json.dumps(data)
