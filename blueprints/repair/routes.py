"""Repair routes: each validates its form, calls services.repair through the one commit path, and redirects."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.commit import committed
from blueprints.forms import RetryableForm
from blueprints.repair import bp
from blueprints.repair.forms import (
    ActionForm,
    AnswerNeedForm,
    AskForm,
    CommitmentForm,
    MomentForm,
    NeedForm,
    NotYetForm,
    RespondForm,
    WordsForm,
)
from blueprints.roles import partners_only
from services.access import repair as access
from services.repair import commitments, conversations
from services.repair.conversations import STEP_NAMES
from services.repair.guidance import ANSWER_WORDS, CHOICE_WORDS, NEED_WORDS
from services.repair.guidance import STEPS as GUIDANCE
from services.therapist import links

# Repair pages are a couple's own; the one therapist page here is for a therapist linked to the couple.
partners_only(bp, therapist_views=("therapist_view",))


@bp.app_context_processor
def repair_helpers():
    """What Today's repair card, History's list and the check-in's reveal read, fetched only when rendered."""

    def repair_today():
        return conversations.live_for(current_user) if current_user.is_authenticated else None

    def repair_history():
        return conversations.history_for(current_user) if current_user.is_authenticated else []

    def repair_week(first_day: date):
        """The week's "I did this" and "I noticed" moments, for the check-in's reveal."""
        membership = current_user.active_membership if current_user.is_authenticated else None
        if membership is None:
            return []
        return commitments.week_moments(membership.couple_id, first_day, first_day + timedelta(days=6))

    return {"repair_today": repair_today, "repair_history": repair_history, "repair_week": repair_week}


def _back(conversation_id: int):
    return redirect(url_for("repair.show", conversation_id=conversation_id))


# The overview and asking -------------------------------------------------------------


@bp.get("/repair")
def index():
    """The live repair conversation (or a way to ask for one), commitments, and conversations that have ended."""
    return _render_index()


def _render_index(form: AskForm | None = None, status: int = 200):
    return (
        render_template(
            "repair/index.html",
            live=conversations.live_for(current_user),
            past=conversations.history_for(current_user),
            commitments=commitments.for_partner(current_user),
            form=form or AskForm(),
            paired=current_user.active_membership is not None,
        ),
        status,
    )


@bp.post("/repair")
def ask():
    """Ask for a repair conversation; the partner hears only that one is asked for."""
    form = AskForm()
    if form.validate_on_submit():
        done = committed(
            conversations.ask,
            current_user,
            role=form.role.data,
            topic=form.topic.data,
            client_key=form.client_key.data,
            form=form,
        )
        if done:
            flash("Asked. Your partner will say when they're ready; there's no rush.", "success")
            return _back(done.value.id)
    return _render_index(form, 422)


# One conversation --------------------------------------------------------------------


@bp.get("/repair/<id:conversation_id>")
def show(conversation_id: int):
    """One repair conversation, at its current step, as this partner may see it."""
    return _render(conversation_id)


def _render(conversation_id: int, status: int = 200, **forms):
    view = conversations.read(current_user, conversation_id)
    step = view.conversation.step
    defaults = {
        "words_form": WordsForm(body=view.draft.body if view.draft else None),
        "respond_form": RespondForm(),
        "need_form": NeedForm(),
        "answer_form": AnswerNeedForm(),
        "not_yet_form": NotYetForm(),
        "action_form": ActionForm(),
    }
    defaults.update(forms)
    defaults["words_form"].body.label.text = GUIDANCE[step].label
    return (
        render_template(
            "repair/conversation.html",
            view=view,
            guidance=GUIDANCE[step],
            need_words=NEED_WORDS,
            answer_words=ANSWER_WORDS,
            **defaults,
        ),
        status,
    )


@bp.post("/repair/<id:conversation_id>/accept")
def accept(conversation_id: int):
    """Yes, now."""
    if ActionForm().validate_on_submit() and committed(conversations.accept, current_user, conversation_id):
        flash("Thank you for saying yes. Take it one step at a time.", "success")
    return _back(conversation_id)


