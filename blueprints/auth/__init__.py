"""Accounts: register, log in and out, passwords."""

from flask import Blueprint

from blueprints import link_tokens

bp = Blueprint("auth", __name__)
# The accounts blueprint issues the emailed links, so it puts the token filter on the access logs.
bp.record_once(lambda state: link_tokens.init_app(state.app))

from blueprints.auth import routes  # noqa: E402,F401  (routes attach themselves to bp)
