"""Account routes. Messages never say whether an address has an account (SECURITY.md ENUM).

Login limits stop guessing without handing anyone a lock-out button (SECURITY.md RATE, LOCKOUT):
strangers are limited per client address and per account-and-address, so failures from elsewhere
never block the owner's own connection; a known device (blueprints/auth/known_device.py) has a
limit of its own instead. Emailed links hand their token to the session at once (blueprints/link_tokens.py).
"""

from __future__ import annotations

import hashlib
import json

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user

import database
from blueprints import link_tokens
from blueprints.auth import bp, known_device
from blueprints.auth.forms import (
    ChangePasswordForm,
    ConfirmPasswordForm,
    DeleteAccountForm,
    EmailForm,
    FinishRegistrationForm,
    LoginForm,
    ResetPasswordForm,
)
from blueprints.auth.fresh import fresh_login_required
from blueprints.auth.session import log_in
from blueprints.commit import committed
from extensions import db, limiter
from models import ROLE_THERAPIST, utcnow
from services.accounts import accounts, data_rights
from services.common.errors import Invalid
from services.common.redirects import local_path

AUTH_LIMIT = "10 per minute;60 per hour"
# Login attempts from strangers: per client address (AUTH_LIMIT) and per account at that address.
ACCOUNT_CLIENT_LIMIT = "5 per minute;30 per hour"
# Login attempts from a known device of the account, in a bucket of its own.
KNOWN_DEVICE_LIMIT = "5 per minute;30 per hour"


def _account_client_key() -> str:
    """One account guessed at from one client address (the email hashed: no addresses in the limiter's store)."""
    email = accounts.normalise_email(request.form.get("email", ""))
    return f"login-account:{hashlib.sha256(email.encode()).hexdigest()[:32]}:{get_remote_address()}"


def _after_login(next_path: str | None):
    home = url_for("therapist.dashboard" if current_user.is_therapist else "prompts.today")
    return redirect(local_path(next_path) or home)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    """Step one of registering: an email address, answered with a link sent to it."""
    if current_user.is_authenticated:
        return redirect(url_for("prompts.today"))
    form = EmailForm(next=request.args.get("next"))
    if form.validate_on_submit():
        if committed(
            accounts.start_registration,
            form.email.data,
            next_path=form.next.data,
            invite=link_tokens.held("invite"),
            form=form,
        ):
            return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/therapist", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register_therapist():
    """Therapists register the same way, and are labelled as therapists everywhere couples see them."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = EmailForm()
    if form.validate_on_submit():
        if committed(accounts.start_registration, form.email.data, role=ROLE_THERAPIST, form=form):
            return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register_therapist.html", form=form)


@bp.get("/register/sent")
def check_inbox():
    """The same page whatever address was given."""
    return render_template("auth/check_inbox.html")


@bp.get("/register/finish/<token>")
def registration_link(token: str):
    """The link from the email: its token moves into the session, and the browser on to the form (303)."""
    return link_tokens.hold_and_redirect("register", token, "auth.finish_registration")


@bp.route("/register/finish", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def finish_registration():
    """Step two: where the person from the emailed link picks a name and a password."""
    try:
        claim = accounts.read_registration_token(link_tokens.held("register"))
    except Invalid as error:
        return render_template("auth/link_problem.html", message=error.message), 400
    form = FinishRegistrationForm()
    if form.validate_on_submit():
        if done := committed(
            accounts.create_account,
            claim,
            form.display_name.data,
            form.password.data,
            form.practice_name.data,
            form=form,
        ):
            user = done.value
            log_in(user)
            if claim.invite:
                link_tokens.hold("invite", claim.invite)
            flash(f"Welcome, {user.display_name}.", "success")
            home = url_for("therapist.dashboard") if user.is_therapist else url_for("couple.show")
            return redirect(claim.next_path or home)
    return render_template("auth/finish_registration.html", form=form, email=claim.email, role=claim.role)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"], exempt_when=known_device.is_known)
@limiter.limit(ACCOUNT_CLIENT_LIMIT, methods=["POST"], key_func=_account_client_key, exempt_when=known_device.is_known)
@limiter.limit(
    KNOWN_DEVICE_LIMIT, methods=["POST"], key_func=known_device.limit_key, exempt_when=known_device.is_stranger
)
def login():
    """Log in; wrong email and wrong password get the same answer."""
    if current_user.is_authenticated:
        return _after_login(request.args.get("next"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That email and password don't match an account.", "error")
        else:
            log_in(user)
            return _after_login(form.next.data)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """End this login on the server, then clear what the browser holds for the site."""
    if current_user.is_authenticated:
        committed(accounts.end_login_session, current_user)
    return _signed_out_to("home.index")


def _signed_out_to(endpoint: str, message: str | None = None):
    """Log out of this browser and have it drop everything it holds for the site (cache, cookies, drafts)."""
    logout_user()
    if message:
        flash(message, "success")
    response = make_response(redirect(url_for(endpoint)))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/account", methods=["GET"])
@login_required
def account():
    """The person's account: name, email, password and sessions."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change password (needs the current one); every other login ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if committed(accounts.change_password, current_user, form.current_password.data, form.password.data, form=form):
            flash("Password changed. You've been signed out on your other devices.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every login of this account, this one included."""
    committed(accounts.end_all_sessions, current_user)
    return _signed_out_to("auth.login", "You've been signed out everywhere.")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = EmailForm()
    if form.validate_on_submit():
        committed(accounts.start_password_reset, form.email.data)
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot_password.html", form=form)


@bp.get("/password/reset/<token>")
def reset_link(token: str):
    """The link from the reset email: its token moves into the session, and the browser on to the form (303)."""
    return link_tokens.hold_and_redirect("reset", token, "auth.reset_password")


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def reset_password():
    """Choose a new password from a reset link; every login of the account ends."""
    try:
        user = accounts.read_reset_token(link_tokens.held("reset"))
    except Invalid as error:
        return render_template("auth/link_problem.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if committed(accounts.reset_password, user, form.password.data, form=form):
            link_tokens.drop("reset")
            flash("Your password is changed. Log in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def confirm_password():
    """Re-enter the password before a sensitive action (export, deletion, consent, password change)."""
    form = ConfirmPasswordForm(next=request.args.get("next"))
    if form.validate_on_submit():
        if committed(accounts.confirm_password, current_user, form.password.data, form=form):
            return redirect(local_path(form.next.data) or url_for("auth.account"))
    return render_template("auth/confirm_password.html", form=form)


# Data rights: a copy of your data, and deleting your account (SECURITY.md DATA, FRESH) ----------


@bp.get("/account/data")
@login_required
@fresh_login_required
def data():
    """What the export holds, the download, and the ways out: unpairing and deleting the account."""
    return render_template("auth/data.html", membership=current_user.active_membership)


@bp.get("/account/export.json")
@login_required
@fresh_login_required
def export():
    """Download everything of yours as JSON (your partner's words only where they were revealed to you)."""
    body = json.dumps(data_rights.export(current_user), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="attune-export-{utcnow():%Y-%m-%d}.json"'
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@fresh_login_required
def delete_account():
    """Delete the account for good, after a typed confirmation; the session ends with it."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        committed(data_rights.delete_account, current_user)
        database.forget_deleted(db.engine)
        return _signed_out_to("home.index", "Your account and everything you wrote in Attune have been deleted.")
    return render_template(
        "auth/delete_account.html",
        form=form,
        membership=current_user.active_membership,
        therapist=current_user.is_therapist,
    )
