"""The JSON API (flask-smorest) under ``/api/v1``, documented at ``/api/openapi.json``.

Errors are ``application/problem+json`` documents, produced by the same handler as the HTML
error pages (see :mod:`marketplace.web.errors`), so every failure speaks one format.
"""

from __future__ import annotations

import http

import werkzeug.routing
from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import fields

from marketplace import policy
from marketplace.api.problems import PROBLEM_JSON, ProblemSchema
from marketplace.web import bounds, text_input

#: What ``X-Pagination`` holds: flask-smorest sends it as JSON text in the header.
PAGINATION_FIELDS = {
    "type": "object",
    "properties": {name: {"type": "integer"} for name in (
        "total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page")},
}
PAGINATION_HEADER = {
    "description": (
        "Pagination metadata as a JSON object written in the header's text, e.g. "
        '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, '
        '"next_page": 2}; parse it with a JSON parser.'),
    "schema": {"type": "string", "contentMediaType": "application/json",
               "contentSchema": PAGINATION_FIELDS},
}
#: Headers that some error statuses always carry.
ERROR_HEADERS = {
    405: {"Allow": {"description": "The methods this URL accepts.",
                    "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait before trying again.",
                          "schema": {"type": "string"}}},
}


#: Text the API accepts: no control characters but tab and line breaks (the request-level check
#: of :mod:`marketplace.web.text_input` refuses them with a 422), written as a JSON Schema pattern.
PLAIN_TEXT = text_input.PLAIN_TEXT


def plain_text_property(self, field, **kwargs) -> dict:
    """Document every free-text field (and text keys of a mapping) as refusing control
    characters, as the API does."""
    ret = kwargs.get("ret", {})
    if isinstance(field, fields.Dict) and isinstance(field.key_field, fields.String):
        return {"propertyNames": {"pattern": PLAIN_TEXT}}
    if (isinstance(field, fields.String) and "pattern" not in ret and "enum" not in ret
            and "format" not in ret):
        return {"pattern": PLAIN_TEXT}
    return {}


def plain_text_path_segment(converter) -> dict:
    """A text URL segment, documented as refusing control characters like every text input."""
    return {"type": "string", "pattern": PLAIN_TEXT}


#: The 401 of every operation that needs a credential.
UNAUTHORIZED = (
    "Not signed in: no session cookie, or an API key sent to a route that needs the signed-in "
    "session (API keys call only the gateway and GET /api/v1/usage; the problem's detail "
    "lists them), or an API key that is unknown, revoked or expired.")


class TruthfulOperations(BasePlugin):
    """Documents what every operation does whatever its view: the 401 of each operation that
    declares a security requirement (anyone without the credential, and any API key sent
    where only the session is taken, gets it), and the highest page of a paginated list
    (:func:`marketplace.web.bounds.api_page` refuses a higher one with a 422)."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            if operation.get("security"):
                operation.setdefault("responses", {}).setdefault("401", "UNAUTHORIZED")
            for parameter in operation.get("parameters") or []:
                if (isinstance(parameter, dict) and parameter.get("in") == "query"
                        and parameter.get("name") == "page" and "schema" in parameter):
                    parameter["schema"]["maximum"] = bounds.MAX_PAGE


class DatamarketApi(Api):
    """flask-smorest's Api, documenting what this API really sends: every error is an
    ``application/problem+json`` document, and ``X-Pagination`` is a string of JSON."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Leave error handling to the app's problem+json handler."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response: dict = {"description": UNAUTHORIZED if status == 401 else status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                if status in ERROR_HEADERS:
                    response["headers"] = ERROR_HEADERS[status]
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: a problem document with its status.",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)


def init_api(app: Flask) -> DatamarketApi:
    from marketplace.api.csrf import blp as csrf_token
    from marketplace.authorization.api import blp as applications
    from marketplace.commerce.api import BLUEPRINTS as commerce
    from marketplace.commerce.requests_api import BLUEPRINTS as buyer_requests
    from marketplace.delivery.api import BLUEPRINTS as delivery
    from marketplace.jobs.api import blp as jobs
    from marketplace.storefront.api import blp as products
    from marketplace.storefront.api import register_schemas as register_product_schemas

    api = DatamarketApi(
        app,
        spec_kwargs={
            "extra_plugins": [TruthfulOperations()],
            "info": {
                "description": (
                    "Search the published data products of the Datamarket catalog, apply for "
                    "authorization where a product needs it, and buy them: cart, orders, "
                    "entitlements and receipts. Buying uses your signed-in "
                    "session (the cookie set by logging in); every POST or DELETE also sends "
                    "the X-CSRFToken header, read from /api/v1/csrf-token. Programs call "
                    "the delivery gateway (documented per product, at "
                    "/products/<id>/openapi.json) and GET /api/v1/usage with an API key "
                    "(Authorization: Bearer dmk_...), and need no CSRF token; any other "
                    "route answers a key with a 401 that lists what keys may call. Errors "
                    "are application/problem+json."
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
    api.ma_plugin.converter.add_attribute_function(plain_text_property)
    for converter in (werkzeug.routing.UnicodeConverter, werkzeug.routing.PathConverter):
        api.register_converter(converter, plain_text_path_segment)
    register_product_schemas(api.spec)
    api.register_blueprint(products, url_prefix="/api/v1/products")
    api.register_blueprint(csrf_token, url_prefix="/api/v1/csrf-token")
    api.register_blueprint(applications, url_prefix="/api/v1/applications")
    api.register_blueprint(jobs, url_prefix="/api/v1/jobs")
    for blueprint, url_prefix in (*commerce, *buyer_requests, *delivery):
        api.register_blueprint(blueprint, url_prefix=url_prefix)
    for endpoint in ("api-docs.openapi_json", "api-docs.openapi_swagger_ui"):
        policy.declare_public_endpoint(app, endpoint)
    app.extensions["datamarket.api"] = api
    return api
