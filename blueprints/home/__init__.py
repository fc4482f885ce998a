"""The front door: what Attune is, for people who aren't logged in."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Logged-in partners go straight to Today, therapists to their couples; everyone else sees what Attune is."""
    if current_user.is_authenticated:
        return redirect(url_for("therapist.dashboard" if current_user.is_therapist else "prompts.today"))
    return render_template("home/index.html")


@bp.get("/safety")
def safety():
    """Safety resources, for anyone: what Attune isn't, what to do if you feel unsafe, how to stop."""
    return render_template("home/safety.html")
