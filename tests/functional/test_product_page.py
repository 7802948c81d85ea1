"""What the product page adds for a buyer deciding: the sample masked as delivered (or no sample
at all), the model card, the authorization the product needs, and a number of queries that does
not grow with the catalog."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from marketplace.accounts.models import Role
from marketplace.catalog import preview
from marketplace.catalog import services as catalog
from marketplace.catalog.models import ListingState
from marketplace.commerce.orders import cart, fulfilment
from marketplace.db import get_engine
from marketplace.plugins import get_runtime
from marketplace.plugins import services as plugin_services
from marketplace.plugins.models import PluginState
from marketplace.reviews import services as reviews
from tests.factories import logged_in_client, make_listing, make_merchant, make_user
from tests.jobs_support import queue_config

DICTIONARY = [
    {"name": "name", "type": "string", "description": "Driver name", "sensitivity": "personal"},
    {"name": "mobile", "type": "string", "description": "Mobile number",
     "sensitivity": "sensitive_personal"},
    {"name": "match", "type": "boolean", "description": "All three match", "sensitivity": "none"},
]
# Masked by the merchant (the compliance scan refuses anything else), more lightly than the
# platform delivers it.
SENSITIVE_SAMPLE = dict(data_dictionary=DICTIONARY, classification_level=3,
                        sample_rows=[{"name": "王*明", "mobile": "138****8000", "match": True}])


@pytest.fixture
def app_config(app_config, tmp_path):
    """Background jobs queued, not run where they are asked: these tests count the queries of
    pages, and a job run in the commit hook of the test's own session waits for that session's
    lock on SQLite (a 12-buyer test took 12 minutes)."""
    return queue_config(app_config, tmp_path)


@pytest.fixture
def shop(db):
    merchant, org = make_merchant(db)
    return merchant, org, make_user(db, Role.ADMIN)


def publish(db, shop, **content):
    merchant, org, admin = shop
    return make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin, **content)


def set_plugin_state(app, db, admin, name: str, state: PluginState) -> None:
    get_runtime(app).sync()
    plugin_services.set_state(db, admin, plugin_services.find(db, name), state)
    db.commit()


def test_the_sample_is_masked_by_the_governance_plugin(db, client, shop):
    listing = publish(db, shop, **SENSITIVE_SAMPLE)
    sample = client.get(f"/products/{listing.product_id}").text.split('id="sample"')[1]
    assert "<td>***</td>" in sample and "王*明" not in sample  # partial mask, all of 3
    assert "<td>1*********0</td>" in sample and "138****8000" not in sample
    assert "<td>true</td>" in sample  # not sensitive: delivered as it is


def test_the_sample_preview_fails_closed_when_the_masking_plugin_is_off(app, db, client, shop):
    merchant, org, admin = shop
    # With the governance plugin off, nothing scanned these unmasked rows at submission either.
    set_plugin_state(app, db, admin, "governance_tools", PluginState.DISABLED)
    listing = publish(db, shop, data_dictionary=DICTIONARY, classification_level=3,
                      sample_rows=[{"name": "王小明", "mobile": "13800138000", "match": True}])
    page = client.get(f"/products/{listing.product_id}").text
    assert "The sample preview is unavailable right now" in page
    assert "13800138000" not in page and "王小明" not in page
    # Once the plugin is back, the preview is made (a failure is not remembered for long).
    set_plugin_state(app, db, admin, "governance_tools", PluginState.ENABLED)
    forget_preview_failure(listing)
    sample = client.get(f"/products/{listing.product_id}").text.split('id="sample"')[1]
    assert "<td>1*********0</td>" in sample


def forget_preview_failure(listing) -> None:
    """Forget the remembered failure of ``listing``'s preview, as its retry delay would."""
    for cache in preview._caches.values():
        for key in [key for key in cache if key[0] == listing.id]:
            del cache[key]


def test_a_sample_without_sensitive_fields_needs_no_plugin(app, db, client, shop):
    merchant, org, admin = shop
    set_plugin_state(app, db, admin, "governance_tools", PluginState.DISABLED)
    listing = publish(db, shop, classification_level=2)  # credit codes: not personal
    sample = client.get(f"/products/{listing.product_id}").text.split('id="sample"')[1]
    assert "91350100M000100Y43" in sample
    assert "unavailable" not in sample


def test_the_authorization_section_says_what_a_level_3_product_takes(db, client, shop):
    listing = publish(db, shop, **SENSITIVE_SAMPLE)
    section = client.get(f"/products/{listing.product_id}").text.split(
        'id="authorization"')[1].split("</section>")[0]
    assert "Level 3 · sensitive" in section
    assert "An authorization application approved by the merchant" in section
    assert "What is approved is what a purchase lets you call" in section
    assert "all fields of the data dictionary below" in section
    assert "<code>mobile</code> (partly masked)" in section
    assert "<code>name</code> (partly masked)" in section


