"""Money received or returned, and what it does: orders paid and fulfilled, refunds, receipts.

Each function records one provider object (a PaymentIntent, an Invoice, a Refund) once: the
:class:`PaymentEvent` row is unique on ``provider_ref``, so the webhook, the checkout page and
``payments reconcile`` can all report the same payment and only the first one counts. Payment,
entitlements, ledger entries and receipt are written in the caller's one transaction, so they
are committed together or not at all: a paid order never lacks its entitlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.catalog.models import Listing, PricingModel
from marketplace.commerce import ledger, orders
from marketplace.commerce.models import (
    AttemptState,
    Order,
    OrderLine,
    OrderState,
    PaymentEvent,
    PaymentEventKind,
    Receipt,
)
from marketplace.commerce.orders import announce
from marketplace.commerce.orders.cart import order_lines
from marketplace.commerce.payments import attempts
from marketplace.delivery import entitlements
from marketplace.delivery.models import EntitlementState
from marketplace.errors import ValidationFailed
from marketplace.money import plain_amount

K = PaymentEventKind


@dataclass(frozen=True)
class BookedRefund:
    """A refund in our books: ``booked`` of it, and the ``excess`` the provider returned beyond
    what was left to refund (not booked; an admin is told)."""

    booked: int
    excess: int


def lock(session: Session, order: Order) -> Order:
    """Lock the order's row for the rest of the transaction, so that whoever reads the order's
    payments and then acts on them does so alone.

    PostgreSQL takes ``SELECT … FOR UPDATE``. SQLite has no row locks: a write to the row takes
    the database's write lock at once (waiting for the busy timeout if another writer holds it)
    and keeps it to the end of the transaction, the same guarantee. A plain read would not do:
    two transactions could both read "no charge yet", and the second would then fail its write.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Order).where(Order.id == order.id).values(id=Order.id))
    else:
        session.exec(select(Order.id).where(Order.id == order.id).with_for_update()).first()
    session.refresh(order)
    return order


def _sum(session: Session, order_id: int, kind: PaymentEventKind) -> int:
    return int(session.exec(select(func.coalesce(func.sum(PaymentEvent.amount), 0)).where(
        PaymentEvent.order_id == order_id, PaymentEvent.kind == kind)).one())


def paid_amount(session: Session, order_id: int) -> int:
    """Everything received for the order (a duplicate charge is not: it is returned)."""
    return _sum(session, order_id, K.CHARGE_SUCCEEDED)


def refunded_amount(session: Session, order_id: int) -> int:
    """Everything returned for the order."""
    return _sum(session, order_id, K.REFUND_SUCCEEDED)


def _record_event(session: Session, order: Order, kind: PaymentEventKind, amount: int,
                  provider_ref: str, detail: str = "") -> PaymentEvent | None:
    """Insert the event, or None if ``provider_ref`` was recorded already."""
    if event_for(session, provider_ref) is not None:
        return None
    event = PaymentEvent(order_id=order.id, kind=kind, amount=amount, currency=order.currency,
                         provider_ref=provider_ref, detail=detail[:500])
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None  # another delivery of the same payment recorded it first
    return event


def record_charge(session: Session, order: Order, *, amount: int, provider_ref: str,
                  period_end: datetime | None = None, detail: str = "",
                  lines: list[OrderLine] | None = None) -> bool:
    """Money was received for ``order``: mark it paid, fulfil it, split it, issue a receipt.

    An order is paid once. A charge reported for an order that no longer awaits payment (a
    double submission, a second hosted checkout, a charge made at the provider) is recorded as a
    duplicate: not paid, not split, and :func:`payments.refunds.settle_duplicates` refunds it.

    :param provider_ref: the PaymentIntent or Invoice id (the same payment reported again is
        a no-op).
    :param period_end: for a membership, the end of the paid period.
    :param lines: the order's lines, if the caller has read them already.
    :returns: False when this payment was already recorded.
    """
    lock(session, order)
    if (attempt := attempts.for_provider_ref(session, provider_ref)) is not None \
            and attempt.state == AttemptState.PENDING:
        attempts.finish(session, attempt, AttemptState.SUCCEEDED)
    if order.state not in (OrderState.PENDING_PAYMENT, OrderState.FAILED):
        if _record_event(session, order, K.DUPLICATE_CHARGE, amount, provider_ref,
                         detail or f"order was {order.state}") is None:
            return False
        # For the caller to refund once committed (payments.refunds.settle_duplicates).
        session.info.setdefault("duplicate_charges", set()).add(order.id)
        return True
    event = _record_event(session, order, K.CHARGE_SUCCEEDED, amount, provider_ref, detail)
    if event is None:
        return False
    lines = lines if lines is not None else order_lines(session, order.id)
    orders.move(session, order, OrderState.PAID, amount=amount, ref=provider_ref)
    fulfil(session, order, lines, period_end=period_end)
    ledger.split_payment(session, order, lines, amount, provider_ref)
    if amount > 0:
        issue_receipt(session, order, event)
    return True


