"""The depth ramp and the path as pure functions, and a simulation of 2,000 couples who both chose Deep."""

from __future__ import annotations

import random
import statistics

import pytest

from services.couples import depth
from services.couples.depth import DEEP, LIGHT, MEDIUM, Ramp
from tests.helpers import library_deck


@pytest.mark.parametrize(
    ("ramp", "ceiling", "after"),
    [
        (Ramp(LIGHT, 0, 0), DEEP, Ramp(LIGHT, 1, 0)),
        (Ramp(LIGHT, 2, 0), DEEP, Ramp(LIGHT, 3, 0)),
        (Ramp(LIGHT, 3, 0), DEEP, Ramp(MEDIUM, 0, 0)),  # the fourth revealed conversation
        (Ramp(LIGHT, 3, 0), MEDIUM, Ramp(MEDIUM, 0, 0)),
        (Ramp(LIGHT, 3, 0), LIGHT, Ramp(LIGHT, 4, 0)),  # a Light ceiling keeps it light
        (Ramp(LIGHT, 9, 0), LIGHT, Ramp(LIGHT, 10, 0)),
        (Ramp(MEDIUM, 5, 0), DEEP, Ramp(MEDIUM, 6, 0)),  # reveals alone never reach deep
        (Ramp(MEDIUM, 5, 2), DEEP, Ramp(MEDIUM, 6, 2)),
        (Ramp(DEEP, 0, 0), DEEP, Ramp(DEEP, 1, 0)),
    ],
)
def test_after_reveal(ramp, ceiling, after):
    assert depth.after_reveal(ramp, ceiling) == after


@pytest.mark.parametrize(
    ("ramp", "conversation_depth", "ceiling", "after"),
    [
        (Ramp(MEDIUM, 1, 0), MEDIUM, DEEP, Ramp(MEDIUM, 1, 1)),
        (Ramp(MEDIUM, 3, 2), MEDIUM, DEEP, Ramp(DEEP, 0, 0)),  # the third medium conversation where both felt heard
        (Ramp(MEDIUM, 3, 2), MEDIUM, MEDIUM, Ramp(MEDIUM, 3, 3)),  # a Medium ceiling holds
        (Ramp(MEDIUM, 3, 2), LIGHT, DEEP, Ramp(MEDIUM, 3, 2)),  # a light conversation doesn't count toward deep
        (Ramp(LIGHT, 2, 0), LIGHT, DEEP, Ramp(LIGHT, 2, 1)),  # counted, but light climbs by reveals
        (Ramp(DEEP, 2, 5), DEEP, DEEP, Ramp(DEEP, 2, 6)),
    ],
)
def test_after_both_heard(ramp, conversation_depth, ceiling, after):
    assert depth.after_both_heard(ramp, conversation_depth, ceiling) == after


@pytest.mark.parametrize(
    ("ramp", "after"),
    [
        (Ramp(DEEP, 4, 9), Ramp(MEDIUM, 0, 0)),
        (Ramp(MEDIUM, 2, 2), Ramp(LIGHT, 0, 0)),
        (Ramp(LIGHT, 3, 1), Ramp(LIGHT, 0, 0)),
    ],
)
def test_eased_back(ramp, after):
    assert depth.eased_back(ramp) == after


@pytest.mark.parametrize(
    ("level", "ceiling", "now"),
    [(1, 3, 1), (2, 3, 2), (3, 3, 3), (3, 1, 1), (3, 2, 2), (2, 1, 1), (1, 1, 1)],
)
def test_current_depth_is_the_ramp_within_the_more_cautious_ceiling(level, ceiling, now):
    assert depth.current_depth(level, ceiling) == now


@pytest.mark.parametrize(
    ("conversations", "focus", "stage"),
    [(0, None, 1), (7, None, 1), (8, None, 2), (19, None, 2), (20, None, 3), (500, None, 3), (0, 3, 3), (50, 1, 1)],
)
def test_path_stage(conversations, focus, stage):
    assert depth.path_stage(conversations, focus) == stage


def test_the_path_is_followed_three_times_in_four():
    assert [depth.follows_path(h) for h in range(8)] == [True, True, True, False] * 2


