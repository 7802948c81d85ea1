"""Factories for commerce tests: a shop with its people, listings with chosen plans, and buying
through the real cart, checkout and payment services."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState, PricingPlan, Product
from marketplace.catalog.services import plans_for
from marketplace.commerce.models import (
    LedgerEntry,
    Order,
    OrderLine,
    PaymentEvent,
    Receipt,
    ServiceQuote,
)
from marketplace.commerce.orders import cart
from marketplace.commerce.payments import PaymentGateway
from marketplace.commerce.payments import flow as payment_flow
from marketplace.delivery.models import Entitlement
from tests.factories import (
    forget,
    make_listing,
    make_merchant,
    make_organization,
    make_user,
    plans,
)


@dataclass
class Shop:
    """A verified merchant with its organization, an admin, and a buyer."""

    merchant: User
    org: MerchantOrganization
    admin: User
    buyer: User


def make_shop(session: Session) -> Shop:
    merchant, org = make_merchant(session)
    return Shop(merchant, org, make_user(session, Role.ADMIN), make_user(session))


def make_plan(model: str, **overrides: Any) -> dict[str, Any]:
    """One plan as the editor gives it: the example of ``model`` with ``overrides``."""
    return {**plans(model)[0], **overrides}


def published_listing_with(session: Session, shop: Shop, *plan_dicts: dict[str, Any],
                           **content: Any) -> tuple[Listing, list[PricingPlan]]:
    """A published listing of ``shop`` offering ``plan_dicts``, with its plans in that order."""
    listing = make_listing(session, shop.merchant, shop.org, state=ListingState.PUBLISHED,
                           admin=shop.admin, plans=list(plan_dicts), **content)
    return listing, plans_for(session, listing.id)


def buy(session: Session, buyer: User, plan: PricingPlan, *, pack_calls: int | None = None,
        quote: ServiceQuote | None = None) -> Order:
    """Put ``plan`` in the buyer's cart and check out, as the cart page does; committed."""
    cart.add(session, buyer, plan.id, pack_calls=pack_calls, quote=quote)
    session.commit()
    order = cart.checkout(session, buyer, attempt=secrets.token_hex(8))
    session.commit()
    return order


def pay(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
        card: str = "visa_ok") -> Order:
    """The test payment step (it commits)."""
    return payment_flow.pay_with_test_card(session, gateway, buyer, order, card)


def ledger_entries(session: Session, order_id: int) -> list[LedgerEntry]:
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id)
                             .order_by(col(LedgerEntry.id))))


def ledger_sums(session: Session, order_id: int) -> dict[str, int]:
    """The sum of an order's ledger entries on each account."""
    rows = session.exec(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                        .where(LedgerEntry.order_id == order_id)
                        .group_by(LedgerEntry.account)).all()
    return {account: int(total) for account, total in rows}


def payment_events(session: Session, order_id: int, kind: str | None = None) -> list[PaymentEvent]:
    query = select(PaymentEvent).where(PaymentEvent.order_id == order_id)
    if kind is not None:
        query = query.where(PaymentEvent.kind == kind)
    return list(session.exec(query.order_by(col(PaymentEvent.id))))


def receipts(session: Session, order_id: int) -> list[Receipt]:
    return list(session.exec(select(Receipt).where(Receipt.order_id == order_id)))


def buyer_entitlements(session: Session, buyer_id: int) -> list[Entitlement]:
    return list(session.exec(select(Entitlement).where(Entitlement.buyer_id == buyer_id)
                             .order_by(col(Entitlement.id))))


def count(session: Session, table) -> int:
    """Rows in ``table`` (to show that something happened exactly once)."""
    return int(session.exec(select(func.count()).select_from(table)).one())


