"""The Attune application factory."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.routing import IntegerConverter

import cli
import config
import database
import models  # noqa: F401  (every table is known before migrations compare)
import security
import static_assets
import templating
from blueprints import errors
from blueprints.api import bp as api_bp
from blueprints.auth import bp as auth_bp
from blueprints.auth.session import load_user, unauthorized
from blueprints.checkins import bp as checkins_bp
from blueprints.couple import bp as couple_bp
from blueprints.demo import bp as demo_bp
from blueprints.home import bp as home_bp
from blueprints.journal import bp as journal_bp
from blueprints.moments import bp as moments_bp
from blueprints.prompts import bp as prompts_bp
from blueprints.pwa import bp as pwa_bp
from blueprints.repair import bp as repair_bp
from blueprints.settings import bp as settings_bp
from blueprints.therapist import bp as therapist_bp
from extensions import api, csrf, db, limiter, login_manager, migrate
from services.notifications import vapid


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, security headers, blueprints, errors, commands."""
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("ATTUNE_INSTANCE_PATH"))
    register_config(app, test_config)
    register_extensions(app)
    register_security(app)
    register_static(app)
    register_push(app)
    register_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def register_config(app: Flask, test_config: dict | None) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.settings(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    config.check_production(app.config)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        database.init_app(app, db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    api.init_app(app)


def register_security(app: Flask) -> None:
    security.init_app(app)


def register_static(app: Flask) -> None:
    """Minified, fingerprinted, precompressed static files, cached forever (static_assets.py)."""
    static_assets.init_app(app)


def register_push(app: Flask) -> None:
    """The VAPID identity pushes are signed with (made on first run unless configured)."""
    app.extensions["attune.vapid"] = vapid.load_or_create(app.instance_path, app.config["VAPID_PRIVATE_KEY"])


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a database id, a positive 32-bit integer; anything else is a 404, never an overflow."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def register_converters(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": c.min, "maximum": c.max})


def register_blueprints(app: Flask) -> None:
    for blueprint in (home_bp, auth_bp, couple_bp, prompts_bp, checkins_bp, settings_bp, therapist_bp, pwa_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(repair_bp)
    if app.config["ATTUNE_ENV"] != "production":
        app.register_blueprint(demo_bp)  # the sign-in links `flask demo` prints; never in production
    app.register_blueprint(journal_bp)
    app.register_blueprint(moments_bp)
    api.register_blueprint(api_bp)


def register_errorhandlers(app: Flask) -> None:
    errors.init_app(app)


def register_commands(app: Flask) -> None:
    cli.init_app(app)


def register_template_helpers(app: Flask) -> None:
    templating.init_app(app)
