"""The payment provider's webhooks through POST /payments/webhook, with the events localstripe
really sends: replayed 100 times, shuffled, about objects that are not ours, badly signed, and
landing in the middle of the checkout page's own recording of the same payment.

Payments are made at the provider only (``pay_at_provider``), as Stripe's hosted payment page
makes them, so that the webhooks are the only way the app learns of them.
"""

from __future__ import annotations

import json
import random
import time
import uuid

import pytest

from marketplace import failpoints
from marketplace.commerce.models import (
    LedgerEntry,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
    ProcessedWebhook,
    Receipt,
    Subscription,
)
from marketplace.commerce.payments import PaymentError, StripePayments
from marketplace.commerce.payments import flow as payment_flow
from marketplace.commerce.payments.types import object_id
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState
from tests.commerce_factories import (
    buy,
    count,
    deliver,
    ledger_sums,
    make_plan,
    make_shop,
    pay,
    pay_at_provider,
    payment_events,
    post_webhook,
    published_listing_with,
    receipts,
    subscription_of,
)
from tests.commerce_support import Delivery, stripe_signature
from tests.factories import forget

S = OrderState
K = PaymentEventKind


@pytest.fixture
def shop(db):
    return make_shop(db)


@pytest.fixture
def one_time_order(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("one_time", price=120_00))
    return buy(db, shop.buyer, plan)


@pytest.fixture
def membership_order(db, shop):
    _, (plan,) = published_listing_with(db, shop, make_plan("membership", price=999_00))
    return buy(db, shop.buyer, plan)


def signed(app, event_type: str, obj: dict) -> Delivery:
    """An event Stripe sends and localstripe does not, around a real object, signed as Stripe
    signs it."""
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                       "type": event_type, "created": int(time.time()), "livemode": False,
                       "data": {"object": obj}}).encode()
    return Delivery({"Stripe-Signature": stripe_signature(
        body, app.config["STRIPE_WEBHOOK_SECRET"])}, body)


def renamed(app, delivery: Delivery, event_type: str) -> Delivery:
    """The same object under another event type (Stripe sends invoice.paid beside
    invoice.payment_succeeded), as a new event."""
    return signed(app, event_type, delivery.event["data"]["object"])


def charge_succeeded(app, localstripe, intent_id: str) -> Delivery:
    """``charge.succeeded`` (which localstripe does not send) about the intent's real charge."""
    intent = localstripe.request("GET", f"/v1/payment_intents/{intent_id}")
    charge = object_id(intent["latest_charge"])
    return signed(app, "charge.succeeded", localstripe.request("GET", f"/v1/charges/{charge}"))


def assert_fulfilled_once(db, order, amount: int) -> Entitlement:
    forget(db)
    db.refresh(order)
    assert order.state == S.FULFILLED
    (entitlement,) = entitlements.for_order(db, order.id)
    assert entitlement.state == EntitlementState.ACTIVE
    assert [e.amount for e in payment_events(db, order.id, K.CHARGE_SUCCEEDED)] == [amount]
    assert [r.amount for r in receipts(db, order.id)] == [amount]
    assert sum(ledger_sums(db, order.id).values()) == amount
    assert count(db, Entitlement) == 1 and count(db, Receipt) == 1
    assert count(db, LedgerEntry) == 2 and count(db, PaymentEvent) == 1
    return entitlement


# -- the same event a hundred times --------------------------------------------------------


def test_the_same_webhook_delivered_100_times_fulfils_the_order_once(
        client, db, shop, payments, localstripe, webhook_receiver, one_time_order):
    intent_id = pay_at_provider(db, payments, shop.buyer, one_time_order)
    delivery = webhook_receiver.wait_for("payment_intent.succeeded", object_id=intent_id)

    outcomes = [deliver(client, db, delivery) for _ in range(100)]

    assert outcomes[0] == "paid"
    assert set(outcomes[1:]) == {"duplicate"}
    assert_fulfilled_once(db, one_time_order, 120_00)
    (processed,) = db.exec(ProcessedWebhook.__table__.select()).all()
    assert processed.event_id == delivery.event["id"] and processed.outcome == "paid"


