"""The JSON API (flask-smorest) under ``/api/v1``, documented at ``/api/openapi.json``.

Errors are ``application/problem+json`` documents, produced by the same handler as the HTML
error pages (see :mod:`marketplace.web.errors`), so every failure speaks one format.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from marketplace import policy


class DatamarketApi(Api):
    def _register_error_handlers(self):
        """Leave error handling to the app's problem+json handler."""


def init_api(app: Flask) -> DatamarketApi:
    from marketplace.api.csrf import blp as csrf_token
    from marketplace.authorization.api import blp as applications
    from marketplace.commerce.api import BLUEPRINTS as commerce
    from marketplace.delivery.api import BLUEPRINTS as delivery
    from marketplace.storefront.api import blp as products

    api = DatamarketApi(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "Search the published data products of the Datamarket catalog, apply for "
                    "authorization where a product needs it, and buy them: cart, orders, "
                    "entitlements and receipts. Buying uses your signed-in "
                    "session (the cookie set by logging in); every POST or DELETE also sends "
                    "the X-CSRFToken header, read from /api/v1/csrf-token. Errors are "
                    "application/problem+json."
                ),
            },
        },
    )
    api.spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME",
                                                                 "session"),
        "description": "The session cookie set by logging in on the website."})
    api.spec.components.security_scheme("csrfToken", {
        "type": "apiKey", "in": "header", "name": "X-CSRFToken",
        "description": "The token from GET /api/v1/csrf-token, required on every write."})
    api.spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer",
        "description": "An API key (dmk_...) made under Account → API keys, for the gateway "
                       "(POST /api/v1/gateway/<product_id>/<plugin>/<operation>) and usage."})
    api.register_blueprint(products, url_prefix="/api/v1/products")
    api.register_blueprint(csrf_token, url_prefix="/api/v1/csrf-token")
    api.register_blueprint(applications, url_prefix="/api/v1/applications")
    for blueprint, url_prefix in (*commerce, *delivery):
        api.register_blueprint(blueprint, url_prefix=url_prefix)
    for endpoint in ("api-docs.openapi_json", "api-docs.openapi_swagger_ui"):
        policy.declare_public_endpoint(app, endpoint)
    app.extensions["datamarket.api"] = api
    return api
