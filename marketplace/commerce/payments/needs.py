"""What paying an order involves, read once per request, and what every provider object made for
an order carries to find it again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from marketplace.catalog.models import PricingModel
from marketplace.commerce.models import Order, OrderLine
from marketplace.commerce.orders.cart import order_lines


def order_metadata(order: Order, **extra: Any) -> dict[str, Any]:
    """What every provider object made for an order carries, to find the order again."""
    return {"order_id": str(order.id), "order_number": order.number,
            **{k: str(v) for k, v in extra.items()}}


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
