"""Pairing routes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from blueprints.couple import bp
from blueprints.couple.forms import JoinCodeForm, LeaveForm, StartCoupleForm
from blueprints.forms import show_error
from extensions import db, limiter
from services import pairing, reading, schedule
from services.errors import ServiceError

JOIN_LIMIT = "10 per minute;40 per hour"


@bp.get("/couple")
@login_required
def show():
    """Where a partner starts a couple, shares the invite, or sees who they're paired with."""
    membership = current_user.active_membership
    invite = partner = None
    if membership is not None:
        partner = reading.partner_in(current_user, membership.couple_id)
        if partner is None:
            invite = pairing.current_invite(membership.couple_id)
    return render_template(
        "couple/show.html",
        membership=membership,
        partner=partner,
        invite=invite,
        start_form=StartCoupleForm(),
        join_form=JoinCodeForm(),
    )


@bp.post("/couple")
@login_required
def start():
    """Start a couple and make the first invite."""
    form = StartCoupleForm()
    if form.validate_on_submit():
        try:
            tz = schedule.check_timezone(form.timezone.data) if form.timezone.data else "UTC"
        except ServiceError:
            tz = "UTC"
        try:
            pairing.create_couple(current_user, timezone=tz)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
    return redirect(url_for("couple.show"))


@bp.post("/couple/invite")
@login_required
def new_invite():
    """Replace the invite with a new one (the old link and code stop working)."""
    if StartCoupleForm().validate_on_submit():
        try:
            pairing.new_invite(current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("Here's a new invite. The old one no longer works.", "success")
    return redirect(url_for("couple.show"))


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join_by_code():
    """Join a partner's couple by typing their code."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            pairing.join(current_user, code=form.code.data)
        except ServiceError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("You're paired. Your first prompt is waiting.", "success")
            return redirect(url_for("prompts.today"))
    return render_template("couple/join.html", form=form)


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join_by_link(token: str):
    """An invite link: explains what it is, then joins once the person is logged in and confirms."""
    try:
        invite = pairing.find_invite(token=token)
    except ServiceError as problem:
        return render_template("couple/invite_landing.html", invite=None, error=problem.message), problem.status
    if not current_user.is_authenticated:
        return render_template("couple/invite_landing.html", invite=invite, error=None, token=token)
    form = StartCoupleForm()
    if form.validate_on_submit():
        try:
            pairing.join(current_user, token=token)
        except ServiceError as problem:
            db.session.rollback()
            flash(problem.message, "error")
        else:
            db.session.commit()
            flash("You're paired. Your first prompt is waiting.", "success")
            return redirect(url_for("prompts.today"))
    return render_template("couple/confirm_join.html", invite=invite, form=form, token=token)


@bp.route("/couple/leave", methods=["GET", "POST"])
@login_required
def leave():
    """Unpair, after a confirmation; either partner can do this alone."""
    form = LeaveForm()
    if form.validate_on_submit():
        try:
            pairing.leave(current_user)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("You've left the couple. Your revealed conversations stay in your history.", "success")
        return redirect(url_for("couple.show"))
    return render_template("couple/leave.html", form=form)
