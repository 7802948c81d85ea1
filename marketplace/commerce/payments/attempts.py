"""Claims on an order's money, taken under the order's lock before the provider is called.

The rule that keeps an order from being charged twice, or refunded beyond what was paid, is
*claim, commit, then call*: the caller locks the order (:func:`fulfilment.lock`), checks and
writes a :class:`PaymentAttempt` here, commits, and only then asks the provider. A second
request for the same order sees the pending claim and is refused with the order's state
(never a decline); a refund's claim reserves its amount until the provider answers. Nothing
here calls the provider, and no provider call is made while the lock is held.

A claim left pending by a process that died is stale after :data:`STALE_AFTER`: it no longer
blocks a new attempt, and ``payments reconcile`` settles it from what the provider holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.base import utcnow
from marketplace.commerce.models import (
    AttemptKind,
    AttemptState,
    Order,
    OrderState,
    PaymentAttempt,
)
from marketplace.errors import Conflict

# Longer than any provider call may take (the client's timeouts and retries included).
STALE_AFTER = timedelta(minutes=5)


class OrderBusy(Conflict):
    """The order's money is being handled by another request, or no longer awaits payment.

    The API answers 409 with the order's state (``problem_extra``), so a double-submitted
    payment learns what became of the first one instead of reading a decline.
    """

    def __init__(self, message, order: Order):
        super().__init__(str(message))
        self.order_state = order.state
        self.problem_extra = {"order_state": order.state}


def pending(session: Session, order_id: int, kind: AttemptKind, *,
            now: datetime | None = None, include_stale: bool = True) -> list[PaymentAttempt]:
    """The order's claims of ``kind`` still waiting for the provider's answer."""
    query = select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id, PaymentAttempt.kind == kind,
        PaymentAttempt.state == AttemptState.PENDING)
    if not include_stale:
        query = query.where(PaymentAttempt.created_at > (now or utcnow()) - STALE_AFTER)
    return list(session.exec(query.order_by(col(PaymentAttempt.id))))


def reserved_for_refunds(session: Session, order_id: int) -> int:
    """The amount of refunds asked of the provider and not yet answered (stale ones too:
    until reconcile settles them, the provider may still pay them)."""
    return int(session.exec(select(func.coalesce(func.sum(PaymentAttempt.amount), 0)).where(
        PaymentAttempt.order_id == order_id, PaymentAttempt.kind == AttemptKind.REFUND,
        PaymentAttempt.state == AttemptState.PENDING)).one())


def claim_charge(session: Session, order: Order, *, now: datetime | None = None) -> PaymentAttempt:
    """Claim the right to charge ``order`` (the caller holds its lock and commits next).

    :raises OrderBusy: the order is paid or closed, or another charge of it is pending.
    """
    if order.state not in (OrderState.PENDING_PAYMENT, OrderState.FAILED):
        raise OrderBusy(_l("Order %(number)s is not awaiting payment.", number=order.number),
                        order)
    if pending(session, order.id, AttemptKind.CHARGE, now=now, include_stale=False):
        raise OrderBusy(_l("A payment of order %(number)s is already in progress; this page "
                           "shows its result in a moment.", number=order.number), order)
    number = session.exec(select(func.count()).select_from(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id, PaymentAttempt.kind == AttemptKind.CHARGE)).one()
    attempt = PaymentAttempt(order_id=order.id, kind=AttemptKind.CHARGE, amount=order.total,
                             key=f"charge:{order.id}:{number + 1}", actor_id=order.buyer_id)
    session.add(attempt)
    session.flush()
    return attempt


def claim_refund(session: Session, order: Order, *, amount: int, key: str,
                 actor_id: int | None, reason: str = "",
                 kind: AttemptKind = AttemptKind.REFUND,
                 order_line_id: int | None = None) -> PaymentAttempt:
    """Reserve ``amount`` of ``order`` (of its line ``order_line_id``, if given) for a refund
    (the caller has locked the order and checked the amount against what is left, reservations
    included). The refund of a duplicate charge (``AttemptKind.DUPLICATE``) returns money that
    was never counted as paid, so it reserves nothing.

    :raises Conflict: a refund with this key was claimed already.
    """
    attempt = PaymentAttempt(order_id=order.id, kind=kind, amount=amount, key=key,
                             actor_id=actor_id, reason=reason[:500], order_line_id=order_line_id)
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        raise Conflict(_l("This refund was already requested.")) from None
    return attempt


def reserved_for_line_refunds(session: Session, order_line_id: int) -> int:
    """The part of :func:`reserved_for_refunds` claimed by refunds of one line."""
    return int(session.exec(select(func.coalesce(func.sum(PaymentAttempt.amount), 0)).where(
        PaymentAttempt.order_line_id == order_line_id, PaymentAttempt.kind == AttemptKind.REFUND,
        PaymentAttempt.state == AttemptState.PENDING)).one())


def by_key(session: Session, key: str) -> PaymentAttempt | None:
    return session.exec(select(PaymentAttempt).where(PaymentAttempt.key == key)).first()


def for_provider_ref(session: Session, provider_ref: str) -> PaymentAttempt | None:
    """The attempt that made the provider object ``provider_ref``, if it is known."""
    return session.exec(select(PaymentAttempt).where(
        PaymentAttempt.provider_ref == provider_ref)).first()


def started(session: Session, attempt: PaymentAttempt, provider_ref: str) -> None:
    """The provider made its object for the attempt: remember it before anything else."""
    attempt.provider_ref = provider_ref
    session.add(attempt)


def finish(session: Session, attempt: PaymentAttempt, state: AttemptState, *,
           provider_ref: str | None = None, reason: str = "") -> None:
    """The provider answered: the claim is released (its amount no longer reserved)."""
    attempt.state = state
    attempt.finished_at = utcnow()
    if provider_ref:
        attempt.provider_ref = provider_ref
    if reason:
        attempt.reason = reason[:500]
    session.add(attempt)


def for_order(session: Session, order_id: int) -> list[PaymentAttempt]:
    return list(session.exec(select(PaymentAttempt).where(PaymentAttempt.order_id == order_id)
                             .order_by(col(PaymentAttempt.id))))


def stale(session: Session, *, now: datetime | None = None) -> list[PaymentAttempt]:
    """Claims left pending longer than a provider call can take: for reconcile to settle."""
    return list(session.exec(select(PaymentAttempt).where(
        PaymentAttempt.state == AttemptState.PENDING,
        PaymentAttempt.created_at <= (now or utcnow()) - STALE_AFTER)
        .order_by(col(PaymentAttempt.id))))
