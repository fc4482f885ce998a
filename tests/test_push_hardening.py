"""Web push against an attacker: bad keys, endpoints aimed inside our network, and endpoint takeover.

SECURITY.md rows ISOLATE (one bad row never stalls the batch), SSRF (production
posts only to the browsers' push services, at public addresses) and the
takeover rule (an endpoint belongs to one account until that account lets it go).
Every request in these tests stays on loopback: production-mode endpoints are
checked without resolving them, and the resolver is tested with fake answers or
with names that resolve to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest
import sqlalchemy as sa
import time_machine
from aiohttp.abc import AbstractResolver
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import config
from database import writing
from extensions import db
from models import PushMessage, PushSubscription, utcnow
from services.common.errors import Conflict, Invalid
from services.notifications import devices, push, vapid
from services.notifications.push import PublicResolver, PushSender
from tests.helpers import AuthActions, logged_in
from tools.push_service import PushService

API = "/api/v1/push/subscriptions"
# 65 bytes that look like an uncompressed P-256 point (0x04, then x and y) but are not on the curve.
OFF_CURVE = base64.urlsafe_b64encode(b"\x04" + b"\x07" * 64).rstrip(b"=").decode()
TAKEN = (
    "This device is already receiving another account's notifications. "
    "That account needs to turn them off on this device first."
)


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def production(make_app):
    """An app that refuses local endpoints, as production does."""
    return make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False)


def browser_subscription(app, push_service) -> dict:
    """A subscription as the browser would hand it over, on the loopback push service."""
    return push_service.subscribe(vapid.application_server_key(app.extensions["attune.vapid"]))


def store(app, person, subscription: dict, label: str = "Phone") -> int:
    """Insert a subscription directly, unchecked, as rows written before validation existed were."""
    with app.app_context(), writing():
        row = PushSubscription(
            user_id=person.id,
            endpoint=subscription["endpoint"],
            p256dh=subscription["keys"]["p256dh"],
            auth=subscription["keys"]["auth"],
            label=label,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def outbox(app) -> dict[int, PushMessage]:
    """Every queued message by its subscription id."""
    with app.app_context():
        return {m.subscription_id: m for m in db.session.scalars(sa.select(PushMessage))}


def drain(app, **kwargs):
    sender = PushSender(app, workers=4, **kwargs)
    try:
        return sender.drain()
    finally:
        sender.close()


def _real_keys() -> dict:
    """A browser's keys: a fresh P-256 public point and a 16-byte auth secret."""
    point = (
        ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    return {"p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(), "auth": "A" * 22}


# ISOLATE: keys are checked before they are stored, and one bad row stays its own problem -------------------


def test_the_off_curve_key_really_is_off_the_curve():
    """The fixture the other tests lean on: cryptography itself refuses it."""
    with pytest.raises(ValueError):
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), base64.urlsafe_b64decode(OFF_CURVE + "="))


@pytest.mark.parametrize(
    ("keys", "field", "words"),
    [
        ({"p256dh": OFF_CURVE}, "p256dh", "isn't a point on the P-256 curve"),
        ({"p256dh": "BA" + "A" * 85}, "p256dh", "isn't a point on the P-256 curve"),
        ({"p256dh": "Aw" + "A" * 85}, "p256dh", "must be an uncompressed P-256 public key"),
        ({"p256dh": "!" * 87}, "p256dh", "isn't valid base64url"),
        ({"auth": base64.urlsafe_b64encode(b"x" * 15).decode()}, "auth", "must be 16 bytes"),
        ({"auth": base64.urlsafe_b64encode(b"x" * 17).decode()}, "auth", "must be 16 bytes"),
    ],
)
def test_subscribing_refuses_keys_that_can_never_encrypt(app, factory, push_service, keys, field, words):
    person = factory.user()
    client = logged_in(app, person)
    good = browser_subscription(app, push_service)
    response = client.post(API, json={**good, "keys": {**good["keys"], **keys}})
    assert response.status_code == 422
    body = response.get_json()
    assert words in body["message"] and field in body["errors"]
    assert client.get(API).get_json()["devices"] == []


