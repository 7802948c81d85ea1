"""Who may see, write, submit and review listings and products, and try plugin operations.

A product or listing belongs to the merchant organization that made it; admins review, suspend
and reinstate. Drafts and listings sent back for changes are the only ones a merchant edits.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import User
from marketplace.accounts.rules import is_admin, is_merchant, member_of
from marketplace.catalog.dataset_grants import GrantOffer
from marketplace.catalog.lifecycle import EDITABLE_STATES
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.catalog.operations import OperationOwner
from marketplace.policy import register, rule


def owns(actor: User | None, resource: Any) -> bool:
    """A merchant of the organization that owns ``resource`` (a :class:`Product` or
    :class:`Listing`)."""
    return isinstance(resource, Product | Listing) and member_of(actor, resource.organization_id)


@rule("listing.manage", "listing.publish", "listing.retire")
def owner_or_admin(actor: User | None, resource: Any) -> bool:
    """The owning merchant, or an admin."""
    return owns(actor, resource) or is_admin(actor)


@rule("listing.view")
def _view_listing(actor: User | None, listing: Listing) -> bool:
    """Published listings are public; the others only to their merchant and admins."""
    if listing.state == ListingState.PUBLISHED:
        return True
    return owner_or_admin(actor, listing)


@rule("listing.edit")
def _edit_listing(actor: User | None, listing: Listing) -> bool:
    return owns(actor, listing) and ListingState(listing.state) in EDITABLE_STATES


@rule("dataset.grant")
def _grant_dataset(actor: User | None, offer: GrantOffer) -> bool:
    """A listing's merchant, while it can edit it, grants its operations only datasets of its
    own organization (never another's, whatever the form says)."""
    return (isinstance(offer, GrantOffer) and _edit_listing(actor, offer.listing)
            and offer.dataset.organization_id == offer.listing.organization_id)


@rule("operation.try")
def _try_operation(actor: User | None, resource: Any) -> bool:
    """The try-it console (no resource) is for merchants and admins; an operation (an
    :class:`OperationOwner`) for its plugin's owning organization, any merchant when it is the
    platform's own, and admins."""
    if is_admin(actor):
        return True
    if not is_merchant(actor):
        return False
    if resource is None:
        return True
    if not isinstance(resource, OperationOwner):
        return False
    return resource.is_platform or (
        resource.organization_id is not None and resource.organization_id == actor.organization_id
    )


for _action in ("merchant.dashboard", "listing.create"):
    register(_action, is_merchant)
for _action in ("listing.submit", "product.new_version"):
    register(_action, owns)
for _action in ("listing.review", "listing.suspend", "listing.reinstate"):
    register(_action, is_admin)
