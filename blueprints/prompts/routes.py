"""Routes of the loop: each validates, calls services.conversation.conversation, commits and redirects."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from blueprints.commit import committed
from blueprints.prompts import bp
from blueprints.prompts.forms import AnswerForm, CloseForm, ReflectionForm, ResponseForm
from blueprints.prompts.page_cache import CSRF_SLOT, PageCache
from blueprints.roles import partners_only
from services.conversation import coach, conversation, reading
from services.couples import depth, pacing
from services.therapist import offers

partners_only(bp)


def _render_prompt(instance_id: int, *, answer_form=None, reflection_form=None, response_form=None, status=200):
    card = reading.conversation(current_user, instance_id)
    mine = card.sealed.mine
    if answer_form is None:
        answer_form = AnswerForm(body=mine.body if mine else None)
    coach_hints = [rule.hint for rule in coach.suggestions(mine.body)] if mine and not card.sealed.revealed else []
    return (
        render_template(
            "prompts/prompt.html",
            card=card,
            answer_form=answer_form,
            reflection_form=reflection_form or ReflectionForm(),
            response_form=response_form or ResponseForm(),
            close_form=CloseForm(),
            coach_hints=coach_hints,
            theme_intro=depth.theme_intro(card.instance),
        ),
        status,
    )


@bp.record_once
def _create_page_cache(state):
    state.app.extensions["attune.today_pages"] = PageCache()


def _today_cache_key():
    """What a cached Today page depends on, or None when it must be rendered afresh."""
    membership = current_user.active_membership
    if membership is None or session.get("_flashes") or not current_app.config["TODAY_CACHE_SECONDS"]:
        return None
    return current_user.id, membership.couple_id, membership.couple.version, membership.version


@bp.get("/today")
def today():
    """The couple's open prompts and unfinished conversations."""
    token = generate_csrf()
    key = _today_cache_key()
    pages = current_app.extensions["attune.today_pages"]
    page = pages.get(key, current_app.config["TODAY_CACHE_SECONDS"]) if key else None
    if page is None:
        view = reading.today(current_user)
        forms = {
            card.instance.id: AnswerForm(body=card.sealed.mine.body if card.sealed.mine else None)
            for card in view.open_cards
        }
        rendered = render_template("prompts/today.html", view=view, forms=forms, pace=pacing.pace_for(current_user))
        if key is None:
            return rendered
        page = rendered.replace(token, CSRF_SLOT)
        pages.put(key, page)
    return page.replace(CSRF_SLOT, token)


@bp.get("/prompts/<id:instance_id>")
def show(instance_id: int):
    """One prompt: the answer form while sealed, the reveal and reflections after."""
    return _render_prompt(instance_id)


@bp.post("/prompts/<id:instance_id>/answer")
def answer(instance_id: int):
    """Save or edit my answer; the second answer reveals both."""
    form = AnswerForm()
    if form.validate_on_submit():
        if done := committed(
            conversation.submit_answer, current_user, instance_id, form.body.data, form.client_key.data, form=form
        ):
            outcome = done.value
            if outcome.revealed_now:
                flash("You've both answered. Here's what you each wrote.", "success")
                return redirect(url_for("prompts.show", instance_id=instance_id))
            flash("Saved. It stays private until you've both answered.", "success")
            return redirect(url_for("prompts.show", instance_id=instance_id))
    return _render_prompt(instance_id, answer_form=form, status=422)


@bp.post("/prompts/<id:instance_id>/reflections")
def reflect(instance_id: int):
    """Reflect back what I heard in my partner's answer."""
    form = ReflectionForm()
    if form.validate_on_submit():
        if committed(conversation.reflect, current_user, instance_id, form.body.data, form.client_key.data, form=form):
            flash("Reflection shared.", "success")
            return redirect(url_for("prompts.show", instance_id=instance_id, _anchor="listening"))
    return _render_prompt(instance_id, reflection_form=form, status=422)


@bp.post("/prompts/<id:instance_id>/reflections/<id:reflection_id>/response")
def respond(instance_id: int, reflection_id: int):
    """Say whether my partner's reflection left me feeling heard."""
    form = ResponseForm()
    if form.validate_on_submit():
        if committed(
            conversation.respond,
            current_user,
            instance_id,
            reflection_id,
            form.response.data,
            form.addition.data,
            form=form,
        ):
            flash("Thank you for letting them know.", "success")
            return redirect(url_for("prompts.show", instance_id=instance_id, _anchor="being-heard"))
    return _render_prompt(instance_id, response_form=form, status=422)


@bp.post("/prompts/<id:instance_id>/close")
def close(instance_id: int):
    """I'm done with this conversation."""
    if not CloseForm().validate_on_submit():
        abort(400)
    if committed(conversation.close, current_user, instance_id):
        flash("Closed. It's kept in your history.", "success")
    return redirect(url_for("prompts.today"))


@bp.post("/prompts/<id:instance_id>/set-aside")
def set_aside(instance_id: int):
    """Set a prompt aside, no reason needed: it comes round again another day, with every answer kept.

    When the partner has already answered, this asks first (the partner's answer is kept too).
    """
    if not CloseForm().validate_on_submit():
        abort(400)
    confirmed = request.form.get("confirm") == "1"
    if not confirmed and pacing.asks_first(current_user, instance_id):
        return render_template("prompts/set_aside_confirm.html", card=reading.conversation(current_user, instance_id))
    if committed(pacing.set_aside, current_user, instance_id, confirmed=confirmed):
        flash("Set aside for now \u2014 it will come back, with any answers kept.", "success")
    return redirect(url_for("prompts.today"))


@bp.post("/prompts/<id:instance_id>/set-aside/undo")
def undo_set_aside(instance_id: int):
    """Bring back a prompt I set aside a few minutes ago."""
    if not CloseForm().validate_on_submit():
        abort(400)
    if committed(pacing.undo_set_aside, current_user, instance_id):
        flash("It's back.", "success")
    return redirect(url_for("prompts.today"))


@bp.post("/offers/<id:assignment_id>")
def answer_offer(assignment_id: int):
    """My private answer to a deeper prompt our therapist suggested: ready for it, or not now."""
    if not CloseForm().validate_on_submit() or request.form.get("ready") not in ("yes", "no"):
        abort(400)
    ready = request.form["ready"] == "yes"
    if committed(offers.answer, current_user, assignment_id, ready):
        flash(
            "Thank you. It comes once you're both ready." if ready else "Not now, then. You can change your mind.",
            "success",
        )
    return redirect(url_for("prompts.today"))


@bp.post("/prompts/<id:instance_id>/break")
def take_break(instance_id: int):
    """Step away from this conversation for now (or come back to it), without penalty."""
    if not CloseForm().validate_on_submit():
        abort(400)
    stepping_away = request.form.get("back") != "1"
    if committed(pacing.take_break, current_user, instance_id, stepping_away) and stepping_away:
        flash("Take all the time you need. It will be here when you're ready.", "success")
    return redirect(url_for("prompts.show", instance_id=instance_id))


@bp.get("/history")
def history():
    """Revealed conversations, newest first, 20 a page."""
    page = request.args.get("page", 1, type=int) or 1
    return render_template("prompts/history.html", history=reading.history(current_user, page))
