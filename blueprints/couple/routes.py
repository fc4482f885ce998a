"""Pairing routes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from blueprints import link_tokens
from blueprints.commit import committed
from blueprints.couple import bp
from blueprints.couple.forms import IntakeAboutForm, IntakeDepthForm, JoinCodeForm, LeaveForm, StartCoupleForm
from extensions import limiter
from services.common.errors import NotFound, ServiceError
from services.conversation import reading
from services.couples import depth, pairing
from services.couples import intake as intake_service
from services.delivery import clock, library

JOIN_LIMIT = "10 per minute;40 per hour"
# The invite link and its page, per client address: enough for a person following one link, not for a crawler.
INVITE_PAGE_LIMIT = "20 per minute;100 per hour"


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
            tz = clock.check_timezone(form.timezone.data) if form.timezone.data else "UTC"
        except ServiceError:
            tz = "UTC"
        committed(pairing.create_couple, current_user, timezone=tz)
    return redirect(url_for("couple.show"))


@bp.post("/couple/invite")
@login_required
def new_invite():
    """Replace the invite with a new one (the old link and code stop working)."""
    if StartCoupleForm().validate_on_submit():
        if committed(pairing.new_invite, current_user):
            flash("Here's a new invite. The old one no longer works.", "success")
    return redirect(url_for("couple.show"))


@bp.route("/join", methods=["GET", "POST"])
@login_required
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join_by_code():
    """Join a partner's couple by typing their code."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        if committed(pairing.join, current_user, code=form.code.data, form=form):
            flash("You're paired. Before your first prompt, choose your pace.", "success")
            return redirect(url_for("couple.intake"))
    return render_template("couple/join.html", form=form)


@bp.get("/join/<token>")
@limiter.shared_limit(INVITE_PAGE_LIMIT, scope="invite-page")
def invite_link(token: str):
    """The invite link: its token moves into the session, and the browser on to the invite page (303)."""
    return link_tokens.hold_and_redirect("invite", token, "couple.join_by_link")


@bp.route("/join/invite", methods=["GET", "POST"])
@limiter.shared_limit(INVITE_PAGE_LIMIT, scope="invite-page")
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join_by_link():
    """The invite being followed: what Attune is, then, once logged in, whose it is and a button to join.

    Whose invite it is stays unsaid until the person signs in: anyone can hold a forwarded link.
    """
    token = link_tokens.held("invite")
    try:
        if token is None:
            raise NotFound("Open the invite link from your partner again.")
        invite = pairing.find_invite(token=token)
    except ServiceError as problem:
        return render_template("couple/invite_landing.html", error=problem.message), problem.status
    if not current_user.is_authenticated:
        return render_template("couple/invite_landing.html", error=None)
    form = StartCoupleForm()
    if form.validate_on_submit():
        if committed(pairing.join, current_user, token=token):
            link_tokens.drop("invite")
            flash("You're paired. Before your first prompt, choose your pace.", "success")
            return redirect(url_for("couple.intake"))
    return render_template("couple/confirm_join.html", invite=invite, form=form)


@bp.route("/couple/leave", methods=["GET", "POST"])
@login_required
def leave():
    """Unpair, after a confirmation; either partner can do this alone."""
    form = LeaveForm()
    if form.validate_on_submit():
        if committed(pairing.leave, current_user):
            flash("You've left the couple. Your revealed conversations stay in your history.", "success")
        return redirect(url_for("couple.show"))
    return render_template("couple/leave.html", form=form)


# The first run: each person's pace, privately ----------------------------------------


@bp.route("/start/pace", methods=["GET", "POST"])
@login_required
def intake():
    """The first screen of the first run: how deep prompts may go for me (Light unless I choose)."""
    form = IntakeDepthForm(
        data={"max_depth": str(current_user.max_depth)} if intake_service.intake_of(current_user) else None
    )
    if form.validate_on_submit() and committed(
        intake_service.choose_depth, current_user, int(form.max_depth.data), form=form
    ):
        return redirect(url_for("couple.intake_about"))
    return render_template("couple/intake_pace.html", form=form)


@bp.route("/start/about", methods=["GET", "POST"])
@login_required
def intake_about():
    """The second screen, every question optional and private: what brings me here, a therapist, my safety."""
    form = IntakeAboutForm()
    if form.validate_on_submit():
        done = committed(
            intake_service.answer,
            current_user,
            form.reasons.data or [],
            form.sees_therapist.data or None,
            form.feels_safe.data or None,
            form=form,
        )
        if done and intake_service.needs_safety_note(done.value):
            return redirect(url_for("couple.intake_safety"))
        if done:
            flash("Thank you. Your answers stay with you.", "success")
            return redirect(url_for("couple.setup_timezone"))
    return render_template("couple/intake_about.html", form=form)


@bp.get("/start/safety")
@login_required
def intake_safety():
    """Only for the person who said they don't feel safe, or aren't sure: what to do instead, and a quiet way out."""
    if not intake_service.needs_safety_note(intake_service.intake_of(current_user)):
        return redirect(url_for("prompts.today"))
    return render_template("couple/intake_safety.html")


@bp.get("/path")
@login_required
def path():
    """The path through the work, and where the couple is on it."""
    membership = current_user.active_membership
    couple = membership.couple if membership else None
    stage = depth.path_stage(couple.conversations, couple.focus_stage) if couple else 1
    return render_template(
        "couple/path.html",
        stages=library.stage_themes(),
        stage=stage,
        names=depth.STAGES,
        invite_therapist=bool(couple) and intake_service.offers_therapist_invite(current_user),
    )
