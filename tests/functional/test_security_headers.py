"""Security headers on every response, and no-store on private pages (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.accounts.models import Role
from tests.factories import logged_in_client, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "marketplace"


def _get(client, path: str):
    """GET ``path`` and close the answer (a static file's stays open otherwise)."""
    with client.get(path) as response:
        response.get_data()
        return response


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/products", "/api/docs",
                                  "/static/js/print.js", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = _get(client, path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src == "'self'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # development is plain HTTP


def test_an_admin_page_cannot_be_framed_and_is_not_stored(app, db):
    client = logged_in_client(app, make_user(db, Role.ADMIN))
    for path in ("/admin", "/admin/users", "/account", "/api/v1/orders", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_public_pages_and_static_files_may_be_cached(client):
    assert client.get("/").headers.get("Cache-Control") != "no-store"
    assert _get(client, "/static/js/print.js").headers.get("Cache-Control") != "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_hsts_in_production_only(app_config, make_app):
    production = make_app({**app_config, "DATAMARKET_ENV": "production"})
    response = _get(production.test_client(), "/static/js/print.js")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: {match.group(0)}")
    assert offenders == []
