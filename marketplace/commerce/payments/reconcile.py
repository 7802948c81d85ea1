"""``datamarket payments reconcile``: repair what a lost webhook or a crash left undone.

It reads everything the provider holds for the period, page after page (every payment intent
and every refund), and compares it with our books per order, applying what is missing through
the same functions the webhook uses: a charge we never recorded is recorded (or, for an order
that was already paid, recorded as a duplicate and refunded); a refund we never recorded is
booked, and flagged to the admins if nobody asked for it here. Claims left pending by a process
that died are settled from what the provider says. Then it checks our own books both ways: no
paid order without its entitlements, no entitlement without a payment. Every repair is keyed by
the provider's ids, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace.base import utcnow
from marketplace.commerce.models import (
    AttemptKind,
    AttemptState,
    Order,
    OrderState,
    PaymentAttempt,
    Subscription,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.payments import (
    PaymentError,
    PaymentGateway,
    PaymentIntentInfo,
    attempts,
    needs,
    refunds,
    webhooks,
)
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState


@dataclass
class ReconcileReport:
    checked_intents: int = 0
    checked_refunds: int = 0
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
    intents = _intents(session, gateway, since, report)
    _refunds(session, gateway, since, intents, report)
    _subscriptions(session, gateway, since, report)
    _stale_claims(session, now, intents, report)
    report.repairs.extend(refunds.settle_duplicates(session, gateway))
    _books(session, since, report)
    return report


def _intents(session: Session, gateway: PaymentGateway, since: datetime,
             report: ReconcileReport) -> dict[str, PaymentIntentInfo]:
    """Record every succeeded payment of ours the books lack; returns the intents by id."""
    intents = {i.id: i for i in gateway.list_payment_intents(created_after=since)}
    ours = set(session.exec(select(Order.payment_intent_id).where(
        col(Order.payment_intent_id).is_not(None), Order.created_at >= since)))
    ours |= {ref for ref in session.exec(select(PaymentAttempt.provider_ref).where(
        col(PaymentAttempt.provider_ref).startswith("pi_"), PaymentAttempt.created_at >= since))}
    for intent_id in ours - set(intents):  # ours, but not listed by the provider
        try:
            intents[intent_id] = gateway.retrieve_payment_intent(intent_id)
        except PaymentError as exc:
            report.problems.append(f"payment {intent_id}: {exc}")
    for intent in intents.values():
        report.checked_intents += 1
        order = webhooks.order_for_payment(session, intent.id, intent.metadata)
        if order is None or intent.status != "succeeded":
            continue
        if needs.membership_line(session, order) is not None \
                and not intent.metadata.get("attempt_id"):
            continue  # a membership is paid through its subscription's invoice
        recorded = fulfilment.event_for(session, intent.id)
        if recorded is not None:
            if recorded.amount != intent.amount_received:
                report.problems.append(
                    f"order {order.number}: payment {intent.id} received "
                    f"{intent.amount_received} at the provider, {recorded.amount} in our books")
            continue
        if fulfilment.record_charge(session, order, amount=intent.amount_received,
                                    provider_ref=intent.id):
            session.commit()
            duplicate = fulfilment.duplicate_charge(session, order.id, intent.id)
            report.repairs.append(
                f"order {order.number}: duplicate charge {intent.id} found" if duplicate else
                f"order {order.number}: payment {intent.id} recorded, order fulfilled")
    return intents


def _refunds(session: Session, gateway: PaymentGateway, since: datetime,
             intents: dict[str, PaymentIntentInfo], report: ReconcileReport) -> None:
    """Book every refund of our payments the books lack (ours after a crash, or the
    provider's own, which are flagged)."""
    for info in gateway.list_refunds(created_after=since):
        if info.status not in ("succeeded", "pending") or info.payment_intent_id not in intents:
            continue
        report.checked_refunds += 1
        if fulfilment.event_for(session, info.id) is not None:
            continue
        order = webhooks.order_for_payment(session, info.payment_intent_id,
                                          intents[info.payment_intent_id].metadata)
        if order is None:
            continue
        outcome = refunds.book_provider_refund(session, order, info)
        session.commit()
        if outcome is not None:
            line = f"order {order.number}: refund {info.id} booked ({outcome.text})"
            (report.problems if outcome.flagged else report.repairs).append(line)


def _stale_claims(session: Session, now: datetime, intents: dict[str, PaymentIntentInfo],
                  report: ReconcileReport) -> None:
    """Claims a dead process left pending: what the provider did was applied above; what it
    never did is released, so the order can be paid or refunded again."""
    by_attempt = {i.metadata.get("attempt_id"): i for i in intents.values()}
    for attempt in attempts.stale(session, now=now):
        intent = intents.get(attempt.provider_ref or "") or by_attempt.get(str(attempt.id))
        if attempt.kind == AttemptKind.CHARGE and intent is not None \
                and intent.status == "succeeded":
            continue  # recorded above; its claim was finished there
        order = session.get(Order, attempt.order_id)
        if attempt.kind == AttemptKind.CHARGE and order.state not in (
                OrderState.PENDING_PAYMENT, OrderState.FAILED):
            attempts.finish(session, attempt, AttemptState.SUCCEEDED, reason="order paid")
            session.commit()
            report.repairs.append(f"charge claim {attempt.key} closed: the order was paid")
            continue
        attempts.finish(session, attempt, AttemptState.FAILED,
                        reason="no answer from the payment provider; released by reconcile")
        session.commit()
        report.repairs.append(f"{attempt.kind} claim {attempt.key} released: the provider "
                              "never completed it")


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
