"""Telling plugins that an order was paid, once it is committed.

Plugins see buyers only as pseudonyms (:func:`marketplace.delivery.announce.buyer_pseudonym`)
and hear only about products they serve plus what the platform's own plugins need.
"""

from __future__ import annotations

import logging

from datamarket_sdk import OrderPaid
from sqlmodel import Session

from marketplace import changes
from marketplace.catalog.models import Listing
from marketplace.commerce.models import Order, OrderLine
from marketplace.delivery.announce import buyer_pseudonym, later

log = logging.getLogger(__name__)


def order_paid(session: Session, order: Order, line: OrderLine, listing: Listing) -> None:
    """Queue ``order_paid`` for one paid line."""
    payload = OrderPaid(order_id=order.id, buyer=buyer_pseudonym(order.buyer_id,
                                                                  line.organization_id),
                        product_id=line.product_id, plan=line.plan_name, amount=line.amount,
                        currency=order.currency)
    later(session, "order_paid", payload, listing.plugin_name)
    changes.product_changed(session, line.product_id, "order.paid")  # its sales count