def test_a_stored_bad_key_fails_alone_and_everyone_else_gets_theirs_exactly_once(app, factory, push_service, runner):
    pairs = [factory.pair(factory.user(), factory.user()) for _ in range(5)]
    good = {}
    for pair in pairs[1:]:
        subscription = browser_subscription(app, push_service)
        good[store(app, pair.b, subscription)] = subscription["endpoint"]
    bad_subscription = browser_subscription(app, push_service)
    bad_subscription["keys"]["p256dh"] = OFF_CURVE
    bad_id = store(app, pairs[0].b, bad_subscription)
    for pair in pairs:
        factory.answer(pair.a, pair.first_prompt_id, "hello")

    result = runner.invoke(args=["send-pushes"])
    assert result.exit_code == 0, result.output
    assert "4 sent" in result.output and "1 failed" in result.output
    assert all(len(push_service.messages_for(endpoint)) == 1 for endpoint in good.values())
    assert push_service.attempts[push_service.subscription_id(bad_subscription["endpoint"])] == 0
    rows = outbox(app)
    assert rows[bad_id].status == "failed" and rows[bad_id].claimed_until is None
    assert {rows[i].status for i in good} == {"sent"}

    # Long after every lease has run out, nothing goes out again.
    with time_machine.travel(utcnow() + timedelta(days=2)):
        assert runner.invoke(args=["send-pushes"]).exit_code == 0
    assert all(len(push_service.messages_for(endpoint)) == 1 for endpoint in good.values())
    assert len(push_service.messages) == 4


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Invalid EC key"),
        RuntimeError("the sender broke"),
        ssl.SSLError(1, "certificate verify failed"),
        TimeoutError(),
        aiohttp.ServerDisconnectedError(),
        KeyError("keys"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_whatever_one_send_raises_stays_with_its_row(app, factory, push_service, monkeypatch, error):
    pairs = [factory.pair(factory.user(), factory.user()) for _ in range(4)]
    endpoints = [browser_subscription(app, push_service) for _ in pairs]
    ids = [store(app, pair.b, subscription) for pair, subscription in zip(pairs, endpoints, strict=True)]
    cursed = endpoints[1]["endpoint"]
    real_post = push.PushSender._post

    async def post(self, endpoint, body, headers):
        if endpoint == cursed:
            raise error
        return await real_post(self, endpoint, body, headers)

    monkeypatch.setattr(push.PushSender, "_post", post)
    for pair in pairs:
        factory.answer(pair.a, pair.first_prompt_id, "hello")

    report = drain(app)
    assert report.sent == 3 and report.retried + report.failed == 1
    for subscription in endpoints:
        assert len(push_service.messages_for(subscription["endpoint"])) == (
            0 if subscription["endpoint"] == cursed else 1
        )
    rows = outbox(app)
    assert rows[ids[1]].status in ("pending", "failed") and rows[ids[1]].claimed_until is None
    assert rows[ids[1]].attempts == 1
    assert {rows[i].status for i in ids if i != ids[1]} == {"sent"}


@pytest.mark.parametrize("field", ["label", "endpoint"])
@pytest.mark.parametrize("odd", ["\ud800", "\x00", "\udfff"], ids=["high surrogate", "NUL", "low surrogate"])
def test_unstorable_characters_in_label_or_endpoint_are_a_422(app, factory, push_service, field, odd):
    client = logged_in(app, factory.user())
    subscription = browser_subscription(app, push_service)
    body = {**subscription, "label": "Phone"}
    body[field] = body[field] + odd
    response = client.post(API, json=body)
    assert response.status_code == 422
    assert "can't be stored" in response.get_json()["message"]
    assert field in response.get_json()["errors"]


def test_labels_are_one_line_and_checked_by_the_one_text_check(app, factory, push_service):
    person = factory.user()
    client = logged_in(app, person)
    response = client.post(API, json={**browser_subscription(app, push_service), "label": "  Chrome\n on\tAndroid "})
    assert response.status_code == 201 and response.get_json()["label"] == "Chrome on Android"
    blank = client.post(API, json={**browser_subscription(app, push_service), "label": "   "})
    assert blank.status_code == 201 and blank.get_json()["label"] == "This device"
    bell = client.post(API, json={**browser_subscription(app, push_service), "label": "Phone\x07"})
    assert bell.status_code == 422 and "control character" in bell.get_json()["message"]


# SSRF: production posts only to the browsers' push services --------------------------------------------------

INSIDE = [
    "https://localhost/push/x",
    "https://localhost./push/x",
    "https://LOCALHOST/push/x",
    "https://127.0.0.1/push/x",
    "https://2130706433/push/x",
    "https://0x7f000001/push/x",
    "https://0x7F.1/push/x",
    "https://127.1/push/x",
    "https://0/push/x",
    "https://017700000001/push/x",
    "https://0177.0.0.1/push/x",
    "https://127.0.0.1./push/x",
    "https://[::1]/push/x",
    "https://[::ffff:127.0.0.1]/push/x",
    "https://[::ffff:7f00:1]/push/x",
    "https://10.0.0.5/push/x",
    "https://169.254.169.254/latest/meta-data",
    "https://[fe80::1%25eth0]/push/x",
    "https://1.2.3.0x10/push/x",
    # Names that resolve to 127.0.0.1 on the public internet: refused for not being push services (never resolved).
    "https://localtest.me/push/x",
    "https://127.0.0.1.nip.io/push/x",
    "https://fcm.googleapis.com.127.0.0.1.nip.io/push/x",
]
NOT_PUSH_SERVICES = [
    "http://fcm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com:8443/fcm/send/x",
    "https://fcm.googleapis.com:444/fcm/send/x",
    "https://fcm.googleapis.com:80/fcm/send/x",
    "https://fcm.googleapis.com:99999/fcm/send/x",
    "https://user@fcm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com:pass@127.0.0.1/fcm/send/x",
    "https://fcm.googleapis.com\\@127.0.0.1/fcm/send/x",
    "https://127.0.0.1\\@fcm.googleapis.com/fcm/send/x",
    "https://%66cm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com.evil.example/fcm/send/x",
    "https://evilfcm.googleapis.com/fcm/send/x",
    "https://push.apple.com/x",
    "https://web.push.apple.com.evil.example/x",
    "https://fcm.googleapis.com../fcm/send/x",
    "https://fcm_googleapis.com/fcm/send/x",
    "ftp://fcm.googleapis.com/x",
    "https:///fcm/send/x",
    "https://fcm.googleapis.com /fcm/send/x",
    "https://[fcm.googleapis.com]/fcm/send/x",
    "https://[::1/fcm/send/x",
]
PUSH_SERVICES = [
    "https://fcm.googleapis.com/fcm/send/abc:def",
    "https://fcm.googleapis.com/wp/abc",
    "https://android.googleapis.com/gcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
    "https://web.push.apple.com/QGx8Zq",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA%3d%3d",
    "https://FCM.GoogleAPIs.com./fcm/send/abc",
    "https://fcm.googleapis.com:443/fcm/send/abc",
]


@pytest.mark.parametrize("endpoint", INSIDE + NOT_PUSH_SERVICES)
def test_production_refuses_endpoints_that_are_not_a_browsers_push_service(production, factory, endpoint):
    client = logged_in(production, factory.user())
    response = client.post(API, json={"endpoint": endpoint, "keys": _real_keys()})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "endpoint" in response.get_json()["errors"]
    with production.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize("endpoint", ["https://[::1/push/x", "http://[push.local]/x", "https://push.local:99999/x"])
def test_unparseable_endpoints_are_a_422_in_local_testing_too(app, factory, endpoint):
    client = logged_in(app, factory.user())
    response = client.post(API, json={"endpoint": endpoint, "keys": _real_keys()})
    assert response.status_code == 422 and "endpoint" in response.get_json()["errors"]


@pytest.mark.parametrize("endpoint", PUSH_SERVICES)
def test_production_accepts_the_browsers_push_services(production, factory, endpoint):
    client = logged_in(production, factory.user())
    response = client.post(API, json={"endpoint": endpoint, "keys": _real_keys()})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_the_allowlist_is_an_operator_setting(make_app, monkeypatch, tmp_path):
    monkeypatch.setenv("PUSH_SERVICE_HOSTS", " Push.Example.ORG , *.corp-push.example,, .other.example ")
    assert config.settings(str(tmp_path))["PUSH_SERVICE_HOSTS"] == (
        "push.example.org",
        "*.corp-push.example",
        ".other.example",
    )
    monkeypatch.delenv("PUSH_SERVICE_HOSTS")
    assert "fcm.googleapis.com" in config.settings(str(tmp_path))["PUSH_SERVICE_HOSTS"]
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False, PUSH_SERVICE_HOSTS=("push.example.org", "*.corp-push.example"))
    with app.test_request_context():
        assert devices.check_endpoint("https://push.example.org/x") == "https://push.example.org/x"
        assert devices.check_endpoint("https://a.b.corp-push.example/x")
        for refused in ("https://fcm.googleapis.com/x", "https://corp-push.example/x", "https://xcorp-push.example/x"):
            with pytest.raises(Invalid):
                devices.check_endpoint(refused)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("fcm.googleapis.com", True),
        ("web.push.apple.com", True),
        ("a.b.push.apple.com", True),
        ("push.apple.com", False),
        ("evilpush.apple.com", False),
        ("wns2-par02p.notify.windows.com", True),
        ("notify.windows.com", False),
        ("updates.push.services.mozilla.com", True),
        ("push.services.mozilla.com", False),
        ("fcm.googleapis.com.evil.example", False),
        ("googleapis.com", False),
    ],
)
def test_allowlist_matching(host, allowed):
    assert devices.host_allowed(host, config.PUSH_SERVICE_HOSTS) is allowed
    assert devices.host_allowed(host, ",".join(config.PUSH_SERVICE_HOSTS)) is allowed


