"""The JSON API (flask-smorest) under ``/api/v1``, documented at ``/api/openapi.json``.

Errors are ``application/problem+json`` documents, produced by the same handler as the HTML
error pages (see :mod:`marketplace.web`), so every failure speaks one format.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from marketplace import policy


class DatamarketApi(Api):
    def _register_error_handlers(self):
        """Leave error handling to the app's problem+json handler."""


def init_api(app: Flask) -> DatamarketApi:
    from marketplace.catalog.api import blp as products

    api = DatamarketApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Browse the published data products of the Datamarket catalog.",
            },
        },
    )
    api.register_blueprint(products, url_prefix="/api/v1/products")
    for endpoint in ("api-docs.openapi_json", "api-docs.openapi_swagger_ui"):
        policy.declare_public_endpoint(app, endpoint)
    app.extensions["datamarket.api"] = api
    return api
