"""Creating a couple, inviting a partner with a link or a short code, joining, and leaving."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Couple, Invite, Membership, User, utcnow
from services.common.codes import looks_like_code, new_code, normalise_code
from services.common.errors import Conflict, Invalid, NotFound
from services.couples import versions
from services.delivery import delivery


def active_membership(user: User) -> Membership | None:
    return db.session.scalar(Membership.active_of(user.id))


def _require_partner(user: User) -> None:
    if not user.is_partner:
        raise Conflict("Therapist accounts can't be part of a couple.")


def create_couple(user: User, timezone: str = "UTC") -> Invite:
    """Start a couple with user in it and return the invite for their partner."""
    _require_partner(user)
    if active_membership(user) is not None:
        raise Conflict("You're already in a couple. Leave it first to start another.")
    couple = Couple(timezone=timezone)
    db.session.add(couple)
    db.session.flush()
    db.session.add(Membership(couple_id=couple.id, user_id=user.id, seat=1))
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("You're already in a couple. Leave it first to start another.")
    return new_invite(user)


def new_invite(user: User) -> Invite:
    """A fresh invite for user's waiting couple; any earlier unused invite stops working."""
    membership = active_membership(user)
    if membership is None:
        raise NotFound("Start a couple first.")
    if _member_count(membership.couple_id) >= 2:
        raise Conflict("Your partner has already joined.")
    now = utcnow()
    db.session.execute(
        sa.update(Invite)
        .where(Invite.couple_id == membership.couple_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    invite = Invite(
        couple_id=membership.couple_id,
        created_by_id=user.id,
        token=secrets.token_urlsafe(24),
        code=new_code(),
        created_at=now,
        expires_at=now + current_app.config["INVITE_LIFETIME"],
    )
    db.session.add(invite)
    db.session.flush()
    return invite


def current_invite(couple_id: int) -> Invite | None:
    return db.session.scalar(
        sa.select(Invite)
        .where(
            Invite.couple_id == couple_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > utcnow(),
        )
        .order_by(Invite.created_at.desc())
        .limit(1)
    )


def _member_count(couple_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.couple_id == couple_id)
    )


def find_invite(*, token: str | None = None, code: str | None = None, lock: bool = False) -> Invite:
    """The invite behind a link token or a typed code, with a clear error when it can't be used."""
    if token is not None:
        condition = Invite.token == token
    else:
        normalised = normalise_code(code or "")
        if not looks_like_code(normalised):
            raise Invalid(
                "That code doesn't look right. Codes have 8 letters and numbers, like ABCD-2345.", field="code"
            )
        condition = Invite.code == normalised
    statement = sa.select(Invite).where(condition)
    if lock:
        statement = statement.with_for_update(of=Invite)
    invite = db.session.scalar(statement)
    if invite is None:
        raise NotFound("We couldn't find that invite. Check the code with your partner.")
    if invite.used_at is not None or invite.couple.ended_at is not None:
        raise Conflict("This invite has already been used. Ask your partner for a new one.")
    if invite.revoked_at is not None:
        raise Conflict("This invite was replaced by a newer one. Ask your partner for the latest.")
    if invite.expires_at <= utcnow():
        raise Conflict("This invite has expired. Ask your partner to make a new one.")
    return invite


def join(user: User, *, token: str | None = None, code: str | None = None) -> Couple:
    """Join the couple behind an invite, which completes the pair and delivers the first prompt."""
    _require_partner(user)
    invite = find_invite(token=token, code=code, lock=True)
    if invite.created_by_id == user.id:
        raise Conflict("This is your own invite. Send it to your partner.")
    if active_membership(user) is not None:
        raise Conflict("You're already in a couple. Leave it first to join another.")
    now = utcnow()
    invite.used_at = now
    invite.used_by_id = user.id
    db.session.add(Membership(couple_id=invite.couple_id, user_id=user.id, seat=2, joined_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("This invite has already been used. Ask your partner for a new one.")
    couple = invite.couple
    delivery.start_schedule(couple, now)
    versions.couple_changed(couple.id)
    return couple


def leave(user: User) -> Couple:
    """Unpair: the couple ends for both; revealed history stays readable to each."""
    membership = active_membership(user)
    if membership is None:
        raise NotFound("You're not in a couple.")
    couple = membership.couple
    now = utcnow()
    couple.ended_at = now
    couple.next_delivery_at = None
    db.session.execute(sa.update(Membership).where(Membership.current_in(couple.id)).values(left_at=now))
    db.session.execute(
        sa.update(Invite).where(Invite.couple_id == couple.id, Invite.used_at.is_(None)).values(revoked_at=now)
    )
    versions.couple_changed(couple.id)
    return couple
