"""The cart and checkout: from plans a buyer picked to one order awaiting payment.

Checkout is idempotent: the same cart checked out twice (a double click, a retried request)
returns the same order, through the order's unique ``checkout_key``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.accounts.confirmation import require_confirmed
from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.authorization import grants as authorization
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState, PricingModel, PricingPlan
from marketplace.commerce import orders
from marketplace.commerce.models import (
    CartItem,
    Order,
    OrderLine,
    OrderState,
    QuoteState,
    ServiceQuote,
)
from marketplace.commerce.orders import pricing
from marketplace.errors import Conflict, ValidationFailed

MAX_CART_ITEMS = 20


@dataclass(frozen=True)
class CartLine:
    item: CartItem
    listing: Listing
    plan: PricingPlan
    price: pricing.LinePrice


def _buyable(session: Session, plan_id: int) -> tuple[PricingPlan, Listing]:
    plan = session.get(PricingPlan, plan_id)
    listing = session.get(Listing, plan.listing_id) if plan else None
    if plan is None or listing is None or listing.state != ListingState.PUBLISHED:
        raise ValidationFailed({"plan": [str(_l(
            "This plan is no longer on sale. Reload the product page and choose again."))]})
    return plan, listing


def add(session: Session, buyer: User, plan_id: int, *, pack_calls: int | None = None,
        quote: ServiceQuote | None = None) -> CartItem:
    """Put a plan in the buyer's cart (again: update the pack size), priced to check it.

    :raises EmailNotConfirmed: the buyer has not confirmed its e-mail address yet.
    """
    require_confirmed(buyer)
    plan, listing = _buyable(session, plan_id)
    if buyer.organization_id is not None and buyer.organization_id == listing.organization_id:
        raise ValidationFailed({"plan": [str(_l("You cannot buy your own organization's "
                                                "products."))]})
    # Free plans too: authorization is about who may use the data, not about paying.
    authorization.check_may_buy(session, buyer.id, listing)
    if quote is not None and (quote.buyer_id != buyer.id or quote.plan_id != plan.id
                              or quote.state != QuoteState.QUOTED):
        raise ValidationFailed({"plan": [str(_l("That quote cannot be accepted."))]})
    if quote is not None and (quote.calls is None or quote.valid_days is None):
        raise ValidationFailed({"plan": [str(_l(
            "This quote does not say how many calls it includes or for how long: ask the "
            "merchant to quote again."))]})
    pricing.price_line(plan, pack_calls=pack_calls, **_quoted(quote))
    item = session.exec(select(CartItem).where(CartItem.buyer_id == buyer.id,
                                               CartItem.plan_id == plan.id)).first()
    if item is None:
        count = len(items(session, buyer.id))
        if count >= MAX_CART_ITEMS:
            raise ValidationFailed({"plan": [str(_l("Your cart is full: check out first."))]})
        item = CartItem(buyer_id=buyer.id, listing_id=listing.id, plan_id=plan.id)
    # Only a per-call plan is bought in packs; any other plan is one of a kind.
    item.quantity = (pack_calls or 1) if plan.model == PricingModel.PER_CALL else 1
    item.quote_id = quote.id if quote else None
    item.added_at = utcnow()
    session.add(item)
    session.flush()
    return item


def remove(session: Session, buyer: User, item_id: int) -> None:
    """Take an item out of the buyer's cart; someone else's item is not found."""
    item = session.get(CartItem, item_id)
    if item is not None and item.buyer_id == buyer.id:
        session.delete(item)


def items(session: Session, buyer_id: int) -> list[CartItem]:
    return list(session.exec(select(CartItem).where(CartItem.buyer_id == buyer_id)
                             .order_by(col(CartItem.id))))


def _quoted(quote: ServiceQuote | None) -> dict[str, int | None]:
    """The price line's terms from an accepted quote (none without one)."""
    if quote is None:
        return {}
    return {"quoted_amount": quote.amount, "quoted_calls": quote.calls}


def _pack_calls(item: CartItem, plan: PricingPlan) -> int | None:
    return item.quantity if plan.model == PricingModel.PER_CALL and item.quantity > 1 else None


def lines(session: Session, buyer_id: int) -> list[CartLine]:
    """The cart priced now; items whose plan left the store are dropped from the cart."""
    found = []
    for item in items(session, buyer_id):
        plan = session.get(PricingPlan, item.plan_id)
        listing = session.get(Listing, item.listing_id)
        quote = session.get(ServiceQuote, item.quote_id) if item.quote_id else None
        if plan is None or listing is None or listing.state != ListingState.PUBLISHED \
                or plan.listing_id != listing.id:
            session.delete(item)
            continue
        price = pricing.price_line(plan, pack_calls=_pack_calls(item, plan), **_quoted(quote))
        found.append(CartLine(item, listing, plan, price))
    return found


