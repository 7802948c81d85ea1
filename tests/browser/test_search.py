"""A buyer searches in Chinese, narrows the results with two facets, opens one, and switches
language on the way; screenshots of the results and the product page in both languages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_buyer_searches_in_chinese_narrows_with_facets_and_opens_a_result(live_server, page):
    _app, base = live_server
    page.goto(f"{base}/")
    search = page.get_by_role("search").first.get_by_role("searchbox")
    search.fill("信用")
    search.press("Enter")
    page.wait_for_url(re.compile(r"/products\?"))
    assert _query(page)["q"] == ["信用"]
    assert page.get_by_role("heading", level=1).inner_text() == "Results for “信用”"
    everything = page.locator(".product-card").count()
    assert everything >= 3

    # Two facets: a scenario, then a pricing model; each link keeps the search in the address.
    page.locator('a.facet-link[data-facet="scenario"][data-value="finance"]').click()
    page.wait_for_url(re.compile(r"scenario=finance"))
    finance = page.locator(".product-card").count()
    assert 1 <= finance <= everything
    page.locator('a.facet-link[data-facet="pricing_model"][data-value="membership"]').click()
    page.wait_for_url(re.compile(r"pricing_model=membership"))
    query = _query(page)
    assert query["q"] == ["信用"] and query["scenario"] == ["finance"]
    assert query["pricing_model"] == ["membership"]
    cards = page.locator(".product-card")
    assert 1 <= cards.count() <= finance
    for kicker in cards.locator(".card-kicker").all_text_contents():
        assert kicker.startswith("Finance")
    chosen = page.locator("a.facet-link.selected")
    assert chosen.count() == 2
    page.screenshot(path="test-results/search-results-en.png", full_page=True)

    # The same results in Chinese: the address (and so the search) is kept.
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert _query(page)["pricing_model"] == ["membership"]
    assert page.locator(".product-card").count() == cards.count()
    # the Chinese titles now shown carry the matched word, highlighted (the English ones
    # shown before could not)
    assert page.locator("h3 a mark").first.inner_text() == "信用"
    assert page.locator('a.facet-link.selected[data-facet="scenario"]').inner_text().startswith(
        "✓")
    page.screenshot(path="test-results/search-results-zh.png", full_page=True)

    # Open the first result.
    first = page.locator(".product-card h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/products/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.get_by_role("heading", name="评分与评价").is_visible()
    assert page.locator("#similar").count() == 1
    page.screenshot(path="test-results/search-product-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ratings and reviews").is_visible()
    assert page.get_by_role("heading", name="Authorization", exact=True).is_visible()
    page.screenshot(path="test-results/search-product-en.png", full_page=True)

    # Back to the results, filters and all.
    page.go_back()
    page.go_back()
    page.wait_for_url(re.compile(r"/products\?"))
    assert _query(page)["scenario"] == ["finance"]
