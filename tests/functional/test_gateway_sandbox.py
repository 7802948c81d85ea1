"""Sandbox keys: a buyer with no order gets one key per product that offers a trial, makes the
trial's free calls on the sample through the gateway (marked sandbox, counted down, then 429),
sees them as sandbox in usage as the merchant does, and is never billed for them; the key
serves no other product and nothing but the gateway; parallel calls never exceed the trial."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from marketplace.base import utcnow
from marketplace.catalog import services as catalog
from marketplace.catalog.lifecycle import Transition
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.commerce.ledger import billing
from marketplace.delivery import usage_audit
from marketplace.delivery.models import ApiKey, SandboxTrial, UsageRecord
from marketplace.plugins import get_runtime
from tests.factories import make_listing, make_user
from tests.gateway_support import BODY, LOOKUP, bearer, buy, gateway_config, make_world, new_key

TRIAL = 3
SAMPLE = "gw_registry.from_sample"
SAMPLE_ROWS = [{"credit_code": "91350100M000100Y43", "listed": True},
               {"credit_code": "91110000600037341L", "listed": False}]


@pytest.fixture
def app_config(app_config):
    return {**gateway_config(app_config), "WTF_CSRF_ENABLED": True, "GATEWAY_AUDIT_BATCH": 2}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    """The gateway's world, whose published listing offers a trial of ``TRIAL`` calls on a
    sample of two rows, and sells the lookup and the operation that reads the sample. Its
    per-call plan has no free allowance, so that any call it counted would be billed."""
    world = make_world(app, db, free_allowance=0)
    world.listing = _offering(db, world, TRIAL)
    return world


def _offering(db, world, calls: int, **changes):
    """A new published version of the world's product offering ``calls`` trial calls (with
    ``changes`` to its content)."""
    product = db.get(Product, world.listing.product_id)
    draft = catalog.start_new_version(db, world.merchant, product)
    db.commit()
    content = {**draft.model_dump(include={
        "title", "summary", "description_md", "product_type", "delivery_form", "scenario",
        "classification_level", "data_dictionary", "version"}), "tags": draft.tags,
        "sample_rows": SAMPLE_ROWS, "trial_calls": calls, "operation": LOOKUP,
        "operations": [SAMPLE], **changes}
    catalog.update_listing(db, world.merchant, draft, content)
    db.commit()
    catalog.submit(db, world.merchant, draft)
    db.commit()
    catalog.decide(db, world.admin, draft, Transition.APPROVE, "")
    db.commit()
    assert draft.state == ListingState.PUBLISHED and draft.trial_calls == calls
    return draft


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    csrf = client.get("/api/v1/csrf-token").get_json()["csrf_token"]
    return client, {"X-CSRFToken": csrf}


def sandbox_key(app, user, product_id: int):
    client, csrf = signed_in(app, user)
    return client.post("/api/v1/keys/sandbox", json={"product_id": product_id}, headers=csrf)


def _call(client, world, token, operation="from_sample", body=None):
    return client.post(world.url(operation), json=body or BODY, headers=bearer(token))


def test_a_buyer_without_an_order_makes_the_trials_calls_on_the_sample_then_is_refused(
        app, db, world):
    made = sandbox_key(app, world.buyer, world.product_id)
    assert made.status_code == 201, made.get_data(as_text=True)
    document = made.get_json()
    token = document["key"]
    assert token.startswith(f"dmk_{document['prefix']}_") and document["sandbox"] is True
    client = app.test_client()
    for left in range(TRIAL - 1, -1, -1):
        response = _call(client, world, token)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["X-Usage-Kind"] == "sandbox"
        assert response.headers["X-Quota-Remaining"] == str(left)
        # the plugin answered from the listing's sample rows, given as the dataset "sample"
        assert response.get_json() == {"sample_rows": 2, "credit_code": BODY["credit_code"],
                                       "listed": True}
    over = _call(client, world, token)
    assert over.status_code == 429 and over.mimetype == "application/problem+json"
    problem = over.get_json()
    assert "trial" in problem["detail"] and "is over" in problem["detail"]
    assert problem["product_url"] == f"/products/{world.product_id}"
    db.rollback()
    records = db.exec(select(UsageRecord)).all()
    assert [(r.kind, r.entitlement_id) for r in records] == [("sandbox", None)] * TRIAL
    assert db.exec(select(SandboxTrial.used)).one() == TRIAL


def test_sandbox_calls_show_as_sandbox_on_both_sides_and_are_never_billed(app, db, world):
    entitlement = buy(db, world, world.buyer)  # pay-as-you-go on the same product, postpaid
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    client = app.test_client()
    for _ in range(TRIAL):
        assert _call(client, world, token).status_code == 200
    buyer, _csrf = signed_in(app, world.buyer)
    mine = buyer.get("/api/v1/usage").get_json()
    assert [(row["kind"], row["entitlement_id"], row["product_id"], row["calls"])
            for row in mine] == [("sandbox", None, world.product_id, TRIAL)]
    assert "Sandbox" in buyer.get("/account/keys").get_data(as_text=True)
    merchant, _csrf = signed_in(app, world.merchant)
    theirs = merchant.get("/api/v1/usage/merchant").get_json()
    assert [(row["kind"], row["calls"]) for row in theirs] == [("sandbox", TRIAL)]
    assert "Sandbox" in merchant.get("/merchant/usage").get_data(as_text=True)

    now = utcnow()
    start, end = now - timedelta(days=1), now + timedelta(days=1)
    assert billing.calls_in(db, entitlement.id, start, end) == 0
    run = billing.bill_period(db, _NoCharges(), start, end)
    assert (run.billed, run.failed, run.nothing_due) == ([], 0, 1)


class _NoCharges:
    """A payment gateway that fails the test if anything is charged."""

    def __getattr__(self, name):
        raise AssertionError(f"billing asked the payment gateway for {name}")


def test_a_sandbox_key_serves_its_product_only_and_only_through_the_gateway(app, db, world):
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    other = make_listing(db, world.merchant, world.org, state="published", admin=world.admin,
                         operation=LOOKUP)
    client = app.test_client()
    refused = client.post(f"/api/v1/gateway/{other.product_id}/gw_registry/lookup", json=BODY,
                          headers=bearer(token))
    assert refused.status_code == 403
    assert f"for product {world.product_id} only" in refused.get_json()["detail"]
    # the buyer's own entitlement to the other product is not reachable with it either
    buy(db, world, world.buyer)
    assert _call(client, world, token, "lookup").status_code == 200  # the trial's product
    db.rollback()
    assert db.exec(select(func.count()).select_from(UsageRecord)).one() == 1
    assert client.get("/api/v1/usage", headers=bearer(token)).status_code == 403
    # a real key does not take the trial's path
    real = new_key(db, app, world.buyer)
    response = _call(client, world, real, "lookup")
    assert response.status_code == 200 and "X-Usage-Kind" not in response.headers


def test_one_sandbox_key_per_product_a_new_one_after_revoking_and_the_count_goes_on(
        app, db, world):
    first = sandbox_key(app, world.buyer, world.product_id).get_json()
    assert _call(app.test_client(), world, first["key"]).status_code == 200
    again = sandbox_key(app, world.buyer, world.product_id)
    assert again.status_code == 409
    assert f"dmk_{first['prefix']}" in again.get_json()["detail"]
    client, csrf = signed_in(app, world.buyer)
    assert client.delete(f"/api/v1/keys/{first['id']}", headers=csrf).status_code == 204
    assert _call(app.test_client(), world, first["key"]).status_code == 401
    second = sandbox_key(app, world.buyer, world.product_id)
    assert second.status_code == 201
    response = _call(app.test_client(), world, second.get_json()["key"])
    assert response.headers["X-Quota-Remaining"] == str(TRIAL - 2)  # per buyer, not per key
    listed = client.get("/api/v1/keys").get_json()
    assert sorted(key["sandbox"] for key in listed) == [True, True]


def test_no_trial_is_a_403_and_turning_it_off_stops_the_next_call(app, db, world):
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    assert _call(app.test_client(), world, token).status_code == 200
    _offering(db, world, 0)
    refused = _call(app.test_client(), world, token)
    assert refused.status_code == 403 and "offers no trial" in refused.get_json()["detail"]
    no_trial = sandbox_key(app, make_user(db), world.product_id)
    assert no_trial.status_code == 403 and "offers no trial" in no_trial.get_json()["detail"]


def test_the_answer_is_masked_as_the_listing_declares_its_fields_sensitive(app, db, world):
    dictionary = [{**field, "sensitivity": "confidential" if field["name"] == "credit_code"
                   else field["sensitivity"]} for field in world.listing.data_dictionary]
    _offering(db, world, TRIAL, data_dictionary=dictionary)
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    response = _call(app.test_client(), world, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["listed"] is True and answer["sample_rows"] == 2
    assert answer["credit_code"] != BODY["credit_code"] and set(answer["credit_code"]) == {"*"}


def test_a_product_that_needs_an_application_still_allows_its_trial(app, db, world):
    world.listing.classification_level = 3
    db.add(world.listing)
    db.commit()
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    assert _call(app.test_client(), world, token).status_code == 200


def _form_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _editor_form(csrf: str, trial_calls: str) -> dict[str, str]:
    return {
        "csrf_token": csrf, "title": "Company blacklist lookup",
        "summary": "Is this company blacklisted?", "description_md": "From the registry.",
        "product_type": "modelized_data", "delivery_form": "service_api",
        "scenario": "finance", "tags": "blacklist", "classification_level": "2",
        "version": "1.0", "data_dictionary-0-name": "credit_code",
        "data_dictionary-0-field_type": "string", "data_dictionary-0-description": "USCC",
        "data_dictionary-0-sensitivity": "none", "sample_rows": "",
        "pricing_plans-0-name": "Pay as you go", "pricing_plans-0-model": "per_call",
        "pricing_plans-0-tiers": "* 0.05", "operation": LOOKUP, "trial_calls": trial_calls,
        "save": "Save draft"}


def test_the_merchant_offers_a_trial_in_the_editor_and_a_new_version_keeps_it(app, db, world):
    client, _csrf = signed_in(app, world.merchant)
    page = client.get("/merchant/listings/new").get_data(as_text=True)
    assert 'name="trial_calls"' in page
    csrf = _form_token(page)
    refused = client.post("/merchant/listings/new", data=_editor_form(csrf, "51"))
    assert refused.status_code == 422
    assert "Number must be between 0 and 50" in refused.get_data(as_text=True)
    made = client.post("/merchant/listings/new", data=_editor_form(csrf, "5"))
    assert made.status_code == 302, made.get_data(as_text=True)
    db.rollback()
    new = db.exec(select(Listing).where(Listing.title == "Company blacklist lookup")).one()
    assert new.trial_calls == 5
    draft = catalog.start_new_version(db, world.merchant, db.get(Product, world.product_id))
    assert draft.trial_calls == TRIAL
    product = app.test_client().get(f"/api/v1/products/{world.product_id}").get_json()
    assert product["trial_calls"] == TRIAL


def test_the_product_page_offers_the_trial_and_its_button_shows_the_key_once(app, db, world):
    page = app.test_client().get(f"/products/{world.product_id}").get_data(as_text=True)
    assert f"Try it: {TRIAL} free calls on the sample" in page
    client, _csrf = signed_in(app, world.buyer)
    page = client.get(f"/products/{world.product_id}").get_data(as_text=True)
    assert "Get a sandbox key" in page
    token = _form_token(page)
    made = client.post(f"/products/{world.product_id}/sandbox-key", data={"csrf_token": token})
    assert made.status_code == 201
    assert "dmk_" in made.get_data(as_text=True) and "sandbox" in made.get_data(as_text=True)
    db.rollback()
    key = db.exec(select(ApiKey)).one()
    assert key.trial_id is not None and key.entitlement_ids == []


def test_sandbox_calls_are_sealed_in_the_audit_chain(app, db, world):
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]
    usage_audit.SEALER._calls = 0
    for _ in range(2):  # GATEWAY_AUDIT_BATCH calls
        assert _call(app.test_client(), world, token).status_code == 200
    db.rollback()
    report = usage_audit.verify(db)
    assert report.ok and report.batches == 1 and report.records == 2 and report.unsealed == 0
    # a sealed sandbox call passed off as another buyer's trial is found
    other = SandboxTrial(buyer_id=make_user(db).id, product_id=world.product_id)
    db.add(other)
    db.commit()
    db.execute(text("UPDATE usage_record SET trial_id = :other WHERE id = "
                    "(SELECT MIN(id) FROM usage_record)"), {"other": other.id})
    db.commit()
    broken = usage_audit.verify(db)
    assert not broken.ok and "was altered" in broken.problems[0]


def test_parallel_sandbox_calls_never_exceed_the_trial(app, db, world):
    token = sandbox_key(app, world.buyer, world.product_id).get_json()["key"]

    def one_call(_):
        return _call(app.test_client(), world, token).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = Counter(pool.map(one_call, range(TRIAL + 9)))
    assert statuses == {200: TRIAL, 429: 9}
    db.rollback()
    assert db.exec(select(func.count()).select_from(UsageRecord)).one() == TRIAL
    assert db.exec(select(SandboxTrial.used)).one() == TRIAL