def test_status_words_read_only_the_ramp_and_my_own_choice():
    class Couple:
        depth_level, conversations, focus_stage = MEDIUM, 9, None

    assert depth.status(Couple, LIGHT)[1] == "We're keeping things light for now."
    assert depth.status(Couple, DEEP)[:1] == (MEDIUM,)
    assert depth.status(Couple, DEEP)[3] == "Deepening"


# The simulation --------------------------------------------------------------------------------

COUPLES = 2000
DELIVERIES = 30
# A couple reveals most prompts, feels heard in most reveals, and now and then pauses.
REVEAL, HEARD, PAUSE = 0.85, 0.7, 0.03


def simulate(paced: bool) -> list[list[tuple[int, int]]]:
    """Each couple's deliveries as (depth, stage of its theme); both partners chose Deep."""
    deck, stages = library_deck()
    runs = []
    for couple in range(COUPLES):
        chance = random.Random(couple)
        ramp, conversations, used, last = Ramp(), 0, "0", None
        run = []
        for k in range(DELIVERIES):
            allowed = depth.current_depth(ramp.level, DEEP) if paced else DEEP
            stage = depth.path_stage(conversations) if paced else None
            prompt, used = deck.choose(used, allowed, last, f"{couple}:{k}", stage)
            last = prompt.theme_id
            run.append((prompt.depth, stages[prompt.theme_id]))
            if chance.random() < REVEAL:
                ramp, conversations = depth.after_reveal(ramp, DEEP), conversations + 1
                if chance.random() < HEARD:
                    ramp = depth.after_both_heard(ramp, prompt.depth, DEEP)
            if chance.random() < PAUSE:
                ramp = depth.eased_back(ramp)
        runs.append(run)
    return runs


def figures(runs) -> dict[str, float]:
    def share(predicate, positions):
        picked = [run[k] for run in runs for k in positions]
        return round(100 * sum(predicate(d) for d in picked) / len(picked), 1)

    first_deep = [next((k + 1 for k, (d, _) in enumerate(run) if d == DEEP), DELIVERIES + 1) for run in runs]
    return {
        "deep first prompt %": share(lambda d: d[0] == DEEP, [0]),
        "couples with a deep prompt in their first 7 %": round(100 * sum(f <= 7 for f in first_deep) / len(runs), 1),
        "deep in deliveries 1-7 %": share(lambda d: d[0] == DEEP, range(7)),
        "light in deliveries 1-4 %": share(lambda d: d[0] == LIGHT, range(4)),
        "deep in deliveries 8-14 %": share(lambda d: d[0] == DEEP, range(7, 14)),
        "deep in deliveries 15-30 %": share(lambda d: d[0] == DEEP, range(14, 30)),
        "median first deep delivery": statistics.median(first_deep),
        "stage 1 themes in deliveries 1-8 %": share(lambda d: d[1] == 1, range(8)),
        "stage 3 themes in deliveries 25-30 %": share(lambda d: d[1] == 3, range(24, 30)),
    }


def test_simulation_no_deep_prompt_before_the_eighth_and_the_designed_distribution_after(capsys):
    before, after = figures(simulate(paced=False)), figures(simulate(paced=True))
    with capsys.disabled():
        print("\nbefore (uniform within the ceiling):", before)
        print("after (the ramp and the path):", after)
    # Before: about a third of first prompts deep, nearly every couple meets one in its first week.
    assert before["deep first prompt %"] > 25 and before["couples with a deep prompt in their first 7 %"] > 85
    # After: nothing deep in the first N = 7 deliveries, whoever the couple is; the first four are light.
    assert depth.NEVER_DEEP_BEFORE == 7
    assert after["deep in deliveries 1-7 %"] == 0 and after["couples with a deep prompt in their first 7 %"] == 0
    assert after["light in deliveries 1-4 %"] == 100
    # Then deep comes in slowly: rare in the second week (about 5 %), about one in five later on
    # (the library's third are deep; medium and light still come, and pauses ease it back).
    assert 1 <= after["deep in deliveries 8-14 %"] <= 12
    assert 15 <= after["deep in deliveries 15-30 %"] <= 30
    assert 14 <= after["median first deep delivery"] <= 24
    # The path: the first days mostly steadiness, the later ones mostly repair.
    assert after["stage 1 themes in deliveries 1-8 %"] >= 60
    assert after["stage 3 themes in deliveries 25-30 %"] >= 50


