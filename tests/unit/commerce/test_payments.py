"""The payments adapter against a real localstripe, and Checkout against recorded Stripe answers.

``checkout_session.json`` is Stripe's published example of a Checkout Session (stripe/openapi,
openapi/fixtures3.json, commit 00ea679f; MIT licence), since localstripe has no Checkout.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stripe

from marketplace.commerce.payments import (
    INSTANCE_TAG_KEY,
    TEST_CARDS,
    HostedCheckout,
    PaymentError,
    StripePayments,
    WebhookSignatureError,
    get_payments,
)
from tests.commerce_support import stripe_signature

CHECKOUT_SESSION = json.loads((Path(__file__).parent / "checkout_session.json").read_text())


@pytest.fixture
def customer(payments) -> str:
    return payments.ensure_customer(user_id=7, email="buyer@example.com", customer_id=None)


def paid_intent(payments, customer: str, amount: int = 10_000):
    intent = payments.create_payment_intent(amount=amount, currency="cny", customer_id=customer,
                                            metadata={"order_id": 42})
    return payments.confirm_payment_intent(
        intent.id, payment_method=payments.test_payment_method("visa_ok"))


def monthly_plan(payments, key: str = "listing-1-monthly", amount: int = 9_900) -> str:
    return payments.ensure_plan(plan_key=key, product_name="Enterprise blacklist (monthly)",
                                amount=amount, currency="cny", interval="month",
                                metadata={"listing_id": 1})


# -- wiring --------------------------------------------------------------------------------


def test_the_app_carries_an_adapter_built_from_its_settings(app, localstripe):
    with app.app_context():
        payments = get_payments()
    assert isinstance(payments, StripePayments)
    assert payments.api_base == localstripe.base_url
    assert payments.local and not payments.supports_hosted_checkout
    assert payments.currency == "cny"
    assert payments.instance_tag == app.config["STRIPE_INSTANCE_TAG"]


def test_an_unreachable_service_is_a_retryable_payment_error(app):
    # Without the localstripe fixture, tests point payments at a closed port.
    payments = app.extensions["payments"]
    with pytest.raises(PaymentError) as caught:
        payments.ensure_customer(user_id=1, email="a@example.com", customer_id=None)
    assert caught.value.code == "provider_unavailable"
    assert caught.value.retryable and caught.value.status_code == 503
    assert "Try again in a few minutes" in str(caught.value)
    assert isinstance(caught.value.__cause__, stripe.APIConnectionError)


# -- customers -----------------------------------------------------------------------------


def test_ensure_customer_creates_once_and_replaces_a_missing_one(payments, customer):
    stored = payments.client.v1.customers.retrieve(customer)
    assert stored.email == "buyer@example.com"
    assert stored.metadata.to_dict() == {"user_id": "7", INSTANCE_TAG_KEY: payments.instance_tag}

    again = payments.ensure_customer(user_id=7, email="buyer@example.com", customer_id=customer)
    assert again == customer
    replaced = payments.ensure_customer(user_id=7, email="buyer@example.com",
                                        customer_id="cus_gone")
    assert replaced.startswith("cus_") and replaced != customer


# -- one-time payments ---------------------------------------------------------------------


def test_a_payment_intent_is_created_unconfirmed_then_confirmed(payments, customer):
    intent = payments.create_payment_intent(amount=12_345, currency="CNY", customer_id=customer,
                                            metadata={"order_id": 42})
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.amount_received, intent.currency) == (12_345, 0, "cny")
    assert intent.metadata == {"order_id": "42", INSTANCE_TAG_KEY: payments.instance_tag}
    assert intent.client_secret and intent.customer_id == customer

    confirmed = payments.confirm_payment_intent(
        intent.id, payment_method=payments.test_payment_method("visa_ok"))
    assert confirmed.id == intent.id
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 12_345
    assert confirmed.last_error is None
    assert payments.retrieve_payment_intent(intent.id) == confirmed
    # A second submit neither charges again nor fails.
    again = payments.confirm_payment_intent(
        intent.id, payment_method=payments.test_payment_method("visa_ok"))
    assert again == confirmed


@pytest.mark.parametrize("card", ["declined", "insufficient_funds", "expired", "incorrect_cvc",
                                  "charge_fails"])
def test_a_declined_card_raises_a_payment_error_and_nothing_is_charged(payments, customer, card):
    intent = payments.create_payment_intent(amount=5_000, currency="cny", customer_id=customer,
                                            metadata={})
    with pytest.raises(PaymentError) as caught:
        payments.confirm_payment_intent(
            intent.id, payment_method=payments.test_payment_method(card))
    error = caught.value
    assert error.code == "card_declined"
    assert not error.retryable and error.status_code == 402
    assert error.payment_intent_id == intent.id
    assert str(error) == "Your card was declined. Try another card."
    after = payments.retrieve_payment_intent(intent.id)
    assert after.status == "requires_payment_method" and after.amount_received == 0


def test_every_test_card_has_a_number_a_label_and_a_stripe_test_method():
    assert TEST_CARDS["visa_ok"].number == "4242424242424242"
    assert TEST_CARDS["declined"].number == "4000000000000002"
    for card in TEST_CARDS.values():
        assert len(card.number) == 16 and str(card.label)
        assert card.stripe_test_method.startswith("pm_card_")


def test_test_cards_are_refused_with_live_keys_and_unknown_names():
    live = StripePayments(secret_key="sk_live_x", webhook_secret="whsec_x")
    with pytest.raises(PaymentError) as caught:
        live.test_payment_method("visa_ok")
    assert caught.value.code == "unsupported"
    # Real Stripe in test mode gets Stripe's own test payment methods (no request needed).
    test_keys = StripePayments(secret_key="sk_test_x", webhook_secret="whsec_x")
    assert test_keys.test_payment_method("declined") == "pm_card_visa_chargeDeclined"
    with pytest.raises(PaymentError):
        test_keys.test_payment_method("no-such-card")


def test_retrieving_an_unknown_intent_is_a_payment_error(payments):
    with pytest.raises(PaymentError) as caught:
        payments.retrieve_payment_intent("pi_doesnotexist")
    assert caught.value.code == "resource_missing"
    assert not caught.value.retryable


def test_listing_payment_intents_returns_only_ours_since_a_date(payments, customer, localstripe):
    since = datetime.now(UTC) - timedelta(seconds=5)
    mine = [paid_intent(payments, customer, amount) for amount in (1_000, 2_000)]
    stranger = StripePayments(secret_key=localstripe.secret_key, webhook_secret="whsec_x",
                              api_base=localstripe.base_url, instance_tag="another-app")
    theirs = stranger.create_payment_intent(amount=3_000, currency="cny", customer_id=None,
                                            metadata={})

    listed = payments.list_payment_intents(created_after=since)
    assert {i.id for i in listed} == {i.id for i in mine}
    assert theirs.id not in {i.id for i in listed}
    assert {i.status for i in listed} == {"succeeded"}
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert payments.list_payment_intents(created_after=later) == []


# -- refunds -------------------------------------------------------------------------------


def test_refunds_partial_then_the_rest_then_nothing_more(payments, customer):
    intent = paid_intent(payments, customer, 10_000)
    first = payments.refund(payment_intent_id=intent.id, amount=2_500, metadata={"refund": 1})
    assert (first.status, first.amount, first.payment_intent_id) == (
        "succeeded", 2_500, intent.id)
    assert first.metadata == {"refund": "1", INSTANCE_TAG_KEY: payments.instance_tag}
    assert payments.retrieve_refund(first.id) == first

    with pytest.raises(PaymentError) as caught:
        payments.refund(payment_intent_id=intent.id, amount=7_501, metadata={})
    assert caught.value.code == "amount_too_large"
    assert "larger than what is left" in str(caught.value)

    rest = payments.refund(payment_intent_id=intent.id, amount=7_500, metadata={})
    assert rest.amount == 7_500
    with pytest.raises(PaymentError) as caught:
        payments.refund(payment_intent_id=intent.id, amount=1, metadata={})
    assert caught.value.code == "amount_too_large"
    charge = payments.client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge"]}).latest_charge
    assert charge.amount_refunded == 10_000


def test_a_full_refund_in_one_go(payments, customer):
    intent = paid_intent(payments, customer, 4_200)
    refund = payments.refund(payment_intent_id=intent.id, amount=4_200, metadata={})
    assert refund.amount == 4_200 and refund.status == "succeeded"


def test_refunds_of_nothing_or_of_an_unpaid_intent_are_refused(payments, customer):
    intent = paid_intent(payments, customer, 1_000)
    with pytest.raises(PaymentError) as caught:
        payments.refund(payment_intent_id=intent.id, amount=0, metadata={})
    assert caught.value.code == "invalid_amount"
    unpaid = payments.create_payment_intent(amount=1_000, currency="cny", customer_id=customer,
                                            metadata={})
    with pytest.raises(PaymentError) as caught:
        payments.refund(payment_intent_id=unpaid.id, amount=1_000, metadata={})
    assert caught.value.code == "charge_not_refundable"


# -- plans and subscriptions ---------------------------------------------------------------


def test_ensure_plan_is_idempotent_and_refuses_a_changed_price(payments):
    plan_id = monthly_plan(payments)
    assert plan_id == f"{payments.instance_tag}_plan_listing-1-monthly"
    assert monthly_plan(payments) == plan_id
    plan = payments.client.v1.plans.retrieve(plan_id)
    assert (plan.amount, plan.currency, plan.interval) == (9_900, "cny", "month")
    assert plan.metadata[INSTANCE_TAG_KEY] == payments.instance_tag
    product = payments.client.v1.products.retrieve(plan.product)
    assert product.name == "Enterprise blacklist (monthly)"

    with pytest.raises(PaymentError) as caught:
        monthly_plan(payments, amount=19_900)
    assert caught.value.code == "plan_mismatch"
    assert monthly_plan(payments, key="listing-1-monthly-v2", amount=19_900) != plan_id


def test_a_subscription_charges_its_first_period_and_cancels_at_its_end(payments, customer):
    plan_id = monthly_plan(payments)
    subscription = payments.create_subscription(
        customer_id=customer, plan_id=plan_id,
        payment_method=payments.test_payment_method("visa_ok"), metadata={"order_id": 9})
    assert subscription.status == "active"
    assert (subscription.customer_id, subscription.plan_id) == (customer, plan_id)
    assert subscription.metadata == {"order_id": "9", INSTANCE_TAG_KEY: payments.instance_tag}
    start, end = subscription.current_period_start, subscription.current_period_end
    assert start.tzinfo == UTC and end.tzinfo == UTC
    assert timedelta(days=28) <= end - start <= timedelta(days=31)
    assert not subscription.cancel_at_period_end

    invoice = payments.retrieve_invoice(subscription.latest_invoice_id)
    assert invoice.status == "paid" and invoice.amount_paid == 9_900
    assert invoice.subscription_id == subscription.id
    assert payments.is_ours(payments.client.v1.invoices.retrieve(invoice.id).to_dict())

    ending = payments.cancel_subscription_at_period_end(subscription.id)
    assert ending.cancel_at_period_end and ending.status == "active"
    assert payments.retrieve_subscription(subscription.id) == ending
    assert payments.cancel_subscription_now(subscription.id).status == "canceled"


def test_a_declined_first_payment_leaves_no_subscription(payments, customer):
    plan_id = monthly_plan(payments)
    with pytest.raises(PaymentError) as caught:
        payments.create_subscription(
            customer_id=customer, plan_id=plan_id,
            payment_method=payments.test_payment_method("charge_fails"), metadata={})
    assert caught.value.code == "card_declined"
    live = payments.client.v1.subscriptions.list(params={"customer": customer})
    assert live.data == []


def test_a_subscription_needs_a_card(payments, customer):
    with pytest.raises(PaymentError) as caught:
        payments.create_subscription(customer_id=customer, plan_id=monthly_plan(payments),
                                     payment_method=None, metadata={})
    assert caught.value.code == "payment_method_required"
    assert str(caught.value) == "Add a card to subscribe."


# -- invoices ------------------------------------------------------------------------------


def subscribed(payments, customer) -> str:
    return payments.create_subscription(
        customer_id=customer, plan_id=monthly_plan(payments),
        payment_method=payments.test_payment_method("visa_ok"), metadata={}).id


def test_invoice_items_are_invoiced_and_paid(payments, customer):
    subscription_id = subscribed(payments, customer)
    item_id = payments.create_invoice_item(customer_id=customer, amount=1_250, currency="cny",
                                           description="1,250 API calls", metadata={"usage": 3})
    assert item_id.startswith("ii_")

    invoice = payments.create_invoice(customer_id=customer, metadata={"statement": 5},
                                      subscription_id=subscription_id)
    assert invoice.status == "draft"
    assert invoice.metadata == {"statement": "5", INSTANCE_TAG_KEY: payments.instance_tag}
    usage = [line for line in invoice.lines if line.description == "1,250 API calls"]
    assert [(line.amount, line.metadata["usage"]) for line in usage] == [(1_250, "3")]
    # localstripe also bills the subscription's plan on this invoice (real Stripe would not).
    assert invoice.amount_due == sum(line.amount for line in invoice.lines)

    paid = payments.pay_invoice(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == invoice.amount_due
    assert paid.payment_intent_id
    assert payments.retrieve_invoice(invoice.id) == paid


def test_paying_an_invoice_with_a_declined_card_raises(payments, customer):
    subscription_id = subscribed(payments, customer)
    payments.create_invoice_item(customer_id=customer, amount=500, currency="cny",
                                 description="usage", metadata={})
    invoice = payments.create_invoice(customer_id=customer, metadata={},
                                      subscription_id=subscription_id)
    with pytest.raises(PaymentError) as caught:
        payments.pay_invoice(invoice.id,
                             payment_method=payments.test_payment_method("charge_fails"))
    assert caught.value.code == "card_declined"
    assert payments.retrieve_invoice(invoice.id).status == "open"


def test_localstripe_cannot_invoice_a_customer_without_a_subscription(payments, customer):
    payments.create_invoice_item(customer_id=customer, amount=500, currency="cny",
                                 description="usage", metadata={})
    with pytest.raises(PaymentError) as caught:
        payments.create_invoice(customer_id=customer, metadata={})
    assert caught.value.code == "unsupported"


# -- renewals (LocalstripeControl) and webhooks --------------------------------------------


def test_a_renewal_bills_the_next_period_and_is_announced(payments, customer, localstripe,
                                                          webhook_receiver):
    subscription = payments.create_subscription(
        customer_id=customer, plan_id=monthly_plan(payments),
        payment_method=payments.test_payment_method("visa_ok"), metadata={"order_id": 3})
    invoice_id = localstripe.renew(subscription.id)

    renewed = payments.retrieve_subscription(subscription.id)
    assert renewed.current_period_start == subscription.current_period_end
    assert renewed.status == "active" and renewed.latest_invoice_id == invoice_id
    invoice = payments.retrieve_invoice(invoice_id)
    assert invoice.status == "paid" and invoice.amount_paid == 9_900

    delivery = webhook_receiver.wait_for("invoice.payment_succeeded", object_id=invoice_id)
    event = payments.construct_event(delivery.body, delivery.headers["Stripe-Signature"])
    assert event.type == "invoice.payment_succeeded"
    assert payments.is_ours(event.object)
    assert event.object["subscription"] == subscription.id


def test_a_failed_renewal_makes_the_subscription_past_due(payments, customer, localstripe,
                                                          webhook_receiver):
    subscription = payments.create_subscription(
        customer_id=customer, plan_id=monthly_plan(payments),
        payment_method=payments.test_payment_method("visa_ok"), metadata={})
    invoice_id = localstripe.renew(subscription.id, succeed=False)

    assert payments.retrieve_subscription(subscription.id).status == "past_due"
    assert payments.retrieve_invoice(invoice_id).status == "open"
    delivery = webhook_receiver.wait_for("invoice.payment_failed", object_id=invoice_id)
    event = payments.construct_event(delivery.body, delivery.headers["Stripe-Signature"])
    assert payments.is_ours(event.object)


def test_localstripe_webhooks_verify_with_our_secret(payments, customer, webhook_receiver):
    intent = paid_intent(payments, customer)
    delivery = webhook_receiver.wait_for("payment_intent.succeeded", object_id=intent.id)

    event = payments.construct_event(delivery.body, delivery.headers["Stripe-Signature"])
    assert event.id.startswith("evt_") and event.type == "payment_intent.succeeded"
    assert event.object["id"] == intent.id and event.object["amount"] == 10_000
    assert event.created.tzinfo == UTC and not event.livemode
    assert payments.is_ours(event.object)

    other = StripePayments(secret_key="sk_test_x", webhook_secret="whsec_someone_else")
    with pytest.raises(WebhookSignatureError):
        other.construct_event(delivery.body, delivery.headers["Stripe-Signature"])


# -- webhook signatures and ownership (no server needed) -----------------------------------

SECRET = "whsec_test_secret"


def event_payload(**object_fields) -> bytes:
    return json.dumps({
        "id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
        "created": int(time.time()), "livemode": False,
        "data": {"object": {"id": "pi_1", "object": "payment_intent", **object_fields}},
    }).encode()


@pytest.fixture
def offline() -> StripePayments:
    return StripePayments(secret_key="sk_test_x", webhook_secret=SECRET,
                          api_base="http://127.0.0.1:9", instance_tag="datamarket")


def test_construct_event_accepts_a_good_signature(offline):
    payload = event_payload(metadata={INSTANCE_TAG_KEY: "datamarket"})
    event = offline.construct_event(payload, stripe_signature(payload, SECRET))
    assert (event.id, event.type, event.object["id"]) == (
        "evt_1", "payment_intent.succeeded", "pi_1")
    assert isinstance(event.created, datetime) and event.created.tzinfo == UTC


@pytest.mark.parametrize("header", [
    None, "", "t=1,v1=deadbeef", "garbage",
])
def test_construct_event_refuses_missing_or_wrong_signatures(offline, header):
    with pytest.raises(WebhookSignatureError) as caught:
        offline.construct_event(event_payload(), header)
    assert caught.value.status_code == 400


def test_construct_event_refuses_a_signature_for_other_bytes_or_too_old(offline):
    payload = event_payload()
    signature = stripe_signature(payload, SECRET)
    with pytest.raises(WebhookSignatureError):
        offline.construct_event(payload.replace(b"pi_1", b"pi_2"), signature)
    with pytest.raises(WebhookSignatureError):
        offline.construct_event(payload, stripe_signature(payload, "whsec_wrong"))
    stale = stripe_signature(payload, SECRET, timestamp=int(time.time()) - 600)
    with pytest.raises(WebhookSignatureError):
        offline.construct_event(payload, stale)


def test_construct_event_refuses_a_signed_body_that_is_not_an_event(offline):
    for body in (b"not json", b'{"id": "evt_1"}'):
        with pytest.raises(WebhookSignatureError):
            offline.construct_event(body, stripe_signature(body, SECRET))


@pytest.mark.parametrize(("obj", "ours"), [
    ({"metadata": {INSTANCE_TAG_KEY: "datamarket"}}, True),
    ({"metadata": {INSTANCE_TAG_KEY: "staging"}}, False),
    ({"metadata": {}}, False),
    ({}, False),
    ({"metadata": {}, "parent": {"subscription_details": {
        "metadata": {INSTANCE_TAG_KEY: "datamarket"}}}}, True),
    ({"metadata": {}, "subscription_details": {
        "metadata": {INSTANCE_TAG_KEY: "datamarket"}}}, True),
    ({"metadata": {}, "lines": {"data": [{"metadata": {}},
                                         {"metadata": {INSTANCE_TAG_KEY: "datamarket"}}]}},
     True),
    ({"metadata": {}, "lines": {"data": [{"metadata": {INSTANCE_TAG_KEY: "other"}}]}}, False),
])
def test_is_ours_reads_the_instance_tag(offline, obj, ours):
    assert offline.is_ours(obj) is ours


# -- Stripe Checkout, against recorded Stripe responses ------------------------------------


class RecordedStripe(stripe.HTTPClient):
    """Answers every request with the next recorded (status, body) and keeps the requests."""

    name = "recorded"

    def __init__(self, *responses: tuple[int, dict]):
        super().__init__()
        self.responses = list(responses)
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        form = urllib.parse.parse_qs(post_data.decode() if isinstance(post_data, bytes)
                                     else post_data or "")
        self.requests.append((method, url, form))
        status, body = self.responses.pop(0)
        return json.dumps(body), status, {}

    def close(self):
        pass


def real_stripe(*responses) -> tuple[StripePayments, RecordedStripe]:
    recorded = RecordedStripe(*responses)
    payments = StripePayments(secret_key="sk_test_recorded", webhook_secret=SECRET,
                              instance_tag="datamarket", http_client=recorded)
    return payments, recorded


def test_a_one_time_hosted_checkout_sends_our_metadata_and_urls():
    ours = {"order_id": "42", INSTANCE_TAG_KEY: "datamarket"}
    payments, recorded = real_stripe((200, {**CHECKOUT_SESSION, "metadata": ours}))
    assert payments.supports_hosted_checkout

    checkout = payments.create_hosted_checkout(
        mode="payment", amount=19_900, currency="CNY", customer_id="cus_123",
        description="Driver credit check, 1,000 calls", metadata={"order_id": 42},
        success_url="https://dm.example/orders/42?paid=1",
        cancel_url="https://dm.example/orders/42")

    assert checkout == HostedCheckout(id=CHECKOUT_SESSION["id"], url=CHECKOUT_SESSION["url"])
    [(method, url, form)] = recorded.requests
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert form["mode"] == ["payment"]
    assert form["customer"] == ["cus_123"]
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["line_items[0][price_data][unit_amount]"] == ["19900"]
    assert form["line_items[0][price_data][currency]"] == ["cny"]
    assert form["line_items[0][price_data][product_data][name]"] == [
        "Driver credit check, 1,000 calls"]
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert form[f"{prefix}[order_id]"] == ["42"]
        assert form[f"{prefix}[{INSTANCE_TAG_KEY}]"] == ["datamarket"]
    assert form["success_url"] == ["https://dm.example/orders/42?paid=1"]
    assert form["cancel_url"] == ["https://dm.example/orders/42"]


def test_a_subscription_hosted_checkout_puts_our_metadata_on_the_subscription():
    payments, recorded = real_stripe(
        (200, {**CHECKOUT_SESSION, "mode": "subscription", "payment_intent": None}))

    payments.create_hosted_checkout(
        mode="subscription", currency="cny", customer_id=None, plan_id="datamarket_plan_l1",
        description="Risk model membership", metadata={"order_id": 7},
        success_url="https://dm.example/ok", cancel_url="https://dm.example/cancel")

    [(_, url, form)] = recorded.requests
    assert url.endswith("/v1/checkout/sessions")
    assert form["mode"] == ["subscription"]
    assert form["line_items[0][price]"] == ["datamarket_plan_l1"]
    assert "customer" not in form
    assert form["subscription_data[metadata][order_id]"] == ["7"]
    assert form[f"subscription_data[metadata][{INSTANCE_TAG_KEY}]"] == ["datamarket"]
    assert not any(key.startswith("payment_intent_data") for key in form)


def test_hosted_checkout_errors_are_payment_errors():
    payments, _ = real_stripe((401, {"error": {"type": "invalid_request_error",
                                               "message": "Invalid API Key provided"}}))
    with pytest.raises(PaymentError) as caught:
        payments.create_hosted_checkout(
            mode="payment", amount=100, currency="cny", customer_id=None, description="x",
            metadata={}, success_url="https://dm.example/ok", cancel_url="https://dm.example/no")
    assert caught.value.code == "configuration"
    assert "Payments are not available right now" in str(caught.value)


def test_hosted_checkout_is_refused_against_localstripe(offline):
    with pytest.raises(PaymentError) as caught:
        offline.create_hosted_checkout(
            mode="payment", amount=100, currency="cny", customer_id=None, description="x",
            metadata={}, success_url="https://dm.example/ok", cancel_url="https://dm.example/no")
    assert caught.value.code == "unsupported"


def test_a_real_stripe_decline_keeps_the_banks_reason():
    intent = {"id": "pi_1", "object": "payment_intent", "status": "requires_payment_method",
              "amount": 500, "currency": "cny", "customer": "cus_1", "metadata": {}}
    decline = {"error": {"type": "card_error", "code": "card_declined",
                         "decline_code": "insufficient_funds",
                         "message": "Your card has insufficient funds."}}
    payments, recorded = real_stripe((200, intent), (402, decline))
    with pytest.raises(PaymentError) as caught:
        payments.confirm_payment_intent("pi_1", payment_method="pm_card_visa")
    error = caught.value
    assert (error.code, error.decline_code) == ("card_declined", "insufficient_funds")
    assert str(error) == "Your card has insufficient funds. Try another card."
    assert error.payment_intent_id == "pi_1" and not error.retryable
    # The card was being saved on the customer when the bank refused it; nothing was confirmed.
    assert [url.rsplit("/v1/", 1)[1] for _, url, _ in recorded.requests] == [
        "payment_intents/pi_1", "payment_methods/pm_card_visa/attach"]
