"""The one authorization policy: ``can(actor, action, resource)``.

Every view and API route asks it, through :func:`authorize` or :func:`check`; a route that serves
without asking (and is not declared :func:`public`) is refused by the guard installed in
:func:`init_app`, so a forgotten check fails loudly instead of leaking. Tests walk the URL map to
make sure of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from marketplace.accounts.models import MerchantOrganization, Role, User
from marketplace.catalog.lifecycle import EDITABLE_STATES
from marketplace.catalog.models import Listing, ListingState, Product
from marketplace.catalog.operations import OperationOwner
from marketplace.commerce.models import ServiceQuote, Subscription
from marketplace.commerce.orders.access import OrderAccess
from marketplace.delivery.models import Entitlement
from marketplace.notifications.models import Notification
from marketplace.reviews.services import ReviewStanding

F = TypeVar("F", bound=Callable[..., Any])

# action -> rule(actor, resource, owns) ; ``actor`` may be anonymous (None).
Rule = Callable[[User | None, Any], bool]


def _is_admin(actor: User | None, _resource: Any = None) -> bool:
    return actor is not None and actor.role == Role.ADMIN


def _signed_in(actor: User | None, _resource: Any = None) -> bool:
    return actor is not None


def _is_merchant(actor: User | None, _resource: Any = None) -> bool:
    return actor is not None and actor.is_merchant


def _owning_org_id(resource: Any) -> int | None:
    """The merchant organization a catalog resource belongs to."""
    if isinstance(resource, MerchantOrganization):
        return resource.id
    if isinstance(resource, Product | Listing):
        return resource.organization_id
    return None


def _owns(actor: User | None, resource: Any) -> bool:
    return (
        actor is not None
        and actor.is_merchant
        and actor.organization_id is not None
        and actor.organization_id == _owning_org_id(resource)
    )


def _owner_or_admin(actor: User | None, resource: Any) -> bool:
    return _owns(actor, resource) or _is_admin(actor)


def _view_listing(actor: User | None, listing: Listing) -> bool:
    if listing.state == ListingState.PUBLISHED:
        return True
    return _owner_or_admin(actor, listing)


def _edit_listing(actor: User | None, listing: Listing) -> bool:
    return _owns(actor, listing) and ListingState(listing.state) in EDITABLE_STATES


def _own_notification(actor: User | None, notification: Notification) -> bool:
    return actor is not None and notification.user_id == actor.id


def _try_operation(actor: User | None, resource: Any) -> bool:
    """The try-it console (no resource) is for merchants and admins; an operation (an
    :class:`OperationOwner`) for its plugin's owning organization, any merchant when it is the
    platform's own, and admins."""
    if _is_admin(actor):
        return True
    if not _is_merchant(actor):
        return False
    if resource is None:
        return True
    if not isinstance(resource, OperationOwner):
        return False
    return resource.is_platform or (
        resource.organization_id is not None and resource.organization_id == actor.organization_id
    )


def _member_of(actor: User | None, organization_id: int | None) -> bool:
    return (actor is not None and actor.is_merchant and actor.organization_id is not None
            and actor.organization_id == organization_id)


def _order_buyer(actor: User | None, access: OrderAccess) -> bool:
    return actor is not None and isinstance(access, OrderAccess) and access.buyer_id == actor.id


def _order_party(actor: User | None, access: OrderAccess) -> bool:
    """The buyer, a merchant whose product the order bought, or an admin."""
    return _is_admin(actor) or _order_buyer(actor, access) or (
        isinstance(access, OrderAccess) and actor is not None
        and any(_member_of(actor, org) for org in access.organization_ids))


def _refund_order(actor: User | None, access: OrderAccess) -> bool:
    """Admins, and a merchant for orders of its own products only."""
    return _is_admin(actor) or (
        isinstance(access, OrderAccess) and len(access.organization_ids) == 1
        and _member_of(actor, next(iter(access.organization_ids))))


def _own_subscription(actor: User | None, subscription: Subscription) -> bool:
    return _is_admin(actor) or (actor is not None and isinstance(subscription, Subscription)
                                and subscription.buyer_id == actor.id)


def _own_entitlement(actor: User | None, entitlement: Entitlement) -> bool:
    """The buyer it was granted to, or an admin."""
    return _is_admin(actor) or (actor is not None and isinstance(entitlement, Entitlement)
                                and entitlement.buyer_id == actor.id)


def _quote_party(actor: User | None, quote: ServiceQuote) -> bool:
    return _is_admin(actor) or _quote_buyer(actor, quote) or _quote_merchant(actor, quote)


def _quote_buyer(actor: User | None, quote: ServiceQuote) -> bool:
    return actor is not None and isinstance(quote, ServiceQuote) and quote.buyer_id == actor.id


def _quote_merchant(actor: User | None, quote: ServiceQuote) -> bool:
    return isinstance(quote, ServiceQuote) and _member_of(actor, quote.organization_id)


def _merchant_books(actor: User | None, organization: Any = None) -> bool:
    """A merchant's own statement (no resource: its own organization); admins see any."""
    if organization is None:
        return _is_merchant(actor) and actor.organization_id is not None
    return _owner_or_admin(actor, organization)