# The stored ramp, moved by the events, read by both delivery paths -------------------------------


def test_both_delivery_paths_keep_to_the_ramp_and_reveals_move_it(app, factory):
    from datetime import UTC, datetime, time, timedelta

    import sqlalchemy as sa
    import time_machine

    from extensions import db
    from jobs import scheduler
    from models import Couple, PromptInstance
    from services.delivery import delivery

    pair = factory.pair(factory.user(max_depth=3), factory.user(max_depth=3))
    factory.reveal(pair)  # the welcome prompt: one revealed conversation
    start = datetime(2026, 9, 1, 19, tzinfo=UTC)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        delivery.set_schedule(couple, "UTC", time(19, 0), "daily", 0)
        couple.next_delivery_at = start
    depths = []
    for day in range(3):
        moment = start + timedelta(days=day, minutes=1)
        with time_machine.travel(moment, tick=False):
            scheduler.tick(app, moment)
        with app.app_context():
            newest = db.session.scalars(sa.select(PromptInstance).order_by(PromptInstance.id.desc())).first()
            depths.append(newest.depth)
            newest_id = newest.id
        factory.answer(pair.a, newest_id, "mine")
        factory.answer(pair.b, newest_id, "yours")
    assert depths == [LIGHT, LIGHT, LIGHT]
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert (couple.depth_level, couple.conversations) == (MEDIUM, 4)
    # The ORM path reads the same stored depth.
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        assert delivery.depth_now(couple) == MEDIUM
        couple.depth_level = LIGHT
        assert delivery.deliver(couple, start + timedelta(days=30)).depth == LIGHT


def test_both_feeling_heard_in_a_medium_conversation_moves_toward_deep_and_a_pause_eases_back(app, factory):
    from datetime import UTC, datetime

    from extensions import db
    from models import Couple, PromptInstance
    from services.conversation import conversation
    from services.couples import pacing

    pair = factory.pair(factory.user(max_depth=3), factory.user(max_depth=3))
    with factory.session():
        db.session.get(Couple, pair.couple_id).depth_level = MEDIUM
        db.session.get(PromptInstance, pair.first_prompt_id).depth = MEDIUM
    factory.reveal(pair)
    for listener, speaker in ((pair.a, pair.b), (pair.b, pair.a)):
        with factory.session():
            reflection = conversation.reflect(factory.load(listener), pair.first_prompt_id, "It sounds like you felt")
            reflection_id = reflection.id
        with factory.session():
            conversation.respond(factory.load(speaker), pair.first_prompt_id, reflection_id, "heard")
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert (couple.depth_level, couple.depth_revealed, couple.depth_heard) == (MEDIUM, 1, 1)
    with factory.session():
        pacing.pause(factory.load(pair.a), "day", datetime.now(UTC))
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert (couple.depth_level, couple.depth_revealed, couple.depth_heard) == (LIGHT, 0, 0)


def test_a_theme_is_introduced_the_first_time_it_comes(app, factory):
    from datetime import UTC, datetime

    from extensions import db
    from models import PromptInstance, Theme
    from tests.helpers import logged_in, page_text

    pair = factory.pair()
    with factory.session():
        first = db.session.get(PromptInstance, pair.first_prompt_id)
        again = PromptInstance(
            couple_id=pair.couple_id,
            slot_at=datetime(2031, 1, 1, tzinfo=UTC),
            theme_id=first.theme_id,
            depth=1,
            text="Another prompt of the same theme",
        )
        db.session.add(again)
        db.session.flush()
        again_id, name = again.id, db.session.get(Theme, first.theme_id).name
    alex = logged_in(app, pair.a)
    assert f"New for you two: {name}." in page_text(alex.get(f"/prompts/{pair.first_prompt_id}"))
    assert "New for you two" not in page_text(alex.get(f"/prompts/{again_id}"))
