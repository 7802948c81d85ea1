"""``datamarket payments reconcile``: repair what a lost webhook or a crash left undone.

It re-reads recent payment state from the provider and applies it through the same functions
the webhook uses, then checks our own books both ways: no paid order without its entitlements,
no entitlement without a payment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace.base import utcnow
from marketplace.commerce import entitlements, fulfilment, webhooks
from marketplace.commerce.cart import order_lines
from marketplace.commerce.models import (
    Entitlement,
    EntitlementState,
    Order,
    OrderState,
    Subscription,
)
from marketplace.commerce.payments import PaymentError, PaymentGateway


@dataclass
class ReconcileReport:
    checked_intents: int = 0
    checked_subscriptions: int = 0
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reconcile(session: Session, gateway: PaymentGateway, *, days: int = 7,
              now: datetime | None = None) -> ReconcileReport:
    """Repair orders and entitlements from the provider's state of the last ``days`` days.

    Commits after each repaired order, so one failure does not undo the others.
    """
    now = now or utcnow()
    since = now - timedelta(days=days)
    report = ReconcileReport()
    _intents(session, gateway, since, report)
    _subscriptions(session, gateway, since, report)
    _books(session, since, report)
    return report


def _intents(session: Session, gateway: PaymentGateway, since: datetime,
             report: ReconcileReport) -> None:
    known = {o.payment_intent_id: o for o in session.exec(select(Order).where(
        col(Order.payment_intent_id).is_not(None), Order.created_at >= since))}
    intents = {i.id: i for i in gateway.list_payment_intents(created_after=since)}
    for intent_id in set(known) - set(intents):  # ours, but not listed by the provider
        try:
            intents[intent_id] = gateway.retrieve_payment_intent(intent_id)
        except PaymentError as exc:
            report.problems.append(f"payment {intent_id}: {exc}")
    for intent in intents.values():
        report.checked_intents += 1
        order = known.get(intent.id)
        if order is None and intent.metadata.get("order_id"):
            order = session.get(Order, int(intent.metadata["order_id"]))
        if order is None or intent.status != "succeeded":
            continue
        if fulfilment.record_charge(session, order, amount=intent.amount_received,
                                    provider_ref=intent.id):
            session.commit()
            report.repairs.append(f"order {order.number}: payment {intent.id} recorded, "
                                  "order fulfilled")


def _subscriptions(session: Session, gateway: PaymentGateway, since: datetime,
                   report: ReconcileReport) -> None:
    rows = session.exec(select(Subscription).where(Subscription.updated_at >= since)).all()
    for subscription in rows:
        report.checked_subscriptions += 1
        try:
            info = gateway.retrieve_subscription(subscription.provider_id)
            if info.latest_invoice_id:
                invoice = gateway.retrieve_invoice(info.latest_invoice_id)
                if invoice.status == "paid":
                    outcome = webhooks.invoice_paid(session, gateway, invoice)
                    if outcome != "already recorded":
                        report.repairs.append(f"subscription {subscription.provider_id}: "
                                              f"{outcome}")
            webhooks.subscription_changed(session, gateway, subscription.provider_id,
                                          deleted=False)
            session.commit()
        except PaymentError as exc:
            session.rollback()
            report.problems.append(f"subscription {subscription.provider_id}: {exc}")


def _books(session: Session, since: datetime, report: ReconcileReport) -> None:
    paid = session.exec(select(Order).where(
        col(Order.state).in_([OrderState.PAID, OrderState.FULFILLED]),
        Order.created_at >= since)).all()
    for order in paid:
        lines = order_lines(session, order.id)
        missing = [line for line in lines if entitlements.for_line(session, line.id) is None
                   and not line.plan_terms.get("renews_line_id")
                   and not line.plan_terms.get("usage_of_line_id")]
        if missing:
            if order.state == OrderState.PAID:
                fulfilment.fulfil(session, order, lines)
            else:
                for line in missing:
                    fulfilment.fulfil_line(session, order, line)
            session.commit()
            report.repairs.append(f"order {order.number}: missing entitlements granted")
    granted = session.exec(select(Entitlement, Order).join(Order, Order.id == Entitlement.order_id)
                           .where(col(Entitlement.state).in_([EntitlementState.ACTIVE,
                                                              EntitlementState.SUSPENDED]),
                                  Entitlement.created_at >= since)).all()
    for entitlement, order in granted:
        if order.total > 0 and fulfilment.paid_amount(session, order.id) == 0:
            entitlements.change_state(session, entitlement, EntitlementState.REVOKED,
                                      reason="no payment was received for its order")
            session.commit()
            report.repairs.append(f"entitlement {entitlement.id}: revoked, order "
                                  f"{order.number} was never paid")
