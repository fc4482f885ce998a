"""A person's rights over their data: a copy of it (export) and its erasure (account deletion).

The export holds what the person wrote, and what their partner wrote only
where the person has already seen it: answers after the reveal, check-ins
for weeks both of them answered. Nothing sealed, and no secrets (password
hash, tokens, session ids, push endpoints or keys).

Deletion removes everything the person wrote, and everything that quotes
their side (reflections on their answers); the prompts the couple received
stay, so the partner keeps their own answers with the other side shown as
removed. Every foreign key to users also cascades or sets null in the
database, so a row written concurrently can't keep the account alive.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from extensions import db
from models import (
    AccessEntry,
    Answer,
    Assignment,
    AssignmentAnswer,
    CheckIn,
    Consent,
    Couple,
    Invite,
    LoginSession,
    Membership,
    PromptInstance,
    PushMessage,
    PushSubscription,
    Reflection,
    RequestKey,
    TherapistLink,
    TherapistNote,
    User,
    utcnow,
)
from services import access
from services.access import checkins as checkin_access
from services.couples import intake, pairing, versions
from services.journal import data as journal_data
from services.notifications import notify
from services.repair import data as repair_data

EXPORT_FORMAT = "attune-export/1"


def _iso(moment: datetime | date | time | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, time):
        return moment.strftime("%H:%M")
    return moment.isoformat()


# Export --------------------------------------------------------------------------


def export(user: User) -> dict[str, Any]:
    """Everything Attune holds that this person wrote or may read, as JSON-ready data."""
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "account": _account(user),
        "couples": _couples(user),
        "push_devices": [
            {"label": label, "created_at": _iso(created_at)}
            for label, created_at in db.session.execute(
                sa.select(PushSubscription.label, PushSubscription.created_at)
                .where(PushSubscription.user_id == user.id)
                .order_by(PushSubscription.id)
            )
        ],
    }
    data["journal"] = journal_data.export_journal(user)  # my own entries: in no one else's export
    data["journal_shared_with_me"] = journal_data.export_shared_with_me(user)
    data["reassurance_requests"] = journal_data.export_reassurance(user)
    own_intake = intake.export(user)  # the person's own first-run answers: in no one else's export
    if own_intake is not None:
        data["intake"] = own_intake
    if user.ease_until is not None:  # my own quieter ceiling after a hard moment: in no one else's export
        data["lighter_for_now"] = {"from": _iso(user.ease_from), "until": _iso(user.ease_until)}
    # My own private answers to a therapist's deeper suggestion: in no one else's export, nor the therapist's.
    answers = db.session.execute(
        sa.select(AssignmentAnswer.assignment_id, AssignmentAnswer.ready, AssignmentAnswer.answered_at)
        .where(AssignmentAnswer.user_id == user.id)
        .order_by(AssignmentAnswer.assignment_id)
    ).all()
    if answers:
        data["suggestion_answers"] = [
            {"assignment": assignment_id, "ready": ready, "answered_at": _iso(at)}
            for assignment_id, ready, at in answers
        ]
    if user.is_therapist:
        data["therapist"] = _therapist(user)
    return data


def _account(user: User) -> dict[str, Any]:
    quiet = (
        {"start": _iso(user.quiet_start), "end": _iso(user.quiet_end)} if user.quiet_start and user.quiet_end else None
    )
    account = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "created_at": _iso(user.created_at),
        "timezone": user.timezone,
        "max_depth": user.max_depth,
        "notifications": {
            **{switch.removeprefix("notify_"): getattr(user, switch) for switch in notify.SWITCHES},
            "discreet": user.discreet,
            "allow_urgent_reassurance": user.allow_urgent_reassurance,
            "quiet_hours": quiet,
        },
    }
    if user.is_therapist:
        account["practice_name"] = user.practice_name
    return account


def _answer(answer: Answer | None, *, mine: bool) -> dict[str, Any] | None:
    if answer is None:
        return None
    if not mine:
        # When the partner last edited before the reveal was never theirs to show; the words and the day are.
        return {"body": answer.body, "created_at": _iso(answer.created_at)}
    return {"body": answer.body, "created_at": _iso(answer.created_at), "updated_at": _iso(answer.updated_at)}


def _couples(user: User) -> list[dict[str, Any]]:
    memberships = list(
        db.session.scalars(sa.select(Membership).where(Membership.user_id == user.id).order_by(Membership.joined_at))
    )
    if not memberships:
        return []
    couple_ids = [m.couple_id for m in memberships]
    partners = {
        couple_id: name
        for couple_id, name in db.session.execute(
            sa.select(Membership.couple_id, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.couple_id.in_(couple_ids), Membership.user_id != user.id)
        )
    }
    instances = list(
        db.session.scalars(
            sa.select(PromptInstance)
            .where(PromptInstance.couple_id.in_(couple_ids))
            .order_by(PromptInstance.slot_at, PromptInstance.id)
        )
    )
    answers: dict[int, list[Answer]] = defaultdict(list)
    reflections: dict[int, list[Reflection]] = defaultdict(list)
    if instances:
        instance_ids = [i.id for i in instances]
        for answer in db.session.scalars(sa.select(Answer).where(Answer.instance_id.in_(instance_ids))):
            answers[answer.instance_id].append(answer)
        revealed_ids = [i.id for i in instances if access.is_revealed(i)]
        if revealed_ids:
            for reflection in db.session.scalars(
                sa.select(Reflection).where(Reflection.instance_id.in_(revealed_ids)).order_by(Reflection.id)
            ):
                reflections[reflection.instance_id].append(reflection)
    prompts_by_couple: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for instance in instances:
        prompts_by_couple[instance.couple_id].append(
            _prompt(user, instance, answers[instance.id], reflections[instance.id])
        )
    checkins = _checkins(user, couple_ids)
    repair = repair_data.export(user, couple_ids)
    access_log = _access_log(couple_ids)
    couples = {c.id: c for c in db.session.scalars(sa.select(Couple).where(Couple.id.in_(couple_ids)))}
    return [
        {
            "started_at": _iso(couples[m.couple_id].created_at),
            "ended_at": _iso(couples[m.couple_id].ended_at),
            "joined_at": _iso(m.joined_at),
            "left_at": _iso(m.left_at),
            "partner": {"display_name": partners[m.couple_id]} if m.couple_id in partners else None,
            "prompts": prompts_by_couple[m.couple_id],
            "checkins": checkins[m.couple_id],
            "therapist_access_log": access_log[m.couple_id],
            "repair": repair[m.couple_id],
        }
        for m in memberships
    ]


def _prompt(
    user: User, instance: PromptInstance, answers: list[Answer], reflections: list[Reflection]
) -> dict[str, Any]:
    sealed = access.answers_for(user, instance, answers)
    return {
        "text": instance.text,
        "follow_up": instance.follow_up,
        "source": instance.source,
        "therapist_note": instance.note,
        "delivered_at": _iso(instance.delivered_at),
        "revealed_at": _iso(instance.revealed_at),
        "set_aside_at": _iso(instance.set_aside_at),
        "completed_at": _iso(instance.completed_at),
        "my_answer": _answer(sealed.mine, mine=True),
        "partner_answer": _answer(sealed.partner, mine=False),
        "reflections": [_reflection(user, r) for r in reflections] if sealed.revealed else [],
    }


def _reflection(user: User, reflection: Reflection) -> dict[str, Any]:
    listener = "me" if reflection.listener_id == user.id else "partner"
    return {
        "by": listener,
        "round": reflection.round,
        "body": reflection.body,
        "created_at": _iso(reflection.created_at),
        # The speaker's answer to the reflection: "heard", or "partly" with what they'd add.
        "response_by": "partner" if listener == "me" else "me",
        "response": reflection.response,
        "addition": reflection.addition,
        "responded_at": _iso(reflection.responded_at),
    }


def _checkins(user: User, couple_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """My check-ins, and my partner's of the weeks both of us answered, sealed as on the check-in page."""
    weeks: dict[tuple[int, date], list[CheckIn]] = defaultdict(list)
    for c in db.session.scalars(
        sa.select(CheckIn).where(CheckIn.couple_id.in_(couple_ids)).order_by(CheckIn.week, CheckIn.id)
    ):
        weeks[c.couple_id, c.week].append(c)
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (couple_id, week), rows in weeks.items():
        sealed = checkin_access.seal_week(user, week, rows)
        for c in rows:
            mine = c.user_id == user.id
            entry = sealed.mine if mine else sealed.partner
            if entry is not None:
                result[couple_id].append(_checkin(week, entry, mine))
    return result


