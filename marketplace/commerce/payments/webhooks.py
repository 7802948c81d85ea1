"""Handling the payment provider's webhook events: once each, in any order.

The view verifies the signature first (a bad one changes nothing). Then :func:`handle` records
the event id in ``processed_webhook`` in the same transaction as its effects, so a replay is a
no-op and a failure rolls both back for the provider to retry. Events about objects that are not
ours (another system on the same account) are ignored. Each handler reads the state it needs
from the event or, when our records do not know the object yet (``invoice.paid`` before
``customer.subscription.created``), from the provider, so the order of arrival does not matter.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace.base import MAX_ID
from marketplace.commerce.models import (
    Order,
    OrderLine,
    OrderState,
    ProcessedWebhook,
    Subscription,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.orders.cart import new_order_number
from marketplace.commerce.payments import (
    InvoiceInfo,
    PaymentGateway,
    RefundInfo,
    WebhookEvent,
    attempts,
    refunds,
)
from marketplace.commerce.payments.needs import membership_line
from marketplace.commerce.payments.subscriptions import sync_subscription
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState

log = logging.getLogger(__name__)


def handle(session: Session, gateway: PaymentGateway, event: WebhookEvent) -> str:
    """Apply one verified event; the caller commits. Returns what was done, in a few words."""
    try:
        with session.begin_nested():
            session.add(ProcessedWebhook(event_id=event.id, event_type=event.type))
    except IntegrityError:
        return "duplicate"
    outcome = _dispatch(session, gateway, event)
    if outcome.startswith("ignored"):
        # Acknowledged (the provider must not retry it for days) and recorded, but unusable.
        log.warning("webhook event %s (%s) %s", event.id, event.type, outcome)
    row = session.get(ProcessedWebhook, event.id)
    row.outcome = outcome[:200]
    session.add(row)
    return outcome


def _dispatch(session: Session, gateway: PaymentGateway, event: WebhookEvent) -> str:
    obj = event.object
    match event.type:
        case "payment_intent.succeeded":
            order = _order_for_intent(session, gateway, obj)
            if order is None:
                return "ignored: not ours"
            if membership_line(session, order) is not None:
                return "ignored: paid through its subscription's invoice"
            received = obj.get("amount_received") or obj["amount"]
            if not fulfilment.record_charge(session, order, amount=received,
                                            provider_ref=obj["id"]):
                return "already paid"
            if fulfilment.duplicate_charge(session, order.id, obj["id"]) is not None:
                return "duplicate charge: refunded"  # by the view, once this is committed
            return "paid"
        case "payment_intent.payment_failed":
            order = _order_for_intent(session, gateway, obj)
            if order is None:
                return "ignored: not ours"
            if order.state != OrderState.PENDING_PAYMENT:
                return "ignored: order not awaiting payment"
            error = (obj.get("last_payment_error") or {}).get("message") or "payment failed"
            fulfilment.record_failure(session, order, provider_ref=obj["id"], reason=error)
            return "failed"
        case "invoice.paid" | "invoice.payment_succeeded":
            return invoice_paid(session, gateway, gateway.retrieve_invoice(obj["id"]))
        case "invoice.payment_failed":
            return invoice_failed(session, gateway, gateway.retrieve_invoice(obj["id"]))
        case ("customer.subscription.created" | "customer.subscription.updated"
              | "customer.subscription.deleted"):
            return subscription_changed(session, gateway, obj["id"],
                                        deleted=event.type.endswith("deleted"))
        case "charge.refunded":
            return _refunds(session, gateway, obj)
    return "ignored: not handled"


def _order_for_intent(session: Session, gateway: PaymentGateway, obj: dict) -> Order | None:
    if not gateway.is_ours(obj):
        return None
    return order_for_payment(session, obj["id"], obj.get("metadata") or {})


def _subscription_record(session: Session, gateway: PaymentGateway,
                         provider_id: str) -> Subscription | None:
    """Our record of a provider subscription, made from the provider's metadata if the event
    arrived before we recorded it ourselves; None if it is not ours."""
    subscription = session.exec(select(Subscription).where(
        Subscription.provider_id == provider_id)).first()
    if subscription is not None:
        return subscription
    info = gateway.retrieve_subscription(provider_id)
    line_id = metadata_id(info.metadata, "order_line_id")
    if not gateway.is_ours({"metadata": info.metadata}) or line_id is None:
        return None
    line = session.get(OrderLine, line_id)
    order = session.get(Order, line.order_id) if line else None
    if order is None:
        return None
    return sync_subscription(session, order, line, info)


def invoice_paid(session: Session, gateway: PaymentGateway, invoice: InvoiceInfo) -> str:
    """A paid invoice: a membership's first period or a renewal. (Usage bills are paid through
    payment intents, handled with ``payment_intent.succeeded``.)"""
    if fulfilment.event_for(session, invoice.id) is not None:
        return "already recorded"
    if not invoice.subscription_id:
        return "ignored: not ours"
    subscription = _subscription_record(session, gateway, invoice.subscription_id)
    if subscription is None:
        return "ignored: not ours"
    info = gateway.retrieve_subscription(subscription.provider_id)
    line = session.get(OrderLine, subscription.order_line_id)
    order = session.get(Order, line.order_id)
    sync_subscription(session, order, line, info)
    if order.state in (OrderState.PENDING_PAYMENT, OrderState.FAILED):
        fulfilment.record_charge(session, order, amount=invoice.amount_paid,
                                 provider_ref=invoice.id,
                                 period_end=info.current_period_end)
        return "membership paid"
    renewal = renewal_order(session, order, line, invoice.amount_paid)
    fulfilment.record_charge(session, renewal, amount=invoice.amount_paid,
                             provider_ref=invoice.id, period_end=info.current_period_end)
    return "membership renewed"


def renewal_order(session: Session, order: Order, line: OrderLine, amount: int) -> Order:
    """A new order for one renewal payment of a membership, so it has its own receipt and
    ledger entries; fulfilling it extends the original entitlement."""
    renewal = Order(number=new_order_number(), buyer_id=order.buyer_id, currency=order.currency,
                    total=amount, checkout_key=f"renewal-{order.number}-{new_order_number()}")
    session.add(renewal)
    session.flush()
    session.add(OrderLine(
        order_id=renewal.id, listing_id=line.listing_id, product_id=line.product_id,
        plan_id=line.plan_id, organization_id=line.organization_id, title=line.title,
        title_en=line.title_en, plan_name=line.plan_name, pricing_model=line.pricing_model,
        plan_terms={**line.plan_terms, "renews_line_id": line.id}, amount=amount))
    session.flush()
    return renewal


def invoice_failed(session: Session, gateway: PaymentGateway, invoice: InvoiceInfo) -> str:
    """A failed renewal: the entitlement is suspended until it is paid."""
    if invoice.subscription_id:
        subscription = _subscription_record(session, gateway, invoice.subscription_id)
        if subscription is None:
            return "ignored: not ours"
        entitlement = entitlements.for_line(session, subscription.order_line_id)
        if entitlement is None:  # the first payment failed: nothing was granted
            line = session.get(OrderLine, subscription.order_line_id)
            order = session.get(Order, line.order_id)
            if order.state == OrderState.PENDING_PAYMENT:
                fulfilment.record_failure(session, order, provider_ref=invoice.id,
                                          reason="the first payment failed")
            return "first payment failed"
    else:
        return "ignored: not ours"
    if entitlement.state == EntitlementState.ACTIVE:
        entitlements.change_state(session, entitlement, EntitlementState.SUSPENDED,
                                  reason="payment failed")
        return "entitlement suspended"
    return "already suspended"


def subscription_changed(session: Session, gateway: PaymentGateway, provider_id: str, *,
                         deleted: bool) -> str:
    """Follow the provider's subscription: status, period, cancellation."""
    subscription = _subscription_record(session, gateway, provider_id)
    if subscription is None:
        return "ignored: not ours"
    info = gateway.retrieve_subscription(provider_id)
    line = session.get(OrderLine, subscription.order_line_id)
    order = session.get(Order, line.order_id)
    sync_subscription(session, order, line, info)
    entitlement = entitlements.for_line(session, line.id)
    if entitlement is None:
        return "subscription recorded"
    if deleted or info.status == "canceled":
        if entitlement.state in (EntitlementState.ACTIVE, EntitlementState.SUSPENDED):
            entitlements.change_state(session, entitlement, EntitlementState.EXPIRED,
                                      reason="membership ended")
        return "membership ended"
    if info.status in ("past_due", "unpaid") and entitlement.state == EntitlementState.ACTIVE:
        entitlements.change_state(session, entitlement, EntitlementState.SUSPENDED,
                                  reason="renewal payment failed")
        return "entitlement suspended"
    if info.status == "active" and info.cancel_at_period_end and info.current_period_end:
        entitlement.valid_to = info.current_period_end
        session.add(entitlement)
    return "subscription updated"


