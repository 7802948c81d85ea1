"""Telling plugins that an order was paid or an entitlement changed, once it is committed.

Plugins see buyers only as pseudonyms, stable per buyer and merchant (so two merchants cannot
link their buyers), and hear only about products they serve plus what the platform's own
plugins need.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from datamarket_sdk import EntitlementEvent, OrderPaid, Scope
from sqlmodel import Session

from marketplace import changes
from marketplace.catalog.models import Listing
from marketplace.commerce.models import Entitlement, Order, OrderLine
from marketplace.db import after_commit
from marketplace.plugins import events, get_runtime
from marketplace.settings import settings

log = logging.getLogger(__name__)


def buyer_pseudonym(buyer_id: int, organization_id: int) -> str:
    """The buyer as one merchant's plugins see them: an HMAC of both ids under the app key."""
    key = settings().secret_key.encode()
    digest = hmac.new(key, f"buyer:{buyer_id}:org:{organization_id}".encode(), hashlib.sha256)
    return f"b_{digest.hexdigest()[:24]}"


def _later(session: Session, event: str, payload, plugin: str | None) -> None:
    runtime = get_runtime()

    def announce() -> None:
        with runtime.app.app_context():
            events.dispatch(runtime, event, payload, only={plugin} if plugin else set())

    after_commit(session, announce)


def order_paid(session: Session, order: Order, line: OrderLine, listing: Listing) -> None:
    """Queue ``order_paid`` for one paid line."""
    payload = OrderPaid(order_id=order.id, buyer=buyer_pseudonym(order.buyer_id,
                                                                  line.organization_id),
                        product_id=line.product_id, plan=line.plan_name, amount=line.amount,
                        currency=order.currency)
    _later(session, "order_paid", payload, listing.plugin_name)
    changes.product_changed(session, line.product_id, "order.paid")  # its sales count


def entitlement_changed(session: Session, entitlement: Entitlement, *, granted: bool) -> None:
    """Queue ``entitlement_granted`` or ``entitlement_revoked``."""
    line = session.get(OrderLine, entitlement.order_line_id)
    listing = session.get(Listing, entitlement.listing_id)
    scope = entitlement.scope or {}
    payload = EntitlementEvent(
        entitlement_id=entitlement.id,
        buyer=buyer_pseudonym(entitlement.buyer_id, line.organization_id),
        product_id=entitlement.product_id,
        scope=Scope(operations=frozenset(scope.get("operations") or []),
                    fields=None if scope.get("fields") is None else frozenset(scope["fields"])))
    _later(session, "entitlement_granted" if granted else "entitlement_revoked", payload,
           listing.plugin_name if listing else None)
