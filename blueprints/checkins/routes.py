"""Check-in routes: the page shows this week, earlier weeks and the chart; posting validates, saves and redirects."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.checkins import bp
from blueprints.checkins.forms import CheckInForm
from blueprints.commit import committed
from blueprints.roles import partners_only
from services.checkins import checkins

partners_only(bp)


def _render(form: CheckInForm | None = None, status: int = 200):
    page = checkins.overview(current_user)
    if form is None:
        form = CheckInForm.for_entry(page.this_week.mine if page.this_week else None)
    return render_template("checkins/show.html", page=page, form=form, weekday_name=checkins.weekday_name), status


@bp.get("/checkin")
def show():
    """This week's check-in (or when it opens); once revealed, the two side by side and our chart."""
    return _render()


def _weeks_page(part: str, **extra):
    return render_template("checkins/weeks.html", part=part, page=checkins.overview(current_user), **extra)


@bp.get("/checkin/weeks")
def weeks():
    """Our chart: how connected each of us felt, the weeks we both shared. One tap from this week's page.

    Each part of "Over the weeks" is its own small page (ours, my safety, my CSI-4, what we wrote), so each
    fits the page budget at a year of history.
    """
    return _weeks_page("ours")


@bp.get("/checkin/weeks/safety")
def own_safety():
    """My own safety score over the weeks: mine alone."""
    return _weeks_page("safety")


@bp.get("/checkin/weeks/csi-4")
def own_csi():
    """My own CSI-4 every fourth week: mine alone."""
    return _weeks_page("csi")


@bp.get("/checkin/weeks/earlier")
def earlier():
    """The earlier weeks we both shared, side by side, a few a page; a page that doesn't exist is a 404."""
    number = request.args.get("page", "1")
    if not (number.isascii() and number.isdecimal() and len(number) <= 6):
        abort(404)
    return _weeks_page("earlier", earlier=checkins.earlier(current_user, int(number)))


@bp.post("/checkin")
def submit():
    """Save or change my check-in for this week; the second partner's reveals both."""
    form = CheckInForm()
    if form.validate_on_submit():
        membership = current_user.active_membership
        if membership is None:
            flash("Check-ins start once you and your partner are paired.", "error")
            return redirect(url_for("checkins.show"))
        if done := committed(checkins.submit, current_user, membership.couple, form.values(), form=form):
            if done.value.revealed_now:
                flash("You've both checked in. Here's this week, side by side.", "success")
            else:
                flash("Saved. It stays private until you've both checked in.", "success")
            return redirect(url_for("checkins.show"))
    return _render(form, 422)
