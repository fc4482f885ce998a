"""Hard-moment routes. Requests are fetched only through services.access.moments: the sender and the
recipient may see one; anyone else gets a 404."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from blueprints.commit import committed
from blueprints.moments import bp
from blueprints.moments.forms import ReachOutForm, ReplyForm
from blueprints.roles import partners_only
from services.access import moments as access
from services.moments import reassurance

# Hard moments are a partner's own; a therapist account has none.
partners_only(bp)


def _page(form: ReachOutForm | None = None, status: int = 200):
    return render_template(
        "moments/index.html",
        form=form or ReachOutForm(),
        reach=reassurance.reach_out(current_user),
        sent=reassurance.sent_recently(current_user),
        received=[r for r in reassurance.received_recently(current_user) if r.replied_at is None],
    ), status


@bp.get("/moments")
def index():
    """I'm having a hard moment: slow breathing, grounding, and (if I choose) reaching out."""
    return _page()


@bp.post("/moments/reach-out")
def reach_out():
    """Ask my partner for reassurance."""
    form = ReachOutForm()
    if form.validate_on_submit() and (
        done := committed(reassurance.send, current_user, form.line.data, form.urgent.data, form=form)
    ):
        flash("Sent. Stay with your breathing; you'll see their answer here when it comes.", "success")
        return redirect(url_for("moments.sent", request_id=done.value.id))
    return _page(form, 422)


@bp.get("/moments/sent/<id:request_id>")
def sent(request_id: int):
    """A request I sent, and my partner's answer once it comes."""
    return render_template("moments/sent.html", request=access.sent_by_me(current_user, request_id))


def _request_page(request_id: int, form: ReplyForm | None = None, status: int = 200):
    return render_template(
        "moments/request.html",
        request=access.sent_to_me(current_user, request_id),
        form=form or ReplyForm(),
        quick_replies=reassurance.QUICK_REPLIES,
    ), status


@bp.get("/moments/requests/<id:request_id>")
def request_page(request_id: int):
    """My partner is having a hard moment: how to respond, and quick replies."""
    return _request_page(request_id)


@bp.post("/moments/requests/<id:request_id>/reply")
def reply(request_id: int):
    """Answer my partner's request, with one of our quick replies or my own words."""
    access.sent_to_me(current_user, request_id)
    form = ReplyForm()
    if form.validate_on_submit() and committed(
        reassurance.reply, current_user, request_id, quick=form.quick.data, words=form.words.data, form=form
    ):
        flash("Sent. Being there is what matters.", "success")
        return redirect(url_for("moments.request_page", request_id=request_id))
    return _request_page(request_id, form, 422)
