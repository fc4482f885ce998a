"""The loopback push service is strict, and real pywebpush gets through it.

Happy paths go through ``pywebpush.webpush`` unmodified. Negative cases are
built by hand (own ES256 signing, pywebpush's own encryption for the body) so
that each request breaks exactly one rule; ``test_hand_built_request_is_accepted``
proves the unbroken hand-built request passes, so every refusal below is
caused by the one thing it changes.
"""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from py_vapid import Vapid, Vapid01
from pywebpush import WebPusher, WebPushException, webpush

from tools.push_service import PushService, b64url_encode

SUB_CLAIM = "mailto:ops@attune.test"


# -- helpers -----------------------------------------------------------------


def application_server_key(vapid: Vapid01) -> str:
    """What the app would hand to pushManager.subscribe()."""
    return b64url_encode(
        vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def new_vapid(cls=Vapid) -> Vapid01:
    v = cls()
    v.generate_keys()
    return v


def send(subscription: dict, payload, vapid, **kwargs):
    """pywebpush exactly as an app would call it; a fresh claims dict each
    time because webpush() writes aud/exp into the dict it is given."""
    kwargs.setdefault("ttl", 60)
    return webpush(
        subscription,
        data=json.dumps(payload),
        vapid_private_key=vapid,
        vapid_claims={"sub": SUB_CLAIM},
        **kwargs,
    )


def make_jwt(private_key, claims: dict, header: dict | None = None) -> str:
    h = b64url_encode(json.dumps(header or {"typ": "JWT", "alg": "ES256"}).encode())
    c = b64url_encode(json.dumps(claims).encode())
    r, s = decode_dss_signature(private_key.sign(f"{h}.{c}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{h}.{c}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def encrypt_for(subscription: dict, plaintext: bytes) -> bytes:
    return WebPusher(subscription).encode(plaintext, "aes128gcm")["body"]


def hand_push(
    push: PushService,
    subscription: dict,
    vapid: Vapid01,
    *,
    claims: dict | None = None,
    drop_claims: tuple[str, ...] = (),
    header: dict | None = None,
    signer=None,
    k: str | None = None,
    token: str | None = None,
    authorization: str | None = None,
    headers: dict | None = None,
    drop: tuple[str, ...] = (),
    body: bytes | None = None,
    session=requests,
) -> requests.Response:
    """A VAPID-signed, aes128gcm push with one thing overridden."""
    all_claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": SUB_CLAIM}
    all_claims.update(claims or {})
    for name in drop_claims:
        all_claims.pop(name)
    if token is None:
        token = make_jwt(signer or vapid.private_key, all_claims, header)
    if k is None:
        k = application_server_key(vapid)
    all_headers = {
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
        "Authorization": authorization or f"vapid t={token}, k={k}",
    }
    all_headers.update(headers or {})
    for name in drop:
        all_headers.pop(name)
    if body is None:
        body = encrypt_for(subscription, b'{"hand": "built"}')
    return session.post(subscription["endpoint"], data=body, headers=all_headers, timeout=10)


def expect(response: requests.Response, status: int, push: PushService) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Length"] == str(len(response.content))
    assert push.messages == []
    if status in (400, 401, 403, 404, 410, 413):
        assert push.rejections[-1][0] == status


# -- fixtures ----------------------------------------------------------------


@pytest.fixture
def vapid():
    return new_vapid()


@pytest.fixture
def sub(push, vapid):
    return push.subscribe(application_server_key(vapid))


# -- real pywebpush ------------------------------------------------------------


def test_subscription_has_the_browser_shape(push, vapid):
    s = push.subscribe(application_server_key(vapid))
    assert set(s) == {"endpoint", "keys"} and set(s["keys"]) == {"p256dh", "auth"}
    assert s["endpoint"].startswith(push.origin + "/push/")
    assert push.origin.startswith("http://127.0.0.1:")
    assert "=" not in s["keys"]["p256dh"] + s["keys"]["auth"]
    from tools.push_service import b64url_decode

    assert len(b64url_decode(s["keys"]["p256dh"])) == 65
    assert b64url_decode(s["keys"]["p256dh"])[0] == 4
    assert len(b64url_decode(s["keys"]["auth"])) == 16
    assert push.subscribe(application_server_key(vapid))["endpoint"] != s["endpoint"]


def test_subscribe_refuses_a_bad_application_server_key(push):
    with pytest.raises(ValueError):
        push.subscribe("not-a-key")
    with pytest.raises(ValueError):
        push.subscribe(b64url_encode(b"\x04" + b"\x01" * 64))  # not on the curve


def test_pywebpush_roundtrip_decrypts_to_what_was_sent(push, sub, vapid):
    payload = {"kind": "nudge", "title": "Tonight's question", "body": "Ünïcode ✓", "n": 3}
    response = send(sub, payload, vapid, headers={"Urgency": "high", "Topic": "today"})
    assert response.status_code == 201
    assert response.headers["Location"].startswith(push.origin + "/message/")
    [message] = push.wait_for(1)
    assert message.json() == payload
    assert message.data == json.dumps(payload).encode()
    assert message.ttl == 60
    assert message.urgency == "high" and message.topic == "today"
    assert message.auth_scheme == "vapid"
    assert message.claims["aud"] == push.origin and message.claims["sub"] == SUB_CLAIM
    assert message.endpoint == sub["endpoint"]
    assert message.subscription_id == PushService.subscription_id(sub["endpoint"])
    assert abs(message.received_at - time.time()) < 5
    assert push.attempts[message.subscription_id] == 1
    assert push.rejections == []


def test_pywebpush_with_a_pem_key_file(push, sub, vapid, tmp_path):
    pem = tmp_path / "vapid.pem"
    vapid.save_key(str(pem))
    send(sub, {"from": "pem"}, str(pem))
    assert push.wait_for(1)[0].json() == {"from": "pem"}


def test_pywebpush_legacy_vapid01_form_is_accepted_unless_disabled(push):
    legacy = new_vapid(Vapid01)
    s = push.subscribe(application_server_key(legacy))
    send(s, {"legacy": True}, legacy)
    [message] = push.wait_for(1)
    assert message.auth_scheme == "WebPush" and message.json() == {"legacy": True}

    push.accept_legacy_vapid = False
    with pytest.raises(WebPushException) as exc:
        send(s, {"legacy": True}, legacy)
    assert exc.value.status_code == 401
    assert len(push.messages) == 1


def test_push_without_payload(push, sub, vapid):
    webpush(sub, data=None, vapid_private_key=vapid, vapid_claims={"sub": SUB_CLAIM})
    [message] = push.wait_for(1)
    assert message.data == b"" and message.ttl == 0


def test_hand_built_request_is_accepted(push, sub, vapid):
    response = hand_push(push, sub, vapid)
    assert response.status_code == 201, response.text
    assert push.wait_for(1)[0].json() == {"hand": "built"}


# -- VAPID (RFC 8292) ------------------------------------------------------------


@pytest.mark.parametrize(
    "aud",
    [
        lambda o: o + "/",
        lambda o: o.replace("127.0.0.1", "localhost"),
        lambda o: o.replace("http:", "https:"),
        lambda o: "https://fcm.googleapis.com",
        lambda o: None,
    ],
    ids=["trailing-slash", "localhost", "https", "other-service", "null"],
)
def test_wrong_aud_is_401(push, sub, vapid, aud):
    expect(hand_push(push, sub, vapid, claims={"aud": aud(push.origin)}), 401, push)
    assert "aud" in push.rejections[-1][1]


def test_missing_aud_is_401(push, sub, vapid):
    expect(hand_push(push, sub, vapid, drop_claims=("aud",)), 401, push)


def test_expired_token_is_401(push, sub, vapid):
    expect(hand_push(push, sub, vapid, claims={"exp": int(time.time()) - 1}), 401, push)
    assert "expired" in push.rejections[-1][1]


def test_exp_more_than_24h_ahead_is_401(push, sub, vapid):
    exp = int(time.time()) + 24 * 3600 + 120
    expect(hand_push(push, sub, vapid, claims={"exp": exp}), 401, push)
    assert "24 hours" in push.rejections[-1][1]


def test_exp_just_under_24h_is_accepted(push, sub, vapid):
    response = hand_push(push, sub, vapid, claims={"exp": int(time.time()) + 24 * 3600 - 5})
    assert response.status_code == 201


@pytest.mark.parametrize("exp", ["9999999999", 1.5e9 + 0.5, True, None], ids=repr)
def test_exp_must_be_an_integer(push, sub, vapid, exp):
    expect(hand_push(push, sub, vapid, claims={"exp": exp}), 401, push)


@pytest.mark.parametrize("claim", ["ops@attune.test", "http://attune.test", "mailto:", "", 7, None])
def test_sub_must_be_mailto_or_https(push, sub, vapid, claim):
    expect(hand_push(push, sub, vapid, claims={"sub": claim}), 401, push)


def test_https_sub_is_accepted(push, sub, vapid):
    assert hand_push(push, sub, vapid, claims={"sub": "https://attune.test/contact"}).status_code == 201


def test_signature_by_another_key_is_401(push, sub, vapid):
    other = new_vapid()
    expect(hand_push(push, sub, vapid, signer=other.private_key), 401, push)
    assert "signature" in push.rejections[-1][1]


def test_k_other_than_the_application_server_key_is_403(push, sub, vapid):
    # Self-consistent token (signed by the key it names), but not the key the
    # subscription was created with.
    other = new_vapid()
    expect(hand_push(push, sub, vapid, signer=other.private_key, k=application_server_key(other)), 403, push)


def test_tampered_claims_are_401(push, sub, vapid):
    token = make_jwt(vapid.private_key, {"aud": push.origin, "exp": int(time.time()) + 60, "sub": SUB_CLAIM})
    h, _, s = token.split(".")
    forged = b64url_encode(json.dumps({"aud": push.origin, "exp": int(time.time()) + 120, "sub": SUB_CLAIM}).encode())
    expect(hand_push(push, sub, vapid, token=f"{h}.{forged}.{s}"), 401, push)


def test_a_token_verified_once_is_still_checked_on_every_push(push, sub, vapid):
    # The service remembers signatures it has verified (senders reuse one token per origin); a changed
    # signature is verified afresh, and a remembered token's expiry still counts on each push.
    token = make_jwt(vapid.private_key, {"aud": push.origin, "exp": int(time.time()) + 60, "sub": SUB_CLAIM})
    assert hand_push(push, sub, vapid, token=token).status_code == 201
    assert hand_push(push, sub, vapid, token=token).status_code == 201
    h, c, s = token.split(".")
    other = make_jwt(new_vapid().private_key, {"aud": push.origin, "exp": int(time.time()) + 60, "sub": SUB_CLAIM})
    assert hand_push(push, sub, vapid, token=f"{h}.{c}.{other.split('.')[2]}").status_code == 401
    assert "signature" in push.rejections[-1][1]
    with time_machine.travel(time.time() + 120):
        assert hand_push(push, sub, vapid, token=token).status_code == 401
    assert "expired" in push.rejections[-1][1]
    assert len(push.messages) == 2


@pytest.mark.parametrize(
    "header", [{"typ": "JWT", "alg": "HS256"}, {"typ": "JWT", "alg": "none"}, {"typ": "JWT"}], ids=repr
)
def test_alg_must_be_es256(push, sub, vapid, header):
    expect(hand_push(push, sub, vapid, header=header), 401, push)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc.def.ghi",
        "vapid t=abc",
        "vapid k=BAAA",
        "vapid t=not.a.jwt, k=%(k)s",
        "vapid t=%(t)s, k=!!notbase64!!",
        "vapid t=%(t)s, k=%(t)s",
        "vapid %(t)s",
        "WebPush %(t)s",  # the draft form needs Crypto-Key: p256ecdsa=
    ],
)
def test_malformed_authorization_is_401(push, sub, vapid, authorization):
    t = make_jwt(vapid.private_key, {"aud": push.origin, "exp": int(time.time()) + 60, "sub": SUB_CLAIM})
    value = authorization % {"t": t, "k": application_server_key(vapid)}
    expect(hand_push(push, sub, vapid, authorization=value), 401, push)


def test_missing_authorization_is_401(push, sub, vapid):
    expect(hand_push(push, sub, vapid, drop=("Authorization",)), 401, push)


# -- RFC 8030 headers -------------------------------------------------------------


def test_missing_ttl_is_400(push, sub, vapid):
    expect(hand_push(push, sub, vapid, drop=("TTL",)), 400, push)
    assert "TTL" in push.rejections[-1][1]


@pytest.mark.parametrize("ttl", ["-1", "1.5", "soon", "", "٣"])
def test_ttl_must_be_a_non_negative_integer(push, sub, vapid, ttl):
    expect(hand_push(push, sub, vapid, headers={"TTL": ttl.encode()}), 400, push)


def test_ttl_zero_is_fine(push, sub, vapid):
    assert hand_push(push, sub, vapid, headers={"TTL": "0"}).status_code == 201
    assert push.messages[0].ttl == 0


def test_bad_urgency_and_topic_are_400(push, sub, vapid):
    expect(hand_push(push, sub, vapid, headers={"Urgency": "urgent"}), 400, push)
    expect(hand_push(push, sub, vapid, headers={"Topic": "x" * 33}), 400, push)
    expect(hand_push(push, sub, vapid, headers={"Topic": "has space"}), 400, push)


# -- encryption (RFC 8291) --------------------------------------------------------


def test_garbage_body_is_400(push, sub, vapid):
    expect(hand_push(push, sub, vapid, body=b"definitely not aes128gcm" * 5), 400, push)


def test_body_encrypted_for_another_subscription_is_400(push, sub, vapid):
    other = push.subscribe(application_server_key(vapid))
    expect(hand_push(push, sub, vapid, body=encrypt_for(other, b"{}")), 400, push)


def test_tampered_ciphertext_is_400(push, sub, vapid):
    body = bytearray(encrypt_for(sub, b'{"x": 1}'))
    body[-1] ^= 1
    expect(hand_push(push, sub, vapid, body=bytes(body)), 400, push)
    assert "decrypt" in push.rejections[-1][1]


@pytest.mark.parametrize("encoding", [None, "aesgcm", "gzip"])
def test_content_encoding_must_be_aes128gcm(push, sub, vapid, encoding):
    if encoding is None:
        response = hand_push(push, sub, vapid, drop=("Content-Encoding",))
    else:
        response = hand_push(push, sub, vapid, headers={"Content-Encoding": encoding})
    expect(response, 400, push)


def test_payload_over_4096_bytes_is_413(push, sub, vapid):
    with pytest.raises(WebPushException) as exc:
        send(sub, "x" * 4000, vapid)
    assert exc.value.status_code == 413
    assert push.messages == []
    send(sub, "x" * 3900, vapid)
    assert len(push.wait_for(1)[0].data) == 3902


# -- subscription lifecycle and programmed behaviour ------------------------------


def test_unknown_endpoint_is_404(push, sub, vapid):
    bogus = dict(sub, endpoint=push.origin + "/push/no-such-subscription")
    with pytest.raises(WebPushException) as exc:
        send(bogus, {"x": 1}, vapid)
    assert exc.value.status_code == 404
    expect(requests.post(push.origin + "/elsewhere", data=b"x", timeout=5), 404, push)


def test_deleted_subscription_is_404(push, sub, vapid):
    push.delete(sub["endpoint"])
    with pytest.raises(WebPushException) as exc:
        send(sub, {"x": 1}, vapid)
    assert exc.value.status_code == 404


def test_unsubscribed_is_410_gone(push, sub, vapid):
    send(sub, {"n": 1}, vapid)
    push.unsubscribe(sub["endpoint"])
    with pytest.raises(WebPushException) as exc:
        send(sub, {"n": 2}, vapid)
    assert exc.value.status_code == 410
    assert [m.json() for m in push.messages] == [{"n": 1}]
    assert push.rejections == [(410, "subscription is gone")]


def test_fail_next_429_with_retry_after_then_recovers(push, sub, vapid):
    push.fail_next(sub["endpoint"], 429, headers={"Retry-After": "1"})
    with pytest.raises(WebPushException) as exc:
        send(sub, {"try": 1}, vapid)
    assert exc.value.status_code == 429
    assert exc.value.retry_after == "1"
    send(sub, {"try": 2}, vapid)
    assert [m.json() for m in push.wait_for(1)] == [{"try": 2}]
    assert push.attempts[PushService.subscription_id(sub["endpoint"])] == 2
    assert push.rejections == []  # programmed failures are not rejections


def test_fail_next_times_and_by_id(push, sub, vapid):
    sub_id = PushService.subscription_id(sub["endpoint"])
    push.fail_next(sub_id, 500, times=2)
    push.fail_next(sub_id, 410)
    statuses = []
    for i in range(4):
        try:
            statuses.append(send(sub, {"i": i}, vapid).status_code)
        except WebPushException as exc:
            statuses.append(exc.status_code)
    assert statuses == [500, 500, 410, 201]
    assert push.attempts[sub_id] == 4
    assert [m.json() for m in push.messages] == [{"i": 3}]


def test_fail_next_comes_before_verification(push, sub, vapid):
    push.fail_next(sub["endpoint"], 401)
    assert hand_push(push, sub, vapid, body=b"garbage", drop=("TTL",)).status_code == 401
    assert push.rejections == []


def test_delay_is_honoured(push, sub, vapid):
    push.delay = 0.3
    started = time.monotonic()
    send(sub, {"slow": True}, vapid)
    assert time.monotonic() - started >= 0.3


def test_verify_false_skips_crypto_but_counts(push, sub, vapid):
    push.verify = False
    send(sub, {"bench": 1}, vapid)
    assert hand_push(push, sub, vapid, signer=new_vapid().private_key).status_code == 201
    messages = push.wait_for(2)
    assert [m.data for m in messages] == [None, None]
    # The cheap checks still hold.
    expect_status = hand_push(push, sub, vapid, claims={"aud": "https://elsewhere"}).status_code
    assert expect_status == 401


def test_wait_for_times_out_and_clear_resets(push, sub, vapid):
    with pytest.raises(TimeoutError):
        push.wait_for(1, timeout=0.1)
    send(sub, {"a": 1}, vapid)
    hand_push(push, sub, vapid, drop=("TTL",))
    assert len(push.messages) == 1 and len(push.rejections) == 1
    push.clear()
    assert push.messages == [] and push.rejections == [] and sum(push.attempts.values()) == 0
    send(sub, {"a": 2}, vapid)  # subscriptions survive clear()
    assert push.wait_for(1)[0].json() == {"a": 2}


def test_other_methods_are_405(push, sub):
    response = requests.get(sub["endpoint"], timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


# -- HTTP behaviour -----------------------------------------------------------------


def test_keep_alive_survives_refusals(push, sub, vapid):
    with requests.Session() as session:
        send(sub, {"n": 1}, vapid, requests_session=session)
        expect_401 = hand_push(push, sub, vapid, claims={"aud": "x"}, session=session)
        assert expect_401.status_code == 401
        assert hand_push(push, sub, vapid, body=b"junk" * 100, session=session).status_code == 400
        push.fail_next(sub["endpoint"], 429, {"Retry-After": "1"})
        with pytest.raises(WebPushException):
            send(sub, {"n": 2}, vapid, requests_session=session)
        send(sub, {"n": 3}, vapid, requests_session=session)
    assert [m.json() for m in push.messages] == [{"n": 1}, {"n": 3}]
    assert push.connections_accepted == 1


def test_chunked_request_body_is_read(push, sub, vapid):
    body = encrypt_for(sub, b'{"chunked": true}')
    token = make_jwt(vapid.private_key, {"aud": push.origin, "exp": int(time.time()) + 60, "sub": SUB_CLAIM})
    response = requests.post(
        sub["endpoint"],
        data=iter([body[:30], body[30:]]),  # a generator makes requests send chunked
        headers={
            "TTL": "5",
            "Content-Encoding": "aes128gcm",
            "Authorization": f"vapid t={token},k={application_server_key(vapid)}",
        },
        timeout=5,
    )
    assert response.status_code == 201, response.text
    assert push.wait_for(1)[0].json() == {"chunked": True}


def test_200_concurrent_pushes_over_a_shared_session(push, vapid):
    subs = [push.subscribe(application_server_key(vapid)) for _ in range(5)]
    workers = 16
    with requests.Session() as session:
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=workers)
        session.mount("http://", adapter)

        def one(i: int) -> int:
            return send(subs[i % len(subs)], {"i": i}, vapid, requests_session=session).status_code

        with ThreadPoolExecutor(max_workers=workers) as pool:
            statuses = list(pool.map(one, range(200)))
    assert statuses == [201] * 200
    messages = push.wait_for(200)
    assert sorted(m.json()["i"] for m in messages) == list(range(200))
    for m in messages:
        assert m.endpoint == subs[m.json()["i"] % len(subs)]["endpoint"]
    assert push.rejections == []
    assert sum(push.attempts.values()) == 200
    assert push.connections_accepted <= workers


def test_stop_closes_the_port_and_is_idempotent(vapid):
    service = PushService().start()
    port = service.port
    with requests.Session() as session:
        s = service.subscribe(application_server_key(vapid))
        send(s, {"x": 1}, vapid, requests_session=session)  # leaves an idle keep-alive connection
        service.stop()
        service.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
