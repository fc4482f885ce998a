"""The first run's set-up steps, after the private intake: time zone, our time and days, notifications.

Step 1 of 4 is the intake (routes.py); these are steps 2 to 4. Each is skippable. Which ones a person has
done or skipped is kept in their session, so someone who leaves half way is brought back to the next
unfinished step the next time they open Today, once, and never again after that.
"""

from __future__ import annotations

import time as clock_time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField

from blueprints.commit import committed
from blueprints.couple import bp
from blueprints.forms import Form, TimezoneField
from blueprints.settings.forms import ScheduleForm, checked_days, days_mask
from services.conversation import reading
from services.couples import first_run
from services.notifications import devices, vapid

STATE = "first_run"
TOTAL_STEPS = 4  # the intake, then first_run.STEPS
ENDPOINTS = {
    "timezone": "couple.setup_timezone",
    "schedule": "couple.setup_schedule",
    "notifications": "couple.setup_notifications",
}
# Someone who taps away from a step and opens Today straight after meant to leave: only a later visit resumes.
RESUME_AFTER_SECONDS = 300


class TimezoneStepForm(Form):
    timezone = TimezoneField(
        "Time zone",
        description="We've filled in your phone's time zone where we could. Start typing a city to choose another.",
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false", "data-fill-timezone": ""},
    )
    for_couple = BooleanField("Use it for our prompts too", default=True)


class ScheduleStepForm(ScheduleForm):
    """The couple's time and days; their time zone was the step before."""

    timezone = None


# Progress, in the session ---------------------------------------------------------------


def _state() -> dict:
    return dict(session.get(STATE) or {"done": [], "resumed": False, "seen": 0})


def _save(state: dict) -> None:
    session[STATE] = state


def _next_step(state: dict) -> str | None:
    return next((step for step in first_run.STEPS if step not in state["done"]), None)


def _shown() -> None:
    """A step is on screen: remember when, for resuming."""
    state = _state()
    state["seen"] = int(clock_time.time())
    _save(state)


def _finish(step: str):
    """Mark a step done (or skipped) and go on to the next unfinished one, or to Today."""
    state = _state()
    if step not in state["done"]:
        state["done"] = [*state["done"], step]
    _save(state)
    upcoming = _next_step(state)
    if upcoming is None:
        flash("You're all set. You can change any of this in Settings.", "success")
        return redirect(url_for("prompts.today"))
    return redirect(url_for(ENDPOINTS[upcoming]))


def _skipping() -> bool:
    return request.method == "POST" and "skip" in request.form


def _progress(step: str) -> str:
    return f"Step {first_run.STEPS.index(step) + 2} of {TOTAL_STEPS}"


@bp.before_app_request
def resume_first_run():
    """Opening Today with set-up left half way, on a later visit: back to the next step, once."""
    if request.endpoint != "prompts.today" or request.method != "GET" or STATE not in session:
        return None
    state = _state()
    if state["resumed"] or not current_user.is_authenticated:
        return None
    upcoming = _next_step(state)
    if upcoming is None or clock_time.time() - state["seen"] < RESUME_AFTER_SECONDS:
        return None
    state["resumed"] = True
    _save(state)
    return redirect(url_for(ENDPOINTS[upcoming]))


# The steps --------------------------------------------------------------------------------


@bp.route("/start/time-zone", methods=["GET", "POST"])
@login_required
def setup_timezone():
    """Step 2: my time zone, filled in from the phone and confirmed; for the first of us, the couple's too."""
    membership = current_user.active_membership
    couple = membership.couple if membership else None
    if _skipping():
        return _finish("timezone")
    mine = current_user.timezone if current_user.timezone != first_run.UNSET_ZONE else ""
    form = TimezoneStepForm(data={"timezone": mine, "for_couple": True})
    if form.validate_on_submit() and committed(
        first_run.confirm_timezone,
        current_user,
        form.timezone.data,
        bool(form.for_couple.data),
        form=form,
    ):
        return _finish("timezone")
    _shown()
    return render_template(
        "couple/setup_timezone.html",
        form=form,
        couple=couple,
        offer_couple=first_run.offers_couple_zone(couple),
        progress=_progress("timezone"),
    ), 422 if form.errors else 200


@bp.route("/start/schedule", methods=["GET", "POST"])
@login_required
def setup_schedule():
    """Step 3: the couple's time and days, shown as they are now; keeping them is one tap, changing them tells
    my partner."""
    membership = current_user.active_membership
    if membership is None or _skipping():
        return _finish("schedule")
    couple = membership.couple
    form = ScheduleStepForm(
        data={
            "delivery_time": couple.delivery_time,
            "cadence": couple.cadence,
            "days": checked_days(couple.cadence_days),
        }
    )
    if form.validate_on_submit():
        days = days_mask(form.days.data)
        done = committed(
            first_run.choose_schedule,
            current_user,
            form.delivery_time.data,
            form.cadence.data,
            days,
            url_for("settings.schedule_page", _external=True),
            form=form,
        )
        if done:
            if done.value:
                flash("Saved for you both. We've let your partner know the new time by email.", "success")
            return _finish("schedule")
    _shown()
    return render_template(
        "couple/setup_schedule.html",
        form=form,
        couple=couple,
        now=first_run.schedule_of(couple),
        partner=reading.partner_in(current_user, couple.id),
        progress=_progress("schedule"),
    ), 422 if form.errors else 200


@bp.route("/start/notifications", methods=["GET", "POST"])
@login_required
def setup_notifications():
    """Step 4: what notifications say and when they come, and a button that turns them on for this phone."""
    if request.method == "POST" and Form().validate_on_submit():
        return _finish("notifications")
    membership = current_user.active_membership
    _shown()
    return render_template(
        "couple/setup_notifications.html",
        form=Form(),
        schedule=first_run.schedule_of(membership.couple) if membership else None,
        has_device=bool(devices.devices_of(current_user)),
        vapid_key=vapid.application_server_key(current_app.extensions["attune.vapid"]),
        progress=_progress("notifications"),
    )
