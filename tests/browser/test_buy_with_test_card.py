"""A buyer buys a one-time data package by clicking through the test payment step, against a
real localstripe (the live server's payments point at it because the test asks for it)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from marketplace.catalog.models import Listing, ListingState, PricingModel, PricingPlan
from marketplace.db import get_engine, new_session

pytestmark = pytest.mark.browser


def _a_one_time_plan(app) -> tuple[Listing, PricingPlan]:
    """A published demo product below level 3 (no authorization needed) sold one-time."""
    with app.app_context():
        session = new_session(get_engine(app))
        found = session.exec(
            select(Listing, PricingPlan)
            .join(PricingPlan, col(PricingPlan.listing_id) == Listing.id)
            .where(Listing.state == ListingState.PUBLISHED, Listing.classification_level < 3,
                   PricingPlan.model == PricingModel.ONE_TIME)
            .order_by(Listing.id)
        ).first()
        session.close()
    assert found is not None, "the demo data sells no one-time product below level 3"
    return found


def test_buyer_buys_a_one_time_product_with_the_test_card(live_server, page, localstripe):
    app, base = live_server
    assert app.config["STRIPE_API_BASE"] == localstripe.base_url
    listing, plan = _a_one_time_plan(app)

    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("buyer@example.com")
    page.get_by_label("Password").fill("demo-buyer")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))

    page.goto(f"{base}/products/{listing.product_id}")
    plan_box = page.locator(".plan").filter(has=page.get_by_role("heading", name=plan.name))
    plan_box.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{base}/cart")
    assert page.get_by_role("link", name=listing.title_en).is_visible()
    assert page.get_by_test_id("cart-count").inner_text() == "1"

    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/orders/[\w-]+/pay$"))
    number = page.url.rsplit("/", 2)[-2]
    assert page.get_by_test_id("test-payment-notice").is_visible()
    page.get_by_label(re.compile("Visa, succeeds")).check()
    page.screenshot(path="test-results/pay-test-card.png", full_page=True)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    page.wait_for_url(f"{base}/orders/{number}")
    assert page.get_by_text("Payment received; your entitlement is active").is_visible()
    assert page.get_by_test_id("order-state").inner_text() == "Fulfilled"

    page.get_by_role("link", name=re.compile(r"^Receipt ")).click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/receipts/"))
    assert page.get_by_role("button", name="Print").is_visible()  # shown by static/js/print.js
    assert page.get_by_test_id("receipt-amount").inner_text().strip()
    page.screenshot(path="test-results/receipt.png", full_page=True)

    page.goto(f"{base}/account")
    assert page.get_by_role("heading", name="Your entitlements").is_visible()
    assert page.get_by_role("link", name=listing.title_en).first.is_visible()
