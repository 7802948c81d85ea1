"""A listing's pricing plans, in the order the merchant listed them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from marketplace.catalog.models import Listing, PricingPlan


def replace_plans(session: Session, listing: Listing, plans: list[dict[str, Any]]) -> None:
    for old in plans_for(session, listing.id):
        session.delete(old)
    session.flush()
    for position, plan in enumerate(plans):
        session.add(PricingPlan(listing_id=listing.id, position=position, **plan))
    session.flush()


def plans_for(session: Session, listing_id: int) -> list[PricingPlan]:
    return list(
        session.exec(
            select(PricingPlan)
            .where(PricingPlan.listing_id == listing_id)
            .order_by(col(PricingPlan.position))
        )
    )


def plan_dicts(session: Session, listing_id: int) -> list[dict[str, Any]]:
    return [
        plan.model_dump(exclude={"id", "listing_id", "position"})
        for plan in plans_for(session, listing_id)
    ]
