"""Repair work in the export (what the person may read, never the partner's unsent words) and in account deletion."""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import Commitment, CommitmentMoment, RepairConversation, RepairTurn
from services.accounts import data_rights
from services.repair import commitments, conversations
from services.repair import data as repair_data


def _world(factory):
    pair = factory.pair()
    with factory.session():
        cid = conversations.ask(factory.load(pair.a), topic="TOPIC-SEALED").id
    with factory.session():
        conversations.accept(factory.load(pair.b), cid)
    with factory.session():
        conversations.save_draft(factory.load(pair.a), cid, "DRAFT-SEALED")
    with factory.session():
        kid = commitments.make(factory.load(pair.b), "B's commitment").id
    with factory.session():
        commitments.add_moment(factory.load(pair.b), kid, "did", note="B did it")
    with factory.session():
        commitments.add_moment(factory.load(pair.a), kid, "noticed", note="A noticed")
    return pair, cid, kid


def _export(factory, person):
    with factory.session():
        return data_rights.export(factory.load(person))["couples"][0]["repair"]


def test_export_holds_my_draft_but_never_my_partners(factory):
    pair, cid, kid = _world(factory)
    mine = _export(factory, pair.a)
    assert mine["conversations"][0]["topic"] == "TOPIC-SEALED"
    assert [s["body"] for s in mine["conversations"][0]["steps"]] == ["DRAFT-SEALED"]
    theirs = _export(factory, pair.b)
    assert "SEALED" not in str(theirs)
    assert theirs["conversations"][0]["steps"] == [] and theirs["conversations"][0]["i_was"] == "listener"
    assert theirs["commitments"][0]["by"] == "me"
    assert [(m["kind"], m["by"], m["note"]) for m in theirs["commitments"][0]["moments"]] == [
        ("did", "me", "B did it"),
        ("noticed", "partner", "A noticed"),
    ]


def test_deletion_takes_my_repair_work_and_leaves_my_partners_commitments(factory, app):
    pair, cid, kid = _world(factory)
    with factory.session():
        repair_data.delete(pair.a.id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairConversation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairTurn)) == 0
        assert db.session.scalars(sa.select(Commitment.text)).all() == ["B's commitment"]
        assert db.session.scalars(sa.select(CommitmentMoment.note)).all() == ["B did it"]
    with factory.session():
        repair_data.delete(pair.b.id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 0
