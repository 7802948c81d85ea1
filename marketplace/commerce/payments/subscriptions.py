"""Memberships at the provider: the plan a membership line was sold on, our record of its
subscription, and stopping it from renewing."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.commerce.models import Order, OrderLine, Subscription
from marketplace.commerce.payments import PaymentGateway


def provider_plan(gateway: PaymentGateway, line: OrderLine) -> str:
    """The provider's plan for a membership line, as it was sold (created once)."""
    terms = line.plan_terms
    return gateway.ensure_plan(
        plan_key=f"{line.plan_id}-{terms['price']}-{terms['currency']}-{terms['billing_period']}",
        product_name=line.title, amount=int(terms["price"]), currency=terms["currency"],
        interval="year" if terms.get("billing_period") == "year" else "month",
        metadata={"plan_id": str(line.plan_id)})


def sync_subscription(session: Session, order: Order, line: OrderLine, info) -> Subscription:
    """Create or update our record of a provider subscription from what the provider says."""
    subscription = session.exec(select(Subscription).where(
        Subscription.provider_id == info.id)).first()
    if subscription is None:
        subscription = Subscription(order_line_id=line.id, buyer_id=order.buyer_id,
                                    provider_id=info.id)
    subscription.status = info.status
    subscription.current_period_start = info.current_period_start
    subscription.current_period_end = info.current_period_end
    subscription.cancel_at_period_end = info.cancel_at_period_end
    subscription.updated_at = utcnow()
    session.add(subscription)
    session.flush()
    return subscription


def subscriptions_for_buyer(session: Session, buyer_id: int) -> list[Subscription]:
    """A buyer's memberships, newest first."""
    return list(session.exec(select(Subscription).where(Subscription.buyer_id == buyer_id)
                             .order_by(col(Subscription.id).desc())))


def subscription_for_line(session: Session, order_line_id: int) -> Subscription | None:
    """The membership an order line started, if any."""
    return session.exec(select(Subscription).where(
        Subscription.order_line_id == order_line_id)).first()


def cancel_at_period_end(session: Session, gateway: PaymentGateway, actor: User,
                         subscription: Subscription) -> Subscription:
    """Stop a membership from renewing; it stays usable until the paid period ends."""
    if subscription.cancel_at_period_end:
        return subscription
    info = gateway.cancel_subscription_at_period_end(subscription.provider_id)
    subscription.cancel_at_period_end = True
    subscription.current_period_end = info.current_period_end \
        or subscription.current_period_end
    subscription.updated_at = utcnow()
    session.add(subscription)
    audit.record(session, actor_id=actor.id, action="subscription.cancel_at_period_end",
                 subject_type="subscription", subject_id=subscription.id,
                 details={"ends": subscription.current_period_end})
    session.commit()
    return subscription
