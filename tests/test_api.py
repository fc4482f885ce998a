"""The JSON API (/api/v1), driven the way the PWA drives it.

CSRF protection is on for every test here: a client logs in through the real
login form (with the form's hidden token), reads its API token from GET /me,
and sends it in the X-CSRFToken header on every PUT and POST.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from models import Answer, Couple, JournalEntry, Reflection, utcnow
from models.journal import JOURNAL_MAX
from services.couples import pairing
from services.delivery import delivery
from tests.helpers import API, api_logged_in

ERROR_KEYS = {"code", "status", "message"}
PROMPT_KEYS = {
    "id",
    "text",
    "follow_up",
    "depth",
    "source",
    "theme",
    "delivered_at",
    "state",
    "my_answer",
    "partner_answered",
    "partner_answer",
    "guidance",
    "listening",
    "being_heard",
}


# Fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def app(make_app):
    """Every app in this module checks CSRF tokens, as production does."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def login(app):
    return lambda user: api_logged_in(app, user)


def assert_error(response, code: int) -> dict:
    """An API error: the status code, a JSON body with code/status/message, and never an HTML page."""
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.get_data(as_text=True)
    body = response.get_json()
    assert ERROR_KEYS <= set(body), body
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


def count_rows(app, model, **where) -> int:
    """Count rows in a fresh session, so nothing cached by the factory's session is counted."""
    with app.app_context():
        statement = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        count = db.session.scalar(statement)
        db.session.remove()
        return count


def deliver_another(factory, couple_id: int, days_ahead: int = 1) -> int:
    """Deliver one more prompt to the couple (as the scheduler would) and return its id."""
    with factory.session():
        couple = db.session.get(Couple, couple_id)
        instance = delivery.deliver(couple, (utcnow() + timedelta(days=days_ahead)).replace(microsecond=0))
        assert instance is not None
        db.session.flush()
        return instance.id


# Authentication and CSRF ------------------------------------------------------


@pytest.mark.parametrize("path", ["/me", "/couple", "/prompts", "/prompts/1", "/history", "/history?page=2"])
def test_reading_without_logging_in_is_401_json(client, path):
    body = assert_error(client.get(API + path), 401)
    assert body["status"] == "Unauthorized"


def test_writing_without_logging_in_is_refused_with_json(client):
    """No session means no CSRF token either; either way the answer is JSON and nothing is saved."""
    response = client.put(f"{API}/prompts/1/answer", json={"body": "hello"})
    assert response.status_code in (400, 401)
    assert_error(response, response.status_code)
    assert_error(client.post(f"{API}/prompts/1/close"), 400)


