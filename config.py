"""Settings read from the environment, with safe defaults for local use."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _names(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list from the environment, lowercased, blanks dropped."""
    value = os.environ.get(name)
    if value is None:
        return default
    return tuple(item.strip().lower() for item in value.split(",") if item.strip())


# The prompt library shipped with Attune (PROMPT_LIBRARY_PATH may point elsewhere).
PROMPT_LIBRARY = Path(__file__).resolve().parent / "data" / "prompt_library.toml"

# The push services browsers subscribe with: Chrome and Android (FCM, and its older name), Firefox
# (Mozilla autopush), Safari (Apple) and Edge (Windows Push Notification Services). "*.x" means x's subdomains.
PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
)


def database_url(instance_path: str) -> str:
    """The SQLAlchemy URL: DATABASE_URL when set (psycopg 3 for PostgreSQL), else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "attune.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options() -> dict:
    """Error messages and logs must never carry answer text, so SQL parameters stay out of them.

    A server database may drop idle connections (restarts, failovers); database.py checks a
    connection that has rested in the pool a while before handing it out (SQLAlchemy's own
    pool_pre_ping would check every one, a round trip on every request).
    """
    return {"hide_parameters": True}


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, or one generated on first run and kept in instance/."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def settings(instance_path: str) -> dict:
    """All configuration values for an app whose instance folder is instance_path."""
    env = os.environ.get("ATTUNE_ENV", "development")
    production = env == "production"
    return {
        "ATTUNE_ENV": env,
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "SQLITE_BUSY_TIMEOUT_SECONDS": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "30")),
        # PostgreSQL: a pooled connection idle longer than this is pinged before use (0: every time).
        "DATABASE_PING_AFTER_IDLE_SECONDS": float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "10")),
        # Sessions: a server-side record per login, idle and absolute limits.
        "SESSION_COOKIE_NAME": "attune_session",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The cookie keeps the expiry set at login: the absolute limit. Idle time is tracked on the server.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=int(os.environ.get("SESSION_ABSOLUTE_DAYS", "30"))),
        "SESSION_IDLE_TIMEOUT": timedelta(days=int(os.environ.get("SESSION_IDLE_DAYS", "7"))),
        "FRESH_LOGIN_WINDOW": timedelta(minutes=10),
        # Remember-me is off: the session cookie itself carries the (server-checked) login.
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        # The largest body Attune needs is a 5,000-character answer of emoji (4 bytes each, 12 once
        # percent-encoded) with its form fields; anything larger is refused with 413 before it is read.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(96 * 1024))),
        "MAX_FORM_MEMORY_SIZE": int(os.environ.get("MAX_CONTENT_LENGTH", str(96 * 1024))),
        # A device that has logged in to an account is not held back by the limits strangers trigger.
        "KNOWN_DEVICE_COOKIE_NAME": "attune_device",
        "KNOWN_DEVICE_LIFETIME": timedelta(days=int(os.environ.get("KNOWN_DEVICE_DAYS", "180"))),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "PASSWORD_HASH_PROFILE": "owasp",
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if os.environ.get("SMTP_HOST") else "console"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Attune <no-reply@localhost>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", True),
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", "15")),
        # Mail leaves the request through an outbox that the scheduler process drains this often.
        "MAIL_INTERVAL_SECONDS": float(os.environ.get("MAIL_INTERVAL_SECONDS", "5")),
        # How long a drainer holds claimed mail before another may take it over (after a crash).
        "MAIL_LEASE_SECONDS": float(os.environ.get("MAIL_LEASE_SECONDS", "300")),
        # APScheduler's own log level in the scheduler process (INFO shows every job run).
        "APSCHEDULER_LOG_LEVEL": os.environ.get("APSCHEDULER_LOG_LEVEL", "WARNING").upper(),
        # Where the minified, fingerprinted and compressed static files are written (default instance/static-build).
        "STATIC_BUILD_FOLDER": os.environ.get("STATIC_BUILD_FOLDER", ""),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "PROMPT_LIBRARY_PATH": os.environ.get("PROMPT_LIBRARY_PATH", str(PROMPT_LIBRARY)),
        "INVITE_LIFETIME": timedelta(days=7),
        # Web Push: the VAPID private key (else made on first run in instance/), and who runs this server.
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:attune@localhost"),
        "PUSH_INTERVAL_SECONDS": float(os.environ.get("PUSH_INTERVAL_SECONDS", "2")),
        # Couples handled per committed batch in the per-minute tick.
        "DELIVERY_BATCH_SIZE": int(os.environ.get("DELIVERY_BATCH_SIZE", "5000")),
        # Batches delivered side by side, each in its own transaction, on PostgreSQL (SQLite has one writer).
        "DELIVERY_WORKERS": int(os.environ.get("DELIVERY_WORKERS", "2")),
        # Pushes in flight at once: each waits on its push service's answer (tens to hundreds of ms), so the
        # rate is about this divided by that latency; bench/push.py measured 810/s with 128, 890-1,110 with 256.
        "PUSH_WORKERS": int(os.environ.get("PUSH_WORKERS", "256")),
        # How long a sender may hold claimed messages before another may take them over (after a crash).
        "PUSH_LEASE_SECONDS": float(os.environ.get("PUSH_LEASE_SECONDS", "60")),
        # Only for local testing against a push service on this machine: never in production.
        "PUSH_ALLOW_LOCAL_ENDPOINTS": _bool("PUSH_ALLOW_LOCAL_ENDPOINTS", not production),
        # Otherwise endpoints are https on port 443 to one of these: exact names, or "*.x" / ".x" for x's subdomains.
        "PUSH_SERVICE_HOSTS": _names("PUSH_SERVICE_HOSTS", PUSH_SERVICE_HOSTS),
        # How long a rendered Today page may be reused while the couple's state is unchanged (0 turns it off).
        "TODAY_CACHE_SECONDS": float(os.environ.get("TODAY_CACHE_SECONDS", "60")),
        # Where "Leave quickly" goes: an ordinary, neutral page.
        "QUICK_EXIT_URL": os.environ.get("QUICK_EXIT_URL", "https://www.bbc.com/weather"),
        # flask-smorest: the OpenAPI document lives with the API it describes.
        "API_TITLE": "Attune API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def check_production(values) -> None:
    """Refuse to start a production app on settings that only suit a laptop."""
    if values["ATTUNE_ENV"] != "production":
        return
    problems = []
    if values["RATELIMIT_STORAGE_URI"].startswith("memory"):
        problems.append("RATELIMIT_STORAGE_URI must be shared by all workers (for example redis://host:6379/0)")
    if values["PUSH_ALLOW_LOCAL_ENDPOINTS"]:
        problems.append("PUSH_ALLOW_LOCAL_ENDPOINTS would let the server post to addresses inside its own network")
    if values["MAIL_BACKEND"] != "smtp":
        problems.append("SMTP_HOST must be set: development mail is written to disk")
    if problems:
        raise RuntimeError("Attune can't start in production: " + "; ".join(problems))
