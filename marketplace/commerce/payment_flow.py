"""Paying, subscribing, refunding: the services that call the payment provider.

They follow one rule (Saleor's lesson): record what we are about to ask, commit, then call the
provider, then record its answer in a new transaction. A crash between the call and the answer
leaves a trace that the webhook or ``payments reconcile`` completes; no provider call is made
while our rows are locked. These functions therefore commit the session themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import failpoints
from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog.models import PricingModel
from marketplace.commerce import fulfilment
from marketplace.commerce.cart import order_lines
from marketplace.commerce.models import (
    BuyerAccount,
    Order,
    OrderLine,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
    Subscription,
)
from marketplace.commerce.payments import PaymentError, PaymentGateway
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed

log = logging.getLogger(__name__)


def order_metadata(order: Order, **extra: Any) -> dict[str, Any]:
    """What every provider object made for an order carries, to find the order again."""
    return {"order_id": str(order.id), "order_number": order.number,
            **{k: str(v) for k, v in extra.items()}}


def customer_for(session: Session, gateway: PaymentGateway, buyer: User) -> str:
    """The buyer's customer id at the provider, created once."""
    account = session.get(BuyerAccount, buyer.id)
    if account is not None:
        return account.customer_id
    customer_id = gateway.ensure_customer(user_id=buyer.id, email=buyer.email, customer_id=None)
    session.add(BuyerAccount(buyer_id=buyer.id, customer_id=customer_id))
    session.commit()
    return customer_id


def membership_line(session: Session, order: Order) -> OrderLine | None:
    """The order's membership line; a membership is always checked out on its own."""
    for line in order_lines(session, order.id):
        # A usage bill for a membership's overage is not a membership: it is paid by itself.
        if line.pricing_model == PricingModel.MEMBERSHIP \
                and not line.plan_terms.get("usage_of_line_id"):
            return line
    return None


def needs_payment(session: Session, order: Order) -> bool:
    """Whether paying ``order`` involves the provider: free orders do not; memberships do, and
    pay-as-you-go does (nothing is charged now, but the card is kept for the monthly bill)."""
    return order.total != 0 or membership_line(session, order) is not None \
        or _postpaid(session, order)


def _postpaid(session: Session, order: Order) -> bool:
    return any(line.plan_terms.get("postpaid") for line in order_lines(session, order.id))


def _payable(order: Order) -> None:
    if order.state == OrderState.FAILED:
        return
    if order.state != OrderState.PENDING_PAYMENT:
        raise InvalidTransition(_l("Order %(number)s is not awaiting payment.",
                                   number=order.number))


def pay_with_test_card(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
                       card: str) -> Order:
    """Pay ``order`` with one of the provider's test cards (the demo's payment step).

    Free orders are fulfilled without payment; pay-as-you-go keeps the card for its monthly
    usage bills and charges nothing now; a membership becomes a subscription.

    :raises PaymentError: the card was declined (the attempt is recorded, the order failed).
    """
    _payable(order)
    if not needs_payment(session, order):
        fulfilment.record_free(session, order)
        session.commit()
        return order
    customer = customer_for(session, gateway, buyer)
    payment_method = gateway.test_payment_method(card)
    if order.total == 0 and membership_line(session, order) is None:
        # Pay-as-you-go: nothing to charge now; the card pays the bill of each month's calls.
        gateway.save_default_card(customer, payment_method)
        fulfilment.record_free(session, order)
        session.commit()
        return order
    # A new attempt after a decline gets a payment intent of its own: localstripe cannot
    # confirm an intent again once its charge failed (Stripe can), so both take this path.
    attempt = sum(e.kind == PaymentEventKind.CHARGE_FAILED
                  for e in fulfilment.events_for(session, order.id))
    if order.state == OrderState.FAILED:
        order.payment_intent_id = None
    fulfilment.retry(session, order)
    session.commit()
    if (line := membership_line(session, order)) is not None:
        return _subscribe(session, gateway, order, line, customer, payment_method)
    if not order.payment_intent_id:
        intent = gateway.create_payment_intent(
            amount=order.total, currency=order.currency, customer_id=customer,
            metadata=order_metadata(order), idempotency_key=f"order-{order.number}-{attempt}")
        order.payment_intent_id = intent.id
        session.add(order)
        session.commit()
    try:
        intent = gateway.confirm_payment_intent(order.payment_intent_id,
                                                payment_method=payment_method)
    except PaymentError as exc:
        session.rollback()
        fulfilment.record_failure(session, order, provider_ref=order.payment_intent_id,
                                  reason=str(exc))
        session.commit()
        raise
    failpoints.hit("after_payment_confirmed")
    if intent.status == "succeeded":
        fulfilment.record_charge(session, order, amount=intent.amount_received,
                                 provider_ref=intent.id)
        session.commit()
    return order