def test_put_without_csrf_token_is_400_json(app, factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    path = f"{API}/prompts/{pair.first_prompt_id}/answer"

    missing = assert_error(alex.client.put(path, json={"body": "no token"}), 400)
    assert "CSRF" in missing["message"]
    wrong = assert_error(alex.client.put(path, json={"body": "bad token"}, headers={"X-CSRFToken": "not-a-token"}), 400)
    assert "CSRF" in wrong["message"]
    assert_error(alex.client.post(f"{API}/prompts/{pair.first_prompt_id}/reflections", json={"body": "x"}), 400)
    assert_error(alex.client.post(f"{API}/prompts/{pair.first_prompt_id}/close"), 400)
    assert count_rows(app, Answer) == 0

    # The same request with the token from /me goes through.
    assert alex.answer(pair.first_prompt_id, "with the token").status_code == 200
    assert count_rows(app, Answer) == 1


def test_another_sessions_csrf_token_is_refused(factory, login):
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    response = alex.client.put(
        f"{API}/prompts/{pair.first_prompt_id}/answer", json={"body": "hi"}, headers={"X-CSRFToken": sam.token}
    )
    assert_error(response, 400)


# Me and the couple ------------------------------------------------------------


def test_me(factory, login):
    user = factory.user("Robin 🌿")
    api = login(user)
    response = api.get("/me")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    me = response.get_json()
    assert me == {
        "id": user.id,
        "display_name": "Robin 🌿",
        "email": user.email,
        "role": "partner",
        "max_depth": 3,
        "csrf_token": me["csrf_token"],
    }
    assert me["csrf_token"]


def test_couple_unpaired(factory, login):
    api = login(factory.user())
    response = api.get("/couple")
    assert response.status_code == 200
    assert response.get_json() == {"status": "unpaired", "couple_id": None, "partner": None, "depth_ceiling": None}


def test_couple_waiting_for_partner(factory, login):
    user = factory.user()
    with factory.session():
        pairing.create_couple(factory.load(user))
    couple = login(user).get("/couple").get_json()
    assert couple["status"] == "waiting"
    assert isinstance(couple["couple_id"], int)
    assert couple["partner"] is None


def test_couple_paired(factory, login):
    pair = factory.pair()
    alex_view = login(pair.a).get("/couple").get_json()
    sam_view = login(pair.b).get("/couple").get_json()
    assert alex_view["status"] == sam_view["status"] == "paired"
    assert alex_view["couple_id"] == sam_view["couple_id"] == pair.couple_id
    assert alex_view["partner"] == {"display_name": "Sam"}
    assert sam_view["partner"] == {"display_name": "Alex"}
    assert alex_view["depth_ceiling"] == 3


# Prompts ----------------------------------------------------------------------


def test_unpaired_person_has_no_prompts(factory, login):
    api = login(factory.user())
    assert api.get("/prompts").get_json() == {"open": [], "conversations": []}
    assert api.get("/history").get_json() == {"page": 1, "has_next": False, "items": []}


def test_prompt_list_and_detail_before_anyone_answers(factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    listing = alex.get("/prompts")
    assert listing.status_code == 200
    data = listing.get_json()
    assert data["conversations"] == []
    assert [p["id"] for p in data["open"]] == [pair.first_prompt_id]

    prompt = alex.prompt(pair.first_prompt_id)
    assert set(prompt) == PROMPT_KEYS
    assert prompt == data["open"][0]
    assert prompt["text"]
    assert prompt["source"] == "first"
    assert prompt["state"] == "yours"
    assert prompt["my_answer"] is None
    assert prompt["partner_answered"] is False
    assert prompt["partner_answer"] is None
    assert prompt["guidance"] is None
    assert prompt["listening"] is None and prompt["being_heard"] is None


def test_unknown_prompt_is_404_json(factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    assert_error(alex.get("/prompts/999999"), 404)
    assert_error(alex.answer(999999, "hello"), 404)


@pytest.mark.parametrize("instance_id", [2**31, 2**63, 10**30])
def test_out_of_range_prompt_ids_are_404_not_500(factory, login, instance_id):
    pair = factory.pair()
    alex = login(pair.a)
    assert_error(alex.get(f"/prompts/{instance_id}"), 404)
    assert_error(alex.answer(instance_id, "hello"), 404)
    assert_error(
        alex.post(f"/prompts/{pair.first_prompt_id}/reflections/{instance_id}/response", json={"response": "heard"}),
        404,
    )


# Answering --------------------------------------------------------------------

UNICODE_ANSWERS = [
    "I felt seen 🌱\nwhen you called.",
    "Line one\n\nLine three after a blank line\n",
    "  leading spaces and a trailing tab\t",
    "Zärtlichkeit, ça va, 心, שלום, مرحبا",
    "A family 👩‍👩‍👧 and a flag 🏳️‍🌈 and skin tones 👋🏽",
    "combining e\u0301 vs é, zero-width\u200bspace",
    "quotes \" ' ` and <b>not html</b> & \\ backslash",
]


@pytest.mark.parametrize("body", UNICODE_ANSWERS)
def test_answer_text_comes_back_exactly(factory, login, body):
    pair = factory.pair()
    alex = login(pair.a)
    response = alex.answer(pair.first_prompt_id, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["my_answer"] == body
    assert alex.prompt(pair.first_prompt_id)["my_answer"] == body
    assert alex.get("/prompts").get_json()["open"][0]["my_answer"] == body


def test_answer_states_for_each_partner(factory, login):
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    saved = alex.answer(pair.first_prompt_id, "mine").get_json()
    assert saved["state"] == "waiting"
    assert saved["partner_answered"] is False
    sam_view = sam.prompt(pair.first_prompt_id)
    assert sam_view["state"] == "yours"
    assert sam_view["partner_answered"] is True
    assert sam_view["my_answer"] is None


@pytest.mark.parametrize("body", [" ", "   \n\t  \r\n ", "\n\n"])
def test_whitespace_only_answer_is_422_with_a_clear_message(app, factory, login, body):
    pair = factory.pair()
    alex = login(pair.a)
    error = assert_error(alex.answer(pair.first_prompt_id, body), 422)
    assert "empty" in error["message"]
    assert "body" in error.get("errors", {})
    assert count_rows(app, Answer) == 0


def test_empty_answer_is_422_with_a_clear_message(app, factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    error = assert_error(alex.answer(pair.first_prompt_id, ""), 422)
    assert "empty" in error["message"]
    assert "body" in error["errors"]
    assert count_rows(app, Answer) == 0


@pytest.mark.parametrize(
    "raw", ['{"body": "before\\u0000after"}', '{"body": "lone \\ud800 surrogate"}', '{"body": "\\udfff"}']
)
def test_text_a_database_cannot_store_is_422_not_500(app, factory, login, raw):
    """NUL breaks PostgreSQL text columns and a lone surrogate can't be encoded as UTF-8; JSON allows both."""
    pair = factory.pair()
    alex = login(pair.a)
    response = alex.put(
        f"/prompts/{pair.first_prompt_id}/answer", data=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 422)
    assert "can't be saved" in error["message"]
    assert count_rows(app, Answer) == 0


@pytest.mark.parametrize("payload", [{}, {"body": None}, {"body": 42}, {"text": "wrong field"}, ["body"]])
def test_malformed_answer_is_422_json(app, factory, login, payload):
    pair = factory.pair()
    alex = login(pair.a)
    error = assert_error(alex.put(f"/prompts/{pair.first_prompt_id}/answer", json=payload), 422)
    assert error.get("errors"), error
    assert count_rows(app, Answer) == 0


def test_answer_that_is_not_json_is_a_json_error(factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    response = alex.put(
        f"/prompts/{pair.first_prompt_id}/answer", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, response.status_code)
    assert response.status_code in (400, 422)


def test_answer_length_limit(app, factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    error = assert_error(alex.answer(pair.first_prompt_id, "x" * 5001), 422)
    assert "5,000" in error["message"] or "5000" in error["message"]
    assert "body" in error["errors"]
    assert count_rows(app, Answer) == 0

    # The limit counts characters, not bytes: 5,000 emoji fit.
    at_limit = "🌱" * 5000
    response = alex.answer(pair.first_prompt_id, at_limit)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["my_answer"] == at_limit


def test_same_idempotency_key_retried_changes_nothing(app, factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    first = alex.answer(pair.first_prompt_id, "Sent from the train 🚆", key="offline-1")
    again = alex.answer(pair.first_prompt_id, "Sent from the train 🚆", key="offline-1")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert count_rows(app, Answer, instance_id=pair.first_prompt_id) == 1

    # A different key is a new edit of the same answer.
    edited = alex.answer(pair.first_prompt_id, "Edited at home 🏠", key="offline-2")
    assert edited.status_code == 200
    assert edited.get_json()["my_answer"] == "Edited at home 🏠"
    assert count_rows(app, Answer, instance_id=pair.first_prompt_id) == 1
    # ...and retrying that edit changes nothing either.
    assert alex.answer(pair.first_prompt_id, "Edited at home 🏠", key="offline-2").get_json() == edited.get_json()
    assert alex.prompt(pair.first_prompt_id)["my_answer"] == "Edited at home 🏠"
    assert count_rows(app, Answer, instance_id=pair.first_prompt_id) == 1


def test_edit_without_a_key_replaces_the_answer(app, factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    alex.answer(pair.first_prompt_id, "draft")
    assert alex.answer(pair.first_prompt_id, "final").get_json()["my_answer"] == "final"
    assert count_rows(app, Answer) == 1


@pytest.mark.parametrize("key", ["k" * 65, "naïve-ключ"])
def test_bad_idempotency_key_is_422(app, factory, login, key):
    pair = factory.pair()
    alex = login(pair.a)
    response = alex.put(
        f"/prompts/{pair.first_prompt_id}/answer",
        json={"body": "hi"},
        headers={"Idempotency-Key": key.encode().decode("latin-1")},
    )
    assert_error(response, 422)
    assert count_rows(app, Answer) == 0


# Sealing and the reveal -------------------------------------------------------


def test_partner_answer_is_sealed_until_both_have_answered(factory, login):
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    secret = "SEALED-ALEX-7f3a the thing I never said"
    assert alex.answer(pair.first_prompt_id, secret).status_code == 200

    for response in (
        sam.get(f"/prompts/{pair.first_prompt_id}"),
        sam.get("/prompts"),
        sam.get("/history"),
        sam.get("/couple"),
        sam.get("/me"),
    ):
        assert response.status_code == 200
        assert "SEALED-ALEX" not in response.get_data(as_text=True)
    view = sam.prompt(pair.first_prompt_id)
    assert view["partner_answered"] is True
    assert view["partner_answer"] is None
    assert view["guidance"] is None
    assert view["listening"] is None and view["being_heard"] is None
    assert sam.get("/history").get_json()["items"] == []

    # Alex's own view shows the answer but nothing of Sam (who hasn't answered).
    mine = alex.prompt(pair.first_prompt_id)
    assert mine["my_answer"] == secret
    assert mine["partner_answered"] is False
    assert mine["partner_answer"] is None


def test_reveal_shows_both_answers_and_guidance(factory, login):
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    alex.answer(pair.first_prompt_id, "Alex: I miss our walks 🚶")
    revealed = sam.answer(pair.first_prompt_id, "Sam: I miss them too\nand the coffee ☕")
    assert revealed.status_code == 200
    sam_view = revealed.get_json()
    assert sam_view["state"] == "revealed"
    assert sam_view["my_answer"] == "Sam: I miss them too\nand the coffee ☕"
    assert sam_view["partner_answer"] == "Alex: I miss our walks 🚶"
    assert sam_view["partner_answered"] is True

    alex_view = alex.prompt(pair.first_prompt_id)
    assert alex_view["state"] == "revealed"
    assert alex_view["my_answer"] == "Alex: I miss our walks 🚶"
    assert alex_view["partner_answer"] == "Sam: I miss them too\nand the coffee ☕"
    for view in (alex_view, sam_view):
        assert view["theme"] is not None
        guidance = view["guidance"]
        assert set(guidance) == {"mirror", "validate", "empathise", "avoid", "starters"}
        assert guidance["mirror"] and guidance["starters"]
        assert view["listening"] == {"state": "awaiting_reflection", "rounds": []}
        assert view["being_heard"] == {"state": "awaiting_reflection", "rounds": []}

    # A revealed, unfinished prompt moves from "open" to "conversations", and into the history.
    listing = alex.get("/prompts").get_json()
    assert listing["open"] == []
    assert [p["id"] for p in listing["conversations"]] == [pair.first_prompt_id]
    assert [p["id"] for p in alex.get("/history").get_json()["items"]] == [pair.first_prompt_id]


def test_editing_after_the_reveal_is_409(app, factory, login):
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    first = alex.answer(pair.first_prompt_id, "before", key="alex-1")
    sam.answer(pair.first_prompt_id, "reveal it", key="sam-1")

    error = assert_error(alex.answer(pair.first_prompt_id, "after", key="alex-2"), 409)
    assert "revealed" in error["message"]
    assert_error(alex.answer(pair.first_prompt_id, "after, no key"), 409)
    assert_error(sam.answer(pair.first_prompt_id, "changed my mind"), 409)
    assert alex.prompt(pair.first_prompt_id)["my_answer"] == "before"

    # A retry of the request that was already applied still succeeds (the PWA may resend it).
    retried = alex.answer(pair.first_prompt_id, "before", key="alex-1")
    assert retried.status_code == 200
    assert retried.get_json()["my_answer"] == first.get_json()["my_answer"] == "before"
    assert count_rows(app, Answer, instance_id=pair.first_prompt_id) == 2


# Reflections ------------------------------------------------------------------


@pytest.fixture
def revealed(factory, login):
    """A paired couple whose first prompt is revealed, with both partners logged in."""
    pair = factory.pair()
    alex, sam = login(pair.a), login(pair.b)
    assert alex.answer(pair.first_prompt_id, "Alex's answer ✨").status_code == 200
    assert sam.answer(pair.first_prompt_id, "Sam's answer 🌧️").status_code == 200
    return pair, alex, sam


def test_reflections_before_the_reveal_are_409(factory, login):
    pair = factory.pair()
    alex = login(pair.a)
    alex.answer(pair.first_prompt_id, "only me so far")
    assert_error(alex.reflect(pair.first_prompt_id, "I heard you"), 409)
    assert_error(alex.post(f"/prompts/{pair.first_prompt_id}/close"), 409)


def test_the_reflect_and_respond_loop(app, revealed):
    pair, alex, sam = revealed
    pid = pair.first_prompt_id

    # Sam reflects Alex's answer.
    created = sam.reflect(pid, "What I hear is: you feel 💬\nlike it matters.")
    assert created.status_code == 201, created.get_data(as_text=True)
    reflection = created.get_json()
    assert reflection["by"] == "me"
    assert reflection["round"] == 1
    assert reflection["body"] == "What I hear is: you feel 💬\nlike it matters."
    assert reflection["response"] is None and reflection["addition"] is None
    assert reflection["created_at"]

    sam_view = sam.prompt(pid)
    assert sam_view["listening"]["state"] == "awaiting_response"
    assert sam_view["listening"]["rounds"][0]["by"] == "me"
    assert sam_view["being_heard"] == {"state": "awaiting_reflection", "rounds": []}
    alex_view = alex.prompt(pid)
    assert alex_view["being_heard"]["state"] == "awaiting_response"
    assert alex_view["being_heard"]["rounds"][0]["by"] == "partner"
    assert alex_view["being_heard"]["rounds"][0]["id"] == reflection["id"]
    assert alex_view["listening"] == {"state": "awaiting_reflection", "rounds": []}

    # A second reflection must wait for Alex's response.
    assert_error(sam.reflect(pid, "and another thing"), 409)
    # Sam can't respond to their own reflection.
    assert_error(sam.respond(pid, reflection["id"], "heard"), 404)

    # "partly" needs an addition.
    error = assert_error(alex.respond(pid, reflection["id"], "partly"), 422)
    assert "addition" in error["message"]
    assert_error(alex.respond(pid, reflection["id"], "partly", addition="  \n "), 422)
    assert_error(alex.respond(pid, reflection["id"], "maybe"), 422)
    assert_error(alex.post(f"/prompts/{pid}/reflections/{reflection['id']}/response", json={}), 422)

    partly = alex.respond(pid, reflection["id"], "partly", addition="Also: I was scared 😟")
    assert partly.status_code == 200, partly.get_data(as_text=True)
    round_one = partly.get_json()["being_heard"]["rounds"][0]
    assert round_one["response"] == "partly"
    assert round_one["addition"] == "Also: I was scared 😟"
    assert partly.get_json()["being_heard"]["state"] == "awaiting_reflection"
    assert sam.prompt(pid)["listening"]["state"] == "awaiting_reflection"
    # Responding again the same way changes nothing; differently is a conflict.
    assert alex.respond(pid, reflection["id"], "partly", addition="Also: I was scared 😟").status_code == 200
    assert_error(alex.respond(pid, reflection["id"], "heard"), 409)

    # Round two, and this time Alex feels heard.
    second = sam.reflect(pid, "You were scared, and it mattered.")
    assert second.status_code == 201
    assert second.get_json()["round"] == 2
    # Only the latest reflection can be answered.
    heard = alex.respond(pid, second.get_json()["id"], "heard")
    assert heard.status_code == 200
    assert heard.get_json()["being_heard"]["state"] == "heard"
    assert heard.get_json()["state"] == "revealed"
    assert sam.prompt(pid)["listening"]["state"] == "heard"
    assert_error(sam.reflect(pid, "one more?"), 409)

    # The other direction: Alex reflects Sam; once Sam feels heard the conversation is complete.
    back = alex.reflect(pid, "You're saying it rained on you 🌧️")
    assert back.status_code == 201
    done = sam.respond(pid, back.get_json()["id"], "heard")
    assert done.status_code == 200
    assert done.get_json()["state"] == "complete"
    assert done.get_json()["listening"]["state"] == "heard"
    assert done.get_json()["being_heard"]["state"] == "heard"
    assert_error(alex.reflect(pid, "after the end"), 409)
    assert count_rows(app, Reflection, instance_id=pid) == 3

    # Complete conversations leave the Today list but stay in the history.
    listing = alex.get("/prompts").get_json()
    assert pid not in [p["id"] for p in listing["open"] + listing["conversations"]]
    items = alex.get("/history").get_json()["items"]
    assert [(p["id"], p["state"]) for p in items] == [(pid, "complete")]


def test_reflection_idempotency_key(app, revealed):
    pair, alex, sam = revealed
    first = sam.reflect(pair.first_prompt_id, "I heard you", key="r-1")
    again = sam.reflect(pair.first_prompt_id, "I heard you", key="r-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count_rows(app, Reflection, instance_id=pair.first_prompt_id) == 1


@pytest.mark.parametrize("body", ["", "   \n", "y" * 2001])
def test_invalid_reflection_is_422(app, revealed, body):
    pair, alex, sam = revealed
    assert_error(sam.reflect(pair.first_prompt_id, body), 422)
    assert count_rows(app, Reflection) == 0


def test_reflection_and_addition_refuse_text_a_database_cannot_store(app, revealed):
    pair, alex, sam = revealed
    pid = pair.first_prompt_id
    headers = {"Content-Type": "application/json"}
    assert_error(sam.post(f"/prompts/{pid}/reflections", data='{"body": "nul \\u0000"}', headers=headers), 422)
    assert_error(sam.post(f"/prompts/{pid}/reflections", data='{"body": "\\ud83c"}', headers=headers), 422)
    reflection = sam.reflect(pid, "I heard you").get_json()
    path = f"/prompts/{pid}/reflections/{reflection['id']}/response"
    assert_error(alex.post(path, data='{"response": "partly", "addition": "nul \\u0000"}', headers=headers), 422)
    assert_error(alex.post(path, data='{"response": "partly", "addition": "\\udc00"}', headers=headers), 422)
    assert alex.prompt(pid)["being_heard"]["rounds"][0]["response"] is None


def test_responding_to_an_unknown_reflection_is_404(revealed):
    pair, alex, sam = revealed
    assert_error(alex.respond(pair.first_prompt_id, 999999, "heard"), 404)


def test_close(revealed, factory, login):
    pair, alex, sam = revealed
    pid = pair.first_prompt_id
    closed = alex.post(f"/prompts/{pid}/close")
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert closed.get_json()["state"] == "revealed"
    assert alex.post(f"/prompts/{pid}/close").status_code == 200  # closing twice is fine
    assert sam.prompt(pid)["state"] == "revealed"

    both = sam.post(f"/prompts/{pid}/close")
    assert both.status_code == 200
    assert both.get_json()["state"] == "complete"
    assert_error(sam.reflect(pid, "too late"), 409)
    assert alex.get("/prompts").get_json() == {"open": [], "conversations": []}


# History ----------------------------------------------------------------------


def test_history_pagination(factory, login):
    pair = factory.pair()
    ids = [pair.first_prompt_id] + [deliver_another(factory, pair.couple_id, days_ahead=n) for n in range(1, 22)]
    for instance_id in ids:
        factory.answer(pair.a, instance_id, f"Alex on {instance_id}")
        factory.answer(pair.b, instance_id, f"Sam on {instance_id}")
    alex = login(pair.a)

    first = alex.get("/history")
    assert first.status_code == 200
    page_one = first.get_json()
    assert page_one["page"] == 1
    assert page_one["has_next"] is True
    assert len(page_one["items"]) == 20
    assert alex.get("/history?page=1").get_json() == page_one

    page_two = alex.get("/history?page=2").get_json()
    assert page_two["page"] == 2
    assert page_two["has_next"] is False
    assert len(page_two["items"]) == 2

    # Newest reveal first, each prompt exactly once across the pages.
    seen = [p["id"] for p in page_one["items"] + page_two["items"]]
    assert seen == list(reversed(ids))
    item = page_one["items"][0]
    assert item["my_answer"] == f"Alex on {item['id']}"
    assert item["partner_answer"] == f"Sam on {item['id']}"

    past_the_end = alex.get("/history?page=3").get_json()
    assert past_the_end == {"page": 3, "has_next": False, "items": []}


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "100001"])
def test_history_bad_page_is_422(factory, login, page):
    api = login(factory.user())
    error = assert_error(api.get(f"/history?page={page}"), 422)
    assert "page" in error["errors"]


# Strangers --------------------------------------------------------------------


def test_a_stranger_cannot_reach_someone_elses_prompt(app, revealed, factory, login):
    pair, alex, sam = revealed
    pid = pair.first_prompt_id
    reflection = sam.reflect(pid, "Sam's reflection").get_json()

    other = factory.pair(factory.user("Kim"), factory.user("Lee"))
    for stranger_user in (other.a, factory.user("Loner")):
        stranger = login(stranger_user)
        responses = [
            stranger.get(f"/prompts/{pid}"),
            stranger.answer(pid, "let me in"),
            stranger.answer(pid, "let me in", key="k-1"),
            stranger.reflect(pid, "I heard you"),
            stranger.respond(pid, reflection["id"], "heard"),
            stranger.respond(pid, reflection["id"], "partly", addition="more"),
            stranger.post(f"/prompts/{pid}/close"),
        ]
        for response in responses:
            body = assert_error(response, 404)
            text = response.get_data(as_text=True)
            assert "Alex" not in text and "Sam" not in text
            assert body["message"] == "We couldn't find that prompt."
        history = stranger.get("/history").get_json()
        assert pid not in [p["id"] for p in history["items"]]
        listing = stranger.get("/prompts").get_json()
        assert pid not in [p["id"] for p in listing["open"] + listing["conversations"]]

    # Nothing the strangers sent was stored, and the couple's own view is unchanged.
    assert count_rows(app, Answer, instance_id=pid) == 2
    assert count_rows(app, Reflection, instance_id=pid) == 1
    assert alex.prompt(pid)["being_heard"]["rounds"][0]["response"] is None


def test_a_partner_cannot_reach_another_couples_reflection_through_their_own_prompt(revealed, factory, login):
    """The reflection id must belong to the prompt in the URL."""
    pair, alex, sam = revealed
    theirs = sam.reflect(pair.first_prompt_id, "Sam's reflection").get_json()
    other = factory.pair(factory.user("Kim"), factory.user("Lee"))
    factory.reveal(other)
    kim = login(other.a)
    assert_error(kim.respond(other.first_prompt_id, theirs["id"], "heard"), 404)


# Too large --------------------------------------------------------------------


def test_a_body_larger_than_a_request_may_be_is_a_documented_413(app, factory, login):
    """A journal entry within its 20,000 characters can still pass the request cap when written as JSON escapes:
    the answer is a JSON 413 that the document lists, and nothing is stored."""
    api = login(factory.user())
    escaped = '{"body": "' + "\\u00fe" * JOURNAL_MAX + '"}'
    assert len(escaped) > app.config["MAX_CONTENT_LENGTH"]
    response = api.client.post(
        f"{API}/journal", data=escaped, content_type="application/json", headers={"X-CSRFToken": api.token}
    )
    assert_error(response, 413)
    assert count_rows(app, JournalEntry) == 0
    documented = api.get("/openapi.json").get_json()["paths"]["/api/v1/journal"]["post"]["responses"]
    assert "413" in documented


# Unknown routes ---------------------------------------------------------------


def test_unknown_api_route_is_404_json(client, factory, login):
    assert_error(client.get(f"{API}/nope"), 404)
    api = login(factory.user())
    body = assert_error(api.get("/nope"), 404)
    assert body["status"] == "Not Found"
    assert_error(api.get("/prompts/not-a-number"), 404)


def test_wrong_method_is_405_json(factory, login):
    api = login(factory.user())
    response = api.client.delete(f"{API}/me", headers={"X-CSRFToken": api.token})
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]
    response = api.client.post(f"{API}/prompts", headers={"X-CSRFToken": api.token})
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_openapi_document_is_public_json(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