@bp.post("/repair/<id:conversation_id>/not-yet")
def not_yet(conversation_id: int):
    """Not yet, with a time if they like. No reason is asked."""
    form = NotYetForm()
    if form.validate_on_submit():
        if committed(conversations.not_yet, current_user, conversation_id, form.when.data or "", form=form):
            flash("That's fine. It will keep until you're ready.", "success")
            return _back(conversation_id)
    return _render(conversation_id, 422, not_yet_form=form)


def _step(conversation_id: int, form: RetryableForm, slot: str, service, *fields: str, message: str | None = None):
    """One step's post, as every step posts: the named fields, then the form's idempotency key, go to the
    service and are committed; then back to the conversation, or its page again with the form (as slot)
    showing what was refused."""
    if form.validate_on_submit():
        values = [form[name].data for name in fields]
        if committed(service, current_user, conversation_id, *values, form.client_key.data, form=form):
            if message:
                flash(message, "success")
            return _back(conversation_id)
    return _render(conversation_id, 422, **{slot: form})


@bp.post("/repair/<id:conversation_id>/first")
def first(conversation_id: int):
    """Step 1: keep the speaker's words as a private draft, or send them."""
    form = WordsForm()
    if form.action.data == "draft" or request.form.get("draft"):
        if form.validate_on_submit() and committed(
            conversations.save_draft, current_user, conversation_id, form.body.data, form=form
        ):
            flash("Kept as a draft. Only you can see it until you send it.", "success")
            return _back(conversation_id)
        return _render(conversation_id, 422, words_form=form)
    message = "Sent. Your partner will reflect what they heard."
    return _step(conversation_id, form, "words_form", conversations.send_first, "body", message=message)


@bp.post("/repair/<id:conversation_id>/reflect")
def reflect(conversation_id: int):
    """Step 2: the listener says what they heard."""
    message = "Shared. Your partner will say if it felt heard."
    return _step(conversation_id, WordsForm(), "words_form", conversations.reflect, "body", message=message)


@bp.post("/repair/<id:conversation_id>/respond")
def respond(conversation_id: int):
    """Step 3: "I feel heard", or "Partly" with what they'd add."""
    return _step(conversation_id, RespondForm(), "respond_form", conversations.respond, "response", "addition")


@bp.post("/repair/<id:conversation_id>/acknowledge")
def acknowledge(conversation_id: int):
    """Step 4: the listener acknowledges their part."""
    message = "Shared. Thank you for staying with it."
    return _step(conversation_id, WordsForm(), "words_form", conversations.acknowledge, "body", message=message)


@bp.post("/repair/<id:conversation_id>/need")
def need(conversation_id: int):
    """Step 5: the speaker names what they need now."""
    return _step(conversation_id, NeedForm(), "need_form", conversations.name_need, "need", "body")


@bp.post("/repair/<id:conversation_id>/answer")
def answer(conversation_id: int):
    """Step 6: the listener answers the need: words, a commitment, or time."""
    form = AnswerNeedForm()
    return _step(conversation_id, form, "answer_form", conversations.answer_need, "answer", "body", "commitment")


@bp.post("/repair/<id:conversation_id>/break")
def take_break(conversation_id: int):
    """ "I need a break, this will keep", or coming back from one."""
    if ActionForm().validate_on_submit():
        back = request.form.get("back") == "1"
        committed(conversations.come_back if back else conversations.step_away, current_user, conversation_id)
    return _back(conversation_id)


@bp.post("/repair/<id:conversation_id>/close")
def close(conversation_id: int):
    """Close the conversation, at any step; it stays in the history."""
    if ActionForm().validate_on_submit() and committed(conversations.close, current_user, conversation_id):
        flash("Closed. What you shared stays in your history.", "success")
    return _back(conversation_id)


# Commitments -------------------------------------------------------------------------


@bp.get("/repair/commitments")
def commitment_list():
    """The couple's commitments, with what was done and what was noticed."""
    return _render_commitments()


