"""Response headers that keep pages private and the browser strict (SECURITY.md HEADERS)."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

# Static files may be cached; everything else can carry personal content.
CACHEABLE_PREFIXES = ("/static/",)


def secure_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if production:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    # The app shell's routes (blueprint "pwa": manifest, service worker, offline page) serve nothing
    # personal and may set their own Cache-Control; every other view's is replaced.
    if not request.path.startswith(CACHEABLE_PREFIXES) and not (
        request.blueprint == "pwa" and "Cache-Control" in headers
    ):
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Vary", "Cookie")
    return response


def init_app(app: Flask) -> None:
    production = app.config["ATTUNE_ENV"] == "production"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        return secure_headers(response, production=production)
