"""Therapist routes. The link and its scope are resolved once per request, before any view runs
(services.access.therapist), every read takes that access object and checks its scope, and every
read is written to the couple's access log."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Response, flash, g, redirect, render_template, url_for
from flask_login import current_user

from blueprints.commit import committed
from blueprints.roles import therapists_only
from blueprints.therapist import bp
from blueprints.therapist.forms import AssignmentForm, FocusForm, NoteForm
from extensions import db
from models import Couple, Prompt, Theme
from services.conversation import reading
from services.delivery import delivery
from services.therapist import export as therapist_export
from services.therapist import links, progress

# Only therapist accounts have a dashboard; a couple's pages need a live link, resolved once per request.
therapists_only(bp)


@bp.get("/")
def dashboard():
    """Every couple linked to me: status, and progress for those who consented (each shown is logged)."""
    code = links.link_code(current_user)  # made on first use, and committed with the reads' log entries
    rows = committed(progress.dashboard, current_user).value
    return render_template("therapist/dashboard.html", rows=rows, code=code)


@bp.post("/code")
def new_code():
    """Replace my link code (couples already linked stay linked)."""
    committed(links.new_link_code, current_user)
    flash("Here's your new code. The old one no longer works.", "success")
    return redirect(url_for("therapist.dashboard"))


def _themes():
    return db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()


def _library_prompts():
    return db.session.scalars(
        sa.select(Prompt).where(Prompt.retired.is_(False)).order_by(Prompt.theme_id, Prompt.depth, Prompt.seq)
    ).all()


def _couple_page(assignment_form=None, note_form=None, status=200):
    access = g.access
    summary = conversations = None
    if access.allows("progress"):
        summary = progress.summary(access)
    if access.allows("conversations"):
        conversations = reading.revealed_instances(access)
    committed(links.log_couple_page, access)
    assignment_form = assignment_form or AssignmentForm()
    assignment_form.set_library(_library_prompts(), _themes())
    couple = db.session.get(Couple, access.couple_id)
    return render_template(
        "therapist/couple.html",
        access=access,
        summary=summary,
        conversations=conversations,
        waiting=links.waiting_assignments(access) if access.state.scope else [],
        held=links.held_assignments(access, delivery.depth_now(couple)) if access.state.scope else set(),
        notes=links.notes(access),
        assignment_form=assignment_form,
        note_form=note_form or NoteForm(),
        focus_form=FocusForm(stage=str(couple.focus_stage or "")),
    ), status


@bp.get("/couples/<id:link_id>")
def couple(link_id: int):
    """One couple: progress and check-ins, conversations if both allow it, assignments and my notes."""
    return _couple_page()


@bp.post("/couples/<id:link_id>/assignments")
def assign(link_id: int):
    """Assign a library prompt, or one in my words, for the couple's next slot."""
    form = AssignmentForm()
    form.set_library(_library_prompts(), _themes())
    if form.validate_on_submit():
        if committed(
            links.assign,
            g.access,
            prompt_id=form.prompt_id.data or None,
            text=form.text.data or None,
            note=form.note.data,
            theme_id=form.theme_id.data or None,
            depth=int(form.depth.data) if form.depth.data in ("1", "2", "3") else None,
            form=form,
        ):
            flash("Assigned. It arrives at the couple's next prompt time, ahead of the library.", "success")
            return redirect(url_for("therapist.couple", link_id=link_id))
    return _couple_page(assignment_form=form, status=422)


@bp.post("/couples/<id:link_id>/assignments/<id:assignment_id>/cancel")
def cancel_assignment(link_id: int, assignment_id: int):
    """Take back an assignment that hasn't been delivered yet."""
    if committed(links.cancel_assignment, g.access, assignment_id):
        flash("Assignment removed.", "success")
    return redirect(url_for("therapist.couple", link_id=link_id))


@bp.post("/couples/<id:link_id>/notes")
def add_note(link_id: int):
    """A private note about this couple (only I can read it)."""
    form = NoteForm()
    if form.validate_on_submit():
        if committed(links.add_note, g.access, form.body.data, form=form):
            return redirect(url_for("therapist.couple", link_id=link_id, _anchor="notes"))
    return _couple_page(note_form=form, status=422)


@bp.post("/couples/<id:link_id>/focus")
def focus(link_id: int):
    """Set the stage of the path the couple's prompts lean toward."""
    form = FocusForm()
    if form.validate_on_submit() and committed(
        links.set_focus, g.access, int(form.stage.data) if form.stage.data else None, form=form
    ):
        flash("Saved. The couple's prompts lean toward that stage from their next one.", "success")
    return redirect(url_for("therapist.couple", link_id=link_id, _anchor="focus-title"))


@bp.post("/couples/<id:link_id>/end")
def end(link_id: int):
    """Stop working with this couple in Attune."""
    committed(links.end_link, current_user, link_id)
    flash("The link is ended. The couple has been told in their settings.", "success")
    return redirect(url_for("therapist.dashboard"))


@bp.get("/couples/<id:link_id>/conversations/<id:instance_id>")
def conversation(link_id: int, instance_id: int):
    """A revealed conversation, when both partners allow conversations."""
    shared = reading.shared_conversation(g.access, instance_id)
    committed(links.log_read, g.access, "conversation", instance_id)
    return render_template("therapist/conversation.html", access=g.access, shared=shared)


@bp.get("/couples/<id:link_id>/export.json")
def export(link_id: int):
    """What I may see of this couple, as JSON (for my records)."""
    data = therapist_export.couple_export(g.access)
    committed(links.log_read, g.access, "export")
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="attune-couple-{link_id}.json"'},
    )
