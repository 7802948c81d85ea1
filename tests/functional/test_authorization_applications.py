"""Authorization applications end to end: a buyer applies on the product's page, the merchant
approves, narrows or rejects, a level 4 product waits for an admin, the cart refuses without an
approved application and accepts with one, and the entitlement bought carries the approved
scope, which follows later narrowing, revocation and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace.authorization import grants, services
from marketplace.authorization.models import ApplicationState as S
from marketplace.authorization.requests import masking_strategies
from marketplace.catalog import listing_operations
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product
from marketplace.commerce.orders import cart
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState as E
from marketplace.delivery.scope import GrantedScope
from marketplace.errors import InvalidTransition, ValidationFailed
from marketplace.notifications.models import Notification
from tests.authorization_support import (
    SCAN,
    SCORE,
    apply_for,
    audit_actions,
    authorized_product,
)
from tests.commerce_factories import buy, make_shop, pay
from tests.factories import forget, logged_in_client, page_text


@pytest.fixture
def shop(db):
    return make_shop(db)


def kinds_for(db, user) -> list[str]:
    return list(db.exec(select(Notification.kind).where(Notification.user_id == user.id)
                        .order_by(Notification.id)))


def test_buyer_applies_merchant_narrows_and_the_entitlement_gets_the_narrowed_scope(
        app, db, shop):
    listing, plan = authorized_product(db, shop)
    with pytest.raises(grants.ApplicationRequired):  # free plans too
        cart.add(db, shop.buyer, plan.id)
    db.rollback()
    buyer = logged_in_client(app, shop.buyer)
    form = buyer.get(f"/products/{listing.product_id}/apply")
    assert form.status_code == 200 and "score" in page_text(form)

    sent = buyer.post(f"/products/{listing.product_id}/apply", data={
        "purpose": "Screen new suppliers.", "scenario": "Supplier onboarding",
        "legal_basis": "contract", "op": [SCORE, SCAN], f"fields-offered:{SCORE}": "1",
        f"field:{SCORE}": ["score", "risk_level"],
        "starts_on": str(grants.today()), "ends_on": str(grants.today() + timedelta(days=30))})
    assert sent.status_code == 302
    forget(db)
    application = grants.open_application(db, shop.buyer.id, listing.product_id)
    assert application.state == S.SUBMITTED and set(application.requested["operations"]) == {
        SCORE, SCAN}
    assert "application.submitted" in kinds_for(db, shop.merchant)

    assert "truncate" in masking_strategies()
    merchant = logged_in_client(app, shop.merchant)
    decided = merchant.post(f"/applications/{application.id}/decision", data={
        "decision": "narrow", "op": [SCORE], f"fields-offered:{SCORE}": "1",
        f"field:{SCORE}": ["score"], f"mask:{SCORE}:score": "truncate",
        "reason": "The score alone is enough for onboarding."})
    assert decided.status_code == 302
    forget(db)
    application = db.get(type(application), application.id)
    narrowed = {"operations": {SCORE: {"fields": ["score"], "masking": {"score": "truncate"}}}}
    assert application.state == S.APPROVED and application.approved_scope == narrowed
    assert "application.narrowed" in kinds_for(db, shop.buyer)

    order = buy(db, shop.buyer, plan)
    pay(db, app.extensions["payments"], shop.buyer, order)
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.application_id == application.id and entitlement.scope == narrowed
    grant = GrantedScope.from_json(entitlement.scope).grant("ai_models", "credit_risk_score")
    assert grant.allows_field("score") and not grant.allows_field("risk_level")
    assert not GrantedScope.from_json(entitlement.scope).covers("governance_tools", "pii_scan")
    assert entitlement.valid_to == entitlements.application_end(application)

    for client in (buyer, merchant):  # both sides see the whole history
        text = page_text(client.get(f"/applications/{application.id}"))
        assert "Applied" in text and "Approved with a narrower scope" in text
        assert "The score alone is enough for onboarding." in text
    assert audit_actions(db, "authorization_application", application.id) == [
        "application.submit", "application.narrow"]


def test_a_refusal_names_what_to_fix_and_keeps_nothing(app, db, shop):
    listing, _plan = authorized_product(db, shop)
    buyer = logged_in_client(app, shop.buyer)
    refused = buyer.post(f"/products/{listing.product_id}/apply", data={
        "legal_basis": "other", "op": ["nope.nothing"], "starts_on": "2001-01-01",
        "ends_on": "2000-01-01"})
    text = page_text(refused)
    assert refused.status_code == 422
    for message in ("Say what you will use the data for.", "Name the legal basis you rely on.",
                    "“nope.nothing” is not an operation of this product.",
                    "The period cannot start in the past."):
        assert message in text
    forget(db)
    assert grants.open_application(db, shop.buyer.id, listing.product_id) is None


def test_level_4_needs_an_admin_after_the_merchant(app, db, shop):
    listing, plan = authorized_product(db, shop, level=4)
    application = apply_for(db, shop.buyer, listing)
    services.decide(db, shop.merchant, application, "approve")
    db.commit()
    assert application.state == S.PENDING_ADMIN
    assert "application.pending_admin" in kinds_for(db, shop.admin)
    with pytest.raises(grants.ApplicationRequired):
        cart.add(db, shop.buyer, plan.id)
    db.rollback()
    with pytest.raises(ValidationFailed):  # an admin's refusal needs a reason too
        services.admin_decide(db, shop.admin, application, "admin_reject")
    admin = logged_in_client(app, shop.admin)
    assert f"/applications/{application.id}" in page_text(admin.get("/admin/applications"))
    admin.post(f"/applications/{application.id}/admin-decision",
               data={"decision": "admin_approve"})
    forget(db)
    application = db.get(type(application), application.id)
    assert application.state == S.APPROVED
    assert cart.add(db, shop.buyer, plan.id).id
    assert audit_actions(db, "authorization_application", application.id) == [
        "application.submit", "application.approve", "application.admin_approve"]


def bought_under(app, db, shop, application, plan):
    order = buy(db, shop.buyer, plan)
    pay(db, app.extensions["payments"], shop.buyer, order)
    (entitlement,) = entitlements.for_order(db, order.id)
    return entitlement


def test_narrowing_later_rewrites_and_revoking_suspends_the_entitlement(app, db, shop):
    listing, plan = authorized_product(db, shop)
    application = apply_for(db, shop.buyer, listing)
    services.decide(db, shop.merchant, application, "approve")
    db.commit()
    entitlement = bought_under(app, db, shop, application, plan)
    assert set(entitlement.scope["operations"]) == {SCORE, SCAN}

    services.decide(db, shop.merchant, application, "narrow", chosen={SCORE: ["score"]},
                    reason="Less is enough.")
    db.commit()
    db.refresh(entitlement)
    assert entitlement.scope == {"operations": {SCORE: {"fields": ["score"], "masking": {}}}}
    with pytest.raises(InvalidTransition):  # the same scope again changes nothing
        services.decide(db, shop.merchant, application, "narrow", chosen={SCORE: ["score"]})
    db.rollback()

    merchant = logged_in_client(app, shop.merchant)
    merchant.post(f"/applications/{application.id}/revoke", data={"reason": ""})
    forget(db)
    assert db.get(type(application), application.id).state == S.APPROVED  # a reason is needed
    merchant.post(f"/applications/{application.id}/revoke",
                  data={"reason": "The buyer's licence was withdrawn."})
    forget(db)
    application = db.get(type(application), application.id)
    entitlement = db.get(type(entitlement), entitlement.id)
    assert application.state == S.REVOKED
    assert entitlement.state == E.SUSPENDED and not entitlements.is_usable(entitlement)
    assert "licence was withdrawn" in entitlement.state_reason
    assert audit_actions(db, "entitlement", entitlement.id)[-2:] == [
        "entitlement.rescope", "entitlement.suspended"]
    assert "application.revoked" in kinds_for(db, shop.buyer)
    # A renewal's payment does not lift a suspension for a revoked authorization.
    entitlements.extend(db, entitlement, entitlement.valid_to + timedelta(days=1))
    assert entitlement.state == E.SUSPENDED
    with pytest.raises(grants.ApplicationRequired):
        cart.add(db, shop.buyer, plan.id)


def test_an_application_expires_with_its_period_and_its_entitlement_with_it(app, db, shop):
    listing, plan = authorized_product(db, shop)
    application = apply_for(db, shop.buyer, listing)
    services.decide(db, shop.merchant, application, "approve")
    db.commit()
    entitlement = bought_under(app, db, shop, application, plan)
    application.starts_on = grants.today() - timedelta(days=40)
    application.ends_on = grants.today() - timedelta(days=1)
    db.add(application)
    db.commit()
    assert grants.approved_application(db, shop.buyer.id, listing.product_id) is None

    assert services.expire_due(db) == 1
    db.commit()
    db.refresh(entitlement)
    assert application.state == S.EXPIRED and entitlement.state == E.EXPIRED
    assert services.expire_due(db) == 0


def test_the_buyer_withdraws_and_may_apply_again_but_not_twice_at_once(app, db, shop):
    listing, _plan = authorized_product(db, shop)
    application = apply_for(db, shop.buyer, listing)
    with pytest.raises(Exception, match="already have an application"):
        apply_for(db, shop.buyer, listing)
    db.rollback()
    buyer = logged_in_client(app, shop.buyer)
    buyer.post(f"/applications/{application.id}/withdraw", data={})
    forget(db)
    assert db.get(type(application), application.id).state == S.WITHDRAWN
    assert "application.withdrawn" in kinds_for(db, shop.merchant)
    assert apply_for(db, shop.buyer, listing).state == S.SUBMITTED
    # The merchant cannot apply for its own product.
    with pytest.raises(Exception, match="your own organization"):
        apply_for(db, shop.merchant, listing)


def test_the_product_page_shows_where_the_buyer_stands(app, db, shop):
    listing, _plan = authorized_product(db, shop)
    buyer = logged_in_client(app, shop.buyer)
    page = f"/products/{listing.product_id}"
    text = page_text(buyer.get(page))
    assert "Apply for authorization" in text and "later release" not in text
    assert "Add to cart" not in text
    assert "ai_models · credit_risk_score" in text and "governance_tools · pii_scan" in text

    application = apply_for(db, shop.buyer, listing)
    assert "Application pending" in page_text(buyer.get(page))
    services.decide(db, shop.merchant, application, "approve")
    db.commit()
    text = page_text(buyer.get(page))
    # The date as the page's language writes it ("Jan 6, 2027"), not ISO.
    ends = application.ends_on
    assert f"approved until {ends:%b} {ends.day}, {ends.year}" in text
    assert "Add to cart" in text


def test_a_merchant_flag_asks_for_applications_below_level_3_and_survives_new_versions(
        app, db, shop):
    listing, plan = authorized_product(db, shop, level=2, requires_application=True)
    assert listing.requires_application and grants.required(listing)
    with pytest.raises(grants.ApplicationRequired, match="sells it only with an approved"):
        cart.add(db, shop.buyer, plan.id)
    db.rollback()
    draft = catalog.start_new_version(db, shop.merchant, db.get(Product, listing.product_id))
    db.commit()
    assert draft.requires_application
    assert listing_operations.operations_of(db, draft) == [
        ("ai_models", "credit_risk_score"), ("governance_tools", "pii_scan")]
    assert (draft.plugin_name, draft.operation_name) == ("ai_models", "credit_risk_score")