def test_an_endpoint_no_longer_allowed_is_failed_at_send_time_not_sent(make_app, factory, push_service):
    """A row stored while local endpoints were allowed (or before the allowlist existed) never leaves."""
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False)
    pair = factory.pair()
    subscription = browser_subscription(app, push_service)  # http://127.0.0.1:<port>/push/<id>: reachable
    row_id = store(app, pair.b, subscription)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    report = drain(app)
    assert report.failed == 1 and report.sent == 0
    assert outbox(app)[row_id].status == "failed"
    assert push_service.connections_accepted == 0 and not push_service.attempts


class FakeResolver(AbstractResolver):
    """Answers every name with the given addresses (nothing is looked up, nothing is connected to)."""

    def __init__(self, *addresses: str):
        self.addresses = addresses

    async def resolve(self, host, port=0, family=0):
        return [
            {"hostname": host, "host": a, "port": port, "family": 10 if ":" in a else 2, "proto": 6, "flags": 0}
            for a in self.addresses
        ]

    async def close(self):
        pass


INWARD = [
    "127.0.0.1",
    "127.255.0.1",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "2002:7f00:1::1",
    "64:ff9b::7f00:1",
    "::7f00:1",
    "not an address",
]


@pytest.mark.parametrize("address", INWARD)
def test_the_resolver_refuses_every_address_that_is_not_public(address):
    resolver = PublicResolver(FakeResolver(address))
    with pytest.raises(OSError, match="aren't public"):
        asyncio.run(resolver.resolve("fcm.googleapis.com", 443))


