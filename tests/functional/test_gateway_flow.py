"""The gateway from a buyer's side, end to end, and what it counts: a fresh buyer pays, makes a
key (with the session and its CSRF token), calls, sees the call in usage, the merchant sees it
too, and the quota stops the buyer; rotation, memberships' periods and overage, pay-as-you-go
metering, batches of calls sealed into the audit chain, and quotas counted in Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from marketplace.base import utcnow
from marketplace.catalog.services import plans_for
from marketplace.commerce.ledger import billing
from marketplace.delivery import usage_audit
from marketplace.delivery.models import ApiKey, UsageRecord
from marketplace.plugins import get_runtime
from tests.factories import make_user
from tests.gateway_support import BODY, bearer, buy, gateway_config, make_world, metered, new_key


@pytest.fixture
def app_config(app_config):
    return {**gateway_config(app_config), "WTF_CSRF_ENABLED": True, "GATEWAY_AUDIT_BATCH": 3}


@pytest.fixture
def app(app):
    yield app
    get_runtime(app).close()


@pytest.fixture
def world(app, db):
    return make_world(app, db, plan_models=("per_call", "membership"))


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def test_a_fresh_buyer_pays_makes_a_key_calls_sees_usage_and_hits_the_quota(app, db, world):
    entitlement = buy(db, world, world.buyer, quota=3)
    buyer = signed_in(app, world.buyer)
    csrf = buyer.get("/api/v1/csrf-token").get_json()["csrf_token"]
    assert buyer.post("/api/v1/keys", json={"name": "billing server"}).status_code == 400
    made = buyer.post("/api/v1/keys", json={"name": "billing server"},
                      headers={"X-CSRFToken": csrf})
    assert made.status_code == 201, made.get_data(as_text=True)
    token = made.get_json()["key"]
    assert token.startswith(f"dmk_{made.get_json()['prefix']}_")
    # the secret is never shown again
    assert token not in buyer.get("/api/v1/keys").get_data(as_text=True)
    assert token not in buyer.get("/account/keys").get_data(as_text=True)

    caller = app.test_client()  # a program: no session, no CSRF token
    first = caller.post(world.url(), json=BODY, headers=bearer(token))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.headers["X-Quota-Remaining"] == "2"
    assert "Set-Cookie" not in first.headers

    mine = caller.get("/api/v1/usage", headers=bearer(token)).get_json()
    assert [(r["entitlement_id"], r["operation"], r["calls"]) for r in mine] == [
        (entitlement.id, "gw_registry.lookup", 1)]
    assert buyer.get("/api/v1/usage").get_json() == mine
    merchant = signed_in(app, world.merchant)
    theirs = merchant.get("/api/v1/usage/merchant").get_json()
    assert [(r["entitlement_id"], r["calls"]) for r in theirs] == [(entitlement.id, 1)]
    assert world.listing.title in merchant.get("/merchant/usage").get_data(as_text=True)
    assert signed_in(app, make_user(db)).get("/api/v1/usage").get_json() == []

    assert caller.post(world.url(), json=BODY, headers=bearer(token)).status_code == 200
    last = caller.post(world.url(), json=BODY, headers=bearer(token))
    assert last.status_code == 200 and last.headers["X-Quota-Remaining"] == "0"
    spent = caller.post(world.url(), json=BODY, headers=bearer(token))
    assert spent.status_code == 429 and "quota" in spent.get_json()["detail"]
    assert metered(db) == (3, 3)
    db.rollback()
    assert db.exec(select(ApiKey)).one().last_used_at is not None


def test_rotation_keeps_the_old_key_for_the_overlap_then_refuses_it(app, db, world):
    buy(db, world, world.buyer, quota=10)
    old = new_key(db, app, world.buyer)
    buyer = signed_in(app, world.buyer)
    csrf = buyer.get("/api/v1/csrf-token").get_json()["csrf_token"]
    key_id = buyer.get("/api/v1/keys").get_json()[0]["id"]
    too_long = buyer.post(f"/api/v1/keys/{key_id}/rotation", json={"overlap_hours": 200},
                          headers={"X-CSRFToken": csrf})
    assert too_long.status_code == 422
    rotated = buyer.post(f"/api/v1/keys/{key_id}/rotation", json={"overlap_hours": 2},
                         headers={"X-CSRFToken": csrf})
    assert rotated.status_code == 201
    new = rotated.get_json()["key"]
    caller = app.test_client()
    assert caller.post(world.url(), json=BODY, headers=bearer(old)).status_code == 200
    assert caller.post(world.url(), json=BODY, headers=bearer(new)).status_code == 200
    db.rollback()
    key = db.get(ApiKey, key_id)
    assert timedelta(hours=1) < key.expires_at - utcnow() <= timedelta(hours=2)
    key.expires_at = utcnow() - timedelta(seconds=1)  # the overlap is over
    db.add(key)
    db.commit()
    refused = caller.post(world.url(), json=BODY, headers=bearer(old))
    assert refused.status_code == 401 and "rotation" in refused.get_json()["detail"]
    assert caller.post(world.url(), json=BODY, headers=bearer(new)).status_code == 200
    again = buyer.post(f"/api/v1/keys/{key_id}/rotation", json={},
                       headers={"X-CSRFToken": csrf})
    assert again.status_code == 409


def test_membership_counts_per_period_with_overage_only_as_sold(app, db, world):
    entitlement = buy(db, world, world.buyer, quota=2)
    membership = next(p for p in plans_for(db, world.listing.id) if p.model == "membership")
    entitlement.pricing_model, entitlement.plan_id = "membership", membership.id
    entitlement.valid_to = utcnow() + timedelta(days=30)
    entitlement.overage_unit_price = membership.overage_unit_price  # sold with overage
    db.add(entitlement)
    db.commit()
    token = new_key(db, app, world.buyer)
    client = app.test_client()
    kinds = [client.post(world.url(), json=BODY, headers=bearer(token)) for _ in range(3)]
    assert [r.status_code for r in kinds] == [200, 200, 200]
    assert kinds[2].headers["X-Usage-Kind"] == "overage"
    db.rollback()
    assert [r.kind for r in db.exec(select(UsageRecord).order_by(UsageRecord.id))] == [
        "call", "call", "overage"]
    # the merchant drops overage from the plan: what was sold still allows it
    membership.overage_unit_price = None
    db.add(membership)
    db.commit()
    assert client.post(world.url(), json=BODY, headers=bearer(token)).headers[
        "X-Usage-Kind"] == "overage"
    # a membership sold without overage stops at its quota
    entitlement = db.merge(entitlement)
    entitlement.overage_unit_price = None
    db.add(entitlement)
    db.commit()
    spent = client.post(world.url(), json=BODY, headers=bearer(token))
    assert spent.status_code == 429
    # the quota comes back with the next period, in about 30 days
    assert 29 * 86400 < int(spent.headers["Retry-After"]) <= 30 * 86400
    # a renewal extends the entitlement: a new period, counted from zero
    entitlement = db.merge(entitlement)
    entitlement.valid_to = entitlement.valid_to + timedelta(days=30)
    db.add(entitlement)
    db.commit()
    renewed = client.post(world.url(), json=BODY, headers=bearer(token))
    assert renewed.status_code == 200 and renewed.headers["X-Quota-Remaining"] == "1"


def test_pay_as_you_go_is_never_refused_for_quota_and_is_metered_for_the_bill(app, db, world):
    entitlement = buy(db, world, world.buyer)  # per call, postpaid
    assert entitlement.quota is None
    token = new_key(db, app, world.buyer)
    client = app.test_client()
    for _ in range(4):
        response = client.post(world.url(), json=BODY, headers=bearer(token))
        assert response.status_code == 200 and "X-Quota-Remaining" not in response.headers
    db.rollback()
    now = utcnow()
    assert billing.calls_in(db, entitlement.id, now - timedelta(hours=1),
                            now + timedelta(hours=1)) == 4


def test_calls_are_sealed_in_batches_and_a_changed_usage_record_is_found(app, db, world):
    buy(db, world, world.buyer, quota=10)
    token = new_key(db, app, world.buyer)
    client = app.test_client()
    usage_audit.SEALER._calls = 0
    for _ in range(4):
        assert client.post(world.url(), json=BODY, headers=bearer(token)).status_code == 200
    db.rollback()
    report = usage_audit.verify(db)
    assert report.ok and report.batches == 1 and report.records == 3 and report.unsealed == 1
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "usage records" in result.output
    db.rollback()
    assert usage_audit.verify(db).unsealed == 0  # verify sealed the last call first
    db.execute(text("UPDATE usage_record SET units = 5 WHERE id = 2"))
    db.commit()
    broken = usage_audit.verify(db)
    assert not broken.ok and "was altered" in broken.problems[0]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "was altered" in result.output
    db.execute(text("UPDATE usage_record SET units = 1 WHERE id = 2"))
    db.execute(text("DELETE FROM usage_record WHERE id = 3"))
    db.commit()
    assert "records removed [3]" in usage_audit.verify(db).problems[0]


def test_the_holders_console_lists_the_covered_operations_and_stores_no_key(app, db, world):
    entitlement = buy(db, world, world.buyer, quota=3)
    page = signed_in(app, world.buyer).get(f"/account/entitlements/{entitlement.id}/console")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"/api/v1/gateway/{world.product_id}/gw_registry/lookup" in text
    assert 'type="password" autocomplete="off"' in text
    assert "js/gateway-console.js" in text
    assert "dmk_" not in text.replace("dmk_…", "")
    other = signed_in(app, make_user(db)).get(f"/account/entitlements/{entitlement.id}/console")
    assert other.status_code == 403


def test_file_inputs_are_found_for_the_upload_form(app):
    from marketplace.delivery.holder_console import file_fields

    info = get_runtime(app).operation("governance_tools", "desensitize")
    assert file_fields(info.input_schema) == ("file",)
    lookup = get_runtime(app).operation("gw_registry", "lookup")
    assert file_fields(lookup.input_schema) == ()
