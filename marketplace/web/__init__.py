"""What every page and API route shares, whatever the domain: CSRF, error answers, form helpers.

This package imports no domain (accounts, catalog, commerce, ...). A domain adds its own words
to the templates (labels, filters, context) when the app is created, from its own package; the
app factory wires the rest (for instance which domain errors carry their own status).
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from marketplace import policy
from marketplace.settings import settings
from marketplace.web import bounds, errors, headers, limits, text_input, uploads

csrf = CSRFProtect()


def _template_globals() -> dict:
    return {"can": policy.shown}


def init_app(app: Flask) -> None:
    uploads.init_app(app)  # first: routes' own body limits apply before any form is read
    bounds.init_app(app)
    csrf.init_app(app)
    errors.init_app(app)
    headers.init_app(app, production=app.config.get("DATAMARKET_ENV") == "production")
    limits.init_app(app, settings(app).redis_url)
    text_input.init_app(app)
    app.context_processor(_template_globals)