def test_the_resolver_keeps_only_the_public_answers():
    resolver = PublicResolver(FakeResolver("127.0.0.1", "142.250.1.95", "::1", "2607:f8b0:4004:c1b::5f", "10.0.0.1"))
    answers = asyncio.run(resolver.resolve("fcm.googleapis.com", 443))
    assert [a["host"] for a in answers] == ["142.250.1.95", "2607:f8b0:4004:c1b::5f"]
    assert asyncio.run(PublicResolver(FakeResolver("::ffff:8.8.8.8")).resolve("x", 443))


def test_the_resolver_stops_a_real_connection_to_loopback(push_service):
    """localhost resolves to 127.0.0.1 and ::1 for real: without the resolver the service is reached, with it never."""
    url = f"http://localhost:{push_service.port}/push/nothing"

    async def post(public: bool):
        connector = aiohttp.TCPConnector(resolver=PublicResolver()) if public else aiohttp.TCPConnector()
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(url, data=b"x") as response:
                return response.status

    assert asyncio.run(post(public=False)) == 404  # reachable: the service answers for an unknown subscription
    reached = push_service.connections_accepted
    with pytest.raises(aiohttp.ClientConnectorError) as refused:
        asyncio.run(post(public=True))
    assert "aren't public" in str(refused.value.os_error)
    assert push_service.connections_accepted == reached


