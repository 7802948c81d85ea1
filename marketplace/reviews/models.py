"""Product reviews: one per buyer and product, hidden (never deleted) by an admin when abusive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.base import utcnow

MIN_RATING, MAX_RATING = 1, 5


class ProductReview(SQLModel, table=True):
    """A buyer's rating (1 to 5 stars) and words about a product they bought.

    Reviews are about the product (``product_id``), which outlives its versions; the version
    the buyer held is kept for context (``listing_id``).
    """

    __tablename__ = "product_review"
    __table_args__ = (UniqueConstraint("product_id", "buyer_id", name="uq_review_once"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    listing_id: int = Field(foreign_key="listing.id")
    buyer_id: int = Field(foreign_key="user_account.id", index=True)
    rating: int = Field(ge=MIN_RATING, le=MAX_RATING)
    body: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    hidden_at: datetime | None = Field(default=None, index=True)
    hidden_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    hidden_reason: str = Field(default="", max_length=500)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