def _render_commitments(form: CommitmentForm | None = None, status: int = 200):
    return (
        render_template(
            "repair/commitments.html",
            commitments=commitments.for_partner(current_user),
            form=form or CommitmentForm(),
            paired=current_user.active_membership is not None,
        ),
        status,
    )


@bp.post("/repair/commitments")
def make_commitment():
    """Make a commitment of my own."""
    form = CommitmentForm()
    if form.validate_on_submit():
        done = committed(commitments.make, current_user, form.text.data, client_key=form.client_key.data, form=form)
        if done:
            return redirect(url_for("repair.commitment", commitment_id=done.value.id))
    return _render_commitments(form, 422)


@bp.get("/repair/commitments/<id:commitment_id>")
def commitment(commitment_id: int):
    """One commitment: "I did this" for its maker, "I noticed" for the partner."""
    return _render_commitment(commitment_id)


def _render_commitment(commitment_id: int, status: int = 200, **forms):
    view = commitments.read(current_user, commitment_id)
    defaults = {
        "moment_form": MomentForm(),
        "revise_form": CommitmentForm(text=view.commitment.text),
        "action_form": ActionForm(),
    }
    defaults.update(forms)
    return render_template("repair/commitment.html", view=view, **defaults), status


def _back_to_commitment(commitment_id: int):
    return redirect(url_for("repair.commitment", commitment_id=commitment_id))


@bp.post("/repair/commitments/<id:commitment_id>/moments")
def add_moment(commitment_id: int):
    """ "I did this" (the maker) or "I noticed" (the partner), with a date and an optional line."""
    form = MomentForm()
    kind = "did" if access.commitment_for(current_user, commitment_id).maker_id == current_user.id else "noticed"
    if form.validate_on_submit():
        if committed(
            commitments.add_moment,
            current_user,
            commitment_id,
            kind,
            form.on.data,
            form.note.data,
            form.client_key.data,
            form=form,
        ):
            flash("Kept. Your partner can see it now.", "success")
            return _back_to_commitment(commitment_id)
    return _render_commitment(commitment_id, 422, moment_form=form)


@bp.post("/repair/commitments/<id:commitment_id>/revise")
def revise_commitment(commitment_id: int):
    """The maker puts it differently."""
    form = CommitmentForm()
    if form.validate_on_submit():
        if committed(commitments.revise, current_user, commitment_id, form.text.data, form=form):
            flash("Revised.", "success")
            return _back_to_commitment(commitment_id)
    return _render_commitment(commitment_id, 422, revise_form=form)


@bp.post("/repair/commitments/<id:commitment_id>/retire")
def retire_commitment(commitment_id: int):
    """The maker sets it down; it stays in the history with what was done and noticed."""
    if ActionForm().validate_on_submit() and committed(commitments.retire, current_user, commitment_id):
        flash("Retired. What was done and noticed stays with it.", "success")
    return _back_to_commitment(commitment_id)


@bp.post("/repair/commitments/<id:commitment_id>/not-right-yet")
def not_right_yet(commitment_id: int):
    """The partner says it doesn't feel right yet: a repair conversation about it, with them speaking first."""
    if ActionForm().validate_on_submit():
        if done := committed(conversations.about_commitment, current_user, commitment_id):
            return _back(done.value.id)
    return _back_to_commitment(commitment_id)


# The therapist's view ----------------------------------------------------------------


@bp.get("/therapist/couples/<id:link_id>/repair")
def therapist_view(link_id: int):
    """Repair work as a consented therapist may see it: in full within the conversations scope, logged."""
    seen = access.therapist_view(g.access)
    committed(links.log_read, g.access, "repair")  # kept even if the page then fails
    return render_template(
        "repair/therapist.html",
        seen=seen,
        link_id=link_id,
        conversations=conversations.for_therapist(seen),
        commitments=commitments.for_therapist(seen),
        step_names=STEP_NAMES,
        choice_words=CHOICE_WORDS,
    )
