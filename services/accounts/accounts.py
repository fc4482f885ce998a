"""Registration, login sessions, password changes and resets.

Registration starts with an email address only and continues from a link
sent to it, so the answer on screen is the same whether or not an account
already exists (nobody can learn who uses Attune by trying addresses).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from extensions import db
from models import ROLE_PARTNER, ROLE_THERAPIST, LoginSession, User, utcnow
from services.accounts import passwords
from services.accounts.mail import queue_mail, queue_nothing
from services.common.errors import Invalid
from services.common.redirects import local_path
from services.therapist.links import check_practice

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
REGISTRATION_LINK_AGE = 2 * 24 * 3600
RESET_LINK_AGE = 3600
DISPLAY_NAME_MAX = 60
SESSION_TOUCH_INTERVAL = timedelta(minutes=10)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise Invalid("Enter an email address like name@example.com.", field="email")
    return email


def check_display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("Enter the name your partner knows you by.", field="display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise Invalid(f"Keep your name to {DISPLAY_NAME_MAX} characters.", field="display_name")
    return name


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _hash_profile() -> str:
    return current_app.config["PASSWORD_HASH_PROFILE"]


# Registration -----------------------------------------------------------------


def start_registration(
    email: str, *, role: str = ROLE_PARTNER, next_path: str | None = None, invite: str | None = None
) -> None:
    """Queue a link to finish registering, or a notice that the address already has an account.

    Either way the same work: one lookup, one token, one row in the mail outbox (SECURITY.md TIMING).
    invite is the token of an invite link being followed, carried inside the registration link so the
    invite is waiting in whichever browser opens it.
    """
    email = check_email(email)
    if role not in (ROLE_PARTNER, ROLE_THERAPIST):
        raise Invalid("Choose partner or therapist.", field="role")
    exists = db.session.scalar(sa.select(User.id).where(User.email == email)) is not None
    claim = {"email": email, "role": role, "next": local_path(next_path)}
    if invite:
        claim["invite"] = invite
    token = _serializer("register").dumps(claim)
    if exists:
        queue_mail(
            email,
            "Your Attune account",
            "Someone (hopefully you) tried to create an Attune account with this address,\n"
            "but you already have one. Log in here:\n\n"
            f"{url_for('auth.login', _external=True)}\n\n"
            "Forgotten your password? Reset it here:\n\n"
            f"{url_for('auth.forgot_password', _external=True)}\n\n"
            "If this wasn't you, you can ignore this email.\n",
        )
        return
    queue_mail(
        email,
        "Finish creating your Attune account",
        "Welcome to Attune. Open this link to choose your name and password:\n\n"
        f"{url_for('auth.registration_link', token=token, _external=True)}\n\n"
        "The link works for two days. If you didn't ask for it, ignore this email.\n",
    )


@dataclass(frozen=True)
class RegistrationClaim:
    email: str
    role: str
    next_path: str | None
    invite: str | None = None


def read_registration_token(token: str | None) -> RegistrationClaim:
    if not token:
        raise Invalid("Open the link in your email again to finish creating your account.")
    try:
        data = _serializer("register").loads(token, max_age=REGISTRATION_LINK_AGE)
    except SignatureExpired:
        raise Invalid("This link has expired. Start again and we'll send a new one.")
    except BadSignature:
        raise Invalid("This link isn't valid. Check you copied all of it, or start again.")
    invite = data.get("invite") if isinstance(data.get("invite"), str) else None
    return RegistrationClaim(data["email"], data.get("role", ROLE_PARTNER), local_path(data.get("next")), invite)


def create_account(
    claim: RegistrationClaim, display_name: str, password: str, practice_name: str | None = None
) -> User:
    """Create the account a registration link promised; refuses if it already exists."""
    display_name = check_display_name(display_name)
    practice = check_practice(practice_name) if claim.role == ROLE_THERAPIST else None
    passwords.check_new_password(password, email=claim.email, display_name=display_name)
    if db.session.scalar(sa.select(User.id).where(User.email == claim.email)) is not None:
        raise Invalid("This link has already been used. Log in instead.")
    user = User(
        email=claim.email,
        display_name=display_name,
        role=claim.role,
        practice_name=practice,
        password_hash=passwords.hash_password(password, _hash_profile()),
    )
    db.session.add(user)
    db.session.flush()
    return user


# Login sessions ----------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> User | None:
    """The user these credentials belong to, or None; takes the same time either way."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    profile = _hash_profile()
    if user is None:
        passwords.verify_password(passwords.dummy_hash(profile), password, profile)
        return None
    ok, new_hash = passwords.verify_password(user.password_hash, password, profile)
    if not ok:
        return None
    if new_hash:
        user.password_hash = new_hash
    return user