def _refunds(session: Session, gateway: PaymentGateway, charge: dict) -> str:
    """Refunds of one of our payments, ours or made outside the marketplace (the provider's
    dashboard): each is recorded once; one nobody asked for here is flagged to the admins."""
    intent = charge.get("payment_intent")
    order = order_for_payment(session, intent) if intent else None
    if order is None:
        return "ignored: not ours"
    recorded = 0
    for refund in (charge.get("refunds") or {}).get("data") or []:
        if refund.get("status") not in ("succeeded", None):
            continue
        info = RefundInfo.from_stripe({"payment_intent": intent, **refund})
        if refunds.book_provider_refund(session, order, info) is not None:
            recorded += 1
    return f"{recorded} refund(s) recorded"


def order_for_payment(session: Session, intent_id: str,
                      metadata: dict | None = None) -> Order | None:
    """The order a payment intent paid (or paid twice): by what we recorded of it (its event,
    the claim that made it, the order's latest intent), else by the order id in its metadata."""
    event = fulfilment.event_for(session, intent_id)
    if event is not None:
        return session.get(Order, event.order_id)
    attempt = attempts.for_provider_ref(session, intent_id)
    if attempt is not None:
        return session.get(Order, attempt.order_id)
    order = session.exec(select(Order).where(Order.payment_intent_id == intent_id)).first()
    order_id = metadata_id(metadata, "order_id")
    if order is None and order_id is not None:
        order = session.get(Order, order_id)
    return order


def metadata_id(metadata: dict | None, key: str) -> int | None:
    """An id our metadata carries, or None when it is missing or not one of ours: anything but
    ASCII digits (``isdigit`` also accepts "²"), or a number past the ids' range."""
    value = (metadata or {}).get(key) if isinstance(metadata, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
