"""Read-only catalog queries for the storefront, dashboards and the review queue.

Only ``published`` listings ever reach buyers through :func:`browse`; the merchant and admin
queries return every state and are guarded by the policy in the views.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, or_, select

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


@dataclass(frozen=True)
class BrowseFilters:
    """What a buyer can narrow the storefront by."""

    q: str = ""
    scenario: str = ""
    product_type: str = ""
    delivery_form: str = ""
    classification_level: int | None = None
    pricing_model: str = ""
    organization_id: int | None = None
    sort: str = "newest"  # newest | title
    page: int = 1
    per_page: int = 24


def browse(session: Session, filters: BrowseFilters) -> tuple[list[Listing], int]:
    """Published listings matching ``filters``, and how many there are in all."""
    query = select(Listing).where(Listing.state == ListingState.PUBLISHED)
    if filters.q:
        escaped = filters.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                col(Listing.title).ilike(pattern, escape="\\"),
                col(Listing.summary).ilike(pattern, escape="\\"),
            )
        )
    for field in ("scenario", "product_type", "delivery_form"):
        if value := getattr(filters, field):
            query = query.where(getattr(Listing, field) == value)
    if filters.classification_level:
        query = query.where(Listing.classification_level == filters.classification_level)
    if filters.pricing_model:
        query = query.where(
            col(Listing.id).in_(
                select(PricingPlan.listing_id).where(PricingPlan.model == filters.pricing_model)
            )
        )
    if filters.organization_id:
        query = query.where(Listing.organization_id == filters.organization_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = (
        [col(Listing.title), col(Listing.id)]
        if filters.sort == "title"
        else [col(Listing.published_at).desc(), col(Listing.id).desc()]
    )
    page = max(filters.page, 1)
    rows = session.exec(
        query.order_by(*order).offset((page - 1) * filters.per_page).limit(filters.per_page)
    ).all()
    return list(rows), total


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
