"""Settings routes."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from blueprints.auth.fresh import fresh_login_required
from blueprints.couple.forms import DepthForm
from blueprints.forms import committed
from blueprints.partners import partners_only
from blueprints.settings import bp
from blueprints.settings.forms import (
    CheckinDayForm,
    ConsentForm,
    NotificationsForm,
    PauseForm,
    ScheduleForm,
    TherapistCodeForm,
    TimezoneForm,
)
from extensions import db, limiter
from services.checkins import checkins
from services.couples import pacing
from services.delivery import delivery
from services.notifications import devices, notify, vapid
from services.therapist import links

# A therapist's link code, like a couple's join code, can only be guessed by trying: limit the tries
# (per client, shared by every worker through the limiter's storage).
THERAPIST_CODE_LIMIT = "10 per minute;40 per hour"


partners_only(bp)


def _page(schedule_form=None, notifications_form=None, code_form=None, status=200):
    user = current_user
    couple = user.active_membership.couple if user.active_membership else None
    if schedule_form is None and couple is not None:
        schedule_form = ScheduleForm(
            timezone=couple.timezone,
            delivery_time=couple.delivery_time,
            cadence=couple.cadence,
            days=[str(i) for i in range(7) if couple.cadence_days & (1 << i)],
        )
    if notifications_form is None:
        notifications_form = NotificationsForm(
            obj=user, data={name: getattr(user, name) for name in notify.PREFERENCE_FIELDS}
        )
    return render_template(
        "settings/index.html",
        couple=couple,
        my_pause=pacing.my_pause(user) if couple else None,
        pause_form=PauseForm(),
        therapists=links.links_of_couple(user),
        code_form=code_form or TherapistCodeForm(),
        access_log=links.access_log(user),
        schedule_form=schedule_form,
        checkin_day_form=CheckinDayForm(checkin_day=str(couple.checkin_day)) if couple else None,
        notifications_form=notifications_form,
        depth_form=DepthForm(max_depth=str(user.max_depth)),
        devices=devices.devices_of(user),
        vapid_key=vapid.application_server_key(current_app.extensions["attune.vapid"]),
    ), status


@bp.get("/settings")
def index():
    """Schedule, depth, notifications and devices on one page."""
    return _page()


@bp.post("/settings/schedule")
def schedule():
    """Change the couple's time zone, time of day and cadence."""
    membership = current_user.active_membership
    form = ScheduleForm()
    if membership is None:
        flash("Pair with your partner first.", "error")
        return redirect(url_for("settings.index"))
    if form.validate_on_submit():
        days = sum(1 << int(day) for day in form.days.data or [])
        if committed(
            delivery.set_schedule,
            membership.couple,
            form.timezone.data,
            form.delivery_time.data,
            form.cadence.data,
            days,
            form=form,
        ):
            flash("Schedule saved. It applies to you both.", "success")
            return redirect(url_for("settings.index"))
    return _page(schedule_form=form, status=422)


@bp.post("/settings/checkin-day")
def checkin_day():
    """Choose the day our weekly check-in is suggested (either of us may; it applies to both)."""
    form = CheckinDayForm()
    if form.validate_on_submit() and committed(checkins.set_checkin_day, current_user, form.checkin_day.data):
        flash("Check-in day saved. It applies to you both.", "success")
    elif form.errors:
        flash("Choose a day of the week for your check-in.", "error")
    return redirect(url_for("settings.index"))


@bp.post("/settings/notifications")
def notifications():
    """Which notifications I get, my time zone, quiet hours and discreet mode."""
    form = NotificationsForm()
    if form.validate_on_submit():
        if committed(
            notify.update_preferences,
            current_user,
            form.data,
            form.timezone.data,
            form.quiet_start.data,
            form.quiet_end.data,
            form=form,
        ):
            flash("Notification settings saved.", "success")
            return redirect(url_for("settings.index"))
    return _page(notifications_form=form, status=422)


