"""Answering, sealing, the reveal, and the reflect-back loop, through the services and the pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from extensions import db
from models import Answer, PromptInstance, Reflection
from services.common.errors import Conflict, Invalid, NotFound
from services.conversation import conversation, reading
from tests.helpers import page_text


def test_answer_text_is_kept_exactly(factory, app):
    pair = factory.pair()
    text = "  Line one 💛\nLine two — ça va?\n\n\tindented 🙂  "
    factory.answer(pair.a, pair.first_prompt_id, text)
    with app.app_context():
        stored = db.session.scalar(sa.select(Answer.body))
    assert stored == text


@pytest.mark.parametrize("body", ["", "   ", "\n\t \n"])
def test_empty_answers_are_refused_clearly(factory, body):
    pair = factory.pair()
    with pytest.raises(Invalid, match="can't be empty"):
        factory.answer(pair.a, pair.first_prompt_id, body)


def test_answer_length_limit(factory):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "x" * 5000)
    with pytest.raises(Invalid, match="5,001 characters; the limit is 5,000"):
        factory.answer(pair.a, pair.first_prompt_id, "y" * 5001)


def test_editing_until_both_answered_then_immutable(factory, app):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "first draft")
    factory.answer(pair.a, pair.first_prompt_id, "second draft")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1
        assert db.session.scalar(sa.select(Answer.body)) == "second draft"
    assert factory.answer(pair.b, pair.first_prompt_id, "Sam's view") is True
    with pytest.raises(Conflict, match="no longer change"):
        factory.answer(pair.a, pair.first_prompt_id, "third draft")


def test_idempotency_key_makes_retries_harmless(factory, app):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "hello", key="k-1")
    factory.answer(pair.a, pair.first_prompt_id, "hello", key="k-1")
    factory.answer(pair.b, pair.first_prompt_id, "hi", key="k-2")
    # A retry of an answer that already revealed the prompt is still harmless.
    assert factory.answer(pair.b, pair.first_prompt_id, "hi", key="k-2") is False
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 2


def test_reveal_happens_once_on_the_second_answer(factory, app):
    pair = factory.pair()
    assert factory.answer(pair.a, pair.first_prompt_id, "a") is False
    assert factory.answer(pair.a, pair.first_prompt_id, "a, edited") is False
    with app.app_context():
        assert db.session.get(PromptInstance, pair.first_prompt_id).revealed_at is None
    assert factory.answer(pair.b, pair.first_prompt_id, "b") is True
    with app.app_context():
        revealed_at = db.session.get(PromptInstance, pair.first_prompt_id).revealed_at
        assert revealed_at is not None


def test_partner_learns_only_that_you_answered(client, auth, factory):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "SECRET-CANARY-TEXT")
    auth.login_as(pair.b)
    today = page_text(client.get("/today"))
    assert "Alex has answered \u2014 your turn." in today
    assert "SECRET-CANARY-TEXT" not in today
    assert "SECRET-CANARY-TEXT" not in page_text(client.get(f"/prompts/{pair.first_prompt_id}"))


def test_answering_through_the_page_and_revealing(client, auth, factory):
    pair = factory.pair()
    factory.answer(pair.b, pair.first_prompt_id, "Sam's words")
    auth.login_as(pair.a)
    empty = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "  "})
    assert empty.status_code == 422
    assert "can't be empty" in page_text(empty)
    response = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "Alex's words"})
    assert response.status_code == 302
    page = page_text(client.get(response.location))
    assert "Alex's words" in page and "Sam's words" in page
    assert "Your answers, both revealed" in page and "How to listen" in page and "Mirror" in page


def test_strangers_get_404(factory, client, auth):
    pair = factory.pair()
    stranger = factory.user()
    auth.login_as(stranger)
    assert client.get(f"/prompts/{pair.first_prompt_id}").status_code == 404
    assert client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "x"}).status_code == 404
    with factory.session():
        with pytest.raises(NotFound):
            conversation.submit_answer(factory.load(stranger), pair.first_prompt_id, "x")


def _reflect(factory, person, instance_id, body="It sounds like you felt ...", key=None):
    with factory.session():
        return conversation.reflect(factory.load(person), instance_id, body, key).id


def _respond(factory, person, instance_id, reflection_id, response, addition=None):
    with factory.session():
        conversation.respond(factory.load(person), instance_id, reflection_id, response, addition)


def _card(factory, person, instance_id):
    with factory.session():
        card = reading.conversation(factory.load(person), instance_id)
        return card.listening.state, card.being_heard.state, card.instance.completed_at


def test_reflect_loop_until_both_feel_heard(factory):
    pair = factory.pair()
    instance = factory.reveal(pair)
    with factory.session():
        with pytest.raises(NotFound):
            conversation.respond(factory.load(pair.b), instance, 999999, "heard")
    a_reflects = _reflect(factory, pair.a, instance)
    assert _card(factory, pair.a, instance)[:2] == ("awaiting_response", "awaiting_reflection")
    with pytest.raises(Conflict, match="hasn't responded"):
        _reflect(factory, pair.a, instance)
    with pytest.raises(NotFound):
        _respond(factory, pair.a, instance, a_reflects, "heard")  # only the speaker responds
    with pytest.raises(Invalid):
        _respond(factory, pair.b, instance, a_reflects, "partly")  # partly needs an addition
    _respond(factory, pair.b, instance, a_reflects, "partly", "Also, I was scared.")
    assert _card(factory, pair.a, instance)[0] == "awaiting_reflection"
    second = _reflect(factory, pair.a, instance, "So you were scared too ...")
    _respond(factory, pair.b, instance, second, "heard")
    assert _card(factory, pair.a, instance)[0] == "heard"
    assert _card(factory, pair.a, instance)[2] is None
    b_reflects = _reflect(factory, pair.b, instance)
    _respond(factory, pair.a, instance, b_reflects, "heard")
    listening, being_heard, completed = _card(factory, pair.b, instance)
    assert (listening, being_heard) == ("heard", "heard") and completed is not None
    with pytest.raises(Conflict, match="complete"):
        _reflect(factory, pair.b, instance)


def test_reflections_need_a_reveal(factory):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "only me")
    with pytest.raises(Conflict, match="once both answers"):
        _reflect(factory, pair.a, pair.first_prompt_id)


def test_reflection_retry_with_same_key_is_one_reflection(factory, app):
    pair = factory.pair()
    instance = factory.reveal(pair)
    first = _reflect(factory, pair.a, instance, key="r-1")
    second = _reflect(factory, pair.a, instance, key="r-1")
    assert first == second
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reflection)) == 1


def test_conversation_completes_when_both_close(factory):
    pair = factory.pair()
    instance = factory.reveal(pair)
    with factory.session():
        conversation.close(factory.load(pair.a), instance)
    assert _card(factory, pair.a, instance)[2] is None
    with factory.session():
        conversation.close(factory.load(pair.b), instance)
    assert _card(factory, pair.a, instance)[2] is not None


def test_reflect_loop_through_pages(client, auth, factory, app):
    pair = factory.pair()
    instance = factory.reveal(pair)
    auth.login_as(pair.a)
    page = page_text(client.get(f"/prompts/{instance}"))
    assert "It sounds like" in page or "What I'm hearing" in page  # sentence starters
    assert client.post(f"/prompts/{instance}/reflections", data={"body": " "}).status_code == 422
    assert client.post(f"/prompts/{instance}/reflections", data={"body": "You felt unseen."}).status_code == 302
    other = app.test_client()
    other.post("/login", data={"email": pair.b.email, "password": "quiet harbour lantern"})
    with app.app_context():
        reflection_id = db.session.scalar(sa.select(Reflection.id))
    response = other.post(
        f"/prompts/{instance}/reflections/{reflection_id}/response", data={"response": "heard", "addition": ""}
    )
    assert response.status_code == 302
    assert "You said you feel heard." in page_text(other.get(f"/prompts/{instance}"))
    assert "Sam feels heard." in page_text(client.get(f"/prompts/{instance}"))


def test_history_lists_revealed_newest_first_twenty_a_page(factory, client, auth, app):
    from datetime import timedelta

    from models import Couple
    from services.delivery import delivery

    pair = factory.pair()
    factory.reveal(pair, "first-a", "first-b")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        base = couple.created_at
        ids = [delivery.deliver(couple, base + timedelta(days=d)).id for d in range(1, 22)]
    for n, instance_id in enumerate(ids):
        factory.answer(pair.a, instance_id, f"a-{n}")
        factory.answer(pair.b, instance_id, f"b-{n}")
    auth.login_as(pair.a)
    # The history is a list of conversations (each opens into its answers), newest first.
    first_page = page_text(client.get("/history"))
    assert first_page.index(f'href="/prompts/{ids[-1]}"') < first_page.index(f'href="/prompts/{ids[-2]}"')
    assert f'href="/prompts/{pair.first_prompt_id}"' not in first_page
    assert 'rel="next"' in first_page
    second_page = page_text(client.get("/history?page=2"))
    assert f'href="/prompts/{pair.first_prompt_id}"' in second_page
    assert 'rel="next"' not in second_page


def test_a_late_retry_never_undoes_a_newer_edit(factory, app):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "version one", key="k-1")
    factory.answer(pair.a, pair.first_prompt_id, "version two", key="k-2")
    factory.answer(pair.a, pair.first_prompt_id, "version one", key="k-1")  # the first request, retried late
    with app.app_context():
        assert db.session.scalar(sa.select(Answer.body)) == "version two"


def test_a_key_reused_for_different_content_is_refused(factory):
    pair = factory.pair()
    factory.answer(pair.a, pair.first_prompt_id, "hello", key="same")
    with pytest.raises(Invalid, match="already used for a different request"):
        factory.answer(pair.a, pair.first_prompt_id, "something else", key="same")


@pytest.mark.parametrize("body", ["a\x00b", "lone \ud800 surrogate"])
def test_unstorable_characters_are_refused_clearly(factory, body):
    pair = factory.pair()
    with pytest.raises(Invalid, match="can't be stored"):
        factory.answer(pair.a, pair.first_prompt_id, body)


def test_huge_ids_are_404_not_500(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    assert client.get("/prompts/9223372036854775808").status_code == 404
    assert client.post("/prompts/99999999999999999999/answer", data={"body": "x"}).status_code == 404
