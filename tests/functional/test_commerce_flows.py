"""Buying every pricing model end to end against a real localstripe: order, payment, entitlement,
ledger and receipt; declined cards; renewals, cancellation and failed renewals; refunds.

The services are driven directly, as the storefront's views drive them; webhook events are the
ones localstripe really sends, delivered to POST /payments/webhook.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from marketplace.base import utcnow
from marketplace.catalog.models import PricingModel
from marketplace.commerce import ledger
from marketplace.commerce.ledger import billing
from marketplace.commerce.models import (
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLine,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
    QuoteState,
    Receipt,
    UsageBill,
)
from marketplace.commerce.orders import fulfilment, quotes
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.payments import PaymentError, refunds, subscriptions
from marketplace.commerce.payments.attempts import OrderBusy
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.errors import Conflict, ValidationFailed
from tests.commerce_factories import (
    buy,
    count,
    deliver,
    ledger_entries,
    ledger_sums,
    make_plan,
    make_shop,
    pay,
    payment_events,
    published_listing_with,
    receipts,
    subscription_of,
)

S = OrderState
E = EntitlementState
K = PaymentEventKind
RATE_BP = 1_000  # tests/conftest.py leaves COMMERCE_COMMISSION_BP at its default, 10 %


@pytest.fixture
def shop(db):
    return make_shop(db)


def assert_paid_once(db, order, amount: int) -> None:
    """One charge, one receipt, and a ledger split of ``amount`` at the default rate."""
    charges = payment_events(db, order.id, K.CHARGE_SUCCEEDED)
    assert [e.amount for e in charges] == [amount]
    assert [r.amount for r in receipts(db, order.id)] == [amount]
    cut = ledger.commission(amount, RATE_BP)
    assert ledger_sums(db, order.id) == {"merchant": amount - cut, "platform": cut}


# -- 1. every pricing model: buy, pay, get the entitlement ---------------------------------


def test_free_plan_gives_an_order_and_an_entitlement_without_any_payment(app, db, shop):
    # No localstripe here: payments point at a closed port, so any provider call would fail.
    listing, (plan,) = published_listing_with(db, shop, make_plan("free"))
    order = buy(db, shop.buyer, plan)
    assert (order.total, order.state) == (0, S.PENDING_PAYMENT)

    pay(db, app.extensions["payments"], shop.buyer, order)

    assert order.state == S.FULFILLED and order.paid_at and order.payment_intent_id is None
    (entitlement,) = entitlements.for_order(db, order.id)
    assert (entitlement.buyer_id, entitlement.listing_id, entitlement.plan_id) == (
        shop.buyer.id, listing.id, plan.id)
    assert entitlement.pricing_model == PricingModel.FREE
    assert entitlement.state == E.ACTIVE and entitlements.is_usable(entitlement)
    assert entitlement.quota is None and entitlement.valid_to is None
    assert payment_events(db, order.id) == [] and receipts(db, order.id) == []
    assert ledger_entries(db, order.id) == []


def test_one_time_data_package_is_charged_once_and_granted(db, shop, payments, localstripe):
    listing, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=99_00))
    order = buy(db, shop.buyer, plan)
    assert order.total == 99_00

    pay(db, payments, shop.buyer, order)

    assert order.state == S.FULFILLED
    intent = payments.retrieve_payment_intent(order.payment_intent_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 99_00)
    assert intent.metadata["order_number"] == order.number
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.state == E.ACTIVE and entitlement.pricing_model == PricingModel.ONE_TIME
    assert entitlement.quota is None and entitlement.valid_to is None  # a download, kept
    assert_paid_once(db, order, 99_00)
    sale, commission = ledger_entries(db, order.id)
    assert (sale.kind, sale.account, sale.amount, sale.organization_id) == (
        LedgerKind.SALE, "merchant", 89_10, shop.org.id)
    assert (commission.kind, commission.account, commission.amount, commission.rate_bp) == (
        LedgerKind.COMMISSION, "platform", 9_90, RATE_BP)
    assert ledger.balance(db, shop.org.id) == 89_10
    # Paying again is refused with the order's state: it is no longer awaiting payment.
    with pytest.raises(OrderBusy, match="not awaiting payment") as refused:
        pay(db, payments, shop.buyer, order)
    assert refused.value.order_state == OrderState.FULFILLED


def test_one_time_call_pack_grants_its_calls_as_quota(db, shop, payments, localstripe):
    _, (plan,) = published_listing_with(
        db, shop, make_plan("one_time", name="5,000 calls", price=250_00, included_calls=5_000))
    order = buy(db, shop.buyer, plan)

    pay(db, payments, shop.buyer, order)

    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.quota == 5_000
    assert entitlement.valid_to - entitlement.valid_from == entitlements.CALL_PACK_VALIDITY
    assert_paid_once(db, order, 250_00)


def test_per_call_prepaid_pack_costs_its_graduated_price_and_grants_its_size(
        db, shop, payments, localstripe):
    tiers = [{"up_to": 1_000, "unit_price": 10}, {"up_to": None, "unit_price": 6}]
    _, (plan,) = published_listing_with(db, shop, make_plan("per_call", free_allowance=100,
                                                            tiers=tiers))
    order = buy(db, shop.buyer, plan, pack_calls=10_000)
    # 1,000 calls at 0.10 and 9,000 at 0.06: the free allowance is for pay-as-you-go only.
    assert order.total == 1_000 * 10 + 9_000 * 6 == 64_000
    (line,) = order_lines(db, order.id)
    assert line.plan_terms["pack_calls"] == 10_000 and not line.plan_terms["postpaid"]

    pay(db, payments, shop.buyer, order)

    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.quota == 10_000 and entitlement.state == E.ACTIVE
    assert entitlement.valid_to is not None
    assert_paid_once(db, order, 64_000)


def test_a_call_pack_of_another_size_is_refused(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("per_call"))
    with pytest.raises(ValidationFailed) as caught:
        buy(db, shop.buyer, plan, pack_calls=1_234)
    assert "pack_calls" in caught.value.field_errors


@pytest.mark.parametrize("period", ["month", "year"])
def test_membership_becomes_a_subscription_and_its_entitlement_ends_with_the_period(
        db, shop, payments, localstripe, period):
    _, (plan,) = published_listing_with(db, shop, make_plan(
        "membership", name=f"Every {period}", billing_period=period, price=1_200_00,
        included_calls=50_000))
    order = buy(db, shop.buyer, plan)

    pay(db, payments, shop.buyer, order)

    assert order.state == S.FULFILLED
    subscription = subscription_of(db, order)
    info = payments.retrieve_subscription(subscription.provider_id)
    assert info.status == "active"
    length = info.current_period_end - info.current_period_start
    assert length >= (timedelta(days=365) if period == "year" else timedelta(days=28))
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.valid_to == info.current_period_end
    assert entitlement.quota == 50_000 and entitlements.is_usable(entitlement)
    assert entitlement.overage_unit_price == plan.overage_unit_price == 20  # as sold
    (charge,) = payment_events(db, order.id, K.CHARGE_SUCCEEDED)
    assert charge.provider_ref == info.latest_invoice_id
    assert_paid_once(db, order, 1_200_00)


def test_service_fee_is_requested_quoted_accepted_and_paid(db, shop, payments, localstripe):
    _, (plan,) = published_listing_with(db, shop, make_plan("service_fee", price=5_000_00))
    # Without a quote, a service fee cannot go in the cart.
    with pytest.raises(ValidationFailed) as caught:
        buy(db, shop.buyer, plan)
    assert "plan" in caught.value.field_errors

    quote = quotes.request_quote(db, shop.buyer, plan,
                                 "Score 2,000 companies of our loan book by Friday, please.")
    db.commit()
    # A quote names what the price buys: without the calls and the days it is not sent.
    with pytest.raises(ValidationFailed) as caught:
        quotes.send_quote(db, shop.merchant, quote, amount=7_500_00, calls=None,
                          valid_days=0, note="Two days of work.")
    assert set(caught.value.field_errors) == {"calls", "valid_days"}
    db.rollback()
    quotes.send_quote(db, shop.merchant, quote, amount=7_500_00, calls=2_000, valid_days=90,
                      note="Two days of work.")
    db.commit()
    order = buy(db, shop.buyer, plan, quote=quote)
    assert order.total == 7_500_00 and quote.state == QuoteState.ACCEPTED

    pay(db, payments, shop.buyer, order)

    assert order.state == S.FULFILLED
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.pricing_model == PricingModel.SERVICE_FEE
    # The entitlement gets what was quoted: 2,000 calls, usable for 90 days from payment.
    assert entitlement.quota == 2_000
    assert entitlement.valid_to - order.paid_at == timedelta(days=90)
    assert_paid_once(db, order, 7_500_00)


def test_a_quote_made_before_quotes_named_their_terms_is_quoted_again(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("service_fee", price=5_000_00))
    quote = quotes.request_quote(db, shop.buyer, plan,
                                 "Score 2,000 companies of our loan book by Friday, please.")
    quote.state, quote.amount = QuoteState.QUOTED, 6_000_00  # as quoted before: a price only
    db.commit()
    with pytest.raises(ValidationFailed) as caught:
        buy(db, shop.buyer, plan, quote=quote)
    assert "quote again" in caught.value.field_errors["plan"][0]
    assert quote.state == QuoteState.QUOTED


def test_pay_as_you_go_is_billed_from_metered_usage_through_allowance_and_tiers(
        db, shop, payments, localstripe):
    tiers = [{"up_to": 1_000, "unit_price": 10}, {"up_to": None, "unit_price": 6}]
    _, (plan,) = published_listing_with(db, shop, make_plan("per_call", free_allowance=100,
                                                            tiers=tiers))
    order = buy(db, shop.buyer, plan)
    assert order.total == 0

    pay(db, payments, shop.buyer, order)  # nothing charged now: the card is kept for the bill

    assert order.state == S.FULFILLED and payment_events(db, order.id) == []
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.quota is None and entitlement.valid_to is None
    assert entitlement.pricing_model == PricingModel.PER_CALL

    start = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=40)
    for n, units in enumerate([1, 99, 500, 1_000]):  # 1,600 calls in the period
        assert billing.record_usage(db, entitlement, request_id=f"req-{n}", operation="verify",
                                    units=units, occurred_at=start + timedelta(hours=n))
    # A retried write of the same call, and a call of the next period, are not billed.
    assert not billing.record_usage(db, entitlement, request_id="req-3", units=1_000,
                                    occurred_at=start + timedelta(hours=5))
    billing.record_usage(db, entitlement, request_id="later", units=7, occurred_at=end)
    db.commit()

    run = billing.bill_period(db, payments, start, end)

    (bill,) = run.billed
    assert run.failed == 0
    # 100 free calls, then 1,000 at 0.10 and 500 at 0.06.
    assert (bill.calls, bill.billable_calls) == (1_600, 1_500)
    assert bill.amount == 1_000 * 10 + 500 * 6 == 13_000
    usage_order = db.get(Order, bill.order_id)
    assert usage_order.state == S.FULFILLED and usage_order.total == 13_000
    (charge,) = payment_events(db, usage_order.id, K.CHARGE_SUCCEEDED)
    provider = payments.retrieve_payment_intent(charge.provider_ref)
    assert (provider.status, provider.amount_received) == ("succeeded", 13_000)
    assert_paid_once(db, usage_order, 13_000)
    assert ledger_sums(db, usage_order.id) == {"merchant": 11_700, "platform": 1_300}
    # Paying the bill grants nothing new: the buyer still has one entitlement.
    assert [e.id for e in entitlements.for_buyer(db, shop.buyer.id)] == [entitlement.id]
    # Billing the same period again bills nothing.
    assert billing.bill_period(db, payments, start, end).billed == []
    assert count(db, UsageBill) == 1


def test_an_unpaid_usage_bill_suspends_the_pay_as_you_go_entitlement(
        db, shop, payments, localstripe):
    _, (plan,) = published_listing_with(db, shop, make_plan("per_call", free_allowance=0))
    order = buy(db, shop.buyer, plan)
    pay(db, payments, shop.buyer, order, card="charge_fails")  # saved fine, declined when charged
    (entitlement,) = entitlements.for_order(db, order.id)
    start = utcnow() - timedelta(days=1)
    billing.record_usage(db, entitlement, request_id="r1", units=10, occurred_at=start)
    db.commit()

    run = billing.bill_period(db, payments, start, start + timedelta(days=30))

    assert run.failed == 1
    usage_order = db.get(Order, run.billed[0].order_id)
    assert usage_order.state == S.FAILED
    assert [e.kind for e in payment_events(db, usage_order.id)] == [K.CHARGE_FAILED]
    assert ledger_entries(db, usage_order.id) == []
    db.refresh(entitlement)
    assert entitlement.state == E.SUSPENDED and not entitlements.is_usable(entitlement)

    # The buyer pays the bill with another card: the suspension the bill caused is lifted.
    pay(db, payments, shop.buyer, usage_order, card="visa_ok")
    db.refresh(usage_order)
    db.refresh(entitlement)
    assert usage_order.state == S.FULFILLED
    assert entitlement.state == E.ACTIVE
    assert entitlements.for_order(db, usage_order.id) == []  # no second entitlement


# -- 2. a declined card --------------------------------------------------------------------


# "declined" is refused when the card is saved, "charge_fails" when it is charged.
@pytest.mark.parametrize("card", ["declined", "charge_fails"])
def test_declined_card_fails_the_order_then_a_good_card_pays_it(
        db, shop, payments, localstripe, card):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=42_00))
    order = buy(db, shop.buyer, plan)

    with pytest.raises(PaymentError) as caught:
        pay(db, payments, shop.buyer, order, card=card)

    assert str(caught.value) == "Your card was declined. Try another card."
    db.refresh(order)
    assert order.state == S.FAILED and order.failure_reason
    assert entitlements.for_order(db, order.id) == []
    assert ledger_entries(db, order.id) == [] and receipts(db, order.id) == []
    (failure,) = payment_events(db, order.id)
    assert (failure.kind, failure.amount) == (K.CHARGE_FAILED, 0)

    pay(db, payments, shop.buyer, order, card="visa_ok")

    assert order.state == S.FULFILLED
    assert len(entitlements.for_order(db, order.id)) == 1
    assert [e.kind for e in payment_events(db, order.id)] == [K.CHARGE_FAILED,
                                                               K.CHARGE_SUCCEEDED]
    assert_paid_once(db, order, 42_00)
    assert count(db, PaymentEvent) == 2 and count(db, Receipt) == 1
    assert count(db, LedgerEntry) == 2


# -- 3. subscriptions: renewal, cancellation at period end, failed renewal ------------------


@pytest.fixture
def member(db, shop, payments, localstripe, webhook_receiver):
    """A buyer with a paid monthly membership: (order, subscription, entitlement)."""
    _, (plan,) = published_listing_with(db, shop, make_plan("membership", price=999_00))
    order = buy(db, shop.buyer, plan)
    pay(db, payments, shop.buyer, order)
    (entitlement,) = entitlements.for_order(db, order.id)
    return order, subscription_of(db, order), entitlement


def renewal_orders(db, entitlement):
    return list(db.exec(select(Order).join(OrderLine, OrderLine.order_id == Order.id).where(
        OrderLine.plan_terms["renews_line_id"].as_integer() == entitlement.order_line_id)
        .order_by(col(Order.id))))


def test_a_renewal_extends_the_entitlement_with_an_order_receipt_and_ledger_of_its_own(
        client, db, shop, payments, localstripe, webhook_receiver, member):
    order, subscription, entitlement = member
    first_end = entitlement.valid_to

    invoice_id = localstripe.renew(subscription.provider_id)
    outcome = deliver(client, db, webhook_receiver.wait_for(
        "invoice.payment_succeeded", object_id=invoice_id))

    assert outcome == "membership renewed"
    info = payments.retrieve_subscription(subscription.provider_id)
    assert info.current_period_start == first_end
    db.refresh(entitlement)
    assert entitlement.valid_to == info.current_period_end > first_end
    assert entitlement.state == E.ACTIVE
    assert len(entitlements.for_buyer(db, shop.buyer.id)) == 1  # extended, not granted again
    (renewal,) = renewal_orders(db, entitlement)
    assert renewal.id != order.id and renewal.state == S.FULFILLED
    assert renewal.total == 999_00 and renewal.buyer_id == shop.buyer.id
    (charge,) = payment_events(db, renewal.id, K.CHARGE_SUCCEEDED)
    assert charge.provider_ref == invoice_id
    assert_paid_once(db, renewal, 999_00)
    assert_paid_once(db, order, 999_00)  # the first period's books are untouched
    assert ledger.balance(db, shop.org.id) == 2 * (999_00 - ledger.commission(999_00, RATE_BP))


def test_cancellation_keeps_the_membership_until_the_period_ends_then_it_expires(
        client, db, shop, payments, localstripe, webhook_receiver, member):
    order, subscription, entitlement = member
    period_end = entitlement.valid_to

    subscriptions.cancel_at_period_end(db, payments, shop.buyer, subscription)

    assert subscription.cancel_at_period_end
    assert payments.retrieve_subscription(subscription.provider_id).cancel_at_period_end
    db.refresh(entitlement)
    assert entitlement.state == E.ACTIVE and entitlement.valid_to == period_end
    assert entitlements.is_usable(entitlement, now=period_end - timedelta(seconds=1))
    assert not entitlements.is_usable(entitlement, now=period_end)
    # The daily expiry job ends it at the period's end, not before.
    assert entitlements.expire_due(db, now=period_end - timedelta(seconds=1)) == 0
    assert entitlements.expire_due(db, now=period_end) == 1
    db.commit()
    assert entitlement.state == E.EXPIRED
    # At the period's end the provider deletes the subscription; the event changes nothing more.
    payments.cancel_subscription_now(subscription.provider_id)
    outcome = deliver(client, db, webhook_receiver.wait_for(
        "customer.subscription.deleted", object_id=subscription.provider_id))
    assert outcome == "membership ended"
    db.refresh(subscription)
    assert subscription.status == "canceled"
    assert order.state == S.FULFILLED and ledger_sums(db, order.id)["merchant"] > 0


def test_deleting_the_subscription_at_the_provider_expires_the_entitlement(
        client, db, shop, payments, localstripe, webhook_receiver, member):
    _, subscription, entitlement = member
    payments.cancel_subscription_now(subscription.provider_id)

    outcome = deliver(client, db, webhook_receiver.wait_for(
        "customer.subscription.deleted", object_id=subscription.provider_id))

    assert outcome == "membership ended"
    db.refresh(entitlement)
    assert entitlement.state == E.EXPIRED and not entitlements.is_usable(entitlement)


def test_a_failed_renewal_suspends_the_entitlement_until_the_invoice_is_paid(
        client, db, shop, payments, localstripe, webhook_receiver, member):
    order, subscription, entitlement = member
    first_end = entitlement.valid_to

    invoice_id = localstripe.renew(subscription.provider_id, succeed=False)
    outcome = deliver(client, db, webhook_receiver.wait_for(
        "invoice.payment_failed", object_id=invoice_id))

    assert outcome == "entitlement suspended"
    db.refresh(entitlement)
    assert entitlement.state == E.SUSPENDED and not entitlements.is_usable(entitlement)
    assert entitlement.valid_to == first_end
    assert renewal_orders(db, entitlement) == []

    # The buyer pays the open invoice with a working card.
    payments.pay_invoice(invoice_id, payment_method=payments.test_payment_method("visa_ok"))
    outcome = deliver(client, db, webhook_receiver.wait_for(
        "invoice.payment_succeeded", object_id=invoice_id))

    assert outcome == "membership renewed"
    db.refresh(entitlement)
    assert entitlement.state == E.ACTIVE and entitlements.is_usable(entitlement)
    assert entitlement.valid_to > first_end
    (renewal,) = renewal_orders(db, entitlement)
    assert_paid_once(db, renewal, 999_00)


def test_membership_overage_is_billed_to_the_members_card_apart_from_the_membership(
        client, db, shop, payments, localstripe, webhook_receiver, member):
    order, subscription, entitlement = member  # 50,000 calls included, then 0.20 a call
    start = utcnow() - timedelta(days=1)
    end = start + timedelta(days=30)
    billing.record_usage(db, entitlement, request_id="month", units=50_250,
                         occurred_at=start + timedelta(hours=1))
    db.commit()

    (bill,) = billing.bill_period(db, payments, start, end).billed

    assert (bill.billable_calls, bill.amount) == (250, 250 * 20)
    usage_order = db.get(Order, bill.order_id)
    assert usage_order.state == S.FULFILLED
    intent = payments.retrieve_payment_intent(usage_order.payment_intent_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 5_000)
    assert intent.customer_id == payments.retrieve_subscription(
        subscription.provider_id).customer_id  # the card the membership renews with
    assert_paid_once(db, usage_order, 5_000)
    # Its webhook is the bill's own payment, not the membership's invoice: recorded already.
    assert deliver(client, db, webhook_receiver.wait_for(
        "payment_intent.succeeded", object_id=intent.id)) == "already paid"
    assert [e.id for e in entitlements.for_buyer(db, shop.buyer.id)] == [entitlement.id]

    # Refunding the overage bill leaves the membership running.
    refund(db, payments, shop.admin, usage_order, 5_000)
    assert usage_order.state == S.REFUNDED
    assert payments.retrieve_subscription(subscription.provider_id).status == "active"
    db.refresh(entitlement)
    assert entitlement.state == E.ACTIVE


# -- 4. refunds ----------------------------------------------------------------------------


@pytest.fixture
def paid_order(db, shop, payments, localstripe):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=300_00))
    order = buy(db, shop.buyer, plan)
    pay(db, payments, shop.buyer, order)
    return order


def refund(db, payments, actor, order, amount, key="refund-1"):
    refunds.refund(db, payments, actor, order, amount=amount, reason="Wrong product.",
                        request_key=key)


def test_a_full_refund_revokes_at_once_and_reverses_the_ledger(
        db, shop, payments, paid_order):
    refund(db, payments, shop.admin, paid_order, 300_00)

    assert paid_order.state == S.REFUNDED
    (entitlement,) = entitlements.for_order(db, paid_order.id)
    assert entitlement.state == E.REVOKED and not entitlements.is_usable(entitlement)
    assert ledger_sums(db, paid_order.id) == {"merchant": 0, "platform": 0}
    kinds = sorted(e.kind for e in ledger_entries(db, paid_order.id))
    assert kinds == sorted([LedgerKind.SALE, LedgerKind.COMMISSION, LedgerKind.REFUND,
                            LedgerKind.COMMISSION_REVERSAL])
    (returned,) = payment_events(db, paid_order.id, K.REFUND_SUCCEEDED)
    assert returned.amount == 300_00 and returned.provider_ref.startswith("re_")
    charge = payments.client.v1.payment_intents.retrieve(
        paid_order.payment_intent_id, params={"expand": ["latest_charge"]}).latest_charge
    assert charge.amount_refunded == 300_00
    assert fulfilment.refundable(db, paid_order) == 0


def test_a_partial_refund_keeps_the_entitlement_and_an_over_refund_is_refused(
        db, shop, payments, paid_order):
    refund(db, payments, shop.merchant, paid_order, 100_00, key="first")

    assert paid_order.state == S.PARTLY_REFUNDED
    (entitlement,) = entitlements.for_order(db, paid_order.id)
    assert entitlement.state == E.ACTIVE
    cut = ledger.commission(300_00, RATE_BP) - ledger.commission(100_00, RATE_BP)
    assert ledger_sums(db, paid_order.id) == {"merchant": 200_00 - cut, "platform": cut}

    with pytest.raises(ValidationFailed) as caught:
        refund(db, payments, shop.admin, paid_order, 200_01, key="too-much")
    assert "At most 200.00 CNY" in caught.value.field_errors["amount"][0]
    with pytest.raises(Conflict):  # the same refund form submitted twice
        refund(db, payments, shop.admin, paid_order, 50_00, key="first")
    db.rollback()
    assert fulfilment.refunded_amount(db, paid_order.id) == 100_00
    assert paid_order.state == S.PARTLY_REFUNDED

    refund(db, payments, shop.admin, paid_order, 200_00, key="the-rest")

    assert paid_order.state == S.REFUNDED
    db.refresh(entitlement)
    assert entitlement.state == E.REVOKED
    assert ledger_sums(db, paid_order.id) == {"merchant": 0, "platform": 0}
    with pytest.raises(ValidationFailed):
        refund(db, payments, shop.admin, paid_order, 1, key="nothing-left")


def test_a_full_refund_of_a_membership_revokes_it_and_stops_the_renewals(
        db, shop, payments, member):
    order, subscription, entitlement = member

    refund(db, payments, shop.admin, order, 999_00)

    assert order.state == S.REFUNDED
    db.refresh(entitlement)
    assert entitlement.state == E.REVOKED
    assert ledger_sums(db, order.id) == {"merchant": 0, "platform": 0}
    assert payments.retrieve_subscription(subscription.provider_id).status == "canceled"