def _provider_plan(gateway: PaymentGateway, line: OrderLine) -> str:
    """The provider's plan for a membership line, as it was sold (created once)."""
    terms = line.plan_terms
    return gateway.ensure_plan(
        plan_key=f"{line.plan_id}-{terms['price']}-{terms['currency']}-{terms['billing_period']}",
        product_name=line.title, amount=int(terms["price"]), currency=terms["currency"],
        interval="year" if terms.get("billing_period") == "year" else "month",
        metadata={"plan_id": str(line.plan_id)})


def start_hosted_checkout(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
                          success_url: str, cancel_url: str) -> str:
    """Open the provider's hosted payment page for ``order`` and return its address.

    Real Stripe only (``gateway.supports_hosted_checkout``). Nothing is recorded here beyond
    the buyer's customer id and a failed order's retry: the payment reaches us through the
    ``payment_intent.*`` / ``invoice.*`` webhooks, which find the order by the metadata.

    :raises InvalidTransition: the order is not awaiting payment.
    :raises PaymentError: the provider refused to open the page.
    """
    _payable(order)
    customer = customer_for(session, gateway, buyer)
    fulfilment.retry(session, order)
    session.commit()
    line = membership_line(session, order)
    titles = ", ".join(item.title for item in order_lines(session, order.id))
    description = str(_l("Order %(number)s: %(titles)s", number=order.number, titles=titles))
    if line is not None:
        checkout = gateway.create_hosted_checkout(
            mode="subscription", currency=order.currency, customer_id=customer,
            plan_id=_provider_plan(gateway, line), description=description[:500],
            metadata=order_metadata(order, order_line_id=line.id),
            success_url=success_url, cancel_url=cancel_url)
    else:
        checkout = gateway.create_hosted_checkout(
            mode="payment", amount=order.total, currency=order.currency, customer_id=customer,
            description=description[:500], metadata=order_metadata(order),
            success_url=success_url, cancel_url=cancel_url)
    return checkout.url


def _subscribe(session: Session, gateway: PaymentGateway, order: Order, line: OrderLine,
               customer: str, payment_method: str) -> Order:
    plan_id = _provider_plan(gateway, line)
    subscription = session.exec(select(Subscription).where(
        Subscription.order_line_id == line.id)).first()
    if subscription is None:
        try:
            info = gateway.create_subscription(
                customer_id=customer, plan_id=plan_id, payment_method=payment_method,
                metadata=order_metadata(order, order_line_id=line.id),
                idempotency_key=f"subscription-{order.number}")
        except PaymentError as exc:
            fulfilment.record_failure(session, order, provider_ref=f"subscription-{order.number}",
                                      reason=str(exc))
            session.commit()
            raise
        subscription = sync_subscription(session, order, line, info)
        session.commit()
    else:
        info = gateway.retrieve_subscription(subscription.provider_id)
    failpoints.hit("after_payment_confirmed")
    if info.latest_invoice_id:
        invoice = gateway.retrieve_invoice(info.latest_invoice_id)
        if invoice.status == "paid":
            fulfilment.record_charge(session, order, amount=invoice.amount_paid,
                                     provider_ref=invoice.id,
                                     period_end=info.current_period_end)
            session.commit()
        elif info.status in ("incomplete", "past_due", "unpaid"):
            fulfilment.record_failure(session, order, provider_ref=invoice.id,
                                      reason=str(_l("Your card was declined. Try another card.")))
            session.commit()
            raise PaymentError(_l("Your card was declined. Try another card."), "card_declined")
    return order


def sync_subscription(session: Session, order: Order, line: OrderLine, info) -> Subscription:
    """Create or update our record of a provider subscription from what the provider says."""
    subscription = session.exec(select(Subscription).where(
        Subscription.provider_id == info.id)).first()
    if subscription is None:
        subscription = Subscription(order_line_id=line.id, buyer_id=order.buyer_id,
                                    provider_id=info.id)
    subscription.status = info.status
    subscription.current_period_start = info.current_period_start
    subscription.current_period_end = info.current_period_end
    subscription.cancel_at_period_end = info.cancel_at_period_end
    subscription.updated_at = utcnow()
    session.add(subscription)
    session.flush()
    return subscription


