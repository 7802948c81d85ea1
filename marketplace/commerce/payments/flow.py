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
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import failpoints
from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog.models import PricingModel
from marketplace.commerce.models import (
    AttemptKind,
    AttemptState,
    BuyerAccount,
    Order,
    OrderLine,
    OrderState,
    PaymentAttempt,
    PaymentEvent,
    PaymentEventKind,
    Subscription,
)
from marketplace.commerce.orders import fulfilment
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.payments import PaymentError, PaymentGateway, RefundInfo, alerts, attempts
from marketplace.errors import ValidationFailed

log = logging.getLogger(__name__)


def order_metadata(order: Order, **extra: Any) -> dict[str, Any]:
    """What every provider object made for an order carries, to find the order again."""
    return {"order_id": str(order.id), "order_number": order.number,
            **{k: str(v) for k, v in extra.items()}}


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


@dataclass(frozen=True)
class PaymentNeeds:
    """What paying one order involves, read once per request and passed down: its lines, its
    membership line (a membership is always checked out on its own) and whether part of it is
    pay-as-you-go."""

    lines: list[OrderLine]
    membership: OrderLine | None
    postpaid: bool
    total: int

    @property
    def provider(self) -> bool:
        """Whether paying involves the provider: free orders do not; memberships do, and
        pay-as-you-go does (nothing is charged now, but the card is kept for the monthly bill)."""
        return self.total != 0 or self.membership is not None or self.postpaid


def payment_needs(session: Session, order: Order) -> PaymentNeeds:
    lines = order_lines(session, order.id)
    return PaymentNeeds(lines=lines, membership=_membership_of(lines), total=order.total,
                        postpaid=any(line.plan_terms.get("postpaid") for line in lines))


def _membership_of(lines: list[OrderLine]) -> OrderLine | None:
    for line in lines:
        # A usage bill for a membership's overage is not a membership: it is paid by itself.
        if line.pricing_model == PricingModel.MEMBERSHIP \
                and not line.plan_terms.get("usage_of_line_id"):
            return line
    return None


def membership_line(session: Session, order: Order) -> OrderLine | None:
    """The order's membership line, if it has one."""
    return _membership_of(order_lines(session, order.id))


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