# -- events in any order -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_time_payment_events_in_any_order_fulfil_once(
        app, client, db, shop, payments, localstripe, webhook_receiver, one_time_order, seed):
    intent_id = pay_at_provider(db, payments, shop.buyer, one_time_order)
    events = [webhook_receiver.wait_for("payment_intent.succeeded", object_id=intent_id),
              charge_succeeded(app, localstripe, intent_id),
              webhook_receiver.wait_for("customer.created")]
    deliveries = events * 2  # each one twice, too
    random.Random(seed).shuffle(deliveries)

    outcomes = [deliver(client, db, d) for d in deliveries]

    assert outcomes.count("paid") == 1 and outcomes.count("duplicate") == 3
    assert_fulfilled_once(db, one_time_order, 120_00)
    assert count(db, ProcessedWebhook) == 3  # every distinct event recorded: none lost


def test_a_late_failure_of_an_earlier_attempt_does_not_undo_the_payment(
        client, db, shop, payments, localstripe, webhook_receiver, one_time_order):
    # The buyer's first card is declined when charged; a second attempt pays.
    with pytest.raises(PaymentError) as caught:
        pay_at_provider(db, payments, shop.buyer, one_time_order, card="charge_fails")
    first = caught.value.payment_intent_id
    second = pay_at_provider(db, payments, shop.buyer, one_time_order)
    failed = webhook_receiver.wait_for("payment_intent.payment_failed", object_id=first)
    succeeded = webhook_receiver.wait_for("payment_intent.succeeded", object_id=second)

    assert deliver(client, db, succeeded) == "paid"
    assert deliver(client, db, failed) == "ignored: order not awaiting payment"

    assert_fulfilled_once(db, one_time_order, 120_00)


ORDERS = {
    "invoice.paid first": ["invoice.paid", "invoice.payment_succeeded",
                           "customer.subscription.created", "payment_intent.succeeded",
                           "invoice.created", "charge.succeeded"],
    "as sent": ["customer.subscription.created", "invoice.created", "payment_intent.succeeded",
                "charge.succeeded", "invoice.payment_succeeded", "invoice.paid"],
    "shuffled": None,
}


@pytest.mark.parametrize("arrival", ORDERS)
def test_membership_events_in_any_order_start_one_subscription_and_one_entitlement(
        app, client, db, shop, payments, localstripe, webhook_receiver, membership_order,
        arrival):
    subscription_id = pay_at_provider(db, payments, shop.buyer, membership_order)
    info = payments.retrieve_subscription(subscription_id)
    invoice = payments.retrieve_invoice(info.latest_invoice_id)
    paid = webhook_receiver.wait_for("invoice.payment_succeeded", object_id=invoice.id)
    by_type = {
        "customer.subscription.created": webhook_receiver.wait_for(
            "customer.subscription.created", object_id=subscription_id),
        "invoice.created": webhook_receiver.wait_for("invoice.created", object_id=invoice.id),
        "payment_intent.succeeded": webhook_receiver.wait_for(
            "payment_intent.succeeded", object_id=invoice.payment_intent_id),
        "charge.succeeded": charge_succeeded(app, localstripe, invoice.payment_intent_id),
        "invoice.payment_succeeded": paid,
        "invoice.paid": renamed(app, paid, "invoice.paid"),
    }
    order = ORDERS[arrival] or random.Random(7).sample(sorted(by_type), len(by_type))
    # Our records know nothing of the subscription until its events arrive.
    assert db.exec(Subscription.__table__.select()).all() == []

    outcomes = {t: deliver(client, db, by_type[t]) for t in order}
    replays = {deliver(client, db, by_type[t]) for t in order}

    assert replays == {"duplicate"}
    assert list(outcomes.values()).count("membership paid") == 1
    assert outcomes["payment_intent.succeeded"] == "ignored: not ours"  # paid via its invoice
    entitlement = assert_fulfilled_once(db, membership_order, 999_00)
    subscription = subscription_of(db, membership_order)
    assert subscription.provider_id == subscription_id and subscription.status == "active"
    assert entitlement.valid_to == info.current_period_end
    assert count(db, Subscription) == 1
    assert count(db, ProcessedWebhook) == len(by_type)


