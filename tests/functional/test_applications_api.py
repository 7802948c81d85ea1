"""``/api/v1/applications`` and the cart's refusal over JSON: applying, listing on both sides,
deciding, the level 4 admin decision, withdrawal and revocation, with problem+json errors a
caller can act on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.authorization import grants
from marketplace.authorization.models import ApplicationState as S
from tests.authorization_support import SCAN, SCORE, apply_for, authorized_product
from tests.commerce_factories import make_shop
from tests.factories import logged_in_client, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def shop(db):
    return make_shop(db)


def body(listing, **overrides):
    return {"product_id": listing.product_id, "purpose": "Screen new suppliers.",
            "scenario": "Supplier onboarding", "legal_basis": "contract",
            "operations": {SCORE: ["score"]}, "starts_on": str(grants.today()),
            "ends_on": str(grants.today() + timedelta(days=60)), **overrides}


def test_the_cart_refuses_with_a_link_to_the_form_then_accepts(app, db, shop):
    listing, plan = authorized_product(db, shop)
    buyer = logged_in_client(app, shop.buyer)
    refused = buyer.post("/api/v1/cart", json={"plan_id": plan.id})
    assert refused.status_code == 403 and refused.content_type == PROBLEM
    assert refused.json["application_url"] == f"/products/{listing.product_id}/apply"
    assert "approved authorization application" in refused.json["detail"]

    created = buyer.post("/api/v1/applications", json=body(listing))
    assert created.status_code == 201, created.json
    application = created.json
    assert application["state"] == S.SUBMITTED and application["title"] == listing.title
    assert application["requested"] == {"operations": {SCORE: {"fields": ["score"],
                                                               "masking": {}}}}
    assert [event["action"] for event in application["history"]] == ["submitted"]

    merchant = logged_in_client(app, shop.merchant)
    received = merchant.get("/api/v1/applications/received?state=submitted")
    assert [a["id"] for a in received.json] == [application["id"]]
    assert received.headers["X-Pagination"]
    decided = merchant.post(f"/api/v1/applications/{application['id']}/decision",
                            json={"decision": "approve"})
    assert decided.status_code == 200 and decided.json["state"] == S.APPROVED
    assert buyer.post("/api/v1/cart", json={"plan_id": plan.id}).status_code == 201
    mine = buyer.get("/api/v1/applications")
    assert [a["state"] for a in mine.json] == [S.APPROVED]
    assert [e["action"] for e in mine.json[0]["history"]] == ["submitted", "approve"]


def test_narrowing_over_the_api_and_its_limits(app, db, shop):
    listing, _plan = authorized_product(db, shop)
    application = apply_for(db, shop.buyer, listing)
    merchant = logged_in_client(app, shop.merchant)
    url = f"/api/v1/applications/{application.id}/decision"
    wider = merchant.post(url, json={"decision": "narrow",
                                     "scope": {"other.op": {"fields": None}}})
    assert wider.status_code == 422 and wider.content_type == PROBLEM
    assert "was not asked for" in str(wider.json["errors"]["json"]["operations"])
    narrowed = merchant.post(url, json={
        "decision": "narrow", "reason": "Scores only.",
        "scope": {SCORE: {"fields": ["score"], "masking": {"score": "truncate"}}}})
    assert narrowed.status_code == 200
    assert narrowed.json["approved_scope"] == {
        "operations": {SCORE: {"fields": ["score"], "masking": {"score": "truncate"}}}}
    assert SCAN not in narrowed.json["approved_scope"]["operations"]
    rejected_late = merchant.post(url, json={"decision": "reject", "reason": "Too late."})
    assert rejected_late.status_code == 409 and rejected_late.content_type == PROBLEM


def test_who_may_do_what_over_the_api(app, db, shop):
    listing, _plan = authorized_product(db, shop, level=4)
    application = apply_for(db, shop.buyer, listing)
    item = f"/api/v1/applications/{application.id}"
    assert app.test_client().get(item).status_code == 401
    assert logged_in_client(app, make_user(db)).get(item).status_code == 403
    buyer, merchant = logged_in_client(app, shop.buyer), logged_in_client(app, shop.merchant)
    admin = logged_in_client(app, shop.admin)
    assert buyer.post(f"{item}/decision", json={"decision": "approve"}).status_code == 403
    assert merchant.post(f"{item}/admin-decision", json={"decision": "approve"}).status_code \
        == 403
    assert admin.post(f"{item}/admin-decision", json={"decision": "approve"}).status_code == 409
    assert merchant.post(f"{item}/decision", json={"decision": "approve"}).json["state"] == \
        S.PENDING_ADMIN
    waiting = admin.get("/api/v1/applications/received?state=pending_admin")
    assert [a["id"] for a in waiting.json] == [application.id]
    no_reason = admin.post(f"{item}/admin-decision", json={"decision": "reject"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    assert admin.post(f"{item}/admin-decision", json={"decision": "approve"}).json["state"] \
        == S.APPROVED
    assert buyer.post(f"{item}/withdrawal", json={}).status_code == 409
    assert merchant.post(f"{item}/revocation", json={}).status_code == 422
    revoked = admin.post(f"{item}/revocation", json={"reason": "Licence withdrawn."})
    assert revoked.status_code == 200 and revoked.json["state"] == S.REVOKED
    assert [e["action"] for e in buyer.get(item).json["history"]] == [
        "submitted", "approve", "admin_approve", "revoke"]


def test_bad_input_is_named_and_nothing_is_kept(app, db, shop):
    listing, _plan = authorized_product(db, shop)
    buyer = logged_in_client(app, shop.buyer)
    bad = buyer.post("/api/v1/applications", json=body(listing, legal_basis="vibes",
                                                       ends_on="not a date"))
    assert bad.status_code == 422 and bad.content_type == PROBLEM
    assert set(bad.json["errors"]["json"]) == {"legal_basis", "ends_on"}
    before = buyer.post("/api/v1/applications", json=body(
        listing, ends_on=str(grants.today() - timedelta(days=1))))
    assert before.status_code == 422 and "ends before it starts" in str(before.json["errors"])
    missing = buyer.post("/api/v1/applications", json=body(listing, product_id=999_999))
    assert missing.status_code == 404 and missing.content_type == PROBLEM
    assert buyer.get("/api/v1/applications").json == []
    own = logged_in_client(app, shop.merchant).post("/api/v1/applications", json=body(listing))
    assert own.status_code == 403
