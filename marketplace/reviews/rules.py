"""Who may write and moderate product reviews: buyers who hold (or held) an entitlement to the
product write; admins moderate."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.rules import is_admin
from marketplace.policy import register, rule
from marketplace.reviews.services import ReviewStanding


@rule("review.write")
def _write_review(actor: User | None, standing: ReviewStanding) -> bool:
    """A buyer who holds (or held) an entitlement to the product, about that product."""
    return (actor is not None and isinstance(standing, ReviewStanding)
            and standing.buyer_id == actor.id and standing.holds_entitlement)


for _action in ("review.moderate", "review.hide"):
    register(_action, is_admin)