def _checkin(week: date, entry: checkin_access.Entry, mine: bool) -> dict[str, Any]:
    row = {
        "week": _iso(week),
        "by": "me" if mine else "partner",
        "connection": entry.connection,
        "feeling": entry.feeling,
        "worry": entry.worry,
        "appreciation": entry.appreciation,
        "need": entry.need,
        "created_at": _iso(entry.created_at),
    }
    # The safety score and the CSI-4 are their person's own: the sealed entry of a partner carries neither (the
    # CSI-4's total only if its person chose to share it).
    if mine:
        row["safety"] = entry.safety
        row["csi4"] = _csi(entry) if entry.csi_total is not None else None
    elif entry.csi_shared:
        row["csi4"] = {"total": entry.csi_total}
    return row


def _csi(entry: checkin_access.Entry) -> dict[str, Any]:
    items = {name.removeprefix("csi_"): value for name, value in zip(checkin_access.CSI_ITEMS, entry.csi, strict=True)}
    return items | {"total": entry.csi_total, "shared": entry.csi_shared}


def _access_log(couple_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for couple_id, name, kind, created_at in db.session.execute(
        sa.select(AccessEntry.couple_id, AccessEntry.therapist_name, AccessEntry.kind, AccessEntry.created_at)
        .where(AccessEntry.couple_id.in_(couple_ids))
        .order_by(AccessEntry.id)
    ):
        result[couple_id].append({"therapist_name": name, "kind": kind, "created_at": _iso(created_at)})
    return result


def _therapist(user: User) -> dict[str, Any]:
    """A therapist's own writing: private notes and the prompts they set."""
    return {
        "notes": [
            {"body": body, "created_at": _iso(created_at)}
            for body, created_at in db.session.execute(
                sa.select(TherapistNote.body, TherapistNote.created_at)
                .where(TherapistNote.therapist_id == user.id)
                .order_by(TherapistNote.id)
            )
        ],
        "assignments": [
            {"prompt_id": prompt_id, "text": text, "note": note, "created_at": _iso(created_at)}
            for prompt_id, text, note, created_at in db.session.execute(
                sa.select(Assignment.prompt_id, Assignment.text, Assignment.note, Assignment.created_at)
                .join(TherapistLink, TherapistLink.id == Assignment.link_id)
                .where(TherapistLink.therapist_id == user.id)
                .order_by(Assignment.id)
            )
        ],
    }


# Deletion ------------------------------------------------------------------------


def delete_account(user: User) -> None:
    """Erase the account and everything written under it; the caller commits, then logs out.

    An active couple ends first, as if the person had left it. The partner
    keeps the couple's prompts and their own answers; the other side reads
    as removed.
    """
    if pairing.active_membership(user) is not None:
        pairing.leave(user)
    uid = user.id
    couple_ids = set(db.session.scalars(sa.select(Membership.couple_id).where(Membership.user_id == uid)))
    link_ids = list(db.session.scalars(sa.select(TherapistLink.id).where(TherapistLink.therapist_id == uid)))
    couple_ids |= set(db.session.scalars(sa.select(TherapistLink.couple_id).where(TherapistLink.id.in_(link_ids))))

    def delete(model, *conditions) -> None:
        db.session.execute(sa.delete(model).where(*conditions).execution_options(synchronize_session=False))

    def clear(model, column) -> None:
        db.session.execute(
            sa.update(model)
            .where(column == uid)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )

    # What they wrote, and reflections that quote their answers.
    delete(RequestKey, RequestKey.user_id == uid)
    delete(Reflection, sa.or_(Reflection.listener_id == uid, Reflection.speaker_id == uid))
    delete(Answer, Answer.user_id == uid)
    delete(CheckIn, CheckIn.user_id == uid)
    repair_data.delete(uid)
    journal_data.delete(uid)
    # Devices and logins.
    subscriptions = sa.select(PushSubscription.id).where(PushSubscription.user_id == uid).scalar_subquery()
    delete(PushMessage, PushMessage.subscription_id.in_(subscriptions))
    delete(PushSubscription, PushSubscription.user_id == uid)
    delete(LoginSession, LoginSession.user_id == uid)
    # Consent they gave; as a therapist, their links, notes and assignments (the access log stays, with their name).
    delete(Consent, sa.or_(Consent.user_id == uid, Consent.link_id.in_(link_ids)))
    delete(Assignment, Assignment.link_id.in_(link_ids))
    delete(TherapistNote, TherapistNote.therapist_id == uid)
    delete(TherapistLink, TherapistLink.id.in_(link_ids))
    clear(AccessEntry, AccessEntry.therapist_id)
    clear(TherapistLink, TherapistLink.created_by_id)
    # Pairing traces.
    delete(Invite, Invite.created_by_id == uid)
    clear(Invite, Invite.used_by_id)
    clear(PromptInstance, PromptInstance.set_aside_by_id)
    delete(Membership, Membership.user_id == uid)
    for couple_id in sorted(couple_ids):
        versions.couple_changed(couple_id)
    db.session.execute(sa.delete(User).where(User.id == uid))
