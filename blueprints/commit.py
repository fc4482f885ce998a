"""The one place a request's changes are committed.

Services only flush; a page route hands its service call to `committed`, and
the JSON API's write operations are wrapped in `commits` once, where they are
declared (blueprints/api/routes.py `operation`). Both commit once when the
service went through and keep nothing when it did not: the session is rolled
back, here for a refusal shown beside a form, or by the error handlers for
anything else. The login's own bookkeeping (blueprints/auth/session.py) and the
jobs (database.commit_batch) are the only other commits; tests/test_layout.py
holds the code to that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash
from flask_wtf import FlaskForm

from extensions import db
from services.common.errors import ServiceError

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """A service call that went through and was committed; value is what it returned."""

    value: T


def committed(action: Callable[..., T], *args, form: FlaskForm | None = None, **kwargs) -> Done[T] | None:
    """The commit of a page route: call the service, then commit once and return Done.

    When a rule refuses (ServiceError, NotFound included: a suggestion taken
    back a moment ago is said in words, beside what the person was doing),
    nothing is kept: the session is rolled back and the refusal is shown beside
    the form's field, or at the top of the page (flashed) when there is no form
    to show it in; the route then renders its form again or redirects, and
    returns None here. Any other exception reaches the error handlers, which
    roll back too. An action that no rule refuses (ending a login, writing a
    therapist's read to the access log) always returns Done.
    """
    try:
        value = action(*args, **kwargs)
    except ServiceError as error:
        db.session.rollback()
        if form is not None:
            show_error(form, error)
        else:
            flash(error.message, "error")
        return None
    db.session.commit()
    return Done(value)


def commits(view: Callable[..., T]) -> Callable[..., T]:
    """The commit of a JSON write operation: the view runs, then one commit.

    A refusal is not shown here: it reaches the error handlers, which roll back
    and answer in JSON with the rule's own message.
    """

    @functools.wraps(view)
    def in_one_transaction(*args, **kwargs) -> T:
        value = view(*args, **kwargs)
        db.session.commit()
        return value

    return in_one_transaction


def show_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to the field it concerns, or at the top of the page (each of its problems,
    when it carries several)."""
    for problem in getattr(error, "problems", [error]):
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = [*field.errors, problem.message]
        else:
            flash(problem.message, "error")