def begin_login_session(user: User) -> LoginSession:
    """A new server-side session for user; its token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(id=_token_digest(token), user=user, created_at=now, authenticated_at=now, last_seen_at=now)
    row.token = token
    db.session.add(row)
    user.login_session = row
    return row


def end_login_session(user: User) -> None:
    if user.login_session is not None:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id == user.login_session.id))


def end_all_sessions(user: User, *, keep_current: bool = False) -> None:
    statement = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_current and user.login_session is not None:
        statement = statement.where(LoginSession.id != user.login_session.id)
    db.session.execute(statement)


def is_fresh(user: User, now: datetime | None = None) -> bool:
    """Whether this login proved the password recently enough for a sensitive change."""
    row = user.login_session
    return row is not None and (now or utcnow()) - row.authenticated_at <= current_app.config["FRESH_LOGIN_WINDOW"]


def confirm_password(user: User, password: str) -> None:
    """Re-check the password for a sensitive action, marking this login fresh when it matches."""
    ok, new_hash = passwords.verify_password(user.password_hash, password, _hash_profile())
    if not ok:
        raise Invalid("That isn't your password.", field="password")
    if new_hash:
        user.password_hash = new_hash
    if user.login_session is not None:
        user.login_session.authenticated_at = utcnow()


# Passwords ---------------------------------------------------------------------


def change_password(user: User, current: str, new: str) -> None:
    """Change a password, which needs the current one and ends every other login."""
    ok, _ = passwords.verify_password(user.password_hash, current, _hash_profile())
    if not ok:
        raise Invalid("That isn't your current password.", field="current_password")
    passwords.check_new_password(new, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(new, _hash_profile())
    end_all_sessions(user, keep_current=True)


# Stands in for an account's hash when the address has none, so both cases derive a token alike.
_NO_ACCOUNT_HASH = "$argon2id$v=19$m=19456,t=2,p=1$no-such-account$" + "0" * 43
RESET_SUBJECT = "Reset your Attune password"


def _reset_fingerprint(password_hash: str) -> str:
    # Ties a reset link to the current hash, so it stops working once used.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def start_password_reset(email: str) -> None:
    """Queue a reset link when the account exists; the caller shows the same message either way.

    Both cases do the same work (one lookup of plain columns, one signed token, one body, one
    outbox row of the same size), and no mail server is contacted inside the request
    (SECURITY.md ENUM, TIMING; bench/reset_timing.py measures it).
    """
    email = normalise_email(email)
    user = db.session.execute(sa.select(User.id, User.password_hash).where(User.email == email)).first()
    user_id, password_hash = (user.id, user.password_hash) if user else (0, _NO_ACCOUNT_HASH)
    token = _serializer("reset").dumps({"user": user_id, "fp": _reset_fingerprint(password_hash)})
    body = (
        "Open this link to choose a new password. It works for one hour, once:\n\n"
        f"{url_for('auth.reset_link', token=token, _external=True)}\n\n"
        "If you didn't ask for this, ignore this email; your password stays as it is.\n"
    )
    if user is None:
        queue_nothing(RESET_SUBJECT, body)
    else:
        queue_mail(email, RESET_SUBJECT, body)


def read_reset_token(token: str | None) -> User:
    if not token:
        raise Invalid("Open the reset link in your email again, or ask for a new one.")
    try:
        data = _serializer("reset").loads(token, max_age=RESET_LINK_AGE)
    except (BadSignature, SignatureExpired):
        raise Invalid("This reset link has expired or isn't valid. Ask for a new one.")
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("fp") != _reset_fingerprint(user.password_hash):
        raise Invalid("This reset link has already been used. Ask for a new one.")
    return user


def reset_password(user: User, new: str) -> None:
    passwords.check_new_password(new, email=user.email, display_name=user.display_name)
    user.password_hash = passwords.hash_password(new, _hash_profile())
    end_all_sessions(user)
