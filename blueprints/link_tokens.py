"""Link tokens never reach a log line (SECURITY.md LOGS, RESIDUE), by two defences.

1. A link's page (registration, password reset, invite) moves the token from
   its path into the session and answers 303 with a token-free address, so
   the token appears in that one request line only: never in the form posts,
   page loads and errors that follow.
2. That one line, and anything else that looks like a token path segment, is
   redacted by a filter on the access loggers (werkzeug's, gunicorn's) and on
   the app's own logger.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, redirect, session, url_for

# Far past any real token (an itsdangerous link is about 120 characters), so junk can't bloat the cookie.
MAX_TOKEN_LENGTH = 512
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

# A path segment or query value of 20 or more URL-safe characters, after "/", an encoded "/", or "=".
_SEGMENT = re.compile(r"(?:(?<=[/=])|(?<=%2[Ff]))[A-Za-z0-9_.\-~]{20,}")
_FILE_NAME = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def _key(kind: str) -> str:
    return f"link.{kind}"


def hold_and_redirect(kind: str, token: str, endpoint: str):
    """Keep a link's token in the session and send the browser on to its token-free page (303)."""
    if len(token) <= MAX_TOKEN_LENGTH:
        session[_key(kind)] = token
    else:
        session.pop(_key(kind), None)
    return redirect(url_for(endpoint), 303)


def hold(kind: str, token: str) -> None:
    session[_key(kind)] = token


def held(kind: str) -> str | None:
    """The token of the link this browser last opened, if any."""
    return session.get(_key(kind))


def drop(kind: str) -> None:
    session.pop(_key(kind), None)


def redact(text: str) -> str:
    """text with anything that looks like a token segment replaced (file names such as icon-maskable-512.png kept)."""
    return _SEGMENT.sub(lambda m: m.group(0) if _FILE_NAME.search(m.group(0)) else "[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record whose message holds something token-like; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a malformed record is logging's problem, not a reason to lose it)
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactTokens()


def init_app(app: Flask) -> None:
    """Put the filter on the access loggers and the app's logger (once per logger, however many apps are made)."""
    for logger in [*(logging.getLogger(name) for name in ACCESS_LOGGERS), app.logger]:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
