"""Paying, subscribing, refunding: the services that call the payment provider.

They follow one rule (Saleor's lesson): claim what we are about to ask under the order's lock
(:mod:`commerce.attempts`), commit, then call the provider, then record its answer in a new
transaction. The claim is what makes a double-submitted payment charge once and two refunds at
the same moment return no more than was paid; a crash between the call and the answer leaves a
pending claim that the webhook or ``payments reconcile`` completes. No provider call is made
while our rows are locked. These functions therefore commit the session themselves.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import failpoints
from marketplace.accounts.models import User
from marketplace.commerce.models import (
    AttemptState,
    BuyerAccount,
    Order,
    OrderState,
    PaymentAttempt,
    Subscription,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.payments import PaymentError, PaymentGateway, attempts
from marketplace.commerce.payments.needs import (  # noqa: F401  (callers read them here too)
    PaymentNeeds,
    membership_line,
    order_metadata,
    payment_needs,
)
from marketplace.commerce.payments.refunds import settle_duplicates
from marketplace.commerce.payments.subscriptions import provider_plan, sync_subscription

log = logging.getLogger(__name__)


def customer_for(session: Session, gateway: PaymentGateway, buyer: User) -> str:
    """The buyer's customer id at the provider, created once.

    Two first payments at the same moment may both create a customer; the first to record it
    wins and the other removes its own from the provider, so the buyer keeps one.
    """
    account = session.get(BuyerAccount, buyer.id)
    if account is not None:
        return account.customer_id
    customer_id = gateway.ensure_customer(user_id=buyer.id, email=buyer.email, customer_id=None)
    try:
        with session.begin_nested():
            session.add(BuyerAccount(buyer_id=buyer.id, customer_id=customer_id))
        session.commit()
        return customer_id
    except IntegrityError:
        session.rollback()
    try:
        gateway.delete_customer(customer_id)
    except PaymentError:
        log.warning("could not remove the unused customer %s of buyer %s", customer_id, buyer.id)
    winner = session.exec(select(BuyerAccount).where(BuyerAccount.buyer_id == buyer.id)
                          .execution_options(populate_existing=True)).one()
    return winner.customer_id


def _payable(order: Order) -> None:
    if order.state not in (OrderState.PENDING_PAYMENT, OrderState.FAILED):
        raise attempts.OrderBusy(_l("Order %(number)s is not awaiting payment.",
                                    number=order.number), order)


def pay_with_test_card(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
                       card: str, needs: PaymentNeeds | None = None) -> Order:
    """Pay ``order`` with one of the provider's test cards (the demo's payment step).

    Free orders are fulfilled without payment; pay-as-you-go keeps the card for its monthly
    usage bills and charges nothing now; a membership becomes a subscription. The payment is
    claimed under the order's lock first: a second submission while it runs, or after it
    succeeded, is refused with the order's state and never reaches the provider.

    :raises OrderBusy: the order is paid or closed, or its payment is already in progress.
    :raises PaymentError: the card was declined (the attempt is recorded, the order failed).
    """
    _payable(order)
    needs = needs or payment_needs(session, order)
    if not needs.provider:
        fulfilment.record_free(session, order, needs.lines)
        session.commit()
        return order
    fulfilment.lock(session, order)
    try:
        attempt = attempts.claim_charge(session, order)
    except attempts.OrderBusy:
        session.rollback()  # let the lock go at once: the other request needs it to finish
        raise
    fulfilment.retry(session, order)
    session.commit()
    try:
        return _charge(session, gateway, buyer, order, needs, attempt, card)
    except PaymentError as exc:
        session.rollback()
        fulfilment.record_failure(session, order, provider_ref=attempt.provider_ref or attempt.key,
                                  reason=str(exc))
        attempts.finish(session, attempt, AttemptState.FAILED, reason=str(exc))
        session.commit()
        raise
    # Anything else leaves the claim pending: whether the provider charged is unknown, and
    # reconcile settles it from what the provider holds.


def _charge(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
            needs: PaymentNeeds, attempt: PaymentAttempt, card: str) -> Order:
    customer = customer_for(session, gateway, buyer)
    payment_method = gateway.test_payment_method(card)
    line = needs.membership
    if order.total == 0 and line is None:
        # Pay-as-you-go: nothing to charge now; the card pays the bill of each month's calls.
        gateway.save_default_card(customer, payment_method)
        fulfilment.record_free(session, order, needs.lines)
        attempts.finish(session, attempt, AttemptState.SUCCEEDED)
        session.commit()
        return order
    if line is not None:
        return _subscribe(session, gateway, order, needs, attempt, customer, payment_method)
    intent = gateway.create_payment_intent(
        amount=order.total, currency=order.currency, customer_id=customer,
        metadata=order_metadata(order, attempt_id=attempt.id), idempotency_key=attempt.key)
    attempts.started(session, attempt, intent.id)
    order.payment_intent_id = intent.id
    session.add(order)
    session.commit()
    intent = gateway.confirm_payment_intent(intent.id, payment_method=payment_method)
    failpoints.hit("after_payment_confirmed")
    if intent.status == "succeeded":
        fulfilment.record_charge(session, order, amount=intent.amount_received,
                                 provider_ref=intent.id, lines=needs.lines)
        session.commit()
        settle_duplicates(session, gateway, order.id)
    return order


def start_hosted_checkout(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
                          success_url: str, cancel_url: str,
                          needs: PaymentNeeds | None = None) -> str:
    """Open the provider's hosted payment page for ``order`` and return its address.

    Real Stripe only (``gateway.supports_hosted_checkout``). Nothing is recorded here beyond
    the buyer's customer id and a failed order's retry: the payment reaches us through the
    ``payment_intent.*`` / ``invoice.*`` webhooks, which find the order by the metadata.

    :raises OrderBusy: the order is not awaiting payment.
    :raises PaymentError: the provider refused to open the page.
    """
    _payable(order)
    needs = needs or payment_needs(session, order)
    customer = customer_for(session, gateway, buyer)
    fulfilment.retry(session, order)
    session.commit()
    line = needs.membership
    titles = ", ".join(item.title for item in needs.lines)
    description = str(_l("Order %(number)s: %(titles)s", number=order.number, titles=titles))
    if line is not None:
        checkout = gateway.create_hosted_checkout(
            mode="subscription", currency=order.currency, customer_id=customer,
            plan_id=provider_plan(gateway, line), description=description[:500],
            metadata=order_metadata(order, order_line_id=line.id),
            success_url=success_url, cancel_url=cancel_url)
    else:
        checkout = gateway.create_hosted_checkout(
            mode="payment", amount=order.total, currency=order.currency, customer_id=customer,
            description=description[:500], metadata=order_metadata(order),
            success_url=success_url, cancel_url=cancel_url)
    return checkout.url


def _subscribe(session: Session, gateway: PaymentGateway, order: Order, needs: PaymentNeeds,
               attempt: PaymentAttempt, customer: str, payment_method: str) -> Order:
    line = needs.membership
    plan_id = provider_plan(gateway, line)
    subscription = session.exec(select(Subscription).where(
        Subscription.order_line_id == line.id)).first()
    if subscription is None:
        info = gateway.create_subscription(
            customer_id=customer, plan_id=plan_id, payment_method=payment_method,
            metadata=order_metadata(order, order_line_id=line.id, attempt_id=attempt.id),
            idempotency_key=attempt.key)
        attempts.started(session, attempt, info.id)
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
                                     period_end=info.current_period_end, lines=needs.lines)
            attempts.finish(session, attempt, AttemptState.SUCCEEDED)
            session.commit()
            settle_duplicates(session, gateway, order.id)
        elif info.status in ("incomplete", "past_due", "unpaid"):
            raise PaymentError(_l("Your card was declined. Try another card."), "card_declined")
    return order


