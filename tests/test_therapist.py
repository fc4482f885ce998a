"""The therapist view: dual consent with scopes, revocation, what a therapist can and cannot see, the access log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from models import AccessEntry, Assignment, Couple, Prompt, PromptInstance, Theme, TherapistNote
from services.delivery import delivery
from services.therapist import links
from tests.crawl import crawl
from tests.helpers import PASSWORD, logged_in, page_text


@pytest.fixture
def world(app, factory):
    """A couple with a sealed canary, a revealed canary, a reflection, a check-in, and a linked therapist."""

    pair = factory.pair()
    therapist = factory.user("Dr Rivera", role="therapist")
    sealed, revealed = f"SEALED-{uuid.uuid4().hex}", f"REVEALED-{uuid.uuid4().hex}"
    factory.reveal(pair, f"Alex says {revealed}", "Sam says hello")
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        second = delivery.deliver(couple, datetime.now(UTC) + timedelta(days=1)).id
        code = links.link_code(factory.load(therapist))
    factory.answer(pair.b, second, f"Sam's sealed {sealed}")
    with factory.session():
        link = links.link_by_code(factory.load(pair.a), code)
        link_id = link.id
    return {
        "pair": pair,
        "therapist": therapist,
        "link": link_id,
        "sealed": sealed,
        "revealed": revealed,
        "revealed_id": pair.first_prompt_id,
        "sealed_id": second,
    }


def consent(factory, person, link_id, scope):
    with factory.session():
        links.consent(factory.load(person), link_id, scope)


def revoke(factory, person, link_id):
    with factory.session():
        links.revoke(factory.load(person), link_id)


def therapist_pages(client, world):
    link, revealed_id, sealed_id = world["link"], world["revealed_id"], world["sealed_id"]
    paths = [
        "/therapist/",
        f"/therapist/couples/{link}",
        f"/therapist/couples/{link}/export.json",
        f"/therapist/couples/{link}/conversations/{revealed_id}",
        f"/therapist/couples/{link}/conversations/{sealed_id}",
    ]
    return {path: client.get(path) for path in paths}


def assert_sees(world, responses, *, progress: bool, conversations: bool):
    texts = {path: page_text(r) for path, r in responses.items()}
    everything = "\n".join(texts.values())
    assert world["sealed"] not in everything, "a therapist must never see a sealed answer"
    assert (world["revealed"] in everything) == conversations
    couple_page = texts[f"/therapist/couples/{world['link']}"]
    assert ("Felt heard" in couple_page) == progress
    conversation = responses[f"/therapist/couples/{world['link']}/conversations/{world['revealed_id']}"]
    assert (conversation.status_code == 200) == conversations
    sealed_conversation = responses[f"/therapist/couples/{world['link']}/conversations/{world['sealed_id']}"]
    assert sealed_conversation.status_code == 404
    assert (responses[f"/therapist/couples/{world['link']}/export.json"].status_code == 200) == progress


@pytest.mark.parametrize(
    "scopes, progress, conversations",
    [
        ((None, None), False, False),
        (("conversations", None), False, False),
        ((None, "progress"), False, False),
        (("progress", "progress"), True, False),
        (("conversations", "progress"), True, False),
        (("progress", "conversations"), True, False),
        (("conversations", "conversations"), True, True),
    ],
)
def test_consent_matrix(app, factory, world, scopes, progress, conversations):
    pair = world["pair"]
    for person, scope in zip((pair.a, pair.b), scopes, strict=False):
        if scope:
            consent(factory, person, world["link"], scope)
    therapist = logged_in(app, world["therapist"])
    assert_sees(world, therapist_pages(therapist, world), progress=progress, conversations=conversations)
    # Names are all that shows before everyone consents.
    dashboard = page_text(therapist.get("/therapist/"))
    assert "Alex" in dashboard and "Sam" in dashboard


@pytest.mark.parametrize("who", ["a", "b"])
def test_either_partner_revokes_alone_effective_next_request(app, factory, world, who):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "conversations")
    consent(factory, pair.b, world["link"], "conversations")
    therapist = logged_in(app, world["therapist"])
    assert_sees(world, therapist_pages(therapist, world), progress=True, conversations=True)
    revoke(factory, getattr(pair, who), world["link"])
    assert_sees(world, therapist_pages(therapist, world), progress=False, conversations=False)


def test_ending_the_link_removes_everything_at_once(app, factory, world):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "conversations")
    consent(factory, pair.b, world["link"], "conversations")
    therapist = logged_in(app, world["therapist"])
    with factory.session():
        links.end_link(factory.load(pair.b), world["link"])
    for path, response in therapist_pages(therapist, world).items():
        if path != "/therapist/":
            assert response.status_code == 404, path


def test_leak_crawl_over_every_therapist_route_in_every_state(app, factory, world):
    pair = world["pair"]
    ids = {"instance": world["sealed_id"], "reflection": 1, "token": "x"}
    for step in ("none", "one", "progress", "conversations", "revoked"):
        if step == "one":
            consent(factory, pair.a, world["link"], "conversations")
        elif step == "progress":
            consent(factory, pair.b, world["link"], "progress")
        elif step == "conversations":
            consent(factory, pair.b, world["link"], "conversations")
        elif step == "revoked":
            revoke(factory, pair.a, world["link"])
        therapist = logged_in(app, world["therapist"])
        keep_link = frozenset({"therapist.end"})  # ending it would end the walk through the states
        crawl(app, therapist, ids, world["sealed"], participating_ok=True, skip=keep_link)
        crawl_ids = dict(ids, instance=world["revealed_id"])
        if step != "conversations":
            crawl(app, therapist, crawl_ids, world["revealed"], participating_ok=True, skip=keep_link)
        for link_id in (world["link"], world["link"] + 1):
            for path in (
                f"/therapist/couples/{link_id}/conversations/{world['sealed_id']}",
                f"/therapist/couples/{link_id}/export.json",
            ):
                assert world["sealed"] not in therapist.get(path).get_data(as_text=True)


def test_access_log_one_entry_per_read_no_content_none_for_the_couple(app, factory, world):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "conversations")
    consent(factory, pair.b, world["link"], "conversations")

    def entries():
        with app.app_context():
            return db.session.execute(
                sa.select(AccessEntry.kind, AccessEntry.instance_id).order_by(AccessEntry.id)
            ).all()

    alex = logged_in(app, pair.a)
    for path in (
        "/today",
        "/history",
        f"/prompts/{world['revealed_id']}",
        "/settings",
        "/settings/therapists",
        "/checkin",
    ):
        alex.get(path)
    assert entries() == []
    therapist = logged_in(app, world["therapist"])
    therapist.get(f"/therapist/couples/{world['link']}/conversations/{world['revealed_id']}")
    assert entries() == [("conversation", world["revealed_id"])]
    therapist.get(f"/therapist/couples/{world['link']}/export.json")
    therapist.get("/therapist/")
    assert [kind for kind, _ in entries()] == ["conversation", "export", "progress"]
    # One view of the couple page, which shows progress and the list of conversations, is one entry.
    therapist.get(f"/therapist/couples/{world['link']}")
    assert [kind for kind, _ in entries()] == ["conversation", "export", "progress", "conversations"]
    with app.app_context():
        rows = db.session.execute(sa.select(AccessEntry)).scalars().all()
        stored = " ".join(f"{r.therapist_name} {r.kind} {r.instance_id}" for r in rows)
    assert world["revealed"] not in stored and "Dr Rivera" in stored
    settings_page = page_text(alex.get("/settings/therapists"))
    assert "A revealed conversation" in settings_page and "Downloaded a copy" in settings_page
    assert world["revealed"] not in settings_page


def test_access_log_is_append_only_in_the_application(app):
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    code = "\n".join(
        p.read_text() for folder in ("services", "blueprints", "jobs") for p in (root / folder).rglob("*.py")
    )
    # The only write is links.log_read's add(); nothing updates or deletes an entry.
    assert "update(AccessEntry" not in code and "delete(AccessEntry" not in code
    assert code.count("AccessEntry(") == 1
    assert not [r for r in app.url_map.iter_rules() if "access" in r.rule and r.methods - {"GET", "HEAD", "OPTIONS"}]


def test_assignments_come_first_marked_from_the_therapist(app, factory, world, auth, client):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "progress")
    consent(factory, pair.b, world["link"], "progress")
    therapist = logged_in(app, world["therapist"])
    empty = therapist.post(f"/therapist/couples/{world['link']}/assignments", data={"prompt_id": "", "text": "  "})
    assert empty.status_code == 422
    response = therapist.post(
        f"/therapist/couples/{world['link']}/assignments",
        data={"prompt_id": "", "text": "What would a kind evening look like?", "note": "Try this before Thursday"},
    )
    assert response.status_code == 422  # changed: a prompt of the therapist's own names its theme and depth
    response = therapist.post(
        f"/therapist/couples/{world['link']}/assignments",
        data={
            "prompt_id": "",
            "text": "What would a kind evening look like?",
            "note": "Try this before Thursday",
            "theme_id": "appreciation",
            "depth": "1",
        },
    )
    assert response.status_code == 302
    from jobs import scheduler

    reveal_everything(factory, pair)
    due = datetime.now(UTC) - timedelta(minutes=1)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at, couple.delivery_time = due, due.time()
    assert scheduler.tick(app)["delivered"] == 1
    with app.app_context():
        instance = db.session.scalars(sa.select(PromptInstance).order_by(PromptInstance.id.desc())).first()
        assert (instance.source, instance.text, instance.note) == (
            "therapist",
            "What would a kind evening look like?",
            "Try this before Thursday",
        )
        assert db.session.scalar(sa.select(Assignment.instance_id)) == instance.id
    auth.login_as(pair.a)
    page = page_text(client.get(f"/prompts/{instance.id}"))
    assert "From your therapist" in page and "Try this before Thursday" in page


def reveal_everything(factory, pair):
    with factory.session():
        ids = db.session.scalars(sa.select(PromptInstance.id).where(PromptInstance.revealed_at.is_(None))).all()
    from services.common.errors import Conflict

    for instance_id in ids:
        for person in (pair.a, pair.b):
            try:
                factory.answer(person, instance_id, "an answer")
            except Conflict:
                pass  # this one was already revealed by the other's answer


def test_notes_are_private_to_their_therapist(app, factory, world):
    pair = world["pair"]
    other = factory.user("Dr Other", role="therapist")
    consent(factory, pair.a, world["link"], "progress")
    consent(factory, pair.b, world["link"], "progress")
    rivera = logged_in(app, world["therapist"])
    rivera.post(f"/therapist/couples/{world['link']}/notes", data={"body": "NOTE-CANARY about attachment"})
    with app.app_context():
        assert db.session.scalar(sa.select(TherapistNote.body)) == "NOTE-CANARY about attachment"
    for person in (pair.a, pair.b, other):
        client = logged_in(app, person)
        crawl(
            app,
            client,
            {"instance": world["revealed_id"], "reflection": 1, "token": "x"},
            "NOTE-CANARY",
            participating_ok=True,
        )


def test_strangers_and_partners_cannot_use_therapist_routes(app, factory, world):
    pair = world["pair"]
    alex = logged_in(app, pair.a)
    assert alex.get("/therapist/").status_code == 404
    other = logged_in(app, factory.user("Dr Other", role="therapist"))
    assert other.get(f"/therapist/couples/{world['link']}").status_code == 404


def test_consent_changes_need_a_fresh_login(app, factory, world):
    import time_machine

    pair = world["pair"]
    alex = logged_in(app, pair.a)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=30)):
        stale = alex.get(f"/settings/therapists/{world['link']}")
        assert stale.status_code == 302 and "/account/confirm" in stale.location
        assert alex.post(f"/settings/therapists/{world['link']}/revoke").status_code == 302
        confirm = alex.post(
            "/account/confirm", data={"password": PASSWORD, "next": f"/settings/therapists/{world['link']}"}
        )
        assert confirm.status_code == 302
        assert alex.post(f"/settings/therapists/{world['link']}", data={"scope": "progress"}).status_code == 302
    with app.app_context():
        from models import Consent

        assert db.session.scalar(sa.select(Consent.scope)) == "progress"


def test_therapist_is_never_a_partner_and_is_labelled(app, factory, world):
    pair = world["pair"]
    alex = logged_in(app, pair.a)
    assert "Dr Rivera</strong>, therapist at Harbour Counselling" in alex.get("/settings/therapists").get_data(
        as_text=True
    )
    therapist = logged_in(app, world["therapist"])
    assert therapist.post("/couple").status_code == 302
    with app.app_context():
        from models import Membership

        assert db.session.scalar(sa.select(Membership).where(Membership.user_id == world["therapist"].id)) is None


def test_guessing_therapist_codes_is_rate_limited(make_app, factory):
    app = make_app(RATELIMIT_ENABLED=True)
    alex = factory.user("Alex")
    client = logged_in(app, alex)
    codes = [client.post("/settings/therapists", data={"code": "ZZZZ-ZZZZ"}).status_code for _ in range(12)]
    assert codes[:10] == [422] * 10 and codes[10:] == [429, 429]


# Assignments within the couple's pace ----------------------------------------------------------


def _deep_prompt_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(Prompt.id).where(Prompt.depth == 3, Prompt.retired.is_(False)).limit(1))


def test_a_deeper_assignment_is_never_delivered_above_the_couples_depth_now(app, factory, world):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "progress")
    consent(factory, pair.b, world["link"], "progress")
    with factory.session():
        factory.load(pair.a).max_depth = factory.load(pair.b).max_depth = 3
    deep = _deep_prompt_id(app)
    therapist = logged_in(app, world["therapist"])
    assert (
        therapist.post(f"/therapist/couples/{world['link']}/assignments", data={"prompt_id": deep}).status_code == 302
    )
    assert "deeper than the couple's pace right now" in page_text(therapist.get(f"/therapist/couples/{world['link']}"))
    reveal_everything(factory, pair)
    # Both chose Deep, but the couple is at the start of the ramp: the library gives them something light.
    base = datetime(2031, 1, 1, 19, tzinfo=UTC)
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        held = delivery.deliver(couple, base)
        assert (held.source, held.depth) == ("library", 1)
    reveal_everything(factory, pair)
    # Through the per-minute tick as well.
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.next_delivery_at, couple.delivery_time = base + timedelta(days=1), time(19, 0)
        couple.timezone, couple.cadence = "UTC", "daily"
    from jobs import scheduler

    with time_machine.travel(base + timedelta(days=1, minutes=1), tick=False):
        scheduler.tick(app, base + timedelta(days=1, minutes=1))
    with app.app_context():
        newest = db.session.scalars(sa.select(PromptInstance).order_by(PromptInstance.id.desc())).first()
        assert (newest.source, newest.depth) == ("library", 1)
        assert db.session.scalar(sa.select(Assignment.instance_id)) is None
    reveal_everything(factory, pair)
    # Once their conversations have reached deep, it arrives.
    with factory.session():
        couple = db.session.get(Couple, pair.couple_id)
        couple.depth_level = 3
        arrived = delivery.deliver(couple, base + timedelta(days=2))
        assert (arrived.source, arrived.prompt_id, arrived.depth) == ("therapist", deep, 3)


def test_a_therapists_own_prompt_carries_its_themes_guidance_and_starters(app, factory, world):
    pair = world["pair"]
    consent(factory, pair.a, world["link"], "progress")
    consent(factory, pair.b, world["link"], "progress")
    therapist = logged_in(app, world["therapist"])
    response = therapist.post(
        f"/therapist/couples/{world['link']}/assignments",
        data={"prompt_id": "", "text": "What felt steady this week?", "theme_id": "appreciation", "depth": "1"},
    )
    assert response.status_code == 302
    reveal_everything(factory, pair)
    with factory.session():
        instance = delivery.deliver(db.session.get(Couple, pair.couple_id), datetime(2031, 2, 1, tzinfo=UTC))
        assert (instance.source, instance.theme_id, instance.depth) == ("therapist", "appreciation", 1)
        instance_id = instance.id
        theme = db.session.get(Theme, "appreciation")
        mirror, starter = theme.mirror, theme.starters[0]
    for person, words in ((pair.a, "Alex here"), (pair.b, "Sam here")):
        factory.answer(person, instance_id, words)
    page = logged_in(app, pair.a).get(f"/prompts/{instance_id}").get_data(as_text=True)
    assert "How to listen" in page and starter in page
    assert mirror[:40].replace("'", "&#39;") in page or mirror[:40] in page


def test_the_therapist_can_set_the_focus_of_the_path(app, factory, world):
    from services.couples import depth

    pair = world["pair"]
    therapist = logged_in(app, world["therapist"])
    therapist.post(f"/therapist/couples/{world['link']}/focus", data={"stage": "3"})  # before both consent
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).focus_stage is None
    consent(factory, pair.a, world["link"], "progress")
    consent(factory, pair.b, world["link"], "progress")
    assert therapist.post(f"/therapist/couples/{world['link']}/focus", data={"stage": "3"}).status_code == 302
    with app.app_context():
        couple = db.session.get(Couple, pair.couple_id)
        assert couple.focus_stage == 3 and depth.path_stage(couple.conversations, couple.focus_stage) == 3
    assert "You are here" in page_text(logged_in(app, pair.a).get("/path")).split("3. Repair")[1][:80]
    therapist.post(f"/therapist/couples/{world['link']}/focus", data={"stage": ""})
    with app.app_context():
        assert db.session.get(Couple, pair.couple_id).focus_stage is None


def test_a_wrong_therapist_code_is_refused_beside_its_field(app, factory):
    """A code that matches no therapist is a refusal of what was typed (the form again, 422), not a missing page."""
    pair = factory.pair()
    alex = logged_in(app, pair.a)
    response = alex.post("/settings/therapists", data={"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 422
    page = page_text(response)
    assert 'aria-invalid="true"' in page and "We couldn't find a therapist with that code." in page
