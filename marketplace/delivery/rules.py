"""Who may see what a buyer may use: their own entitlements (admins see any)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.rules import is_admin, signed_in
from marketplace.delivery.models import Entitlement
from marketplace.policy import register, rule


@rule("entitlement.view")
def _own_entitlement(actor: User | None, entitlement: Entitlement) -> bool:
    """The buyer it was granted to, or an admin."""
    return is_admin(actor) or (actor is not None and isinstance(entitlement, Entitlement)
                               and entitlement.buyer_id == actor.id)


# One's own entitlements (as a buyer): anyone signed in.
register("entitlement.list", signed_in)