def test_the_production_sender_refuses_a_push_host_that_resolves_to_loopback(make_app, factory, caplog):
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False, PUSH_SERVICE_HOSTS=("localhost",))
    pair = factory.pair()
    subscription = {"endpoint": "https://localhost/push/abc", "keys": _real_keys()}
    with factory.session():
        row_id = devices.subscribe(factory.load(pair.b), subscription["endpoint"], **subscription["keys"]).id
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    report = drain(app)
    assert report.sent == 0 and report.retried == 1
    row = outbox(app)[row_id]
    assert row.status == "pending" and row.last_status is None and row.attempts == 1
    assert "aren't public" in caplog.text


def test_even_a_fooled_allowlist_cannot_aim_the_sender_at_loopback(make_app, factory, push_service, monkeypatch):
    """With the allowlist check out of the way (a DNS change after subscribing), the resolver alone stops it."""
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=False)
    pair = factory.pair()
    subscription = browser_subscription(app, push_service)
    subscription["endpoint"] = subscription["endpoint"].replace("127.0.0.1", "localhost")
    row_id = store(app, pair.b, subscription)
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    monkeypatch.setattr(devices, "check_push_service", lambda endpoint, hosts: endpoint)
    report = drain(app)
    assert report.sent == 0 and report.retried == 1
    assert push_service.connections_accepted == 0 and not push_service.attempts
    assert outbox(app)[row_id].status == "pending"
    # The service was reachable under that name all along: a sender allowed local endpoints reaches it
    # (and is refused for its VAPID audience, which names 127.0.0.1).
    local = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=True)
    with time_machine.travel(utcnow() + timedelta(hours=1)):
        drain(local)
    assert push_service.attempts[push_service.subscription_id(subscription["endpoint"])] == 1


class Redirector:
    """A loopback server that answers every POST with a 307 to the given URL."""

    def __init__(self, location: str):
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("allow_local", [True, False], ids=["local testing", "production"])
def test_a_redirect_into_our_network_is_not_followed_in_production(
    make_app, factory, push_service, monkeypatch, allow_local
):
    """aiohttp connects to an IP literal without asking the resolver: each request is checked as it is made."""
    app = make_app(PUSH_ALLOW_LOCAL_ENDPOINTS=allow_local)
    pair = factory.pair()
    target = browser_subscription(app, push_service)
    redirector = Redirector(target["endpoint"])  # -> http://127.0.0.1:<port>/push/<id>
    try:
        first_hop = f"http://localhost:{redirector.port}/push/x"
        row_id = store(app, pair.b, {**target, "endpoint": first_hop})
        factory.answer(pair.a, pair.first_prompt_id, "hello")
        # Fool the allowlist and DNS for the first hop only, leaving the redirect to be caught.
        real_check = devices.check_push_service
        monkeypatch.setattr(
            devices, "check_push_service", lambda url, hosts: url if url == first_hop else real_check(url, hosts)
        )
        monkeypatch.setattr(push, "PublicResolver", lambda: aiohttp.ThreadedResolver())
        drain(app)
    finally:
        redirector.close()
    assert redirector.hits == 1
    if allow_local:
        assert push_service.attempts[push_service.subscription_id(target["endpoint"])] == 1
    else:
        assert push_service.connections_accepted == 0 and not push_service.attempts
        assert outbox(app)[row_id].status == "failed"


# Takeover: an endpoint belongs to one account until that account lets it go -------------------------------


def test_another_account_cannot_take_over_a_registered_endpoint(app, factory, push_service):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    alex = logged_in(app, pair.a)
    subscription = browser_subscription(app, push_service)
    mine = sam.post(API, json={**subscription, "label": "Sam's phone"})
    assert mine.status_code == 201
    before = sam.get(API).get_json()["devices"]

    for attempt in (subscription, {**subscription, "keys": _real_keys()}):
        stolen = alex.post(API, json={**attempt, "label": "Mine now"})
        assert stolen.status_code == 409
        assert stolen.get_json()["message"] == TAKEN
        assert "endpoint" in stolen.get_json()["errors"]

    assert sam.get(API).get_json()["devices"] == before
    assert alex.get(API).get_json()["devices"] == []
    with app.app_context():
        row = db.session.get(PushSubscription, mine.get_json()["id"])
        assert (row.user_id, row.p256dh, row.label) == (pair.b.id, subscription["keys"]["p256dh"], "Sam's phone")
    # ...and Sam's notifications still reach Sam's device, readable with Sam's keys.
    factory.answer(pair.a, pair.first_prompt_id, "hello")
    assert drain(app).sent == 1
    [received] = push_service.messages_for(subscription["endpoint"])
    assert received.json()["tag"] == f"answered:{pair.first_prompt_id}"