def _provider_plan(gateway: PaymentGateway, line: OrderLine) -> str:
    """The provider's plan for a membership line, as it was sold (created once)."""
    terms = line.plan_terms
    return gateway.ensure_plan(
        plan_key=f"{line.plan_id}-{terms['price']}-{terms['currency']}-{terms['billing_period']}",
        product_name=line.title, amount=int(terms["price"]), currency=terms["currency"],
        interval="year" if terms.get("billing_period") == "year" else "month",
        metadata={"plan_id": str(line.plan_id)})


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
            plan_id=_provider_plan(gateway, line), description=description[:500],
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
    plan_id = _provider_plan(gateway, line)
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

    The amount is reserved under the order's lock before the provider is asked, so two refunds
    at the same moment (two tabs, two admins) cannot together return more than was paid.
    ``request_key`` comes from the refund form: submitting the same form twice refunds once.

    :raises ValidationFailed: the amount is not refundable, or no reason was given.
    :raises Conflict: this refund was already requested.
    :raises PaymentError: the provider refused it (the reservation is released).
    """
    if not reason.strip():
        raise ValidationFailed({"reason": [str(_l("Say why the order is refunded."))]})
    fulfilment.lock(session, order)
    fulfilment.check_refund(session, order, amount)
    charge = session.exec(select(PaymentEvent).where(
        PaymentEvent.order_id == order.id,
        PaymentEvent.kind == PaymentEventKind.CHARGE_SUCCEEDED)).first()
    attempt = attempts.claim_refund(session, order, amount=amount, key=f"refund:{request_key}",
                                    actor_id=actor.id, reason=reason.strip())
    session.add(PaymentEvent(order_id=order.id, kind=PaymentEventKind.REFUND_REQUESTED,
                             amount=amount, currency=order.currency,
                             provider_ref=f"refund-request:{request_key}", detail=reason[:500]))
    session.commit()
    try:
        info = gateway.refund(payment_intent_id=_intent_of(gateway, charge.provider_ref),
                              amount=amount,
                              metadata=order_metadata(order, requested_by=actor.id,
                                                      attempt_id=attempt.id),
                              idempotency_key=attempt.key)
    except PaymentError as exc:
        session.rollback()
        attempts.finish(session, attempt, AttemptState.FAILED, reason=str(exc))
        session.commit()
        raise
    book_provider_refund(session, order, info)
    session.commit()
    if order.state == OrderState.REFUNDED:
        _stop_renewals(session, gateway, actor, order)


def _intent_of(gateway: PaymentGateway, provider_ref: str) -> str:
    """The payment intent behind a charge we recorded (an invoice is paid through one)."""
    if provider_ref.startswith("in_"):
        return gateway.retrieve_invoice(provider_ref).payment_intent_id
    return provider_ref


@dataclass(frozen=True)
class RefundOutcome:
    """What booking a provider refund did; ``flagged`` when the admins were told about it."""

    text: str
    flagged: bool = False


def book_provider_refund(session: Session, order: Order,
                         info: RefundInfo) -> RefundOutcome | None:
    """Record a refund the provider made for ``order`` (our own, reported by the refund call,
    the webhook or reconcile, or one made in the provider's dashboard), once.

    A refund of a duplicate charge returns that charge; any other is booked against what was
    paid. A refund nobody asked for here, or one beyond what was left to refund, is flagged to
    the admins. Returns what was done, or None if the refund was recorded already.
    """
    fulfilment.lock(session, order)
    if fulfilment.event_for(session, info.id) is not None:
        _finish_for(session, order, info, AttemptState.SUCCEEDED)
        return None
    attempt = _finish_for(session, order, info, AttemptState.SUCCEEDED)
    duplicate = fulfilment.duplicate_charge(
        session, order.id, info.metadata.get("duplicate_of") or info.payment_intent_id or "")
    if duplicate is not None:
        fulfilment.record_duplicate_refund(session, order, charge_ref=duplicate.provider_ref,
                                           amount=info.amount, provider_ref=info.id)
        alerts.duplicate_refunded(session, order, amount=info.amount,
                                  charge_ref=duplicate.provider_ref, refund_ref=info.id)
        return RefundOutcome(f"duplicate charge {duplicate.provider_ref} refunded")
    booked = fulfilment.record_refund(
        session, order, amount=info.amount, provider_ref=info.id,
        actor_id=attempt.actor_id if attempt else None,
        reason=attempt.reason if attempt else "refunded at the payment provider")
    if attempt is None:
        alerts.flag(session, order, str(_l(
            "the payment provider refunded %(amount)s that nobody asked for on this marketplace",
            amount=f"{info.amount / 100:.2f} {order.currency}")), refund=info.id)
    excess = info.amount if booked is None else booked.excess
    if excess > 0:
        alerts.flag(session, order, str(_l(
            "the payment provider refunded %(amount)s more than was left to refund",
            amount=f"{excess / 100:.2f} {order.currency}")), refund=info.id)
    if booked is None:
        return RefundOutcome("refund beyond what was paid; admins told", flagged=True)
    if attempt is None or excess > 0:
        return RefundOutcome("refund nobody asked for here recorded; admins told"
                             if attempt is None else "refund recorded; the excess told to admins",
                             flagged=True)
    return RefundOutcome("refund recorded")


def _finish_for(session: Session, order: Order, info: RefundInfo,
                state: AttemptState) -> PaymentAttempt | None:
    """The claim that asked for refund ``info`` (by its id, or the id in its metadata)."""
    attempt = attempts.for_provider_ref(session, info.id)
    if attempt is None and (attempt_id := info.metadata.get("attempt_id", "")).isdigit():
        attempt = session.get(PaymentAttempt, int(attempt_id))
    if attempt is None or attempt.order_id != order.id:
        return None
    if attempt.state == AttemptState.PENDING:
        attempts.finish(session, attempt, state, provider_ref=info.id)
    return attempt


def settle_duplicates(session: Session, gateway: PaymentGateway,
                      order_id: int | None = None) -> list[str]:
    """Refund every duplicate charge not yet refunded (of one order, or all), telling the buyer
    and the admins; one the provider will not refund is flagged instead. Safe to run from
    several processes at once: each refund is claimed first. Returns what was done."""
    done: list[str] = []
    for event in fulfilment.unrefunded_duplicates(session, order_id):
        order = session.get(Order, event.order_id)
        fulfilment.lock(session, order)
        claimed = [a for a in attempts.for_order(session, order.id)
                   if a.key.startswith(f"duplicate:{event.provider_ref}:")]
        if any(a.state != AttemptState.FAILED for a in claimed):
            session.rollback()  # being refunded by another process, or refunded already
            continue
        attempt = attempts.claim_refund(
            session, order, amount=event.amount, actor_id=None, kind=AttemptKind.DUPLICATE,
            key=f"duplicate:{event.provider_ref}:{len(claimed) + 1}", reason="duplicate charge")
        session.commit()
        try:
            info = gateway.refund(payment_intent_id=_intent_of(gateway, event.provider_ref),
                                  amount=event.amount,
                                  metadata=order_metadata(order, attempt_id=attempt.id,
                                                          duplicate_of=event.provider_ref),
                                  idempotency_key=attempt.key)
        except PaymentError as exc:
            session.rollback()
            attempts.finish(session, attempt, AttemptState.FAILED, reason=str(exc))
            alerts.flag(session, order, str(_l(
                "a duplicate charge of %(amount)s could not be refunded: %(error)s",
                amount=f"{event.amount / 100:.2f} {order.currency}", error=str(exc))),
                charge=event.provider_ref)
            session.commit()
            done.append(f"order {order.number}: duplicate charge {event.provider_ref} could "
                        f"not be refunded ({exc})")
            continue
        book_provider_refund(session, order, info)
        session.commit()
        done.append(f"order {order.number}: duplicate charge {event.provider_ref} refunded")
    return done


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
