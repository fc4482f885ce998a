"""Settings routes."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from blueprints.couple.forms import DepthForm
from blueprints.forms import show_error
from blueprints.settings import bp
from blueprints.settings.forms import NotificationsForm, ScheduleForm
from extensions import db
from services import delivery, devices, notify, vapid
from services.errors import ServiceError


@bp.before_request
@login_required
def require_login():
    """Settings are personal."""


def _page(schedule_form=None, notifications_form=None, status=200):
    user = current_user
    couple = user.active_membership.couple if user.active_membership else None
    if schedule_form is None and couple is not None:
        schedule_form = ScheduleForm(
            timezone=couple.timezone, delivery_time=couple.delivery_time, cadence=couple.cadence,
            days=[str(i) for i in range(7) if couple.cadence_days & (1 << i)],
        )
    if notifications_form is None:
        notifications_form = NotificationsForm(
            obj=user, data={name: getattr(user, name) for name in notify.PREFERENCE_FIELDS}
        )
    return render_template(
        "settings/index.html",
        couple=couple,
        schedule_form=schedule_form,
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
        try:
            delivery.set_schedule(
                membership.couple, form.timezone.data, form.delivery_time.data, form.cadence.data,
                sum(1 << int(day) for day in form.days.data or []),
            )
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("Schedule saved. It applies to you both.", "success")
            return redirect(url_for("settings.index"))
    return _page(schedule_form=form, status=422)


@bp.post("/settings/notifications")
def notifications():
    """Which notifications I get, my time zone, quiet hours and discreet mode."""
    form = NotificationsForm()
    if form.validate_on_submit():
        try:
            notify.update_preferences(
                current_user, form.data, form.timezone.data, form.quiet_start.data, form.quiet_end.data
            )
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("Notification settings saved.", "success")
            return redirect(url_for("settings.index"))
    return _page(notifications_form=form, status=422)


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


@bp.post("/settings/devices/<int(min=1, max=2147483647):subscription_id>/remove")
def remove_device(subscription_id: int):
    """Stop notifications to one of my devices."""
    devices.remove(current_user, subscription_id)
    db.session.commit()
    flash("That device won't get notifications any more.", "success")
    return redirect(url_for("settings.index"))