def test_the_service_refuses_a_takeover_too(app, factory, push_service):
    pair = factory.pair()
    subscription = browser_subscription(app, push_service)
    with factory.session():
        devices.subscribe(factory.load(pair.b), subscription["endpoint"], **subscription["keys"])
    with pytest.raises(Conflict), factory.session():
        devices.subscribe(factory.load(pair.a), subscription["endpoint"], **subscription["keys"])


def test_the_owner_resubscribing_refreshes_the_same_device(app, factory, push_service):
    person = factory.user()
    client = logged_in(app, person)
    subscription = browser_subscription(app, push_service)
    first = client.post(API, json={**subscription, "label": "Old name"}).get_json()
    new_keys = _real_keys()
    again = client.post(API, json={**subscription, "keys": new_keys, "label": "New name"})
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]
    assert [d["label"] for d in client.get(API).get_json()["devices"]] == ["New name"]
    with app.app_context():
        assert db.session.get(PushSubscription, first["id"]).p256dh == new_keys["p256dh"]


def test_an_endpoint_is_freed_when_its_owner_removes_it_or_the_push_service_drops_it(app, factory, push_service):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    alex = logged_in(app, pair.a)
    subscription = browser_subscription(app, push_service)
    device_id = sam.post(API, json=subscription).get_json()["id"]
    assert sam.delete(f"{API}/{device_id}").status_code == 204
    assert alex.post(API, json=subscription).status_code == 201  # removed in Settings: free

    other = browser_subscription(app, push_service)
    assert alex.post(API, json=other).status_code == 201
    push_service.unsubscribe(other["endpoint"])
    factory.answer(pair.b, pair.first_prompt_id, "hello")
    assert drain(app).gone == 1  # the push service said 410
    assert sam.post(API, json=other).status_code == 201


def test_signing_out_as_push_js_does_frees_the_endpoint_for_the_next_person(make_app, factory, push_service):
    """push.js at sign-out: POST the browser's subscription (answered with its id), DELETE that id, log out.

    CSRF stays on, and the requests carry exactly the headers push.js sends.
    """
    app = make_app(WTF_CSRF_ENABLED=True)
    pair = factory.pair()
    subscription = browser_subscription(app, push_service)
    browser = app.test_client()

    def sign_in(person):
        AuthActions(browser).login_as(person)
        page = browser.get("/settings").get_data(as_text=True)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    token = sign_in(pair.b)
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    device_id = browser.post(API, json=subscription, headers=headers).get_json()["id"]
    assert browser.post(API, json=subscription, headers=headers).get_json()["id"] == device_id
    assert browser.delete(f"{API}/{device_id}", headers=headers).status_code == 204
    browser.post("/logout", data={"csrf_token": token})

    token = sign_in(pair.a)
    response = browser.post(API, json=subscription, headers={"Accept": "application/json", "X-CSRFToken": token})
    assert response.status_code == 201


def test_each_message_is_encrypted_afresh_and_decrypts_with_the_subscriptions_keys():
    """The sender's own aes128gcm encryption (RFC 8291) reads back with http_ece, the library browsers' side
    of the loopback service uses; a new key pair and salt every time, so equal payloads never look alike."""
    import http_ece

    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    secret = b"0123456789abcdef"

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    data = b'{"title":"Attune","body":"A new prompt is waiting for you both."}'
    keys = devices.subscriber_keys(b64(point), b64(secret))
    first, second = (push.encrypt(keys, data) for _ in range(2))
    assert first[:16] != second[:16] and first[21:86] != second[21:86]  # salt, then the sender's public key
    for body in (first, second):
        assert http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm") == data
    with pytest.raises(ValueError):
        push.encrypt(keys, b"x" * 4080)
