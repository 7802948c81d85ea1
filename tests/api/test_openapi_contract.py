"""The whole ``/api/v1`` against its own OpenAPI document, with schemathesis.

Each operation is called with generated requests (valid and invalid), signed in as a buyer, a
merchant and an admin in turn (the session cookie and the ``X-CSRFToken`` header, as a browser
client sends them), and every schemathesis check runs on every answer: no server error, status
codes, content types, headers and bodies as documented, invalid input refused and valid input
accepted, 405 with ``Allow`` for undocumented methods. Examples are few and derandomized so the
suite stays fast and the same on every run.

A new way of signing in (API keys, with the delivery gateway) is one more entry in
``CREDENTIALS``: a function that returns the headers that sign a request in.
"""

from __future__ import annotations

import contextvars
import json
import re
import tempfile
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks
from sqlmodel import Session

from marketplace import create_app
from marketplace.accounts.models import Role
from marketplace.commerce.orders import cart, fulfilment
from marketplace.db import get_engine
from marketplace.delivery import keys
from tests.commerce_factories import make_plan, make_shop, published_listing_with
from tests.factories import logged_in_client, make_user

MAX_EXAMPLES = 6
load_all_checks()
#: Every check schemathesis has, named explicitly rather than left to its defaults.
EVERY_CHECK = list(CHECKS.get_all())


def _browser_session(app, user) -> dict[str, str]:
    """The headers of a signed-in browser: its session cookie and its CSRF token."""
    client = logged_in_client(app, user)
    token = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return {"Cookie": f"{cookie.key}={cookie.value}", "X-CSRFToken": token}


def isolated(app) -> Callable:
    """``app`` as a WSGI application whose every request runs in contexts of its own, as in
    production (see ``IsolatedRequestsClient`` in tests/conftest.py): otherwise the test's
    pushed app context would carry ``g`` (the signed-in user) from one request to the next,
    and a probe sent without credentials would pass as the user of the request before it."""

    def application(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)

    return application


def _world(db: Session):
    """A shop with something of each kind for the API to find: a published listing selling
    several plans, a paid order with its receipt and entitlement, and a cart."""
    shop = make_shop(db)
    listing, plans = published_listing_with(
        db, shop, make_plan("one_time"), make_plan("per_call"), make_plan("free"))
    by_model = {plan.model: plan for plan in plans}
    cart.add(db, shop.buyer, by_model["one_time"].id)
    order = cart.checkout(db, shop.buyer, attempt="contract")
    fulfilment.record_charge(db, order, amount=order.total, provider_ref="pi_contract")
    cart.add(db, shop.buyer, by_model["free"].id)
    db.commit()
    return shop


def _api_key(app, db: Session, shop) -> dict[str, str]:
    """The headers of a program: the buyer's API key (covering its entitlements), no cookie."""
    made = keys.create(db, app.config["SECRET_KEY"], shop.buyer.id, name="contract")
    db.commit()
    return {"Authorization": f"Bearer {made.token}"}


#: role -> (app, db, shop) -> the headers that sign a request in as that role.
CREDENTIALS: dict[str, Callable] = {
    "api_key": _api_key,
    "buyer": lambda app, db, shop: _browser_session(app, shop.buyer),
    "merchant": lambda app, db, shop: _browser_session(app, shop.merchant),
    "admin": lambda app, db, shop: _browser_session(app, make_user(db, Role.ADMIN)),
}


def _document() -> dict:
    """The OpenAPI document of an app built at collection time, so each operation gets its
    own test (the app under test serves the same document: checked below)."""
    with tempfile.TemporaryDirectory(prefix="datamarket-openapi-") as folder:
        app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                          "SEARCH_POLL_SECONDS": 0, "INSTANCE_PATH": folder,
                          "MAIL_FOLDER": folder})
        try:
            return app.test_client().get("/api/openapi.json").get_json()
        finally:
            get_engine(app).dispose()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(params=sorted(CREDENTIALS))
def signed_in(request, app, db) -> dict[str, str]:
    return CREDENTIALS[request.param](app, db, _world(db))


def test_the_document_is_the_apps(client):
    assert client.get("/api/openapi.json").get_json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, app, signed_in):
    served = isolated(app)
    # the checks' own probes (the same request without the credential, or with a wrong one)
    # go to this test's app too
    case.operation.schema.app = served
    case.call_and_validate(app=served, headers=signed_in, checks=EVERY_CHECK)


def test_every_check_is_on():
    assert {check.__name__ for check in EVERY_CHECK} >= {
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_headers_conformance", "response_schema_conformance",
        "negative_data_rejection", "positive_data_acceptance", "unsupported_method",
        "allow_header_conformance", "ignored_auth", "missing_required_header"}


@pytest.mark.parametrize("path", sorted(DOCUMENT["paths"]))
def test_an_undocumented_method_is_405_with_allow(client, path):
    documented = {method.upper() for method in DOCUMENT["paths"][path] if method != "parameters"}
    url = re.sub(r"{[^}]+}", "1", path)
    response = client.open(url, method="PATCH")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert documented <= {m.strip() for m in response.headers["Allow"].split(",")}


def _resolved(response: dict) -> dict:
    if "$ref" in response:
        return DOCUMENT["components"]["responses"][response["$ref"].split("/")[-1]]
    return response


def test_every_error_is_documented_as_problem_json():
    seen = 0
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    content = _resolved(response).get("content", {})
                    assert set(content) == {"application/problem+json"}, (path, method, status)
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}
                    seen += 1
    assert seen > 40


def test_json_headers_are_documented_as_the_strings_they_are(client):
    pagination = DOCUMENT["components"]["headers"]["PAGINATION"]["schema"]
    assert pagination["type"] == "string"
    assert pagination["contentMediaType"] == "application/json"
    search = DOCUMENT["paths"]["/api/v1/products"]["get"]["responses"]["200"]["headers"]
    assert search["X-Search"]["schema"]["type"] == "string"
    sent = client.get("/api/v1/products").headers["X-Pagination"]
    assert isinstance(sent, str) and set(json.loads(sent)) <= set(
        pagination["contentSchema"]["properties"])


def test_business_rule_refusals_are_documented_on_their_routes():
    paths = DOCUMENT["paths"]
    checkout = paths["/api/v1/orders"]["post"]["responses"]["422"]["description"]
    adding = paths["/api/v1/cart"]["post"]["responses"]["422"]["description"]
    paying = paths["/api/v1/orders/{order_number}/payment"]["post"]["responses"]["422"]
    assert "the cart is empty" in checkout
    assert "no longer on sale" in adding
    refused = paths["/api/v1/cart"]["post"]["responses"]["403"]["description"]
    assert "authorization application" in refused and "not confirmed" in refused
    assert "test card" in paying["description"]