@bp.post("/settings/timezone")
def timezone():
    """Set only my time zone (quiet hours and every time I'm shown follow it), then back to Today."""
    form = TimezoneForm()
    if form.validate_on_submit():
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash(f"Your time zone is now {form.timezone.data.replace('_', ' ')}.", "success")
    else:
        flash("That time zone isn't one we know. Choose yours in Settings.", "error")
    return redirect(url_for("prompts.today"))


@bp.post("/settings/depth")
def depth():
    """How deep prompts may go for me; the couple gets the lower of the two choices."""
    form = DepthForm()
    if form.validate_on_submit():
        current_user.max_depth = int(form.max_depth.data)
        db.session.commit()
        flash("Saved. Your couple's prompts go no deeper than the more cautious choice of you two.", "success")
    else:
        flash("Choose one of the three depths.", "error")
    return redirect(url_for("settings.index"))


@bp.post("/settings/devices/<id:subscription_id>/remove")
def remove_device(subscription_id: int):
    """Stop notifications to one of my devices."""
    devices.remove(current_user, subscription_id)
    db.session.commit()
    flash("That device won't get notifications any more.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/settings/pause")
def pause():
    """Pause prompts for a day, a week, or until resumed; no reason asked."""
    form = PauseForm()
    if not form.validate_on_submit():
        flash("Choose how long to pause.", "error")
    elif committed(pacing.pause, current_user, form.length.data):
        flash("Prompts are paused. Take the time you need. Only you can end your pause early.", "success")
    return redirect(url_for("settings.index", _anchor="pacing-title"))


@bp.post("/settings/resume")
def resume():
    """End my own pause: prompts come again at the next usual time, once no pause is left."""
    done = committed(pacing.resume, current_user)
    if done and done.value.paused_at is None:
        flash("Prompts resume at your next usual time.", "success")
    elif done:
        flash("Your pause has ended. Prompts are still paused for now, and start again by themselves.", "success")
    return redirect(url_for("settings.index", _anchor="pacing-title"))


@bp.post("/settings/therapists")
@limiter.limit(THERAPIST_CODE_LIMIT)
def add_therapist():
    """Add a therapist by their code: a pending link that shows them nothing yet."""
    form = TherapistCodeForm()
    if form.validate_on_submit():
        if done := committed(links.link_by_code, current_user, form.code.data, form=form):
            link = done.value
            flash("Therapist added. They see nothing until you both consent.", "success")
            return redirect(url_for("settings.therapist", link_id=link.id))
    return _page(code_form=form, status=422)


def _link_state(link_id: int):
    for state in links.links_of_couple(current_user):
        if state.link.id == link_id:
            return state
    abort(404)


@bp.route("/settings/therapists/<id:link_id>", methods=["GET", "POST"])
@fresh_login_required
def therapist(link_id: int):
    """Give or change my consent and its scope for one therapist (after confirming my password)."""
    state = _link_state(link_id)
    form = ConsentForm(scope=state.my_scope)
    if form.validate_on_submit():
        links.consent(current_user, link_id, form.scope.data)
        db.session.commit()
        flash("Your consent is saved. You can change or withdraw it at any time.", "success")
        return redirect(url_for("settings.therapist", link_id=link_id))
    return render_template("settings/therapist.html", state=state, form=form)


@bp.post("/settings/therapists/<id:link_id>/revoke")
@fresh_login_required
def revoke(link_id: int):
    """Withdraw my consent: from their next request, the therapist sees nothing."""
    links.revoke(current_user, link_id)
    db.session.commit()
    flash("Consent withdrawn. Your therapist can no longer see anything.", "success")
    return redirect(url_for("settings.index", _anchor="therapists-title"))


@bp.post("/settings/therapists/<id:link_id>/end")
@fresh_login_required
def end_link(link_id: int):
    """Remove the therapist from our couple altogether."""
    links.end_link(current_user, link_id)
    db.session.commit()
    flash("The therapist is removed.", "success")
    return redirect(url_for("settings.index", _anchor="therapists-title"))
