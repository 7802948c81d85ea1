"""The merchants' ledger: exact splits, commission rounding, refunds at the sale's rate, rates set
by the admin, payouts, statements and their CSV."""

from __future__ import annotations

import random
import secrets

import pytest

from marketplace.commerce import ledger
from marketplace.commerce.models import LedgerKind
from marketplace.commerce.orders import cart, fulfilment
from marketplace.errors import ValidationFailed
from tests.commerce_factories import (
    buy,
    ledger_entries,
    ledger_sums,
    make_plan,
    make_shop,
    published_listing_with,
)
from tests.factories import make_merchant

# -- allocate and commission (no database) -------------------------------------------------


@pytest.mark.parametrize(("amount", "weights", "shares"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (10, [3, 3, 4], [3, 3, 4]),
    (1, [1, 1], [1, 0]),
    (0, [5, 7], [0, 0]),
    (999, [0, 1], [0, 999]),
    (7, [0, 0], [7, 0]),  # nothing to weigh by: the first line takes it all
    (5, [], []),
])
def test_allocate_splits_in_proportion_with_whole_units(amount, weights, shares):
    assert ledger.allocate(amount, weights) == shares


def test_allocate_always_sums_exactly_and_stays_within_one_unit_of_the_proportion():
    rng = random.Random(5)
    for _ in range(2_000):
        weights = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 6))]
        amount = rng.randint(0, 1_000_000)
        shares = ledger.allocate(amount, weights)
        assert sum(shares) == amount
        total = sum(weights)
        if total:
            for share, weight in zip(shares, weights, strict=True):
                assert abs(share - amount * weight / total) < 1


@pytest.mark.parametrize(("amount", "rate_bp", "cut"), [
    (4, 1_000, 0),  # 0.4 fen rounds down
    (5, 1_000, 1),  # 0.5 fen rounds up, not to even
    (15, 1_000, 2),  # 1.5 -> 2
    (25, 1_000, 3),  # 2.5 -> 3 (banker's rounding would give 2)
    (99_00, 1_000, 9_90),
    (12_345, 1_250, 1_543),  # 1,543.125
    (12_347, 1_250, 1_543),  # 1,543.375
    (12_348, 1_250, 1_544),  # 1,543.5
    (10_000, 0, 0),
    (10_000, 10_000, 10_000),
])
def test_commission_rounds_half_up_to_the_fen(amount, rate_bp, cut):
    assert ledger.commission(amount, rate_bp) == cut


# -- splitting payments and refunds (database) ---------------------------------------------


@pytest.fixture
def shop(db):
    return make_shop(db)


def paid(db, order, amount=None, ref=None):
    fulfilment.record_charge(db, order, amount=order.total if amount is None else amount,
                             provider_ref=ref or f"pi_{secrets.token_hex(6)}")
    db.commit()


def test_a_payment_is_split_per_line_and_per_merchant_and_sums_exactly(db, shop):
    other_merchant, other_org = make_merchant(db)
    _, (first,) = published_listing_with(db, shop, make_plan("one_time", price=333_33))
    other_shop = type(shop)(other_merchant, other_org, shop.admin, shop.buyer)
    _, (second,) = published_listing_with(db, other_shop, make_plan("one_time", price=666_67))
    cart.add(db, shop.buyer, first.id)
    cart.add(db, shop.buyer, second.id)
    order = cart.checkout(db, shop.buyer, attempt="two-merchants")
    db.commit()
    assert order.total == 1_000_00

    paid(db, order)

    entries = ledger_entries(db, order.id)
    assert sum(e.amount for e in entries) == 1_000_00
    by_org = {org: sum(e.amount for e in entries if e.organization_id == org and
                       e.account == "merchant") for org in (shop.org.id, other_org.id)}
    assert by_org == {shop.org.id: 333_33 - ledger.commission(333_33, 1_000),
                      other_org.id: 666_67 - ledger.commission(666_67, 1_000)}

    # A partial refund is spread over the lines by largest remainder, and still sums exactly.
    fulfilment.record_refund(db, order, amount=1_00, provider_ref="re_partial")
    db.commit()
    refund_entries = [e for e in ledger_entries(db, order.id) if e.source_ref == "re_partial"]
    assert sum(e.amount for e in refund_entries) == -1_00
    assert sum(ledger_sums(db, order.id).values()) == 999_00


