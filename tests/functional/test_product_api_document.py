"""Each product's API as an OpenAPI 3.1 document, built from its operations' schemas: on the
product page and downloadable, valid against the OpenAPI specification."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from marketplace.accounts.models import Role
from marketplace.catalog.models import ListingState
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import PluginState
from tests.factories import make_listing, make_merchant, make_user

STATUSES = {"200", "401", "403", "404", "422", "429", "502", "503", "504"}


@pytest.fixture
def shop(db):
    merchant, org = make_merchant(db)
    return merchant, org, make_user(db, Role.ADMIN)


def publish(db, shop, **content):
    merchant, org, admin = shop
    return make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, **content)


@pytest.mark.parametrize("operation", ["governance_tools.pii_scan", "governance_tools.desensitize",
                                       "ai_models.credit_risk_score"])
def test_the_document_is_valid_openapi_with_one_gateway_path_per_operation(db, client, shop,
                                                                            operation):
    listing = publish(db, shop, title="Scanner", operation=operation, classification_level=2)
    response = client.get(f"/products/{listing.product_id}/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)  # raises on anything the OpenAPI 3.1 specification refuses
    plugin, name = operation.split(".")
    path = f"/api/v1/gateway/{listing.product_id}/{plugin}/{name}"
    assert list(document["paths"]) == [path]
    post = document["paths"][path]["post"]
    assert set(post["responses"]) == STATUSES
    assert set(post["responses"]["200"]["headers"]) == {"X-Request-Id", "X-Quota-Remaining"}
    assert "Retry-After" in post["responses"]["429"]["headers"]
    for status in STATUSES - {"200"}:
        assert "application/problem+json" in post["responses"][status]["content"]
    assert document["components"]["securitySchemes"]["apiKey"] == {
        **document["components"]["securitySchemes"]["apiKey"], "type": "http",
        "scheme": "bearer"}
    assert document["security"] == [{"apiKey": []}]
    schemas = document["components"]["schemas"]
    output = schemas[f"{operation}.Output"]
    assert output["properties"], "the operation's own output schema"
    refs = [value for value in _walk(document) if value.startswith("#/")]
    assert all(ref.startswith("#/components/") for ref in refs), "no $defs left behind"
    for ref in refs:
        kind, name_ = ref.removeprefix("#/components/").split("/", 1)
        assert name_ in document["components"][kind], ref


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_the_product_page_lists_the_api_and_links_the_document(db, client, shop):
    listing = publish(db, shop, title="Scanner", operation="governance_tools.pii_scan",
                      classification_level=2)
    page = client.get(f"/products/{listing.product_id}").text
    section = page.split('id="api"')[1].split("</section>")[0]
    assert f"/api/v1/gateway/{listing.product_id}/governance_tools/pii_scan" in section
    assert f'href="/products/{listing.product_id}/openapi.json"' in section


def test_a_product_without_an_available_operation_has_no_paths(app, db, client, shop):
    plain = publish(db, shop, title="A dataset", classification_level=2)
    document = client.get(f"/products/{plain.product_id}/openapi.json").json
    validate(document)
    assert document["paths"] == {}
    assert 'id="api"' not in client.get(f"/products/{plain.product_id}").text
    scanner = publish(db, shop, title="Scanner", operation="governance_tools.pii_scan",
                      classification_level=2)
    get_runtime(app).sync()
    plugin_services.set_state(db, shop[2], plugin_services.find(db, "governance_tools"),
                              PluginState.DISABLED)
    db.commit()
    assert client.get(f"/products/{scanner.product_id}/openapi.json").json["paths"] == {}
    assert client.get("/products/999999/openapi.json").status_code == 404
