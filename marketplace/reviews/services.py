"""Writing, reading and moderating reviews.

Only a buyer who holds (or held) an entitlement to a product may review it, once; a refunded
purchase (a revoked entitlement) does not count. Admins hide abusive reviews with a written
reason, and may restore them; both are audited. Every change of what buyers see announces the
product as changed, so its rating in search follows (:mod:`marketplace.changes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from marketplace import changes
from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.base import utcnow
from marketplace.catalog.models import Listing, ListingState
from marketplace.delivery.models import Entitlement, EntitlementState
from marketplace.errors import Conflict, InvalidTransition, ValidationFailed
from marketplace.reviews.models import MAX_RATING, MIN_RATING, ProductReview

MAX_BODY = 2000
#: Entitlement states in which the buyer has used (or may use) the product.
REVIEWABLE_STATES = (EntitlementState.ACTIVE, EntitlementState.SUSPENDED,
                     EntitlementState.EXPIRED)


@dataclass(frozen=True)
class RatingSummary:
    average: float
    count: int


@dataclass(frozen=True)
class ReviewStanding:
    """Where one user stands towards reviewing one product (the policy's resource)."""

    product_id: int
    buyer_id: int | None
    holds_entitlement: bool
    review: ProductReview | None

    @property
    def may_write(self) -> bool:
        return self.holds_entitlement and self.review is None


@dataclass(frozen=True)
class ShownReview:
    review: ProductReview
    reviewer_name: str


def standing(session: Session, user: User | None, product_id: int) -> ReviewStanding:
    """Whether ``user`` holds an entitlement to the product, and their review of it, if any."""
    if user is None:
        return ReviewStanding(product_id, None, False, None)
    held = session.exec(
        select(Entitlement.id).where(
            Entitlement.buyer_id == user.id, Entitlement.product_id == product_id,
            col(Entitlement.state).in_([state.value for state in REVIEWABLE_STATES]))
        .limit(1)
    ).first()
    review = session.exec(select(ProductReview).where(
        ProductReview.product_id == product_id, ProductReview.buyer_id == user.id)).first()
    return ReviewStanding(product_id, user.id, held is not None, review)


def _clean(rating: object, body: str) -> tuple[int, str]:
    errors: dict[str, list[str]] = {}
    try:
        stars = int(rating)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        stars = 0
    if not MIN_RATING <= stars <= MAX_RATING:
        errors["rating"] = [str(_l("Choose from 1 to 5 stars."))]
    text = (body or "").strip()
    if len(text) > MAX_BODY:
        errors["body"] = [str(_l("Keep the review under %(max)d characters; it has %(len)d.",
                                 max=MAX_BODY, len=len(text)))]
    elif any(ord(char) < 32 and char not in "\n\r\t" for char in text):
        errors["body"] = [str(_l("Remove the control characters from the review."))]
    if errors:
        raise ValidationFailed(errors)
    return stars, text


def write(session: Session, buyer: User, product_id: int, rating: object,
          body: str = "") -> ProductReview:
    """Record ``buyer``'s review of a product on sale.

    :raises ValidationFailed: a rating outside 1–5 or a body that is too long.
    :raises InvalidTransition: the buyer holds no entitlement to the product, or it is not on
        sale.
    :raises Conflict: the buyer has reviewed this product already.
    """
    stars, text = _clean(rating, body)
    position = standing(session, buyer, product_id)
    if position.review is not None:
        raise Conflict(_l("You have already reviewed this product; each buyer reviews a "
                          "product once."))
    if not position.holds_entitlement:
        raise InvalidTransition(_l("Only buyers who bought this product can review it."))
    listing = session.exec(select(Listing).where(
        Listing.product_id == product_id, Listing.state == ListingState.PUBLISHED)).first()
    if listing is None:
        raise InvalidTransition(_l("This product is not on sale, so it cannot be reviewed now."))
    review = ProductReview(product_id=product_id, listing_id=listing.id, buyer_id=buyer.id,
                           rating=stars, body=text)
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        raise Conflict(_l("You have already reviewed this product; each buyer reviews a "
                          "product once.")) from None
    changes.product_changed(session, product_id, "review.write")
    return review


def hide(session: Session, admin: User, review: ProductReview, reason: str) -> None:
    """Hide an abusive review from buyers; its rating stops counting."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [str(_l("Say why the review is hidden."))]})
    if review.is_hidden:
        raise InvalidTransition(_l("This review is hidden already."))
    review.hidden_at = utcnow()
    review.hidden_by_id = admin.id
    review.hidden_reason = reason[:500]
    session.add(review)
    audit.record(session, actor_id=admin.id, action="review.hide", subject_type="review",
                 subject_id=review.id,
                 details={"product_id": review.product_id, "buyer_id": review.buyer_id,
                          "reason": review.hidden_reason})
    changes.product_changed(session, review.product_id, "review.hide")


def restore(session: Session, admin: User, review: ProductReview) -> None:
    """Show a hidden review again."""
    if not review.is_hidden:
        raise InvalidTransition(_l("This review is not hidden."))
    review.hidden_at = None
    review.hidden_by_id = None
    review.hidden_reason = ""
    session.add(review)
    audit.record(session, actor_id=admin.id, action="review.restore", subject_type="review",
                 subject_id=review.id, details={"product_id": review.product_id})
    changes.product_changed(session, review.product_id, "review.restore")


def rating_summaries(session: Session, product_ids: Iterable[int]) -> dict[int, RatingSummary]:
    """The average rating and number of visible reviews of each product that has any."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(ProductReview.product_id, func.avg(ProductReview.rating), func.count())
        .where(col(ProductReview.product_id).in_(ids), col(ProductReview.hidden_at).is_(None))
        .group_by(ProductReview.product_id)
    ).all()
    return {pid: RatingSummary(round(float(avg), 2), int(count)) for pid, avg, count in rows}


def shown_for_product(session: Session, product_id: int, limit: int = 20) -> list[ShownReview]:
    """The visible reviews of a product, newest first, with the reviewers' names."""
    rows = session.exec(
        select(ProductReview, User.display_name)
        .join(User, col(User.id) == ProductReview.buyer_id)
        .where(ProductReview.product_id == product_id, col(ProductReview.hidden_at).is_(None))
        .order_by(col(ProductReview.created_at).desc(), col(ProductReview.id).desc())
        .limit(limit)
    ).all()
    return [ShownReview(review, name) for review, name in rows]


@dataclass(frozen=True)
class ModeratedReview:
    review: ProductReview
    reviewer_name: str
    product_title: str


def for_moderation(session: Session, *, hidden: bool | None = None,
                   limit: int = 100) -> list[ModeratedReview]:
    """The newest reviews for admins, with reviewer and product (only hidden or only shown
    ones when ``hidden`` says so)."""
    query = (
        select(ProductReview, User.display_name, Listing.title)
        .join(User, col(User.id) == ProductReview.buyer_id)
        .join(Listing, col(Listing.id) == ProductReview.listing_id)
    )
    if hidden is not None:
        query = query.where(col(ProductReview.hidden_at).is_not(None) if hidden
                            else col(ProductReview.hidden_at).is_(None))
    rows = session.exec(
        query.order_by(col(ProductReview.created_at).desc(), col(ProductReview.id).desc())
        .limit(limit)
    ).all()
    return [ModeratedReview(review, name, title) for review, name, title in rows]
