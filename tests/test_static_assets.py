"""Static files on the wire (static_assets.py): fingerprinted, minified, precompressed, immutable; pages uncompressed."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
from flask import Flask, url_for

import static_assets

ROOT = Path(__file__).resolve().parent.parent
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"^/static/[\w/-]+\.[0-9a-f]{12}\.\w+$")


def linked_assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_pages_link_fingerprinted_assets(client):
    assets = linked_assets(client.get("/").get_data(as_text=True))
    assert any(url.endswith(".css") for url in assets) and any(url.endswith(".js") for url in assets)
    assert all(FINGERPRINTED.match(url) for url in assets), assets


def test_assets_are_minified_compressed_and_immutable(client):
    css_url = next(url for url in linked_assets(client.get("/").get_data(as_text=True)) if url.endswith(".css"))
    source = (ROOT / "static" / "css" / "app.css").read_bytes()

    plain = client.get(css_url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert len(plain.data) < len(source) and b"\n  " not in plain.data  # minified

    for accept, encoding, decode in (("br, gzip", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)):
        response = client.get(css_url, headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == encoding
        assert decode(response.data) == plain.data
        assert len(response.data) < len(plain.data) / 3
        assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Access-Control-Allow-Origin" not in response.headers


def test_an_unfingerprinted_name_still_works_but_is_not_cached_forever(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_pages_are_never_compressed(client, auth, factory):
    """BREACH: a page holds a CSRF token beside text others can influence, so it is sent as it is."""
    pair = factory.pair()
    for path in ("/", "/login"):
        response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert "Content-Encoding" not in response.headers, path
    auth.login_as(pair.a)
    for path in ("/today", f"/prompts/{pair.first_prompt_id}", "/api/v1/prompts"):
        response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert "Content-Encoding" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_service_worker_precaches_the_fingerprinted_shell(client):
    script = client.get("/sw.js").get_data(as_text=True)
    shell = re.search(r"const SHELL = (\[.*?\]);", script).group(1)
    urls = re.findall(r'"([^"]+)"', shell)
    assert "/offline" in urls
    statics = [url for url in urls if url != "/offline"]
    assert statics and all(FINGERPRINTED.match(url) for url in statics), statics
    for url in statics:
        assert client.get(url).headers["Cache-Control"].endswith("immutable"), url


def test_shell_responses_are_compressed_and_revalidate_cheaply(client):
    """The service worker, manifest and offline page hold nothing personal, so they may be compressed."""
    for path in ("/sw.js", "/manifest.webmanifest", "/offline"):
        plain = client.get(path)
        response = client.get(path, headers={"Accept-Encoding": "br"})
        assert response.headers["Content-Encoding"] == "br", path
        assert brotli.decompress(response.data) == plain.data, path
        again = client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and not again.data, path
    assert b"csrf" not in client.get("/offline").data


def test_in_debug_an_edited_file_is_rebuilt_without_a_restart(tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "app.css").write_text("body {  color: red;  }\n")
    app = Flask(__name__, static_folder=str(static), instance_path=str(tmp_path / "instance"))
    app.config["DEBUG"] = True
    app.add_url_rule("/", "page", lambda: url_for("static", filename="css/app.css"))
    static_assets.init_app(app)
    client = app.test_client()

    def css() -> bytes:
        return client.get(client.get("/").get_data(as_text=True)).data  # the page's link, then the file

    assert css() == b"body{color:red}"
    (static / "css" / "app.css").write_text("body {  color: blue;  }\n")
    assert css() == b"body{color:blue}"
