"""Who may do what with carts, orders, receipts, subscriptions, quotes and the books.

An order is judged through its :class:`OrderAccess` (the order with the organizations whose
products it bought); buyers act on their own orders, merchants see the orders of their products
and refund those that bought only theirs, admins see and refund everything.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import User
from marketplace.accounts.rules import (
    is_admin,
    is_merchant,
    member_of,
    organization_member_or_admin,
    signed_in,
)
from marketplace.base import utcnow
from marketplace.commerce.buyer_requests.models import InvoiceRequest, RefundRequest
from marketplace.commerce.buyer_requests.working_days import admin_may_decide_from
from marketplace.commerce.models import ServiceQuote, Subscription
from marketplace.commerce.orders.access import OrderAccess
from marketplace.policy import register, rule


@rule("order.pay", "order.cancel")
def order_buyer(actor: User | None, access: OrderAccess) -> bool:
    """The buyer who placed the order."""
    return actor is not None and isinstance(access, OrderAccess) and access.buyer_id == actor.id


@rule("refund_request.create", "invoice.request")
def _order_buyer_asks(actor: User | None, access: OrderAccess) -> bool:
    """The order's buyer asks for a refund of a line, or for an invoice."""
    return order_buyer(actor, access)


@rule("refund_request.view")
def _refund_request_party(actor: User | None, request: RefundRequest) -> bool:
    """The buyer who asked, a merchant of the line's seller, or an admin."""
    return isinstance(request, RefundRequest) and (
        is_admin(actor) or member_of(actor, request.organization_id)
        or (actor is not None and request.buyer_id == actor.id))


@rule("refund_request.decide")
def _refund_request_decider(actor: User | None, request: RefundRequest) -> bool:
    """A merchant of the line's seller; an admin once three working days have passed since
    the request without the merchant deciding it."""
    return isinstance(request, RefundRequest) and (
        member_of(actor, request.organization_id)
        or (is_admin(actor) and utcnow() >= admin_may_decide_from(request.created_at)))


@rule("invoice.view")
def _invoice_party(actor: User | None, invoice: InvoiceRequest) -> bool:
    """The buyer who asked (the PDF too), a merchant of the issuing organization, or an
    admin."""
    return isinstance(invoice, InvoiceRequest) and (
        is_admin(actor) or member_of(actor, invoice.organization_id)
        or (actor is not None and invoice.buyer_id == actor.id))


@rule("invoice.issue")
def _invoice_issuer(actor: User | None, invoice: InvoiceRequest) -> bool:
    """A merchant of the organization asked for the invoice."""
    return isinstance(invoice, InvoiceRequest) and member_of(actor, invoice.organization_id)


@rule("order.view_whole")
def _whole_order(actor: User | None, access: OrderAccess) -> bool:
    """The whole of an order (every merchant's lines, the payments, the buyer's e-mail): its
    buyer and admins. A merchant sees only its own part."""
    return is_admin(actor) or order_buyer(actor, access)


@rule("order.view", "receipt.view")
def _order_party(actor: User | None, access: OrderAccess) -> bool:
    """The buyer, a merchant whose product the order bought, or an admin."""
    return is_admin(actor) or order_buyer(actor, access) or (
        isinstance(access, OrderAccess) and actor is not None
        and any(member_of(actor, org) for org in access.organization_ids))


@rule("order.refund")
def _refund_order(actor: User | None, access: OrderAccess) -> bool:
    """Admins, and a merchant for orders of its own products only."""
    return is_admin(actor) or (
        isinstance(access, OrderAccess) and len(access.organization_ids) == 1
        and member_of(actor, next(iter(access.organization_ids))))


@rule("subscription.cancel")
def _own_subscription(actor: User | None, subscription: Subscription) -> bool:
    return is_admin(actor) or (actor is not None and isinstance(subscription, Subscription)
                               and subscription.buyer_id == actor.id)


@rule("quote.accept", "quote.withdraw")
def quote_buyer(actor: User | None, quote: ServiceQuote) -> bool:
    """The buyer who asked for the quote."""
    return actor is not None and isinstance(quote, ServiceQuote) and quote.buyer_id == actor.id


@rule("quote.answer")
def quote_merchant(actor: User | None, quote: ServiceQuote) -> bool:
    """A merchant of the organization the quote was asked of."""
    return isinstance(quote, ServiceQuote) and member_of(actor, quote.organization_id)


@rule("quote.view")
def _quote_party(actor: User | None, quote: ServiceQuote) -> bool:
    return is_admin(actor) or quote_buyer(actor, quote) or quote_merchant(actor, quote)


@rule("ledger.view")
def _merchant_books(actor: User | None, organization: Any = None) -> bool:
    """A merchant's own statement (no resource: its own organization); admins see any."""
    if organization is None:
        return is_merchant(actor) and actor.organization_id is not None
    return organization_member_or_admin(actor, organization)


# One's own cart, orders and quotes (as a buyer): anyone signed in.
for _action in ("cart.use", "order.list", "quote.request", "quote.list", "refund_request.list",
                "invoice.list"):
    register(_action, signed_in)
for _action in ("order.list_all", "commission.manage", "payout.manage",
                "refund_request.list_all", "invoice.list_all"):
    register(_action, is_admin)
# A merchant's requests to decide: its own organization's (the list is filtered by it).
for _action in ("refund_request.list_merchant", "invoice.list_merchant"):
    register(_action, _merchant_books)