def _write_review(actor: User | None, standing: ReviewStanding) -> bool:
    """A buyer who holds (or held) an entitlement to the product, about that product."""
    return (actor is not None and isinstance(standing, ReviewStanding)
            and standing.buyer_id == actor.id and standing.holds_entitlement)


def _create_organization(actor: User | None, _resource: Any = None) -> bool:
    return actor is not None and actor.organization_id is None and actor.role == Role.BUYER


RULES: dict[str, Rule] = {
    # storefront
    "listing.view": _view_listing,
    # accounts
    "account.view": _signed_in,
    "account.change_password": _signed_in,
    "notification.list": _signed_in,
    "notification.read": _own_notification,
    "organization.create": _create_organization,
    "organization.view": _owner_or_admin,
    "organization.edit": _owns,
    # merchants
    "merchant.dashboard": _is_merchant,
    "listing.create": _is_merchant,
    "listing.manage": _owner_or_admin,
    "listing.edit": _edit_listing,
    "listing.submit": _owns,
    "listing.publish": _owner_or_admin,
    "listing.retire": _owner_or_admin,
    "product.new_version": _owns,
    "operation.try": _try_operation,
    # buying
    "cart.use": _signed_in,
    "order.list": _signed_in,
    "order.view": _order_party,
    "order.pay": _order_buyer,
    "order.cancel": _order_buyer,
    "order.refund": _refund_order,
    "receipt.view": _order_party,
    "entitlement.list": _signed_in,
    "entitlement.view": _own_entitlement,
    "subscription.cancel": _own_subscription,
    "quote.request": _signed_in,
    "quote.list": _signed_in,  # one's own quotes, as a buyer
    "quote.view": _quote_party,
    "quote.accept": _quote_buyer,
    "quote.withdraw": _quote_buyer,
    "quote.answer": _quote_merchant,
    "review.write": _write_review,
    "ledger.view": _merchant_books,
    # platform admins
    "order.list_all": _is_admin,
    "commission.manage": _is_admin,
    "payout.manage": _is_admin,
    "admin.dashboard": _is_admin,
    "listing.review": _is_admin,
    "listing.suspend": _is_admin,
    "listing.reinstate": _is_admin,
    "review.moderate": _is_admin,
    "review.hide": _is_admin,
    "organization.verify": _is_admin,
    "user.list": _is_admin,
    "user.change_role": _is_admin,
    "audit.view": _is_admin,
    "plugin.manage": _is_admin,
}


def can(actor: User | None, action: str, resource: Any = None) -> bool:
    """Whether ``actor`` (``None`` when anonymous) may perform ``action`` on ``resource``.

    :raises KeyError: for an action the policy does not know, so a typo cannot grant access.
    """
    rule = RULES[action]
    if actor is not None and not actor.is_active:
        return False
    return bool(rule(actor, resource))


def current_actor() -> User | None:
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def _record(action: str, allowed: bool) -> None:
    g.setdefault("policy_checks", []).append((action, allowed))


def check(action: str, resource: Any = None) -> bool:
    """Ask the policy for the current user without aborting (for showing or hiding buttons)."""
    allowed = can(current_actor(), action, resource)
    _record(action, allowed)
    return allowed


def authorize(action: str, resource: Any = None) -> None:
    """Stop the request unless the current user may do ``action`` on ``resource``.

    Anonymous users are sent to log in (401); others get 403, or 404 for a listing they may not
    even know exists.
    """
    if check(action, resource):
        return
    if current_actor() is None:
        abort(401)
    if action == "listing.view":
        abort(404)
    abort(403)


def public(view: F) -> F:
    """Declare a view open to everyone; it need not consult the policy."""
    view.datamarket_public = True  # type: ignore[attr-defined]
    return view


PUBLIC_ENDPOINTS_KEY = "datamarket.public_endpoints"


def declare_public_endpoint(app: Flask, endpoint: str) -> None:
    """Declare an endpoint that we do not write ourselves (static files, OpenAPI) public."""
    app.extensions.setdefault(PUBLIC_ENDPOINTS_KEY, set()).add(endpoint)


class PolicyNotConsulted(RuntimeError):
    """A route answered without asking the authorization policy."""


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: a 404 or 405 that no view produced
    if endpoint in app.extensions.get(PUBLIC_ENDPOINTS_KEY, set()):
        return True
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, request.method.lower(), None)
        if getattr(method, "datamarket_public", False):
            return True
    return bool(getattr(view, "datamarket_public", False))


def init_app(app: Flask) -> None:
    @app.after_request
    def _require_policy(response):
        if response.status_code >= 400 or request.method == "OPTIONS":
            return response
        if g.get("policy_checks") or is_public_endpoint(current_app, request.endpoint):
            return response
        raise PolicyNotConsulted(
            f"{request.method} {request.path} (endpoint {request.endpoint!r}) answered without "
            "consulting the authorization policy; call policy.authorize() or mark it @public."
        )
