"""The listing editor's plan fields follow the pricing model in a real browser: choosing a
model shows the fields it uses and hides (and does not send) the others."""

from __future__ import annotations

import re


def _visible(page, name: str) -> bool:
    return page.locator(f"[name='pricing_plans-0-{name}']").is_visible()


def test_the_plan_fields_follow_the_chosen_model(live_server, page):
    _app, base = live_server
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("merchant@example.com")
    page.get_by_label("Password").fill("demo-merchant")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"))
    page.goto(f"{base}/merchant/listings/new")
    model = page.locator("select[name='pricing_plans-0-model']")

    model.select_option("per_call")
    assert _visible(page, "tiers") and _visible(page, "free_allowance")
    assert not _visible(page, "price") and not _visible(page, "billing_period")
    assert page.locator("[name='pricing_plans-0-price']").is_disabled()

    model.select_option("membership")
    assert _visible(page, "price") and _visible(page, "billing_period")
    assert _visible(page, "included_calls") and _visible(page, "overage_price")
    assert not _visible(page, "tiers") and not _visible(page, "free_allowance")

    model.select_option("free")
    assert _visible(page, "name") and _visible(page, "description")
    assert not any(_visible(page, name) for name in (
        "price", "billing_period", "tiers", "free_allowance", "included_calls", "overage_price"))