def post_webhook(client, body: bytes, signature: str | None):
    """POST a webhook to the app's endpoint as the provider does."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/payments/webhook", data=body, headers=headers)


def deliver(client, session: Session, delivery) -> str:
    """Deliver one webhook as localstripe sent it to the app's endpoint; returns the outcome.

    ``session`` then reads again what the request committed.
    """
    response = post_webhook(client, delivery.body, delivery.headers["Stripe-Signature"])
    assert response.status_code == 200, response.get_data(as_text=True)
    forget(session)
    return response.get_json()["outcome"]


def subscription_of(session: Session, order: Order):
    """The subscription a membership order made."""
    from marketplace.commerce.models import Subscription

    line = payment_flow.membership_line(session, order)
    return session.exec(select(Subscription).where(Subscription.order_line_id == line.id)).one()


def pay_at_provider(session: Session, gateway: PaymentGateway, buyer: User, order: Order,
                    card: str = "visa_ok") -> str:
    """Pay ``order`` as Stripe's hosted payment page does: at the provider only, with the
    order in the metadata, recording nothing here (only webhooks will tell the app).

    Returns the payment intent's id, or the subscription's for a membership.
    """
    customer = payment_flow.customer_for(session, gateway, buyer)
    method = gateway.test_payment_method(card)
    line = payment_flow.membership_line(session, order)
    if line is None:
        intent = gateway.create_payment_intent(
            amount=order.total, currency=order.currency, customer_id=customer,
            metadata=payment_flow.order_metadata(order))
        return gateway.confirm_payment_intent(intent.id, payment_method=method).id
    terms = line.plan_terms
    plan_id = gateway.ensure_plan(
        plan_key=f"hosted-{line.plan_id}-{terms['price']}", product_name=line.title,
        amount=int(terms["price"]), currency=terms["currency"],
        interval="year" if terms["billing_period"] == "year" else "month", metadata={})
    return gateway.create_subscription(
        customer_id=customer, plan_id=plan_id, payment_method=method,
        metadata=payment_flow.order_metadata(order, order_line_id=line.id)).id


# -- rows made directly, for fast unit tests of the money core --------------------------------
# The services above go through sign-up (password hashing), the listing lifecycle and the cart;
# the unit tests of pricing, ledger, orders, entitlements and fulfilment need only the rows, and
# they run once per mutant in `make mutate`, so they build them here in a few inserts.

_quick = itertools.count(1)


def quick_user(session: Session, organization: MerchantOrganization | None = None) -> User:
    """A buyer (or, with ``organization``, a merchant) row; it cannot sign in."""
    n = next(_quick)
    user = User(email=f"quick{n}@example.com", display_name=f"Quick {n}", password_hash="-",
                email_confirmed_at=utcnow(), role=Role.MERCHANT if organization else Role.BUYER,
                organization_id=organization.id if organization else None)
    session.add(user)
    session.flush()
    return user


def quick_line(model: str = "one_time", amount: int = 0, *,
               organization: MerchantOrganization | None = None, **terms: Any) -> dict[str, Any]:
    """What one line of :func:`quick_order` is: plan model, amount, seller and plan terms."""
    return {"model": model, "amount": amount, "organization": organization, "terms": terms}


def quick_order(session: Session, *lines: dict[str, Any], buyer: User | None = None,
                state: str = "pending_payment", operation_name: str | None = None,
                ) -> tuple[Order, list[OrderLine]]:
    """An order of ``lines`` (from :func:`quick_line`, default: one free one-time line) with a
    published listing and plan per line; flushed, not committed. A line without organization
    is sold by one merchant made for the order."""
    lines = lines or (quick_line(),)
    buyer = buyer or quick_user(session)
    default_org = None
    order = Order(number=f"DM-Q-{next(_quick)}", buyer_id=buyer.id, state=state,
                  total=sum(spec["amount"] for spec in lines),
                  checkout_key=f"quick-{secrets.token_hex(8)}")
    session.add(order)
    session.flush()
    made = []
    for spec in lines:
        org = spec["organization"]
        if org is None:
            default_org = default_org or make_organization(session)
            org = default_org
        seller = quick_user(session, org)
        product = Product(organization_id=org.id, created_by_id=seller.id)
        session.add(product)
        session.flush()
        listing = Listing(product_id=product.id, organization_id=org.id, title="Quick product",
                          product_type="raw_dataset", delivery_form="query_api",
                          scenario="finance", state=ListingState.PUBLISHED,
                          plugin_name="kyb" if operation_name else None,
                          operation_name=operation_name)
        session.add(listing)
        session.flush()
        plan = PricingPlan(listing_id=listing.id, name=spec["model"], model=spec["model"],
                           price=spec["amount"])
        session.add(plan)
        session.flush()
        line = OrderLine(order_id=order.id, listing_id=listing.id, product_id=product.id,
                         plan_id=plan.id, organization_id=org.id, title=listing.title,
                         plan_name=plan.name, pricing_model=spec["model"],
                         plan_terms={"model": spec["model"], "currency": "CNY",
                                     "price": spec["amount"], **spec["terms"]},
                         amount=spec["amount"])
        session.add(line)
        session.flush()
        made.append(line)
    return order, made
