"""Read-only catalog queries for dashboards, the review queue and the pages that list plans.

Buyers find listings through the search index (:mod:`marketplace.search`); the merchant and
admin queries here return every state and are guarded by the policy in the views.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.accounts.models import MerchantOrganization
from marketplace.catalog.models import (
    Listing,
    ListingState,
    PricingPlan,
    Product,
    ReviewDecision,
)


def plans_for_listings(session: Session, listing_ids: list[int]) -> dict[int, list[PricingPlan]]:
    """The pricing plans of several listings in one query, by listing id, in plan order.

    Every id asked for is a key, with an empty list when the listing has no plans.
    """
    ids = list(dict.fromkeys(listing_ids))
    found: dict[int, list[PricingPlan]] = {listing_id: [] for listing_id in ids}
    if not ids:
        return found
    rows = session.exec(
        select(PricingPlan)
        .where(col(PricingPlan.listing_id).in_(ids))
        .order_by(col(PricingPlan.listing_id), col(PricingPlan.position))
    )
    for plan in rows:
        found[plan.listing_id].append(plan)
    return found


def organization_of_product(session: Session, product_id: int) -> MerchantOrganization | None:
    product = session.get(Product, product_id)
    return session.get(MerchantOrganization, product.organization_id) if product else None


def organization_listings(session: Session, organization_id: int) -> list[Listing]:
    """Every version of every product of an organization, newest first."""
    return list(
        session.exec(
            select(Listing)
            .where(Listing.organization_id == organization_id)
            .order_by(col(Listing.updated_at).desc(), col(Listing.id).desc())
        )
    )


def review_queue(session: Session) -> list[Listing]:
    """Submitted listings, oldest first, so that nobody waits longest."""
    return list(
        session.exec(
            select(Listing)
            .where(Listing.state == ListingState.SUBMITTED)
            .order_by(col(Listing.submitted_at), col(Listing.id))
        )
    )


def listings_in_state(session: Session, state: ListingState) -> list[Listing]:
    return list(
        session.exec(
            select(Listing).where(Listing.state == state).order_by(col(Listing.updated_at).desc())
        )
    )


def decisions_for(session: Session, listing_id: int) -> list[ReviewDecision]:
    return list(
        session.exec(
            select(ReviewDecision)
            .where(ReviewDecision.listing_id == listing_id)
            .order_by(col(ReviewDecision.created_at).desc(), col(ReviewDecision.id).desc())
        )
    )


def versions_of(session: Session, product_id: int) -> list[Listing]:
    return list(
        session.exec(
            select(Listing).where(Listing.product_id == product_id).order_by(col(Listing.id).desc())
        )
    )


def live_listing(
    session: Session, product_id: int, *, include_suspended: bool = False
) -> Listing | None:
    """The product's version on sale (or suspended, when asked), if any."""
    states = [ListingState.PUBLISHED.value]
    if include_suspended:
        states.append(ListingState.SUSPENDED.value)
    return session.exec(
        select(Listing).where(Listing.product_id == product_id, col(Listing.state).in_(states))
    ).first()