def test_a_refund_is_split_with_the_rate_of_its_sale_after_the_rate_changed(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=500_00))
    order = buy(db, shop.buyer, plan)
    paid(db, order)  # at the default 10 %
    ledger.set_rate(db, shop.admin, 2_500, shop.org)  # the merchant now pays 25 %
    db.commit()

    fulfilment.record_refund(db, order, amount=500_00, provider_ref="re_all")
    db.commit()

    reversal = {e.kind: e for e in ledger_entries(db, order.id) if e.source_ref == "re_all"}
    assert reversal[LedgerKind.COMMISSION_REVERSAL].amount == -50_00
    assert reversal[LedgerKind.REFUND].amount == -450_00
    assert {e.rate_bp for e in reversal.values()} == {1_000}
    assert ledger_sums(db, order.id) == {"merchant": 0, "platform": 0}
    # A new sale pays the new rate.
    later = buy(db, shop.buyer, plan)
    paid(db, later)
    assert ledger_sums(db, later.id) == {"merchant": 375_00, "platform": 125_00}


def test_the_same_payment_or_refund_recorded_twice_adds_nothing(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00))
    order = buy(db, shop.buyer, plan)
    paid(db, order, ref="pi_once")
    paid(db, order, ref="pi_once")
    assert len(ledger_entries(db, order.id)) == 2
    assert fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_once")
    assert not fulfilment.record_refund(db, order, amount=10_00, provider_ref="re_once")
    db.commit()
    assert len(ledger_entries(db, order.id)) == 4
    assert fulfilment.refunded_amount(db, order.id) == 10_00


def test_rates_default_override_and_clear(app, db, shop):
    assert ledger.rate_for(db, shop.org.id) == app.config["COMMERCE_COMMISSION_BP"] == 1_000
    ledger.set_rate(db, shop.admin, 800)
    assert ledger.default_rate(db) == 800 and ledger.rate_for(db, shop.org.id) == 800
    ledger.set_rate(db, shop.admin, 300, shop.org)
    assert ledger.rate_for(db, shop.org.id) == 300 and ledger.default_rate(db) == 800
    ledger.clear_override(db, shop.admin, shop.org)
    assert ledger.rate_for(db, shop.org.id) == 800
    with pytest.raises(ValidationFailed):
        ledger.set_rate(db, shop.admin, 10_001)


def test_payouts_reduce_the_balance_and_never_exceed_it(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00))
    paid(db, buy(db, shop.buyer, plan))
    assert ledger.balance(db, shop.org.id) == 90_00
    assert ledger.commission_for(db, shop.org.id) == 10_00

    with pytest.raises(ValidationFailed) as caught:
        ledger.record_payout(db, shop.admin, shop.org, amount=90_01, reference="")
    assert set(caught.value.field_errors) == {"amount", "reference"}
    ledger.record_payout(db, shop.admin, shop.org, amount=60_00, reference="BANK-1")
    db.commit()

    assert ledger.balance(db, shop.org.id) == 30_00
    lines = ledger.statement(db, shop.org.id)
    assert [(line.entry.kind, line.running_balance) for line in lines] == [
        (LedgerKind.SALE, 90_00), (LedgerKind.PAYOUT, 30_00)]


def test_the_statement_csv_neutralises_formulas(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=100_00),
                                        title="=HYPERLINK(\"http://evil\")")
    paid(db, buy(db, shop.buyer, plan))

    text = ledger.statement_csv(ledger.statement(db, shop.org.id))

    assert text.startswith("\ufeffdate,kind,order,product,amount")
    assert "'=HYPERLINK" in text and ",90.00," in text
