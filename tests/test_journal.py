"""The private journal (issue 12): private by default and by design, shared one entry at a time.

Canaries sit in an entry's words, a sealed check-in's worry and a reassurance line; the crawl
walks every route (and the export) as the partner, a stranger, another
couple and a therapist in each scope. The partner's pages are byte-identical
whether the author has written nothing or fifty tagged entries.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from extensions import db
from models import AccessEntry, Couple, Invite, JournalEntry, Membership
from services.checkins import checkins
from services.common.errors import Conflict, Invalid, NotFound
from services.journal import journal
from services.moments import reassurance
from services.repair import conversations
from services.therapist import links
from tests.crawl import crawl, normalised, snapshot
from tests.helpers import logged_in, page_text


def _write(factory, person, body, tag=None, key=None) -> int:
    with factory.session():
        return journal.write(factory.load(person), body, tag, key).id


def _link(factory, pair, therapist, scope_a=None, scope_b=None) -> int:
    return factory.therapist_link(pair, therapist, scope_a, scope_b)


# Writing, finding, editing -----------------------------------------------------------------


def test_write_find_by_tag_and_words_edit_and_delete(factory, client, auth):
    me = factory.pair().a
    first = _write(factory, me, "The car park brought it all back.", "trigger")
    _write(factory, me, "You held my hand at dinner. 100% kind_of lovely.", "care")
    _write(factory, me, "Just tired.")
    auth.login_as(me)
    text = page_text(client.get("/journal?tag=trigger"))
    assert "The car park" in text and "held my hand" not in text
    text = page_text(client.get("/journal?q=HAND"))
    assert "held my hand" in text and "car park" not in text
    # Search words are matched literally: % and _ are not wildcards.
    assert "held my hand" in page_text(client.get("/journal?q=100%25 kind_of"))
    assert "Nothing matches that." in page_text(client.get("/journal?q=%25%25%25x"))
    assert client.get("/journal?tag=nonsense").status_code < 500
    response = client.post(f"/journal/{first}", data={"body": "Changed words.", "tag": "feeling"})
    assert response.status_code == 302
    with factory.session():
        entry = db.session.get(JournalEntry, first)
        assert (entry.body, entry.tag) == ("Changed words.", "feeling")
    assert client.post(f"/journal/{first}/delete").status_code == 302
    with factory.session():
        assert db.session.get(JournalEntry, first) is None


@pytest.mark.parametrize(
    "body, tag, field",
    [("   ", None, "body"), ("x" * 20001, None, "body"), ("ok", "secret", "tag"), ("nul \x00", None, "body")],
)
def test_an_entry_is_checked(factory, body, tag, field):
    me = factory.user("Robin")
    with pytest.raises(Invalid) as caught, factory.session():
        journal.write(factory.load(me), body, tag)
    assert caught.value.field == field


def test_the_form_comes_back_with_what_was_typed(factory, client, auth):
    me = factory.user("Robin")
    auth.login_as(me)
    response = client.post("/journal", data={"body": "  ", "tag": "care"})
    assert response.status_code == 422 and "can't be empty" in page_text(response)


def test_the_api_stores_an_offline_entry_once_per_idempotency_key(factory, client, auth):
    me = factory.user("Robin")
    auth.login_as(me)
    for _ in range(3):
        response = client.post(
            "/api/v1/journal",
            json={"body": "Written on the train.", "tag": "feeling"},
            headers={"Idempotency-Key": "k1"},
        )
        assert response.status_code == 201 and response.get_json()["tag"] == "feeling"
    with factory.session():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 1
    other = client.post("/api/v1/journal", json={"body": "Different words."}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert client.post("/api/v1/journal", json={"body": "x", "tag": "nope"}).status_code == 422


# Who may see an entry ---------------------------------------------------------------------


def test_nobody_but_the_author_reaches_an_entry_until_it_is_shared(app, factory):
    pair = factory.pair()
    stranger = factory.user("Stranger")
    secret = f"JOURNAL-{uuid.uuid4().hex}"
    entry = _write(factory, pair.a, f"Only mine {secret}", "vulnerable")
    for person in (pair.b, stranger):
        client = logged_in(app, person)
        for path in (f"/journal/{entry}", f"/journal/shared/{entry}"):
            assert client.get(path).status_code == 404, path
        for path in (f"/journal/{entry}/share", f"/journal/{entry}/delete", f"/journal/{entry}"):
            assert client.post(path, data={"body": "x"}).status_code == 404, path
        assert secret not in client.get("/journal/shared").get_data(as_text=True)
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entry)
    partner = logged_in(app, pair.b)
    assert secret in partner.get(f"/journal/shared/{entry}").get_data(as_text=True)
    assert "How to listen to this" in page_text(partner.get(f"/journal/shared/{entry}"))
    assert logged_in(app, stranger).get(f"/journal/shared/{entry}").status_code == 404
    # Once shared, it stays as it was read.
    with pytest.raises(Conflict), factory.session():
        journal.edit(factory.load(pair.a), entry, "rewritten", None)


def test_a_later_couple_never_sees_an_entry_shared_in_an_earlier_one(app, factory):
    from services.couples import pairing

    pair = factory.pair()
    entry = _write(factory, pair.a, "For Sam only")
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entry)
    with factory.session():
        pairing.leave(factory.load(pair.a))
    newcomer = factory.user("Jo")
    factory.pair(pair.a, newcomer)
    assert logged_in(app, newcomer).get(f"/journal/shared/{entry}").status_code == 404


def test_sharing_with_a_therapist_is_its_own_act_within_an_active_link_and_logged(app, factory):
    pair = factory.pair()
    therapist = factory.user("Dr Lee", role="therapist")
    secret = f"THERAPY-{uuid.uuid4().hex}"
    entry = _write(factory, pair.a, f"For my therapist {secret}")
    link_id = _link(factory, pair, therapist, "progress")
    with pytest.raises(Conflict), factory.session():  # only one partner has consented: not active yet
        journal.share_with_therapist(factory.load(pair.a), entry, link_id)
    with factory.session():
        links.consent(factory.load(pair.b), link_id, "progress")
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entry)  # sharing with the partner is not sharing with them
    doctor = logged_in(app, therapist)
    assert doctor.get(f"/journal/therapist/{link_id}/{entry}").status_code == 404
    with factory.session():
        journal.share_with_therapist(factory.load(pair.a), entry, link_id)
    assert secret in doctor.get(f"/journal/therapist/{link_id}/{entry}").get_data(as_text=True)
    with factory.session():
        logged = db.session.scalars(sa.select(AccessEntry).where(AccessEntry.kind == "journal")).all()
        assert [(e.journal_entry_id, e.couple_id) for e in logged] == [(entry, pair.couple_id)]
    assert "A journal entry you shared with them" in page_text(logged_in(app, pair.b).get("/settings/therapists"))
    # Revoking consent ends it at once.
    with factory.session():
        links.revoke(factory.load(pair.b), link_id)
    assert doctor.get(f"/journal/therapist/{link_id}/{entry}").status_code == 404
    assert secret not in doctor.get(f"/journal/therapist/{link_id}").get_data(as_text=True)


# The leak crawl ---------------------------------------------------------------------------


@pytest.fixture
def planted(app, factory):
    pair = factory.pair()
    stranger = factory.user("Stranger")
    other_pair = factory.pair()
    therapist = factory.user("Dr Rivera", role="therapist")
    canary = f"JCANARY-{uuid.uuid4().hex}"
    entries = [
        _write(factory, pair.a, f"My private entry {canary}", "trigger"),
        _write(factory, pair.a, f"Another {canary} with a question", "question"),
    ]
    with factory.session():
        # A's check-in waits for B: its worry is sealed.
        couple = db.session.get(Couple, pair.couple_id)
        checkins.submit(
            factory.load(pair.a),
            couple,
            {
                "connection": 5,
                "safety": 2,
                "feeling": "raw",
                "worry": f"Worry {canary}",
                "appreciation": "a",
                "need": "n",
            },
        )
    # A reaches out: the line is shared with B (and so is B's to see), and with nobody else.
    line = f"LINE-{uuid.uuid4().hex}"
    with factory.session():
        request_id = reassurance.send(factory.load(pair.a), f"Hard moment {line}").id
    link_id = _link(factory, pair, therapist)
    with app.app_context():
        token = db.session.scalar(sa.select(Invite.token))
    ids = {"instance": pair.first_prompt_id, "reflection": 1, "token": token, "more": (*entries, link_id, request_id)}
    return pair, stranger, other_pair, therapist, (canary, line), ids, entries, link_id


def test_the_journal_and_the_worry_never_reach_anyone_else(app, factory, planted):
    pair, stranger, other_pair, therapist, (canary, line), ids, entries, link_id = planted
    everything = (canary, line)
    partner = logged_in(app, pair.b)
    # The partner's walk must not end or change the therapist link the later walks need.
    keep_therapist = frozenset({"settings.therapist", "settings.revoke", "settings.end_link"})
    crawl(app, partner, ids, canary, participating_ok=False, skip=keep_therapist)
    assert canary not in partner.get("/account/export.json").get_data(as_text=True)
    assert line in partner.get(f"/moments/requests/{ids['more'][-1]}").get_data(as_text=True)  # sent to B
    for person in (stranger, other_pair.a):
        crawl(app, logged_in(app, person), ids, everything, participating_ok=True)
    crawl(app, app.test_client(), ids, everything, participating_ok=True)
    keep_link = frozenset({"therapist.end"})
    for scope in (None, "progress", "conversations"):
        if scope:
            for person in (pair.a, pair.b):
                with factory.session():
                    links.consent(factory.load(person), link_id, scope)
        doctor = logged_in(app, therapist)
        crawl(app, doctor, ids, everything, participating_ok=True, skip=keep_link)
        assert canary not in doctor.get(f"/therapist/couples/{link_id}/export.json").get_data(as_text=True)

    # A shares one entry with B: B (only B) reads it; the other entry stays A's.
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entries[1])
    assert canary in partner.get(f"/journal/shared/{entries[1]}").get_data(as_text=True)
    assert partner.get(f"/journal/shared/{entries[0]}").status_code == 404
    assert "My private entry" not in partner.get("/journal/shared").get_data(as_text=True)
    for person in (stranger, other_pair.a):
        crawl(app, logged_in(app, person), ids, everything, participating_ok=True)
    crawl(app, logged_in(app, therapist), ids, everything, participating_ok=True, skip=keep_link)


# Byte-identical pages for the partner -------------------------------------------------------

PARTNER_PAGES = (
    "/today",
    "/history",
    "/checkin",
    "/checkin/weeks",
    "/checkin/weeks/safety",
    "/checkin/weeks/csi-4",
    "/checkin/weeks/earlier",
    "/couple",
    "/settings",
    "/settings/therapists",
    "/journal",
    "/journal/shared",
)


def _versions(app, couple_id: int, user_id: int) -> tuple[int, int]:
    with app.app_context():
        couple = db.session.get(Couple, couple_id).version
        mine = db.session.scalar(
            sa.select(Membership.version).where(Membership.couple_id == couple_id, Membership.user_id == user_id)
        )
        return couple, mine


def test_the_partners_pages_are_byte_identical_with_0_or_50_entries(app, factory):
    pair = factory.pair()
    moment = datetime(2026, 3, 4, 10, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        partner = logged_in(app, pair.b)
        before = {path: normalised(partner.get(path).get_data(as_text=True)) for path in PARTNER_PAGES}
        before_export = partner.get("/account/export.json").get_json()
        versions_before = _versions(app, pair.couple_id, pair.b.id)
    for n in range(50):
        with time_machine.travel(moment + timedelta(minutes=n), tick=False):
            _write(factory, pair.a, f"Entry {n} " + "long words " * n, ("trigger", "care", None)[n % 3])
    with factory.session():
        first = db.session.scalar(sa.select(JournalEntry.id).order_by(JournalEntry.id))
        journal.edit(factory.load(pair.a), first, "edited", "feeling")
        journal.delete(factory.load(pair.a), first)
    with time_machine.travel(moment, tick=False):
        # The cache the partner's Today page uses moves with neither the couple's nor the partner's version.
        assert _versions(app, pair.couple_id, pair.b.id) == versions_before
        after = {path: normalised(partner.get(path).get_data(as_text=True)) for path in PARTNER_PAGES}
        after_export = partner.get("/account/export.json").get_json()
    for path in PARTNER_PAGES:
        assert after[path] == before[path], path
    before_export.pop("exported_at"), after_export.pop("exported_at")
    assert after_export == before_export


def test_a_therapist_account_has_no_journal(app, factory):
    therapist = factory.user("Dr Lee", role="therapist")
    client = logged_in(app, therapist)
    # As on every partner page: opening it takes a therapist to their dashboard, anything else is a 404.
    assert client.get("/journal").location == "/therapist/"
    assert client.post("/journal", data={"body": "x"}).status_code == 404
    assert client.post("/api/v1/journal", json={"body": "x"}).status_code == 404
    with pytest.raises(NotFound), factory.session():
        journal.write(factory.load(therapist), "x")


def test_my_journal_is_in_my_export_and_goes_with_my_account(app, factory, client, auth):
    from models import ReassuranceRequest
    from services.accounts import data_rights
    from services.moments import reassurance

    pair = factory.pair()
    secret = f"MINE-{uuid.uuid4().hex}"
    _write(factory, pair.a, f"Kept {secret}", "care")
    with factory.session():
        reassurance.send(factory.load(pair.a), f"Line {secret}")
    auth.login_as(pair.a)
    exported = client.get("/account/export.json").get_json()
    assert [e["tag"] for e in exported["journal"]] == ["care"] and secret in exported["journal"][0]["body"]
    assert exported["reassurance_requests"][0]["by"] == "me"
    with factory.session():
        data_rights.delete_account(factory.load(pair.a))
    with factory.session():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReassuranceRequest)) == 0


def test_a_shared_entry_becomes_a_reflect_back_conversation(app, factory):
    pair = factory.pair()
    entry = _write(factory, pair.a, "I froze when you mentioned the trip.", "trigger")
    with factory.session():
        journal.share_with_partner(factory.load(pair.a), entry)
    sam, alex = logged_in(app, pair.b), logged_in(app, pair.a)
    assert sam.post(f"/journal/shared/{entry}/reflect", data={"body": "  "}).status_code == 422
    assert (
        sam.post(f"/journal/shared/{entry}/reflect", data={"body": "It sounds like you felt scared."}).status_code
        == 302
    )
    assert "It sounds like you felt scared." in page_text(alex.get(f"/journal/{entry}"))
    alex.post(f"/journal/{entry}/respond", data={"response": "partly", "addition": "And alone."})
    page = page_text(sam.get(f"/journal/shared/{entry}"))
    assert "And alone." in page and "Try again" in page
    sam.post(f"/journal/shared/{entry}/reflect", data={"body": "Scared, and alone with it."})
    alex.post(f"/journal/{entry}/respond", data={"response": "heard"})
    assert "They feel heard." in page_text(sam.get(f"/journal/shared/{entry}"))
    with pytest.raises(Conflict), factory.session():
        journal.reflect(factory.load(pair.b), entry, "more")
    # Nobody else can reflect on it, or answer for its author.
    stranger = logged_in(app, factory.user("Stranger"))
    assert stranger.post(f"/journal/shared/{entry}/reflect", data={"body": "x"}).status_code == 404
    assert sam.post(f"/journal/{entry}/respond", data={"response": "heard"}).status_code == 404


# After a partner revokes the therapist's link ----------------------------------------------------


def _the_couple_shares_everything(factory, pair, link_id, canary):
    """A journal entry shared with the therapist, a revealed conversation, both check-ins, a repair conversation
    with its first step sent and a reassurance request: each within the conversations scope."""
    entry = _write(factory, pair.a, f"For my therapist {canary}", "trigger")
    with factory.session():
        journal.share_with_therapist(factory.load(pair.a), entry, link_id)
    factory.reveal(pair, f"Alex {canary}", f"Sam {canary}")
    for person, safety in ((pair.a, 3), (pair.b, 8)):
        with factory.session():
            couple = db.session.get(Couple, pair.couple_id)
            values = {"connection": 6, "safety": safety, "feeling": "guarded", "worry": f"Worry {canary}"}
            checkins.submit(factory.load(person), couple, {**values, "appreciation": f"a{canary}", "need": "n"})
    with factory.session():
        cid = conversations.ask(factory.load(pair.a)).id
    with factory.session():
        conversations.accept(factory.load(pair.b), cid)
    with factory.session():
        conversations.send_first(factory.load(pair.a), cid, f"It hurt {canary}")
    with factory.session():
        rid = reassurance.send(factory.load(pair.a), f"Hard {canary}").id
    with factory.session():
        reassurance.reply(factory.load(pair.b), rid, quick=next(iter(reassurance.QUICK_REPLIES)))
    return entry, cid, rid


def _more_happens(factory, pair, cid):
    """The couple goes on without the therapist: a new entry, a reflection in the repair conversation, a request."""
    _write(factory, pair.a, "Later, just for me.", "feeling")
    with factory.session():
        conversations.reflect(factory.load(pair.b), cid, "It sounds like it hurt.")
    with factory.session():
        reassurance.send(factory.load(pair.b), "Another hard moment.")


@pytest.mark.parametrize("who", ["a", "b", "ended"])
def test_after_the_link_is_revoked_the_therapist_sees_nothing_of_what_they_read(app, factory, who):
    """Revoked by either partner (or the link ended): no text, no counts, no dates, on any route or download.

    The therapist's every page after the revoke is byte-identical to the same page before anything was
    shared, and stays so while the couple carries on; a crawl of every route finds none of the canaries.
    """
    pair = factory.pair()
    therapist = factory.user("Dr Rivera", role="therapist")
    link_id = _link(factory, pair, therapist, "conversations", "conversations")
    doctor = logged_in(app, therapist)
    with app.app_context():
        token = db.session.scalar(sa.select(Invite.token))
    fixed = {"instance": pair.first_prompt_id, "reflection": link_id, "token": token, "more": (link_id,)}
    revoker = pair.a if who == "a" else pair.b

    def revoke():
        with factory.session():
            if who == "ended":
                links.end_link(factory.load(pair.a), link_id)
            else:
                links.revoke(factory.load(revoker), link_id)

    def pages():
        return snapshot(app, doctor, fixed)

    if who != "ended":  # what a revoked link shows before anything was shared
        revoke()
        before_anything = pages()
        with factory.session():
            links.consent(factory.load(revoker), link_id, "conversations")

    canary = f"AFTER-{uuid.uuid4().hex}"
    entry, cid, rid = _the_couple_shares_everything(factory, pair, link_id, canary)
    # Within the scope the therapist reads each of them, so each canary is real.
    reads = (
        f"/journal/therapist/{link_id}/{entry}",
        f"/therapist/couples/{link_id}/conversations/{pair.first_prompt_id}",
        f"/therapist/couples/{link_id}/repair",
        f"/therapist/couples/{link_id}/export.json",
    )
    for path in reads:
        assert canary in doctor.get(path).get_data(as_text=True), path
    exported = doctor.get(f"/therapist/couples/{link_id}/export.json").get_json()
    assert any(week["safety"] for series in exported["checkins"] for week in series["weeks"])
    assert any(week["sent"] for week in exported["reassurance_requests_per_week"])

    revoke()
    after = pages()
    # Still signed in: the dashboard (and, while the link lives, the couple's page) are there to compare.
    assert after["/therapist/"][0] == 200
    assert after[f"/therapist/couples/{link_id}"][0] == (404 if who == "ended" else 200)
    if who != "ended":
        assert after == before_anything, [p for p in after if after[p] != before_anything.get(p)]
    for path in reads:
        assert doctor.get(path).status_code == 404, path
    _more_happens(factory, pair, cid)
    later = pages()
    assert later == after, [p for p in later if later[p] != after.get(p)]
    # Last, as it may sign the therapist out: every route and method, aimed at what was shared.
    ids = {**fixed, "more": (link_id, entry, cid, rid)}
    crawl(app, doctor, ids, canary, participating_ok=True, skip=frozenset({"therapist.end"}))