def test_a_product_selling_an_ai_model_shows_its_model_card(db, client, shop):
    listing = publish(db, shop, title="Credit scorecard", operation="ai_models.credit_risk_score",
                      classification_level=2)
    page = client.get(f"/products/{listing.product_id}").text
    card = page.split('id="model-card"')[1].split("</section>")[0]
    assert 'data-model="credit_risk"' in card
    assert "Training data" in card and "Limitations" in card and "Intended use" in card
    assert "<th scope=\"row\">" in card  # its metrics, as a table
    plain = publish(db, shop, title="No model here", classification_level=2)
    assert 'id="model-card"' not in client.get(f"/products/{plain.product_id}").text


# ---------------------------------------------------------------------------- query counts


def count_queries(app, client, url: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def grow_catalog(db, admin, products: int, *, buyer=None) -> list:
    """``products`` products, each of a merchant of its own, each bought and reviewed."""
    made = []
    for n in range(products):
        merchant, org = make_merchant(db)
        listing = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                               title=f"Crane telemetry {n}", scenario="transport",
                               operation="governance_tools.pii_scan")
        if buyer is not None:
            plan = catalog.plans_for(db, listing.id)[0]
            cart.add(db, buyer, plan.id, pack_calls=1000)
            order = cart.checkout(db, buyer, attempt=f"grow-{listing.id}")
            fulfilment.record_charge(db, order, amount=order.total,
                                     provider_ref=f"pi_grow_{listing.id}")
            reviews.write(db, buyer, listing.product_id, 4, "Good.")
            db.commit()
        made.append(listing)
    return made


PAGES = [
    "/",
    "/products",
    "/products?q=crane&scenario=transport&sort=rating",
    "/products?q=crane&pricing_model=per_call&price=under_100",
    "/api/v1/products?q=crane&page_size=100",
    "/api/v1/products?sort=sales",
]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "buyer"])
def test_no_list_page_asks_more_questions_for_more_products(app, db, signed_in):
    admin = make_user(db, Role.ADMIN)
    buyer = make_user(db)
    client = logged_in_client(app, buyer) if signed_in else app.test_client()
    grow_catalog(db, admin, 2, buyer=buyer)
    few = {url: count_queries(app, client, url) for url in PAGES}
    listings = grow_catalog(db, admin, 6, buyer=buyer)
    org_id = listings[0].organization_id
    more = {url: count_queries(app, client, url) for url in PAGES}
    assert more == few
    assert count_queries(app, client, f"/merchants/{org_id}") <= few["/products"] + 2
    # The API's list reads what a page of documents needs in a handful of queries.
    assert few["/api/v1/products?q=crane&page_size=100"] <= 8
    api = client.get("/api/v1/products?q=crane&page_size=100")
    assert len(api.json) == 8 and json.loads(api.headers["X-Pagination"])["total"] == 8


def test_the_product_page_asks_the_same_questions_however_many_reviews_and_plans(app, db):
    admin = make_user(db, Role.ADMIN)
    merchant, org = make_merchant(db)
    few_plans = make_listing(db, merchant, org, state=ListingState.PUBLISHED, admin=admin,
                             title="Crane telemetry", operation="governance_tools.pii_scan")
    many_plans = make_listing(
        db, merchant, org, state=ListingState.PUBLISHED, admin=admin, title="Crane analytics",
        operation="governance_tools.pii_scan",
        plans=[{"name": f"Pack {n}", "model": "one_time", "price": 100 * (n + 1)}
               for n in range(6)])
    for listing in (few_plans, many_plans):
        for _ in range(3 if listing is few_plans else 9):
            buyer = make_user(db)
            plan = catalog.plans_for(db, listing.id)[0]
            cart.add(db, buyer, plan.id, **({"pack_calls": 1000}
                                            if plan.model == "per_call" else {}))
            order = cart.checkout(db, buyer, attempt=f"page-{buyer.id}")
            fulfilment.record_charge(db, order, amount=order.total,
                                     provider_ref=f"pi_page_{buyer.id}")
            reviews.write(db, buyer, listing.product_id, 5, "Good.")
            db.commit()
    grow_catalog(db, admin, 5)  # similar products to show
    client = app.test_client()
    assert (count_queries(app, client, f"/products/{few_plans.product_id}")
            == count_queries(app, client, f"/products/{many_plans.product_id}"))