# -- events that are not ours, and bad signatures ------------------------------------------


def test_an_event_about_another_apps_payment_is_ignored(
        client, db, shop, payments, localstripe, webhook_receiver, one_time_order):
    # Another app on the same provider account pays an intent that names our order's id.
    stranger = StripePayments(secret_key=localstripe.secret_key, webhook_secret="whsec_x",
                              api_base=localstripe.base_url, instance_tag="another-app")
    intent = stranger.create_payment_intent(
        amount=one_time_order.total, currency="cny", customer_id=None,
        metadata=payment_flow.order_metadata(one_time_order))
    stranger.confirm_payment_intent(intent.id,
                                    payment_method=stranger.test_payment_method("visa_ok"))
    delivery = webhook_receiver.wait_for("payment_intent.succeeded", object_id=intent.id)

    assert deliver(client, db, delivery) == "ignored: not ours"

    db.refresh(one_time_order)
    assert one_time_order.state == S.PENDING_PAYMENT
    assert payment_events(db, one_time_order.id) == [] and count(db, Entitlement) == 0


def test_a_badly_signed_webhook_is_refused_and_changes_nothing(
        app, client, db, shop, payments, localstripe, webhook_receiver, one_time_order):
    intent_id = pay_at_provider(db, payments, shop.buyer, one_time_order)
    delivery = webhook_receiver.wait_for("payment_intent.succeeded", object_id=intent_id)
    secret = app.config["STRIPE_WEBHOOK_SECRET"]
    tampered = delivery.body.replace(b'"amount": 12000', b'"amount": 1')
    assert tampered != delivery.body
    forgeries = [
        (delivery.body, None),  # no signature at all
        (delivery.body, stripe_signature(delivery.body, "whsec_someone_else")),
        (tampered, delivery.headers["Stripe-Signature"]),  # the body changed after signing
        (delivery.body, stripe_signature(delivery.body, secret,
                                         timestamp=int(time.time()) - 3_600)),  # too old
        (b"not json", stripe_signature(b"not json", secret)),
    ]

    for body, signature in forgeries:
        response = post_webhook(client, body, signature)
        assert response.status_code == 400, body[:40]
        assert response.mimetype == "application/problem+json"

    forget(db)
    assert count(db, ProcessedWebhook) == 0 and count(db, PaymentEvent) == 0
    db.refresh(one_time_order)
    assert one_time_order.state == S.PENDING_PAYMENT
    # The genuine delivery still works afterwards.
    assert deliver(client, db, delivery) == "paid"


# -- a race on purpose: the webhook lands while the checkout page is recording ------------


@pytest.mark.parametrize("kind", ["one_time", "membership"])
def test_a_webhook_landing_between_confirmation_and_recording_fulfils_once(
        client, db, shop, payments, localstripe, webhook_receiver, monkeypatch, request, kind):
    order = request.getfixturevalue(f"{kind}_order")
    amount = order.total
    landed: list[str] = []

    def webhook_lands_now(name: str) -> None:
        # The hook point where the checkout page has the provider's confirmation in hand and
        # has not recorded it yet: the provider's webhook is handled right here, to the end.
        assert name == "after_payment_confirmed"
        if kind == "one_time":
            db.refresh(order)
            delivery = webhook_receiver.wait_for("payment_intent.succeeded",
                                                 object_id=order.payment_intent_id)
        else:
            subscription = subscription_of(db, order)
            invoice_id = payments.retrieve_subscription(subscription.provider_id) \
                .latest_invoice_id
            delivery = webhook_receiver.wait_for("invoice.payment_succeeded",
                                                 object_id=invoice_id)
        response = post_webhook(client, delivery.body, delivery.headers["Stripe-Signature"])
        assert response.status_code == 200, response.get_data(as_text=True)
        landed.append(response.get_json()["outcome"])

    monkeypatch.setattr(failpoints, "hit", webhook_lands_now)

    pay(db, payments, shop.buyer, order)

    assert landed == (["paid"] if kind == "one_time" else ["membership paid"])
    assert_fulfilled_once(db, order, amount)
