"""Settings routes."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.auth.fresh import fresh_login_required
from blueprints.commit import committed
from blueprints.couple.forms import DepthForm
from blueprints.prompts.forms import CloseForm
from blueprints.roles import partners_only
from blueprints.settings import bp
from blueprints.settings.forms import (
    CheckinDayForm,
    ConsentForm,
    NotificationsForm,
    NotificationSwitchesForm,
    PauseForm,
    QuietHoursForm,
    ScheduleForm,
    TherapistCodeForm,
    TimezoneForm,
    checked_days,
    days_mask,
)
from extensions import limiter
from models import utcnow
from services.checkins import checkins
from services.couples import depth as depth_rule
from services.couples import first_run, pacing
from services.delivery import delivery
from services.notifications import devices, notify, vapid
from services.therapist import links

# A therapist's link code, like a couple's join code, can only be guessed by trying: limit the tries
# (per client, shared by every worker through the limiter's storage).
THERAPIST_CODE_LIMIT = "10 per minute;40 per hour"


partners_only(bp)


def _couple():
    membership = current_user.active_membership
    return membership.couple if membership else None


def _saved(message: str, section: str):
    """After a save: a quiet JSON answer for a switch saved as it changed (app.js puts the message in the form's
    status line), otherwise the message flashed and back to the section page the form came from."""
    if _wants_json():
        return jsonify(saved=True, message=message)
    flash(message, "success")
    return redirect(url_for(section))


def _refused(message: str, section: str):
    """The same for a refusal: the reason in the status line, or flashed on the section page."""
    if _wants_json():
        return jsonify(saved=False, message=message), 422
    flash(message, "error")
    return redirect(url_for(section))


def _wants_json() -> bool:
    """A background save from app.js asks for JSON; a form posted without script asks for a page."""
    return request.accept_mimetypes.best == "application/json"


def _preferences(user) -> dict:
    return {name: getattr(user, name) for name in notify.PREFERENCE_FIELDS}


@bp.get("/settings")
def index():
    """A short list of the settings sections, each with what it holds now."""
    user = current_user
    couple = _couple()
    return render_template(
        "settings/index.html",
        couple=couple,
        my_pause=pacing.my_pause(user) if couple else None,
        therapists=links.links_of_couple(user) if couple else [],
    )


def _schedule_page(schedule_form=None, status=200):
    couple = _couple()
    if schedule_form is None and couple is not None:
        schedule_form = ScheduleForm(
            timezone=couple.timezone,
            delivery_time=couple.delivery_time,
            cadence=couple.cadence,
            days=checked_days(couple.cadence_days),
        )
    return render_template(
        "settings/schedule.html",
        couple=couple,
        schedule_form=schedule_form,
        checkin_day_form=CheckinDayForm(checkin_day=str(couple.checkin_day)) if couple else None,
    ), status


@bp.get("/settings/schedule")
def schedule_page():
    """When prompts arrive for us both, and our check-in day."""
    return _schedule_page()


@bp.post("/settings/schedule")
def schedule():
    """Change the couple's time zone, time of day and cadence."""
    couple = _couple()
    form = ScheduleForm()
    if couple is None:
        flash("Pair with your partner first.", "error")
        return redirect(url_for("settings.schedule_page"))
    if form.validate_on_submit():
        days = days_mask(form.days.data)
        if committed(
            delivery.set_schedule,
            couple,
            form.timezone.data,
            form.delivery_time.data,
            form.cadence.data,
            days,
            form=form,
        ):
            flash("Schedule saved. It applies to you both.", "success")
            return redirect(url_for("settings.schedule_page"))
    return _schedule_page(schedule_form=form, status=422)


@bp.post("/settings/checkin-day")
def checkin_day():
    """Choose the day our weekly check-in is suggested (either of us may; it applies to both)."""
    form = CheckinDayForm()
    if form.validate_on_submit() and committed(checkins.set_checkin_day, current_user, form.checkin_day.data):
        return _saved("Check-in day saved. It applies to you both.", "settings.schedule_page")
    if form.errors:
        return _refused("Choose a day of the week for your check-in.", "settings.schedule_page")
    return redirect(url_for("settings.schedule_page"))


@bp.get("/settings/pace")
def pace_page():
    """How deep prompts may go for me, and pausing them."""
    couple = _couple()
    return render_template(
        "settings/pace.html",
        couple=couple,
        my_pause=pacing.my_pause(current_user) if couple else None,
        pause_form=PauseForm(),
        depth_form=DepthForm(max_depth=str(current_user.max_depth)),
        eased=depth_rule.easing_shown(current_user, utcnow()),
    )


@bp.post("/settings/depth")
def depth():
    """How deep prompts may go for me; the couple gets the lower of the two choices."""
    form = DepthForm()
    if not form.validate_on_submit() or not committed(
        depth_rule.choose_ceiling, current_user, int(form.max_depth.data), form=form
    ):
        return _refused("Choose one of the three depths.", "settings.pace_page")
    return _saved(
        "Saved. Your couple's prompts go no deeper than the more cautious choice of you two.", "settings.pace_page"
    )


@bp.post("/settings/pause")
def pause():
    """Pause prompts for a day, a week, or until resumed; no reason asked."""
    form = PauseForm()
    if not form.validate_on_submit():
        flash("Choose how long to pause.", "error")
    elif committed(pacing.pause, current_user, form.length.data):
        flash("Prompts are paused. Take the time you need. Only you can end your pause early.", "success")
    return redirect(url_for("settings.pace_page"))


