"""What plans cost: graduated tiers at their boundaries, metered usage after the free allowance,
membership overage, and the price of each kind of cart line."""

from __future__ import annotations

import pytest

from marketplace.catalog.models import PricingPlan
from marketplace.commerce.orders.pricing import (
    CALL_PACKS,
    LinePrice,
    graduated_amount,
    plan_terms,
    price_line,
    usage_amount,
)
from marketplace.errors import ValidationFailed

TIERS = [{"up_to": 1_000, "unit_price": 10}, {"up_to": 5_000, "unit_price": 8},
         {"up_to": None, "unit_price": 5}]


@pytest.mark.parametrize(("calls", "amount"), [
    (0, 0),
    (1, 10),
    (999, 9_990),
    (1_000, 10_000),  # the last call of the first tier
    (1_001, 10_008),  # the first call of the second
    (5_000, 10_000 + 4_000 * 8),
    (5_001, 42_000 + 5),
    (1_000_000, 42_000 + 995_000 * 5),
])
def test_graduated_tiers_price_each_call_at_its_own_tier(calls, amount):
    assert graduated_amount(TIERS, calls) == amount


def test_a_single_open_tier_is_a_flat_unit_price():
    assert graduated_amount([{"up_to": None, "unit_price": 7}], 1_234) == 8_638


def per_call_terms(**overrides):
    return {"model": "per_call", "free_allowance": 100, "tiers": TIERS, **overrides}


@pytest.mark.parametrize(("calls", "billable", "amount"), [
    (0, 0, 0),
    (100, 0, 0),  # all within the free allowance
    (101, 1, 10),
    (1_100, 1_000, 10_000),
    (1_101, 1_001, 10_008),
])
def test_usage_is_billed_after_the_free_allowance_through_the_tiers(calls, billable, amount):
    assert usage_amount(per_call_terms(), calls) == (billable, amount)


def test_usage_without_a_free_allowance_bills_every_call():
    assert usage_amount(per_call_terms(free_allowance=None), 1) == (1, 10)


def membership_terms(**overrides):
    return {"model": "membership", "included_calls": 50_000, "overage_unit_price": 20,
            **overrides}


@pytest.mark.parametrize(("calls", "billable", "amount"), [
    (0, 0, 0),
    (50_000, 0, 0),
    (50_001, 1, 20),
    (60_000, 10_000, 200_000),
])
def test_membership_overage_is_priced_per_call_beyond_the_included_quota(
        calls, billable, amount):
    assert usage_amount(membership_terms(), calls) == (billable, amount)


def test_a_membership_without_an_overage_price_and_other_models_bill_no_usage():
    assert usage_amount(membership_terms(overage_unit_price=None), 90_000) == (0, 0)
    assert usage_amount({"model": "one_time"}, 500) == (0, 0)
    assert usage_amount({"model": "free"}, 500) == (0, 0)


def plan(model: str, **fields) -> PricingPlan:
    return PricingPlan(listing_id=1, name=model, model=model, **fields)


def test_each_model_prices_its_line_and_says_what_the_buyer_gets(app):
    with app.test_request_context():
        assert price_line(plan("free")) == LinePrice(0, None)
        assert price_line(plan("one_time", price=99_00)) == LinePrice(99_00, None)
        assert price_line(plan("one_time", price=250_00, included_calls=5_000)) == LinePrice(
            250_00, 5_000)
        per_call = plan("per_call", free_allowance=100, tiers=TIERS)
        assert price_line(per_call) == LinePrice(0, None, postpaid=True)
        # A prepaid pack costs its calls through the tiers; the free allowance is not deducted.
        assert price_line(per_call, pack_calls=10_000) == LinePrice(
            graduated_amount(TIERS, 10_000), 10_000)
        assert price_line(plan("membership", price=999_00, included_calls=50_000)) == LinePrice(
            999_00, 50_000)
        assert price_line(plan("service_fee", price=5_000_00),
                          quoted_amount=7_500_00) == LinePrice(7_500_00, None)


def test_every_call_pack_is_buyable_and_other_sizes_are_not(app):
    per_call = plan("per_call", tiers=TIERS)
    with app.test_request_context():
        for size in CALL_PACKS:
            assert price_line(per_call, pack_calls=size).quota == size
        with pytest.raises(ValidationFailed) as caught:
            price_line(per_call, pack_calls=5_000)
    message = caught.value.field_errors["pack_calls"][0]
    assert all(f"{size:,}" in message for size in CALL_PACKS)  # it names the packs on sale


def test_a_service_fee_needs_a_quote(app):
    with app.test_request_context(), pytest.raises(ValidationFailed) as caught:
        price_line(plan("service_fee", price=5_000_00))
    assert "quote" in caught.value.field_errors["plan"][0]


def test_plan_terms_keep_the_plan_as_sold():
    sold = plan("per_call", free_allowance=100, tiers=TIERS, currency="CNY")
    terms = plan_terms(sold)
    sold.tiers[0]["unit_price"] = 99  # a later edit of the plan
    assert terms["tiers"][0]["unit_price"] == 10
    assert (terms["model"], terms["free_allowance"], terms["currency"]) == (
        "per_call", 100, "CNY")
