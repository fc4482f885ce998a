"""Security headers, error pages, the health check and the home page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_personal_pages_and_api_are_not_stored(client, auth, factory):
    pair = factory.pair()
    auth.login_as(pair.a)
    for path in ("/today", "/history", f"/prompts/{pair.first_prompt_id}", "/api/v1/prompts", "/couple"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_hsts_only_in_production(make_app, monkeypatch):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers
    monkeypatch.setenv("ATTUNE_ENV", "production")
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        make_app()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SMTP_HOST", "mail.example.test")
    production = make_app(MAIL_BACKEND="smtp")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.test_client().get("/").headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_or_style_and_no_third_parties():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\sstyle=\"", text), template
        assert not re.search(r"\son[a-z]+=\"", text), template
        assert not re.search(r"\|\s*safe\b", text), template
        for match in re.finditer(r"(?:src|href)=\"(https?:)?//", text):
            line = text[match.start() : match.start() + 120]
            assert "QUICK_EXIT_URL" in line, (template, line)


def test_friendly_error_pages_and_json_errors(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "couldn" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["code"] == 404
    unauthorised = client.get("/api/v1/me")
    assert unauthorised.status_code == 401 and unauthorised.get_json()["status"] == "Unauthorized"
    assert client.get("/today").status_code == 302


def test_500_is_generic_and_rolls_back(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom-test")
    def boom():
        raise RuntimeError("secret detail SHOULD-NOT-SHOW")

    response = app.test_client().get("/boom-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "SHOULD-NOT-SHOW" not in body and "Your words are safe" in body


def test_healthz_is_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.is_json


def test_home_page_explains_and_warns_about_shared_phones(client):
    text = client.get("/").get_data(as_text=True)
    assert "Sealed until both" in text
    assert "monitors your phone" in text
    assert "data-quick-exit" in text
