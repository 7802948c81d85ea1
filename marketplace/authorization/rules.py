"""Who may do what with authorization applications.

The buyer applies (not for its own organization's products), reads and withdraws its own; the
merchant's members read and decide the applications for their products and may revoke an
approval; platform admins read every application, take the second decision on level 4
products, and may revoke any approval.
"""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.rules import is_admin, is_merchant, member_of, signed_in
from marketplace.authorization.models import AuthorizationApplication
from marketplace.catalog.models import Listing
from marketplace.policy import register, rule


@rule("application.create")
def _may_apply(actor: User | None, listing: Listing) -> bool:
    """Anyone signed in, for another organization's product."""
    return actor is not None and isinstance(listing, Listing) and not member_of(
        actor, listing.organization_id)


@rule("application.withdraw")
def applicant(actor: User | None, application: AuthorizationApplication) -> bool:
    """The buyer who applied."""
    return (actor is not None and isinstance(application, AuthorizationApplication)
            and application.buyer_id == actor.id)


@rule("application.decide")
def deciding_merchant(actor: User | None, application: AuthorizationApplication) -> bool:
    """A member of the organization whose product it is."""
    return isinstance(application, AuthorizationApplication) and member_of(
        actor, application.organization_id)


@rule("application.revoke")
def _may_revoke(actor: User | None, application: AuthorizationApplication) -> bool:
    """The merchant, or a platform admin."""
    return is_admin(actor) or deciding_merchant(actor, application)


@rule("application.view")
def _application_party(actor: User | None, application: AuthorizationApplication) -> bool:
    """The buyer, the merchant, or a platform admin."""
    return is_admin(actor) or applicant(actor, application) or deciding_merchant(
        actor, application)


@rule("application.review_list")
def _merchant_with_organization(actor: User | None, _resource: object = None) -> bool:
    """A merchant of an organization (its products' applications)."""
    return is_merchant(actor) and actor.organization_id is not None


# A platform admin's second decision on level 4 products, and the list of those waiting.
register("application.admin_decide", is_admin)
register("application.admin_list", is_admin)
# One's own applications (as a buyer): anyone signed in.
register("application.list", signed_in)
