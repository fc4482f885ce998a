"""The other intake answers shape the path gently, and privately; the ceiling defaults to Light.

What brings each person here leans which themes come a little more often,
both partners' answers pooled, repair themes only after the first stretch;
nothing of it is shown, and the partner's pages are byte-identical whatever
the other answered. Saying you see a therapist offers you (only you) a way
to invite them.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from extensions import db
from models import User
from services.couples import depth
from services.couples.depth import DEEP, LEAN_LATER_AFTER
from services.therapist import links
from tests.crawl import snapshot
from tests.helpers import library_deck, logged_in, page_text

REPAIR = {"accountability", "transparency", "reliability"}  # the repair and consolidation themes a betrayal leans to
CONNECTION = {"appreciation", "emotional-language"}
INVITE = "You mentioned you see a therapist"


# Light by default -----------------------------------------------------------------------------------------


def test_an_account_that_skips_the_first_run_is_light(app, factory, client):
    from services.accounts import accounts
    from services.accounts.accounts import RegistrationClaim
    from tests.helpers import PASSWORD

    with factory.session():
        partner = accounts.create_account(RegistrationClaim("new@example.test", "partner", None), "New", PASSWORD)
        therapist = accounts.create_account(
            RegistrationClaim("dr@example.test", "therapist", None), "Dr New", PASSWORD, "Practice"
        )
        assert partner.max_depth == therapist.max_depth == 1
    # The server default too, for rows written without the model (bulk loads, the benchmark seeds).
    with factory.session():
        db.session.execute(
            sa.text(
                "INSERT INTO users (email, display_name, password_hash, role, timezone, created_at) "
                "VALUES ('raw@example.test', 'Raw', 'x', 'partner', 'UTC', :now)"
            ),
            {"now": "2030-01-01 00:00:00.000000"},
        )
        assert db.session.scalar(sa.select(User.max_depth).where(User.email == "raw@example.test")) == 1


def test_the_demo_couple_starts_light_too(app, factory):
    from services.demo import seed

    with factory.session():
        seed.create_demo_couple()
    with app.app_context():
        assert set(db.session.scalars(sa.select(User.max_depth).where(User.role == "partner"))) == {1}


# The rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons_each", "conversations", "themes"),
    [
        ([], 0, set()),
        ([["other"]], 10, set()),
        ([["betrayal"]], 0, set()),  # the first stretch stays on steadiness
        ([["betrayal"]], LEAN_LATER_AFTER - 1, set()),
        ([["betrayal"]], LEAN_LATER_AFTER, {"accountability", "transparency"}),
        ([["promises"]], LEAN_LATER_AFTER, {"reliability", "accountability"}),
        ([["distance"]], 0, CONNECTION),  # connection from the start
        ([["hard-season"]], 0, {"steadiness", "triggers"}),
        ([["distance"], ["betrayal"]], 0, CONNECTION),
        (
            [["distance"], ["betrayal"]],
            LEAN_LATER_AFTER,
            CONNECTION | {"accountability", "transparency"},
        ),
    ],
)
def test_lean_themes(reasons_each, conversations, themes):
    assert depth.lean_themes(reasons_each, conversations) == themes


def test_the_lean_cannot_say_whose_answer_it_was():
    for mine, theirs in ([["betrayal"], []], [["distance", "promises"], ["hard-season"]]):
        for conversations in (0, LEAN_LATER_AFTER, 30):
            assert depth.lean_themes([mine, theirs], conversations) == depth.lean_themes([theirs, mine], conversations)


def _shares(lean_of, stage: int, conversations: int, seeds: int = 4000) -> dict[str, float]:
    deck, stages = library_deck()
    picked = []
    for n in range(seeds):
        rng = random.Random(n)
        last = rng.choice([None, "steadiness", "appreciation", "vulnerability"])
        prompt, _ = deck.choose("0", DEEP, last, f"{n}:seed", stage, depth.lean_themes(lean_of, conversations))
        picked.append(prompt.theme_id)
    return {
        "repair": sum(t in REPAIR for t in picked) / seeds,
        "connection": sum(t in CONNECTION for t in picked) / seeds,
        "stage": sum(stages[t] == stage for t in picked) / seeds,
    }


def test_betrayal_weights_repair_themes_later_but_keeps_the_first_stretch_on_steadiness():
    none_first, betrayal_first = _shares([], 1, 0), _shares([["betrayal"]], 1, 0)
    assert betrayal_first == none_first  # identical choices in the first stretch
    none, betrayal = _shares([], 1, LEAN_LATER_AFTER), _shares([["betrayal"]], 1, LEAN_LATER_AFTER)
    print("\nstage 1 after the first stretch, repair themes: none", none["repair"], "betrayal", betrayal["repair"])
    assert betrayal["repair"] > none["repair"] + 0.04  # present, somewhat more often
    assert betrayal["stage"] >= 0.6  # and the stage still leads: steadiness themes come most
    deeper_none, deeper_betrayal = _shares([], 2, 10), _shares([["betrayal"]], 2, 10)
    assert deeper_betrayal["repair"] > deeper_none["repair"] + 0.04


def test_growing_distance_weights_connection_and_appreciation():
    none, distance = _shares([], 1, 0), _shares([["distance"]], 1, 0)
    print("\nstage 1, connection themes: none", none["connection"], "distance", distance["connection"])
    assert distance["connection"] > none["connection"] + 0.1
    assert _shares([["distance"]], 1, 0) == distance  # deterministic: the same seeds choose the same


def test_both_delivery_paths_lean_the_same_way(app, factory):
    """The tick and a delivery by hand read the same pooled answers (a couple whose answers lean to connection)."""
    from datetime import UTC, datetime, timedelta

    from models import Couple, Intake
    from services.delivery import delivery

    pair = factory.pair()
    with factory.session():
        for person in (pair.a, pair.b):
            db.session.add(Intake(user_id=person.id, reasons=["distance"] if person == pair.a else []))
    with factory.session():
        assert delivery.leanings([pair.couple_id]) == {pair.couple_id: [["distance"]]}
        couple = db.session.get(Couple, pair.couple_id)
        chosen = [
            delivery.deliver(couple, datetime(2031, 1, 1, 19, tzinfo=UTC) + timedelta(days=k)).theme_id
            for k in range(12)
        ]
    assert sum(theme in CONNECTION for theme in chosen) >= 4


# Privacy ----------------------------------------------------------------------------------------------------


def _intake(client, reasons, therapist):
    client.post("/start/pace", data={"max_depth": "3"})
    return client.post(
        "/start/about", data={"reasons": list(reasons), "sees_therapist": therapist, "feels_safe": "yes"}
    )


def test_the_partners_pages_are_byte_identical_whatever_the_other_answered(app, factory):
    from datetime import UTC, datetime

    import time_machine

    pair = factory.pair()
    with time_machine.travel(datetime.now(UTC), tick=False):
        _byte_identical(app, pair)


def _byte_identical(app, pair):
    alex, sam = logged_in(app, pair.a), logged_in(app, pair.b)
    _intake(alex, (), "no")
    alex.get("/today")  # Alex's own "thank you" shown
    ids = {"instance": pair.first_prompt_id, "reflection": 1, "token": "x", "more": (pair.b.id,)}
    before = snapshot(app, alex, ids)
    assert _intake(sam, ("betrayal", "promises", "distance"), "yes").status_code == 302
    after = snapshot(app, alex, ids)
    for path in before:
        assert after[path] == before[path], path
    # The path page itself says nothing of anyone's answers: the same for both of them, bar the private invite.
    sam_path = page_text(sam.get("/path"))
    assert INVITE in sam_path and INVITE not in page_text(alex.get("/path"))
    for word in ("betrayal", "affair", "broken promises", "growing distance"):
        assert word not in sam_path.lower() and word not in after["/path"][1].lower()


def test_a_therapist_answer_offers_only_that_person_an_invitation_until_one_is_linked(app, factory):
    pair = factory.pair()
    sam = logged_in(app, pair.b)
    _intake(sam, (), "no")
    assert INVITE not in page_text(sam.get("/path"))
    _intake(sam, (), "yes")
    assert INVITE in page_text(sam.get("/path"))
    therapist = factory.user("Dr Rivera", role="therapist")
    with factory.session():
        code = links.link_code(factory.load(therapist))
        links.link_by_code(factory.load(pair.a), code)
    assert INVITE not in page_text(sam.get("/path"))
