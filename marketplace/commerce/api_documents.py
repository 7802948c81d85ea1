"""How the commerce API presents records: cart lines, orders, entitlements and receipts as the
dictionaries its schemas (:mod:`marketplace.commerce.schemas`) serialize.

A test checks that every key written here is a schema field and every field is written.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization, User
from marketplace.api.problems import refusals_422
from marketplace.catalog.models import PricingModel
from marketplace.commerce import orders
from marketplace.commerce.models import Order, OrderLine, OrderState, PaymentEvent, Receipt
from marketplace.commerce.orders import cart, fulfilment, queries
from marketplace.commerce.orders.access import SellerPart, buyer_shown_to_sellers
from marketplace.delivery import entitlements
from marketplace.delivery.models import Entitlement, EntitlementState

#: Why adding to the cart can be forbidden (403) or refused by a business rule (422).
CART_ADD_FORBIDDEN = (
    "The quote is someone else's, the product needs an approved authorization application you "
    "do not have (application_url: where to apply), or your e-mail address is not confirmed.")
CART_ADD_REFUSALS = refusals_422(
    "the plan is no longer on sale (or does not exist)",
    "it is a product of your own organization",
    "the quote does not exist or cannot be accepted",
    "the options do not fit the plan (pack_calls outside the plan's packs)",
    "the cart is full")


def _option(model: str, pack_calls: int | None, quote_id: int | None, postpaid: bool) -> str:
    if model == PricingModel.PER_CALL:
        return "call_pack" if pack_calls else "pay_as_you_go" if postpaid else "standard"
    return "quote" if quote_id else "standard"


def cart_line_document(line: cart.CartLine) -> dict:
    pack_calls = line.price.quota if line.plan.model == PricingModel.PER_CALL else None
    return {
        "id": line.item.id, "product_id": line.listing.product_id, "listing_id": line.listing.id,
        "title": line.listing.title, "plan": line.plan,
        "option": _option(line.plan.model, pack_calls, line.item.quote_id, line.price.postpaid),
        "pack_calls": pack_calls, "quote_id": line.item.quote_id, "amount": line.price.amount,
        "currency": line.plan.currency, "quota": line.price.quota,
        "postpaid": line.price.postpaid,
    }


def cart_document(db: Session, buyer_id: int) -> dict:
    lines = cart.lines(db, buyer_id)
    return {"lines": [cart_line_document(line) for line in lines],
            "total": sum(line.price.amount for line in lines),
            "currency": lines[0].plan.currency if lines else "CNY"}


def order_summary(order: Order) -> dict:
    return {"number": order.number, "state": order.state,
            "state_label": str(orders.STATE_LABELS[OrderState(order.state)]),
            "currency": order.currency, "total": order.total, "created_at": order.created_at,
            "paid_at": order.paid_at}


def order_document(db: Session, order: Order, part: SellerPart | None = None) -> dict:
    """The order as its buyer or an admin sees it; ``part`` for a merchant of a seller: its own
    lines and their sum, without the payments, refunds and receipts of the whole order."""
    granted = {e.order_line_id: e.id for e in entitlements.for_order(db, order.id)
               if part is None or e.order_line_id in part.line_ids}
    lines = []
    for line in part.lines if part is not None else cart.order_lines(db, order.id):
        terms = line.plan_terms
        lines.append({
            **line.model_dump(include={"id", "product_id", "listing_id", "plan_id", "title",
                                       "plan_name", "pricing_model", "quote_id", "amount"}),
            "option": _option(line.pricing_model, terms.get("pack_calls"), line.quote_id,
                              bool(terms.get("postpaid"))),
            "pack_calls": terms.get("pack_calls"), "quota": terms.get("quota"),
            "plan_terms": terms, "entitlement_id": granted.get(line.id),
        })
    if part is not None:
        return {
            **order_summary(order), "total": part.total, "lines": lines, "seller_part": True,
            "paid": None, "refunded": None, "fulfilled_at": order.fulfilled_at,
            "closed_at": order.closed_at, "failure_reason": "", "payable": False,
            "receipts": [], "entitlements": sorted(granted.values()),
        }
    return {
        **order_summary(order), "lines": lines, "seller_part": False,
        "paid": fulfilment.paid_amount(db, order.id),
        "refunded": fulfilment.refunded_amount(db, order.id),
        "fulfilled_at": order.fulfilled_at, "closed_at": order.closed_at,
        "failure_reason": order.failure_reason,
        "payable": orders.can_move(order, OrderState.PAID),
        "receipts": [r.number for r in fulfilment.receipts_for(db, order.id)],
        "entitlements": sorted(granted.values()),
    }


def entitlement_documents(db: Session, rows: list[Entitlement]) -> list[dict]:
    """Entitlements with the title and plan they were bought as (two queries in all)."""
    line_ids = [e.order_line_id for e in rows]
    lines = {line.id: line for line in db.exec(
        select(OrderLine).where(col(OrderLine.id).in_(line_ids)))} if line_ids else {}
    numbers = queries.order_numbers(db, [e.order_id for e in rows])
    return [{
        **e.model_dump(include={"id", "product_id", "listing_id", "plan_id", "pricing_model",
                                "scope", "valid_from", "valid_to", "quota", "state",
                                "state_reason"}),
        "title": lines[e.order_line_id].title, "plan_name": lines[e.order_line_id].plan_name,
        "order_number": numbers[e.order_id],
        "state_label": str(entitlements.STATE_LABELS[EntitlementState(e.state)]),
        "usable": entitlements.is_usable(e),
    } for e in rows]


def receipt_document(db: Session, receipt: Receipt, part: SellerPart | None = None) -> dict:
    """A receipt as its buyer or an admin sees it; ``part`` for a merchant of a seller: its own
    lines and their sum, and the buyer as sellers see it (:func:`buyer_shown_to_sellers`)."""
    order = db.get(Order, receipt.order_id)
    lines = part.lines if part is not None else cart.order_lines(db, order.id)
    organizations = [db.get(MerchantOrganization, org_id)
                     for org_id in dict.fromkeys(line.organization_id for line in lines)]
    buyer = db.get(User, receipt.buyer_id)
    if part is not None:
        name, _email = buyer_shown_to_sellers(
            buyer, db.get(MerchantOrganization, buyer.organization_id)
            if buyer.organization_id else None)
        return {
            "number": receipt.number, "order_number": order.number,
            "issued_at": receipt.issued_at, "amount": part.total, "currency": receipt.currency,
            "payment_reference": "", "buyer": name,
            "sellers": [{"name": org.name, "credit_code": org.credit_code}
                        for org in organizations],
            "lines": [{"title": line.title, "plan_name": line.plan_name, "amount": line.amount}
                      for line in lines],
            "refunded": None,
        }
    return {
        "number": receipt.number, "order_number": order.number, "issued_at": receipt.issued_at,
        "amount": receipt.amount, "currency": receipt.currency,
        "payment_reference": db.get(PaymentEvent, receipt.payment_event_id).provider_ref,
        "buyer": buyer.display_name,
        "sellers": [{"name": org.name, "credit_code": org.credit_code} for org in organizations],
        "lines": [{"title": line.title, "plan_name": line.plan_name, "amount": line.amount}
                  for line in lines],
        "refunded": fulfilment.refunded_amount(db, order.id),
    }