def unrefunded_duplicates(session: Session, order_id: int | None = None) -> list[PaymentEvent]:
    """Duplicate charges not yet refunded (all orders, or one)."""
    refunded = select(PaymentEvent.detail).where(PaymentEvent.kind == K.DUPLICATE_REFUNDED)
    query = select(PaymentEvent).where(PaymentEvent.kind == K.DUPLICATE_CHARGE,
                                       col(PaymentEvent.provider_ref).not_in(refunded))
    if order_id is not None:
        query = query.where(PaymentEvent.order_id == order_id)
    return list(session.exec(query.order_by(col(PaymentEvent.id))))


def record_duplicate_refund(session: Session, order: Order, *, charge_ref: str, amount: int,
                            provider_ref: str) -> bool:
    """A duplicate charge was returned (``detail`` names the charge it returns).

    :returns: False when this refund was already recorded.
    """
    return _record_event(session, order, K.DUPLICATE_REFUNDED, amount, provider_ref,
                         charge_ref) is not None


def fulfil(session: Session, order: Order, lines: list[OrderLine] | None = None, *,
           period_end: datetime | None = None) -> None:
    """Grant every line's entitlement and move the paid order to fulfilled."""
    for line in lines if lines is not None else order_lines(session, order.id):
        fulfil_line(session, order, line, period_end=period_end)
    orders.move(session, order, OrderState.FULFILLED)


def fulfil_line(session: Session, order: Order, line: OrderLine, *,
                period_end: datetime | None = None) -> None:
    """Grant one paid line's entitlement (a renewal extends the one it renews; a usage bill,
    for calls already made under an entitlement, grants nothing but lifts a suspension that
    the unpaid bill caused)."""
    listing = session.get(Listing, line.listing_id)
    terms = line.plan_terms
    if terms.get("usage_of_line_id"):
        billed = entitlements.for_line(session, terms["usage_of_line_id"])
        if billed is not None and billed.state == EntitlementState.SUSPENDED \
                and billed.state_reason == entitlements.UNPAID_USAGE:
            entitlements.change_state(session, billed, EntitlementState.ACTIVE,
                                      reason="usage bill paid")
        announce.order_paid(session, order, line, listing)
        return
    valid_to = None
    if line.pricing_model == PricingModel.MEMBERSHIP:
        valid_to = period_end or entitlements.period_end(order.paid_at or order.created_at,
                                                         terms.get("billing_period"))
    elif terms.get("valid_days"):  # a quoted service: usable for the quoted days from payment
        valid_to = (order.paid_at or order.created_at) + timedelta(days=terms["valid_days"])
    renewed = terms.get("renews_line_id")
    if renewed:
        entitlement = entitlements.for_line(session, renewed)
        if entitlement is not None and valid_to is not None:
            entitlements.extend(session, entitlement, valid_to)
    else:
        entitlements.grant(session, order, line, listing, quota=terms.get("quota"),
                           valid_to=valid_to,
                           overage_unit_price=terms.get("overage_unit_price"))
    announce.order_paid(session, order, line, listing)


def record_free(session: Session, order: Order, lines: list[OrderLine] | None = None) -> None:
    """An order that costs nothing: paid without a payment, then fulfilled."""
    if order.total != 0:
        raise ValidationFailed({"order": [str(_l("This order must be paid."))]})
    lock(session, order)
    if order.state == OrderState.PENDING_PAYMENT:
        orders.move(session, order, OrderState.PAID, amount=0, ref="free")
        fulfil(session, order, lines)


def record_failure(session: Session, order: Order, *, provider_ref: str, reason: str) -> None:
    """A payment attempt failed (a declined card): the order waits for another attempt."""
    lock(session, order)
    failures = session.exec(select(func.count()).select_from(PaymentEvent).where(
        PaymentEvent.order_id == order.id, PaymentEvent.kind == K.CHARGE_FAILED)).one()
    _record_event(session, order, K.CHARGE_FAILED, 0, f"{provider_ref}:failed:{failures + 1}",
                  reason)
    if (attempt := attempts.for_provider_ref(session, provider_ref)) is not None \
            and attempt.state == AttemptState.PENDING:
        attempts.finish(session, attempt, AttemptState.FAILED, reason=reason)
    if order.state == OrderState.PENDING_PAYMENT:
        orders.move(session, order, OrderState.FAILED, reason=reason)


def retry(session: Session, order: Order) -> None:
    """The buyer tries to pay a failed order again."""
    if order.state == OrderState.FAILED:
        orders.move(session, order, OrderState.PENDING_PAYMENT, actor_id=order.buyer_id,
                    reason="payment retried")


def refundable(session: Session, order: Order) -> int:
    """How much can still be asked back: paid, less refunded, less refunds still pending."""
    return _unrefunded(session, order) - attempts.reserved_for_refunds(session, order.id)


