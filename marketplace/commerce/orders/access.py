"""What the authorization policy needs to know about commerce records.

The policy never queries the database; a view loads an order's parties with
:func:`order_access` and asks the policy about that.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from marketplace.commerce.models import Order, OrderLine


@dataclass(frozen=True)
class OrderAccess:
    """An order with the merchant organizations whose products it bought."""

    order: Order
    organization_ids: frozenset[int]

    @property
    def buyer_id(self) -> int:
        return self.order.buyer_id


def order_access(session: Session, order: Order) -> OrderAccess:
    """``order`` with the organizations of its lines, for the policy."""
    ids = session.exec(select(OrderLine.organization_id).where(
        OrderLine.order_id == order.id)).all()
    return OrderAccess(order=order, organization_ids=frozenset(ids))
