"""What the authorization policy needs to know about commerce records.

The policy never queries the database; a view loads an order's parties with
:func:`order_access` and asks the policy about that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from marketplace.accounts.models import MerchantOrganization, User
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


@dataclass(frozen=True)
class SellerPart:
    """What the merchants of one organization see of an order: their own lines and what those
    cost, never another merchant's lines, prices or the order's whole total."""

    organization_id: int
    lines: list[OrderLine]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def line_ids(self) -> frozenset[int]:
        return frozenset(line.id for line in self.lines)


def seller_part(lines: Iterable[OrderLine], organization_id: int) -> SellerPart:
    """The part of an order's ``lines`` sold by ``organization_id``."""
    return SellerPart(organization_id,
                      [line for line in lines if line.organization_id == organization_id])


def buyer_shown_to_sellers(buyer: User,
                           organization: MerchantOrganization | None) -> tuple[str, str]:
    """The buyer as a seller sees it: its organization's name (else its display name), and its
    e-mail address only if the buyer agreed to share it with sellers ("" otherwise)."""
    name = organization.name if organization is not None else buyer.display_name
    return name, buyer.email if buyer.share_email_with_sellers else ""