@bp.post("/settings/resume")
def resume():
    """End my own pause: prompts come again at the next usual time, once no pause is left."""
    done = committed(pacing.resume, current_user)
    if done and done.value.paused_at is None:
        flash("Prompts resume at your next usual time.", "success")
    elif done:
        flash("Your pause has ended. Prompts are still paused for now, and start again by themselves.", "success")
    return redirect(url_for("settings.pace_page"))


def _notifications_page(switches_form=None, quiet_form=None, status=200):
    user = current_user
    return render_template(
        "settings/notifications.html",
        switches_form=switches_form or NotificationSwitchesForm(data=_preferences(user)),
        quiet_form=quiet_form or QuietHoursForm(obj=user),
        devices=devices.devices_of(user),
        vapid_key=vapid.application_server_key(current_app.extensions["attune.vapid"]),
    ), status


@bp.get("/settings/notifications")
def notifications_page():
    """Which notifications I get, my time zone and quiet hours, and the devices they go to."""
    return _notifications_page()


# The notifications page posts its parts separately (part=switches, part=quiet); a post naming no part carries
# every setting at once, as the page did before the switches saved on their own.
NOTIFICATION_PARTS = {"switches": NotificationSwitchesForm, "quiet": QuietHoursForm}


@bp.post("/settings/notifications")
def notifications():
    """Which notifications I get, my time zone, quiet hours and discreet mode (all, or one part of the page)."""
    user = current_user
    part = request.form.get("part")
    form = NOTIFICATION_PARTS.get(part, NotificationsForm)()
    if form.validate_on_submit():
        switches = form.data if "notify_new_prompt" in form else _preferences(user)
        if "timezone" in form:
            zone, start, end = form.timezone.data, form.quiet_start.data, form.quiet_end.data
        else:
            zone, start, end = user.timezone, user.quiet_start, user.quiet_end
        if committed(notify.update_preferences, user, switches, zone, start, end, form=form):
            return _saved(
                "Saved." if part == "switches" else "Notification settings saved.", "settings.notifications_page"
            )
    if _wants_json():
        return jsonify(saved=False, message="That couldn't be saved. Check the page and try again."), 422
    # The whole form, when the post carried everything, shows its errors in both parts of the page.
    return _notifications_page(
        switches_form=form if part != "quiet" else None, quiet_form=form if part != "switches" else None, status=422
    )


@bp.post("/settings/timezone")
def timezone():
    """Set only my time zone (quiet hours and every time I'm shown follow it), then back to Today."""
    form = TimezoneForm()
    if form.validate_on_submit() and committed(first_run.confirm_timezone, current_user, form.timezone.data):
        flash(f"Your time zone is now {form.timezone.data.replace('_', ' ')}.", "success")
    else:
        flash("That time zone isn't one we know. Choose yours in Settings.", "error")
    return redirect(url_for("prompts.today"))


@bp.post("/settings/depth/usual")
def usual_depth():
    """After a hard moment my ceiling is quieter for a few days; this keeps my usual depth instead."""
    if not CloseForm().validate_on_submit():
        abort(400)
    if committed(depth_rule.keep_usual_depth, current_user):
        flash("Back to your usual depth. You can choose it in Settings whenever you like.", "success")
    return redirect(url_for("prompts.today"))


@bp.post("/settings/devices/<id:subscription_id>/remove")
def remove_device(subscription_id: int):
    """Stop notifications to one of my devices."""
    committed(devices.remove, current_user, subscription_id)
    flash("That device won't get notifications any more.", "success")
    return redirect(url_for("settings.notifications_page"))


def _therapists_page(code_form=None, status=200):
    user = current_user
    return render_template(
        "settings/therapists.html",
        couple=_couple(),
        therapists=links.links_of_couple(user),
        code_form=code_form or TherapistCodeForm(),
        history=links.access_visits(user),
        zone_name=user.timezone,
    ), status


@bp.get("/settings/therapists")
def therapists_page():
    """Our therapists, my consent to each, and every time one of them has read anything of ours."""
    return _therapists_page()


@bp.get("/settings/account")
def account_page():
    """My account: my name and password, my data, and leaving."""
    return render_template("settings/account.html")


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
    return _therapists_page(code_form=form, status=422)


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
        if committed(links.consent, current_user, link_id, form.scope.data, form=form):
            flash("Your consent is saved. You can change or withdraw it at any time.", "success")
            return redirect(url_for("settings.therapist", link_id=link_id))
    return render_template("settings/therapist.html", state=state, form=form)


@bp.post("/settings/therapists/<id:link_id>/revoke")
@fresh_login_required
def revoke(link_id: int):
    """Withdraw my consent: from their next request, the therapist sees nothing."""
    if committed(links.revoke, current_user, link_id):
        flash("Consent withdrawn. Your therapist can no longer see anything.", "success")
    return redirect(url_for("settings.therapists_page"))


@bp.post("/settings/therapists/<id:link_id>/end")
@fresh_login_required
def end_link(link_id: int):
    """Remove the therapist from our couple altogether."""
    if committed(links.end_link, current_user, link_id):
        flash("The therapist is removed.", "success")
    return redirect(url_for("settings.therapists_page"))