def _unrefunded(session: Session, order: Order) -> int:
    return paid_amount(session, order.id) - refunded_amount(session, order.id)


def line_refundable(session: Session, order: Order, line: OrderLine) -> int:
    """How much can still be asked back of one line: its share of the payments, less what was
    refunded of it, less refunds of it still pending, and never more than the order's."""
    left = ledger.unrefunded_by_line(session, order.id).get(line.id, 0) \
        - attempts.reserved_for_line_refunds(session, line.id)
    return max(0, min(left, refundable(session, order)))


def check_refund(session: Session, order: Order, amount: int,
                 line: OrderLine | None = None) -> None:
    """:raises ValidationFailed: ``amount`` is not positive or exceeds what is refundable (of
    ``line``, when the refund is of one line)."""
    if amount <= 0:
        raise ValidationFailed({"amount": [str(_l("A refund is a positive amount."))]})
    if line is not None:
        left = line_refundable(session, order, line)
        if amount > left:
            raise ValidationFailed({"amount": [str(_l(
                "At most %(amount)s can still be refunded on this line.",
                amount=plain_amount(left, order.currency, code=True)))]})
        return
    left = refundable(session, order)
    if amount > left:
        raise ValidationFailed({"amount": [str(_l(
            "At most %(amount)s can still be refunded on this order.",
            amount=plain_amount(left, order.currency, code=True)))]})


def record_refund(session: Session, order: Order, *, amount: int, provider_ref: str,
                  actor_id: int | None = None, reason: str = "",
                  line_id: int | None = None) -> BookedRefund | None:
    """Money was returned: reverse the ledger; a full refund revokes the entitlements at once.

    A refund of one line (``line_id``) is taken from that line alone, and revokes that line's
    entitlement once nothing of the line is left unrefunded.

    Our books never return more than was paid: a provider refund beyond it is booked up to what
    was left, and the excess is returned for the caller to flag.

    :returns: what was booked, or None when this refund was already recorded or nothing was
        left to refund.
    """
    lock(session, order)
    left = _unrefunded(session, order)
    booked = min(amount, left)
    if booked <= 0:
        return None
    if _record_event(session, order, K.REFUND_SUCCEEDED, booked, provider_ref, reason) is None:
        return None
    lines = order_lines(session, order.id)
    refunded_lines = [line for line in lines if line.id == line_id] or lines
    ledger.reverse_refund(session, order, refunded_lines, booked, provider_ref)
    full = booked == left
    orders.move(session, order, OrderState.REFUNDED if full else OrderState.PARTLY_REFUNDED,
                actor_id=actor_id, reason=reason, amount=booked, ref=provider_ref)
    if full:
        revoked = entitlements.for_order(session, order.id)
    elif len(refunded_lines) == 1 and line_id is not None \
            and ledger.unrefunded_by_line(session, order.id).get(line_id, 0) <= 0:
        revoked = [e for e in [entitlements.for_line(session, line_id)] if e is not None]
    else:
        revoked = []
    for entitlement in revoked:
        if entitlement.state in (EntitlementState.ACTIVE, EntitlementState.SUSPENDED):
            entitlements.change_state(session, entitlement, EntitlementState.REVOKED,
                                      reason="order refunded" if full else "line refunded",
                                      actor_id=actor_id)
    return BookedRefund(booked=booked, excess=amount - booked)


def event_for(session: Session, provider_ref: str) -> PaymentEvent | None:
    """The event that recorded provider object ``provider_ref``, if any."""
    return session.exec(select(PaymentEvent).where(
        PaymentEvent.provider_ref == provider_ref)).first()


def duplicate_charge(session: Session, order_id: int, provider_ref: str) -> PaymentEvent | None:
    """The duplicate charge ``provider_ref`` of the order, if it is one."""
    return session.exec(select(PaymentEvent).where(
        PaymentEvent.order_id == order_id, PaymentEvent.kind == K.DUPLICATE_CHARGE,
        PaymentEvent.provider_ref == provider_ref)).first()


def issue_receipt(session: Session, order: Order, event: PaymentEvent) -> Receipt:
    """The receipt of one payment (one per payment event)."""
    count = session.exec(select(func.count()).select_from(Receipt).where(
        Receipt.order_id == order.id)).one()
    receipt = Receipt(number=f"R{order.number[2:]}-{count + 1}", order_id=order.id,
                      payment_event_id=event.id, buyer_id=order.buyer_id, amount=event.amount,
                      currency=order.currency)
    session.add(receipt)
    session.flush()
    return receipt


def receipts_for(session: Session, order_id: int) -> list[Receipt]:
    return list(session.exec(select(Receipt).where(Receipt.order_id == order_id)
                             .order_by(col(Receipt.id))))


def events_for(session: Session, order_id: int) -> list[PaymentEvent]:
    return list(session.exec(select(PaymentEvent).where(PaymentEvent.order_id == order_id)
                             .order_by(col(PaymentEvent.id))))

