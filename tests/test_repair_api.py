"""The JSON API for repair conversations and commitments: the walk, idempotency keys, CSRF, sealing, 404s."""

from __future__ import annotations

import pytest

from tests.helpers import API, api_logged_in


@pytest.fixture
def app(make_app):
    """CSRF checked, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


def test_the_walk_through_the_api(app, factory):
    pair = factory.pair()
    a, b = api_logged_in(app, pair.a), api_logged_in(app, pair.b)
    asked = a.post("/repair", json={"topic": "SEALED-TOPIC"}, headers={"Idempotency-Key": "ask-1"})
    assert asked.status_code == 201, asked.get_json()
    cid = asked.get_json()["id"]
    again = a.post("/repair", json={"topic": "SEALED-TOPIC"}, headers={"Idempotency-Key": "ask-1"})
    assert again.status_code == 201 and again.get_json()["id"] == cid
    seen = b.get(f"/repair/{cid}").get_json()
    assert seen["topic"] is None and seen["state"] == "asked" and seen["role"] == "listener"
    assert b.post(f"/repair/{cid}/not-yet", json={"when": "weekend"}).get_json()["not_yet_when"] == "weekend"
    assert b.post(f"/repair/{cid}/accept").get_json()["state"] == "open"
    draft = a.put(f"/repair/{cid}/draft", json={"body": "SEALED-DRAFT"}).get_json()
    assert draft["draft"] == "SEALED-DRAFT"
    partner_view = b.get(f"/repair/{cid}")
    assert "SEALED" not in partner_view.get_data(as_text=True)
    assert partner_view.get_json()["draft"] is None and partner_view.get_json()["turns"] == []
    assert "SEALED" not in b.get("/repair").get_data(as_text=True)
    for _ in range(2):  # a retried send changes nothing
        sent = a.post(f"/repair/{cid}/first", json={"body": "What happened"}, headers={"Idempotency-Key": "first"})
        assert sent.status_code == 200 and sent.get_json()["step"] == 2
    assert b.get(f"/repair/{cid}").get_json()["topic"] == "SEALED-TOPIC"
    assert b.post(f"/repair/{cid}/reflect", json={"body": "I heard"}).get_json()["step"] == 3
    assert a.post(f"/repair/{cid}/respond", json={"response": "partly", "addition": "More"}).get_json()["step"] == 2
    assert b.post(f"/repair/{cid}/reflect", json={"body": "I heard more"}).get_json()["step"] == 3
    assert a.post(f"/repair/{cid}/respond", json={"response": "heard"}).get_json()["step"] == 4
    assert b.post(f"/repair/{cid}/break", json={"away": True}).get_json()["my_break"] is True
    assert a.get(f"/repair/{cid}").get_json()["partner_break"] is True
    assert b.post(f"/repair/{cid}/acknowledge", json={"body": "My part"}).get_json()["step"] == 5
    assert a.post(f"/repair/{cid}/need", json={"need": "reassurance"}).get_json()["step"] == 6
    done = b.post(f"/repair/{cid}/answer", json={"answer": "commitment", "commitment": "Text first"}).get_json()
    assert done["state"] == "ended" and done["reached_end"] is True
    assert [t["by"] for t in done["turns"]][:2] == ["partner", "me"]
    kid = b.get("/commitments").get_json()["commitments"][0]["id"]
    did = b.post(f"/commitments/{kid}/moments", json={"note": "Did it"}, headers={"Idempotency-Key": "m1"})
    assert did.status_code == 201 and did.get_json()["moments"][0]["kind"] == "did"
    again = b.post(f"/commitments/{kid}/moments", json={"note": "Did it"}, headers={"Idempotency-Key": "m1"})
    assert len(again.get_json()["moments"]) == 1
    noticed = a.post(f"/commitments/{kid}/moments", json={"note": "Saw it"}).get_json()
    assert [(m["kind"], m["by"]) for m in noticed["moments"]] == [("did", "partner"), ("noticed", "me")]
    assert b.post(f"/commitments/{kid}/revise", json={"text": "Text before"}).get_json()["text"] == "Text before"
    assert b.post(f"/commitments/{kid}/retire").get_json()["retired_at"] is not None


def test_refusals_and_strangers(app, factory):
    pair = factory.pair()
    other = factory.pair()
    a, b, stranger = api_logged_in(app, pair.a), api_logged_in(app, pair.b), api_logged_in(app, other.a)
    cid = a.post("/repair", json={}).get_json()["id"]
    assert a.post(f"/repair/{cid}/accept").status_code == 409
    assert b.post(f"/repair/{cid}/not-yet", json={"when": "never"}).status_code == 422
    assert b.post(f"/repair/{cid}/first", json={"body": ""}).status_code == 422
    for path in (f"/repair/{cid}", "/commitments/1"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/repair/{cid}/close").status_code == 404
    # Without the CSRF header a write is refused.
    assert b.client.post(f"{API}/repair/{cid}/accept").status_code == 400
