"""Opening a demo sign-in link: the token moves into the session (blueprints/link_tokens.py), and a
button on the token-free page signs in, so no GET changes state and the token never reaches a log."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_wtf import FlaskForm

from blueprints import link_tokens
from blueprints.auth.session import log_in
from blueprints.demo import bp
from extensions import db
from services.common.errors import Invalid
from services.demo import sign_in


@bp.get("/sign-in/<token>")
def sign_in_link(token: str):
    """The link `flask demo` printed: its token goes into the session, the browser on to the button (303)."""
    return link_tokens.hold_and_redirect("demo", token, "demo.sign_in_page")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page():
    """Sign in to a demo account with the link this browser opened: once, within 15 minutes."""
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            user = sign_in.consume(link_tokens.held("demo"))
        except Invalid as error:
            db.session.rollback()
            link_tokens.drop("demo")
            return render_template("auth/link_problem.html", message=error.message), 400
        link_tokens.drop("demo")
        log_in(user)  # a brand-new session (and commits the used-up nonce with it)
        return redirect(url_for("therapist.dashboard" if user.is_therapist else "prompts.today"), 303)
    if link_tokens.held("demo") is None:
        return render_template("auth/link_problem.html", message="Open a link from `flask demo` first."), 400
    return render_template("demo/sign_in.html", form=form)
