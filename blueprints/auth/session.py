"""Binding Flask-Login to server-side login sessions."""

from __future__ import annotations

import functools
import hashlib

import sqlalchemy as sa
from flask import abort, current_app, redirect, request, session, url_for
from flask_login import login_user
from sqlalchemy.orm import make_transient_to_detached

from blueprints import link_tokens
from blueprints.auth import known_device
from extensions import db
from models import Couple, LoginSession, Membership, User, utcnow
from services.accounts import accounts

# What every logged-in request loads, in this order: the login, its person, their active membership, its couple.
_LOADED = (LoginSession, User, Membership, Couple)


@functools.cache
def _statement():
    """One joined select of every column of the four rows, built once (building costs more than running it).

    The active membership is the one User.active_membership defines, so it is said in one place.
    """
    columns, keys = [], []
    for model in _LOADED:
        mapper = sa.inspect(model)
        attrs = mapper.column_attrs
        (primary,) = (a.key for a in attrs if a.columns[0] in mapper.primary_key)
        names = [a.key for a in attrs]
        keys.append((model, names, names.index(primary), len(columns), len(columns) + len(attrs)))
        columns += [a.columns[0] for a in attrs]
    login, user, membership, couple = (model.__table__ for model in _LOADED)
    joined = (
        login.join(user, user.c.id == login.c.user_id)
        .outerjoin(membership, User.active_membership.property.primaryjoin)
        .outerjoin(couple, couple.c.id == membership.c.couple_id)
    )
    statement = sa.select(*columns).select_from(joined).where(login.c.id == sa.bindparam("digest"))
    return statement, keys


@functools.cache
def _driver_statement(dialect) -> tuple[str, tuple[str, ...] | None, list]:
    """The statement as this database's driver takes it, and each column's result processor.

    The login is read on every request. Through a SQLAlchemy Connection, which builds the statement's
    cache key and an execution context each time, loading it (with the session's teardown) took 250 µs;
    on the cursor of the session's own connection, with the SQL compiled once and the processors
    SQLAlchemy would apply (tests/test_accounts.py checks the values match), 200 µs. The scheduler's bulk
    statements go to the driver likewise (services/common/bulk.py).
    """
    statement, _ = _statement()
    compiled = statement.compile(dialect=dialect)
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in statement.selected_columns]
    return compiled.string, compiled.positiontup if compiled.positional else None, processors


def _login_row(digest: str) -> list | None:
    """The login with its person, active membership and couple, as one row of Python values (or None)."""
    connection = db.session.connection()
    sql, positions, processors = _driver_statement(connection.dialect)
    params = {"digest": digest}
    cursor = connection.connection.cursor()
    try:
        # SQLAlchemy's own path for a statement on a bare cursor (it runs sequences and defaults this
        # way): cursor events (the query counts, tracing), echo, and its handling of a dropped connection.
        connection._cursor_execute(
            cursor, sql, tuple(params[name] for name in positions) if positions is not None else params
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None
    return [value if process is None else process(value) for value, process in zip(row, processors, strict=True)]


def _persistent(model, names: list[str], primary: int, values, relationships: dict, *, attach: bool):
    """The session's object for this row: the one it already holds, or one made from the row without a query.

    Made objects are as the ORM would load them (committed values, nothing pending), so changing one
    in a request is flushed and committed as usual. Only the objects that other made ones do not
    point at are attached: adding one cascades along its relationships to the rest, and attaching
    each separately cost a fifth of the whole login.
    """
    mapper = sa.inspect(model)
    held = db.session.identity_map.get(mapper.identity_key_from_primary_key((values[primary],)))
    if held is not None:
        return held
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(zip(names, values, strict=True))
    instance.__dict__.update(relationships)
    make_transient_to_detached(instance)
    if attach:
        db.session.add(instance)
    return instance


def load_user(token: str) -> User | None:
    """Flask-Login's loader: the cookie holds a login-session token, checked against the database.

    One statement per request reads the login with its user, active membership and couple, so ending
    a login (logout, a password change, deletion) takes effect on the very next request everywhere;
    a login past its idle or absolute limit is deleted here.
    """
    if not token or len(token) > 100:
        return None
    _, keys = _statement()
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = _login_row(digest)
    if row is None:
        return None
    (_, login_names, _, start, end), *_ = keys
    login = dict(zip(login_names, row[start:end], strict=True))
    now = utcnow()
    config = current_app.config
    if (
        now - login["created_at"] > config["PERMANENT_SESSION_LIFETIME"]
        or now - login["last_seen_at"] > config["SESSION_IDLE_TIMEOUT"]
    ):
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id == digest))
        db.session.commit()
        return None
    # Refreshing the idle clock only every few minutes keeps most reads from writing.
    touched = now - login["last_seen_at"] > accounts.SESSION_TOUCH_INTERVAL
    if touched:
        db.session.execute(sa.update(LoginSession).where(LoginSession.id == digest).values(last_seen_at=now))
        db.session.commit()
        login["last_seen_at"] = now
    # Made from the last to the first, as each points at the next: couple, membership, user, login.
    made: dict[type, object] = {}
    pointers = {Membership: ("couple", Couple), User: ("active_membership", Membership), LoginSession: ("user", User)}
    # The login cascades to its user, the membership to its couple; User.active_membership is view-only
    # (it doesn't cascade), so the membership is attached itself.
    attached = (LoginSession, Membership)
    for model, names, primary, start, end in reversed(keys):
        values = list(login.values()) if model is LoginSession else row[start:end]
        if values[primary] is None:  # no active membership (and so no couple)
            made[model] = None
            continue
        relationships = {pointers[model][0]: made[pointers[model][1]]} if model in pointers else {}
        made[model] = _persistent(model, names, primary, values, relationships, attach=model in attached)
    login_session = made[LoginSession]
    login_session.token = token
    user = made[User]
    user.login_session = login_session
    return user


def log_in(user: User) -> None:
    """Start a brand-new session for user (never reusing one from before the login), on a now-known device.

    Only an invite being followed survives the reset, so logging in from an invite page leads back to it.
    """
    invite = link_tokens.held("invite")
    session.clear()
    if invite is not None:
        link_tokens.hold("invite", invite)
    accounts.begin_login_session(user)
    db.session.commit()
    session.permanent = True
    login_user(user)
    known_device.remember(user)


def unauthorized():
    """Not logged in: 401 JSON for the API, the login page (coming back here after) for people."""
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
