"""The front door: what Attune is, for people who aren't logged in."""

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

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


# The More tab: (endpoint, title, one line). Feature pages appear once their blueprint is registered.
MORE_FEATURES = [
    ("repair.index", "Repair a hurt", "A guided conversation about one specific hurt, at your pace."),
    ("repair.commitment_list", "Commitments", "Small things you chose to do, and noticing them."),
    ("journal.index", "Journal", "Private notes, just for you."),
    ("moments.index", "A hard moment", "Something to steady you, and a way to ask for reassurance."),
    ("couple.path", "Your path", "Where you are in the work, and what comes next."),
]
MORE_PERSONAL = [
    ("settings.index", "Settings", "When prompts come, notifications, pause, therapists."),
    ("auth.account", "Account", "Your name, password, devices signed in and your data."),
    ("home.safety", "Safety and support", "If you feel unsafe, and how to stop."),
]


@bp.get("/more")
@login_required
def more():
    """Everything beyond the four main tabs, as one short list: features, settings, account and safety."""
    known = current_app.view_functions
    if current_user.is_therapist:
        features, personal = [], [MORE_PERSONAL[1], MORE_PERSONAL[2]]
    else:
        features, personal = [item for item in MORE_FEATURES if item[0] in known], MORE_PERSONAL
    return render_template("home/more.html", features=features, personal=personal)
