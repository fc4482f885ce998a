"""Static files on the wire: minified, fingerprinted, precompressed and cached forever.

At startup (or with `flask build-static`) every file in static/ is copied into a build folder
under a name that carries a hash of its content (css/app.css -> css/app.1a2b3c4d5e6f.css): CSS
and JavaScript minified first (rcssmin, rjsmin), JSON re-dumped compactly, and each text file
compressed beside itself as .gz and .br. WhiteNoise serves those names before Flask sees the
request, choosing the .br or .gz copy the browser accepts, with `Cache-Control: immutable` for a
year: a changed file is a new name, so nothing stale is ever kept. `url_for('static', ...)` gives
the fingerprinted name (a url_defaults hook), so templates and the service worker need no change.
Unknown names (an old link, a file added after startup) fall through to Flask's own static route.

Only static files are compressed. Pages are not: each carries a CSRF token and a partner's
words, which together in one compressed body is what BREACH reads secrets from (README, BREACH).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

# The hash in a built name: twelve hex digits before the extension.
FINGERPRINT = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
# The headers security.py gives Flask's responses, for the files WhiteNoise answers itself.
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def minified(name: str, data: bytes) -> bytes:
    """The smallest equivalent of a CSS, JavaScript or JSON file; anything else unchanged."""
    if name.endswith(".css"):
        return rcssmin.cssmin(data.decode("utf-8")).encode("utf-8")
    if name.endswith(".js"):
        return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8")
    if name.endswith(".json"):
        return json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return data


def fingerprinted(name: str, data: bytes) -> str:
    """css/app.css -> css/app.<12 hex digits of the content's SHA-256>.css"""
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _source_files(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in files:
            if not file.startswith("."):
                found.append(os.path.relpath(os.path.join(root, file), folder).replace(os.sep, "/"))
    return sorted(found)


def _write_atomically(path: Path, data: bytes) -> None:
    """Other processes (workers, tests) may build the same folder at once: each file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


@lru_cache(maxsize=8)
def _built(source_folder: str, stamp: tuple) -> tuple[tuple[str, str, dict[str, bytes]], ...]:
    """(source name, built name, {suffix: bytes}) for each file, once per process per set of file versions.

    The suffixes are "" (the minified file) and ".br"/".gz" where compressing is worth it, decided
    as WhiteNoise decides (images and fonts skipped, a copy kept only if 5 % smaller).
    """
    compressor = Compressor(quiet=True)
    out = []
    for name in _source_files(source_folder):
        data = minified(name, Path(source_folder, name).read_bytes())
        built_name = fingerprinted(name, data)
        variants = {"": data}
        if compressor.should_compress(built_name):
            for suffix, compressed in (
                (".br", compressor.compress_brotli(data)),
                (".gz", compressor.compress_gzip(data)),
            ):
                if compressor.is_compressed_effectively(suffix, built_name, len(data), compressed):
                    variants[suffix] = compressed
        out.append((name, built_name, variants))
    return tuple(out)


def build(source_folder: str, build_folder: str) -> dict[str, str]:
    """Write the minified, fingerprinted and compressed copies; return {source name: built name}."""
    stamp = tuple(
        (name, os.stat(os.path.join(source_folder, name)).st_mtime_ns) for name in _source_files(source_folder)
    )
    manifest = {}
    for name, built_name, variants in _built(source_folder, stamp):
        manifest[name] = built_name
        target = Path(build_folder, built_name)
        if target.exists():
            continue  # same name, same content: built by an earlier start
        # The compressed copies first, so a built file that exists always has them beside it.
        for suffix in sorted(variants, reverse=True):
            _write_atomically(Path(f"{target}{suffix}"), variants[suffix])
    return manifest


def _static_headers(headers, path: str, url: str) -> None:
    del headers["Access-Control-Allow-Origin"]  # WhiteNoise's default; nothing here is meant for other sites
    for key, value in STATIC_HEADERS.items():
        headers[key] = value


def init_app(app: Flask) -> None:
    """Build the static files, point url_for('static') at their fingerprinted names and serve them with WhiteNoise."""
    build_folder = app.config.get("STATIC_BUILD_FOLDER") or os.path.join(app.instance_path, "static-build")
    manifest = build(app.static_folder, build_folder)
    app.extensions["attune.static_manifest"] = manifest

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            name = values.get("filename")
            if name in manifest:
                values["filename"] = manifest[name]

    if app.debug:
        # `flask run --debug`: a CSS or JS file edited while the server runs is rebuilt on the next request.
        @app.before_request
        def rebuild_static() -> None:
            manifest.update(build(app.static_folder, build_folder))

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=build_folder,
        prefix="static/",
        autorefresh=app.debug,  # in debug, WhiteNoise looks for newly built files on each request
        max_age=None,
        immutable_file_test=lambda path, url: bool(FINGERPRINT.search(url)),
        add_headers_function=_static_headers,
    )
