"""The front door: what Attune is, for people who aren't logged in."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """Logged-in partners go straight to Today; everyone else sees what Attune is."""
    if current_user.is_authenticated:
        return redirect(url_for("prompts.today"))
    return render_template("home/index.html")
