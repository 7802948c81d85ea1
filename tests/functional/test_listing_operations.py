"""Plugin operations on listings: attaching one, reviewing it, showing its schemas to buyers and
in the API, and the merchant's try-it console, with real plugins from ``listing_plugins/``.

``acme_registry`` belongs to ACME_CODE's organization, ``rival_tools`` to RIVAL_CODE's; the
platform's own ``governance_tools`` and ``ai_models`` come through their entry points.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import select

from marketplace.accounts.models import Role
from marketplace.catalog import listing_operations
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.catalog.schemas_shown import example_payload, schema_rows
from marketplace.delivery import entitlements
from marketplace.errors import ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import PluginIncident, PluginState
from tests.factories import (
    listing_content,
    logged_in_client,
    make_organization,
    make_user,
    page_text,
    plans,
)

PLUGINS = Path(__file__).resolve().parent / "listing_plugins"
ACME_CODE = "91350100M000100Y43"
RIVAL_CODE = "91110108MAD272HD0J"
LOOKUP = "acme_registry.company_lookup"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATAMARKET_PLUGINS_DIR": str(PLUGINS),
            "PLUGIN_BREAKER_THRESHOLD": 2, "PLUGIN_BREAKER_COOLDOWN": 60}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()  # no worker process outlives its test




def org_with_code(db, code: str):
    org = make_organization(db)
    org.credit_code = code
    db.add(org)
    db.commit()
    return org


@pytest.fixture
def acme(db):
    org = org_with_code(db, ACME_CODE)
    return make_user(db, Role.MERCHANT, organization=org), org


@pytest.fixture
def rival(db):
    org = org_with_code(db, RIVAL_CODE)
    return make_user(db, Role.MERCHANT, organization=org), org


@pytest.fixture
def admin(db):
    return make_user(db, Role.ADMIN)


def new_listing(db, merchant, org, operation: str = LOOKUP) -> Listing:
    listing = catalog.create_listing(db, merchant, org, listing_content(operation=operation),
                                     plans("per_call"))
    db.commit()
    return listing


def published_listing(db, merchant, org, admin, operation: str = LOOKUP) -> Listing:
    listing = new_listing(db, merchant, org, operation)
    catalog.submit(db, merchant, listing)
    catalog.decide(db, admin, listing, Transition.APPROVE)
    db.commit()
    assert listing.state == ListingState.PUBLISHED
    return listing


def set_plugin_state(app, db, admin, name: str, state: PluginState) -> None:
    get_runtime(app).sync()
    plugin_services.set_state(db, admin, plugin_services.find(db, name), state)
    db.commit()


def editor_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Company blacklist lookup",
        "summary": "Is this company blacklisted?",
        "description_md": "Answers from the registry.",
        "product_type": "modelized_data",
        "delivery_form": "service_api",
        "scenario": "finance",
        "tags": "blacklist",
        "classification_level": "2",
        "version": "1.0",
        "data_dictionary-0-name": "credit_code",
        "data_dictionary-0-field_type": "string",
        "data_dictionary-0-description": "USCC",
        "data_dictionary-0-sensitivity": "none",
        "sample_rows": "",
        "pricing_plans-0-name": "Pay as you go",
        "pricing_plans-0-model": "per_call",
        "pricing_plans-0-tiers": "* 0.05",
        "operation": LOOKUP,
        "save": "Save draft",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------- attaching


def test_editor_offers_the_organizations_and_the_platforms_operations_only(app, acme):
    page = page_text(logged_in_client(app, acme[0]).get("/merchant/listings/new"))
    assert 'name="operation"' in page
    assert f'value="{LOOKUP}"' in page
    assert 'value="governance_tools.pii_scan"' in page  # the platform's own plugin
    assert "rival_tools" not in page
    assert "Your organization's plugins" in page and "Platform plugins" in page


def test_merchant_attaches_its_own_operation_and_previews_its_schemas(app, db, acme):
    client = logged_in_client(app, acme[0])
    response = client.post("/merchant/listings/new", data=editor_form())
    assert response.status_code == 302, page_text(response)
    listing = db.exec(select(Listing).where(Listing.organization_id == acme[1].id)).one()
    assert (listing.plugin_name, listing.operation_name) == ("acme_registry", "company_lookup")

    preview = page_text(client.get(f"/merchant/listings/{listing.id}"))
    assert "Look up a company by its credit code." in preview
    assert "<code>credit_code</code>" in preview and "<code>scores[].value</code>" in preview
    assert "Raw JSON Schema" in preview
    assert f"/merchant/operations?operation={LOOKUP}" in preview

    edit = page_text(client.get(f"/merchant/listings/{listing.id}/edit"))
    assert f'<option selected value="{LOOKUP}">' in edit


@pytest.mark.parametrize(("operation", "message"), [
    ("rival_tools.rival_lookup", "belongs to another merchant's plugin “rival_tools”"),
    ("acme_registry.no_such_thing", "is not available"),
    ("nonsense", "Choose a plugin operation from the list"),
])
def test_an_operation_the_merchant_may_not_attach_is_refused(app, db, acme, operation, message):
    response = logged_in_client(app, acme[0]).post("/merchant/listings/new",
                                        data=editor_form(operation=operation))
    assert response.status_code == 422
    assert message in page_text(response)
    assert db.exec(select(Listing).where(Listing.organization_id == acme[1].id)).first() is None


def test_the_services_refuse_another_merchants_operation_too(app, db, acme, rival):
    with pytest.raises(ValidationFailed) as refused:
        catalog.create_listing(db, *acme, listing_content(operation="rival_tools.rival_lookup"))
    assert "operation" in refused.value.field_errors
    db.rollback()
    # ... while the rival attaches it, and anyone attaches the platform's.
    assert new_listing(db, *rival, operation="rival_tools.rival_lookup").plugin_name == \
        "rival_tools"
    assert new_listing(db, *acme, operation="governance_tools.pii_scan").operation_name == \
        "pii_scan"


def test_editing_can_detach_and_a_new_version_copies_the_operation(app, db, acme, admin):
    listing = published_listing(db, *acme, admin)
    draft = catalog.start_new_version(db, acme[0], db.get(Product, listing.product_id))
    db.commit()
    assert (draft.plugin_name, draft.operation_name) == ("acme_registry", "company_lookup")

    client = logged_in_client(app, acme[0])
    response = client.post(f"/merchant/listings/{draft.id}/edit",
                           data=editor_form(operation="", version=draft.version))
    assert response.status_code == 302, page_text(response)
    db.expire_all()
    assert db.get(Listing, draft.id).plugin_name is None
    # The reviewer sees the change against the version on sale.
    catalog.submit(db, acme[0], db.get(Listing, draft.id))
    db.commit()
    review = page_text(logged_in_client(app, admin).get(f"/admin/reviews/{draft.id}"))
    assert "acme_registry · company_lookup" in review and "No plugin operation" in review


def test_a_listing_whose_operation_became_unavailable_cannot_be_submitted(app, db, acme, admin):
    listing = new_listing(db, *acme)
    set_plugin_state(app, db, admin, "acme_registry", PluginState.DISABLED)
    client = logged_in_client(app, acme[0])
    response = client.post(f"/merchant/listings/{listing.id}/submit", follow_redirects=True)
    assert "is not available" in page_text(response)
    db.expire_all()
    assert db.get(Listing, listing.id).state == ListingState.DRAFT
    # The editor keeps showing what is attached instead of dropping it silently.
    edit = page_text(client.get(f"/merchant/listings/{listing.id}/edit"))
    assert "acme_registry.company_lookup (unavailable)" in edit


# ---------------------------------------------------------------------------- review and store


def test_the_review_page_shows_the_attached_operation(app, db, acme, admin):
    listing = new_listing(db, *acme)
    catalog.submit(db, acme[0], listing)
    db.commit()
    page = page_text(logged_in_client(app, admin).get(f"/admin/reviews/{listing.id}"))
    assert "Plugin operation" in page
    assert "acme_registry · company_lookup" in page
    assert f"manifest merchant {ACME_CODE}" in page
    assert "<code>include_history</code>" in page


def test_the_product_page_shows_the_operation_and_its_schemas(app, db, acme, admin):
    listing = published_listing(db, *acme, admin)
    response = app.test_client().get(f"/products/{listing.product_id}")
    assert response.status_code == 200
    page = page_text(response)
    assert 'id="operation"' in page and "API operation" in page
    assert "acme_registry · company_lookup" in page
    assert "Look up a company by its credit code." in page
    assert "Answers whether the company is blacklisted, with risk scores." in page
    # Input: a table of properties with type, required, description and constraints.
    input_table = page.split('id="operation-input-table"')[1].split("</table>")[0]
    assert "<code>credit_code</code>" in input_table
    assert "The company's unified social credit code." in input_table
    assert "at least 18 characters" in input_table and "at most 18 characters" in input_table
    assert "matches the pattern ^[0-9A-Z]{18}$" in input_table
    assert "<code>address.city</code>" in input_table
    assert "default: false" in input_table
    assert "Required" in input_table and "Optional" in input_table
    output_table = page.split('id="operation-output-table"')[1].split("</table>")[0]
    assert "<code>scores</code>" in output_table and "<code>array<object></code>" in output_table
    assert "at most 1" in output_table
    # ... and the raw JSON Schema, folded.
    assert page.count("Raw JSON Schema") == 2
    assert '"credit_code"' in page


def test_the_product_page_says_when_the_service_is_unavailable(app, db, acme, admin):
    listing = published_listing(db, *acme, admin)
    set_plugin_state(app, db, admin, "acme_registry", PluginState.DISABLED)
    response = app.test_client().get(f"/products/{listing.product_id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "This service is temporarily unavailable" in page
    assert "acme_registry · company_lookup" in page
    assert listing.title in page


def test_the_api_includes_the_operation(app, db, acme, admin):
    with_op = published_listing(db, *acme, admin)
    without = published_listing(db, *acme, admin, operation="")
    client = app.test_client()

    document = client.get(f"/api/v1/products/{with_op.product_id}").get_json()
    operation = document["operation"]
    expected = get_runtime(app).operation("acme_registry", "company_lookup")
    assert operation["plugin"] == "acme_registry"
    assert operation["name"] == "company_lookup"
    assert operation["summary"] == "Look up a company by its credit code."
    assert operation["input_schema"] == expected.input_schema
    assert operation["output_schema"] == expected.output_schema
    assert client.get(f"/api/v1/products/{without.product_id}").get_json()["operation"] is None

    listed = {p["id"]: p for p in client.get("/api/v1/products").get_json()}
    assert listed[with_op.product_id]["operation"]["name"] == "company_lookup"

    set_plugin_state(app, db, admin, "acme_registry", PluginState.DISABLED)
    gone = client.get(f"/api/v1/products/{with_op.product_id}").get_json()["operation"]
    assert gone["available"] is False and gone["input_schema"] is None


def test_schema_rows_and_example_payloads_read_pydantic_schemas(app, db):
    info = get_runtime(app).operation("acme_registry", "company_lookup")
    rows = {row.name: row for row in schema_rows(info.input_schema)}
    assert rows["credit_code"].required and rows["credit_code"].type == "string"
    assert not rows["address"].required and rows["address"].type == "object | null"
    assert rows["address.district"].type == "string | null"
    assert example_payload(info) == {"credit_code": ACME_CODE}
    explode = get_runtime(app).operation("acme_registry", "explode")
    assert schema_rows(explode.input_schema) == []
    rival = get_runtime(app).operation("rival_tools", "rival_lookup")
    assert example_payload(rival) == {"text": ""}  # a skeleton when no example is given


# ---------------------------------------------------------------------------- try-it console


def run(client, operation: str, payload, *, json_wanted: bool = False):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"Accept": "application/json"} if json_wanted else {}
    return client.post("/merchant/operations", data={"operation": operation, "payload": body},
                       headers=headers)


def test_console_lists_own_and_platform_operations_prefilled_with_the_example(app, acme):
    client = logged_in_client(app, acme[0])
    page = page_text(client.get("/merchant/operations"))
    assert "Your organization's operations" in page and "Platform operations" in page
    assert f'value="{LOOKUP}" selected' in page
    assert "governance_tools.pii_scan" in page
    assert "rival_tools" not in page
    assert '"credit_code": "91350100M000100Y43"' in page  # the example input, pretty-printed
    assert 'href="/merchant/operations"' in page_text(client.get("/merchant"))


def test_console_refuses_other_merchants_operations_buyers_and_anonymous(app, db, acme, rival):
    client = logged_in_client(app, acme[0])
    assert client.get("/merchant/operations?operation=rival_tools.rival_lookup").status_code \
        == 403
    assert run(client, "rival_tools.rival_lookup", {"text": "x"}).status_code == 403
    assert client.get("/merchant/operations?operation=acme_registry.nothing").status_code == 404
    buyer = logged_in_client(app, make_user(db))
    assert buyer.get("/merchant/operations").status_code == 403
    assert app.test_client().get("/merchant/operations").status_code == 302
    # The platform's own operations can be tried by any merchant.
    rival_client = logged_in_client(app, rival[0])
    assert rival_client.get("/merchant/operations?operation=governance_tools.pii_scan") \
        .status_code == 200


def test_console_runs_the_operation_and_shows_its_output(app, acme):
    client = logged_in_client(app, acme[0])
    response = run(client, LOOKUP, {"credit_code": "91350100M00010000X"})
    assert response.status_code == 200, page_text(response)
    page = page_text(response)
    assert '"listed": true' in page and '"name": "Fuzhou Example Co., Ltd."' in page
    assert "merchant-console:" in page

    answer = run(client, LOOKUP, {"credit_code": ACME_CODE}, json_wanted=True)
    assert answer.status_code == 200
    assert answer.get_json() == {"output": {"listed": False, "name": "Fuzhou Example Co., Ltd.",
                                            "scores": [{"kind": "credit", "value": 0.82}]}}


def test_admins_can_try_any_operation(app, db, admin, rival):
    response = run(logged_in_client(app, admin), "rival_tools.rival_lookup", {"text": "abc"},
                   json_wanted=True)
    assert response.get_json() == {"output": {"text": "cba"}}


def test_console_shows_bad_input_and_not_found_messages(app, acme):
    client = logged_in_client(app, acme[0])
    response = run(client, LOOKUP, {"credit_code": "too short"})
    assert response.status_code == 422
    page = page_text(response)
    assert "The operation refused this input" in page and "credit_code" in page
    assert "too short" in page  # what the merchant typed is kept

    problem = run(client, LOOKUP, {"credit_code": "too short"}, json_wanted=True)
    assert problem.status_code == 422 and problem.mimetype == "application/problem+json"
    assert "credit_code" in problem.get_json()["detail"]

    missing = run(client, LOOKUP, {"credit_code": "0" * 18})
    assert missing.status_code == 404
    assert f"No company is registered under {'0' * 18}." in page_text(missing)


@pytest.mark.parametrize("typed", ['{"credit_code": ', "[1, 2]", ""])
def test_console_treats_invalid_json_as_a_form_error(app, acme, typed):
    client = logged_in_client(app, acme[0])
    response = run(client, LOOKUP, typed)
    assert response.status_code == 422
    page = page_text(response)
    assert "JSON" in page and 'class="field-error"' in page
    problem = run(client, LOOKUP, typed, json_wanted=True)
    assert problem.status_code == 422
    assert problem.get_json()["errors"]["payload"]


def incident_of(db, incident: str) -> PluginIncident:
    db.expire_all()
    return db.exec(select(PluginIncident).where(PluginIncident.incident == incident)).one()


def test_a_faulting_operation_gives_an_incident_id_and_the_app_keeps_serving(app, db, acme):
    client = logged_in_client(app, acme[0])
    page = run(client, "acme_registry.explode", {})
    assert page.status_code == 502
    body = page_text(page)
    incident = re.search(r'<code class="incident-id">([0-9a-f]+)</code>', body).group(1)
    assert incident_of(db, incident).kind == "exception"
    # The owner reads the plugin's error (tests/functional/test_plugin_owners.py), never
    # its traceback, which stays in the log.
    assert "kaboom" in body and "Traceback" not in body
    assert app.test_client().get("/").status_code == 200

    problem = run(client, "acme_registry.explode", {}, json_wanted=True)
    assert problem.status_code == 502 and problem.mimetype == "application/problem+json"
    document = problem.get_json()
    assert incident_of(db, document["incident"]).operation == "explode"
    assert "kaboom" not in document["detail"] and "kaboom" in document["incident_error"]
    assert app.test_client().get("/").status_code == 200

    # Two faults in a row open the breaker (threshold 2): the operation is paused.
    paused = run(client, "acme_registry.explode", {})
    assert paused.status_code == 503
    assert "Try again in" in page_text(paused) and int(paused.headers["Retry-After"]) > 0
    paused_json = run(client, "acme_registry.explode", {}, json_wanted=True)
    assert paused_json.status_code == 503 and paused_json.get_json()["retry_after"] > 0
    # Other operations of the same plugin still answer.
    assert run(client, LOOKUP, {"credit_code": ACME_CODE}).status_code == 200


def test_a_timeout_gives_an_incident_id(app, db, acme):
    client = logged_in_client(app, acme[0])
    problem = run(client, "acme_registry.slow", {}, json_wanted=True)
    assert problem.status_code == 504
    assert incident_of(db, problem.get_json()["incident"]).kind == "timeout"
    page = run(client, "acme_registry.slow", {})  # the second fault: it opens the breaker after
    assert page.status_code == 504
    assert "The operation did not answer in time" in page_text(page)
    incident = re.search(r'<code class="incident-id">([0-9a-f]+)</code>', page_text(page)).group(1)
    assert incident_of(db, incident).kind == "timeout"
    assert app.test_client().get("/").status_code == 200


def test_console_says_when_an_operation_became_unavailable(app, db, acme, admin):
    client = logged_in_client(app, acme[0])
    set_plugin_state(app, db, admin, "acme_registry", PluginState.DISABLED)
    page = run(client, LOOKUP, {"credit_code": ACME_CODE})
    assert page.status_code == 404
    assert "This operation is not available" in page_text(page)
    assert LOOKUP not in page_text(client.get("/merchant/operations"))  # no longer offered
    problem = run(client, LOOKUP, {"credit_code": ACME_CODE}, json_wanted=True)
    assert problem.status_code == 404 and problem.mimetype == "application/problem+json"


# ---------------------------------------------------------------------------- several operations


def test_the_editor_sells_several_operations_and_a_purchase_grants_them_all(app, db, acme):
    client = logged_in_client(app, acme[0])
    response = client.post("/merchant/listings/new", data=editor_form(
        more_operations=["governance_tools.pii_scan", LOOKUP, "acme_registry.explode"],
        requires_application="y"))
    assert response.status_code == 302, page_text(response)
    listing = db.exec(select(Listing).where(Listing.organization_id == acme[1].id)).one()
    assert listing_operations.operations_of(db, listing) == [
        ("acme_registry", "company_lookup"), ("governance_tools", "pii_scan"),
        ("acme_registry", "explode")]  # the main one first, a repeat dropped
    assert listing.requires_application
    assert set(entitlements.scope_for(db, listing)["operations"]) == {
        LOOKUP, "governance_tools.pii_scan", "acme_registry.explode"}

    edit = page_text(client.get(f"/merchant/listings/{listing.id}/edit"))
    assert 'name="more_operations"' in edit
    assert '<option selected value="governance_tools.pii_scan">' in edit
    refused = client.post(f"/merchant/listings/{listing.id}/edit",
                          data=editor_form(more_operations=["rival_tools.rival_lookup"]))
    assert refused.status_code == 422
    assert "belongs to another merchant's plugin" in page_text(refused)
    db.expire_all()
    assert len(listing_operations.operations_of(db, db.get(Listing, listing.id))) == 3
    # Dropping the first keeps the others, and the columns name the new first one.
    client.post(f"/merchant/listings/{listing.id}/edit",
                data=editor_form(operation="", more_operations=["governance_tools.pii_scan"]))
    db.expire_all()
    listing = db.get(Listing, listing.id)
    assert listing_operations.operations_of(db, listing) == [("governance_tools", "pii_scan")]
    assert (listing.plugin_name, listing.operation_name) == ("governance_tools", "pii_scan")