def checkout(session: Session, buyer: User, *, attempt: str = "") -> Order:
    """Turn the cart into one order awaiting payment and empty the cart.

    A membership is checked out on its own (it becomes a subscription). ``attempt`` (a token
    the checkout form carries) makes a repeated submission return the order it made.

    :raises ValidationFailed: the cart is empty, mixes a membership with other items, or
        mixes currencies.
    """
    require_confirmed(buyer)
    key = _checkout_key(buyer.id, attempt) if attempt else None
    if (existing := find_checkout(session, buyer.id, attempt)) is not None:
        return existing
    cart = lines(session, buyer.id)
    if not cart:
        raise ValidationFailed({"cart": [str(_l("Your cart is empty."))]})
    if len(cart) > 1 and any(c.plan.model == PricingModel.MEMBERSHIP for c in cart):
        raise ValidationFailed({"cart": [str(_l(
            "Check out a membership on its own: remove the other items or the membership."))]})
    if len({c.plan.currency for c in cart}) > 1:
        raise ValidationFailed({"cart": [str(_l("Items in one order must share a currency."))]})
    for c in cart:  # an application revoked or expired since the item was added
        authorization.check_may_buy(session, buyer.id, c.listing)
    order = Order(number=new_order_number(), buyer_id=buyer.id, currency=cart[0].plan.currency,
                  total=sum(c.price.amount for c in cart),
                  checkout_key=key or secrets.token_hex(16))
    session.add(order)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()  # the same attempt, submitted twice at once, made the order first
        if (existing := find_checkout(session, buyer.id, attempt)) is None:
            raise
        return existing
    for c in cart:
        quote = session.get(ServiceQuote, c.item.quote_id) if c.item.quote_id else None
        terms = pricing.plan_terms(c.plan)
        terms.update({"quota": c.price.quota, "postpaid": c.price.postpaid,
                      "pack_calls": _pack_calls(c.item, c.plan)})
        if quote is not None:
            terms["valid_days"] = quote.valid_days
        session.add(OrderLine(
            order_id=order.id, listing_id=c.listing.id, product_id=c.listing.product_id,
            plan_id=c.plan.id, organization_id=c.listing.organization_id, title=c.listing.title,
            title_en=c.listing.title_en,
            plan_name=c.plan.name, pricing_model=c.plan.model, plan_terms=terms,
            quantity=c.item.quantity, amount=c.price.amount, quote_id=quote.id if quote else None))
        if quote is not None:
            quote.state = QuoteState.ACCEPTED
            quote.updated_at = utcnow()
            session.add(quote)
        session.delete(c.item)
    audit.record(session, actor_id=buyer.id, action="order.create", subject_type="order",
                 subject_id=order.number, details={"total": order.total,
                                                   "currency": order.currency,
                                                   "lines": len(cart)})
    session.flush()
    return order


def find_checkout(session: Session, buyer_id: int, attempt: str) -> Order | None:
    """The order that checkout ``attempt`` of this buyer already made, if any (none for an
    empty ``attempt``)."""
    if not attempt:
        return None
    key = _checkout_key(buyer_id, attempt)
    return session.exec(select(Order).where(Order.checkout_key == key)).first()


def new_order_number() -> str:
    """A short order number a person can read out: ``DM`` + date + six random characters."""
    return f"DM{utcnow():%y%m%d}-{secrets.token_hex(3).upper()}"


def _checkout_key(buyer_id: int, attempt: str) -> str:
    return hashlib.sha256(f"{buyer_id}:{attempt}".encode()).hexdigest()


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id)
                             .order_by(col(OrderLine.id))))


def lines_for_orders(session: Session, order_ids: Iterable[int]) -> dict[int, list[OrderLine]]:
    """The lines of several orders in one query, by order id."""
    ids = list(order_ids)
    found: dict[int, list[OrderLine]] = {order_id: [] for order_id in ids}
    if ids:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_(ids))
                                 .order_by(col(OrderLine.id))):
            found[line.order_id].append(line)
    return found


def lines_by_id(session: Session, line_ids: Iterable[int]) -> dict[int, OrderLine]:
    """Order lines by id, in one query (for pages listing entitlements or memberships)."""
    ids = list(line_ids)
    if not ids:
        return {}
    return {line.id: line for line in session.exec(
        select(OrderLine).where(col(OrderLine.id).in_(ids)))}


def cancel(session: Session, buyer: User, order: Order) -> None:
    """The buyer abandons an unpaid order."""
    if order.buyer_id != buyer.id:
        raise Conflict(_l("This is not your order."))
    orders.move(session, order, OrderState.CANCELLED, actor_id=buyer.id,
                reason="cancelled by the buyer")
