"""The order state machine: the only place an order's state changes, each change audited.

::

    pending_payment -> paid -> fulfilled -> partly_refunded -> refunded
           |   ^          \\________________________________/^
           v   |
         failed (a declined card; paying again returns to pending_payment)
    pending_payment | failed -> cancelled

A paid order is fulfilled in the same transaction (its entitlements granted), so ``paid`` is
seen only if fulfilment itself was refused; a refund of a paid or fulfilled order moves it to
``partly_refunded`` or ``refunded``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce.models import Order, OrderState
from marketplace.errors import InvalidTransition

S = OrderState
TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.PENDING_PAYMENT, S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.FULFILLED, S.PARTLY_REFUNDED, S.REFUNDED}),
    S.FULFILLED: frozenset({S.PARTLY_REFUNDED, S.REFUNDED}),
    S.PARTLY_REFUNDED: frozenset({S.PARTLY_REFUNDED, S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

#: States in which money was received and not all of it returned.
PAID_STATES = frozenset({S.PAID, S.FULFILLED, S.PARTLY_REFUNDED})

STATE_LABELS = {
    S.PENDING_PAYMENT: _l("Awaiting payment"),
    S.PAID: _l("Paid"),
    S.FULFILLED: _l("Fulfilled"),
    S.CANCELLED: _l("Cancelled"),
    S.FAILED: _l("Payment failed"),
    S.REFUNDED: _l("Refunded"),
    S.PARTLY_REFUNDED: _l("Partly refunded"),
}


def can_move(order: Order, to: OrderState) -> bool:
    """Whether ``order`` may move to ``to`` from where it is."""
    return to in TRANSITIONS[OrderState(order.state)]


def move(session: Session, order: Order, to: OrderState, *, actor_id: int | None = None,
         reason: str = "", **details: object) -> None:
    """Move ``order`` to ``to`` and audit it.

    :raises InvalidTransition: the move is not allowed from the order's current state.
    """
    before = OrderState(order.state)
    if not can_move(order, to):
        raise InvalidTransition(_l(
            "Order %(number)s cannot go from “%(before)s” to “%(after)s”.",
            number=order.number, before=STATE_LABELS[before], after=STATE_LABELS[to]))
    order.state = to
    now = utcnow()
    if to == S.PAID:
        order.paid_at = now
    elif to == S.FULFILLED:
        order.fulfilled_at = now
    elif to in (S.CANCELLED, S.FAILED):
        order.closed_at = now
    if to == S.FAILED:
        order.failure_reason = reason[:500]
    session.add(order)
    audit.record(session, actor_id=actor_id, action=f"order.{to.value}", subject_type="order",
                 subject_id=order.number,
                 details={"from": before.value, "to": to.value, "reason": reason, **details})

