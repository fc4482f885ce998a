"""Repair conversations and commitments through the services: every step and transition, who may act, what each sees."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from extensions import db
from models import Couple, Membership, PushMessage, RepairConversation, RepairTurn
from services.common.errors import Conflict, Invalid, NotFound
from services.repair import commitments, conversations


@pytest.fixture
def pair(factory):
    return factory.pair()


def call(factory, person, fn, *args, **kwargs):
    """Run one service call as person in its own committed transaction, handing back plain values."""
    with factory.session():
        result = fn(factory.load(person), *args, **kwargs)
        db.session.flush()
        return getattr(result, "id", result)


def state(factory, conversation_id):
    with factory.session():
        c = db.session.get(RepairConversation, conversation_id)
        return c.state, c.step


def seen(factory, person, conversation_id):
    """What person sees of the conversation: the texts of the turns they may read, and the topic."""
    with factory.session():
        view = conversations.read(factory.load(person), conversation_id)
        return [t.body for t in view.turns], view.topic, view.my_step


def open_conversation(factory, pair, topic="The party"):
    cid = call(factory, pair.a, conversations.ask, topic=topic)
    call(factory, pair.b, conversations.accept, cid)
    return cid


def test_asking_tells_the_partner_only_that_it_was_asked(factory, pair):
    cid = call(factory, pair.a, conversations.ask, topic="Saturday night")
    assert state(factory, cid) == ("asked", 1)
    assert seen(factory, pair.a, cid)[1] == "Saturday night"
    assert seen(factory, pair.b, cid) == ([], None, False)
    with factory.session():
        rows = db.session.scalars(sa.select(PushMessage)).all()
        assert all("Saturday" not in (r.url + r.event_key) for r in rows)


def test_asker_cannot_accept_their_own_request(factory, pair):
    cid = call(factory, pair.a, conversations.ask)
    with pytest.raises(Conflict):
        call(factory, pair.a, conversations.accept, cid)
    with pytest.raises(Conflict):
        call(factory, pair.a, conversations.not_yet, cid, "evening")


def test_not_yet_then_accept_keeps_no_count(factory, pair):
    cid = call(factory, pair.a, conversations.ask)
    call(factory, pair.b, conversations.not_yet, cid, "evening")
    call(factory, pair.b, conversations.not_yet, cid, "weekend")
    call(factory, pair.b, conversations.not_yet, cid, "")
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert c.state == "asked" and c.not_yet_when is None and c.not_yet_at is not None
    with factory.session():
        assert conversations.read(factory.load(pair.a), cid).not_yet_words is None
    call(factory, pair.b, conversations.not_yet, cid, "evening")
    with factory.session():
        assert conversations.read(factory.load(pair.a), cid).not_yet_words == "this evening"
    call(factory, pair.b, conversations.accept, cid)
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert c.state == "open" and c.not_yet_at is None and c.not_yet_when is None
    with pytest.raises(Invalid):
        call(factory, pair.b, conversations.not_yet, cid, "never")


def test_either_partner_can_be_the_speaker(factory, pair):
    cid = call(factory, pair.a, conversations.ask, role="listener")
    call(factory, pair.b, conversations.accept, cid)
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert (c.speaker_id, c.listener_id) == (pair.b.id, pair.a.id)
    assert seen(factory, pair.b, cid)[2] is True  # step 1 is B's
    with pytest.raises(Conflict):
        call(factory, pair.a, conversations.send_first, cid, "not mine to write")


def test_one_live_conversation_per_couple(factory, pair):
    call(factory, pair.a, conversations.ask)
    with pytest.raises(Conflict, match="already a repair conversation"):
        call(factory, pair.b, conversations.ask)


def test_the_whole_walk_with_a_partly_round(factory, pair):
    cid = open_conversation(factory, pair)
    # Step 1: only the speaker; the draft is sealed from the listener.
    with pytest.raises(Conflict):
        call(factory, pair.b, conversations.save_draft, cid, "listener writing")
    call(factory, pair.a, conversations.save_draft, cid, "draft words")
    assert seen(factory, pair.a, cid)[0] == ["draft words"]
    assert seen(factory, pair.b, cid) == ([], None, False)
    call(factory, pair.a, conversations.send_first, cid, "I felt alone when you left the party")
    assert state(factory, cid) == ("open", 2)
    assert seen(factory, pair.b, cid)[:2] == (["I felt alone when you left the party"], "The party")
    # Step 2: only the listener.
    with pytest.raises(Conflict):
        call(factory, pair.a, conversations.reflect, cid, "me")
    call(factory, pair.b, conversations.reflect, cid, "It sounds like you felt alone")
    assert state(factory, cid) == ("open", 3)
    # Step 3: partly loops back to 2, as many rounds as it takes.
    with pytest.raises(Invalid):
        call(factory, pair.a, conversations.respond, cid, "partly", "")
    call(factory, pair.a, conversations.respond, cid, "partly", "And scared")
    assert state(factory, cid) == ("open", 2)
    call(factory, pair.b, conversations.reflect, cid, "Alone, and scared I'd do it again")
    call(factory, pair.a, conversations.respond, cid, "heard")
    assert state(factory, cid) == ("open", 4)
    # Steps 4 to 6.
    with pytest.raises(Conflict):
        call(factory, pair.a, conversations.acknowledge, cid, "not mine")
    call(factory, pair.b, conversations.acknowledge, cid, "Leaving hurt you, and I'm sorry")
    with pytest.raises(Invalid):
        call(factory, pair.a, conversations.name_need, cid, "everything")
    call(factory, pair.a, conversations.name_need, cid, "change", "Tell me before you leave")
    assert state(factory, cid) == ("open", 6)
    call(factory, pair.b, conversations.answer_need, cid, "time", "I'll come back to it by Sunday")
    assert state(factory, cid) == ("open", 6)  # time keeps the step open for the listener
    call(factory, pair.b, conversations.answer_need, cid, "commitment", commitment="I'll tell you before I leave")
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert (c.state, c.reached_end) == ("ended", True)
        made = commitments.for_partner(factory.load(pair.a))
        assert [v.commitment.text for v in made] == ["I'll tell you before I leave"]
        assert made[0].commitment.conversation_id == cid and not made[0].mine
        turns = db.session.scalars(sa.select(RepairTurn).order_by(RepairTurn.id)).all()
        assert [(t.step, t.round) for t in turns] == [
            (1, 1),
            (2, 1),
            (3, 1),
            (2, 2),
            (3, 2),
            (4, 1),
            (5, 1),
            (6, 1),
            (6, 2),
        ]
    # Both see the same sent turns afterwards; nothing more can be added.
    assert seen(factory, pair.a, cid)[0] == seen(factory, pair.b, cid)[0]
    with pytest.raises(Conflict):
        call(factory, pair.b, conversations.acknowledge, cid, "again")


def test_a_speaker_who_stops_at_step_one(factory, pair):
    cid = open_conversation(factory, pair)
    call(factory, pair.a, conversations.save_draft, cid, "I started to write")
    call(factory, pair.a, conversations.close, cid)
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert (c.state, c.reached_end) == ("ended", False)
        # The unsent words were never anyone's but the speaker's, and are not kept.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairTurn)) == 0
    assert seen(factory, pair.b, cid) == ([], None, False)
    # A new one can be asked for afterwards, by either.
    call(factory, pair.b, conversations.ask)


def test_speaker_can_stop_at_any_step_and_listener_can_close(factory, pair):
    cid = open_conversation(factory, pair)
    call(factory, pair.a, conversations.send_first, cid, "What happened")
    call(factory, pair.b, conversations.reflect, cid, "What I heard")
    call(factory, pair.a, conversations.close, cid)
    assert state(factory, cid) == ("ended", 3)
    call(factory, pair.a, conversations.close, cid)  # closing twice is fine
    cid2 = open_conversation(factory, pair)
    call(factory, pair.b, conversations.close, cid2)
    assert state(factory, cid2)[0] == "ended"


def test_asked_request_can_be_withdrawn_or_declined(factory, pair):
    cid = call(factory, pair.a, conversations.ask)
    call(factory, pair.b, conversations.close, cid)
    assert state(factory, cid)[0] == "ended"
    with pytest.raises(Conflict):
        call(factory, pair.b, conversations.accept, cid)


def test_stepping_away_and_returning(factory, pair):
    cid = open_conversation(factory, pair)
    call(factory, pair.b, conversations.step_away, cid)
    with factory.session():
        assert conversations.read(factory.load(pair.a), cid).partner_break
        assert conversations.read(factory.load(pair.b), cid).my_break
    call(factory, pair.a, conversations.step_away, cid)
    # Stepping away never blocks the other, and acting is coming back.
    call(factory, pair.a, conversations.send_first, cid, "Words")
    with factory.session():
        assert not conversations.read(factory.load(pair.a), cid).my_break
    call(factory, pair.b, conversations.come_back, cid)
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert c.listener_break_at is None and c.speaker_break_at is None and c.state == "open"


def test_a_stranger_gets_not_found(factory, pair):
    cid = open_conversation(factory, pair)
    stranger = factory.user("Stranger")
    other = factory.pair()
    for person in (stranger, other.a):
        for fn, args in (
            (conversations.read, ()),
            (conversations.accept, ()),
            (conversations.send_first, ("x",)),
            (conversations.close, ()),
            (conversations.step_away, ()),
        ):
            with pytest.raises(NotFound):
                call(factory, person, fn, cid, *args)


def test_ending_the_couple_closes_the_steps(factory, pair):
    cid = open_conversation(factory, pair)
    with factory.session():
        db.session.get(Couple, pair.couple_id).ended_at = db.func.now()
    with pytest.raises(Conflict, match="couple has ended"):
        call(factory, pair.a, conversations.send_first, cid, "x")


def test_idempotent_retries_change_nothing(factory, pair):
    cid = open_conversation(factory, pair)
    call(factory, pair.a, conversations.send_first, cid, "Words", client_key="k1")
    call(factory, pair.a, conversations.send_first, cid, "Words", client_key="k1")
    call(factory, pair.b, conversations.reflect, cid, "Heard", client_key="k2")
    call(factory, pair.b, conversations.reflect, cid, "Heard", client_key="k2")
    assert state(factory, cid) == ("open", 3)
    with factory.session():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairTurn)) == 2


def test_drafting_moves_only_the_speakers_version(factory, pair):
    cid = open_conversation(factory, pair)

    def versions():
        with factory.session():
            couple = db.session.get(Couple, pair.couple_id).version
            mine = db.session.scalars(
                sa.select(Membership.version).where(Membership.couple_id == pair.couple_id).order_by(Membership.user_id)
            ).all()
            return couple, mine

    before = versions()
    call(factory, pair.a, conversations.save_draft, cid, "draft one")
    call(factory, pair.a, conversations.save_draft, cid, "draft two")
    after = versions()
    assert after[0] == before[0]
    assert after[1][0] == before[1][0] + 2 and after[1][1] == before[1][1]
    call(factory, pair.a, conversations.send_first, cid, "sent")
    assert versions()[0] == before[0] + 1


def test_notifications_carry_no_words(factory, pair, app):
    with factory.session():
        from services.notifications import devices  # noqa: F401  (only to be sure the module loads)
    cid = open_conversation(factory, pair, topic="SECRET-TOPIC")
    call(factory, pair.a, conversations.send_first, cid, "SECRET-WORDS")
    with factory.session():
        for row in db.session.scalars(sa.select(PushMessage)):
            assert "SECRET" not in row.event_key + row.url


# Commitments -----------------------------------------------------------------------


def test_commitment_moments(factory, pair):
    kid = call(factory, pair.b, commitments.make, "Text before I'm late, not after")
    with pytest.raises(Conflict):
        call(factory, pair.a, commitments.add_moment, kid, "did")
    with pytest.raises(Conflict):
        call(factory, pair.b, commitments.add_moment, kid, "noticed")
    call(factory, pair.b, commitments.add_moment, kid, "did", date.today(), "Texted at six")
    call(factory, pair.a, commitments.add_moment, kid, "noticed", None, "It helped")
    with pytest.raises(Invalid):
        call(factory, pair.b, commitments.add_moment, kid, "did", date.today() + timedelta(days=2))
    with factory.session():
        view = commitments.read(factory.load(pair.a), kid)
        assert [m.note for m in view.did] == ["Texted at six"]
        assert [m.note for m in view.noticed] == ["It helped"]


def test_commitment_revise_retire_and_only_the_maker(factory, pair):
    kid = call(factory, pair.b, commitments.make, "First words")
    with pytest.raises(Conflict):
        call(factory, pair.a, commitments.revise, kid, "Hijacked")
    call(factory, pair.b, commitments.revise, kid, "Better words")
    call(factory, pair.b, commitments.retire, kid)
    with pytest.raises(Conflict):
        call(factory, pair.b, commitments.add_moment, kid, "did")
    with factory.session():
        view = commitments.read(factory.load(pair.a), kid)
        assert view.commitment.text == "Better words" and view.commitment.retired_at is not None


def test_doesnt_feel_right_yet_opens_a_conversation(factory, pair):
    kid = call(factory, pair.b, commitments.make, "Words")
    with pytest.raises(Conflict):
        call(factory, pair.b, conversations.about_commitment, kid)
    cid = call(factory, pair.a, conversations.about_commitment, kid)
    with factory.session():
        c = db.session.get(RepairConversation, cid)
        assert (c.speaker_id, c.commitment_id, c.state) == (pair.a.id, kid, "asked")


def test_commitment_strangers_get_not_found(factory, pair):
    kid = call(factory, pair.b, commitments.make, "Words")
    other = factory.pair()
    with pytest.raises(NotFound):
        call(factory, other.a, commitments.add_moment, kid, "noticed")
    with pytest.raises(NotFound):
        call(factory, other.b, commitments.read, kid)


def test_week_moments(factory, pair):
    kid = call(factory, pair.b, commitments.make, "Words")
    call(factory, pair.b, commitments.add_moment, kid, "did", date.today())
    call(factory, pair.b, commitments.add_moment, kid, "did", date.today() - timedelta(days=20))
    with factory.session():
        week = commitments.week_moments(pair.couple_id, date.today() - timedelta(days=6), date.today())
        assert [m.kind for _, m in week] == ["did"]