def subscriptions_for_buyer(session: Session, buyer_id: int) -> list[Subscription]:
    """A buyer's memberships, newest first."""
    return list(session.exec(select(Subscription).where(Subscription.buyer_id == buyer_id)
                             .order_by(col(Subscription.id).desc())))


def subscription_for_line(session: Session, order_line_id: int) -> Subscription | None:
    """The membership an order line started, if any."""
    return session.exec(select(Subscription).where(
        Subscription.order_line_id == order_line_id)).first()


def cancel_at_period_end(session: Session, gateway: PaymentGateway, actor: User,
                         subscription: Subscription) -> Subscription:
    """Stop a membership from renewing; it stays usable until the paid period ends."""
    if subscription.cancel_at_period_end:
        return subscription
    info = gateway.cancel_subscription_at_period_end(subscription.provider_id)
    subscription.cancel_at_period_end = True
    subscription.current_period_end = info.current_period_end \
        or subscription.current_period_end
    subscription.updated_at = utcnow()
    session.add(subscription)
    audit.record(session, actor_id=actor.id, action="subscription.cancel_at_period_end",
                 subject_type="subscription", subject_id=subscription.id,
                 details={"ends": subscription.current_period_end})
    session.commit()
    return subscription


def refund(session: Session, gateway: PaymentGateway, actor: User, order: Order, *,
           amount: int, reason: str, request_key: str) -> None:
    """Refund ``amount`` of a paid order (all of it revokes its entitlements).

    ``request_key`` comes from the refund form: submitting the same form twice refunds once.

    :raises ValidationFailed: the amount is not refundable, or no reason was given.
    :raises Conflict: this refund was already requested.
    :raises PaymentError: the provider refused it.
    """
    if not reason.strip():
        raise ValidationFailed({"reason": [str(_l("Say why the order is refunded."))]})
    fulfilment.lock(session, order)
    fulfilment.check_refund(session, order, amount)
    charge = session.exec(select(PaymentEvent).where(
        PaymentEvent.order_id == order.id,
        PaymentEvent.kind == PaymentEventKind.CHARGE_SUCCEEDED)).first()
    try:
        with session.begin_nested():
            session.add(PaymentEvent(order_id=order.id, kind=PaymentEventKind.REFUND_REQUESTED,
                                     amount=amount, currency=order.currency,
                                     provider_ref=f"refund-request:{request_key}",
                                     detail=reason[:500]))
    except IntegrityError:
        raise Conflict(_l("This refund was already requested.")) from None
    session.commit()
    intent_id = charge.provider_ref
    if intent_id.startswith("in_"):  # paid through an invoice: refund its payment
        intent_id = gateway.retrieve_invoice(intent_id).payment_intent_id
    info = gateway.refund(payment_intent_id=intent_id, amount=amount,
                          metadata=order_metadata(order, requested_by=actor.id),
                          idempotency_key=f"refund-{request_key}")
    fulfilment.record_refund(session, order, amount=info.amount, provider_ref=info.id,
                             actor_id=actor.id, reason=reason.strip())
    session.commit()
    if order.state == OrderState.REFUNDED:
        _stop_renewals(session, gateway, actor, order)


def _stop_renewals(session: Session, gateway: PaymentGateway, actor: User, order: Order) -> None:
    """A fully refunded membership (or renewal) must not bill again: cancel its provider
    subscription now. The refund stands if the provider cannot be reached; it is logged."""
    line = membership_line(session, order)
    if line is None:
        return
    subscription = subscription_for_line(session, line.plan_terms.get("renews_line_id") or line.id)
    if subscription is None or subscription.status == "canceled":
        return
    try:
        info = gateway.cancel_subscription_now(subscription.provider_id)
    except PaymentError:
        log.exception("order %s was refunded but its subscription %s could not be cancelled",
                      order.number, subscription.provider_id)
        return
    subscription.status, subscription.updated_at = info.status, utcnow()
    session.add(subscription)
    audit.record(session, actor_id=actor.id, action="subscription.cancel",
                 subject_type="subscription", subject_id=subscription.id,
                 details={"reason": "order refunded", "order": order.number})
    session.commit()
