"""Security headers on every response: our own small ``after_request`` (docs/decisions.md says
why not flask-talisman).

- A Content-Security-Policy that allows scripts and styles from this site only: no inline
  script, no ``on*=`` handler, no ``eval``; pages load their scripts from ``static/``.
- Framing refused twice (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), so no other
  site can put an admin or refund form under a visitor's click.
- ``nosniff``, a referrer policy that never sends our paths (order numbers, receipt links) to
  another site, and HSTS in production only (development runs on plain HTTP).
- ``Cache-Control: no-store`` on private answers: anything served to a signed-in user, the
  account, admin and merchant areas, and API answers to a caller who identified itself.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
))

HSTS = "max-age=31536000; includeSubDomains"

#: Paths that are private to whoever asks, signed in or not (a login form carries a fresh CSRF
#: token; an order or receipt link is a capability of its own).
PRIVATE_PREFIXES = ("/account", "/admin", "/merchant", "/orders", "/receipts", "/cart",
                    "/login", "/signup", "/notifications")


def _private() -> bool:
    if request.endpoint == "static":
        return False
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    if request.path.startswith("/api/") and (request.authorization or request.cookies):
        return True
    return bool(current_user and current_user.is_authenticated)


def init_app(app: Flask, *, production: bool) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        if production:
            headers["Strict-Transport-Security"] = HSTS
        if _private():
            headers["Cache-Control"] = "no-store"
        return response
