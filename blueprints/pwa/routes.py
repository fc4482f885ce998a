"""The app shell: health checks, the web app manifest, the service worker and its offline page.

Nothing here is personal, so these routes set their own Cache-Control (security.py keeps
a pwa route's own Cache-Control and makes every other non-static response no-store).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from functools import lru_cache

import brotli
import sqlalchemy as sa
from flask import Response, current_app, render_template, request, url_for

from blueprints.pwa import bp
from extensions import db

THEME_COLOR = "#5e4391"  # --accent in static/css/app.css (light)
BACKGROUND_COLOR = "#f8f5f2"  # --bg in static/css/app.css (light)
OFFLINE_PATH = "/offline"
# Files outside static/ whose change should also renew the shell cache (the offline page's templates).
SHELL_TEMPLATES = ("base.html", "pwa/offline.html", "pwa/sw.js")
# Images only the installer or the home screen asks for (the browser fetches them itself when it
# installs): not worth 40 KB on every first visit.
NOT_PRECACHED = ("img/apple-touch-icon.png", "img/icon-512.png", "img/icon-maskable-512.png")


@bp.get("/healthz")
def healthz():
    """200 with JSON when the app can reach its database."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/livez")
def livez():
    """200 while the process is up, touching nothing else (liveness probes, the benchmark's baseline)."""
    return {"status": "alive"}


def _static_files(static_folder: str) -> list[str]:
    """Every file under static/, as sorted forward-slash paths relative to it (dotfiles skipped)."""
    found = []
    for root, dirs, files in os.walk(static_folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith("."):
                found.append(os.path.relpath(os.path.join(root, name), static_folder).replace(os.sep, "/"))
    return sorted(found)


@lru_cache(maxsize=4)
def shell_files(static_folder: str, template_folder: str) -> tuple[tuple[str, ...], str]:
    """The static shell's files and a version hashed from their contents (computed once per process)."""
    files = _static_files(static_folder)
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0")
        with open(os.path.join(static_folder, name), "rb") as handle:
            digest.update(handle.read())
        digest.update(b"\0")
    for name in SHELL_TEMPLATES:
        path = os.path.join(template_folder, name)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(name.encode() + b"\0" + handle.read() + b"\0")
    return tuple(files), digest.hexdigest()[:16]


def _shell() -> tuple[list[str], str]:
    app = current_app
    files, version = shell_files(app.static_folder, os.path.join(app.root_path, app.template_folder))
    # url_for gives each file's fingerprinted name (static_assets.py), served compressed and immutable.
    shell = [url_for("static", filename=name) for name in files if name not in NOT_PRECACHED]
    return shell + [OFFLINE_PATH], version


@lru_cache(maxsize=32)
def _compressed(body: bytes, encoding: str) -> bytes:
    return brotli.compress(body) if encoding == "br" else gzip.compress(body, 9, mtime=0)


def shell_response(body: str, headers: dict) -> Response:
    """A shell response: compressed when the browser accepts it, with an ETag so a re-check costs a 304.

    Compressing is safe here and only here: these bodies hold no CSRF token and nobody's words, so
    there is no secret for BREACH to find (pages stay uncompressed; see static_assets.py).
    """
    data = body.encode()
    response = Response(data, 200, headers)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32], weak=True)  # one tag for every encoding
    response.vary.add("Accept-Encoding")
    accepted = request.accept_encodings
    encoding = next((name for name in ("br", "gzip") if accepted[name]), None)
    if encoding:
        response.set_data(_compressed(data, encoding))
        response.content_encoding = encoding
    return response.make_conditional(request)


def manifest_data() -> dict:
    icon = lambda name: url_for("static", filename=f"img/{name}")  # noqa: E731
    return {
        "id": "/",
        "name": "Attune",
        "short_name": "Attune",
        "description": "A few minutes a day: answer a prompt privately, see both answers together, "
        "and reflect back what you heard.",
        "lang": "en",
        "dir": "ltr",
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["lifestyle"],
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icon("icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: what the phone needs to install Attune."""
    body = json.dumps(manifest_data(), indent=2)
    return shell_response(body, {"Content-Type": "application/manifest+json", "Cache-Control": "public, max-age=3600"})


@bp.get("/sw.js")
def service_worker():
    """The service worker, with the shell's file list and version written in."""
    shell, version = _shell()
    body = render_template(
        "pwa/sw.js",
        version=version,
        shell=shell,
        offline_url=OFFLINE_PATH,
        icon=url_for("static", filename="img/icon-192.png"),
        badge=url_for("static", filename="img/badge-96.png"),
    )
    return shell_response(
        body,
        {
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": "/",
        },
    )


@bp.get(OFFLINE_PATH)
def offline():
    """What the service worker shows when a page can't be reached. Rendered without anyone's details."""
    body = render_template("pwa/offline.html", shell_only=True)
    return shell_response(body, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"})
