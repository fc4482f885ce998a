"""Bare extension instances, initialised by the app factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


class JsonErrorsElsewhereApi(Api):
    """flask-smorest's Api without its app-wide JSON error handler.

    Errors are handled in one place (blueprints/errors), which answers JSON
    under /api/ and friendly HTML everywhere else.
    """

    # Each operation lists the errors it really gives, instead of a catch-all "default" response.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
api = JsonErrorsElsewhereApi()
