"""A buyer logs in and reads a product page, in English and then in Chinese."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from marketplace.catalog.models import Listing, ListingState
from marketplace.db import get_engine, new_session

pytestmark = pytest.mark.browser


def _a_published_listing(app) -> Listing:
    with app.app_context():
        session = new_session(get_engine(app))
        listing = session.exec(
            select(Listing).where(Listing.state == ListingState.PUBLISHED).order_by(Listing.id)
        ).first()
        session.close()
    assert listing is not None, "the demo data has no published product"
    return listing


def test_buyer_logs_in_and_reads_a_product_in_both_languages(live_server, page):
    app, base = live_server
    listing = _a_published_listing(app)

    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("buyer@example.com")
    page.get_by_label("Password").fill("demo-buyer")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))
    assert page.get_by_role("button", name="Log out").is_visible()

    page.goto(f"{base}/products/{listing.product_id}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name=listing.title_en).is_visible()
    assert page.get_by_role("heading", name="Data dictionary").is_visible()
    first_field = listing.data_dictionary[0]["name"]
    assert page.get_by_role("rowheader", name=first_field, exact=True).first.is_visible()
    page.screenshot(path="test-results/product-en.png", full_page=True)

    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(f"/products/{listing.product_id}")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="数据字典").is_visible()
    # The merchant's own words in the page's language: the Chinese version.
    assert page.get_by_role("heading", name=listing.title).is_visible()
    assert page.get_by_role("button", name="退出登录").is_visible()
    page.screenshot(path="test-results/product-zh.png", full_page=True)
