"""What a product's search document holds, from the listing and what surrounds it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from marketplace.catalog.models import PricingPlan
from marketplace.search.analysis import TEXT_SEPARATOR, analyze
from marketplace.search.documents import (
    ProductFacts,
    document,
    entry_price,
    lowest_price,
    price_range,
    rating_key,
    texts,
)


def a_listing(**fields):
    values = dict(id=7, product_id=3, organization_id=2, title="企业信用风险模型", summary="",
                  description_md="", tags=["信用风险"], scenario="medical",
                  product_type="modelized_data", delivery_form="service_api",
                  classification_level=2, published_at=datetime(2026, 1, 2, tzinfo=UTC))
    values.update(fields)
    return SimpleNamespace(**values)


def test_every_language_version_of_a_text_is_indexed():
    # The listing's text may gain an English and a Chinese version (title_en, title_zh...).
    listing = a_listing(title="企业信用风险模型", title_en="Enterprise credit risk model",
                        summary="违约概率", summary_en="Probability of default")
    assert texts(listing, "title") == ["企业信用风险模型", "Enterprise credit risk model"]
    assert texts(a_listing(title="Only one"), "title") == ["Only one"]
    assert texts(a_listing(summary="  "), "summary") == []


def test_a_document_holds_the_texts_names_and_values_buyers_search_by(app):
    listing = a_listing(title_en="Enterprise credit risk model")
    plans = [PricingPlan(listing_id=7, name="Pack", model="one_time", price=99_00),
             PricingPlan(listing_id=7, name="Calls", model="per_call",
                         tiers=[{"up_to": 100, "unit_price": 50},
                                {"up_to": None, "unit_price": 30}])]
    facts = ProductFacts(listing=listing, plans=plans,
                         merchant=SimpleNamespace(name="Hangzhou Data Co."),
                         rating_average=4.5, rating_count=2, sales=9)
    with app.app_context():
        doc = document(facts)
    assert doc["product_id"] == "3" and doc["listing_id"] == 7
    assert doc["title"].split(TEXT_SEPARATOR) == ["企业信用风险模型",
                                                  "Enterprise credit risk model", "信用风险"]
    terms = set(analyze(doc["content"]))
    # Both languages, the merchant, the scenario's name in English and Chinese, and pinyin.
    assert {"企业", "enterpris", "hangzhou", "medic", "医疗", "健康", "xinyong"} <= terms
    assert doc["pricing_models"] == "one_time,per_call"
    assert doc["price"] == 30 and doc["price_range"] == "under_100"
    assert doc["sales"] == 9 and doc["rating_count"] == 2
    assert doc["published"] == int(datetime(2026, 1, 2, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(("fen", "key"), [(0, "free"), (1, "under_100"), (100_00, "under_100"),
                                          (100_01, "100_1000"), (10_000_00, "1000_10000"),
                                          (10_000_01, "over_10000")])
def test_price_ranges(fen, key):
    assert price_range(fen) == key


def test_a_plans_entry_price():
    assert entry_price(PricingPlan(listing_id=1, name="f", model="free", price=500)) == 0
    membership = PricingPlan(listing_id=1, name="m", model="membership", price=999_00)
    assert entry_price(membership) == 999_00
    assert lowest_price([membership, PricingPlan(listing_id=1, name="o", model="one_time",
                                                 price=5_00)]) == 5_00
    assert lowest_price([]) == 0


def test_a_rating_sorts_by_its_mean_damped_towards_three_stars():
    assert rating_key(5.0, 1) < rating_key(4.8, 100)
    assert rating_key(0.0, 0) == 0
    assert rating_key(3.0, 10) == 3000
